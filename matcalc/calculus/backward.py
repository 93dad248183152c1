"""The backward pass: the documents' chain rule, du/dw = dv/dw * du/dv, as one reverse
accumulation over the DAG.

Every node v gets an adjoint V = du/dv. Walking from the root towards the leaves, each node
adds to each argument's adjoint the contribution its rule gives (rules.py), in either
algebra of adjoints.py, so that an argument's adjoint is the sum over the paths through it.
The result is a raw tree; `simplify` brings it to canonical form.
"""

from .. import ast
from ..errors import InternalError
from ..shapes import describe, shape_of
from .graph import binary_products, depends_on
from .rules import RULES

ZERO = ast.Number(0)


def zero(shape):
    return ZERO if shape == () else ast.Fill(shape, ZERO)


def backward(root, wrt, algebra, result_shape):
    """d root / d wrt accumulated backward in `algebra` (GRADIENT or MATRIX_FORM); the zero
    of `result_shape` when root does not depend on wrt."""
    root = binary_products(root)
    order = ast.postorder(root)
    depends = depends_on(order, wrt)
    if not depends[root]:
        return zero(result_shape)
    adjoints = {root: [algebra.seed(root)]}
    for node in reversed(order):
        if node is wrt or not depends[node]:
            continue
        parts = adjoints.pop(node, None)
        if not parts:
            continue
        V = algebra.sum(parts)
        rule = RULES.get(type(node))
        for i, child in enumerate(node.children):
            if not depends[child]:
                continue
            if rule is None:
                raise InternalError(
                    f"no derivative rule for {type(node).__name__} (its argument {i + 1}, "
                    f"{describe(shape_of(child))}, depends on {wrt.name}) on the "
                    f"{algebra.name} route")
            part = rule.adjoint(node, V, i, algebra)
            if part is not None:
                adjoints.setdefault(child, []).append(part)
    parts = adjoints.get(wrt)
    if not parts:
        return zero(result_shape)
    return algebra.result(algebra.sum(parts), wrt)
