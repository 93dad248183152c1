"""compile on JAX, PyTorch and Dask: the same numbers as evaluate, the libraries' idioms,
solves instead of inverses, and Dask's out-of-core pass on a real LocalCluster.

A backend that is not installed is skipped with the reason (pip install -e '.[jax]',
...); CI installs Dask, so the out-of-core path runs on every run.
"""

import importlib
import threading

import numpy as np
import pytest

import matcalc
from matcalc.evaluate import evaluate
from matcalc import ast
from matcalc.verify import draw, requirements, size_constants, symbol_table
from test_diff import IDENTITIES
from test_vecdiff import CASES as MATRIX_FORMS, SHAPES as MATRIX_FORM_SHAPES


def _available(backend):
    module = {"jax": "jax", "torch": "torch", "dask": "distributed", "numba": "numba"}[backend]
    try:
        importlib.import_module(module)
    except ImportError:
        return pytest.mark.skip(reason=f"{backend} is not installed "
                                       f"(pip install -e '.[{backend}]')")
    return []


BACKENDS = [pytest.param(b, marks=_available(b)) for b in ("numba", "jax", "torch", "dask")]
pytestmark = pytest.mark.usefixtures("float64_jax")      # compare with evaluate in float64


@pytest.fixture(scope="module")
def cluster():
    """A real dask.distributed LocalCluster (threads, in this process) and its client."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as local:
        with distributed.Client(local) as client:
            yield client


def _run(backend, expr, values, cluster=None, **options):
    f = matcalc.compile(expr, backend=backend, scheduler=cluster, **options)
    if backend == "dask":
        return f.compute(values)
    result = f(values)
    return [np.asarray(r) for r in result] if isinstance(result, tuple) else np.asarray(result)


def _values(expr, rng):
    """Values for the expression's names and for the names it was declared with (a
    derivative such as I(m*n) has no names of its own but X's sizes)."""
    node = ast.inline_where(expr.node)
    invertible, positive = requirements(node)
    symbols = {name: matcalc.ast.Symbol(name, shape)
               for name, shape in expr.declarations.shapes.items()}
    symbols.update(symbol_table(node))
    values, sizes = draw(symbols, rng, invertible, positive)
    return values, size_constants(sizes, node)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_identity_table_on_every_backend(backend, rng, request):
    client = request.getfixturevalue("cluster") if backend == "dask" else None
    for text, wrt, _, decls, _ in IDENTITIES:
        shapes = decls.get("shapes", decls if "symmetric" not in decls else {})
        loss = matcalc.parse(text, shapes=shapes, symmetric=decls.get("symmetric"))
        g = matcalc.diff(loss, wrt)
        values, sizes = _values(loss, rng)
        expected = evaluate(g.node, values, sizes)
        found = _run(backend, g, values, client)
        assert np.allclose(found, expected, rtol=1e-9, atol=1e-11), (backend, text, wrt)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matrix_forms_and_stationary_points_on_every_backend(backend, rng, request):
    client = request.getfixturevalue("cluster") if backend == "dask" else None
    exprs = [matcalc.diff(text, wrt, MATRIX_FORM_SHAPES) for _, text, wrt in MATRIX_FORMS[::4]]
    tall = {"X": (8, 3), "A": (8, 3), "C": (8, 8)}       # Gram matrices of full rank
    exprs += [matcalc.stationary_point(loss, wrt, shapes=tall) for loss, wrt in (
        ("(X*w - y)'*(X*w - y)", "w"), ("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w"),
        ("1/N*sum((Y - A*W).^2)", "W"), ("(X*w - y)'*C*(X*w - y)", "w"))]
    for e in exprs:
        values, sizes = _values(e, rng)
        if "C" in values:
            values["C"] = values["C"] @ values["C"].T + np.eye(len(values["C"]))
        expected = evaluate(ast.inline_where(e.node), values, sizes)
        found = _run(backend, e, values, client)
        assert np.allclose(found, expected, rtol=1e-8, atol=1e-10), (backend, str(e))


