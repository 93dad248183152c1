"""Which pass computes which derivative, chosen from the shapes before anything runs
(SPEC sections 2 and 2b).

- a scalar by anything: the backward pass in the gradient algebra, in the variable's shape
  (the fast path, with the textbook forms);
- a vector or a matrix by a scalar: the forward pass along dX := 1, in F's shape (a
  matrix keeps it, a column's derivative is the row of its transpose);
- everything else (a vector by a vector, anything past two indices): the backward pass in
  the matrix-form algebra, d vec(F) / d vec(X), size(X) x size(F);
- along a direction V: the forward pass with dX := V, in F's shape.

diff(a, w) terms inside an expression are replaced by their derivatives first, innermost
first, and `where` names by their values.
"""

from .. import ast, dims
from ..errors import UnsupportedError
from ..shapes import as_pair, derivative_shape, normalize, shape_of
from .adjoints import GRADIENT, MATRIX_FORM
from .backward import backward, zero
from .differential import differential


def expand_derivatives(root):
    """Replace each diff(a, w) term by its derivative (innermost first)."""
    def rule(node):
        if isinstance(node, ast.Derivative):
            return derivative(node.expr, node.wrt)
        return node
    return ast.transform(root, rule)


def derivative(root, wrt, direction=None):
    """d root / d wrt in denominator layout (the matrix form past two indices), as a raw
    tree; with `direction` (a node of wrt's shape), the derivative along it in root's
    shape."""
    root = _traces_of_kron(expand_derivatives(ast.inline_where(root)))
    if direction is not None:
        return along(root, wrt, direction)
    f_shape, w_shape = shape_of(root), shape_of(wrt)
    if f_shape == ():
        return backward(root, wrt, GRADIENT, shape_of(wrt))
    if wrt.symmetric:
        raise UnsupportedError(
            f"{wrt.name} is declared symmetric: only scalar functions have a derivative by "
            f"it (the derivative of a non-scalar by a symmetric matrix is not defined here)")
    if w_shape == ():
        by_scalar = along(root, wrt, ast.Number(1))
        return by_scalar if len(f_shape) == 2 else ast.Transpose(by_scalar)
    return backward(root, wrt, MATRIX_FORM, derivative_shape(f_shape, w_shape))


def _traces_of_kron(root):
    """tr(kron(A, B)) = tr(A)*tr(B) for square A and B (Cookbook (526)), before the passes
    run: differentiated as it stands, the trace of a Kronecker product goes through its
    matrix form (26 tokens of commutation matrices for d tr(kron(A, X))/dX = tr(A)*I)."""
    def square(node):
        rows, cols = as_pair(shape_of(node))
        return rows == cols
    def rule(node):
        if isinstance(node, ast.Trace) and isinstance(node.arg, ast.Kron) and \
                all(square(side) for side in node.arg.children):
            return ast.Mul(*(ast.Trace(side) for side in node.arg.children))
        return node
    if not any(isinstance(n, ast.Trace) and isinstance(n.arg, ast.Kron)
               for n in ast.postorder(root)):
        return root                                # the usual case: no rebuilding
    return ast.transform(root, rule)


def along(root, wrt, direction):
    """The derivative of root along `direction` (a node of wrt's shape), in root's shape."""
    dF = differential(root, wrt, direction)
    return zero(shape_of(root)) if dF is None else dF


def identify(dF, dX):
    """The matrix form d vec(F) / d vec(X) of a differential dF linear in the symbol dX."""
    size = lambda node: dims.product(*as_pair(shape_of(node)))      # noqa: E731
    return backward(dF, dX, MATRIX_FORM, normalize(size(dX), size(dF)))
