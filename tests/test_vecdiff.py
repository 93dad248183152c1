"""Derivatives past two indices (SPEC 2b), each against central finite differences.

The finite differences are computed here, entry by entry of the variable, and laid out by the
SPEC 2b rule: D[k + m*l, i + p*j] = dF_ij / dX_kl, i.e. column-major vec on both sides. The
function itself is evaluated by matcalc (tested against numpy in test_evaluate.py); nothing
here uses matcalc's derivative code to check matcalc's derivatives.
"""

import numpy as np
import pytest

import matcalc
from matcalc.evaluate import evaluate
from matcalc.verify import draw, requirements, size_constants, symbol_table

EPS = 1e-6
TOLERANCE = 1e-6

SHAPES = {"X": ("m", "n"), "S": ("n", "n"), "A": ("p", "m"), "B": ("n", "q"),
          "C": ("m", "m"), "K": ("n", "n"), "w": ("n",), "y": ("m",), "b": ("n",),
          "x": ("d",), "u": ("d",), "M": ("d", "d"), "N": ("d", "d"), "t": (), "c": ("d",),
          "W": ("k", "d"), "v": ("k",)}

# (family, F, the variable)
CASES = [
    # matrix by matrix
    ("matrix by matrix", "A*X*B", "X"),
    ("matrix by matrix", "X", "X"),
    ("matrix by matrix", "X'", "X"),
    ("matrix by matrix", "inv(S)", "S"),
    ("matrix by matrix", "S*S", "S"),
    ("matrix by matrix", "X'*X", "X"),
    ("matrix by matrix", "X*K*X'", "X"),
    ("matrix by matrix", "A*inv(C)*X", "C"),
    ("matrix by matrix", "X.^2", "X"),
    ("matrix by matrix", "exp(X)", "X"),
    ("matrix by matrix", "X .* (C*X)", "X"),
    ("matrix by matrix", "tanh(A*X)", "X"),
    ("matrix by matrix", "det(S)*inv(S)", "S"),
    ("matrix by matrix", "kron(X, K)", "X"),
    ("matrix by matrix", "kron(A, X)", "X"),
    ("matrix by matrix", "S/tr(S)", "S"),
    ("matrix by matrix", "(S + S')/2", "S"),
    ("matrix by matrix", "sigmoid(X)*B", "X"),
    ("matrix by matrix", "S^3", "S"),
    ("matrix by matrix", "diag(diag(S))", "S"),
    ("matrix by matrix", "X ./ (1 + X.^2)", "X"),
    ("matrix by matrix", "S^-2", "S"),
    # vector by matrix
    ("vector by matrix", "X*w", "X"),
    ("vector by matrix", "X'*y", "X"),
    ("vector by matrix", "tanh(X*w)", "X"),
    ("vector by matrix", "inv(S)*b", "S"),
    ("vector by matrix", "diag(S)", "S"),
    ("vector by matrix", "vec(X)", "X"),
    ("vector by matrix", "softmax(X*w)", "X"),
    ("vector by matrix", "S*S*b", "S"),
    ("vector by matrix", "A*X*w", "X"),
    ("vector by matrix", "(w'*S*b)*b", "S"),
    # matrix by vector, matrix (and vector) by scalar
    ("matrix by vector", "x*x'", "x"),
    ("matrix by vector", "diag(x)", "x"),
    ("matrix by vector", "x*u'", "x"),
    ("matrix by vector", "kron(x, M)", "x"),
    ("matrix by vector", "inv(M + x*x')", "x"),
    ("matrix by vector", "(u'*x)*M", "x"),
    ("matrix by scalar", "t*M + t^2*N", "t"),
    ("matrix by scalar", "inv(M + t*N)", "t"),
    ("matrix by scalar", "exp(t*M)", "t"),
    ("vector by scalar", "inv(M + t*N)*c", "t"),
    ("vector by vector", "(x*x')*u", "x"),
    ("vector by vector", "inv(M + x*x')*u", "x"),
    # Hessians by matrices
    ("Hessian by matrix", "diff(tr(X'*C*X), X)", "X"),
    ("Hessian by matrix", "diff(logdet(S), S)", "S"),
    ("Hessian by matrix", "diff(tr(inv(S)), S)", "S"),
    ("Hessian by matrix", "diff(sum(exp(A*X)), X)", "X"),
    ("Hessian by matrix", "diff(norm2(A*X - A*C*X)^2, X)", "X"),
    ("Hessian by matrix", "diff(logsumexp(X*w), X)", "X"),
    ("Hessian by matrix", "diff(det(S), S)", "S"),
    ("Hessian by matrix", "diff(tr(S*S*S), S)", "S"),
    ("Hessian by matrix", "diff(y'*X*w, X)", "X"),
    ("Hessian by matrix", "diff(sum(log(1 + exp(-(X*w)))), X)", "X"),
    # the new functions
    ("new functions", "logsumexp(x)", "x"),
    ("new functions", "softmax(x)", "x"),
    ("new functions", "logsumexp(W*x) - v'*W*x", "W"),
    ("new functions", "vec(X)'*kron(K, C)*vec(X)", "X"),
    ("new functions", "sum(kron(A, X))", "X"),
    ("new functions", "logsumexp(W*x)", "x"),
    ("new functions", "softmax(W*x)", "W"),
    ("new functions", "kron(x, u)", "x"),
    ("new functions", "unvec(kron(u, x), d, d)", "x"),
    # a scalar factor of a matrix, through each scalar-valued operation
    ("matrix by matrix", "norm2(X)*C", "X"),
    ("matrix by matrix", "norm1(X)*C", "X"),
    ("matrix by matrix", "logdet(S)*K", "S"),
    ("matrix by matrix", "sum(X)*C", "X"),
    ("matrix by matrix", "tr(S)*K", "S"),
    ("matrix by matrix", "logsumexp(X*w)*C", "X"),
    ("matrix by scalar", "X/t", "t"),
    ("matrix by scalar", "X.^t", "t"),
    ("matrix by matrix", "sum(X)/norm2(X)*C", "X"),
]


