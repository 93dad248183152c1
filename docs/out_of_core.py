"""Least squares on a table several times larger than the memory the cluster may use.

    .venv/bin/python docs/out_of_core.py [rows]

Writes X (rows x 50 float64; 20,000,000 rows by default, 7.5 GiB) to a temporary directory
as .npy files of 100,000 rows, with y = X*beta + noise, never holding X in memory. It then
solves the normal equation with matcalc's Dask backend on a local cluster of two worker
processes limited to 1 GiB each, one pass over the chunks, with a progress bar. Finally it
checks the answer twice: against beta, and on a sample that fits in memory (the first
chunk), against numpy.linalg.lstsq.
"""

import sys
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np

import matcalc

COLS, CHUNK = 50, 100_000


def write_table(directory, rows, rng):
    """X and y in .npy chunks on disk, written chunk by chunk; the chunks' files."""
    beta = rng.normal(size=COLS)
    x_paths, y_paths = [], []
    for k, start in enumerate(range(0, rows, CHUNK)):
        block = rng.normal(size=(min(CHUNK, rows - start), COLS))
        x_paths.append(str(Path(directory) / f"X{k:05d}.npy"))
        y_paths.append(str(Path(directory) / f"y{k:05d}.npy"))
        np.save(x_paths[-1], block)
        np.save(y_paths[-1], block @ beta + 0.01 * rng.normal(size=len(block)))
    return x_paths, y_paths, beta


def from_disk(paths, columns=None):
    """A dask array whose row chunks are .npy files, each read by a worker when needed."""
    chunks = []
    for path in paths:
        rows = np.load(path, mmap_mode="r").shape[0]          # the header only
        shape = (rows, columns) if columns else (rows,)
        chunks.append(da.from_delayed(dask.delayed(np.load)(path), shape=shape, dtype=float))
    return da.concatenate(chunks)


def main(rows=20_000_000):
    rng = np.random.default_rng(2026)
    solution = matcalc.stationary_point("(X*w - y)'*(X*w - y)", "w")
    print(f"w = {solution}  (compiled for Dask: a Cholesky solve of X'*X, X'*y)")
    with tempfile.TemporaryDirectory(dir=".") as directory:
        start = time.perf_counter()
        x_paths, y_paths, beta = write_table(directory, rows, rng)
        table = rows * COLS * 8 / 2**30
        print(f"X: {rows:,} x {COLS} float64 = {table:.2f} GiB in {len(x_paths)} .npy files "
              f"({time.perf_counter() - start:.0f} s to write)")
        X, y = from_disk(x_paths, COLS), from_disk(y_paths)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      memory_limit="1GiB", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            print(f"cluster: 2 workers x 1 GiB = 2 GiB, {table / 2:.1f} times smaller than X")
            f = matcalc.compile(solution, backend="dask", scheduler=client)
            start = time.perf_counter()
            w = f.compute(X=X, y=y, progress=True)
            seconds = time.perf_counter() - start
            print(f"\nsolved in {seconds:.1f} s ({table / seconds:.2f} GiB/s read); "
                  f"max |w - beta| = {np.max(np.abs(w - beta)):.1e}")
            ours = f.compute(X=from_disk(x_paths[:2], COLS), y=from_disk(y_paths[:2]))
            sample, sample_y = np.vstack([np.load(p) for p in x_paths[:2]]), \
                np.concatenate([np.load(p) for p in y_paths[:2]])
            theirs = np.linalg.lstsq(sample, sample_y, rcond=None)[0]
            print(f"on a sample that fits in memory ({len(sample):,} rows, two chunks): max "
                  f"relative difference from numpy.linalg.lstsq "
                  f"{np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)):.1e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000)
