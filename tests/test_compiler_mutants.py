"""Mutation test of the compiler: each rewrite of the compiled plan, disabled or perturbed in
turn (tests/mutants.py), makes a check here fail, and without a mutant every check passes.

The checks are grouped by the rewrite they exercise. A value check compiles an expression on
each installed backend and compares the numbers with `evaluate` (or with a reference written
here, where evaluate's left-to-right products would overflow); a structure check asks the
plan or the source for the rewrite itself, so that a rewrite turned off (right numbers, lost
speed) is seen too. Data are sized to trigger each rewrite: X with 1,001 rows over blocks of
64 (the last one partial) for the row pass and the numba kernel, sizes where the fewest-flops
order of a chain is not left to right, square factors where a misordered product still runs.
A mutant runs only its rewrite's checks, on the backends it can change, and stops at the
first failure: the whole file takes seconds.
"""

import importlib
from typing import Callable, NamedTuple, Optional

import numpy as np
import pytest

import matcalc
from matcalc.codegen import rowpass
from mutants import ALL, MUTANTS, apply

SHAPES = {"A": ("d", "d"), "B": ("d", "d"), "C": ("d", "d"), "W": ("d", "m"),
          "X": ("n", "d"), "Y": ("n", "d"), "b": ("d",), "u": ("d",), "v": ("d",),
          "w": ("d",), "x": ("d",), "s": ("n",), "t": ("n",), "y": ("n",), "c": (),
          "lambda": ()}
SIZES = {"d": 4, "m": 10, "n": 20}
TALL = {"d": 4, "m": 10, "n": 1001}      # past 15 blocks of 64 rows, the last one partial
SMALL_BLOCKS = 8 * 4 * 16                # rowpass.BLOCK_BYTES giving its least step, 64 rows
RTOL, ATOL = 1e-7, 1e-9


class Check(NamedTuple):
    text: str
    wrt: Optional[str] = None             # check diff(text, wrt)
    given: tuple = ()                     # names given at compile time
    backends: tuple = ALL
    sizes: dict = SIZES
    blocks: bool = False                  # the row pass in blocks of 64 rows
    values: Optional[Callable] = None     # rng -> values (else drawn by name)
    reference: Optional[Callable] = None  # values -> the expected value (else evaluate)
    structure: Optional[Callable] = None  # compiled function -> True when the rewrite is there


def _draw(names, sizes, rng):
    """Square A, B, C invertible and not symmetric; s positive weights, t mixed."""
    values = {}
    for name in names:
        shape = tuple(sizes[d] for d in SHAPES.get(name, ()))
        if name in ("A", "B", "C"):
            values[name] = 2 * np.eye(shape[0]) + 0.3 * rng.normal(size=shape)
        elif name == "s":
            values[name] = rng.uniform(0.2, 2.0, size=shape)
        elif not shape:
            values[name] = float(rng.uniform(0.5, 1.5))
        else:
            values[name] = rng.normal(size=shape)
    return values


def _kinds(*wanted, absent=()):
    def structure(f):
        kinds = f.plan.kinds()
        return all(k in kinds for k in wanted) and not any(k in kinds for k in absent)
    return structure


# ----------------------------------------------------------------- values that need care

def _overflowing_chain(rng):
    """A*B*x with A*B past 1e308 and B*x small: only the fewest-flops order, A*(B*x),
    stays finite (evaluate, left to right, gives inf)."""
    big = 1e160 * rng.uniform(0.5, 1.5, size=(2, 40, 40))
    return {"A": big[0], "B": big[1], "x": 1e-160 * rng.uniform(0.5, 1.5, size=40)}


def _indefinite_ridge(rng):
    """X'*X + lambda*I symmetric, nonsingular, not positive definite: Cholesky fails."""
    q, _ = np.linalg.qr(rng.normal(size=(20, 4)))
    return {"X": q * np.sqrt([10.0, 20.0, 40.0, 50.0]), "y": rng.normal(size=20),
            "b": rng.normal(size=4), "lambda": -30.0}


def _long_sum(k, signs):
    return "".join(f" {signs[i % len(signs)]} c{i}*x" for i in range(k)).lstrip(" +")


LONG = 80                   # past MAX_OPERANDS + 1 = 65 terms: split once
LONG_SHAPES = {**{f"c{i}": () for i in range(LONG)}, "x": ("d",)}
DEEP = 260                  # nested solves past Python's parser limit of 200 parentheses
DEEP_SHAPES = {**{f"A{i}": ("d", "d") for i in range(DEEP)}, "x": ("d",)}


def _near_one(names):
    def values(rng):
        drawn = {name: float(rng.uniform(0.9, 1.1)) for name in names if name.startswith("c")}
        drawn.update({name: 2 * np.eye(4) + 0.3 * rng.normal(size=(4, 4))
                      for name in names if name.startswith("A")})
        return {**drawn, "x": rng.normal(size=4)}
    return values


LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"
LEAST_SQUARES = "(X*w - y)'*(X*w - y)"
# one pass whose kernel holds a folded negative literal (log(0.5)), a negated scaling
# (-2*X*w), a difference, a product of the row with w and the sum over rows
KERNEL = "X'*(exp(log(0.5)*(X*w)) - y .* tanh(-2*X*w))"


def _kernel_is_used(f):
    return [op.get("kernel") for op in f.plan.find("rowpass")] == [True]


# ----------------------------------------------------------------- the corpus, by rewrite

CHECKS = {
    "transpose": [
        Check("A'*B"), Check("A' + B"), Check("A'*B*C"), Check("A*B*C'"), Check("A'*B'*W"),
        Check("X'*diag(s)*diag(t)*Y"), Check("tanh(A*B*X'*y)", wrt="y"),
        Check("A'*B*C", backends=("jax",),
              structure=lambda f: "_T(a0)" in f.source),          # A' marked, not A.T
    ],
    "scaling": [
        Check("diag(v)*A*x"), Check("A*diag(v)*x"), Check("A*B*diag(v)*C"),
        Check("diag(v)*diag(u)*A"), Check("u*v'"), Check("A*diag(v)"), Check("A*B*diag(v)"),
        Check("X'*diag(s)*diag(t)*Y"),
        Check("diag(s)*X*w", structure=_kinds("scale_rows", absent=("diag",))),
        Check("A*diag(v)", structure=_kinds("scale_columns", absent=("diag",))),
    ],
    "gram": [
        Check("X'*diag(s)*X"), Check("X'*diag(t)*X"), Check("X'*diag(s)*Y"),
        Check("X'*diag(s)*X", backends=("numpy",), structure=_kinds("weighted_gram")),
    ],
    "solve": [
        Check("inv(A)*B"), Check("B*inv(A)*C"), Check("inv(A)*inv(B)*x"),
        Check("inv(X'*X)*X'*y"), Check("inv(X'*X + lambda*I)*X'*y"),
        Check("inv(X'*X + lambda*I)*X'*y", values=_indefinite_ridge),
        Check("inv(X'*X - 30*I)*b", values=_indefinite_ridge),
        Check("inv(A)*B", backends=("numpy",), structure=_kinds("solve")),
        Check("inv(X'*X)*X'*y", backends=("numpy",), structure=_kinds("solve_spd")),
        Check("inv(X'*X + lambda*I)*b", backends=("numpy",), structure=_kinds("solve_sym")),
        Check("inv(X'*X - 30*I)*b", backends=("numpy",),
              structure=_kinds("solve_sym", absent=("solve_spd",))),
    ],
    "power": [Check("A^3*x"), Check("B*A^2*C"), Check("A^-2*x"), Check("A^2")],
    "chain": [
        Check("A*B*C"), Check("A*B*C*x"), Check("x'*A*B*u"),
        Check("A*B*x", sizes={"d": 40}, values=_overflowing_chain,
              reference=lambda v: v["A"] @ (v["B"] @ v["x"])),
        Check("A*B*C*x", backends=("numpy",), structure=_kinds("chain")),
    ],
    "rowpass": [
        Check(LOGISTIC, wrt="w", backends=("numpy",), sizes=TALL, blocks=True),
        Check(LEAST_SQUARES, wrt="w", backends=("numpy",), sizes=TALL, blocks=True),
        Check("-X'*tanh(X*w)", backends=("numpy",), sizes=TALL, blocks=True),
        Check("2*X'*tanh(X*w - y)", backends=("numpy",), sizes=TALL, blocks=True),
        Check(LOGISTIC, wrt="w", backends=("numpy",)),                  # within one block
        Check(LOGISTIC, wrt="w", backends=("numpy",), structure=_kinds("rowpass")),
    ],
    "kernel": [
        Check(KERNEL, backends=("numba",), sizes=TALL, blocks=True),
        Check(LOGISTIC, wrt="w", backends=("numba",), sizes=TALL, blocks=True),
        Check(KERNEL, backends=("numba",), structure=_kernel_is_used),
    ],
    "given": [
        Check(LEAST_SQUARES, wrt="w", given=("X", "y"), sizes={"d": 4, "n": 200}),
        Check("B*C*x", given=("B", "C")), Check("A'*A*w + B'*B*v", given=("A", "B")),
        Check("w - A'*b", given=("A", "b")), Check(LOGISTIC, wrt="w", given=("X", "y")),
        Check(LEAST_SQUARES, wrt="w", given=("X", "y"), backends=("numpy",),
              sizes={"d": 4, "n": 200}, structure=lambda f: f.form == "expanded" and
              sorted(f.precomputed.values()) == ["-2*X'*y", "X'*X"]),
    ],
    "literal": [Check("log(0.5)*x"), Check("exp(2)*x"), Check("x + log(0.5)*u")],
    "sign": [Check("-2*x"), Check("A*(-B)*x"), Check("x - 0.5*u"), Check("-(A*x)")],
    "split": [
        Check(_long_sum(LONG, "+-"), values=_near_one(LONG_SHAPES)),
        Check(_long_sum(LONG, "+"), values=_near_one(LONG_SHAPES)),
        Check("-" + "*".join(f"c{i}" for i in range(LONG)) + "*x",
              values=_near_one(LONG_SHAPES)),
        Check("*".join(f"inv(A{i})" for i in range(DEEP)) + "*x", backends=("numpy",),
              values=_near_one(DEEP_SHAPES)),
    ],
}


