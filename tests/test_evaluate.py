"""Evaluation with numpy: every operation against a numpy reference."""

import numpy as np
import pytest

import matcalc

DECLS = {"X": ("n", "d"), "w": ("d",), "y": ("n",), "A": ("m", "m"), "B": ("m", "m"),
         "x": ("m",), "z": ("m",), "c": (), "s": ()}


@pytest.fixture
def values(rng):
    return {
        "X": rng.normal(size=(5, 3)), "w": rng.normal(size=3), "y": rng.normal(size=5),
        "A": 3 * np.eye(4) + 0.3 * rng.normal(size=(4, 4)),
        "B": rng.normal(size=(4, 4)), "x": rng.uniform(0.2, 0.9, size=4),
        "z": rng.uniform(0.2, 0.9, size=4), "c": 1.7, "s": 0.4,
    }


def sig(v):
    return 1 / (1 + np.exp(-v))


CASES = [
    ("X*w - y", lambda v: v["X"] @ v["w"] - v["y"]),
    ("(X*w - y)'*(X*w - y)", lambda v: (v["X"] @ v["w"] - v["y"]) @ (v["X"] @ v["w"] - v["y"])),
    ("-x + c", lambda v: -v["x"] + v["c"]),
    ("c*A*x", lambda v: v["c"] * v["A"] @ v["x"]),
    ("A*x*c", lambda v: v["A"] @ v["x"] * v["c"]),
    ("x/s", lambda v: v["x"] / v["s"]),
    ("x .* z", lambda v: v["x"] * v["z"]),
    ("x ./ z", lambda v: v["x"] / v["z"]),
    ("c^2", lambda v: v["c"] ** 2),
    ("c^s", lambda v: v["c"] ** v["s"]),
    ("A^3", lambda v: v["A"] @ v["A"] @ v["A"]),
    ("A^-1", lambda v: np.linalg.inv(v["A"])),
    ("A^-2", lambda v: np.linalg.inv(v["A"] @ v["A"])),
    ("x.^3", lambda v: v["x"] ** 3),
    ("x.^-0.5", lambda v: v["x"] ** -0.5),
    ("A'", lambda v: v["A"].T),
    ("A^T*x", lambda v: v["A"].T @ v["x"]),
    ("x*z'", lambda v: np.outer(v["x"], v["z"])),
    ("tr(A*B)", lambda v: np.trace(v["A"] @ v["B"])),
    ("det(A)", lambda v: np.linalg.det(v["A"])),
    ("logdet(A)", lambda v: np.log(np.linalg.det(v["A"]))),
    ("inv(A)*x", lambda v: np.linalg.solve(v["A"], v["x"])),
    ("sum(X)", lambda v: v["X"].sum()),
    ("norm1(X)", lambda v: np.abs(v["X"]).sum()),
    ("norm2(x)", lambda v: np.linalg.norm(v["x"])),
    ("norm2(X)", lambda v: np.linalg.norm(v["X"], "fro")),
    ("diag(x)", lambda v: np.diag(v["x"])),
    ("diag(A)", lambda v: np.diag(v["A"])),
    ("A + I", lambda v: v["A"] + np.eye(4)),
    ("eye*x", lambda v: v["x"]),
    ("vector(c) + x", lambda v: v["c"] + v["x"]),
    ("matrix(2) .* X", lambda v: 2 * v["X"]),
    ("exp(x) + log(x) + sqrt(x) + abs(x) + sign(x)",
     lambda v: np.exp(v["x"]) + np.log(v["x"]) + np.sqrt(v["x"]) + np.abs(v["x"]) + 1),
    ("sin(x) + cos(x) + tan(x)", lambda v: np.sin(v["x"]) + np.cos(v["x"]) + np.tan(v["x"])),
    ("arcsin(x) + arccos(x) + arctan(x)",
     lambda v: np.arcsin(v["x"]) + np.arccos(v["x"]) + np.arctan(v["x"])),
    ("tanh(X) + sigmoid(X) + softplus(X) + relu(X)",
     lambda v: np.tanh(v["X"]) + sig(v["X"]) + np.log1p(np.exp(v["X"])) + np.maximum(v["X"], 0)),
    ("1/2*x'*A*x", lambda v: 0.5 * v["x"] @ v["A"] @ v["x"]),
    ("t1 where t0 = X*w - y, t1 = t0'*t0",
     lambda v: (v["X"] @ v["w"] - v["y"]) @ (v["X"] @ v["w"] - v["y"])),
]


