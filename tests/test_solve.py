"""Stationary points, compared with numpy.linalg on random data."""

import numpy as np
import pytest

import matcalc


@pytest.mark.parametrize("loss, wrt, expected, decls", [
    ("(X*w - y)'*(X*w - y)", "w", "inv(X'*X)*X'*y", {}),
    ("1/N*sum((Y - A*W).^2)", "W", "inv(A'*A)*A'*Y", {}),
    ("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w", "inv(X'*X + lambda*I)*X'*y", {}),
    ("(X*w - y)'*C*(X*w - y)", "w", "inv(X'*C*X)*X'*C*y", {"symmetric": {"C"}}),
    ("norm2(W*A - Y)^2", "W", "Y*A'*inv(A*A')", {}),
    ("0.5*x'*Q*x - q'*x", "x", "2*inv(Q + Q')*q", {"shapes": {"q": ("n",)}}),
    # inv(M)*M cancels for a compound M (issue 22: inv(t0)*t0*x where t0 = inv(S) + inv(S'))
    ("(x - m)'*inv(S)*(x - m)", "m", "x", {"shapes": {"x": ("n",), "m": ("n",)}}),
])
def test_solutions_in_simplest_form(loss, wrt, expected, decls):
    solution = matcalc.stationary_point(loss, wrt, **decls)
    assert str(solution) == expected
    assert solution.verification.passed, solution.verification


def test_normal_equation_matches_lstsq(rng):
    solution = matcalc.stationary_point("(X*w - y)'*(X*w - y)", "w")
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    assert np.allclose(solution.evaluate(X=X, y=y), np.linalg.lstsq(X, y, rcond=None)[0])
    assert solution.kind == "minimum"


def test_ridge_matches_numpy(rng):
    solution = matcalc.stationary_point("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w")
    X, y, lam = rng.normal(size=(30, 4)), rng.normal(size=30), 0.7
    expected = np.linalg.solve(X.T @ X + lam * np.eye(4), X.T @ y)
    assert np.allclose(solution.evaluate(X=X, y=y, **{"lambda": lam}), expected)


def test_concave_quadratic_is_a_maximum():
    assert matcalc.stationary_point("-w'*w + 2*b'*w", "w",
                                    shapes={"b": ("n",)}).kind == "maximum"


def test_solve_takes_a_gradient():
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    assert str(matcalc.solve(g, "w")) == "inv(X'*X)*X'*y"
    assert str(matcalc.solve("2*X'*X*w - 2*X'*y", "w")) == "inv(X'*X)*X'*y"


@pytest.mark.parametrize("loss, wrt, fragment", [
    ("sum(log(1 + exp(-y .* (X*w))))", "w", "not linear in w"),
    ("sum(tanh(X*w))", "w", "contains tanh"),
    ("norm2(A*W*B - C)^2 + norm2(W)^2", "W", "Sylvester"),
    ("tr(W'*A*W) + tr(W*B*W') - 2*tr(C'*W)", "W", "Sylvester"),
    ("logdet(S) + tr(inv(S)*C) + tr(S)", "S", "not linear"),
    ("u'*y", "w", "does not occur"),
])
def test_refusals_say_why(loss, wrt, fragment):
    with pytest.raises(matcalc.MatcalcError, match=fragment):
        matcalc.stationary_point(loss, wrt)


def test_loss_must_be_scalar():
    with pytest.raises(matcalc.ShapeError, match="scalar"):
        matcalc.stationary_point("X*w - y", "w")


# ---------------------------------------------------------------- separable and inverse forms

def _gradient_at(loss, wrt, solution, values, **decls):
    g = matcalc.diff(loss, wrt, **decls)
    return g.evaluate(dict(values, **{wrt: solution.evaluate(values)}))


def test_least_squares_matrix_problem_is_separable(rng):
    loss = "norm2(A*X*B - C)^2"
    solution = matcalc.stationary_point(loss, "X")
    assert str(solution) == "inv(A'*A)*A'*C*B'*inv(B*B')"
    assert solution.kind == "minimum" and solution.verification.passed
    values = {"A": rng.normal(size=(6, 3)), "B": rng.normal(size=(2, 5)),
              "C": rng.normal(size=(6, 5))}
    # substituted back, the gradient vanishes; and it is numpy's least-squares solution
    assert np.allclose(_gradient_at(loss, "X", solution, values), 0, atol=1e-9)
    K = np.kron(values["B"].T, values["A"])             # vec(A*X*B) = kron(B', A)*vec(X)
    reference = np.linalg.lstsq(K, values["C"].flatten("F"), rcond=None)[0]
    assert np.allclose(solution.evaluate(values).flatten("F"), reference)


@pytest.mark.parametrize("symmetric, expected", [
    (set(), "C"), ({"S"}, "0.5*(C + C')"), ({"S", "C"}, "C")])
def test_gaussian_covariance_likelihood(symmetric, expected, rng):
    loss = "logdet(S) + tr(inv(S)*C)"
    solution = matcalc.stationary_point(loss, "S", symmetric=symmetric)
    assert str(solution) == expected
    assert solution.verification.passed, solution.verification
    root = rng.normal(size=(4, 4))
    C = root @ root.T + 4 * np.eye(4)                  # a covariance: symmetric, positive
    assert np.allclose(_gradient_at(loss, "S", solution, {"C": C}, symmetric=symmetric),
                       0, atol=1e-10)
    # the Hessian varies with S: no proof (SPEC 2d), what the draws saw is said as such
    assert solution.kind == "depends on the values" and "not proven" in solution.why
    if "C" in symmetric:
        assert "was a minimum" in solution.why
