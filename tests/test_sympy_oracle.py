"""SymPy's MatrixSymbol.diff as a second, independent oracle, where it answers."""

import numpy as np
import pytest
import sympy

import matcalc

SIZES = {"n": 3, "d": 4, "m": 2}

CASES = [
    ("x'*A*x", "x"), ("u'*x", "x"), ("x'*x", "x"), ("norm2(A*x - u)^2", "x"),
    ("(X*w - y)'*(X*w - y)", "w"), ("tr(A*X)", "X"), ("tr(X'*A*X)", "X"),
    ("u'*X*v", "X"), ("u'*inv(X)*v", "X"), ("det(X)", "X"), ("logdet(X)", "X"),
    ("tr(X*X)", "X"), ("(X*w - y)'*C*(X*w - y)", "w"),
    ("sum(exp(x))", "x"),
]
SYMPY_IS_WRONG = {("logdet(X)", "X")}        # SymPy returns 0


def _numeric(expr, values):
    """Evaluate a SymPy expression with numbers (dims -> sizes, symbols -> matrices)."""
    subs = {}
    for symbol in expr.free_symbols:
        name = str(symbol)
        if name in SIZES:
            subs[symbol] = SIZES[name]
    expr = expr.subs(subs)
    replacements = {}
    for symbol in expr.free_symbols | set(expr.atoms(sympy.MatrixSymbol)):
        name = str(symbol)
        if name in values:
            value = np.atleast_2d(values[name])
            if isinstance(symbol, sympy.MatrixSymbol) and value.shape[0] == 1 and \
                    symbol.shape[1] == 1:
                value = value.T
            replacements[symbol] = sympy.ImmutableMatrix(value) if isinstance(
                symbol, sympy.MatrixSymbol) else float(values[name])
    result = expr.xreplace(replacements).doit()
    return np.array(sympy.Matrix(result).evalf(), dtype=float) if hasattr(result, "shape") \
        else float(result)


@pytest.mark.parametrize("text, wrt", CASES, ids=[f"{t} by {w}" for t, w in CASES])
def test_sympy_agrees_where_it_answers(text, wrt, rng):
    loss = matcalc.parse(text, shapes={"X": ("n", "n"), "A": ("n", "n")}
                         if "X" in text and "w" not in text else None)
    ours = matcalc.diff(loss, wrt)
    variable = [s for s in loss.to_sympy().atoms(sympy.MatrixSymbol) if str(s) == wrt][0]
    try:
        theirs = loss.to_sympy().diff(variable)
    except Exception as error:            # SymPy gives up: nothing to compare
        pytest.skip(f"SymPy cannot differentiate: {type(error).__name__}")
    values = {}
    for name, shape in loss.symbols().items():
        concrete = tuple(SIZES[str(d)] for d in shape)
        values[name] = 2 * np.eye(concrete[0]) + 0.3 * rng.normal(size=concrete) \
            if name == "X" and len(concrete) == 2 and concrete[0] == concrete[1] else \
            (rng.normal(size=concrete) if concrete else 1.3)
    if "C" in values:
        values["C"] = values["C"] + values["C"].T
    try:
        expected = _numeric(theirs, values)
    except Exception as error:
        pytest.skip(f"SymPy's answer does not evaluate: {type(error).__name__}")
    mine = np.asarray(ours.evaluate(values))
    agree = np.allclose(np.reshape(expected, mine.shape), mine, rtol=1e-8, atol=1e-8)
    if (text, wrt) in SYMPY_IS_WRONG:
        assert not agree                  # and matcalc is verified by finite differences:
        assert matcalc.verify(loss, wrt, ours).passed
    else:
        assert agree