# ---------------------------------------------------------------- numba: one read of X

@pytest.mark.skipif(bool(_available("numba")), reason="numba is not installed "
                                                      "(pip install -e '.[numba]')")
def test_numba_reads_each_row_once_in_a_parallel_kernel(rng, monkeypatch):
    from matcalc.codegen import rowpass
    monkeypatch.setattr(rowpass, "BLOCK_BYTES", 8 * 4 * 16)     # past 16 rows: the kernel
    # every operation a row can hold: products with X, n-vectors, scalars, functions
    # (the logistic term's gradient is y .* sigmoid(...), which cannot overflow: exp(X*v)'s
    # can)
    loss = ("sum(log(1 + exp(-y .* (X*w)))) + sum(tanh(X*w) .* y) / N"
            " + sum(sigmoid(X*w + c) .* y.^2 ./ (2 + relu(X*v))) + lambda*norm2(w)^2"
            " + sum(exp(X*w) .* y)")
    g = matcalc.diff(loss, "w", shapes={"c": ()})     # c broadcasts: declared (SPEC 1)
    f = matcalc.compile(g, backend="numba")
    passes = f.plan.find("rowpass")
    assert passes and all(op.get("kernel") for op in passes)
    X, y = rng.normal(size=(1000, 4)), np.sign(rng.normal(size=1000))
    values = {"X": X, "y": y, "w": rng.normal(size=4), "v": rng.normal(size=4),
              "c": 0.3, "N": 7.0, "lambda": 0.2}
    assert np.allclose(f(values), g.evaluate(values), rtol=1e-10, atol=1e-12)
    small = {**values, "X": X[:10], "y": y[:10]}                  # one block: numpy's path
    assert np.allclose(f(small), g.evaluate(small), rtol=1e-10, atol=1e-12)
    # inf and nan as numpy gives them: exp overflows, nothing raises
    extreme = {**values, "w": np.full(4, 400.0)}
    with pytest.warns(matcalc.NumericWarning):
        found = f(extreme)
    with pytest.warns(matcalc.NumericWarning):
        expected = matcalc.compile(g)(extreme)
    assert np.array_equal(np.isnan(found), np.isnan(expected))


@pytest.mark.skipif(bool(_available("numba")), reason="numba is not installed "
                                                      "(pip install -e '.[numba]')")
@pytest.mark.parametrize("text", ["sum(exp(-2*X*w))", "sum((X*w).^3 - c*(X*w))"])
def test_numba_kernels_take_scalar_factors_of_x_times_w(text, rng, monkeypatch):
    """c*X*w inside the pass is c times the row's product (once a kernel that numba
    could not type: the scalar multiplied the whole X)."""
    from matcalc.codegen import rowpass
    monkeypatch.setattr(rowpass, "BLOCK_BYTES", 8 * 4 * 16)     # past 16 rows: the kernel
    g = matcalc.diff(text, "w")
    f = matcalc.compile(g, backend="numba")
    assert [op.get("kernel") for op in f.plan.find("rowpass")] == [True]
    values = {"X": rng.normal(size=(300, 4)), "w": rng.normal(size=4) / 4, "c": 0.7}
    assert np.allclose(f(values), g.evaluate(values), rtol=1e-10, atol=1e-12)


NUMBA_KERNEL_RUN = """
import json, sys
import numpy as np
import matcalc
from matcalc.codegen import rowpass
rowpass.BLOCK_BYTES = 8 * 4 * 16
g = matcalc.diff("sum(log(1 + exp(-y .* (X*w))))", "w")
f = matcalc.compile(g, backend="numba")
rng = np.random.default_rng(5)
values = {"X": rng.normal(size=(500, 4)), "y": np.sign(rng.normal(size=500)),
          "w": rng.normal(size=4)}
assert np.allclose(f(values), g.evaluate(values), rtol=1e-10)
kernel = f._function.__globals__["_rows0"]
print(json.dumps([len(kernel.stats.cache_hits), len(kernel.stats.cache_misses)]))
"""


