"""check and check_derivation: canonical form, then random instances."""

import numpy as np
import pytest

import matcalc


@pytest.mark.parametrize("lhs, rhs", [
    ("(A*B)'", "B'*A'"), ("(A')'", "A"), ("inv(A)'", "inv(A')"), ("inv(A)*A*x", "x"),
    ("y'*X*w", "w'*X'*y"), ("X'*y + X'*y", "2*X'*y"), ("tr(A*B)", "tr(B*A)"),
    ("diff((X*w - y)'*(X*w - y), w)", "2*X'*X*w - 2*X'*y"),
    ("diff(x'*A*x, x)", "(A + A')*x"), ("x - x", "0"),
])
def test_true_identities(lhs, rhs):
    result = matcalc.check(lhs, rhs)
    assert result.holds, result
    assert result.counterexample is None


def test_numeric_evidence_is_labelled():
    result = matcalc.check("exp(log(x))", "x")
    assert result.holds and "not a proof" in result.why


@pytest.mark.parametrize("lhs, rhs", [
    ("(A*B)'", "A'*B'"), ("inv(X)'", "inv(X)"), ("tr(A*B*C)", "tr(B*A*C)"),
    ("diff(logdet(X), X)", "inv(X)"),
])
def test_false_identities_have_counterexamples(lhs, rhs):
    square = {"A": ("n", "n"), "B": ("n", "n"), "C": ("n", "n")}
    result = matcalc.check(lhs, rhs, shapes=square)
    assert not result.holds
    values, left, right = result.counterexample
    assert not np.allclose(left, right)
    again = matcalc.parse(lhs, shapes=square).evaluate(values)
    assert np.allclose(again, left)


def test_the_classic_slip_holds_when_symmetric():
    result = matcalc.check("diff(w'*B*w, w)", "2*B*w")
    assert not result.holds and "holds when B is symmetric" in result.why
    assert matcalc.check("diff(w'*B*w, w)", "2*B*w", symmetric={"B"}).holds


def test_shape_errors_stay_errors():
    with pytest.raises(matcalc.ShapeError):
        matcalc.check("X*w", "w", shapes={"X": ("n", "d"), "w": ("d",)})


DOCUMENT = [
    "(X*w - y)'*(X*w - y)",
    "(w'*X' - y')*(X*w - y)",
    "w'*X'*X*w - w'*X'*y - y'*X*w + y'*y",
    "w'*X'*X*w - 2*w'*X'*y + y'*y",
]


def test_documents_expansion_checks_step_by_step():
    result = matcalc.check_derivation(DOCUMENT)
    assert result.holds and result.first_wrong is None


@pytest.mark.parametrize("slip, index", [
    ("(w'*X - y')*(X*w - y)", 1),                       # a dropped transpose
    ("w'*X'*X*w - w'*X'*y + y'*y", 3),                  # a lost factor 2
    ("w'*X*X'*w - 2*w'*X'*y + y'*y", 3),                # a product in the wrong order
])
def test_planted_slips_are_found(slip, index):
    steps = list(DOCUMENT)
    steps[index] = slip
    # a dropped transpose or a swapped product is well-shaped only for a square X
    result = matcalc.check_derivation(steps, shapes={"X": ("n", "d")} if index == 2 else
                                      {"X": ("n", "n")})
    assert not result.holds
    assert result.first_wrong == index + 1
    assert result.results[index - 1].counterexample is not None
    assert "WRONG" in str(result)


def test_shape_error_in_a_derivation_names_the_step():
    with pytest.raises(matcalc.ShapeError, match="line 2"):
        matcalc.check_derivation(["x'*x", "x'*X*x"], shapes={"X": ("n", "d")})


def test_a_derivation_needs_two_steps():
    with pytest.raises(matcalc.MatcalcError):
        matcalc.check_derivation(["x"])


def test_both_sides_take_one_shape():
    # undeclared names get the shapes that make both sides valid together: here square
    result = matcalc.check("(A*B)'", "A'*B'")
    assert not result.holds and result.counterexample is not None
    values, left, right = result.counterexample
    assert values["A"].shape[0] == values["A"].shape[1] == values["B"].shape[1]
    assert matcalc.check("(A*B)'", "B'*A'").holds
    # a real conflict under the user's declarations stays a ShapeError
    with pytest.raises(matcalc.ShapeError, match="one shape"):
        matcalc.check("A*B", "B'*A'", shapes={"A": ("m", "n"), "B": ("n", "k")})
