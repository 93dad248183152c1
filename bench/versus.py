"""Two versions of matcalc side by side: the same workload, rounds alternating the versions.

    .venv/bin/python bench/versus.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 9] [parts ...]

Each checkout is a source tree of matcalc (e.g. `git worktree add ../old <commit>`). Every
round runs the workload once per version, each in a fresh process with that tree first on
sys.path, the order of the versions flipping every round, so that load on the machine hits
both alike. Printed, per part: the median time of each version and the median and spread
(min to max) of the per-round ratios new/old.

The workload (`--child`): derivatives from text (the standard cases of bench/derive.py, both
forms), Hessians, matrix forms past two indices, a sum of 400 Kronecker terms by X, a
2,000-term text parsed and differentiated, and compiled and evaluated gradients.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

CASES = [("x'*A*x", "x"), ("u'*x", "x"), ("x'*x", "x"), ("norm2(A*x - u)^2", "x"),
         ("(X*w - y)'*(X*w - y)", "w"), ("(X*w - y)'*C*(X*w - y)", "w"), ("tr(A*X)", "X"),
         ("tr(X'*A*X)", "X"), ("tr(X*X)", "X"), ("u'*X*v", "X"), ("u'*inv(X)*v", "X"),
         ("det(X)", "X"), ("log(det(X))", "X"), ("sum(log(1 + exp(-y .* (X*w))))", "w"),
         ("1/N*sum((Y - A*W).^2)", "W")]
MATRIX_FORMS = [("A*X*B", "X"), ("inv(X)", "X"), ("X*w", "X"), ("x*x'", "x"), ("X'", "X"),
                ("X*X", "X"), ("X.^2", "X"), ("A*inv(X)*B", "X"),
                ("diff(tr(X'*A*X), X)", "X"), ("diff(logdet(X), X)", "X"),
                ("softmax(x)", "x"), ("tanh(W*x)", "x")]


def _parts(matcalc, np):
    def derive():
        for _ in range(5):
            for text, wrt in CASES:
                matcalc.diff(text, wrt)
                matcalc.diff(text, wrt, form="expanded")

    def hessians():
        for _ in range(5):
            for text, wrt in CASES:
                if wrt in ("w", "x"):
                    matcalc.diff(matcalc.diff(text, wrt), wrt)

    def matrix_forms():
        for _ in range(5):
            for text, wrt in MATRIX_FORMS:
                matcalc.diff(text, wrt)

    def kronecker_sum():
        text = " + ".join(f"A{i}*X*B{i}" for i in range(400))
        matcalc.diff(f"tr({text})", "X")
        matcalc.diff(text, "X")

    def long_text():
        kinds = ("exp(x)", "A*x", "x .* x", "sin(A'*x)")
        text = " + ".join(f"c{i}*{kinds[i % 4]}" for i in range(1, 2001))
        matcalc.parse(text)
        matcalc.diff(f"sum({text})", "x")

    def compiled():
        rng = np.random.default_rng(0)
        X, y, w = rng.normal(size=(200, 20)), rng.normal(size=200), rng.normal(size=20)
        for _ in range(5):
            g = matcalc.diff("sum(log(1 + exp(-y .* (X*w))))", "w")
            f = matcalc.compile(g)
            for _ in range(50):
                f(X=X, y=y, w=w)
                g.evaluate({"X": X, "y": y, "w": w})

    return {f.__name__: f for f in (derive, hessians, matrix_forms, kronecker_sum, long_text,
                                    compiled)}


def child(names):
    import numpy as np

    import matcalc
    parts = _parts(matcalc, np)
    matcalc.diff(*CASES[0])                       # warm-up: imports, the grammar
    times = {}
    for name in names or parts:
        gc.collect()
        start = time.perf_counter()
        parts[name]()
        times[name] = time.perf_counter() - start
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("parts", nargs="*")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_intermixed_args()
    results = {args.old: [], args.new: []}
    for r in range(args.rounds):
        for tree in (args.old, args.new) if r % 2 == 0 else (args.new, args.old):
            env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
            out = subprocess.run([sys.executable, __file__, "--child", *args.parts],
                                 env=env, capture_output=True, text=True, check=True).stdout
            results[tree].append(json.loads(out.strip().splitlines()[-1]))
    print("| part | old | new | new/old, median of rounds (spread) |\n|---|---|---|---|")
    for part in results[args.old][0]:
        old = [r[part] for r in results[args.old]]
        new = [r[part] for r in results[args.new]]
        ratios = [n / o for n, o in zip(new, old)]
        print(f"| {part} | {statistics.median(old) * 1e3:.1f} ms | "
              f"{statistics.median(new) * 1e3:.1f} ms | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f}) |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