def _values(expr, rng):
    symbols = symbol_table(expr.node)
    invertible, positive = requirements(expr.node)
    values, sizes = draw(symbols, rng, invertible, positive)
    return values, size_constants(sizes, expr.node)


def numeric_matrix_form(expr, values, wrt):
    """D by central differences: one row per entry of the variable (column-major), one
    column per entry of the function (column-major): the SPEC 2b layout."""
    point = np.asarray(values[wrt], dtype=float)
    flat = point.flatten(order="F")
    rows = []
    for k in range(flat.size):
        step = np.zeros_like(flat)
        step[k] = EPS
        plus = expr.evaluate(dict(values, **{wrt: (flat + step).reshape(point.shape, order="F")}))
        minus = expr.evaluate(dict(values, **{wrt: (flat - step).reshape(point.shape, order="F")}))
        rows.append(((np.asarray(plus) - np.asarray(minus)) / (2 * EPS)).flatten(order="F"))
    return np.array(rows)


def as_matrix_form(value, f_shape, w_shape):
    """matcalc's result in the SPEC 2b matrix form (section 2 keeps some shapes)."""
    value = np.asarray(value, dtype=float)
    if f_shape == ():
        return value.flatten(order="F")[:, None]                  # a gradient: W's shape
    if w_shape == ():
        return value.flatten(order="F")[None, :]                  # F's shape, or a row
    return value


