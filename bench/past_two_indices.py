"""Derivatives past two indices: matcalc vs SymPy, and Hessian-vector products vs gradients.

1. matcalc vs SymPy on matrix-by-matrix derivatives and Hessians by matrices, measured side
   by side: each round times matcalc (from the text, fresh session) and SymPy
   (MatrixSymbol.diff on prebuilt expressions) on the same case, alternating which goes
   first; the table gives the median of the per-round ratios and their spread. Correctness:
   each answer's tensor, at random values (n = 3), against central differences. SymPy
   answers with array expressions whose axis order is not documented, so its tensor counts
   as right if either order (the variable's axes first, or the function's) matches.
2. The compiled Hessian-vector product of a scalar loss by a 200 x 200 X against one
   compiled gradient evaluation, interleaved rounds; and the dense Hessian (the matrix form)
   at small sizes, to show what the direction saves.

    .venv/bin/python bench/past_two_indices.py
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from common import side_by_side, table  # noqa: E402

N = 3
SQUARE = {"X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n"), "x": ("n",), "w": ("n",)}
CASES = [
    ("A*X*B", "X"),
    ("inv(X)", "X"),
    ("X*w", "X"),
    ("x*x'", "x"),
    ("X'", "X"),
    ("X*X", "X"),
    ("X.^2", "X"),
    ("A*inv(X)*B", "X"),
    ("diff(tr(X'*A*X), X)", "X"),
    ("diff(logdet(X), X)", "X"),
    ("diff(tr(inv(X)), X)", "X"),
    ("softmax(x)", "x"),
]
ROUNDS = 7


def _sympy_case(text, wrt):
    """The SymPy expression (a derivative term is differentiated once by SymPy first) and
    the variable, or None where SymPy has no counterpart (softmax)."""
    expr = matcalc.parse(text, SQUARE)
    node = expr.node
    outer = isinstance(node, matcalc.api.ast.Derivative)
    inner = matcalc.api.Expr(node.expr, expr.declarations) if outer else expr
    try:
        built = inner.to_sympy()
    except matcalc.MatcalcError:
        return None
    variable = [s for s in built.atoms(sympy.MatrixSymbol) if str(s) == wrt][0]
    if outer:
        return lambda: built.diff(variable).diff(variable), variable
    return lambda: built.diff(variable), variable


def _values(rng):
    return {"X": 2 * np.eye(N) + 0.3 * rng.normal(size=(N, N)), "A": rng.normal(size=(N, N)),
            "B": rng.normal(size=(N, N)), "x": rng.normal(size=N), "w": rng.normal(size=N)}


def _reference_tensor(text, wrt, values, eps=1e-6):
    """T[w-index, f-index] by central differences of the function."""
    expr = matcalc.parse(text, SQUARE)
    point = np.asarray(values[wrt], dtype=float)
    slices = []
    for index in np.ndindex(point.shape):
        step = np.zeros_like(point)
        step[index] = eps
        plus = expr.evaluate(dict(values, **{wrt: point + step}))
        minus = expr.evaluate(dict(values, **{wrt: point - step}))
        slices.append((np.asarray(plus) - np.asarray(minus)) / (2 * eps))
    f_shape = np.shape(slices[0])
    return np.array(slices).reshape(point.shape + f_shape)


def _sympy_tensor(answer, values):
    substituted = answer.subs(sympy.Symbol("n", integer=True, positive=True), N)
    replacements = {s: sympy.ImmutableMatrix(np.asarray(values[str(s)]).reshape(
        s.shape[0], s.shape[1]).tolist()) for s in substituted.atoms(sympy.MatrixSymbol)}
    explicit = substituted.as_explicit() if hasattr(substituted, "as_explicit") else substituted
    explicit = sympy.Array(explicit).subs(replacements) if hasattr(explicit, "shape") \
        else explicit
    array = np.array(sympy.Array(explicit).tolist(), dtype=float)
    return np.squeeze(array)


def _matches(found, reference):
    """Right under either axis order: (variable, function) or (function, variable)."""
    reference = np.squeeze(reference)
    k = np.ndim(reference) // 2 if np.ndim(reference) == 4 else 1
    candidates = [reference]
    if np.ndim(reference) >= 2:
        axes = list(range(np.ndim(reference)))
        candidates.append(np.transpose(reference, axes[k:] + axes[:k]))
    return any(np.shape(found) == np.shape(c) and np.allclose(found, c, rtol=1e-5, atol=1e-6)
               for c in candidates)


def versus_sympy():
    rng = np.random.default_rng(0)
    rows, ratios_all = [], []
    for text, wrt in CASES:
        values = _values(rng)
        ours = matcalc.diff(text, wrt, SQUARE)
        reference = _reference_tensor(text, wrt, values)
        tensor = ours.evaluate(values, tensor=True)
        mine_ok = np.allclose(np.reshape(tensor, reference.shape), reference,
                              rtol=1e-5, atol=1e-6)
        case = _sympy_case(text, wrt)
        status, ratio_text, theirs = "no counterpart", "-", "-"
        if case is not None:
            run_sympy, _ = case
            try:
                answer = run_sympy()
                status = "right" if _matches(_sympy_tensor(answer, values), reference) \
                    else "WRONG"
            except Exception as error:         # SymPy's failure is the measurement
                status = f"fails ({type(error).__name__})"
                answer = None
            if answer is not None:
                ratios = []
                for r in range(ROUNDS):
                    mine_fn = lambda: matcalc.diff(text, wrt, SQUARE)       # noqa: E731
                    pair = (mine_fn, run_sympy) if r % 2 == 0 else (run_sympy, mine_fn)
                    times = side_by_side(pair, rounds=1, sample=0.05)
                    t_mine, t_theirs = times if r % 2 == 0 else times[::-1]
                    ratios.append(t_theirs / t_mine)
                ratios_all.append(statistics.median(ratios))
                ratio_text = (f"{statistics.median(ratios):.1f}x "
                              f"({min(ratios):.1f}-{max(ratios):.1f})")
                theirs = str(len(str(answer)))
        rows.append((f"`{text}` by {wrt}", f"`{ours}`", "right" if mine_ok else "WRONG",
                     status, ratio_text, theirs))
    report = table(("case", "matcalc's answer", "matcalc", "SymPy", "SymPy time / matcalc "
                    "time, median of rounds (spread)", "SymPy's answer, characters"), rows)
    report += (f"\n\nMedian over the cases SymPy answers of the per-case median ratio: "
               f"{statistics.median(ratios_all):.1f}x.\n")
    return report


# ---------------------------------------------------------------- Hessian-vector products

LOSS = "sum(log(1 + exp(A*X))) + tr(X'*C*X)"
HVP_SHAPES = {"X": ("n", "n"), "A": ("m", "n"), "C": ("n", "n"), "V": ("n", "n")}


def hessian_vector_products():
    gradient = matcalc.diff(LOSS, "X", HVP_SHAPES)
    along = matcalc.diff(gradient, "X", direction="V")
    hessian = matcalc.diff(gradient, "X")
    grad_fn, hvp_fn = matcalc.compile(gradient), matcalc.compile(along)
    rng = np.random.default_rng(1)
    n, m = 200, 300
    values = {"X": rng.normal(size=(n, n)) / 10, "A": rng.normal(size=(m, n)) / 10,
              "C": rng.normal(size=(n, n)), "V": rng.normal(size=(n, n))}
    ratios = []
    for r in range(ROUNDS):
        t_grad, t_hvp = side_by_side([lambda: grad_fn(values), lambda: hvp_fn(values)],
                                     rounds=1, sample=0.1)
        ratios.append(t_hvp / t_grad)
    t_grad, t_hvp = side_by_side([lambda: grad_fn(values), lambda: hvp_fn(values)])
    dense_rows, seconds = [], {}
    hess_fn = matcalc.compile(hessian)
    for k in (10, 20, 30, 40):
        small = {"X": values["X"][:k, :k], "A": values["A"][:k, :k], "C": values["C"][:k, :k]}
        start = time.perf_counter()
        H = hess_fn(small)
        seconds[k] = time.perf_counter() - start
        dense_rows.append((f"{k} x {k}", f"{H.shape[0]:,} x {H.shape[1]:,}",
                           f"{H.nbytes / 1e6:.1f} MB", f"{seconds[k] * 1e3:.0f} ms"))
    growth = np.log2(seconds[40] / seconds[20])                 # time ~ n^growth
    at_200 = seconds[40] * 5 ** growth
    report = (f"Loss `{LOSS}`, X 200 x 200, A 300 x 200.\n\n"
              f"- gradient `{gradient}`\n- along V `{along}`\n\n"
              + table(("compiled", "time per call"),
                      [("gradient", f"{t_grad * 1e3:.2f} ms"),
                       ("Hessian-vector product", f"{t_hvp * 1e3:.2f} ms")])
              + f"\n\nHessian-vector product / gradient, per-round ratios: median "
                f"{statistics.median(ratios):.2f}, spread {min(ratios):.2f}-{max(ratios):.2f}"
                f" ({ROUNDS} rounds).\n\nThe dense Hessian (its matrix form, `{hessian}`) "
                "grows as n^4:\n\n"
              + table(("X", "Hessian", "memory", "compiled evaluation"), dense_rows)
              + f"\n\nFrom 20 to 40 the time grows as n^{growth:.1f}; at 200 x 200 the dense "
                f"Hessian would be 40,000 x 40,000 entries (12.8 GB of float64) and, by that "
                f"growth, take about {at_200 / 60:.0f} minutes, against "
                f"{t_hvp * 1e3:.1f} ms for one product with V.\n")
    return report


def large_sum(terms=2000):
    """d/dX of A_1*X*B_1 + ... + A_k*X*B_k (each A_i, B_i its own matrix), from the text."""
    text = " + ".join(f"A{i}*X*B{i}" for i in range(terms))
    shapes = {"X": ("m", "n")}
    shapes.update({f"A{i}": ("p", "m") for i in range(terms)})
    shapes.update({f"B{i}": ("n", "q") for i in range(terms)})
    start = time.perf_counter()
    expr = matcalc.parse(text, shapes)
    parsed = time.perf_counter()
    result = matcalc.diff(expr, "X")
    done = time.perf_counter()
    printed = str(result)
    return (f"A {terms}-term sum `A0*X*B0 + A1*X*B1 + ...` by X: parse "
            f"{(parsed - start):.2f} s, differentiate and simplify {(done - parsed):.2f} s, "
            f"to `{printed[:40]}...` ({printed.count('kron(')} Kronecker terms).\n")


def run():
    return ("### Matrix-form derivatives: matcalc vs SymPy\n\n" + versus_sympy()
            + "\n" + large_sum()
            + "\n### Hessian-vector products without the Hessian\n\n"
            + hessian_vector_products())


if __name__ == "__main__":
    print(run())
