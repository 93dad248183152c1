"""Simplification: a canonical form, and the expanded and factored forms printed from it.

The canonical form of an expression is a *polynomial*: a map from terms to exact rational
coefficients (`poly`), built node by node by `engine.canon` with the rules the rule modules
register (`products`, `transposes`, `powers`, `elementwise`, `reductions`, `kronecker`),
with terms and arguments in the total order of `order`. Equal expressions that these rules
can show equal get the same canonical node.

- `expanded(node)`: the polynomial printed term by term, the textbook form (2*X'*X*w - 2*X'*y).
- `factored(node)`: common scalar, left and right factors pulled out of every sum
  (2*X'*(X*w - y), `factor`), and subexpressions shared in the DAG named with `where`
  (`sharing`).

Every function here is memoized per (interned) node, so shared subtrees cost once. The memo
tables hold strong references, so the API empties them after each call (`session`).

Imports run one way: order <- poly <- engine <- rule modules <- factor <- this package;
importing the rule modules here is what registers their rules.
"""

from . import elementwise, kronecker, powers, products, reductions, transposes  # noqa: F401
from .engine import canon, expanded, session, transpose_atom, transpose_node
from .factor import factored, pull_common_scalars
from .poly import Poly, Term, to_node, zero
from .sharing import inline, name_shared


__all__ = ["Poly", "Term", "canon", "expanded", "factored", "inline", "name_shared",
           "pull_common_scalars", "session", "to_node", "transpose_atom", "transpose_node",
           "zero"]
