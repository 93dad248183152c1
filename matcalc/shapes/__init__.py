"""Shapes: inference over a raw tree by unification, and the shape of any typed node.

Every subexpression has a shape (rows, cols); a scalar is 1 x 1 and a column d x 1. Public
shapes are normalized: () for a scalar, (d,) for a column, (m, n) otherwise. The package,
in the order data flows through it:

    pairs.py         the two spellings of a shape (normalize, as_pair, describe)
    declarations.py  what the user declares, and the first-letter defaults
    unification.py   variables, products of unknowns, product equations
    rules.py         the shape laws: one table, used by both of the following
    typed.py         shape_of a typed tree (every dimension known: laws check)
    inference.py     infer a raw tree's shapes (laws unify), and unfixed_constants
"""

from ..dims import Dim, DimProduct
from .declarations import GREEK, Declarations, declarations, default_kind, parse_shape_text
from .inference import DIM_NAMES, infer, unfixed_constants
from .pairs import as_pair, describe, is_scalar, normalize
from .rules import LAWS, RULES, law_of
from .typed import derivative_shape, pair_of, product_chains, shape_of

__all__ = ["Dim", "DimProduct", "GREEK", "DIM_NAMES", "Declarations", "declarations",
           "default_kind", "parse_shape_text", "infer", "unfixed_constants", "normalize",
           "as_pair", "describe", "is_scalar", "LAWS", "RULES", "law_of", "derivative_shape",
           "pair_of", "product_chains", "shape_of"]
