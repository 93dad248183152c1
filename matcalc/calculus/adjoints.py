"""The two algebras an adjoint V = du/dv lives in. The rules (rules.py) are written once
over the operations below, and each algebra reads them in its own way:

- Gradient (a scalar u): V has the node's shape, and the operations are the textbook's:
  left(A, V) = A*V, right(V, B) = V*B, scale(V, H) = V .* H, total(V) = sum(V),
  spread(V, M) = V*M for a scalar node's V. This is DESIGN.md's table.
- MatrixForm (any u, past two indices): V stands for d vec(u) / d vec(v), seeded with I at
  the root, and every operation is the matrix form of the same linear map applied to each
  column (the identification theorem, Magnus and Neudecker; each method states its own).
  So the Jacobian d(X*w - y)/dw = X' (d x n), the Hessian of a gradient and
  d(A*X*B)/dX = kron(B, A') come out of the same rows.
"""

from typing import NamedTuple

from .. import ast, dims
from ..shapes import as_pair, is_scalar, normalize, shape_of

T, M, N = ast.Transpose, ast.Mul, ast.Number


def transposed(node):
    """node' without a double transpose."""
    return node.arg if isinstance(node, ast.Transpose) else T(node)


def _column(shape):
    return len(shape) <= 1


def symmetric_part(gradient):
    """(G + G')/2: the gradient by a declared-symmetric matrix, the derivative along
    symmetric directions (Srinivasan and Panda, 2019; docs/derivatives.md)."""
    return ast.Div(ast.Add(gradient, T(gradient)), N(2))


# ----------------------------------------------------------------- the gradient

class Gradient:
    """Adjoints of a scalar function, each of its node's shape."""

    name = "gradient"

    def seed(self, root):
        return N(1)

    def result(self, V, wrt):
        return symmetric_part(V) if wrt.symmetric else V

    def sum(self, parts):
        return parts[0] if len(parts) == 1 else ast.Add(*parts)

    def left(self, A, V):
        return M(A, V)

    def right(self, V, B):
        return M(V, B)

    def times(self, V, c):
        return M(c, V)

    def scale(self, V, H):
        return ast.Hadamard(V, H)

    def total(self, V, H=None):
        return ast.Sum(V if H is None else ast.Hadamard(V, H))

    def spread(self, V, M_):
        return M(V, M_)

    def divide(self, V, s):
        return ast.Div(V, s)

    def negate(self, V):
        return ast.Neg(V)

    def transpose(self, V, node):
        return T(V)

    def diag(self, V, node):
        return ast.Diag(V)

    def reshape(self, V, child):
        """V of vec(child) or unvec(child) back to the child's shape."""
        shape = shape_of(child)
        return ast.Vec(V) if _column(shape) else ast.Unvec(as_pair(shape), V)

    def linear(self, K, V, child):
        """The adjoint through vec(node) = K' * vec(child): K * vec(V), in child's shape."""
        return self.reshape(M(K, ast.Vec(V)), child) if not _column(shape_of(child)) \
            else M(K, ast.Vec(V))

    def is_scaled_identity(self, V):
        """Is V c*I (scalars, signs, divisions by scalars and one identity)? Then it
        commutes, and d tr(A^k) needs one term, not k."""
        while True:
            if isinstance(V, ast.Identity):
                return True
            if isinstance(V, ast.Neg) or isinstance(V, ast.Div) and is_scalar(V.right):
                V = V.children[0]
                continue
            if isinstance(V, ast.Mul):
                arrays = [c for c in V.children if not is_scalar(c)]
                if len(arrays) != 1:
                    return False
                V = arrays[0]
                continue
            return False


# ----------------------------------------------------------------- the matrix form

class Adjoint(NamedTuple):
    """d vec(u) / d vec(v), size(v) x size(u), with the shape (rows, cols) of v: the matrix
    does not show it, and left(A, V) needs it (kron(I(cols), A))."""

    matrix: object
    rows: object
    cols: object


