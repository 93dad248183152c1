"""matcalc: symbolic matrix calculus in denominator layout, checked numerically."""

from .api import Derivation, Expr, derive, diff, parse, simplify, verify
from .errors import (EvaluationError, MatcalcError, ParseError, ShapeError,
                     UnsupportedError)

__all__ = ["Expr", "Derivation", "parse", "diff", "derive", "simplify", "verify", "MatcalcError", "ParseError",
           "ShapeError", "UnsupportedError", "EvaluationError"]
__version__ = "0.1.0"
