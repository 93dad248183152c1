"""The forward pass: the differential dF in terms of dX, Magnus and Neudecker's route.

Each node's differential comes from its arguments' by its rule's `differential`
(d(A*B) = dA*B + A*dB, d inv(A) = -inv(A)*dA*inv(A), ...); arguments that do not depend on
X have none. With dX := V it is the derivative along V, without ever building the
size(X) x size(F) matrix form (route.py).
"""

from .. import ast
from ..errors import InternalError
from .graph import binary_products
from .rules import RULES


def differential(root, wrt, direction):
    """dF of a typed root (no where, no diff terms) with d(wrt) := direction; None when
    root does not depend on wrt."""
    root = binary_products(root)
    d = {}
    for node in ast.postorder(root):
        if node is wrt:
            d[node] = direction
            continue
        kids = [d[c] for c in node.children]
        if all(k is None for k in kids):
            d[node] = None
            continue
        rule = RULES.get(type(node))
        if rule is None:
            raise InternalError(f"no derivative rule for {type(node).__name__} on the "
                                "differential route")
        d[node] = rule.differential(node, kids)
    return d[root]
