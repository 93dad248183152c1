"""matcalc vs SymPy on standard derivatives, measured side by side in one run.

matcalc is timed as users meet it: from the text, parsing included, simplifier memo tables
empty (each call is a fresh session). SymPy is timed on prebuilt MatrixSymbol expressions
(MatrixSymbol.diff, then .doit() so that its answer is explicit). Correctness: each answer is
evaluated on random data and compared with central differences of the function.

    .venv/bin/python bench/derive.py
"""

import statistics
import sys
from pathlib import Path

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from common import table, timed  # noqa: E402

SQUARE = {"X": ("n", "n"), "A": ("n", "n")}
CASES = [
    ("x'*A*x", "x", None),
    ("u'*x", "x", None),
    ("x'*x", "x", None),
    ("norm2(A*x - u)^2", "x", None),
    ("(X*w - y)'*(X*w - y)", "w", None),
    ("(X*w - y)'*C*(X*w - y)", "w", None),
    ("tr(A*X)", "X", SQUARE),
    ("tr(X'*A*X)", "X", None),
    ("tr(X*X)", "X", SQUARE),
    ("u'*X*v", "X", None),
    ("u'*inv(X)*v", "X", SQUARE),
    ("det(X)", "X", SQUARE),
    ("log(det(X))", "X", SQUARE),
    ("sum(log(1 + exp(-y .* (X*w))))", "w", None),
]
SIZES = {"n": 4, "d": 3, "m": 5}
REPEAT = 7


def median_time(fn, repeat=REPEAT):
    return timed(fn, repeat)[0]


def random_values(expr, rng):
    values = {}
    for name, shape in expr.symbols().items():
        concrete = tuple(SIZES[str(d)] for d in shape)
        if name == "X" and len(concrete) == 2 and concrete[0] == concrete[1]:
            values[name] = 2 * np.eye(concrete[0]) + 0.3 * rng.normal(size=concrete)
        else:
            values[name] = rng.normal(size=concrete) if concrete else 1.3
    if "C" in values:
        values["C"] = values["C"] + values["C"].T
    return values


def finite_difference_gradient(expr, wrt, values, eps=1e-6):
    point = np.asarray(values[wrt], dtype=float)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        step = np.zeros_like(point)
        step[index] = eps
        plus = expr.evaluate(dict(values, **{wrt: point + step}))
        minus = expr.evaluate(dict(values, **{wrt: point - step}))
        gradient[index] = (plus - minus) / (2 * eps)
    return gradient


def sympy_numeric(result, values):
    subs = {s: SIZES[str(s)] for s in result.free_symbols if str(s) in SIZES}
    result = result.subs(subs)
    replacements = {}
    for symbol in result.free_symbols | set(result.atoms(sympy.MatrixSymbol)):
        name = str(symbol)
        if name in values:
            value = np.asarray(values[name], dtype=float)
            if isinstance(symbol, sympy.MatrixSymbol):
                replacements[symbol] = sympy.ImmutableMatrix(
                    value.reshape(-1, 1) if value.ndim == 1 else value)
            else:
                replacements[symbol] = float(value)
    evaluated = result.xreplace(replacements).doit()
    if hasattr(evaluated, "shape"):
        return np.array(sympy.Matrix(evaluated).evalf(), dtype=float)
    return float(evaluated)


def printed_size(expr):
    return len(str(expr))


def run():
    rng = np.random.default_rng(0)
    rows, mine_times, theirs_times = [], [], []
    mine_right = theirs_ok = theirs_right = 0
    for text, wrt, shapes in CASES:
        expr = matcalc.parse(text, shapes=shapes)
        values = random_values(expr, rng)
        reference = finite_difference_gradient(expr, wrt, values)

        ours = matcalc.diff(text, wrt, shapes=shapes)
        t_mine = median_time(lambda: matcalc.diff(text, wrt, shapes=shapes))
        mine_ok = np.allclose(np.reshape(ours.evaluate(values), reference.shape), reference,
                              rtol=1e-5, atol=1e-6)
        mine_right += mine_ok
        mine_times.append(t_mine)

        built = expr.to_sympy()
        variable = [s for s in built.atoms(sympy.MatrixSymbol) if str(s) == wrt][0]
        status, t_theirs, size = "crash", float("nan"), "-"
        try:
            answer = built.diff(variable).doit()
        except Exception as error:            # SymPy's failure is the measurement
            answer, status = None, f"fails ({type(error).__name__})"
        if answer is not None:
            t_theirs = median_time(lambda: built.diff(variable).doit(), repeat=3)
            theirs_ok += 1
            theirs_times.append(t_theirs)
            size = printed_size(answer)
            try:
                numeric = sympy_numeric(answer, values)
                right = np.allclose(np.reshape(numeric, reference.shape), reference,
                                    rtol=1e-5, atol=1e-6)
                status = "right" if right else "WRONG"
            except Exception as error:        # an answer that does not evaluate
                right, status = False, f"unevaluable ({type(error).__name__})"
            theirs_right += right
        rows.append((f"`{text}` by {wrt}", "right" if mine_ok else "WRONG",
                     f"{t_mine * 1e3:.2f} ms", printed_size(ours), status,
                     f"{t_theirs * 1e3:.1f} ms" if t_theirs == t_theirs else "-", size))
    n = len(CASES)
    summary = table(("case", "matcalc", "time", "size", "SymPy", "time", "size"), rows)
    mine_median = statistics.median(mine_times)
    theirs_median = statistics.median(theirs_times)
    summary += (f"\n\nmatcalc: {mine_right}/{n} right, median {mine_median * 1e3:.2f} ms per "
                f"derivative (from text).\nSymPy: answers {theirs_ok}/{n}, right "
                f"{theirs_right}/{n}, median {theirs_median * 1e3:.1f} ms per derivative it "
                f"answers.\nRatio of medians: SymPy / matcalc = "
                f"{theirs_median / mine_median:.1f}x\n")
    return summary


if __name__ == "__main__":
    print(run())
