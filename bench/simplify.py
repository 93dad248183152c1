"""Scaling of derivative + simplification with depth: time and printed size.

Families, for k = 1, 2, 4, ..., 32:
  chain: norm2(A_k*...*A_1*x - y)^2, gradient by x and by A_1 (SymPy alongside, by x)
  tanh:  sum(tanh(W_k*tanh(...tanh(W_1*x)))), gradient by x and by W_1

    .venv/bin/python bench/simplify.py
"""

import sys
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matcalc  # noqa: E402
from common import table, timed  # noqa: E402

DEPTHS = (1, 2, 4, 8, 16, 32)


def chain(k):
    return "norm2(" + "*".join(f"A_{i}" for i in range(k, 0, -1)) + "*x - y)^2"


def tanh_net(k):
    text = "x"
    for i in range(1, k + 1):
        text = f"tanh(W_{i}*{text})"
    return f"sum({text})"


def run():
    out = []
    sympy_at = {}
    for family, make, variables in (("chain", chain, ("x", "A_1")),
                                    ("tanh", tanh_net, ("x", "W_1"))):
        rows = []
        for k in DEPTHS:
            text = make(k)
            row = [k]
            for wrt in variables:
                seconds, result = timed(lambda: matcalc.diff(text, wrt), repeat=3)
                row += [f"{seconds * 1e3:.1f} ms", len(str(result))]
            if family == "chain":
                expr = matcalc.parse(text)
                built = expr.to_sympy()
                x = [s for s in built.atoms(sympy.MatrixSymbol) if str(s) == "x"][0]
                seconds, _ = timed(lambda: built.diff(x), repeat=3)
                sympy_at[k] = seconds
                mine = float(row[1].split()[0]) / 1e3
                row += [f"{seconds * 1e3:.1f} ms", f"{seconds / mine:.1f}x"]
            rows.append(row)
        headers = ["k"] + [h for v in variables for h in (f"time by {v}", f"size by {v}")]
        if family == "chain":
            headers += ["SymPy by x", "SymPy / matcalc"]
        out.append(f"### {family}: `{make(2)}` ...\n\n" + table(headers, rows))
        t16 = float(rows[-2][1].split()[0])
        t32 = float(rows[-1][1].split()[0])
        s16, s32 = rows[-2][2], rows[-1][2]
        out.append(f"k = 16 -> 32 by {variables[0]}: time {t32 / t16:.2f}x, "
                   f"size {s32 / s16:.2f}x")
    return "\n\n".join(out) + "\n"


if __name__ == "__main__":
    print(run())
