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
    """X in .npy chunks on disk, and y (rows floats, small enough to keep)."""
    beta = rng.normal(size=COLS)
    paths, ys = [], []
    for k, start in enumerate(range(0, rows, CHUNK)):
        block = rng.normal(size=(min(CHUNK, rows - start), COLS))
        paths.append(str(Path(directory) / f"X{k:05d}.npy"))
        np.save(paths[-1], block)
        ys.append(block @ beta + 0.01 * rng.normal(size=len(block)))
    return paths, np.concatenate(ys), beta


def from_disk(paths, rows):
    """A dask array whose row chunks are the .npy files, each read by a worker."""
    sizes = [min(CHUNK, rows - start) for start in range(0, rows, CHUNK)]
    return da.concatenate([da.from_delayed(dask.delayed(np.load)(path), shape=(size, COLS),
                                           dtype=float) for path, size in zip(paths, sizes)])


def main(rows=20_000_000):
    rng = np.random.default_rng(2026)
    solution = matcalc.stationary_point("(X*w - y)'*(X*w - y)", "w")
    print(f"w = {solution}  (compiled for Dask: a Cholesky solve of X'*X, X'*y)")
    with tempfile.TemporaryDirectory(dir=".") as directory:
        start = time.perf_counter()
        paths, y, beta = write_table(directory, rows, rng)
        table = rows * COLS * 8 / 2**30
        print(f"X: {rows:,} x {COLS} float64 = {table:.2f} GiB in {len(paths)} .npy files "
              f"({time.perf_counter() - start:.0f} s to write)")
        X = from_disk(paths, rows)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      memory_limit="1GiB", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            print(f"cluster: 2 workers x 1 GiB = 2 GiB, {table / 2:.1f} times smaller than X")
            f = matcalc.compile(solution, backend="dask", scheduler=client)
            start = time.perf_counter()
            w = f.compute(X=X, y=da.from_array(y, chunks=CHUNK), progress=True)
            seconds = time.perf_counter() - start
            print(f"\nsolved in {seconds:.1f} s ({table / seconds:.2f} GiB/s read); "
                  f"max |w - beta| = {np.max(np.abs(w - beta)):.1e}")
            sample = np.load(paths[0])
            ours = f.compute(X=da.from_array(sample, chunks=(CHUNK // 4, COLS)),
                             y=da.from_array(y[:len(sample)], chunks=CHUNK // 4))
            theirs = np.linalg.lstsq(sample, y[:len(sample)], rcond=None)[0]
            print(f"on a sample that fits in memory ({len(sample):,} rows): max relative "
                  f"difference from numpy.linalg.lstsq "
                  f"{np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)):.1e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000)
