"""Shapes of typed trees: every dimension known, every operation checked by its law.

A typed tree is one whose symbols carry their shapes and whose I / vector(c) / matrix(c)
carry their sizes (inference builds them; so do the calculus, the simplifier, operators on
Exprs and the SymPy bridge). Its shape follows from the laws of rules.py run with known
dimensions: unifying is testing for equality, and a mismatch is a ShapeError. Each node
keeps its shape once computed (`_shape`), so asking again costs one attribute read; the
simplifier asks for nearly every node it builds.
"""

from .. import ast, dims
from ..errors import ShapeError
from .pairs import as_pair, describe, normalize
from .rules import RULES, derivative_terms, law_of


class _Known:
    """The laws' context when every dimension is known (see rules.py for the interface)."""

    __slots__ = ()
    all_known = True

    @staticmethod
    def unify(node, a, b):
        return a == b

    @staticmethod
    def scalar(terms):
        return terms[0] == 1 and terms[1] == 1

    @staticmethod
    def is_one(term):
        return term == 1

    @staticmethod
    def times(*terms):
        return dims.product(*terms)

    @staticmethod
    def fail(node, message):
        raise ShapeError(message)

    @staticmethod
    def quote(node):
        # no source text here, and printing is a later stage: a symbol by its name
        return f"'{node.name}'" if isinstance(node, ast.Symbol) else "a subexpression"

    @staticmethod
    def show(terms):
        return describe(normalize(*terms))

    @staticmethod
    def show_dim(term):
        return str(term)

    @staticmethod
    def symbol(node):
        if node.declared_shape is None:
            raise ShapeError(f"symbol {node.name} has no shape (not inferred)")
        return as_pair(node.declared_shape)

    @staticmethod
    def dimension(d):
        return d

    @staticmethod
    def sized(terms):
        return terms


KNOWN = _Known()


def _checked_shape(node):
    """The node's shape by its law, from its children's shapes; None if one is not known
    yet. (Loops and as_pair and normalize written out: this runs for nearly every node the
    simplifier builds, and a comprehension or a call costs more than the law itself.)"""
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


def product_chains(factors):
    """(scalars, chains) of a product's factors, in order.

    The language's product is a left fold in which a 1 x 1 result is a scalar, so the
    matrix factors split into chains whose fold is a plain matrix product; each chain is
    (factors, closed), closed when it ends at 1 x 1 and so scales the rest.
    """
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
    """The shape of d function / d variable, both given as shapes (the Derivative law of
    rules.py)."""
    return normalize(*derivative_terms(KNOWN, as_pair(function), as_pair(variable)))
