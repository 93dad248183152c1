"""The kind of a stationary point, proven from the Hessian's form (SPEC 2d): 'minimum' and
'maximum' only where the Hessian is semidefinite for every value, else the condition.
Each proven verdict is also checked on random values, and each 'depends' on values where
the kind changes."""

import numpy as np
import pytest

import matcalc
from matcalc.definiteness import classify

SHAPES = {"X": ("n", "d"), "w": ("d",), "y": ("n",), "x": ("n",), "m": ("n",), "b": ("n",),
          "A": ("n", "n"), "S": ("n", "n"), "Q": ("n", "n"), "B": ("k", "k"), "W": ("n", "k"),
          "M": ("k", "n"), "v": ("n",), "Y": ("n", "k"), "C": ("n", "k")}


@pytest.mark.parametrize("loss, wrt, kind, fragment", [
    ("(X*w - y)'*(X*w - y)", "w", "minimum", "2*X'*X is a positive multiple of a Gram"),
    ("norm2(A*W*B - C)^2", "W", "minimum", "Gram"),
    ("sum((Y - A*W).^2)", "W", "minimum", "kron(I(k), A'*A)"),
    ("x'*x - 2*b'*x", "x", "minimum", "2*I(n) is a positive multiple of I"),
    ("-x'*x + 2*b'*x", "x", "maximum", "minus a positive multiple of I"),
    ("norm2(X*w - y)^2 + norm2(w)^2", "w", "minimum", "a sum of Gram matrices"),
    ("exp(a)*x'*x - b'*x", "x", "minimum", "exp(a)"),
    ("norm2(y)^2*x'*x - b'*x", "x", "minimum", "convex"),
    # conditions: a scalar of unknown sign, a matrix of unknown definiteness
    ("1/N*sum((Y - A*W).^2)", "W", "depends on the values", "a minimum where N > 0"),
    ("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w", "depends on the values",
     "a minimum where lambda >= 0"),
    ("x'*A*x - 2*b'*x", "x", "depends on the values",
     "a minimum where A + A' is positive definite"),
    ("(x - m)'*inv(S)*(x - m)", "m", "depends on the values",
     "a minimum where inv(S) + inv(S') is positive definite"),
    ("a*x'*x - b'*x", "x", "depends on the values", "a minimum where a >= 0"),
])
def test_stationary_point_kinds(loss, wrt, kind, fragment):
    solution = matcalc.stationary_point(loss, wrt, shapes=SHAPES)
    assert solution.kind == kind, solution.why
    assert fragment in solution.why
    assert solution.verdict.startswith(kind)


def _hessian_eigenvalues(solution, values):
    K = np.atleast_2d(solution.coefficient.evaluate(values))
    return np.linalg.eigvalsh((K + K.T) / 2)


@pytest.mark.parametrize("loss, wrt", [
    ("(X*w - y)'*(X*w - y)", "w"), ("norm2(A*W*B - C)^2", "W"),
    ("norm2(X*w - y)^2 + norm2(w)^2", "w"), ("exp(a)*x'*x - b'*x", "x")])
def test_a_proven_minimum_has_a_semidefinite_hessian_on_random_values(loss, wrt, rng):
    solution = matcalc.stationary_point(loss, wrt, shapes=SHAPES)
    for _ in range(20):
        values = {"X": rng.normal(size=(4, 6)), "A": rng.normal(size=(3, 3)),
                  "B": rng.normal(size=(2, 2)), "a": float(rng.normal())}
        assert np.min(_hessian_eigenvalues(solution, values)) >= -1e-9


@pytest.mark.parametrize("loss, wrt, minimum, saddle", [
    # S = diag(1, -1): the Mahalanobis point is a saddle (issue 22); S = I a minimum
    ("(x - m)'*inv(S)*(x - m)", "m", {"S": np.eye(2)}, {"S": np.diag([1.0, -1.0])}),
    ("x'*A*x - 2*b'*x", "x", {"A": np.eye(2)}, {"A": np.diag([1.0, -1.0])}),
    ("1/N*sum((Y - A*W).^2)", "W", {"N": 3.0, "A": np.eye(2), "Y": np.ones((2, 3))},
     {"N": -3.0, "A": np.eye(2), "Y": np.ones((2, 3))}),
])
def test_a_condition_is_not_a_verdict(loss, wrt, minimum, saddle):
    """'depends on the values' where the values decide: one value of each kind."""
    solution = matcalc.stationary_point(loss, wrt, shapes=SHAPES)
    assert solution.kind == "depends on the values"
    assert np.min(_hessian_eigenvalues(solution, minimum)) > 0
    assert np.min(_hessian_eigenvalues(solution, saddle)) < 0


def test_a_diagonal_of_positive_entries_is_a_gram_middle():
    """The logistic Hessian X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)))*X: sigmoid lies in
    (0, 1), so the middle is positive; with tanh in the middle it is not proven."""
    shapes = {"X": ("n", "d"), "w": ("d",)}
    logistic = matcalc.parse("X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)))*X", shapes)
    assert classify(matcalc.simplify(logistic, form="expanded").node, "w").kind == "minimum"
    assert classify(matcalc.parse("X'*diag(exp(X*w))*X", shapes).node, "w").kind == "minimum"
    assert classify(matcalc.parse("-X'*diag(w .^ 2)*X", {"X": ("d", "d"), "w": ("d",)}).node,
                    "w").kind == "maximum"
    unproven = classify(matcalc.parse("X'*diag(tanh(X*w))*X", shapes).node, "w")
    assert unproven.kind == "depends on the values"


def test_a_commutation_matrix_is_a_saddle():
    """The Hessian of tr(X*X) by X in vec form is 2*commutation(n, n): eigenvalues 2 and -2."""
    hessian = matcalc.diff(matcalc.diff("tr(X*X)", "X", shapes={"X": ("n", "n")}), "X")
    verdict = classify(hessian.node, "X")
    assert verdict.kind == "saddle point", (str(hessian), verdict)
    K = np.atleast_2d(hessian.evaluate(X=np.zeros((3, 3))))
    eigenvalues = np.linalg.eigvalsh((K + K.T) / 2)
    assert eigenvalues.min() < 0 < eigenvalues.max()


def test_an_equation_in_the_inverse_is_not_proven():
    solution = matcalc.stationary_point("logdet(S) + tr(inv(S)*C)", "S",
                                        shapes={"S": ("n", "n"), "C": ("n", "n")})
    assert solution.kind == "depends on the values"
    assert solution.why.startswith("not proven")


@pytest.mark.parametrize("loss, wrt, shapes, solution, kind", [
    ("a^2 - 2*a", "a", None, "1", "minimum"),
    ("(a*x - y)'*(a*x - y)", "a", None, "1/(x'*x)*y'*x", "minimum"),
    ("(x - c)^2", "x", {"x": ()}, "c", "minimum"),
    ("-(z - c)^2", "z", {"z": ()}, "c", "maximum"),
    ("b*z^2 - 2*z", "z", {"z": ()}, "1/b", "depends on the values"),
])
def test_scalar_unknowns_are_solved_and_classified(loss, wrt, shapes, solution, kind):
    """solve refused scalar unknowns: 'the gradient is not linear in a: it contains a'
    (issue 23, item 2)."""
    found = matcalc.stationary_point(loss, wrt, shapes=shapes)
    assert str(found) == solution and found.kind == kind, found.why
    assert found.verification.passed
