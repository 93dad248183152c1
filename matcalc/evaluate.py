"""Numeric evaluation of a typed tree with numpy.

Dimensions are bound from the values given (so `I`, `vector(c)` and `matrix(c)` get their
sizes there), checked against every symbol's declared or inferred shape, and the tree is then
folded bottom-up; equal subtrees are one node, so each is computed once. Internally a scalar is
a numpy float64 (division by zero gives inf, not an exception) and every array is 2-D.
"""

import warnings

import numpy as np

from . import ast, dims, registry
from .errors import EvaluationError, InternalError, NumericWarning, UnsupportedError
from .printing import short_text
from .shapes import as_pair, describe, shape_of


def _as_array(name, value):
    try:
        if value is not None and not isinstance(value, (str, bytes)):
            return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        pass
    raise EvaluationError(f"the value of '{name}' is not numeric: {value!r:.60}")


def _fit(name, array, shape):
    """The value reshaped to the symbol's (rows, cols), or an error naming the mismatch."""
    rows, cols = as_pair(shape)
    if array.ndim == 0 or array.size == 1 and shape == ():
        if shape != ():
            raise EvaluationError(f"'{name}' is {describe(shape)} but its value is a scalar")
        return array.reshape(1, 1)
    if array.ndim == 1:
        if len(shape) == 1:
            return array.reshape(-1, 1)
        if len(shape) == 2 and rows == 1:
            return array.reshape(1, -1)
        raise EvaluationError(f"'{name}' is {describe(shape)} but its value is a vector "
                              f"of length {array.shape[0]}")
    if array.ndim == 2:
        if shape == () or (len(shape) == 1 and array.shape[1] != 1):
            raise EvaluationError(f"'{name}' is {describe(shape)} but its value has shape "
                                  f"{array.shape}")
        return array
    raise EvaluationError(f"the value of '{name}' has {array.ndim} dimensions; "
                          "give a scalar, a vector or a matrix")


def bind_dimensions(symbols, values, known=None, partial=False):
    """Arrays for each symbol and the size of each symbolic dimension, checked for agreement.

    A product dimension (n*d) is checked once its names are known, or gives the one name
    it leaves unknown (n*d = 12 with n = 3 gives d = 4); `known()`, if given, sizes the
    names no value fixes (a stored vec(X) of compile(..., given={"X": X}) is n*d long).
    `partial`: values that are only some of the function's (compile's given) may leave a
    product's names open for the other values to fix."""
    arrays, sizes, source, products = {}, {}, {}, []
    for symbol in symbols:
        name = symbol.name
        if name not in values:
            raise EvaluationError(f"no value given for '{name}'")
        array = _fit(name, _as_array(name, values[name]), symbol.declared_shape)
        for dim, size in zip(as_pair(symbol.declared_shape), array.shape):
            if isinstance(dim, int):
                if dim != size:
                    raise EvaluationError(f"'{name}' has {size} where its shape "
                                          f"{describe(symbol.declared_shape)} says {dim}")
            elif isinstance(dim, dims.DimProduct):
                products.append((name, dim, size))
            elif dim in sizes and sizes[dim] != size:
                raise EvaluationError(f"the values disagree on dimension {dim}: '{source[dim]}' "
                                      f"gives {dim} = {sizes[dim]}, '{name}' gives {dim} = {size}")
            else:
                sizes.setdefault(dim, size)
                source.setdefault(dim, name)
        if symbol.symmetric and not np.allclose(array, array.T, rtol=1e-10, atol=1e-12):
            raise EvaluationError(f"'{name}' is declared symmetric but its value is not")
        arrays[name] = array
    if known is not None and any(dims.names(dim) - set(sizes) for _, dim, _ in products):
        for dim, size in known().items():
            sizes.setdefault(dim, size)
    for name, dim, size in sorted(products, key=lambda item: len(dims.names(item[1]) -
                                                                  set(sizes))):
        _bind_product(name, dim, size, sizes, partial)
    return arrays, sizes


