"""The array libraries compiled code runs on, one `Dialect` each: the only place they differ.

A dialect is a table of operation templates, the source of the helpers they use, and the
fields in which libraries differ (docs/backends.md: numpy, numba, JAX, PyTorch, Dask).
"""

import importlib
from typing import Callable, NamedTuple, Optional

import numpy as np

from ..errors import MatcalcError
from ..evaluate import commutation_matrix


class Dialect(NamedTuple):
    name: str
    namespace: str          # the name the generated code gives the library's numpy-like API
    modules: tuple          # what must import for the backend to work
    header: str             # the generated module's imports
    ops: dict               # operation -> template over {0}, {1}, ... and named fields
    helpers: dict           # helper name -> its source, or a function pasted by its source
                            # (included when the code uses it)
    blocked: bool = False   # the one-pass blocked gradient (numpy)
    jit: Optional[Callable] = None   # jit(function, static_argnums): compiled whole (JAX)
    marks_transposes: bool = False   # chains get A' as _T(A) (the library's A'*B is slow)
    kernels: bool = False   # the one-pass gradient as a parallel numba kernel (numba)
    numpy_values: bool = False       # numpy arrays in and out, checked by evaluate's binder
    lazy: bool = False      # results are lazy (Dask): `compute` runs them on a cluster
    to_library: Optional[Callable] = None   # a value -> the library's array
    scalar_like: Optional[Callable] = None  # (a scalar's array, an array) -> the scalar in
                                            # the array's dtype and on its device
    like_fallback: str = ""  # code of an array to make constants like, when no argument is


# ----------------------------------------------------------------- code from a function's record

