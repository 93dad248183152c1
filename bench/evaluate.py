"""Generated code vs hand-written numpy vs jax.jit vs autograd, same data, same run.

Cases (float64, data in memory, medians of repeated runs):
  least-squares gradient        n = 100,000, d = 100
  logistic-regression gradient  n = 100,000, d = 100
  logistic-regression Hessian   n = 10,000,  d = 500
  two-layer tanh network, gradient by W1 (500 x 400)

JAX and autograd are optional (`pip install -e '.[bench]'`); a missing one is reported as
such. Ratios are matcalc's time over the other's (below 1: matcalc is faster); matcalc,
numpy and JAX are timed in interleaved rounds (`common.side_by_side`), so a burst of load
on the machine hits all three alike.

    .venv/bin/python bench/evaluate.py
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from matcalc.codegen.rowpass import BLOCK_BYTES  # noqa: E402
from common import side_by_side, table, timed  # noqa: E402

os.environ.setdefault("JAX_PLATFORMS", "cpu")
try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = None


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


class Case:
    def __init__(self, name, text, wrt, values, by_hand, loss, hessian=False):
        self.name, self.text, self.wrt, self.values = name, text, wrt, values
        self.by_hand, self.loss, self.hessian = by_hand, loss, hessian


def make_cases(rng):
    n, d = 100_000, 100
    X, w, y = rng.normal(size=(n, d)), rng.normal(size=d) / 10, rng.normal(size=n)
    labels = np.sign(rng.normal(size=n))
    Xh, wh = rng.normal(size=(10_000, 500)), rng.normal(size=500) / 30
    yh = np.sign(rng.normal(size=10_000))
    W1, W2 = rng.normal(size=(500, 400)) / 20, rng.normal(size=(300, 500)) / 20
    x, yn = rng.normal(size=400), rng.normal(size=300)

    def hessian_by_hand():
        s = sigmoid(-yh * (Xh @ wh))
        c = yh ** 2 * s * (1 - s)
        return (Xh * c[:, None]).T @ Xh

    def net_by_hand():
        h = np.tanh(W1 @ x)
        return np.outer((W2.T @ (2 * (W2 @ h - yn))) * (1 - h ** 2), x)

    return [
        Case("least-squares gradient", "(X*w - y)'*(X*w - y)", "w", dict(X=X, w=w, y=y),
             lambda: 2 * (X.T @ (X @ w - y)),
             lambda m, v: m.sum((m.dot(X, v) - y) ** 2)),
        Case("logistic gradient", "sum(log(1 + exp(-y .* (X*w))))", "w",
             dict(X=X, w=w, y=labels),
             lambda: -(X.T @ (labels * sigmoid(-labels * (X @ w)))),
             lambda m, v: m.sum(m.log1p(m.exp(-labels * m.dot(X, v))))),
        Case("logistic Hessian", "sum(log(1 + exp(-y .* (X*w))))", "w",
             dict(X=Xh, w=wh, y=yh), hessian_by_hand,
             lambda m, v: m.sum(m.log1p(m.exp(-yh * m.dot(Xh, v)))), hessian=True),
        Case("two-layer tanh, by W1", "(W2*tanh(W1*x) - y)'*(W2*tanh(W1*x) - y)", "W1",
             dict(W1=W1, W2=W2, x=x, y=yn), net_by_hand,
             lambda m, v: m.sum((m.dot(W2, m.tanh(m.dot(v, x))) - yn) ** 2)),
    ]


def run(rounds=9):
    rows, notes = [], []
    for case in make_cases(np.random.default_rng(0)):
        derivative = matcalc.diff(case.text, case.wrt)
        if case.hessian:
            derivative = matcalc.diff(derivative, case.wrt)
        compiled = matcalc.compile(derivative)
        assert np.allclose(compiled(case.values), case.by_hand(), rtol=1e-8, atol=1e-10), \
            case.name
        start = case.values[case.wrt]
        contenders = [lambda: compiled(case.values), case.by_hand]
        if jax is not None:
            transform = jax.hessian if case.hessian else jax.grad
            f = jax.jit(transform(lambda v: case.loss(jnp, v)))
            contenders.append(lambda: f(start).block_until_ready())
        times = side_by_side(contenders, rounds)
        t_ours, t_hand = times[:2]
        if "for s in range(" in compiled.source:
            data = max((v for v in case.values.values() if np.ndim(v) == 2), key=np.size)
            if data.nbytes > BLOCK_BYTES:
                notes.append(f"{case.name}: one blocked pass over the "
                             f"{data.nbytes / 1e6:.0f} MB data matrix, "
                             f"{data.nbytes / t_ours / 1e9:.1f} GB/s")
        row = [case.name, f"{t_hand * 1e3:.2f} ms", f"{t_ours * 1e3:.2f} ms",
               f"{t_ours / t_hand:.2f}"]
        if jax is not None:
            row.append(f"{times[2] * 1e3:.2f} ms ({t_ours / times[2]:.2f})")
        else:
            row.append("not installed")
        if autograd is not None:                 # 10-30x slower: timed alone, 3 calls
            transform = autograd.hessian if case.hessian else autograd.grad
            g = transform(lambda v: case.loss(anp, v))
            t_ag, _ = timed(lambda: g(start), 3)
            row.append(f"{t_ag * 1e3:.1f} ms ({t_ours / t_ag:.2f})")
        else:
            row.append("not installed")
        rows.append(row)
    return table(("case", "hand-written numpy", "matcalc.compile", "matcalc / numpy",
                  "jax.jit (matcalc / jax)", "autograd (matcalc / autograd)"), rows) + \
        "\n\n" + "\n".join(notes) + "\n\n" + many_calls(rounds)


def many_calls(rounds):
    """The least-squares gradient when X and y serve many calls: compile(..., given=)
    against the expert's precomputed Gram matrix, and against one pass per call."""
    rng = np.random.default_rng(1)
    n, d = 100_000, 100
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    gradient = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    start = time.perf_counter()
    bound = matcalc.compile(gradient, given={"X": X, "y": y})
    t_bind = time.perf_counter() - start
    start = time.perf_counter()
    G, b = X.T @ X, X.T @ y
    t_gram = time.perf_counter() - start
    plain = matcalc.compile(gradient)
    assert np.allclose(bound(w=w), 2 * (G @ w - b))
    t_ours, t_hand, t_plain = side_by_side(
        [lambda: bound(w=w), lambda: 2 * (G @ w - b), lambda: plain(X=X, w=w, y=y)], rounds)
    return (f"X and y given (`compile(gradient, given={{'X': X, 'y': y}})`, "
            f"form chosen: {bound.form}, stored: {', '.join(bound.precomputed.values())}):\n\n" +
            table(("least-squares gradient, n = 100,000, d = 100", "per call", "set-up"), [
                ["matcalc, X and y given", f"{t_ours * 1e6:.1f} us", f"{t_bind * 1e3:.0f} ms"],
                ["hand-written `2*(G @ w - b)`, G = X'X, b = X'y", f"{t_hand * 1e6:.1f} us",
                 f"{t_gram * 1e3:.0f} ms"],
                ["matcalc, one pass over X per call", f"{t_plain * 1e6:.0f} us", "-"]]) +
            f"\n\nper call: {t_ours / t_hand:.2f} of the hand-written Gram line, "
            f"{t_plain / t_ours:.0f}x faster than a pass over X\n")


if __name__ == "__main__":
    print(run())
