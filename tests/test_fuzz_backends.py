"""Fuzz family 2, backends: compiled code on every installed backend gives the numbers
Expr.evaluate gives, for random expressions over the whole language (tests/fuzzing.py) and
for random row-wise losses on tall data, with and without `given=`.

- Small data: an expression and its derivative by one of its variables, compiled together
  (so they share work), then again with a random subset of their names given.
- Tall data: X'*g(X*w, X*v, y, a, b) with g acting row by row, or the gradient of
  sum(g(...)) by w, on an X of TALL_ROWS x TALL_COLUMNS (5 MB, more than one 4 MB block: the
  numpy backend runs its blocked row pass, numba its parallel kernel), then with X and y,
  or other names, given.
JAX runs in float64 here (jax_enable_x64), so every backend is held to one tolerance.
"""

import importlib
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from fuzzing import (DECLS, ROW_DECLS, VARIABLES, cases, draw_values, known_refusals,
                     row_passes)
from strategies import examples

BACKENDS = ("numpy", "numba", "jax", "torch", "dask")
FUZZ = os.environ.get("MATCALC_FUZZ_EXAMPLES")
# an example costs a compile: JAX's jit takes ~0.1 s, Dask's graph ~0.03 s and numba's kernel
# for tall data ~1 s, so these run fewer examples in `make test` (all run the same number,
# MATCALC_FUZZ_EXAMPLES, in `make fuzz`)
EXAMPLES = {"numpy": 200, "numba": 200, "jax": 60, "torch": 200, "dask": 100}
TALL_EXAMPLES = {"numpy": 50, "numba": 4, "jax": 20, "torch": 30, "dask": 30}
TALL_ROWS, TALL_COLUMNS = 20_000, 32
RTOL = 1e-7
pytestmark = pytest.mark.usefixtures("float64_jax")


def _installed(backend):
    try:
        importlib.import_module({"dask": "dask.array"}.get(backend, backend))
    except ImportError:
        return False
    return True


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _run(f, values, backend):
    """The compiled function's results as numpy values (Dask's computed)."""
    results = _quiet(f, values)
    results = results if isinstance(results, tuple) else (results,)
    if backend == "dask":
        import dask
        results = dask.compute(*results, scheduler="threads")
    return [np.asarray(r, dtype=float) for r in results]


def _agree(found, expected, what):
    for k, (got, want) in enumerate(zip(found, expected)):
        want = np.asarray(want, dtype=float)
        assert got.shape == want.shape, (what, k, got.shape, want.shape)
        size = np.max(np.abs(want), initial=0.0)
        error = np.max(np.abs(got - want), initial=0.0)
        assert error <= RTOL * size + 1e-12, (what, k, f"error {error:.3g} of {size:.3g}",
                                              got, want)


def _subset(names, mask):
    return [n for k, n in enumerate(names) if mask >> k & 1]


def _compare(exprs, values, backend, mask, what):
    """Compiled against evaluate: with all names (an even mask), or with the names that the
    mask's other bits pick given (an odd one; they may be all or none)."""
    expected = [_quiet(e.evaluate, values) for e in exprs]
    if not all(np.all(np.isfinite(v)) for v in expected):
        return
    fixed = {}
    if mask & 1:
        names = [s.name for s in matcalc.compile(*exprs).symbols]
        fixed = {n: values[n] for n in _subset(names, mask >> 1)}
    f = matcalc.compile(*exprs, backend=backend, given=fixed or None)
    rest = {n: v for n, v in values.items() if n not in fixed}
    _agree(_run(f, rest, backend), expected, f"{what} on {backend}, given {sorted(fixed)}")


def _small(backend, case, seed, pick, mask):
    e = matcalc.parse(case.text, DECLS)
    names = [v for v in VARIABLES if v in e.symbols()] or list(VARIABLES)
    g = matcalc.diff(e, names[pick % len(names)])
    values = draw_values(np.random.default_rng(seed))
    with known_refusals(case.text):
        _compare([e, g], values, backend, mask, f"{case.text} and {g}")


_TALL = {}


def _tall_data():
    """One X and y for the module: X*w has entries of about unit size for a normal w."""
    if not _TALL:
        rng = np.random.default_rng(21)
        _TALL["X"] = rng.normal(size=(TALL_ROWS, TALL_COLUMNS)) / np.sqrt(TALL_COLUMNS)
        _TALL["y"] = rng.normal(size=TALL_ROWS)
    return _TALL


def _tall(backend, text, seed, mask):
    e = matcalc.parse(text, ROW_DECLS)
    target = matcalc.diff(e, "w") if text.startswith("sum(") else e
    rng = np.random.default_rng(seed)
    values = dict(_tall_data(), w=rng.normal(size=TALL_COLUMNS),
                  v=rng.normal(size=TALL_COLUMNS), a=float(rng.uniform(-1.5, 1.5)),
                  b=float(rng.uniform(-1.5, 1.5)))
    _compare([target], values, backend, mask, f"{text}: {target}")


# make fuzz's cap: each tall example compiles a numba kernel of its own (~1 s)
FUZZ_CAP = {"numba": 1000}


def _per_backend(body, counts, caps=None, **strategies):
    """A maker of one test of `body` per backend, each with its own number of examples
    (hypothesis settings hold for a whole parametrized test)."""
    def make(backend):
        fuzz = min(int(FUZZ), (caps or {}).get(backend, int(FUZZ))) if FUZZ else None
        @pytest.mark.slow
        @pytest.mark.skipif(not _installed(backend), reason=f"{backend} is not installed")
        @settings(max_examples=examples(fuzz or counts[backend]))
        @given(**strategies)
        def test(**drawn):
            body(backend, **drawn)
        return test
    return make


_small_test = _per_backend(_small, EXAMPLES, case=cases(), seed=st.integers(0, 2**32 - 1),
                           pick=st.integers(0, 99), mask=st.integers(0, 2**11 - 1))
_tall_test = _per_backend(_tall, TALL_EXAMPLES, FUZZ_CAP, text=row_passes(),
                          seed=st.integers(0, 2**32 - 1), mask=st.integers(0, 2**7 - 1))
test_small_data_on_numpy = _small_test("numpy")
test_small_data_on_numba = _small_test("numba")
test_small_data_on_jax = _small_test("jax")
test_small_data_on_torch = _small_test("torch")
test_small_data_on_dask = _small_test("dask")
test_tall_data_on_numpy = _tall_test("numpy")
test_tall_data_on_numba = _tall_test("numba")
test_tall_data_on_jax = _tall_test("jax")
test_tall_data_on_torch = _tall_test("torch")
test_tall_data_on_dask = _tall_test("dask")