@pytest.mark.skipif(bool(_available("numba")), reason="numba is not installed "
                                                      "(pip install -e '.[numba]')")
def test_numba_kernels_compile_once_for_every_process(tmp_path):
    import json
    import os
    import subprocess
    import sys
    env = dict(os.environ, MATCALC_CACHE_DIR=str(tmp_path))
    runs = [json.loads(subprocess.run([sys.executable, "-c", NUMBA_KERNEL_RUN], env=env,
                                      capture_output=True, text=True, check=True).stdout)
            for _ in range(2)]
    assert runs == [[0, 1], [1, 0]]            # compiled by the first, loaded by the second
    assert len(list(tmp_path.glob("kernels_*.py"))) == 1


def test_numba_without_a_writable_cache_runs_uncached(tmp_path, monkeypatch, rng):
    pytest.importorskip("numba", reason="numba is not installed")
    blocked = tmp_path / "a-file"
    blocked.write_text("")                      # the cache directory cannot be made here
    monkeypatch.setenv("MATCALC_CACHE_DIR", str(blocked / "cache"))
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    f = matcalc.compile(g, backend="numba")
    assert "cache=True" in f.source             # the text as a user would paste it
    X, y, w = rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=3)
    assert np.allclose(f(X=X, y=y, w=w), 2 * X.T @ (X @ w - y))
    assert not list(tmp_path.rglob("kernels_*.py"))   # nothing written, nothing raised


def test_a_missing_backend_names_its_extra(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_jax(name, *args, **kwargs):
        if name == "jax" or name.startswith("jax."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_jax)
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: no_jax(name) if name.startswith("jax") else
                        real_import(name))
    with pytest.raises(matcalc.MatcalcError, match=r"pip install -e '\.\[jax\]'"):
        matcalc.compile("x'*x", backend="jax")
    with pytest.raises(matcalc.MatcalcError, match="unknown backend"):
        matcalc.compile("x'*x", backend="fortran")


# ---------------------------------------------------------------- solving, not inverting

NORMAL = "(X*w - y)'*(X*w - y)"


@pytest.mark.parametrize("backend", ["numpy", "numba", "jax", "torch", "dask"])
@pytest.mark.parametrize("loss, wrt", [
    (NORMAL, "w"), ("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w"),
    ("(X*w - y)'*C*(X*w - y)", "w"), ("1/N*sum((Y - A*W).^2)", "W")])
def test_stationary_points_are_solves(backend, loss, wrt):
    if backend != "numpy" and _available(backend):
        pytest.skip(f"{backend} is not installed")
    solution = matcalc.stationary_point(loss, wrt)
    assert "inv(" in str(solution)
    plan = matcalc.compile(solution, backend=backend).plan
    assert not plan.find("function", name="inv")
    assert {"solve", "solve_sym", "solve_spd"} & set(plan.kinds())
    if loss == NORMAL:
        assert plan.find("solve_spd")                  # X'*X is a Gram matrix: Cholesky
    source = matcalc.compile(solution, backend=backend, source=True)
    assert source.startswith(f"# generated by matcalc for {backend}")
    compile(source, "<pasted>", "exec")                          # the text is a module


def test_ridge_with_a_symmetric_system_tries_cholesky(rng):
    solution = matcalc.stationary_point("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w")
    assert matcalc.compile(solution).plan.find("solve_sym")
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    f = matcalc.compile(solution)
    for lam in (0.5, -0.2):       # positive definite, then (likely) not: LU takes over
        expected = np.linalg.solve(X.T @ X + lam * np.eye(4), X.T @ y)
        assert np.allclose(f(X=X, y=y, **{"lambda": lam}), expected)


# ---------------------------------------------------------------- the libraries' idioms

