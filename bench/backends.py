"""Compiled code on JAX, PyTorch and Dask against each framework's own autodiff and solvers.

Every line is measured in one interleaved run: each round times every contender once, in an
order rotated every round and reversed every other round, and the report gives the median
and the spread (min to max) of the per-round ratios. float64 throughout (JAX with jax_enable_x64).

1. Least-squares gradient 2*X'*(X*w - y), X 100,000 x 100 (80 MB): matcalc on numpy, numba,
   JAX and PyTorch against jax.jit(jax.grad(loss)) and torch.func.grad(loss), and against one
   read of X (X @ w, the least any gradient must do).
2. Logistic Hessian-vector product (n = 20,000, d = 200): matcalc's derivative along v
   (diff(gradient, w, direction="v")) against forward-over-reverse in each framework,
   jax.jvp(jax.grad(f)) under jit and torch.func.jvp(torch.func.grad(f)).
3. The normal equation out of core: X 4,000,000 x 50 (1.5 GiB) stored as .npy chunks on
   disk, read by Dask on a LocalCluster of two workers of 400 MiB each: matcalc (one pass,
   X'*X and X'*y, then a 50 x 50 Cholesky solve) against dask.array.linalg.lstsq
   (tall-and-skinny QR); and, with a chunk in memory, matcalc's numpy code against
   numpy.linalg.lstsq.

    .venv/bin/python bench/backends.py      (make bench installs JAX; torch==2.13.0 and
                                             dask[distributed] are installed by make bench)
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from common import side_by_side, table  # noqa: E402

ROUNDS = 7          # the out-of-core case: about 27 s a round
FAST_ROUNDS = 15    # the in-memory cases, where this machine's noise needs more rounds
LOSS = "(X*w - y)'*(X*w - y)"
LOGISTIC = "sum(log(1 + exp(-y .* (X*w))))"


def rounds(functions, sample=0.05, count=ROUNDS):
    """Per-round times of each function (`count` interleaved rounds).

    The order changes every round, rotated and on odd rounds reversed, so that no contender
    always runs first, or always right after another library whose threads are still
    winding down (OpenBLAS, PyTorch and numba keep theirs spinning for a while)."""
    per_round = []
    for r in range(count):
        order = list(range(len(functions)))
        order = order[r % len(order):] + order[:r % len(order)]
        if r % 2:
            order.reverse()
        times = side_by_side([functions[i] for i in order], rounds=1, sample=sample)
        per_round.append([times[order.index(i)] for i in range(len(functions))])
    return list(zip(*per_round))


def ratio_text(mine, theirs):
    ratios = [a / b for a, b in zip(mine, theirs)]
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def gradient_case(rng):
    import jax
    import jax.numpy as jnp
    import torch
    n, d = 100_000, 100
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    g = matcalc.diff(LOSS, "w")
    ours = {b: matcalc.compile(g, backend=b) for b in ("numpy", "numba", "jax", "torch")}
    started = time.perf_counter()
    first = ours["numba"](X=X, y=y, w=w)                 # numba compiles on the first call
    numba_compile = time.perf_counter() - started
    Xj, yj, wj = jnp.asarray(X), jnp.asarray(y), jnp.asarray(w)
    jax_grad = jax.jit(jax.grad(lambda v: jnp.sum((Xj @ v - yj) ** 2)))
    Xt, yt, wt = (torch.as_tensor(a) for a in (X, y, w))
    torch_grad = torch.func.grad(lambda v: torch.sum((Xt @ v - yt) ** 2))
    checks = [np.asarray(ours["jax"](X=Xj, y=yj, w=wj)), np.asarray(jax_grad(wj)),
              ours["torch"](X=Xt, y=yt, w=wt).numpy(), torch_grad(wt).numpy(),
              first, ours["numpy"](X=X, y=y, w=w)]
    assert all(np.allclose(c, checks[-1]) for c in checks)
    times = rounds([
        lambda: ours["numpy"](X=X, y=y, w=w),
        lambda: X @ w,
        lambda: ours["jax"](X=Xj, y=yj, w=wj).block_until_ready(),
        lambda: jax_grad(wj).block_until_ready(),
        lambda: ours["torch"](X=Xt, y=yt, w=wt),
        lambda: torch_grad(wt),
        lambda: ours["numba"](X=X, y=y, w=w),
    ], count=FAST_ROUNDS)
    mib = X.nbytes / 2**20
    rows = [
        ("numpy: matcalc / one read of X (X @ w)", ratio_text(times[0], times[1]),
         f"{statistics.median(times[0]) * 1e3:.1f} ms, "
         f"{mib / 1024 / statistics.median(times[0]):.1f} GiB/s over X"),
        ("numba: matcalc / one read of X (X @ w)", ratio_text(times[6], times[1]),
         f"{statistics.median(times[6]) * 1e3:.1f} ms, "
         f"{mib / 1024 / statistics.median(times[6]):.1f} GiB/s over X; "
         f"first call {numba_compile:.1f} s (compiling)"),
        ("JAX: matcalc / jax.jit(jax.grad)", ratio_text(times[2], times[3]),
         f"{statistics.median(times[2]) * 1e3:.1f} vs {statistics.median(times[3]) * 1e3:.1f} ms"),
        ("PyTorch: matcalc / torch.func.grad", ratio_text(times[4], times[5]),
         f"{statistics.median(times[4]) * 1e3:.1f} vs {statistics.median(times[5]) * 1e3:.1f} ms"),
    ]
    return rows


def hvp_case(rng):
    import jax
    import jax.numpy as jnp
    import torch
    n, d = 20_000, 200
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    y, w, v = np.sign(rng.normal(size=n)), rng.normal(size=d), rng.normal(size=d)
    g = matcalc.diff(LOGISTIC, "w")
    along = matcalc.diff(g, "w", direction="v")
    ours = {b: matcalc.compile(along, backend=b) for b in ("numpy", "numba", "jax", "torch")}
    Xj, yj, wj, vj = (jnp.asarray(a) for a in (X, y, w, v))

    def f_jax(u):
        return jnp.sum(jnp.logaddexp(0.0, -yj * (Xj @ u)))
    jax_hvp = jax.jit(lambda u, t: jax.jvp(jax.grad(f_jax), (u,), (t,))[1])
    Xt, yt, wt, vt = (torch.as_tensor(a) for a in (X, y, w, v))

    def f_torch(u):
        return torch.sum(torch.nn.functional.softplus(-yt * (Xt @ u)))

    def torch_hvp(u, t):
        return torch.func.jvp(torch.func.grad(f_torch), (u,), (t,))[1]
    reference = ours["numpy"](X=X, y=y, w=w, v=v)
    assert np.allclose(np.asarray(jax_hvp(wj, vj)), reference)
    assert np.allclose(torch_hvp(wt, vt).numpy(), reference)
    assert np.allclose(np.asarray(ours["jax"](X=Xj, y=yj, w=wj, v=vj)), reference)
    assert np.allclose(ours["numba"](X=X, y=y, w=w, v=v), reference)      # compiled here
    times = rounds([
        lambda: ours["jax"](X=Xj, y=yj, w=wj, v=vj).block_until_ready(),
        lambda: jax_hvp(wj, vj).block_until_ready(),
        lambda: ours["torch"](X=Xt, y=yt, w=wt, v=vt),
        lambda: torch_hvp(wt, vt),
        lambda: ours["numpy"](X=X, y=y, w=w, v=v),
        lambda: ours["numba"](X=X, y=y, w=w, v=v),
    ], count=FAST_ROUNDS)
    return [
        ("JAX: matcalc / jit(jvp(grad))", ratio_text(times[0], times[1]),
         f"{statistics.median(times[0]) * 1e3:.2f} vs {statistics.median(times[1]) * 1e3:.2f} ms"),
        ("PyTorch: matcalc / torch.func.jvp(grad)", ratio_text(times[2], times[3]),
         f"{statistics.median(times[2]) * 1e3:.2f} vs {statistics.median(times[3]) * 1e3:.2f} ms"),
        ("numpy: matcalc (for scale)", "-", f"{statistics.median(times[4]) * 1e3:.2f} ms"),
        ("numba: matcalc (for scale)", "-", f"{statistics.median(times[5]) * 1e3:.2f} ms"),
    ]


def chunked_from_disk(paths, chunk, cols):
    """A dask array whose row chunks are .npy files, each read by a worker when needed."""
    import dask
    import dask.array as da
    return da.concatenate([da.from_delayed(dask.delayed(np.load)(p), shape=(chunk, cols),
                                           dtype=float) for p in paths])


def out_of_core_case(rng, rows=4_000_000, cols=50, chunk=50_000, limit="400MiB"):
    import dask.array as da
    import distributed
    solution = matcalc.stationary_point(LOSS, "w")
    with tempfile.TemporaryDirectory() as directory:
        beta = rng.normal(size=cols)
        paths, y_paths = [], []
        for start in range(0, rows, chunk):      # written chunk by chunk: never all in memory
            block = rng.normal(size=(min(chunk, rows - start), cols))
            paths.append(str(Path(directory) / f"X{start // chunk}.npy"))
            y_paths.append(str(Path(directory) / f"y{start // chunk}.npy"))
            np.save(paths[-1], block)
            np.save(y_paths[-1], (block @ beta + 0.1 * rng.normal(size=len(block)))[:, None])
        X = chunked_from_disk(paths, chunk, cols)
        y = chunked_from_disk(y_paths, chunk, 1)
        with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                      memory_limit=limit, dashboard_address=None) as lc, \
                distributed.Client(lc) as client:
            f = matcalc.compile(solution, backend="dask", scheduler=client)
            ours = f.compute(X=X, y=y)
            theirs = client.compute(da.linalg.lstsq(X, y)[0]).result()
            assert np.allclose(ours, theirs.reshape(-1), rtol=1e-8)
            times = rounds([lambda: f.compute(X=X, y=y),
                            lambda: client.compute(da.linalg.lstsq(X, y)[0]).result()],
                           sample=0.0)
        in_memory = np.load(paths[0])
        f_np = matcalc.compile(solution)
        y0 = np.load(y_paths[0]).reshape(-1)
        assert np.allclose(f_np(X=in_memory, y=y0), np.linalg.lstsq(in_memory, y0, rcond=None)[0])
        memory = rounds([lambda: f_np(X=in_memory, y=y0),
                         lambda: np.linalg.lstsq(in_memory, y0, rcond=None)], count=FAST_ROUNDS)
    gib = rows * cols * 8 / 2**30
    return [
        (f"Dask, X {rows:,} x {cols} on disk ({gib:.2f} GiB, workers 2 x {limit}): "
         "matcalc / dask.array.linalg.lstsq", ratio_text(times[0], times[1]),
         f"{statistics.median(times[0]):.2f} vs {statistics.median(times[1]):.2f} s"),
        (f"numpy, X {chunk:,} x {cols} in memory: matcalc / numpy.linalg.lstsq",
         ratio_text(memory[0], memory[1]),
         f"{statistics.median(memory[0]) * 1e3:.1f} vs {statistics.median(memory[1]) * 1e3:.1f} ms"),
    ]


def run():
    import jax
    jax.config.update("jax_enable_x64", True)
    import torch
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    # numba's kernels compile into a fresh cache: the first call measured is a compile
    with tempfile.TemporaryDirectory() as cache:
        before = os.environ.get("MATCALC_CACHE_DIR")
        os.environ["MATCALC_CACHE_DIR"] = cache
        try:
            rows = gradient_case(rng) + hvp_case(rng)
        finally:
            os.environ.pop("MATCALC_CACHE_DIR")
            if before is not None:
                os.environ["MATCALC_CACHE_DIR"] = before
    rows += out_of_core_case(rng)
    report = table(("case", "time ratio, median of rounds (spread)", "times"), rows)
    return report + (f"\n\n{FAST_ROUNDS} interleaved rounds for the in-memory lines, {ROUNDS} "
                     f"for the out-of-core one; JAX {jax.__version__}, PyTorch "
                     f"{torch.__version__}, Dask {__import__('dask').__version__}; "
                     f"{time.perf_counter() - started:.0f} s in all.\n")


if __name__ == "__main__":
    print(run())