def _bind_product(name, dim, size, sizes, partial=False):
    unknown = [n for n in dims.names(dim) if n not in sizes]
    if len(unknown) == 1 and dims.factors(dim)[1][unknown[0]] == 1:
        rest = dims.size(dims.quotient(dim, dims.Dim(unknown[0])), sizes)
        if rest and size % rest == 0:
            sizes[dims.Dim(unknown[0])] = size // rest
    value = dims.size(dim, sizes)
    if value is None and partial:
        return
    if value is None:
        raise EvaluationError(f"'{name}' has a size {dim} whose factors no value fixes")
    if value != size:
        raise EvaluationError(f"'{name}' has {size} where its size {dim} is {value}")


def _size(dim, sizes, what):
    value = dims.size(dim, sizes)
    if value is None:
        raise EvaluationError(f"the size {dim} of {what} is not fixed by any value given")
    return value


def commutation_matrix(m, n):
    """The mn x mn permutation K with K @ vec(X) = vec(X.T) for X m x n (vec column-major):
    entry (j + n*i, i + m*j) is 1."""
    i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    K = np.zeros((m * n, m * n))
    K[(j + n * i).ravel(), (i + m * j).ravel()] = 1.0
    return K


def _rule(node, kids, arrays, sizes):
    if isinstance(node, ast.Symbol):
        return arrays[node.name]
    if isinstance(node, ast.Number):
        return np.float64(node.value)
    if isinstance(node, ast.Identity):
        return np.eye(_size(node.n, sizes, "I"))
    if isinstance(node, ast.Fill):
        rows, cols = (_size(d, sizes, "vector/matrix") for d in as_pair(node.shape))
        return np.full((rows, cols), float(kids[0]))
    if isinstance(node, ast.Add):
        return sum(kids[1:], kids[0])
    if isinstance(node, ast.Neg):
        return -kids[0]
    if isinstance(node, ast.Mul):
        acc = kids[0]
        for k in kids[1:]:
            acc = acc * k if np.ndim(acc) == 0 or np.ndim(k) == 0 else acc @ k
            if np.ndim(acc) == 2 and acc.shape == (1, 1):
                acc = np.float64(acc[0, 0])
        return acc
    if isinstance(node, (ast.Div, ast.ElemDiv)):
        return kids[0] / kids[1]
    if isinstance(node, ast.Hadamard):
        return kids[0] * kids[1]
    if isinstance(node, ast.Power):
        if np.ndim(kids[0]) == 0:
            return np.float64(np.power(kids[0], kids[1]))
        k = int(ast.literal(node.exponent))           # A^-k = inv(A)^k
        base = kids[0] if k >= 0 else _function(registry.MATRIX["inv"], kids[:1])
        return np.linalg.matrix_power(base, abs(k))
    if isinstance(node, ast.ElemPower):
        return np.power(kids[0], kids[1])
    if isinstance(node, ast.Transpose):
        return kids[0].T if np.ndim(kids[0]) else kids[0]
    record = registry.of(node)
    if record is not None:
        return _function(record, kids)
    if isinstance(node, ast.Unvec):
        rows, cols = (_size(d, sizes, "unvec") for d in node.shape)
        return np.reshape(kids[0], (rows, cols), order="F")
    if isinstance(node, ast.Commutation):
        return commutation_matrix(_size(node.m, sizes, "commutation"),
                                  _size(node.n, sizes, "commutation"))
    if isinstance(node, ast.Derivative):
        raise UnsupportedError("diff(...) terms are evaluated through matcalc.evaluate, "
                               "which differentiates them first")
    raise InternalError(f"no evaluation rule for {type(node).__name__}")


def _function(record, kids):
    """A registered function's value; a matrix function of a scalar takes its scalar form,
    and a matrix to invert that is singular is an EvaluationError."""
    if record.scalar is not None and all(np.ndim(k) == 0 for k in kids):
        return record.scalar(np, *kids)
    try:
        return record.array(np, *kids)
    except np.linalg.LinAlgError:
        raise EvaluationError(f"{record.name}: the matrix is singular for these "
                              "values") from None


def _scalarize(node, value):
    """Keep the invariant: scalars as float64, everything else 2-D."""
    if shape_of(node) == ():
        return np.float64(np.asarray(value).reshape(-1)[0]) if np.ndim(value) else value
    return value


