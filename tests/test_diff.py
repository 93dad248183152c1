"""Derivatives: an identity table checked numerically and against its expected form.

Every case is verified by central differences on random instances (matcalc.verify) and
compared with the expected derivative: by canonical form where the simplifier can show the
two equal, otherwise numerically on random instances ("numeric" cases).
"""

import numpy as np
import pytest

import matcalc
from matcalc import ast, calculus
from matcalc.expression import declared_like

SQUARE = {"A": ("n", "n"), "B": ("n", "n"), "X": ("n", "n")}
TALL = {"X": (5, 3)}

# (expression, variable, expected, declarations, how the expected form is compared)
IDENTITIES = [
    # -- scalar by vector: linear and quadratic forms (Matrix Cookbook 69, 81)
    ("u'*x", "x", "u", {}, "canonical"),
    ("x'*u", "x", "u", {}, "canonical"),
    ("x'*x", "x", "2*x", {}, "canonical"),
    ("x'*A*x", "x", "(A + A')*x", {}, "canonical"),
    ("x'*A*x", "x", "2*A*x", {"symmetric": {"A"}}, "canonical"),
    ("u'*A*x", "x", "A'*u", {}, "canonical"),
    ("u'*A'*x", "x", "A*u", {}, "canonical"),
    ("(A*x + u)'*(A*x + u)", "x", "2*A'*(A*x + u)", {}, "canonical"),
    ("norm2(x)", "x", "x/norm2(x)", {}, "canonical"),
    ("norm2(x)^2", "x", "2*x", {}, "canonical"),
    ("norm2(A*x - u)^2", "x", "2*A'*(A*x - u)", {}, "canonical"),
    ("sqrt(x'*x)", "x", "x/sqrt(x'*x)", {}, "numeric"),
    ("exp(u'*x)", "x", "exp(u'*x)*u", {}, "canonical"),
    ("(u'*x)^2", "x", "2*(u'*x)*u", {}, "canonical"),
    ("x'*x/(u'*x)", "x", "2*x/(u'*x) - x'*x*u/(u'*x)^2", {}, "canonical"),
    ("log(x'*A*x)", "x", "(A + A')*x/(x'*A*x)", {}, "canonical"),
    # -- elementwise functions through sum
    ("sum(x)", "x", "vector(1)", {}, "canonical"),
    ("sum(exp(x))", "x", "exp(x)", {}, "canonical"),
    ("sum(log(x))", "x", "vector(1) ./ x", {}, "canonical"),
    ("sum(x.^3)", "x", "3*x.^2", {}, "canonical"),
    ("sum(sqrt(x))", "x", "0.5*x.^-0.5", {}, "numeric"),
    ("sum(sin(x))", "x", "cos(x)", {}, "canonical"),
    ("sum(cos(x))", "x", "-sin(x)", {}, "canonical"),
    ("sum(tan(x))", "x", "1 + tan(x).^2", {}, "canonical"),
    ("sum(arctan(x))", "x", "vector(1) ./ (1 + x.^2)", {}, "canonical"),
    ("sum(tanh(x))", "x", "1 - tanh(x).^2", {}, "canonical"),
    ("sum(sigmoid(x))", "x", "sigmoid(x) .* (1 - sigmoid(x))", {}, "canonical"),
    ("sum(softplus(x))", "x", "sigmoid(x)", {}, "canonical"),
    ("sum(relu(x))", "x", "(sign(x) + 1)/2", {}, "canonical"),
    ("norm1(x)", "x", "sign(x)", {}, "canonical"),
    ("sum(abs(x))", "x", "sign(x)", {}, "canonical"),
    ("u'*(x .* v)", "x", "u .* v", {}, "canonical"),
    ("sum(x ./ u)", "x", "vector(1) ./ u", {}, "canonical"),
    ("u'*diag(x)*v", "x", "u .* v", {}, "numeric"),
    ("tr(diag(x)*A)", "x", "diag(A)", {}, "canonical"),
    # -- scalar by matrix: traces, determinants, inverses (Cookbook 100-125, 49, 57, 61)
    ("tr(X)", "X", "I", SQUARE, "canonical"),
    ("tr(A*X)", "X", "A'", SQUARE, "canonical"),
    ("tr(A*X*B)", "X", "A'*B'", SQUARE, "canonical"),
    ("tr(X'*A)", "X", "A", {}, "canonical"),
    ("tr(X*X)", "X", "2*X'", SQUARE, "canonical"),
    ("tr(X'*X)", "X", "2*X", {}, "canonical"),
    ("tr(X'*A*X)", "X", "(A + A')*X", {}, "canonical"),
    ("tr(X^2)", "X", "2*X'", SQUARE, "canonical"),
    ("tr(X^3)", "X", "3*X'*X'", SQUARE, "canonical"),
    ("det(X)", "X", "det(X)*inv(X)'", SQUARE, "canonical"),
    ("logdet(X)", "X", "inv(X)'", SQUARE, "canonical"),
    ("log(det(X))", "X", "inv(X)'", SQUARE, "canonical"),
    ("tr(inv(X))", "X", "-inv(X)'*inv(X)'", SQUARE, "canonical"),
    ("u'*inv(X)*v", "X", "-inv(X)'*u*v'*inv(X)'", SQUARE, "canonical"),
    ("u'*X*v", "X", "u*v'", {}, "canonical"),
    ("u'*X'*v", "X", "v*u'", {}, "canonical"),
    ("norm2(X)^2", "X", "2*X", {}, "canonical"),
    ("sum(X)", "X", "matrix(1)", {}, "canonical"),
    ("sum(exp(X))", "X", "exp(X)", {}, "canonical"),
    ("logdet(X'*X)", "X", "2*X*inv(X'*X)", TALL, "canonical"),
    ("x'*X*X'*x", "X", "2*x*x'*X", {}, "canonical"),
    # -- Jacobians (n-vector by d-vector: d x n)
    ("A*x", "x", "A'", {}, "canonical"),
    ("x", "x", "I", {}, "canonical"),
    ("exp(x)", "x", "diag(exp(x))", {}, "canonical"),
    ("x .* u", "x", "diag(u)", {}, "canonical"),
    ("c*x", "x", "c*I", {}, "canonical"),
    ("tanh(A*x)", "x", "A'*diag(1 - tanh(A*x).^2)", {}, "canonical"),
    ("x/norm2(x)", "x", "I/norm2(x) - x*x'/norm2(x)^3", {}, "numeric"),
    ("A*x + u", "u", "I", {}, "canonical"),
    ("c*u", "c", "u'", {}, "canonical"),
    # -- Hessians: the Jacobian of a gradient
    ("(A + A')*x", "x", "A + A'", {}, "canonical"),
    ("2*X'*(X*w - y)", "w", "2*X'*X", {}, "canonical"),
    ("-X'*(y .* sigmoid(-y .* (X*w)))", "w",
     "X'*diag(y.^2 .* sigmoid(-y .* (X*w)) .* (1 - sigmoid(-y .* (X*w))))*X", {}, "numeric"),
    # -- machine learning losses
    ("(X*w - y)'*(X*w - y)", "w", "2*X'*X*w - 2*X'*y", {}, "canonical"),
    ("1/N*sum((Y - A*W).^2)", "W", "-2/N*A'*(Y - A*W)", {}, "canonical"),
    ("norm2(X*w - y)^2 + lambda*norm2(w)^2", "w", "2*X'*(X*w - y) + 2*lambda*w", {},
     "canonical"),
    ("(X*w - y)'*C*(X*w - y)", "w", "2*X'*C*(X*w - y)", {"symmetric": {"C"}}, "canonical"),
    ("sum(log(1 + exp(-y .* (X*w))))", "w", "-X'*(y .* sigmoid(-y .* (X*w)))", {}, "numeric"),
    ("log(sum(exp(W*x))) - y'*W*x", "W", "exp(W*x)*x'/sum(exp(W*x)) - y*x'", {}, "canonical"),
    ("sum((W2*tanh(W1*x) - y).^2)", "W1",
     "((2*W2'*(W2*tanh(W1*x) - y)) .* (1 - tanh(W1*x).^2))*x'", {}, "numeric"),
    ("sum((U*V' - Y).^2)", "U", "2*(U*V' - Y)*V", {}, "canonical"),
    ("sum((U*V' - Y).^2)", "V", "2*(V*U' - Y')*U", {}, "canonical"),
    ("tr((X*w - y)*(X*w - y)')", "w", "2*X'*(X*w - y)", {}, "canonical"),
    ("sum(tanh(W*x))", "W", "(1 - tanh(W*x).^2)*x'", {}, "canonical"),
    # -- exponents that vary: a scalar broadcast, and one of the base's shape
    ("sum(x.^c)", "c", "sum(log(x) .* x.^c)", {}, "canonical"),
    ("sum(x.^z)", "z", "log(x) .* x.^z", {"shapes": {"x": ("n",), "z": ("n",)}}, "canonical"),
    ("x.^z", "z", "diag(log(x) .* x.^z)", {"shapes": {"x": ("n",), "z": ("n",)}}, "canonical"),
]


