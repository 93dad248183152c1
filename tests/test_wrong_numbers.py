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


# ----------------------------------------------------------------- what the break-it review found

@pytest.mark.parametrize("text", ["diag(x + 1)*(x + 1)", "diag(vector(2))*(x + 1)",
                                  "diag(x + a)*vector(1)"])
def test_a_diagonal_times_a_fill_is_no_empty_monomial(text, rng):
    """diag(v)*u with both reduced to vector(1) in a term: StopIteration in monomial_node."""
    shapes = {"x": ("n",), "a": ()}
    e = matcalc.parse(text, shapes)
    values = {"x": rng.normal(size=3), "a": 0.7}
    assert np.allclose(matcalc.simplify(e).evaluate(values), e.evaluate(values))
    g = matcalc.diff("x'*diag(x + 1)*x", "x")
    x = values["x"]
    assert np.allclose(g.evaluate(x=x), 3 * x ** 2 + 2 * x)


@pytest.mark.skipif(not _installed("torch"), reason="torch is not installed")
def test_torch_kron_of_a_solve_result():
    """torch.linalg.solve's (n, 1) result has strides (1, n): torch.kron could not view it."""
    g = matcalc.diff("inv(A)*x", "A")
    values = {"A": np.eye(3) * 3 + 0.1, "x": np.ones(3)}
    found = matcalc.compile(g, backend="torch")(values)
    assert np.allclose(found.numpy(), g.evaluate(values))


@pytest.mark.parametrize("call", [
    lambda: matcalc.compile("X*w", given="X"), lambda: matcalc.verify("x'*x", "x", seed="a"),
    lambda: matcalc.check("x", "x", seed=-1), lambda: matcalc.check("x", "x", draws=0)])
def test_options_of_the_wrong_kind_are_matcalc_errors(call):
    with pytest.raises(matcalc.MatcalcError):
        call()


@pytest.mark.parametrize("text, wrt, wrong", [
    # names under log, sqrt or a divisor whose argument is positive anyway: drawn of
    # either sign on every other instance (abs() was invisible)
    ("log(1 + x'*x)", "x", "2*abs(x)/(1 + x'*x)"),
    ("sqrt(a^2 + b^2)", "a", "abs(a)/sqrt(a^2 + b^2)"),
    # kinks away from 0: the values spread by 4 in turn
    ("-relu(a - 2)", "a", "-(1 + sign(a - 2))"),
    ("relu(a - 2)", "a", "0"),
])
def test_verify_fails_what_a_sign_or_a_far_kink_hid(text, wrt, wrong):
    for seed in range(10):
        assert matcalc.verify(text, wrt, derivative=wrong, seed=seed).passed is False, seed
        assert matcalc.verify(text, wrt, seed=seed).passed


def test_check_does_not_count_instances_too_small_to_tell_apart():
    """-48*M and -49*M agreed to 1e-8 where M was 1e-12 (relative_error's floor is 1e-6):
    "holds". Such an instance now does not count."""
    result = matcalc.check("1e-13*x", "1.02e-13*x", shapes={"x": ("n",)})
    assert result.holds is not True, result.why


def test_sigmoid_and_its_derivatives_keep_their_relative_accuracy():
    """sigmoid' was sigmoid(a)*(1 - sigmoid(a)): 0 at a = 40 (truth 4.25e-18), and the
    logistic Hessian at a separating w all zeros; 1 - sigmoid(u) is sigmoid(-u)."""
    g = matcalc.diff("sigmoid(a)", "a")
    assert np.isclose(g.evaluate(a=40.0), np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2, rtol=1e-12)
    H = matcalc.diff(matcalc.diff("sum(softplus(X*w))", "w"), "w")
    X, w = np.array([[1, 0.5], [0.8, 1.2], [1.5, 0.3]]), np.array([30.0, 30.0])
    m = X @ w
    truth = X.T @ np.diag(np.exp(-m) / (1 + np.exp(-m)) ** 2) @ X
    assert np.allclose(H.evaluate(X=X, w=w), truth, rtol=1e-12, atol=0)
    assert str(matcalc.simplify("1 - sigmoid(a)")) == "sigmoid(-a)"