class _Code:
    """Code text that numpy-like operations extend: a function's record, written once as
    array(xp, u) over a numpy-like namespace, run on `_Namespace("jnp")` and `_Code("t1")`
    gives its code for JAX: jnp.exp(-jnp.logaddexp(0.0, -t1))."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def _binary(op, reflected=False):
        def method(self, other):
            left, right = (_text(other), self.text) if reflected else (self.text, _text(other))
            return _Code(f"({left} {op} {right})")
        return method

    __add__, __radd__ = _binary("+"), _binary("+", True)
    __sub__, __rsub__ = _binary("-"), _binary("-", True)
    __mul__, __rmul__ = _binary("*"), _binary("*", True)
    __truediv__, __rtruediv__ = _binary("/"), _binary("/", True)
    __pow__ = _binary("**")

    def __neg__(self):
        return _Code(f"(-{self.text})")

    def __abs__(self):
        return _Code(f"abs({self.text})")


def _text(value):
    return value.text if isinstance(value, _Code) else repr(value)


class _Namespace:
    """xp.f(...), xp.linalg.f(...) -> the code of that call in the library named `prefix`."""

    def __init__(self, prefix):
        self.prefix = prefix

    def __getattr__(self, name):
        return _Namespace(f"{self.prefix}.{name}")

    def __call__(self, *args):
        return _Code(f"{self.prefix}({', '.join(map(_text, args))})")


def spelling(record, dialect, kernel=False, scalar=False):
    """The code template (over {0}, {1}) of a registered function in a dialect: for
    scalar arguments its scalar form; else the dialect's operation for it, the record's
    override for the backend, or its `array` written in the dialect's namespace (np.sum({0}),
    jnp.linalg.det({0}); np inside numba kernels, which work on scalars)."""
    prefix = "np" if kernel else dialect.namespace
    arguments = [_Code("{%d}" % i) for i in range(record.arity)]
    if scalar and record.scalar is not None:
        return _text(record.scalar(_Namespace(prefix), *arguments))
    if record.code in dialect.ops:
        return dialect.ops[record.code]
    if not kernel and dialect.name in record.backends:
        return record.backends[dialect.name]
    text = record.array(_Namespace(prefix), *arguments).text
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _ops(namespace, **overrides):
    """The operations spelled as numpy spells them, in `namespace`, then the overrides (the
    functions with a record, np.sum({0}) and the like, are spelled from it by `spelling`)."""
    ops = {"square": "xp.square({0})", "power": "xp.power({0}, {1})", "eye": "xp.eye({0})",
           "full": "xp.full(({0}, {1}), {2})", "zeros": "xp.zeros(({0}, {1}))",
           "solve": "xp.linalg.solve({0}, {1})", "solve_sym": "_solve_sym({0}, {1})",
           "solve_spd": "_solve_sym({0}, {1})", "logdet": "_logdet({0})",
           "matrix_power": "xp.linalg.matrix_power({0}, {1})",
           "chain": "xp.linalg.multi_dot([{0}])", "tmatmul": "({0}.T @ {1})",
           "diagflat": "xp.diagflat({0})", "diag_of": "xp.diag({0}).reshape(-1, 1)",
           "softmax": "_softmax({0})", "logsumexp": "_logsumexp({0})",
           "commutation": "commutation_matrix({0}, {1})", "scalarize": "{0}.reshape(())"}
    ops = {**{k: v.replace("xp.", namespace + ".") for k, v in ops.items()}, **overrides}
    ops.setdefault("weighted_gram", ops["tmatmul"].format("{0}", "({1} * {0})"))  # A'*(v.*A)
    return ops


# ----------------------------------------------------------------- numpy

_NUMPY_HELPERS = {
    "_scalarize": '''
def _scalarize(x):
    return np.float64(np.asarray(x).reshape(-1)[0])''',
    "_logdet": '''
def _logdet(a):
    sign, value = np.linalg.slogdet(a)
    return np.float64(value) if sign > 0 else np.float64(np.nan)''',
    "_softmax": '''
def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)''',
    "_logsumexp": '''
def _logsumexp(x):
    top = np.max(x)
    if not np.isfinite(top):
        return np.float64(top)
    return np.float64(top + np.log(np.sum(np.exp(x - top))))''',
    "commutation_matrix": commutation_matrix,           # evaluate's own, by its source
    "_weighted_gram": '''
def _weighted_gram(a, v):
    # a' * diag(v) * a: with v >= 0 it is z' * z for z = sqrt(v) .* a, which BLAS does as a
    # symmetric rank-k update (half the flops, an exactly symmetric result)
    if v.size and v.min() >= 0:
        z = np.sqrt(v) * a
        return z.T @ z
    return a.T @ (v * a)''',
    "_solve_sym": '''
def _solve_sym(a, b):
    # a symmetric a: Cholesky when it is positive definite, else LU
    try:
        from scipy.linalg import cho_factor, cho_solve
        return cho_solve(cho_factor(a), b)
    except ImportError:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.solve(a, b)''',
}

NUMPY = Dialect(
    name="numpy", namespace="np", modules=("numpy",), header="import numpy as np",
    ops=_ops("np", diag_of="np.diag({0}).reshape(-1, 1).copy()", scalarize="_scalarize({0})",
             weighted_gram="_weighted_gram({0}, {1})"),
    helpers=_NUMPY_HELPERS, blocked=True, numpy_values=True)
NUMBA = NUMPY._replace(name="numba", modules=("numpy", "numba"),
                       header=NUMPY.header + "\nimport numba as _numba", kernels=True)

# the fewest-flops order of a product chain: specialize.py costs products with it, and the
# JAX and Dask _chain helpers run its source (numpy's multi_dot orders the same way)
def chain_order(p):
    """The matrix-chain dynamic program for operands of sizes p[i] x p[i + 1]: (cost, split),
    cost[i][j] the fewest multiply-adds of the product of operands i..j, split[i][j] where
    it splits in two."""
    k = len(p) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][m] + cost[m + 1][j] + p[i] * p[m + 1] * p[j + 1], m)
                for m in range(i, j))
    return cost, split


# ----------------------------------------------------------------- JAX

def _jax_array(value):
    import jax.numpy as jnp
    return jnp.asarray(value)


def _jax_jit(function, static_argnums):
    import jax
    return jax.jit(function, static_argnums=static_argnums)


JAX = Dialect(
    name="jax", namespace="jnp", modules=("jax",),
    header="import numpy as np\nimport jax\nimport jax.numpy as jnp\nimport jax.scipy as jsp",
    ops=_ops("jnp", solve_sym="jnp.linalg.solve({0}, {1})",
             solve_spd="jsp.linalg.cho_solve(jsp.linalg.cho_factor({0}), {1})",
             chain="_chain([{0}])", tmatmul="jnp.einsum('ij,ik->jk', {0}, {1})",
             softmax="jax.nn.softmax({0}, axis=0)", logsumexp="jsp.special.logsumexp({0})",
             commutation="jnp.asarray(commutation_matrix({0}, {1}))"),
    helpers={"commutation_matrix": _NUMPY_HELPERS["commutation_matrix"], "_logdet": '''
def _logdet(a):
    sign, value = jnp.linalg.slogdet(a)
    return jnp.where(sign > 0, value, jnp.nan)''',
             "_T": '''
class _T:
    # an operand that stands for x' (XLA on the CPU is slow at x.T @ y, fast at the same
    # product written as a contraction over x's rows)
    def __init__(self, x):
        self.x = x
        self.shape = x.shape[::-1]''',
             "chain_order": chain_order,
             "_chain": '''
def _chain(operands):
    # the fewest-flops order for the operands' sizes (known when jit traces), each product
    # a contraction that never forms a transpose
    def product(a, b):
        if isinstance(a, _T) and isinstance(b, _T):
            return jnp.einsum("ji,kj->ik", a.x, b.x)
        if isinstance(a, _T):
            return jnp.einsum("ji,jk->ik", a.x, b)
        if isinstance(b, _T):
            return jnp.einsum("ij,kj->ik", a, b.x)
        return a @ b
    split = chain_order([operands[0].shape[0]] + [a.shape[1] for a in operands])[1]

    def ordered(i, j):
        if i == j:
            return operands[i]
        return product(ordered(i, split[i][j]), ordered(split[i][j] + 1, j))
    result = ordered(0, len(operands) - 1)
    return result.x.T if isinstance(result, _T) else result'''},
    jit=_jax_jit, marks_transposes=True, to_library=_jax_array)

# ----------------------------------------------------------------- PyTorch

_LIKE = "dtype=_like.dtype, device=_like.device"


def _torch_tensor(value):
    import torch
    return value if isinstance(value, torch.Tensor) else \
        torch.as_tensor(np.asarray(value, dtype=float))


def _torch_like(value, like):
    return value.to(dtype=like.dtype, device=like.device)


TORCH = Dialect(
    name="torch", namespace="torch", modules=("torch",), header="import numpy as np\nimport torch",
    ops=_ops("torch", power="torch.pow({0}, {1})", eye=f"torch.eye({{0}}, {_LIKE})",
             full=f"torch.full(({{0}}, {{1}}), {{2}}, {_LIKE})",
             zeros=f"torch.zeros(({{0}}, {{1}}), {_LIKE})",
             kron="_kron({0}, {1})",
             diagflat="torch.diag({0}.reshape(-1))",
             diag_of="torch.diagonal({0}).reshape(-1, 1)",
             softmax="torch.softmax({0}, dim=0)",
             logsumexp="torch.logsumexp({0}.reshape(-1), 0)",
             commutation=f"torch.as_tensor(commutation_matrix({{0}}, {{1}}), {_LIKE})"),
    helpers={"commutation_matrix": _NUMPY_HELPERS["commutation_matrix"], "_kron": '''
def _kron(a, b):
    # a solve's (n, 1) result has strides (1, n): "contiguous", yet torch.kron cannot view it;
    # a flat reshape gives the standard strides
    return torch.kron(a.reshape(-1).reshape(a.shape), b.reshape(-1).reshape(b.shape))''',
             "_logdet": '''
def _logdet(a):
    sign, value = torch.linalg.slogdet(a)
    return torch.where(sign > 0, value, torch.full_like(value, float("nan")))''',
             "_solve_sym": '''
def _solve_sym(a, b):
    # a symmetric a: Cholesky when it is positive definite, else LU
    factor, info = torch.linalg.cholesky_ex(a)
    if int(info) == 0:
        return torch.cholesky_solve(b, factor)
    return torch.linalg.solve(a, b)'''},
    to_library=_torch_tensor, scalar_like=_torch_like,
    like_fallback="torch.zeros((), dtype=torch.float64)")

# ----------------------------------------------------------------- Dask

def _dask_array(value):
    import dask.array as da
    return value if isinstance(value, da.Array) else da.asarray(np.asarray(value, dtype=float))


_DASK_SMALL = '''
def _small(function, result, *arrays):
    # a small square system in one chunk, solved (or inverted) there, lazily; kept in the
    # arrays' own graph, so that what they share (the chunks of X) is computed once.
    # result: the shape of the answer is that of the "first" or "last" array, or "scalar"
    shape = () if result == "scalar" else arrays[0 if result == "first" else -1].shape
    arrays = [a.rechunk(-1) for a in arrays]
    if shape == ():
        return da.map_blocks(lambda *blocks: np.reshape(function(*blocks), (1, 1)), *arrays,
                             chunks=((1,), (1,)), dtype=float).reshape(())
    return da.map_blocks(function, *arrays, chunks=tuple((size,) for size in shape),
                         dtype=float)'''

DASK = Dialect(
    name="dask", namespace="da", modules=("dask.array",),
    header="import numpy as np\nimport dask.array as da",
    ops=_ops("da", det="_small(np.linalg.det, 'scalar', {0})",
             logdet="_small(_logdet, 'scalar', {0})",
             inv="_small(np.linalg.inv, 'first', {0})",
             solve="_small(np.linalg.solve, 'last', {0}, {1})",
             solve_sym="_small(_solve_sym, 'last', {0}, {1})",
             solve_spd="_small(_solve_sym, 'last', {0}, {1})",
             matrix_power="_matrix_power({0}, {1})", kron="_kron({0}, {1})",
             chain="_chain([{0}])", diagflat="da.diag({0}.reshape(-1))",
             commutation="da.from_array(commutation_matrix({0}, {1}))"),
    # numpy's own _logdet and _solve_sym run inside _small, on one chunk's numpy block
    helpers={**{name: _NUMPY_HELPERS[name]
                for name in ("commutation_matrix", "_logdet", "_solve_sym")},
             "_softmax": _NUMPY_HELPERS["_softmax"].replace("np.", "da."),
             "_small": _DASK_SMALL, "chain_order": chain_order,
             "_chain": '''
def _chain(operands):
    # the fewest-flops order for the operands' sizes, as numpy's multi_dot chooses it
    split = chain_order([operands[0].shape[0]] + [a.shape[1] for a in operands])[1]

    def product(i, j):
        if i == j:
            return operands[i]
        m = split[i][j]
        return product(i, m) @ product(m + 1, j)
    return product(0, len(operands) - 1)''',
             "_kron": '''
def _kron(a, b):
    (m, n), (p, q) = a.shape, b.shape
    return da.einsum("ij,kl->ikjl", a, b).reshape(m * p, n * q)''',
             "_matrix_power": '''
def _matrix_power(a, k):
    result, base = None, a
    while k:
        if k & 1:
            result = base if result is None else result @ base
        base, k = base @ base, k >> 1
    return result''',
             "_logsumexp": '''
def _logsumexp(x):
    top = da.max(x)
    return top + da.log(da.sum(da.exp(x - top)))'''},
    lazy=True, to_library=_dask_array)

DIALECTS = {d.name: d for d in (NUMPY, NUMBA, JAX, TORCH, DASK)}


def dialect(name):
    """The dialect of a backend, checking that its library can be imported."""
    if name not in DIALECTS:
        raise MatcalcError(f"unknown backend {name!r}; backends: {', '.join(DIALECTS)}")
    found = DIALECTS[name]
    for module in found.modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MatcalcError(f"the {name} backend needs {module.split('.')[0]}: "
                               f"pip install -e '.[{name}]' in matcalc's checkout") from None
    return found
