"""The wrong numbers and crashes an adversarial fuzz found (issue 21), each kept as a test.

Every derivative here is compared with central differences computed in this file from
`Expr.evaluate` of the function (not with matcalc.verify), every compiled value with
`evaluate`, on every installed backend.
"""

import numpy as np
import pytest

import matcalc

BACKENDS = ("numpy", "numba", "jax", "torch", "dask")
EPS = 1e-6


def _central(f, point, direction):
    """(f(p + eps*d) - f(p - eps*d)) / (2*eps), f a function of the point's value."""
    return (np.asarray(f(point + EPS * direction)) - np.asarray(f(point - EPS * direction))) / \
        (2 * EPS)


def _matrix_form(expr, wrt, values, rng):
    """D[k + m*l, i + p*j] = dF_ij / dX_kl (SPEC 2b), column by column from differences."""
    point = np.asarray(values[wrt], dtype=float)
    columns = []
    for k in range(point.size):
        unit = np.zeros(point.size)
        unit[k] = 1.0
        direction = unit.reshape(point.shape, order="F")
        step = _central(lambda p: expr.evaluate(dict(values, **{wrt: p})), point, direction)
        columns.append(np.reshape(step, -1, order="F"))
    return np.array(columns)


def _values(rng, shapes, sizes):
    return {name: float(rng.uniform(0.5, 1.5)) if not shape else
            rng.normal(size=tuple(sizes[d] for d in shape)) for name, shape in shapes.items()}


# ----------------------------------------------------------------- 1: scalar broadcasts

BROADCASTS = [
    ("X + a", "a", {"X": ("n", "d"), "a": ()}),
    ("B*(A + a)", "a", {"B": ("n", "n"), "A": ("n", "n"), "a": ()}),
    ("(w' - a)*C", "a", {"w": ("d",), "C": ("d", "d"), "a": ()}),
    ("x'*(x + a)", "a", {"x": ("n",), "a": ()}),
    ("(x + a) .* x", "a", {"x": ("n",), "a": ()}),
    ("exp(X - a)*v", "a", {"X": ("n", "d"), "v": ("d",), "a": ()}),
    ("x'*(A + x'*y)*x", "x", {"x": ("n",), "y": ("n",), "A": ("n", "n")}),
]


@pytest.mark.parametrize("text, wrt, shapes", BROADCASTS)
def test_a_broadcast_scalar_in_every_route(text, wrt, shapes, rng):
    expr = matcalc.parse(text, shapes=shapes)
    values = _values(rng, shapes, {"n": 3, "d": 2})
    g = matcalc.diff(expr, wrt)
    expected = _matrix_form(expr, wrt, values, rng)
    got = np.asarray(g.evaluate(values))
    if expr.shape == () or shapes[wrt] == ():
        expected = expected.reshape(got.shape, order="F")
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-6), str(g)
    # along a direction and as a differential
    direction = {**values, "V": rng.normal(size=np.shape(values[wrt]))} if shapes[wrt] else \
        {**values, "V": 0.7}
    along = matcalc.diff(expr, wrt, shapes={"V": shapes[wrt]}, direction="V")
    point = np.asarray(values[wrt], dtype=float)
    numeric = _central(lambda p: expr.evaluate(dict(values, **{wrt: p})), point,
                       np.asarray(direction["V"]))
    assert np.allclose(np.asarray(along.evaluate(direction)), numeric, rtol=1e-5, atol=1e-6)
    if expr.shape != ():
        return
    # the Hessian and the Hessian-vector product of scalar functions by vectors
    if len(shapes[wrt]) == 1:
        H = matcalc.diff(g, wrt)
        numeric = _matrix_form(g, wrt, values, rng)
        assert np.allclose(np.asarray(H.evaluate(values)), numeric, rtol=1e-5, atol=1e-6)


def test_check_refuses_the_dropped_broadcast():
    shapes = {"B": ("n", "n"), "A": ("n", "n"), "a": ()}
    assert not matcalc.check("diff(B*(A + a), a)", "B", shapes=shapes).holds
    assert matcalc.check("diff(B*(A + a), a)", "B*matrix(1, n, n)", shapes=shapes).holds


# ----------------------------------------------------------------- 2, 3, 6: compiled code

COMPILED = [
    ("X'*diag(v)*diag(u)*B", {"X": (4, 3), "v": (4,), "u": (4,), "B": (4, 2)}),
    ("B*C*X'*x", {"B": (2, 3), "C": (3, 4), "X": (5, 4), "x": (5,)}),
    ("tanh(B*C*X'*x)", {"B": (2, 3), "C": (3, 4), "X": (5, 4), "x": (5,)}),
    ("A^-1", {"A": (3, 3)}),
    ("A^-2*x", {"A": (3, 3), "x": (3,)}),
    ("A^0*x", {"A": (3, 3), "x": (3,)}),
    ("diag(v)*inv(A)*B", {"v": (3,), "A": (3, 3), "B": (3, 2)}),
    ("inv(A)*a", {"A": (3, 3), "a": ()}),
    ("exp(2)*x", {"x": (3,)}),
    ("kron(a, X)", {"a": (), "X": (2, 3)}),
    ("kron(X, a)", {"a": (), "X": (2, 3)}),
]


def _draw(rng, shapes):
    values = {}
    for name, shape in shapes.items():
        if shape == ():
            values[name] = float(rng.uniform(0.5, 1.5))
        elif name == "A":
            values[name] = 2 * np.eye(shape[0]) + 0.3 * rng.normal(size=shape)
        else:
            values[name] = rng.normal(size=shape)
    return values


