"""matcalc: symbolic matrix calculus in denominator layout, checked numerically."""

from .api import Expr, parse
from .errors import (EvaluationError, MatcalcError, ParseError, ShapeError,
                     UnsupportedError)

__all__ = ["Expr", "parse", "MatcalcError", "ParseError", "ShapeError", "UnsupportedError",
           "EvaluationError"]
__version__ = "0.1.0"
