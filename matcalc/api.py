"""The public facade: `Expr` and the functions of the contract, over the stage modules.

Stages import only earlier stages; this module is the one place that ties them together.
"""

from . import ast, printing
from . import shapes as _shapes
from . import parser as _parser
from .errors import ShapeError
from .evaluate import evaluate as _evaluate


class Expr:
    """A typed expression with the declarations it was read under.

    Equality is structural (the AST is hash-consed), so parse(str(e)) == e.
    """

    __slots__ = ("node", "declarations")

    def __init__(self, node, declarations):
        self.node = node
        self.declarations = declarations

    @property
    def shape(self):
        return _shapes.shape_of(self.node)

    @property
    def symmetric(self):
        return self.declarations.symmetric

    def symbols(self):
        """name -> shape of every free symbol, in order of first appearance."""
        bound = set(self.node.names) if isinstance(self.node, ast.Where) else set()
        return {n.name: n.declared_shape for n in ast.postorder(self.node)
                if isinstance(n, ast.Symbol) and n.name not in bound}

    def __str__(self):
        return printing.to_text(self.node)

    def __repr__(self):
        return f"Expr({str(self)!r}, shape={self.shape!r})"

    def latex(self):
        return printing.to_latex(self.node)

    def _repr_latex_(self):
        return f"${self.latex()}$"

    def evaluate(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs)
        return _evaluate(self.node, values)

    def __eq__(self, other):
        return isinstance(other, Expr) and self.node is other.node

    def __hash__(self):
        return hash(self.node)


def parse(text, shapes=None, symmetric=None):
    """Read `text` as an expression, inferring and checking every shape."""
    if isinstance(text, Expr):
        return _redeclare(text, shapes, symmetric)
    decls = _shapes.declarations(shapes, symmetric)
    parsed = _parser.parse(text)
    (typed,), _ = _shapes.infer([parsed.node], decls, parsed.text, parsed.spans)
    return Expr(typed, decls)


def _redeclare(expr, shapes, symmetric):
    """An Expr keeps its declarations; new ones must agree with the shapes it has."""
    if not shapes and not symmetric:
        return expr
    decls = _shapes.declarations(shapes, symmetric)
    known = expr.symbols()
    for name, shape in decls.shapes.items():
        if name in known and known[name] != shape:
            raise ShapeError(
                f"'{name}' is {_shapes.describe(known[name])} in this expression, "
                f"but is now declared {_shapes.describe(shape)}")
    for name in decls.symmetric:
        if name in known and name not in expr.declarations.symmetric:
            raise ShapeError(f"'{name}' was not declared symmetric when this "
                                           "expression was read; parse it again")
    merged = dict(expr.declarations.shapes, **decls.shapes)
    return Expr(expr.node, _shapes.Declarations(
        merged, expr.declarations.symmetric | decls.symmetric))
