"""The errors a user can cause, and the one a user cannot (InternalError: a bug).

Every failure that bad input can provoke is a `MatcalcError`; the subclasses say which stage
refused it. A message is one line naming the place in the input; parse errors also carry the
offending line with a caret under the column (`context`).
"""


class MatcalcError(Exception):
    """Base class of every error matcalc raises for bad input."""

    def __init__(self, message, *, line=None, column=None, context=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.context = context

    def __str__(self):
        return self.message if self.context is None else f"{self.message}\n{self.context}"


class ParseError(MatcalcError):
    """The text is not in the expression language."""


class ShapeError(MatcalcError):
    """The shapes of the operands do not fit the operation."""


class UnsupportedError(MatcalcError):
    """Well-formed input outside what matcalc handles (e.g. a tensor-valued derivative)."""


class EvaluationError(MatcalcError):
    """Numeric evaluation failed: missing or ill-shaped values, a singular matrix, ..."""


class InternalError(AssertionError):
    """A broken invariant of matcalc itself (a bug to report), never a fault of the input:
    so not a MatcalcError, and never dressed as a limitation (UnsupportedError)."""


class NumericWarning(RuntimeWarning):
    """An evaluation gave inf or NaN although every value given was finite; the message
    names the first subexpression that did."""


def error_at(kind, message, text, offset):
    """A `kind` error at a character offset of `text`: the message ends '(line l, column c)',
    the context is that line with a caret under the column."""
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    lines = text.splitlines() or [""]
    context = f"  {lines[min(line, len(lines)) - 1]}\n  {' ' * (column - 1)}^"
    return kind(f"{message} (line {line}, column {column})", line=line, column=column,
                context=context)
