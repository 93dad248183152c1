"""Compiled functions: values checked, the generated code called, results finished.

`Compiled` runs numpy code (numpy, numba): values go through evaluate's binder, so errors
read the same, and a call with float64 arrays of the last call's shapes skips the checks.
`LibraryCompiled` runs JAX, PyTorch or Dask code on the library's arrays, checking only
their shapes; `DaskCompiled` also computes its lazy results on a dask.distributed cluster.
"""

import math

import numpy as np

from .. import ast, registry
from ..errors import EvaluationError, MatcalcError
from ..evaluate import bind_dimensions, finisher, warn_not_finite
from ..shapes import shape_of
from . import kernelcache
from .emit import module
from .plan import build

_FLOAT64 = np.dtype(np.float64)


def _finite(value):
    return math.isfinite(value) if type(value) is float or type(value) is np.float64 \
        else bool(np.isfinite(value).all())


class _Generated:
    """The plan of the roots, its module in the dialect, and the module's `_function`;
    extra_sizes(values) gives the sizes the names' declarations fix."""

    def __init__(self, roots, dialect, extra_sizes):
        self.roots, self.dialect, self.extra_sizes = roots, dialect, extra_sizes
        self.plan = build(roots, rowpass=dialect.blocked, kernels=dialect.kernels)
        self.source, self.dimensions, kernels = module(self.plan, dialect)
        self.symbols = list(self.plan.arguments)
        self.shapes = [shape_of(r) for r in roots]
        if kernels:
            namespace = kernelcache.load(self.source)       # numba caches what it compiles
        else:
            namespace = {"__name__": "matcalc_generated"}   # not importable: pickled by value
            exec(compile(self.source, f"<matcalc.compile {dialect.name}>", "exec"),
                 namespace)                                             # AST-built code
        self._function = namespace["compiled"]

    def _bind(self, values, checked):
        """The arrays and all the sizes the code needs, from the `checked` values (numpy
        arrays or stand-ins) and, for what they leave open, the declarations."""
        declared = self.extra_sizes
        arrays, sizes = bind_dimensions(self.symbols, checked,
                                        known=declared and (lambda: declared(values)))
        _complete_sizes(sizes, self.dimensions, declared, values)
        return arrays, sizes


class Compiled(_Generated):
    """A compiled expression: call with a mapping or keywords; `.source` shows the code."""

    def __init__(self, roots, dialect, extra_sizes=None):
        super().__init__(roots, dialect, extra_sizes)
        self._single = finisher(self.shapes[0]) if len(roots) == 1 else None
        self._quiet = not any(_may_warn(n) for root in roots for n in ast.postorder(root))

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        arguments = self._known_arguments(values) or self._arguments(values)
        try:
            if self._quiet:
                results = self._function(*arguments)
            else:
                with np.errstate(all="ignore"):     # log(0), 0/0: inf and nan, as evaluate
                    results = self._function(*arguments)
        except np.linalg.LinAlgError:
            raise EvaluationError("a matrix to invert or solve with is singular for these "
                                  "values") from None
        except MemoryError as error:
            raise EvaluationError(f"the values do not fit in memory ({error})") from None
        if not self._quiet and not all(_finite(r) for r in results):
            warn_not_finite(self.roots, values, arguments[-1])   # names where (slow path)
        if self._single is not None:
            return self._single(results[0])
        return tuple(finisher(shape)(value) for value, shape in zip(results, self.shapes))

    def _known_arguments(self, values):
        """The arguments unchecked if every value is a float64 array of the last checked
        call's shape (the checks passed for exactly these), else None."""
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
        arrays, sizes = self._bind(values, values)
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


def _complete_sizes(sizes, dimensions, extra_sizes, values):
    """Add the sizes the values did not fix from the declarations; name one still unknown."""
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


# ----------------------------------------------------------------- JAX, PyTorch, Dask