def evaluate(root, values, dimensions=None):
    """The value of a typed tree: a float for a scalar, a 1-D array for a column vector;
    `dimensions` (dim -> size) sizes what no value fixes, e.g. a derivative `vector(1)`."""
    if not hasattr(values, "get"):
        raise EvaluationError("values must be a mapping from names to numbers or arrays")
    with np.errstate(all="ignore"):
        try:
            result = _evaluate(root, values, dimensions or {})
        except MemoryError as error:            # kron(I(20000), I(20000)): 1.1 EiB
            raise EvaluationError(f"the values do not fit in memory ({error})") from None
        if not np.all(np.isfinite(result)):
            warn_not_finite(root, values, dimensions)
    return finisher(shape_of(root))(result)


def finisher(shape):
    """The conversion of a raw value to what evaluate returns for a root of this shape."""
    if shape == ():
        return _as_float
    return _flatten if len(shape) == 1 else np.asarray


def _as_float(value):
    return float(np.asarray(value).reshape(-1)[0]) if np.ndim(value) else float(value)


def _flatten(value):
    return np.asarray(value).reshape(-1)


HINTS = {ast.Div: "a division by zero", ast.ElemDiv: "a division by zero"}   # and records' hints


def warn_not_finite(roots, values, dimensions=None):
    """A NumericWarning naming the first subexpression whose value is not finite although
    its arguments are (nothing when an input value is itself not finite)."""
    for root in roots if isinstance(roots, (list, tuple)) else [roots]:
        try:
            values_of = evaluate_nodes(ast.inline_where(root), values, dimensions)
        except EvaluationError:
            return
        for node, value in values_of.items():
            if np.all(np.isfinite(value)):
                continue
            if isinstance(node, ast.Symbol):
                return                                      # the input itself
            if not all(np.all(np.isfinite(values_of[c])) for c in node.children):
                continue
            what = "nan" if np.any(np.isnan(value)) else "inf"
            record = registry.of(node)
            hint = record.hint if record is not None else HINTS.get(type(node))
            warnings.warn(f"'{short_text(node)}' is {what} although its arguments are finite"
                          + (f" ({hint})" if hint else ""), NumericWarning,
                          stacklevel=_caller_level())
            return


def _caller_level():
    """The stacklevel of the first frame outside matcalc: the warning points at the
    user's line, whichever API function led here."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level - 1


def _evaluate(root, values, dimensions):
    """A `where`'s values in order (each may use the names before it), then its body."""
    bound = {}
    if isinstance(root, ast.Where):
        for name, value in zip(root.names, root.values):
            bound[name] = _evaluate_plain(value, values, bound, dimensions)
        root = root.body
    return _evaluate_plain(root, values, bound, dimensions)


def evaluate_nodes(root, values, dimensions=None):
    """The value of every node of a typed tree without `where` (scalars as float64, arrays
    2-D), for checks that look inside an expression (is this inverse well conditioned?)."""
    memo = {}
    with np.errstate(all="ignore"):
        _evaluate_plain(root, values, {}, dimensions or {}, memo)
    return memo


def _evaluate_plain(root, values, bound, dimensions, memo=None):
    order = ast.postorder(root)
    symbols = [n for n in order if isinstance(n, ast.Symbol)]
    arrays, sizes = bind_dimensions([s for s in symbols if s.name not in bound], values,
                                    known=lambda: dimensions)
    for dim, size in dimensions.items():
        sizes.setdefault(dim, size)
    for name, value in bound.items():
        arrays[name] = value if np.ndim(value) == 0 else np.asarray(value)
    for symbol in symbols:
        if symbol.name in bound and np.ndim(bound[symbol.name]):
            for dim, size in zip(as_pair(symbol.declared_shape), bound[symbol.name].shape):
                if isinstance(dim, dims.Dim):
                    sizes.setdefault(dim, size)
    memo = {} if memo is None else memo
    for node in order:
        value = _rule(node, [memo[c] for c in node.children], arrays, sizes)
        memo[node] = _scalarize(node, value)
    return memo[root]
