"""Shapes: inference over a raw tree by unification, and the shape of any typed node.

The modules, in the order data flows through them: declarations.py (what the user declares;
a shape's two spellings), unification.py (variables, products of unknowns), rules.py (the
shape laws: one table), typed.py (shape_of a typed tree: the laws check) and inference.py
(a raw tree's shapes: the laws unify; unfixed_constants).
"""

from ..dims import Dim, DimProduct
from .declarations import (GREEK, Declarations, as_pair, declarations, default_kind, describe,
                           normalize, parse_shape_text)
from .inference import DIM_NAMES, infer, unfixed_constants
from .rules import LAWS, RULES, law_of
from .typed import derivative_shape, product_chains, shape_of

__all__ = ["Dim", "DimProduct", "GREEK", "Declarations", "as_pair", "declarations",
           "default_kind", "describe", "normalize", "parse_shape_text", "DIM_NAMES", "infer",
           "unfixed_constants", "LAWS", "RULES", "law_of", "derivative_shape",
           "product_chains", "shape_of"]