class LibraryCompiled(_Generated):
    """A compiled expression on JAX, PyTorch or Dask: the library's arrays in and out, a
    0-d array for a scalar, 1-D for a column. Values are checked by their shapes alone: a
    tensor stays on its device, a dask array lazy (JAX keeps its default float width)."""

    def __init__(self, roots, dialect, extra_sizes=None):
        super().__init__(roots, dialect, extra_sizes)
        function, shapes, to_library = self._function, self.shapes, dialect.to_library

        def shaped(values, targets, sizes):
            """The results of the values reshaped to their targets, finished; under JAX
            one compiled program (the reshapes are free there, a dispatch each outside)."""
            arguments = [v if tuple(v.shape) == t else v.reshape(t)
                         for v, t in zip(values, targets)]
            results = function(*arguments, sizes)
            return tuple(_library_finish(r if hasattr(r, "reshape") else to_library(r), shape)
                         for r, shape in zip(results, shapes))     # a constant: a float
        self._shaped = shaped if dialect.jit is None else dialect.jit(shaped, (1, 2))

    _last = None          # (the values' types and shapes, their target shapes, sizes)

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        given, targets, sizes = self._known(values) or self._arguments(values)
        finished = self._shaped(given, targets, sizes)
        return finished[0] if len(finished) == 1 else finished

    def _known(self, values):
        """The arguments unchecked if every value has the last checked call's type and shape."""
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
        library = [_to_library(self.dialect, s.name, values[s.name]) for s in self.symbols]
        # the shapes are checked by the evaluate's binder on zero-cost stand-ins
        stand_ins = {s.name: stand_in(v) for s, v in zip(self.symbols, library)}
        fitted, sizes = self._bind(values, stand_ins)
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


def _to_library(dialect, name, value):
    """The value as the library's array; numbers and numpy arrays go through float64 first
    (a reversed view, a list), and what is no array of numbers (None, text, a masked array)
    is an EvaluationError, as evaluate says it, not the library's own exception."""
    if value is None:
        raise EvaluationError(f"the value of '{name}' is None")
    if isinstance(value, np.ma.MaskedArray):
        raise EvaluationError(f"the value of '{name}' is a masked array; fill it first")
    if not hasattr(value, "shape") or isinstance(value, np.ndarray):
        try:
            value = np.ascontiguousarray(value, dtype=float)
        except (TypeError, ValueError):
            raise EvaluationError(f"the value of '{name}' is not a number or an array of "
                                  f"numbers: {type(value).__name__}") from None
        if value.ndim == 0:
            value = float(value)
    return dialect.to_library(value)


def stand_in(value):
    """A numpy array of the value's shape that costs nothing (only the shape is read)."""
    shape = value.shape if hasattr(value, "shape") else np.shape(value)
    return np.broadcast_to(np.float64(0.0), tuple(shape))


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


# ----------------------------------------------------------------- Dask on a cluster

_local = {}          # the clients this process started, by address or "local"


class DaskCompiled(LibraryCompiled):
    """A compiled function on Dask: `f(values)` is lazy, `f.compute(values)` numbers (for a
    tall X in row chunks, X'*(X*w - y) reads each chunk once, never holding X in memory)."""

    def __init__(self, roots, dialect, extra_sizes=None, scheduler=None):
        super().__init__(roots, dialect, extra_sizes)
        self.scheduler = scheduler

    def compute(self, values=None, progress=False, **kwargs):
        """The results as numpy values (a float for a scalar, 1-D for a column), computed
        together (shared chunks read once); `progress=True` shows a progress bar."""
        lazy = self(values, **kwargs)
        client = self.client()
        futures = client.compute(list(lazy if isinstance(lazy, tuple) else (lazy,)))
        if progress:
            from distributed import progress as show_progress
            show_progress(futures)
        results = tuple(finisher(shape)(value)
                        for value, shape in zip(client.gather(futures), self.shapes))
        return results[0] if len(results) == 1 else results

    def client(self):
        """The client of `scheduler` (an address such as "tcp://10.0.0.5:8786", or a
        distributed.Client), else the current one, else a local cluster's, started once."""
        try:
            from distributed import Client, LocalCluster, get_client
        except ImportError:
            raise MatcalcError("computing on a Dask cluster needs dask.distributed: "
                               "pip install -e '.[dask]' in matcalc's checkout") from None
        if isinstance(self.scheduler, Client):
            return self.scheduler
        if isinstance(self.scheduler, str):
            key = ("address", self.scheduler)
            if key not in _local:
                _local[key] = Client(self.scheduler)
            return _local[key]
        if self.scheduler is not None:
            raise MatcalcError("scheduler must be an address such as 'tcp://host:8786', "
                               "a distributed.Client, or None")
        try:
            return get_client()
        except ValueError:
            pass
        if "local" not in _local:
            cluster = LocalCluster(processes=False, dashboard_address=None)
            _local["local"] = (cluster, Client(cluster))
        return _local["local"][1]
