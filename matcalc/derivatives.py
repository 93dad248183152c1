"""Which route computes which derivative (SPEC sections 2 and 2b).

- a scalar by anything, a vector by a vector or a scalar: the backward pass of `diff.py`
  (gradients, Jacobians, Hessians by vectors), the fast path with the textbook forms;
- everything past two indices (a matrix by a matrix, a vector by a matrix, a matrix by a
  vector, a Hessian by a matrix) and Jacobians whose intermediates are matrices: the
  differential and its identification (`vecdiff.py`);
- a matrix by a scalar keeps the matrix's shape: the derivative along the direction 1;
- a derivative along a direction V: the differential with dX := V, in F's shape.

`diff(a, w)` terms inside an expression are replaced by their derivatives first.
"""

from . import ast, diff, vecdiff
from .diff import inline_where
from .errors import UnsupportedError
from .shapes import shape_of

zero = vecdiff.zero


def expand_derivatives(root):
    """Replace each diff(a, w) term by its derivative (innermost first)."""
    def rule(node):
        if isinstance(node, ast.Derivative):
            return derivative(node.expr, node.wrt)
        return node
    return ast.transform(root, rule)


def derivative(root, wrt, direction=None):
    """d root / d wrt in denominator layout (matrix form past two indices), as a raw tree;
    with `direction` (a node of wrt's shape), the derivative along it in root's shape."""
    root = expand_derivatives(inline_where(root))
    if direction is not None:
        return vecdiff.directional(root, wrt, direction)
    f_shape, w_shape = shape_of(root), shape_of(wrt)
    if f_shape == ():
        return diff.derivative(root, wrt)
    if wrt.symmetric:
        raise UnsupportedError(
            f"{wrt.name} is declared symmetric: only scalar functions have a derivative by "
            f"it (the derivative of a non-scalar by a symmetric matrix is not defined here)")
    if w_shape == () and len(f_shape) == 2:
        return vecdiff.directional(root, wrt, ast.Number(1))     # F's shape
    if len(f_shape) == 1 and len(w_shape) <= 1:
        try:
            return diff.derivative(root, wrt)
        except UnsupportedError:
            pass                  # a matrix between root and w: the vec route below
        if w_shape == ():
            return ast.Transpose(vecdiff.directional(root, wrt, ast.Number(1)))   # a row
    return vecdiff.matrix_form(root, wrt)


__all__ = ["derivative", "expand_derivatives", "inline_where", "zero"]
