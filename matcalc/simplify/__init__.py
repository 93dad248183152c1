"""Simplification: a canonical polynomial (`poly`, built by `engine.canon` with the rules of
`algebra`, `elementwise`, `reductions` and `kronecker`, registered by importing them here),
printed expanded (2*X'*X*w - 2*X'*y) or factored (2*X'*(X*w - y), `factor`; shared
subexpressions named, `sharing`). Imports run one way: order <- poly <- engine <- rule
modules <- factor."""

from . import algebra, elementwise, kronecker, reductions  # noqa: F401
from .engine import canon, expanded, session, transpose_atom, transpose_node
from .factor import factored, pull_common_scalars
from .poly import Poly, Term, mul_node, to_node, zero
from .sharing import name_shared


__all__ = ["Poly", "Term", "canon", "expanded", "factored", "mul_node", "name_shared",
           "pull_common_scalars", "session", "to_node", "transpose_atom", "transpose_node",
           "zero"]