class MatrixForm:
    """Adjoints d vec(u) / d vec(v) of any u (SPEC 2b): the chain rule in matrix form."""

    name = "matrix form"

    def seed(self, root):
        rows, cols = as_pair(shape_of(root))
        return Adjoint(ast.Identity(dims.product(rows, cols)), rows, cols)

    def result(self, V, wrt):
        return V.matrix

    def sum(self, parts):
        first = parts[0]
        return first if len(parts) == 1 else \
            first._replace(matrix=ast.Add(*(p.matrix for p in parts)))

    def left(self, A, V):
        """vec(A*V) = kron(I(cols), A)*vec(V)."""
        if is_scalar(A):
            return V._replace(matrix=M(A, V.matrix))
        rows = as_pair(shape_of(A))[0]
        K = A if V.cols == 1 else ast.Kron(ast.Identity(V.cols), A)
        return Adjoint(M(K, V.matrix), rows, V.cols)

    def right(self, V, B):
        """vec(V*B) = kron(B', I(rows))*vec(V)."""
        if is_scalar(B):
            return V._replace(matrix=M(B, V.matrix))
        cols = as_pair(shape_of(B))[1]
        K = transposed(B) if V.rows == 1 else ast.Kron(transposed(B), ast.Identity(V.rows))
        return Adjoint(M(K, V.matrix), V.rows, cols)

    def times(self, V, c):
        return V._replace(matrix=M(c, V.matrix))

    def scale(self, V, H):
        """vec(V .* H) = diag(vec(H))*vec(V)."""
        if is_scalar(H):
            return self.times(V, H)
        return V._replace(matrix=M(ast.Diag(_vec(H)), V.matrix))

    def total(self, V, H=None):
        """sum(V .* H) = vec(H)'*vec(V): a scalar's adjoint, 1 x size(u)."""
        weights = _vec(H) if H is not None else \
            ast.Fill(normalize(dims.product(V.rows, V.cols), 1), N(1))
        return Adjoint(M(T(weights), V.matrix), 1, 1)

    def spread(self, V, M_):
        """A scalar's adjoint times the array M: vec(M)*V."""
        rows, cols = as_pair(shape_of(M_))
        return Adjoint(M(_vec(M_), V.matrix), rows, cols)

    def divide(self, V, s):
        return V._replace(matrix=ast.Div(V.matrix, s))

    def negate(self, V):
        return V._replace(matrix=ast.Neg(V.matrix))

    def transpose(self, V, node):
        """vec(V') = commutation(rows, cols)*vec(V) (K*vec(X) = vec(X'), X rows x cols)."""
        matrix = V.matrix if V.rows == 1 or V.cols == 1 else \
            M(ast.Commutation(V.rows, V.cols), V.matrix)
        return Adjoint(matrix, V.cols, V.rows)

    def diag(self, V, node):
        """vec(diag(v)) = S*v for an n-vector v, S' (n x n^2) the selection
        kron(I(n), 1') .* kron(1', I(n)); diag of a matrix takes its diagonal, S'."""
        n = as_pair(shape_of(node.arg))[0]
        to_vector = len(shape_of(node.arg)) == 1          # node = diag(v), an n x n matrix
        ones = T(ast.Fill(normalize(n, 1), N(1))) if to_vector else ast.Fill(normalize(n, 1), N(1))
        selection = ast.Hadamard(ast.Kron(ast.Identity(n), ones), ast.Kron(ones, ast.Identity(n)))
        return Adjoint(M(selection, V.matrix), n, 1 if to_vector else n)

    def reshape(self, V, child):
        rows, cols = as_pair(shape_of(child))
        return Adjoint(V.matrix, rows, cols)

    def linear(self, K, V, child):
        rows, cols = as_pair(shape_of(child))
        return Adjoint(M(K, V.matrix), rows, cols)

    def is_scaled_identity(self, V):
        return False


def _vec(node):
    """vec(node), written without vec for a column (vec(x) = x) or a row (vec(x') = x)."""
    shape = shape_of(node)
    if _column(shape):
        return node
    if shape[0] == 1:
        return transposed(node)
    return ast.Vec(node)


GRADIENT, MATRIX_FORM = Gradient(), MatrixForm()
