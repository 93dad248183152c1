"""Simplification: a canonical form, and the expanded and factored forms printed from it.

The canonical form of an expression is a polynomial over canonical atoms (`poly`), built node
by node by `engine.canon` with the rules the rule modules register (`algebra`, `elementwise`,
`reductions`, `kronecker`; importing them here registers them), terms and arguments in the
total order of `order`. `expanded` prints it term by term (2*X'*X*w - 2*X'*y); `factored`
pulls common factors out of sums (2*X'*(X*w - y), `factor`) and names shared subexpressions
(`sharing`). Imports run one way: order <- poly <- engine <- rule modules <- factor.
"""

from . import algebra, elementwise, kronecker, reductions  # noqa: F401
from .engine import canon, expanded, session, transpose_atom, transpose_node
from .factor import factored, pull_common_scalars
from .poly import Poly, Term, to_node, zero
from .sharing import name_shared


__all__ = ["Poly", "Term", "canon", "expanded", "factored", "name_shared",
           "pull_common_scalars", "session", "to_node", "transpose_atom", "transpose_node",
           "zero"]