@pytest.mark.parametrize("backend", ["jax", "torch", "dask"])
def test_library_backends_take_numpy_views_and_refuse_non_numbers(backend):
    """A reversed view (torch: ValueError), None (silently NaN through float64), text,
    a dict or a masked array (JAX: ValueError, TypeError) are the values' problems, said
    as evaluate says them."""
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    f = matcalc.compile("sum(x)", backend=backend, shapes={"x": ("n",)})
    result = f({"x": np.arange(3.0)[::-1]})
    assert float(np.asarray(result.compute() if backend == "dask" else result)) == 3.0
    for bad in (None, "ab", {"a": 1}, np.ma.masked_array([1.0, 2.0]), np.array(["a", "b"])):
        with pytest.raises(matcalc.MatcalcError):
            f({"x": bad})


@pytest.mark.parametrize("text, wrong", [("norm2(X*w - y)^2 + 1e9", "2.006*X'*(X*w - y)"),
                                         ("(X*w - y)'*(X*w - y)*1e8/1e8", "2.006*X'*(X*w - y)")])
def test_verify_steps_past_the_rounding_of_a_large_value(text, wrong):
    """A large constant drowns steps below 1e-3 in rounding: a 0.6% error passed on 21 of
    50 seeds; the sweep now starts at 1e-2."""
    for seed in range(10):
        assert matcalc.verify(text, "w", derivative=wrong, seed=seed).passed is False
        assert matcalc.verify(text, "w", seed=seed).passed


def test_a_noisy_instance_cannot_pass_a_wrong_derivative():
    """a^81: a 1.001 mutant's error sat within ten times the differences' noise, was clipped
    to the tolerance and passed."""
    for seed in range(10):
        assert matcalc.verify("a^81", "a", "1.001*81*a^80", seed=seed).passed is not True


def test_check_rotates_the_sizes_only_constants_carry():
    """commutation(m, p)^3 and ^4 have equal diagonals for some sizes only: with no
    variable to size m and p, every instance had the same sizes, and check said 'holds'."""
    result = matcalc.check("diag(commutation(m, p)^3)", "diag(commutation(m, p)^4)")
    assert result.holds is False, result.why


def test_the_scalar_logistic_loss_keeps_its_hessian():
    """The logistic rules did not fire for scalar arguments: the Hessian of
    log(1 + exp(-y*x'*w)) was a difference of nearly equal terms, 0 at x'*w = -40."""
    shapes = {"w": ("d",), "x": ("d",), "y": ()}
    g = matcalc.diff("log(1 + exp(-y*x'*w))", "w", shapes=shapes)
    assert str(g) == "-y*sigmoid(-y*x'*w)*x"
    H = matcalc.diff(g, "w")
    x = np.array([1.0, 2.0, -1.0])
    w = -40 * x / (x @ x)
    truth = np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2 * np.outer(x, x)
    assert np.allclose(H.evaluate(w=w, x=x, y=1.0), truth, rtol=1e-12, atol=0)
    for text, expected in [("log(1 + exp(a))", "softplus(a)"), ("1/(1 + exp(-a))", "sigmoid(a)"),
                           ("exp(a)*sigmoid(-a)", "sigmoid(a)")]:
        assert str(matcalc.simplify(text)) == expected


def test_a_condition_keeps_the_sign_of_the_known_factors():
    """b/(sigmoid(a) - 2)*w'*w: sigmoid(a) - 2 < 0, so it is a maximum where b >= 0 (it
    said a minimum)."""
    s = matcalc.stationary_point("b/(sigmoid(a) - 2)*w'*w", "w", shapes={"w": ("d",)})
    assert s.kind == "depends on the values" and s.why.startswith("a maximum where b >= 0")
    K = s.coefficient.evaluate(a=0.0, b=1.0, w=np.ones(3))
    assert np.all(np.linalg.eigvalsh(K) < 0)


def test_factoring_a_long_shared_product_does_not_recurse_past_the_stack():
    """Grouping pulls one shared factor per recursion: A0*...*A599*(x + y) (and logdet of
    a product of 300 X'*X) raised RecursionError; the expanded form is kept instead."""
    n = 600
    shapes = {f"A{i}": ("n", "n") for i in range(n)}
    text = "*".join(f"A{i}" for i in range(n)) + "*(x + y)"
    e = matcalc.parse(text, shapes)
    simplified = matcalc.simplify(e)
    rng = np.random.default_rng(0)
    values = {f"A{i}": np.eye(2) + 0.01 * rng.normal(size=(2, 2)) for i in range(n)}
    values.update(x=rng.normal(size=2), y=rng.normal(size=2))
    assert np.allclose(simplified.evaluate(values), e.evaluate(values))
