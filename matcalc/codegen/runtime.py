"""Compiled functions: values checked, the generated code called, results finished.

`Compiled` runs numpy code (the numpy and numba dialects): values are checked and converted
by the same binder as `evaluate`, so errors read the same, and a repeated call with float64
arrays of the shapes the last call had skips the checks. `LibraryCompiled` runs JAX, PyTorch
or Dask code on the library's own arrays, checking only their shapes.
"""

import math

import numpy as np

from .. import ast, registry
from ..errors import EvaluationError
from ..evaluate import bind_dimensions, warn_not_finite
from ..shapes import shape_of
from . import kernelcache
from .dialects import NUMPY
from .emit import module
from .plan import build


def _finite(value):
    return math.isfinite(value) if type(value) is float or type(value) is np.float64 \
        else bool(np.isfinite(value).all())


def _generated(roots, dialect):
    """The plan of the roots and its module in the dialect."""
    plan = build(roots, rowpass=dialect.blocked, kernels=dialect.kernels)
    return plan, module(plan, dialect)


def _parts(plan, generated):
    """(source, symbols, dimensions): the text, the arguments' symbols, the sizes needed."""
    return generated.source, list(plan.arguments), generated.dimensions


class Compiled:
    """A compiled expression: call with a mapping or keywords; `.source` shows the code."""

    def __init__(self, roots, extra_sizes=None, dialect=NUMPY):
        self.roots = roots
        self.extra_sizes = extra_sizes        # values -> sizes fixed by declared names
        self.plan, generated = _generated(roots, dialect)
        self.source, self.symbols, self.dimensions = _parts(self.plan, generated)
        if generated.kernels:
            namespace = kernelcache.load(self.source)      # numba caches what it compiles
        else:
            namespace = {}
            exec(compile(self.source, "<matcalc.compile>", "exec"), namespace)   # AST-built
        self._function = namespace["compiled"]
        self.shapes = [shape_of(r) for r in roots]
        single = len(roots) == 1
        self._single = None if not single else _finisher(self.shapes[0])
        self._quiet = not any(_may_warn(n) for root in roots for n in ast.postorder(root))

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        arguments = self._known_arguments(values)
        if arguments is None:
            arguments = self._arguments(values)
        try:
            if self._quiet:
                results = self._function(*arguments)
            else:
                with np.errstate(all="ignore"):     # log(0), 0/0: inf and nan, as evaluate
                    results = self._function(*arguments)
        except np.linalg.LinAlgError:
            raise EvaluationError("a matrix to invert or solve with is singular for these "
                                  "values") from None
        if not self._quiet:
            if not all(_finite(r) for r in results):   # name where it came from (slow path)
                warn_not_finite(self.roots, values, arguments[-1])
        if self._single is not None:
            return self._single(results[0])
        return tuple(_finisher(shape)(value) for value, shape in zip(results, self.shapes))

    def _known_arguments(self, values):
        """The arguments without checks when every value is a float64 array of exactly the
        shape the last checked call had (those checks passed for exactly these shapes);
        None otherwise, and the full check runs."""
        if self._last is None:
            return None
        arguments = []
        try:
            for name, shape, column in self._last:
                value = values[name]
                if shape is None:                      # a scalar given as a float
                    if type(value) is not float:
                        return None
                    arguments.append(np.float64(value))
                    continue
                if type(value) is not np.ndarray or value.dtype is not _FLOAT64 or \
                        value.shape != shape:
                    return None
                arguments.append(value if column is None else value.reshape(column))
        except KeyError:
            return None
        arguments.append(self._last_sizes)
        return arguments

    def _arguments(self, values):
        """Checked 2-D arguments and the sizes; remembers the shapes for the next call."""
        arrays, sizes = bind_dimensions(self.symbols, values)
        _complete_sizes(sizes, self.dimensions, self.extra_sizes, values)
        arguments = [arrays[s.name] if s.declared_shape else np.float64(arrays[s.name][0, 0])
                     for s in self.symbols]
        self._last = None
        if not any(s.symmetric for s in self.symbols):     # symmetry depends on the values
            plan = [_fast_path(values.get(s.name), a) for s, a in zip(self.symbols, arguments)]
            if all(p is not None for p in plan):
                self._last = [(s.name,) + p for s, p in zip(self.symbols, plan)]
                self._last_sizes = sizes
        return arguments + [sizes]

    _last = None              # [(name, shape of the value, 2-D shape or None)] last checked
    _last_sizes = None


_FLOAT64 = np.dtype(np.float64)


def _complete_sizes(sizes, dimensions, extra_sizes, values):
    """Add the sizes the code needs that the values' shapes did not fix, from the names'
    declarations (extra_sizes); an error names a size still unknown."""
    if extra_sizes is not None and any(d not in sizes for d in dimensions):
        for dim, size in extra_sizes(values).items():
            sizes.setdefault(dim, size)
    for dim in dimensions:
        if dim not in sizes:
            raise EvaluationError(f"the size {dim} is not fixed by any value given")

# operations that produce inf or nan from finite values (numpy warns on them; evaluate does
# not); sums and products of finite values warn only past 1e308, and then numpy says so
_WARNING_FREE = (ast.Symbol, ast.Number, ast.Identity, ast.Fill, ast.Add, ast.Neg, ast.Mul,
                 ast.Hadamard, ast.Transpose, ast.Unvec, ast.Commutation)   # and records' may_warn