# ----------------------------------------------------------------- running a check

def _installed(backend):
    try:
        matcalc.codegen.dialect(backend)
    except matcalc.MatcalcError:
        return False
    return True


INSTALLED = [b for b in ALL if _installed(b)]
QUICKEST_FIRST = ["numpy", "torch", "dask", "numba", "jax"]


def _numba_threads():
    return importlib.import_module("numba").get_num_threads() if "numba" in INSTALLED else 0


@pytest.fixture(autouse=True, scope="module")
def kept_kernels(request):
    """numba kernels kept in pytest's cache between runs (.pytest_cache): each mutant of
    the kernel compiles its own (about a second) on the first run only."""
    cache = getattr(request.config, "cache", None)
    if cache is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MATCALC_CACHE_DIR", str(cache.mkdir("matcalc-kernels")))
        yield


@pytest.fixture(autouse=True, scope="module")
def float64_jax():
    """JAX in float64, as evaluate computes (and as the overflowing chain needs)."""
    if "jax" not in INSTALLED:
        yield
        return
    import jax
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def _expression(check):
    shapes = {**SHAPES, **LONG_SHAPES, **DEEP_SHAPES}
    expr = matcalc.parse(check.text, shapes=shapes)
    return matcalc.diff(expr, check.wrt) if check.wrt else expr


def failure(check, backend, rng):
    """What goes wrong with the check on the backend, or None when it passes."""
    try:
        expr = _expression(check)
        names = expr.symbols()
        values = check.values(rng) if check.values else _draw(names, check.sizes, rng)
        given = {name: values[name] for name in check.given}
        with pytest.MonkeyPatch.context() as patch:
            if check.blocks:
                patch.setattr(rowpass, "BLOCK_BYTES", SMALL_BLOCKS)
            f = matcalc.compile(expr, backend=backend, given=given or None)
            if check.structure is not None:
                return None if check.structure(f) else "the rewrite is not in the plan"
            found = f({n: v for n, v in values.items() if n in names and n not in given})
        found = np.asarray(found.compute() if hasattr(found, "compute") else found,
                           dtype=float)
        expected = np.asarray(check.reference(values) if check.reference else
                              expr.evaluate(values), dtype=float)
    except Exception as error:                   # a crash kills a mutant as well
        return f"{type(error).__name__}: {str(error)[:200]}"
    if found.shape != expected.shape:
        return f"shape {found.shape}, not {expected.shape}"
    if np.allclose(found, expected, rtol=RTOL, atol=ATOL):
        return None
    return f"wrong numbers: max error {np.max(np.abs(found - expected)):.3g}"


def first_failure(rewrite, backends):
    """(check, backend, what went wrong) of the first of the rewrite's checks to fail,
    trying the backends in turn (the quickest to compile first)."""
    for backend in sorted(backends, key=QUICKEST_FIRST.index):
        for check in CHECKS[rewrite]:
            if backend in check.backends:
                problem = failure(check, backend, np.random.default_rng(21))
                if problem is not None:
                    return check, backend, problem
    return None


# ----------------------------------------------------------------- the tests

@pytest.mark.parametrize("rewrite", sorted(CHECKS))
def test_without_a_mutant_every_check_passes(rewrite):
    found = first_failure(rewrite, INSTALLED)
    assert found is None, found


def test_every_mutant_has_checks_and_every_rewrite_a_mutant():
    assert {m.rewrite for m in MUTANTS} == set(CHECKS)
    for mutant in MUTANTS:
        assert any(set(check.backends) & set(mutant.backends)
                   for check in CHECKS[mutant.rewrite]), mutant.name


@pytest.mark.filterwarnings("ignore")            # mutants overflow, take sqrt of c < 0, ...
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_mutant_is_killed(mutant, monkeypatch):
    backends = [b for b in INSTALLED if b in mutant.backends]
    if not backends:
        pytest.skip(f"{mutant.name} changes {', '.join(mutant.backends)}: none installed")
    if mutant.needs_threads > 1 and _numba_threads() < mutant.needs_threads:
        pytest.skip(f"{mutant.name} shows with {mutant.needs_threads} numba threads")
    apply(mutant, monkeypatch)
    assert first_failure(mutant.rewrite, backends) is not None, \
        f"{mutant.name} ({mutant.perturbs}) survived every {mutant.rewrite} check"