def test_jax_functions_are_jitted_and_differentiable(rng):
    jax = pytest.importorskip("jax", reason="jax is not installed")
    import jax.numpy as jnp
    g = matcalc.diff(NORMAL, "w")
    f = matcalc.compile(g, backend="jax")
    X, y, w = (jnp.asarray(rng.normal(size=s)) for s in ((20, 3), (20,), (3,)))
    value = f(X=X, y=y, w=w)
    assert isinstance(value, jax.Array) and value.shape == (3,)
    loss = matcalc.compile(NORMAL, backend="jax")
    # the compiled loss is a pure function: JAX's own gradient of it is matcalc's gradient
    theirs = jax.grad(lambda v: loss(X=X, y=y, w=v))(w)
    assert np.allclose(theirs, value)


def test_torch_keeps_tensors_and_their_dtype(rng):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    g = matcalc.diff("sum(log(1 + exp(-y .* (X*w)))) + lambda*norm2(w)^2", "w")
    f = matcalc.compile(g, backend="torch")
    X = torch.tensor(rng.normal(size=(40, 3)), dtype=torch.float32)
    y = torch.tensor(np.sign(rng.normal(size=40)), dtype=torch.float32)
    w = torch.tensor(rng.normal(size=3), dtype=torch.float32, requires_grad=True)
    value = f(X=X, y=y, w=w, **{"lambda": 0.1})
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float32
    assert value.device == X.device and value.shape == (3,)
    loss = matcalc.compile("sum(log(1 + exp(-y .* (X*w)))) + lambda*norm2(w)^2",
                           backend="torch")(X=X, y=y, w=w, **{"lambda": 0.1})
    loss.backward()                           # autograd through the generated code agrees
    assert torch.allclose(w.grad, value, atol=1e-5)


def test_dask_stays_lazy_until_computed(cluster, rng):
    da = pytest.importorskip("dask.array")
    g = matcalc.diff(NORMAL, "w")
    f = matcalc.compile(g, backend="dask", scheduler=cluster)
    X = da.from_array(rng.normal(size=(1000, 4)), chunks=(100, 4))
    y = da.from_array(rng.normal(size=1000), chunks=100)
    w = rng.normal(size=4)
    lazy = f(X=X, y=y, w=w)
    assert isinstance(lazy, da.Array)
    expected = 2 * X.compute().T @ (X.compute() @ w - y.compute())
    assert np.allclose(f.compute(X=X, y=y, w=w), expected)
    assert np.allclose(lazy.compute(scheduler="sync"), expected)


# ---------------------------------------------------------------- out of core

_READS, _READS_LOCK = {}, threading.Lock()


def _load(path):
    """One chunk from disk, counted (the workers run in this process)."""
    with _READS_LOCK:
        _READS[path] = _READS.get(path, 0) + 1
    return np.load(path)


class _CountedChunks:
    """A tall matrix stored chunk by chunk on disk (.npy files), read through _load."""

    def __init__(self, directory, rng, rows, cols, chunk):
        self.paths, self.data = [], []
        for k, start in enumerate(range(0, rows, chunk)):
            block = rng.normal(size=(min(chunk, rows - start), cols))
            path = str(directory / f"X{k}.npy")
            np.save(path, block)
            self.paths.append(path)
            self.data.append(block)

    @property
    def reads(self):
        return {p: _READS.get(p, 0) for p in self.paths}

    def array(self):
        import dask
        import dask.array as da
        return da.concatenate([da.from_delayed(dask.delayed(_load)(p), shape=b.shape,
                                               dtype=float)
                               for p, b in zip(self.paths, self.data)])


