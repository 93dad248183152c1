"""Shapes: inference over a raw tree by unification, and the shape of any typed node.
Data flows declarations -> unification -> rules (the shape laws: one table) -> typed (the
laws check a typed tree) -> inference (the laws unify over a raw one)."""

from ..dims import Dim, DimProduct
from .declarations import (GREEK, Declarations, as_pair, declarations, default_kind, describe,
                           normalize, parse_shape_text)
from .inference import DIM_NAMES, infer, unfixed_constants
from .rules import LAWS, RULES, law_of
from .typed import derivative_shape, is_diagonal, is_scalar, pair_of, product_chains, shape_of

__all__ = ["Dim", "DimProduct", "GREEK", "Declarations", "as_pair", "declarations", "default_kind",
           "describe", "normalize", "parse_shape_text", "DIM_NAMES", "infer", "unfixed_constants",
           "LAWS", "RULES", "law_of", "derivative_shape", "is_diagonal", "is_scalar", "pair_of",
           "product_chains", "shape_of"]
