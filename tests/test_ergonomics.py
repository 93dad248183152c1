"""Building expressions from Python: operators, functions, and the SymPy bridges."""

import numpy as np
import pytest
import sympy

import matcalc


@pytest.fixture
def regression():
    return matcalc.symbols("X w y", shapes={"X": ("n", "d"), "w": ("d",), "y": ("n",)})


def test_operators_build_the_same_expression_as_text(regression):
    X, w, y = regression
    loss = (X @ w - y).T @ (X @ w - y)
    assert loss.shape == ()
    text = matcalc.parse("(X*w - y)'*(X*w - y)", shapes={"X": ("n", "d"), "w": ("d",),
                                                           "y": ("n",)})
    assert matcalc.check(loss, text).holds
    assert str(matcalc.diff(loss, "w")) == "2*X'*(X*w - y)"


def test_scalars_and_division(regression, rng):
    X, w, y = regression
    e = 2 * X.T @ y / 3 - X.T @ y * 0.5
    Xv, yv = rng.normal(size=(4, 2)), rng.normal(size=4)
    assert np.allclose(e.evaluate(X=Xv, y=yv), (2 / 3 - 0.5) * Xv.T @ yv)
    wv = rng.normal(size=2)
    assert (-w).shape == ("d",)
    assert np.isclose(((w.T @ w) ** 2).evaluate(w=wv), (wv @ wv) ** 2)


def test_operator_shape_errors(regression):
    X, w, y = regression
    with pytest.raises(matcalc.ShapeError):
        X @ y
    with pytest.raises(matcalc.ShapeError):
        w + y


def test_functions_table(regression):
    X, w, y = regression
    e = matcalc.functions["sum"](matcalc.functions["tanh"](X @ w))
    assert str(e) == "sum(tanh(X*w))"
    assert matcalc.verify(e, "w").passed


def test_to_sympy_and_back():
    e = matcalc.parse("(X*w - y)'*(X*w - y)")
    back = matcalc.from_sympy(e.to_sympy())
    assert matcalc.check(back, e).holds
    assert back.symbols() == e.symbols()


def test_from_sympy_objects():
    n = sympy.Symbol("n")
    A, x = sympy.MatrixSymbol("A", n, n), sympy.MatrixSymbol("x", n, 1)
    e = matcalc.from_sympy(x.T * A * x)
    assert e.shape == () and str(matcalc.diff(e, "x")) == "(A + A')*x"
    assert str(matcalc.from_sympy(sympy.Trace(A.I * A.T))) == "tr(inv(A)*A')"


def test_from_sympy_refuses_what_it_cannot_map():
    n = sympy.Symbol("n")
    with pytest.raises(matcalc.UnsupportedError):
        matcalc.from_sympy(sympy.Adjoint(sympy.MatrixSymbol("A", n, n)))


def test_lambdify_is_compile(rng):
    f = matcalc.lambdify(matcalc.diff("x'*A*x", "x"))
    x, A = rng.normal(size=3), rng.normal(size=(3, 3))
    assert np.allclose(f(x=x, A=A), (A + A.T) @ x)