def test_out_of_core_normal_equation_reads_each_chunk_once(cluster, rng, tmp_path):
    pytest.importorskip("dask.array")
    chunks = _CountedChunks(tmp_path, rng, rows=20_000, cols=6, chunk=2_500)
    X = chunks.array()
    X_all = np.vstack(chunks.data)
    y = X_all @ rng.normal(size=6) + 0.1 * rng.normal(size=len(X_all))
    solution = matcalc.stationary_point(NORMAL, "w")
    f = matcalc.compile(solution, backend="dask", scheduler=cluster)
    import dask.array as da
    found = f.compute(X=X, y=da.from_array(y, chunks=2_500))
    assert np.allclose(found, np.linalg.lstsq(X_all, y, rcond=None)[0], rtol=1e-10)
    assert sorted(chunks.reads.values()) == [1] * len(chunks.paths)    # one pass over X


def test_gradient_with_given_data_on_dask(cluster, rng):
    da = pytest.importorskip("dask.array")
    X = da.from_array(rng.normal(size=(2_000, 5)), chunks=(500, 5))
    y = da.from_array(rng.normal(size=2_000), chunks=500)
    g = matcalc.diff(NORMAL, "w")
    f = matcalc.compile(g, backend="dask", given={"X": X, "y": y}, scheduler=cluster)
    w = rng.normal(size=5)
    Xn, yn = X.compute(), y.compute()
    assert np.allclose(f.compute(w=w), 2 * Xn.T @ (Xn @ w - yn))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b.values[0] in ("jax", "torch")])
def test_given_values_are_stored_on_the_backend(backend, rng):
    g = matcalc.diff(NORMAL, "w")
    X, y, w = rng.normal(size=(50, 4)), rng.normal(size=50), rng.normal(size=4)
    as_library = (importlib.import_module("jax.numpy").asarray if backend == "jax"
                  else importlib.import_module("torch").as_tensor)
    f = matcalc.compile(g, backend=backend, given={"X": as_library(X), "y": as_library(y)})
    # per call only a d x d product: X'*X and X'*y were computed once, by the library
    assert sorted(f.precomputed.values()) == ["-2*X'*y", "X'*X"]
    assert set(f.stored) == {"#0", "#1"}
    assert all(type(v).__module__.split(".")[0] in ("jax", "jaxlib", "torch")
               for v in f.stored.values())
    assert np.allclose(np.asarray(f(w=as_library(w))), 2 * X.T @ (X @ w - y))


# ---------------------------------------------------------------- transposed, scaled operands

TRANSPOSED_SCALED = [
    # X' column-scaled by a trailing diag (once dropped as X'*B on every backend)
    ("X'*diag(v)*diag(u)*B", None, {"X": (5, 3), "v": (5,), "u": (5,), "B": (5, 4)}),
    # its Jacobian X*C'*B'*diag(1 - tanh(...).^2) is a chain whose last operand B' is
    # column-scaled (once dropped by JAX's chain, which marks transposes)
    ("tanh(B*C*X'*x)", "x", {"B": (4, 3), "C": (3, 5), "X": (6, 5), "x": (6,)}),
    ("X'*diag(v)*A*B*diag(u)", None, {"X": (5, 3), "v": (5,), "A": (5, 4), "B": (4, 6),
                                      "u": (6,)}),
]


@pytest.mark.parametrize("backend", ["numpy"] + BACKENDS)
@pytest.mark.parametrize("text, wrt, shapes", TRANSPOSED_SCALED,
                         ids=[c[0] for c in TRANSPOSED_SCALED])
def test_transposed_operands_keep_their_scaling(backend, text, wrt, shapes, rng, request):
    client = request.getfixturevalue("cluster") if backend == "dask" else None
    expr = matcalc.parse(text, shapes=shapes)
    if wrt is not None:
        expr = matcalc.diff(expr, wrt)
    values = {name: rng.normal(size=shape) for name, shape in shapes.items()}
    expected = expr.evaluate(values)
    assert np.allclose(_run(backend, expr, values, client), expected, rtol=1e-9, atol=1e-11)


def test_a_scaled_transpose_is_not_a_transpose():
    plan = matcalc.compile("X'*diag(v)*diag(u)*B").plan
    assert plan.kinds() == ["transpose", "scale_columns", "scale_rows", "matmul"]