def _case_id(case):
    return f"d({case[0]})/d{case[1]}"


@pytest.mark.parametrize("text, wrt, expected, decls, how", IDENTITIES,
                         ids=[_case_id(c) for c in IDENTITIES])
def test_identity(text, wrt, expected, decls, how):
    shapes, symmetric = decls.get("shapes", decls if "symmetric" not in decls else {}), \
        decls.get("symmetric")
    loss = matcalc.parse(text, shapes=shapes, symmetric=symmetric)
    result = matcalc.diff(loss, wrt)
    report = matcalc.verify(loss, wrt, result)
    assert report.passed, report
    claimed = matcalc.parse(expected, shapes=declared_like(loss), symmetric=symmetric,
                            shape=result.shape)
    assert result.shape == claimed.shape
    assert matcalc.verify(loss, wrt, claimed).passed        # the table itself is right
    if how == "canonical":
        assert matcalc.simplify(result, form="expanded") == \
            matcalc.simplify(claimed, form="expanded"), \
            f"{matcalc.simplify(result, form='expanded')} vs {matcalc.simplify(claimed, form='expanded')}"


# ---------------------------------------------------------------- printed forms

def test_first_document_forms():
    loss = "(X*w - y)'*(X*w - y)"
    assert str(matcalc.diff(loss, "w", form="expanded")) == "2*X'*X*w - 2*X'*y"
    assert str(matcalc.diff(loss, "w")) == "2*X'*(X*w - y)"


