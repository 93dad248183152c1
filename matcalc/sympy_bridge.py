"""SymPy, both ways: an expression as a SymPy matrix expression, and back.

For users who continue in SymPy, and for tests that use SymPy as an independent oracle. SymPy
never computes matcalc's derivatives; it only receives and gives expressions. Functions
cross by their records (registry.py): `sympy` writes one, `from_sympy` names the SymPy
classes that read back as it.
"""

import functools
import operator
from fractions import Fraction

from . import ast, dims, registry
from .errors import UnsupportedError
from .shapes import as_pair, declarations, is_scalar, normalize, shape_of


def to_sympy(root):
    """The expression as a SymPy matrix expression (dimensions become SymPy symbols)."""
    import sympy
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    def dim(d):
        return d if isinstance(d, int) else sympy.Symbol(str(d), integer=True, positive=True)

    def size(node):
        return tuple(dim(d) for d in as_pair(shape_of(node)))

    def rule(node, kids):
        if isinstance(node, ast.Symbol):
            if is_scalar(node):
                return sympy.Symbol(node.name)
            return sympy.MatrixSymbol(node.name, *size(node))
        if isinstance(node, ast.Number):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, ast.Identity):
            return sympy.Identity(dim(node.n))
        if isinstance(node, ast.Fill):
            return kids[0] * sympy.OneMatrix(*size(node))
        if isinstance(node, ast.Add):
            terms = [k * sympy.OneMatrix(*size(node)) if is_scalar(c) and not is_scalar(node)
                     else k for c, k in zip(node.children, kids)]
            return sympy.Add(*terms) if is_scalar(node) else sympy.MatAdd(*terms)
        if isinstance(node, ast.Neg):
            return -kids[0]
        if isinstance(node, ast.Mul):
            return functools.reduce(operator.mul, kids)
        if isinstance(node, ast.Div):
            return kids[0] / kids[1]
        if isinstance(node, ast.Hadamard):
            if is_scalar(node.left) or is_scalar(node.right):
                return kids[0] * kids[1]
            return sympy.HadamardProduct(kids[0], kids[1])
        if isinstance(node, ast.ElemDiv):
            return sympy.HadamardProduct(kids[0], sympy.HadamardPower(kids[1], -1))
        if isinstance(node, ast.Power):
            return kids[0] ** kids[1]
        if isinstance(node, ast.ElemPower):
            return kids[0] ** kids[1] if is_scalar(node) else sympy.HadamardPower(kids[0], kids[1])
        if isinstance(node, ast.Transpose):
            return kids[0] if is_scalar(node) else kids[0].T
        record = registry.of(node)
        if record is not None and record.sympy is not None:
            if record.elementwise:
                if is_scalar(node):
                    return record.sympy(sympy, kids[0])
                t = sympy.Symbol("t")
                return ElementwiseApplyFunction(sympy.Lambda(t, record.sympy(sympy, t)), kids[0])
            if record.scalar is not None and all(is_scalar(c) for c in node.children):
                return record.scalar(sympy, *kids)
            return record.sympy(sympy, *kids)
        name = registry.name_of(node) or type(node).__name__
        raise UnsupportedError(f"no SymPy counterpart for {name}")

    return ast.fold(root, rule)


def from_sympy(expression, symmetric=None):
    """(node, declarations) of a SymPy matrix expression (MatrixSymbol, MatMul, MatAdd,
    Transpose, Inverse, Trace, Determinant, HadamardProduct, ...). Dimensions become
    Dim names."""
    import sympy

    classes = [(getattr(sympy, name), record) for record in registry.FUNCTIONS.values()
               for name in record.from_sympy if hasattr(sympy, name)]
    symmetric = set(symmetric or ())
    declared = {}

    def dim(d):
        if d.is_Integer:
            return int(d)
        if d.is_Symbol:
            return dims.Dim(d.name)
        raise UnsupportedError(f"dimension {d} is neither an integer nor a symbol")

    def shape(e):
        return normalize(*(dim(d) for d in e.shape))

    def convert(e):
        if isinstance(e, sympy.MatrixSymbol):
            declared[e.name] = shape(e)
            return ast.Symbol(e.name, declared[e.name], e.name in symmetric)
        if isinstance(e, sympy.Symbol):
            declared[e.name] = ()
            return ast.Symbol(e.name, ())
        if e.is_Rational:
            return ast.Number(Fraction(int(e.p), int(e.q)))
        if isinstance(e, sympy.Identity):
            return ast.Identity(dim(e.shape[0]))
        if isinstance(e, sympy.ZeroMatrix):
            return ast.Fill(shape(e), ast.Number(0))
        if isinstance(e, sympy.OneMatrix):
            return ast.Fill(shape(e), ast.Number(1))
        if isinstance(e, (sympy.MatAdd, sympy.Add)):
            return ast.Add(*(convert(a) for a in e.args))
        if isinstance(e, (sympy.MatMul, sympy.Mul)):
            return ast.Mul(*(convert(a) for a in e.args))
        if isinstance(e, sympy.Transpose):
            return ast.Transpose(convert(e.arg))
        for cls, record in classes:
            if isinstance(e, cls):
                return registry.build(record.name, *(convert(a) for a in e.args[:record.arity]))
        if isinstance(e, sympy.HadamardProduct):
            return functools.reduce(ast.Hadamard, map(convert, e.args))
        if isinstance(e, sympy.HadamardPower):
            return ast.ElemPower(convert(e.base), convert(e.exp))
        if isinstance(e, (sympy.MatPow, sympy.Pow)):
            return ast.Power(convert(e.base), convert(e.exp))
        if isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Determinant):
            return ast.LogDet(convert(e.args[0].arg))
        raise UnsupportedError(f"no matcalc counterpart for SymPy's {type(e).__name__}")

    node = convert(expression)
    shape_of(node)
    return node, declarations(declared, symmetric)