def _may_warn(node):
    if isinstance(node, ast.ElemPower) or isinstance(node, ast.Power):
        return not (isinstance(node.exponent, ast.Number) and node.exponent.value > 0 and
                    node.exponent.value.denominator == 1)
    record = registry.of(node)
    if record is not None:
        return record.may_warn
    return not isinstance(node, _WARNING_FREE)


def _fast_path(value, argument):
    """(shape, reshape) with which a later value of the same kind becomes `argument` with
    no checks, or None when the value needs converting (lists, integers, 1 x 1 arrays)."""
    if type(value) is float and np.ndim(argument) == 0:
        return None, None
    if type(value) is not np.ndarray or value.dtype is not _FLOAT64:
        return None
    if value.shape == argument.shape:
        return value.shape, None
    if value.ndim == 1 and argument.ndim == 2:
        return value.shape, argument.shape
    return None


def _scalarize(value):
    return float(np.asarray(value).reshape(-1)[0]) if np.ndim(value) else float(value)


def _finisher(shape):
    """The conversion of a raw result to what evaluate returns for this shape."""
    if shape == ():
        return _scalarize
    if len(shape) == 1:
        return _flatten
    return np.asarray


def _flatten(value):
    return np.asarray(value).reshape(-1)


# ----------------------------------------------------------------- JAX, PyTorch, Dask

class LibraryCompiled:
    """A compiled expression on JAX, PyTorch or Dask: arrays of the library in and out.

    Values are checked by their shapes alone (nothing is copied to numpy): a tensor stays
    on its device, a dask array stays lazy. Numbers and numpy arrays are converted to the
    library's arrays (JAX keeps its default float width; enable jax_enable_x64 for
    float64). Results: a 0-d array for a scalar, 1-D for a column vector, else 2-D.
    """

    def __init__(self, roots, dialect, extra_sizes=None):
        self.roots, self.dialect, self.extra_sizes = roots, dialect, extra_sizes
        self.plan, generated = _generated(roots, dialect)
        self.source, self.symbols, self.dimensions = _parts(self.plan, generated)
        namespace = {"__name__": "matcalc_generated"}   # not importable: pickled by value
        exec(compile(self.source, f"<matcalc.compile {dialect.name}>", "exec"),
             namespace)                                             # AST-built code
        function = namespace["compiled"]
        self.shapes = [shape_of(r) for r in roots]
        if dialect.jit:
            self._function = dialect.jit(function, (len(self.symbols),))
            # the values' reshapes to columns and the results' to vectors run inside the
            # compiled program (free there); outside, each is a dispatch of its own
            shapes = self.shapes
            self._shaped = dialect.jit(
                lambda values, targets, sizes: tuple(
                    _library_finish(r, shape) for r, shape in zip(function(*(
                        v.reshape(t) for v, t in zip(values, targets)), sizes), shapes)),
                (1, 2))
        else:
            self._function = function

    _last = None          # (the values' types and shapes, their target shapes, sizes)

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        given, targets, sizes = self._known(values) or self._arguments(values)
        if self.dialect.jit:
            finished = self._shaped(tuple(given), targets, sizes)
        else:
            arguments = [v if tuple(v.shape) == t else v.reshape(t)
                         for v, t in zip(given, targets)]
            finished = tuple(_library_finish(value, shape) for value, shape in
                             zip(self._function(*arguments, sizes), self.shapes))
        return finished[0] if len(finished) == 1 else finished

    def _known(self, values):
        """The arguments without the checks when every value is a library array of the
        type and shape the last checked call had (the checks passed for exactly those)."""
        if self._last is None:
            return None
        kinds, targets, sizes = self._last
        given = []
        for symbol, kind in zip(self.symbols, kinds):
            value = values.get(symbol.name)
            if type(value) is not kind[0] or tuple(value.shape) != kind[1]:
                return None
            given.append(value)
        return given, targets, sizes

    def _arguments(self, values):
        for symbol in self.symbols:
            if symbol.name not in values:
                raise EvaluationError(f"no value given for '{symbol.name}'")
        library = [self.dialect.to_library(values[s.name]) for s in self.symbols]
        # the shapes are checked by the evaluate's binder on zero-cost stand-ins
        stand_ins = {s.name: np.broadcast_to(np.float64(0.0), tuple(v.shape))
                     for s, v in zip(self.symbols, library)}
        fitted, sizes = bind_dimensions(self.symbols, stand_ins)
        _complete_sizes(sizes, self.dimensions, self.extra_sizes, values)
        like = next((v for s, v in zip(self.symbols, library) if s.declared_shape), None)
        given, targets = [], []
        for symbol, value in zip(self.symbols, library):
            targets.append(tuple(fitted[symbol.name].shape) if symbol.declared_shape else ())
            if not symbol.declared_shape and like is not None and \
                    self.dialect.scalar_like is not None:
                value = self.dialect.scalar_like(value, like)
            given.append(value)
        sizes = _StaticSizes(sorted((str(k), v) for k, v in sizes.items()))
        targets = tuple(targets)
        if all(values[s.name] is v for s, v in zip(self.symbols, library)):
            self._last = ([(type(v), tuple(v.shape)) for v in library], targets, sizes)
        return given, targets, sizes


class _StaticSizes(tuple):
    """sizes['n'] for the generated code, hashable so that jax.jit can take it static."""

    def __getitem__(self, key):
        for name, value in tuple.__iter__(self):
            if name == key:
                return value
        raise KeyError(key)


def _library_finish(value, shape):
    if shape == ():
        return value.reshape(())
    if len(shape) == 1:
        return value.reshape(-1)
    return value