def test_second_document_forms():
    loss = "1/N*sum((Y - A*W).^2)"
    assert str(matcalc.diff(loss, "W", form="expanded")) == "2/N*A'*A*W - 2/N*A'*Y"
    assert str(matcalc.diff(loss, "W")) in ("-2/N*A'*(Y - A*W)", "2/N*A'*(A*W - Y)")


def test_quadratic_form_prints_textbook():
    assert str(matcalc.diff("w'*B*w", "w")) == "(B + B')*w"
    assert str(matcalc.diff("w'*B*w", "w", symmetric={"B"})) == "2*B*w"


def test_jacobian_in_denominator_layout():
    assert str(matcalc.diff("A*x", "x")) == "A'"
    assert matcalc.diff("A*x", "x").shape == ("d", "n")


def test_hessian_of_least_squares():
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    H = matcalc.diff(g, "w")
    assert str(H) == "2*X'*X"
    assert matcalc.verify(g, "w", H).passed


def test_symmetric_matrix_variable_gives_symmetrized_gradient():
    g = matcalc.diff("x'*S*x", "S", symmetric={"S"})
    assert matcalc.simplify(g, form="expanded") == \
        matcalc.simplify(matcalc.parse("x*x'", shapes={"x": ("n",)}), form="expanded")
    g = matcalc.diff("tr(A*S)", "S", symmetric={"S"}, shapes={"A": ("n", "n")})
    assert str(matcalc.simplify(g, form="expanded")) == "0.5*A + 0.5*A'"


