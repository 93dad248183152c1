"""Shapes of typed trees (every symbol, I and fill sized): the laws of rules.py, checking.
Each node keeps its shape once computed (`_shape`): the simplifier asks for nearly every
node it builds."""

from .. import ast, dims
from ..errors import ShapeError
from .declarations import as_pair, describe, normalize
from .rules import RULES, law_of


class _Known:
    """The laws' context when every dimension is known (see rules.py for the interface)."""

    __slots__ = ()
    all_known = True
    times = staticmethod(dims.product)
    show_dim = staticmethod(str)

    def unify(self, node, a, b):
        return a == b

    def scalar(self, terms):
        return terms[0] == 1 and terms[1] == 1

    def fail(self, node, message):
        raise ShapeError(message)

    def quote(self, node):
        # no source text here, and printing is a later stage: a symbol by its name
        return f"'{node.name}'" if isinstance(node, ast.Symbol) else "a subexpression"

    def show(self, terms):
        return describe(normalize(*terms))

    def symbol(self, node):
        if node.declared_shape is None:
            raise ShapeError(f"symbol {node.name} has no shape (not inferred)")
        return as_pair(node.declared_shape)

    def dimension(self, d):
        return d

    def sized(self, node, terms):
        return terms


KNOWN = _Known()


def _checked_shape(node):
    """The node's shape by its law; None if a child's is not known yet. (as_pair and
    normalize written out: this runs for nearly every node the simplifier builds.)"""
    kids = []
    for child in node.children:
        shape = child._shape
        if shape is None:
            return None
        kids.append(shape if len(shape) == 2 else (shape[0], 1) if shape else (1, 1))
    rows, cols = (RULES.get(type(node)) or law_of(node))(KNOWN, node, kids)
    if cols == 1:
        return () if rows == 1 else (rows,)
    return (rows, cols)


def shape_of(root):
    """The normalized shape of a typed node, checking every operation on the way."""
    shape = root._shape
    if shape is None:
        shape = _checked_shape(root)              # the usual case: one new node
        if shape is None:
            for node in ast.postorder(root, known=lambda n: n._shape is not None):
                object.__setattr__(node, "_shape", _checked_shape(node))
            return root._shape
        object.__setattr__(root, "_shape", shape)
    return shape


def pair_of(node):
    return as_pair(shape_of(node))


def is_scalar(node):
    return shape_of(node) == ()


def is_diagonal(node):
    """diag(v) of a vector v (diag(A) of a matrix is a column)."""
    return isinstance(node, ast.Diag) and len(shape_of(node.arg)) == 1


def product_chains(factors):
    """(scalars, chains) of a product's factors, in order. The product is a left fold in
    which a 1 x 1 result is a scalar, so the matrix factors split into chains whose fold is
    a plain matrix product; a chain is (factors, closed), closed when it ends at 1 x 1."""
    scalars, chains, current, rows_cols = [], [], [], None
    for factor in factors:
        if shape_of(factor) == ():
            scalars.append(factor)
            continue
        pair = as_pair(shape_of(factor))
        rows_cols = pair if not current else (rows_cols[0], pair[1])
        current.append(factor)
        if rows_cols == (1, 1):
            chains.append((current, True))
            current = []
    if current:
        chains.append((current, False))
    return scalars, chains


def derivative_shape(function, variable):
    """The shape of d function / d variable, both given as shapes (the Derivative law)."""
    return normalize(*RULES[ast.Derivative](KNOWN, None, (as_pair(function), as_pair(variable))))