@pytest.mark.parametrize("family, text, wrt", CASES, ids=[f"{c[1]} by {c[2]}" for c in CASES])
def test_against_finite_differences(family, text, wrt, rng):
    expr = matcalc.parse(text, SHAPES)
    g = matcalc.diff(expr, wrt)
    w_shape = SHAPES[wrt]
    f_shape = expr.shape
    for _ in range(2):
        values, sizes = _values(expr, rng)
        numeric = numeric_matrix_form(expr, values, wrt)
        analytic = as_matrix_form(evaluate(g.node, values, sizes),
                                  f_shape, w_shape)
        assert analytic.shape == numeric.shape
        scale = max(1.0, np.max(np.abs(numeric)))
        assert np.max(np.abs(analytic - numeric)) <= TOLERANCE * scale, (str(g))
    # the printed result reads back, under the same declarations, to the same numbers
    back = matcalc.parse(str(g), g.declarations.shapes)
    assert np.allclose(evaluate(back.node, values, sizes),
                       evaluate(g.node, values, sizes))
    # both printed forms agree
    expanded = matcalc.diff(expr, wrt, form="expanded")
    assert np.allclose(evaluate(expanded.node, values, sizes),
                       evaluate(g.node, values, sizes))


# ---------------------------------------------------------------- the printed forms

@pytest.mark.parametrize("text, wrt, shapes, printed", [
    ("A*X*B", "X", {}, "kron(B, A')"),
    ("inv(X)", "X", {"X": ("n", "n")}, "-kron(inv(X), inv(X'))"),
    ("X", "X", {"X": ("m", "n")}, "I(m*n)"),
    ("X*w", "X", {"X": ("m", "n")}, "kron(w, I(m))"),
    ("x*x'", "x", {"x": ("d",)}, "kron(I(d), x') + kron(x', I(d))"),  # by power of x
    ("X'", "X", {"X": ("m", "n")}, "commutation(n, m)"),
    ("diff(tr(X'*A*X), X)", "X", {"X": ("m", "n"), "A": ("m", "m")}, "kron(I(n), A + A')"),
    ("diff(logdet(X), X)", "X", {"X": ("n", "n")}, "-kron(inv(X), inv(X'))*commutation(n, n)"),
    ("logsumexp(x)", "x", {}, "softmax(x)"),
    ("softmax(x)", "x", {}, "diag(t0) - t0*t0' where t0 = softmax(x)"),
    ("logsumexp(W*x) - y'*W*x", "W", {}, "(softmax(W*x) - y)*x'"),
    ("inv(A + t*B)", "t", {"t": ()}, "-t0*B*t0 where t0 = inv(A + t*B)"),
])
def test_textbook_forms(text, wrt, shapes, printed):
    g = matcalc.diff(text, wrt, shapes)
    assert str(g) == printed
    assert matcalc.parse(printed, g.declarations.shapes) == g


def test_shapes_of_section_two_are_kept():
    S = {"X": ("m", "n"), "x": ("d",), "t": ()}
    assert matcalc.diff("tr(X'*X)", "X", S).shape == ("m", "n")      # scalar: X's shape
    assert matcalc.diff("t*X", "t", S).shape == ("m", "n")            # by a scalar: F's
    assert matcalc.diff("t*x", "t", S).shape == (1, "d")              # a vector: a row
    assert matcalc.diff("exp(x)", "x", S).shape == ("d", "d")         # vector by vector
    assert matcalc.diff("X*X'", "X", S).shape == ("m*n", "m^2")       # size(W) x size(F)


# ---------------------------------------------------------------- the differential

