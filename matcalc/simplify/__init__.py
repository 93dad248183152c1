"""Simplification: a canonical form, and the expanded and factored forms printed from it.

The canonical form of an expression is a *polynomial*: a map from terms to exact rational
coefficients (`polynomial`), built node by node by the rules of `canonical`, with terms and
arguments in the total order of `order`. Equal expressions that these rules can show equal
get the same canonical node.

- `expanded(node)`: the polynomial printed term by term, the textbook form (2*X'*X*w - 2*X'*y).
- `factored(node)`: common scalar, left and right factors pulled out of every sum
  (2*X'*(X*w - y), `factor`), and subexpressions shared in the DAG named with `where`
  (`sharing`).

Every function here is memoized per (interned) node, so shared subtrees cost once. The memo
tables hold strong references, so the API empties them after each call (`session`).
"""

from . import canonical, order, polynomial
from .canonical import canon, transpose_atom, transpose_node
from .factor import _common_scalars, factored
from .polynomial import Poly, Term, to_node, zero
from .sharing import inline, name_shared


class session:
    """A context for one top-level operation: the memo tables are emptied at the end (they
    would otherwise keep every node ever simplified alive). Re-entrant."""

    depth = 0

    def __enter__(self):
        session.depth += 1
        return self

    def __exit__(self, *exc):
        session.depth -= 1
        if session.depth == 0:
            for table in (order._keys, canonical._transposed, canonical._canon,
                          polynomial._nodes):
                table.clear()
        return False


def expanded(node):
    """The textbook form: products distributed over sums, like terms collected."""
    return to_node(canon(node))


__all__ = ["Poly", "Term", "canon", "expanded", "factored", "inline", "name_shared",
           "session", "to_node", "transpose_atom", "transpose_node", "zero",
           "_common_scalars"]