def test_shared_subexpressions_are_named():
    g = matcalc.diff("sum(tanh(W2*tanh(W1*x)))", "W1")
    assert " where t0 = tanh(W1*x)" in str(g)
    assert matcalc.verify("sum(tanh(W2*tanh(W1*x)))", "W1", g).passed
    again = matcalc.parse(str(g), shapes=declared_like(matcalc.parse(
        "sum(tanh(W2*tanh(W1*x)))")))
    assert again == g


# ---------------------------------------------------------------- the contract's edges

def test_declared_but_absent_variable_gives_zero():
    g = matcalc.diff("x'*x", "w", shapes={"w": ("d",)})
    assert str(g) == "vector(0, d)" and g.shape == ("d",)      # nothing else sizes it


def test_unknown_variable_is_an_error():
    with pytest.raises(matcalc.MatcalcError, match="does not occur"):
        matcalc.diff("x'*x", "q")


def test_non_scalar_by_a_symmetric_matrix_is_unsupported():
    with pytest.raises(matcalc.UnsupportedError, match="symmetric"):
        matcalc.diff("S*X", "S", symmetric={"S"})


def test_jacobian_through_a_dependent_matrix_takes_the_vec_route(rng):
    # (w*w')*u = w*(w'*u): its Jacobian (w'*u)*I + u*w' passes through the matrix w*w'
    g = matcalc.diff("(w*w')*u", "w", shapes={"w": ("n",), "u": ("n",)})
    assert g.shape == ("n", "n")
    w, u = rng.normal(size=4), rng.normal(size=4)
    assert np.allclose(g.evaluate(w=w, u=u), (w @ u) * np.eye(4) + np.outer(u, w))
    assert matcalc.verify("(w*w')*u", "w", g).passed


def test_diff_terms_evaluate(rng):
    e = matcalc.parse("diff(x'*A*x, x)", shapes={"x": ("n",), "A": ("n", "n")})
    x, A = rng.normal(size=3), rng.normal(size=(3, 3))
    assert np.allclose(e.evaluate(x=x, A=A), (A + A.T) @ x)


def test_form_must_be_known():
    with pytest.raises(matcalc.MatcalcError, match="form"):
        matcalc.diff("x'*x", "x", form="pretty")


def test_shapes_given_again_must_agree():
    e = matcalc.parse("x'*x")
    with pytest.raises(matcalc.ShapeError):
        matcalc.diff(e, "x", shapes={"x": ("n", "n")})


def test_verify_catches_a_wrong_derivative():
    report = matcalc.verify("w'*B*w", "w", "2*B*w")
    assert not report.passed and report.worst_error > 1e-2
    report = matcalc.verify("logdet(X)", "X", "inv(X)")     # missing transpose
    assert not report.passed


# ---------------------------------------------------------------- matrix powers

def test_trace_of_a_power_is_k_times_the_transposed_power():
    assert str(matcalc.diff("tr(A^50)", "A")) == "50*A'^49"
    # one term whatever k: the work is linear in what is printed, not in k
    A = matcalc.parse("A", shapes={"A": ("n", "n")}).node
    raw = calculus.derivative(matcalc.parse("tr(A^1000000)").node, A)
    assert ast.tree_size(raw) < 20
    g = matcalc.diff("tr(A^1000000)", "A")
    assert str(g) == "1000000*A'^999999"
    assert str(matcalc.diff("tr(((A^2)^3)^4)", "A")) == "24*A'^23"
    assert matcalc.verify("tr(A^9)", "A").passed


def test_power_derivatives_write_each_distinct_term_once(rng):
    g = matcalc.diff("x'*A^5*x", "A")
    assert matcalc.verify("x'*A^5*x", "A", g).passed
    assert "A'*A'" not in str(matcalc.diff("x'*A^5*x", "A", form="expanded"))
    with pytest.raises(matcalc.UnsupportedError, match="up to A\\^1000"):
        matcalc.diff("x'*A^100000*x", "A")