@pytest.mark.parametrize("text, wrt, shapes, printed", [
    ("inv(X)", "X", {}, "-inv(X)*dX*inv(X)"),
    ("A*X*B", "X", {}, "A*dX*B"),
    ("X'*X", "X", {}, "X'*dX + dX'*X"),
    ("logdet(X)", "X", {}, "tr(dX*inv(X))"),
    ("(X*w - y)'*(X*w - y)", "w", {}, "2*w'*X'*X*dw - 2*y'*X*dw"),
    ("exp(X)", "X", {}, "dX .* exp(X)"),
])
def test_differentials(text, wrt, shapes, printed, rng):
    d = matcalc.differential(text, wrt, shapes)
    assert str(d) == printed
    # dF(dX) is the directional derivative: check it against finite differences
    expr = matcalc.parse(text, shapes)
    values, sizes = _values(expr, rng)
    direction = rng.normal(size=np.shape(values[wrt]))
    step = 1e-6
    plus = expr.evaluate(dict(values, **{wrt: values[wrt] + step * direction}))
    minus = expr.evaluate(dict(values, **{wrt: values[wrt] - step * direction}))
    numeric = (np.asarray(plus) - np.asarray(minus)) / (2 * step)
    analytic = d.evaluate(dict(values, **{"d" + wrt: direction}))
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_differential_name_clash_is_an_error():
    with pytest.raises(matcalc.MatcalcError, match="dX is already a variable"):
        matcalc.differential("X + dX", "X")


# ---------------------------------------------------------------- directions and tensors

def test_hessian_vector_product_without_the_hessian(rng):
    S = {"X": ("m", "n"), "A": ("m", "m")}
    g = matcalc.diff("tr(X'*A*X) + sum(exp(X))", "X", S)
    Hv = matcalc.diff(g, "X", direction="V")
    assert Hv.shape == ("m", "n") and str(Hv) == "(A + A')*V + V .* exp(X)"
    H = matcalc.diff(g, "X")
    values = {"X": rng.normal(size=(3, 2)), "A": rng.normal(size=(3, 3)),
              "V": rng.normal(size=(3, 2))}
    via_matrix = (H.evaluate(values).T @ values["V"].flatten("F")).reshape((3, 2), order="F")
    assert np.allclose(Hv.evaluate(values), via_matrix)


def test_direction_must_have_the_variables_shape():
    with pytest.raises(matcalc.ShapeError, match="direction"):
        matcalc.diff("X'*X", "X", {"X": ("m", "n"), "V": ("n", "n")}, direction="V")
    with pytest.raises(matcalc.MatcalcError, match="direction"):
        matcalc.diff("X'*X", "X", direction="2*V")


def test_tensor_evaluation(rng):
    S = {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")}
    g = matcalc.diff("A*X*B", "X", S)
    A, X, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    T = g.evaluate(A=A, X=X, B=B, tensor=True)
    assert T.shape == (3, 4, 2, 5)             # W's axes, then F's
    # T[k, l, i, j] = d(AXB)_ij / dX_kl = A_ik * B_lj
    assert np.allclose(T, np.einsum("ik,lj->klij", A, B))
    D = g.evaluate(A=A, X=X, B=B)
    assert D.shape == (12, 10) and np.allclose(D, np.kron(B, A.T))
    # a diff(F, W) term also knows its layout
    term = matcalc.parse("diff(A*X*B, X)", S)
    assert np.allclose(term.evaluate(dict(A=A, X=X, B=B), tensor=True), T)
    with pytest.raises(matcalc.MatcalcError, match="tensor"):
        matcalc.parse("A*X*B", S).evaluate(dict(A=A, X=X, B=B), tensor=True)


# ---------------------------------------------------------------- check and limits

def test_check_decides_identities_with_kronecker_forms():
    holds = matcalc.check("diff(inv(X), X)", "-kron(inv(X), inv(X)')")
    assert holds.holds
    fails = matcalc.check("diff(A*X*B, X)", "kron(A, B')")
    assert not fails.holds and fails.counterexample is not None
    assert matcalc.check("diff(A*X*B, X)", "kron(B, A')").holds


def test_what_cannot_be_expressed_is_named():
    with pytest.raises(matcalc.UnsupportedError, match="symmetric"):
        matcalc.diff("S*X", "S", symmetric={"S"})
    with pytest.raises(matcalc.UnsupportedError, match="A\\^2000"):
        matcalc.diff("A^2000", "A")
