"""Parsing, evaluating and differentiating large inputs: time should grow linearly with the
number of terms (the contract: tens of thousands of terms within seconds).

    .venv/bin/python bench/language.py
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from common import table, timed  # noqa: E402

SIZES = (2500, 5000, 10000, 20000)


def big_sum(terms):
    """c1*exp(x) + c2*A*x + c3*x .* x + ...: distinct scalar names, shared vectors."""
    shapes = ("exp(x)", "A*x", "x .* x", "sin(A'*x)")
    return " + ".join(f"c{i}*{shapes[i % 4]}" for i in range(1, terms + 1))


def run():
    rng = np.random.default_rng(0)
    rows, previous = [], None
    for terms in SIZES:
        text = big_sum(terms)
        parse_time, expr = timed(lambda: matcalc.parse(text), repeat=3)
        values = {f"c{i}": float(i % 7) for i in range(1, terms + 1)}
        values.update(x=rng.normal(size=50), A=rng.normal(size=(50, 50)))
        eval_time, _ = timed(lambda: expr.evaluate(values), repeat=3)
        loss = matcalc.parse(f"sum({text})")
        diff_time, _ = timed(lambda: matcalc.diff(loss, "x"), repeat=1)
        total = parse_time + eval_time + diff_time
        growth = "" if previous is None else f"{total / previous:.2f}x"
        previous = total
        rows.append((terms, len(text), f"{parse_time * 1e3:.0f} ms", f"{eval_time * 1e3:.0f} ms",
                     f"{diff_time * 1e3:.0f} ms", growth))
    deep = "(" * 5000 + "x" + ")" * 5000
    deep_time, _ = timed(lambda: matcalc.parse(deep), repeat=3)
    report = table(("terms", "characters", "parse", "evaluate", "sum(...) by x",
                    "growth for 2x terms"), rows)
    return report + f"\n\n5000 nested parentheses: parse {deep_time * 1e3:.1f} ms\n"


if __name__ == "__main__":
    print(run())