def _compiled_value(f, values):
    result = f(values)
    return np.asarray(result.compute() if hasattr(result, "compute") else result, dtype=float)


@pytest.mark.parametrize("text, shapes", COMPILED, ids=[t for t, _ in COMPILED])
def test_compiled_equals_evaluate_on_every_backend(text, shapes, rng):
    expr = matcalc.parse(text)
    values = _draw(rng, shapes)
    expected = np.asarray(expr.evaluate(values))
    for backend in BACKENDS:
        try:
            f = matcalc.compile(expr, backend=backend)
        except matcalc.MatcalcError:
            continue                                  # not installed
        assert np.allclose(_compiled_value(f, values), expected, rtol=1e-5, atol=1e-6), backend


def test_constant_derivatives_compile_on_every_backend():
    g = matcalc.diff("x'*x + 2*a", "a")              # the constant 2
    for backend in BACKENDS:
        try:
            f = matcalc.compile(g, backend=backend)
        except matcalc.MatcalcError:
            continue
        assert float(_compiled_value(f, {"x": np.ones(3), "a": 1.0})) == 2.0, backend


def test_given_values_size_a_stored_product_dimension():
    X = np.arange(6.0).reshape(2, 3)
    for backend in ("numpy", "jax", "torch", "dask"):
        try:
            f = matcalc.compile("a*vec(X)", given={"X": X}, backend=backend)
        except matcalc.MatcalcError:
            continue
        assert np.allclose(_compiled_value(f, {"a": 2.0}), 2 * X.T.reshape(-1)), backend


def test_a_row_pass_kernel_takes_a_scalar_factor(rng):
    X, w = rng.normal(size=(30_000, 5)) / 3, rng.normal(size=5)
    g = matcalc.diff("sum(exp(-2*X*w))", "w")
    expected = g.evaluate(X=X, w=w)
    for backend in ("numpy", "numba"):
        try:
            f = matcalc.compile(g, backend=backend)
        except matcalc.MatcalcError:
            continue
        assert np.allclose(f(X=X, w=w), expected, rtol=1e-9), backend


# ----------------------------------------------------------------- 4: sigmoid's accuracy

@pytest.mark.parametrize("a", [-36.0, -40.0, -700.0, 30.0])
def test_sigmoid_keeps_its_relative_accuracy(a):
    exact = 1 / (1 + np.exp(a))                          # sigmoid(a)*exp(-a) = 1/(1 + e^a)
    expr = matcalc.parse("sigmoid(a)*exp(-a)")
    for value in [expr.evaluate(a=a)] + [float(_compiled_value(matcalc.compile(expr,
                                                            backend=b), {"a": a}))
                                         for b in ("numpy", "numba") if _installed(b)]:
        assert np.isclose(value, exact, rtol=1e-12, atol=0)
    assert matcalc.verify("sum(log(sigmoid(x)))", "x").passed


def _installed(backend):
    try:
        matcalc.compile("a", backend=backend)
    except matcalc.MatcalcError:
        return False
    return True


# ----------------------------------------------------------------- 5: printed forms read back

@pytest.mark.parametrize("text, wrt, shapes", [
    ("sum(kron(X, x'))", "X", {"X": ("n", "d"), "x": ("m",)}),
    ("sum(X)*x", "X", {"X": ("n", "d"), "x": ("m",)}),
    ("x'*(A + x'*y)*x", "x", {"x": ("n",), "y": ("n",), "A": ("n", "n")}),
])
def test_printed_derivatives_read_back(text, wrt, shapes, rng):
    g = matcalc.diff(text, wrt, shapes=shapes)
    back = matcalc.parse(str(g), shapes=g.declarations.shapes)
    assert back.shape == g.shape
    values = _values(rng, shapes, {"n": 3, "d": 2, "m": 4})
    assert np.allclose(back.evaluate(values), g.evaluate(values))


# ----------------------------------------------------------------- 7: verify's own mistakes

MUTANT_CASES = [("x'*A*x", "x"), ("logdet(X)", "X"), ("tr(A*X*B)", "X"),
                ("sum(log(1 + exp(-y .* (X*w))))", "w"), ("norm2(A*x - u)^2", "x"),
                ("a*x'*x", "a"), ("u'*inv(X)*v", "X"), ("sum(tanh(W*x))", "W"),
                ("A*X*B", "X"), ("exp(a)*x'*x", "a")]
SQUARE = {"X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n")}


@pytest.mark.parametrize("text, wrt", MUTANT_CASES)
def test_verify_catches_a_tenth_of_a_percent(text, wrt):
    shapes = SQUARE if "w" not in text else None
    g = matcalc.diff(text, wrt, shapes=shapes)
    assert matcalc.verify(text, wrt, g, shapes=shapes).passed
    for seed in range(10):
        assert matcalc.verify(text, wrt, 1.001 * g, shapes=shapes, seed=seed).passed is False


def test_verify_draws_both_sides_of_a_kink():
    for seed in range(50):
        assert matcalc.verify("-relu(a)", "a", "-(1 + sign(a))", seed=seed).passed is False
        assert matcalc.verify("relu(a*b)", "a", "b*(1 + sign(a*b))", seed=seed).passed is False
    assert matcalc.verify("-relu(a)", "a").passed
