"""`Expr`: a typed expression with the declarations it was read under, what users hold.

It prints (the language, LaTeX), evaluates with numpy, crosses to SymPy, and builds larger
expressions with Python's operators (`X @ w - y`, `(X @ w - y).T`): an operator builds the
node the language would (`*` and `@` the language's product, `-` a sum with a negation),
checks its shape at once, and merges the operands' declarations.
"""

from fractions import Fraction

import numpy as np

from . import ast, dims, printing, shapes, sympy_bridge
from .ast import free_symbols as symbol_nodes
from .calculus import expand_derivatives
from .errors import MatcalcError
from .evaluate import bind_dimensions, evaluate


def _minus(a, b):
    return ast.Add(a, ast.Neg(b))


def _operators(build):
    """An operator and its reflection, both building `build(left, right)`."""
    def operator(self, other):
        return self._combine(other, build)

    def reflected(self, other):
        return self._combine(other, build, reflected=True)
    return operator, reflected


class Expr:
    """Equality is structural (the AST is hash-consed), so parse(str(e)) == e. A derivative
    returned by `diff` also knows the shapes of the function and the variable it came from
    (`derivative_of`, or None), so that `evaluate(values, tensor=True)` can give the tensor.
    """

    __slots__ = ("node", "declarations", "derivative_of")
    __array_priority__ = 1000          # numpy scalars defer to Expr's operators

    def __init__(self, node, declarations, derivative_of=None):
        self.node, self.declarations, self.derivative_of = node, declarations, derivative_of

    @property
    def shape(self):
        return shapes.shape_of(self.node)

    @property
    def symmetric(self):
        return self.declarations.symmetric

    def symbols(self):
        """name -> shape of every free symbol, in order of first appearance."""
        return {name: n.declared_shape for name, n in symbol_nodes(self.node).items()}

    def shapes_line(self):
        """'shapes: X n x d, w d-vector, y n-vector' when a name's shape was inferred (a
        default, or one that gave way), else '' (SPEC 1: shown whenever it was not all
        declared)."""
        found = self.symbols()
        if all(name in self.declarations.shapes for name in found):
            return ""
        return "shapes: " + ", ".join(f"{name} {shapes.describe(shape)}"
                                      for name, shape in found.items())

    def __str__(self):
        return printing.to_text(self.node)

    def __repr__(self):
        return f"Expr({str(self)!r}, shape={self.shape!r})"

    def latex(self):
        return printing.to_latex(self.node)

    def _repr_latex_(self):
        return f"${self.latex()}$"

    def __eq__(self, other):
        return isinstance(other, Expr) and self.node is other.node

    def __hash__(self):
        return hash(self.node)

    def to_sympy(self):
        """This expression as a SymPy matrix expression."""
        return sympy_bridge.to_sympy(ast.inline_where(self.node))

    def evaluate(self, values=None, *, tensor=False, **kwargs):
        """The value for `values` (name -> number or array; keywords work too): a float, a
        1-D array for a column, else a 2-D array. A derivative past two indices evaluates
        to its matrix form; `tensor=True` gives the tensor D[w-index, f-index] instead
        (SPEC 2b)."""
        values = dict(values or {}, **kwargs)
        node, layout = self.node, self.derivative_of
        if tensor and layout is None and isinstance(node, ast.Derivative):
            layout = (shapes.shape_of(node.expr), shapes.shape_of(node.wrt))
        if any(isinstance(n, ast.Derivative) for n in ast.postorder(node)):
            node = expand_derivatives(ast.inline_where(node))
        value = evaluate(node, values, declared_sizes(self, values))
        if not tensor:
            return value
        if layout is None:
            raise MatcalcError("tensor=True gives the tensor of a derivative: use it on what "
                               "matcalc.diff returns, or on a diff(F, W) expression")
        return self._as_tensor(value, layout, values)

    def _as_tensor(self, value, layout, values):
        """The matrix form D as the tensor with W's axes, then F's (SPEC 2b): the
        column-major reshape of D (numpy order="F")."""
        f_shape, w_shape = layout
        if f_shape == () or (w_shape == () and len(f_shape) == 2):
            return value                                   # already in that shape
        _, sizes = bind_dimensions(symbol_nodes(self.node).values(), values)
        sizes = dict(declared_sizes(self, values), **sizes)
        numeric = tuple(dims.size(d, sizes) for d in tuple(w_shape) + tuple(f_shape))
        if None in numeric:
            raise MatcalcError("the values do not fix every size of the tensor's axes")
        return np.reshape(np.asarray(value), numeric, order="F")

    # -- building with operators: the language's nodes, shapes checked at once
    def _combine(self, other, build, reflected=False):
        try:
            other = _operand(other, self)
        except MatcalcError:
            return NotImplemented
        left, right = (other, self) if reflected else (self, other)
        # `where` stands only outermost: an operand's names are put back in place first
        node = build(ast.inline_where(left.node), ast.inline_where(right.node))
        shapes.shape_of(node)                       # a mismatch is a ShapeError here
        return Expr(node, merged_declarations(left, right))

    __add__, __radd__ = _operators(ast.Add)
    __sub__, __rsub__ = _operators(_minus)
    __mul__, __rmul__ = _operators(ast.Mul)                 # the language's '*'
    __matmul__, __rmatmul__ = __mul__, __rmul__
    __truediv__ = _operators(ast.Div)[0]
    __pow__ = _operators(ast.Power)[0]

    def __neg__(self):
        return Expr(ast.Neg(ast.inline_where(self.node)), self.declarations)

    @property
    def T(self):
        return Expr(ast.Transpose(ast.inline_where(self.node)), self.declarations)


def _operand(value, other):
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Expr(ast.Number(Fraction(value)), other.declarations)
    raise MatcalcError(f"cannot combine an expression with {type(value).__name__}")


def merged_declarations(*exprs):
    """The declarations of several expressions, as one."""
    merged = {name: shape for e in exprs for name, shape in e.declarations.shapes.items()}
    return shapes.Declarations(merged, frozenset().union(*(e.symmetric for e in exprs)))


def declared_like(expr):
    """Declarations that fix every free symbol of `expr` to the shape it has there."""
    return dict(expr.declarations.shapes, **expr.symbols())


def keep_shapes(expr):
    """The declarations of a result: the original ones plus the shapes its input inferred."""
    return shapes.Declarations(declared_like(expr), expr.symmetric)


def declared_sizes(expr, values):
    """Sizes of dimensions fixed by values of declared names the expression may not use
    (so that a constant result such as vector(0) still has a size). Only the values'
    shapes are read (a tensor on a GPU or a lazy dask array stays where it is)."""
    sizes, products = {}, []
    for name, shape in expr.declarations.shapes.items():
        if name in values:
            value = values[name]
            if hasattr(value, "shape") and not hasattr(value, "__array_interface__"):
                value = np.broadcast_to(np.float64(0.0), tuple(value.shape))
            try:
                _, found = bind_dimensions([ast.Symbol(name, shape)], {name: value})
            except MatcalcError:
                # a product dimension (u: n*d) is split once the other names size n or d
                products.append((ast.Symbol(name, shape), value))
                continue
            for dim, size in found.items():
                sizes.setdefault(dim, size)
    for symbol, value in products:
        try:
            _, found = bind_dimensions([symbol], {symbol.name: value}, known=lambda: sizes)
        except MatcalcError:
            continue                      # an unused name's value is ignored
        for dim, size in found.items():
            sizes.setdefault(dim, size)
    return sizes
