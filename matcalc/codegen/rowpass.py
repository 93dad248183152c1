"""The fused pass over rows: X'*g(X*u, ...) computed while each block of X's rows is in cache.

X'*g(X*u, ...) with g acting row by row (elementwise on n-vectors) reads X twice when
written plainly: once for X*u, once for X'*r. Computed in blocks of rows that stay in
cache, the product reads X once: acc += X[b]' * g(X[b]*u, y[b], ...).
"""

from .. import ast
from ..shapes import shape_of

BLOCK_BYTES = 4 << 20         # rows of X per block: about 4 MB, measured best here


def _row_local(node, data, rows, parents, inside):
    """Is `node` an n-vector computed row by row from X*u, n-vectors and globals?"""
    if shape_of(node) != (rows,):
        return False
    if isinstance(node, ast.Symbol):
        return node is not data
    if isinstance(node, ast.Mul):
        vectors = [c for c in node.children if not _is_scalar(c)]
        if len(vectors) == 2 and vectors[0] is data and not _contains(vectors[1], data):
            return True
        return len(vectors) == 1 and _row_local_child(vectors[0], data, rows, parents, inside)
    if isinstance(node, (ast.Add, ast.Hadamard, ast.ElemDiv, ast.ElemPower, ast.Neg,
                         ast.Elementwise, ast.Div)):
        return all(_is_scalar(c) and not _contains(c, data) or
                   _row_local_child(c, data, rows, parents, inside) for c in node.children)
    return False


def _row_local_child(child, data, rows, parents, inside):
    if not _row_local(child, data, rows, parents, inside):
        return False
    inside.add(child)
    return True


def _contains(node, target):
    return any(n is target for n in ast.postorder(node))


def fusable(node, parents):
    """(data X, row vector r, scalars) when node = scalars * X' * r can be one blocked pass."""
    if not isinstance(node, ast.Mul):
        return None
    factors = [c for c in node.children]
    *head, left, right = factors if len(factors) >= 2 else (None, None)
    if not all(_is_scalar(h) for h in head):
        return None
    while isinstance(left, ast.Neg):
        left = left.arg
    if not (isinstance(left, ast.Transpose) and isinstance(left.arg, ast.Symbol)):
        return None
    data = left.arg
    if len(shape_of(data)) != 2:
        return None
    rows = shape_of(data)[0]
    inside = {right}
    if not _row_local(right, data, rows, parents, inside):
        return None
    # every absorbed n-vector must be used only inside this product
    for n in inside:
        if any(p not in inside and p is not node for p in parents.get(n, ())):
            return None
    return data, right, inside


def _is_scalar(node):
    return shape_of(node) == ()