@pytest.mark.parametrize("text, reference", CASES, ids=[c[0] for c in CASES])
def test_against_numpy(text, reference, values):
    result = matcalc.parse(text, shapes=DECLS).evaluate(values)
    expected = reference(values)
    assert np.shape(result) == np.shape(expected)
    assert np.allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_scalar_results_are_floats(values):
    assert type(matcalc.parse("x'*z", shapes=DECLS).evaluate(values)) is float


def test_vectors_one_or_two_dimensional(values):
    e = matcalc.parse("X*w", shapes=DECLS)
    as_column = dict(values, w=values["w"].reshape(-1, 1))
    assert np.allclose(e.evaluate(values), e.evaluate(as_column))
    assert e.evaluate(as_column).shape == (5,)


def test_unused_names_are_ignored_and_kwargs_work(values):
    assert matcalc.parse("c*b").evaluate(c=2.0, b=3.0, unused=np.ones(9)) == 6.0


def test_documents_losses_undeclared(rng):
    X, w, y = rng.normal(size=(6, 2)), rng.normal(size=2), rng.normal(size=6)
    r = X @ w - y
    assert np.isclose(matcalc.parse("(X*w - y)'*(X*w - y)").evaluate(X=X, w=w, y=y), r @ r)
    A, W, Y = rng.normal(size=(6, 2)), rng.normal(size=(2, 1)), rng.normal(size=(6, 1))
    assert np.isclose(matcalc.parse("1/N*sum((Y - A*W).^2)").evaluate(N=6, A=A, W=W, Y=Y),
                      np.mean((Y - A @ W) ** 2))


@pytest.mark.parametrize("given, fragment", [
    ({"w": np.ones(4)}, "disagree on dimension d"),
    ({"w": np.ones((3, 3))}, "'w' is d-vector"),
    ({"X": np.ones(5)}, "'X' is n x d but its value is a vector"),
    ({"X": np.ones((2, 2, 2))}, "3 dimensions"),
    ({"X": "abc"}, "not numeric"),
    ({"y": None}, "not numeric"),
])
def test_bad_values(given, fragment, values):
    e = matcalc.parse("X*w - y", shapes=DECLS)
    with pytest.raises(matcalc.EvaluationError, match=fragment):
        e.evaluate(dict(values, **given))


def test_missing_value():
    with pytest.raises(matcalc.EvaluationError, match="no value given for 'w'"):
        matcalc.parse("X*w").evaluate(X=np.ones((2, 2)))


def test_size_of_identity_must_be_known():
    with pytest.raises(matcalc.EvaluationError, match="not fixed"):
        matcalc.parse("tr(I)").evaluate({})


def test_singular_inverse_is_a_matcalc_error():
    with pytest.raises(matcalc.EvaluationError, match="singular"):
        matcalc.parse("inv(A)").evaluate(A=np.zeros((3, 3)))


def test_symmetric_declaration_is_checked():
    e = matcalc.parse("x'*A*x", symmetric={"A"})
    with pytest.raises(matcalc.EvaluationError, match="symmetric"):
        e.evaluate(x=np.ones(2), A=np.array([[1.0, 2.0], [0.0, 1.0]]))
    assert e.evaluate(x=np.ones(2), A=np.array([[1.0, 2.0], [2.0, 1.0]])) == 6.0


