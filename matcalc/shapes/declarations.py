"""What the user says about shapes (checked, normalized), and a shape's two spellings: the
laws' (rows, cols) pair, a scalar 1 x 1 and a column d x 1, and the public form, dropping
what the pair repeats: () for a scalar, (d,) for a column, (m, n) otherwise."""

import re
from typing import NamedTuple

from .. import dims
from ..dims import Dim, DimProduct
from ..errors import MatcalcError, ShapeError

GREEK = frozenset("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                  "omicron pi rho sigma tau upsilon phi chi psi omega".split())


def normalize(rows, cols):
    """(rows, cols) -> the public shape."""
    if cols == 1:
        return () if rows == 1 else (rows,)
    return (rows, cols)


def as_pair(shape):
    """The public shape -> (rows, cols)."""
    if len(shape) == 2:
        return tuple(shape)
    return (shape[0], 1) if shape else (1, 1)


def describe(shape):
    """'scalar', 'n-vector', 'n x d' for messages."""
    if len(shape) == 2:
        return f"{shape[0]} x {shape[1]}"
    return f"{shape[0]}-vector" if shape else "scalar"


def default_kind(name):
    """matrixcalculus.org's first-letter kind of an undeclared name: 'scalar' (a-g and
    lowercase Greek), 'column' (h-z: of free length), 'matrix' (A-Z: of free size)."""
    if name[0] in "abcdefg" or name in GREEK:
        return "scalar"
    if name[0].islower():
        return "column"
    return "matrix"


class Declarations(NamedTuple):
    """User-declared shapes (normalized, dims as Dim or int) and symmetric names."""
    shapes: dict
    symmetric: frozenset


def _dimension(name, value):
    if isinstance(value, bool):
        raise MatcalcError(f"shape of {name}: {value!r} is not a dimension")
    if isinstance(value, int):
        if value < 1:
            raise MatcalcError(f"shape of {name}: dimension {value} must be at least 1")
        return value
    if isinstance(value, DimProduct):
        return value
    text = getattr(value, "name", value)     # a SymPy Symbol becomes the Dim of its name
    dim = dims.from_text(text) if isinstance(text, str) else None
    if dim is None:
        raise MatcalcError(f"shape of {name}: {value!r} is not a dimension "
                           "(use a name such as n, a positive integer, or a product n*d)")
    return dim


def parse_shape_text(name, text):
    """'n x d', 'n,d', 'n', 'n*d x 1', 'scalar', 'symmetric n x n' -> (shape, symmetric)."""
    words = text.strip()
    symmetric = False
    if words.startswith("symmetric"):
        symmetric, words = True, words[len("symmetric"):].strip()
    if words in ("scalar", "", "()"):
        return (), symmetric
    inner = words[1:-1] if words.startswith("(") and words.endswith(")") else words
    parts = re.split(r"\s*(?:\bx\b|,)\s*", inner.strip())
    if not 1 <= len(parts) <= 2 or not all(parts):     # 'n x', 'n,', 'x d': a part missing
        raise MatcalcError(f"shape of {name}: {text!r} is not a shape (write 'n x d', 'n,d', "
                           "'n' or 'scalar')")
    return tuple(parts), symmetric


def declarations(shapes=None, symmetric=None):
    """Check and normalize the user's `shapes=` (tuples, text such as 'n x d', SymPy
    symbols) and `symmetric=` arguments."""
    result = {}
    for name, shape in (shapes or {}).items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise MatcalcError(f"cannot declare {name!r}: not a variable name")
        if isinstance(shape, str):
            shape, _ = parse_shape_text(name, shape)
        if isinstance(shape, (int, Dim, DimProduct)) or hasattr(shape, "is_Symbol"):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise MatcalcError(f"shape of {name}: expected (), (d,) or (m, n), got {shape!r}")
        if len(shape) > 2:
            raise MatcalcError(f"shape of {name}: {len(shape)} dimensions given; "
                               "matcalc knows scalars (), vectors (d,) and matrices (m, n)")
        given = [_dimension(name, d) for d in shape]
        result[name] = normalize(*as_pair(given))
    sym = frozenset(symmetric or ())
    for name in sym:
        if not isinstance(name, str):
            raise MatcalcError(f"symmetric: {name!r} is not a variable name")
        shape = result.get(name)
        if shape is not None and len(shape) == 2 and shape[0] != shape[1]:
            raise ShapeError(f"{name} is declared symmetric but its shape {describe(shape)} "
                             "is not square")
        if shape is not None and len(shape) == 1:
            raise ShapeError(f"{name} is declared symmetric but is a vector")
    return Declarations(result, sym)
