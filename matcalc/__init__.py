"""matcalc: symbolic matrix calculus in denominator layout, checked numerically."""

from .api import (Check, Derivation, DerivationCheck, Expr, Solution, check,
                  check_derivation, compile, derive, diff, differential, from_sympy, functions,
                  lambdify, parse, simplify, solve, stationary_point, symbols, verify)
from .errors import (EvaluationError, InternalError, MatcalcError, NumericWarning, ParseError,
                     ShapeError, UnsupportedError)

__all__ = ["Expr", "Derivation", "Solution", "Check", "DerivationCheck", "parse", "diff",
           "differential", "derive", "simplify", "verify", "solve", "stationary_point",
           "check", "check_derivation", "compile", "lambdify", "symbols", "functions",
           "from_sympy", "MatcalcError", "ParseError", "ShapeError", "UnsupportedError",
           "EvaluationError", "NumericWarning", "InternalError"]
__version__ = "0.1.0"