def test_integer_declared_dims_are_checked():
    e = matcalc.parse("X*w", shapes={"X": (3, 2)})
    with pytest.raises(matcalc.EvaluationError, match="says 2"):
        e.evaluate(X=np.ones((3, 4)), w=np.ones(4))


def test_division_by_zero_is_inf_not_an_exception():
    with pytest.warns(matcalc.NumericWarning, match="'c/s' is inf .*division by zero"):
        assert matcalc.parse("c/s").evaluate(c=1.0, s=0.0) == float("inf")


# ----------------------------------------------------------------- kron, vec, softmax, ...

def _commutation(m, n):
    """K with K @ X.flatten('F') == X.T.flatten('F'), built entry by entry."""
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[j + n * i, i + m * j] = 1
    return K


def test_kron_vec_unvec_commutation(rng):
    A, B, X = rng.normal(size=(2, 3)), rng.normal(size=(4, 5)), rng.normal(size=(3, 2))
    shapes = {"A": ("m", "n"), "B": ("p", "q"), "X": ("n", "m")}
    assert np.allclose(matcalc.parse("kron(A, B)", shapes).evaluate(A=A, B=B), np.kron(A, B))
    assert np.allclose(matcalc.parse("vec(X)", shapes).evaluate(X=X), X.flatten("F"))
    assert np.allclose(matcalc.parse("unvec(vec(X), n, m)", shapes).evaluate(X=X), X)
    K = matcalc.parse("commutation(n, m)", shapes).evaluate(X=X)
    assert np.array_equal(K, _commutation(3, 2))
    assert np.allclose(K @ X.flatten("F"), X.T.flatten("F"))
    # vec(A*X*B) = kron(B', A)*vec(X)
    S = {"A": ("p", "n"), "X": ("n", "m"), "B": ("m", "q")}
    A2, B2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 5))
    left = matcalc.parse("vec(A*X*B)", S).evaluate(A=A2, X=X, B=B2)
    right = matcalc.parse("kron(B', A)*vec(X)", S).evaluate(A=A2, X=X, B=B2)
    assert np.allclose(left, right)


def test_sizes_of_written_constants(rng):
    w = rng.normal(size=3)
    D = matcalc.parse("kron(w, I(2))", {"w": ("d",)}).evaluate(w=w)
    assert np.allclose(D, np.kron(w.reshape(-1, 1), np.eye(2)))
    assert np.allclose(matcalc.parse("vector(2, 3)").evaluate({}), np.full(3, 2.0))
    assert np.allclose(matcalc.parse("matrix(1, 2, 3) + A", {"A": (2, 3)}).evaluate(
        A=np.zeros((2, 3))), np.ones((2, 3)))


def test_softmax_and_logsumexp_are_stable():
    x = np.array([1000.0, 999.0, -1000.0])
    s = matcalc.parse("softmax(x)").evaluate(x=x)
    e = np.exp(x - x.max())
    assert np.all(np.isfinite(s)) and np.allclose(s, e / e.sum()) and np.isclose(s.sum(), 1)
    lse = matcalc.parse("logsumexp(x)").evaluate(x=x)
    assert np.isclose(lse, 1000.0 + np.log1p(np.exp(-1.0) + np.exp(-2000.0)))
    small = np.array([0.1, -0.3, 0.7])
    assert np.isclose(matcalc.parse("logsumexp(x)").evaluate(x=small),
                      np.log(np.sum(np.exp(small))))
    assert matcalc.parse("logsumexp(a)").evaluate(a=2.5) == 2.5


def test_product_sizes_from_values(rng):
    # a value of v fixes n*d; with n known from X it gives d
    e = matcalc.parse("unvec(v, n, d) + X", {"v": ("n*d",), "X": ("n", "d")})
    X = rng.normal(size=(3, 2))
    assert np.allclose(e.evaluate(v=X.flatten("F"), X=X), 2 * X)
    with pytest.raises(matcalc.EvaluationError, match="its size d\\*n is 6"):
        e.evaluate(v=np.ones(5), X=X)
