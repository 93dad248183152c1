"""compile: generated numpy code agrees with evaluate, and keeps structure out of memory."""

import numpy as np
import pytest

import matcalc
from matcalc.evaluate import evaluate
from matcalc import ast
from matcalc.verify import draw, requirements, symbol_table
from test_diff import IDENTITIES


def _values(expr, rng):
    node = ast.inline_where(expr.node)
    invertible, positive = requirements(node)
    return draw(symbol_table(node), rng, invertible, positive)


@pytest.mark.parametrize("text, wrt, expected, decls, how", IDENTITIES,
                         ids=[f"d({c[0]})/d{c[1]}" for c in IDENTITIES])
def test_compiled_derivatives_agree_with_evaluate(text, wrt, expected, decls, how, rng):
    shapes = decls.get("shapes", decls if "symmetric" not in decls else {})
    loss = matcalc.parse(text, shapes=shapes, symmetric=decls.get("symmetric"))
    for form in ("factored", "expanded"):
        g = matcalc.diff(loss, wrt, form=form)
        f = matcalc.compile(g)
        values, sizes = _values(loss, rng)
        expected_value = evaluate(g.node, values, sizes)
        assert np.allclose(f(values), expected_value, rtol=1e-10, atol=1e-12)


def test_keywords_and_mapping():
    f = matcalc.compile("x'*A*x")
    x, A = np.arange(3.0), np.eye(3)
    assert f(x=x, A=A) == f({"x": x, "A": A}) == 5.0


def test_no_diagonal_matrix_is_materialized():
    H = matcalc.diff(matcalc.diff("sum(log(1 + exp(-y .* (X*w))))", "w"), "w")
    kinds = matcalc.compile(H).plan.kinds()
    assert "diag" not in kinds and "diagonal" not in kinds and "weighted_gram" in kinds
    kinds = matcalc.compile("diag(s)*X*w").plan.kinds()
    assert "diag" not in kinds and "scale_rows" in kinds


def test_chain_of_products_uses_multi_dot(rng):
    f = matcalc.compile("A*B*C*x")
    assert f.plan.kinds() == ["chain"]
    A, B, C = rng.normal(size=(4, 5)), rng.normal(size=(5, 6)), rng.normal(size=(6, 3))
    x = rng.normal(size=3)
    assert np.allclose(f(A=A, B=B, C=C, x=x), A @ B @ C @ x)


def test_shared_subexpressions_are_computed_once():
    f = matcalc.compile("sum(tanh(W*x)) + tanh(W*x)'*tanh(W*x)")
    assert len(f.plan.find("function", name="tanh")) == 1
    assert len(f.plan.find("matmul")) == 2             # W*x once, then tanh(W*x)'*tanh(W*x)


def test_value_and_gradient_together(rng):
    loss = matcalc.parse("(X*w - y)'*(X*w - y)")
    f = matcalc.compile(loss, matcalc.diff(loss, "w"))
    X, w, y = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    value, gradient = f(X=X, w=w, y=y)
    r = X @ w - y
    assert np.isclose(value, r @ r) and np.allclose(gradient, 2 * X.T @ r)
    X_times_w = (f.plan.argument("X"), f.plan.argument("w"))
    assert [op.inputs for op in f.plan.find("matmul")].count(X_times_w) == 1   # once for both


def test_variable_names_cannot_reach_python():
    f = matcalc.compile("np + os*exp(sys)", shapes={"np": (), "os": (), "sys": ()})
    assert "os" not in f.source.replace("np.exp", "")
    assert f(np=1.0, os=2.0, sys=0.0) == 3.0


def test_bad_values_are_matcalc_errors():
    f = matcalc.compile("X*w")
    with pytest.raises(matcalc.EvaluationError, match="disagree"):
        f(X=np.ones((2, 3)), w=np.ones(4))


@pytest.mark.parametrize("text", ["(X*w - y)'*(X*w - y)", "sum(log(1 + exp(-y .* (X*w))))",
                                  "norm2(X*w - y)^2 + lambda*norm2(w)^2",
                                  "sum(tanh(X*w) .* y) / N"])
def test_one_blocked_pass_over_the_data(text, rng, monkeypatch):
    from matcalc.codegen import rowpass
    monkeypatch.setattr(rowpass, "BLOCK_BYTES", 8 * 3 * 7)    # force many small blocks
    g = matcalc.diff(text, "w")
    f = matcalc.compile(g)
    assert "rowpass" in f.plan.kinds()
    X, w, y = rng.normal(size=(1000, 3)), rng.normal(size=3), np.sign(rng.normal(size=1000))
    values = {"X": X, "w": w, "y": y, "lambda": 0.3, "N": 7.0}
    assert np.allclose(f(values), g.evaluate(values), rtol=1e-10, atol=1e-12)


def test_no_fusion_when_the_residual_is_needed_elsewhere(rng):
    loss = matcalc.parse("(X*w - y)'*(X*w - y)")
    f = matcalc.compile(loss, matcalc.diff(loss, "w"))      # X*w - y serves both
    X, w, y = rng.normal(size=(50, 3)), rng.normal(size=3), rng.normal(size=50)
    value, gradient = f(X=X, w=w, y=y)
    assert np.isclose(value, np.sum((X @ w - y) ** 2))
    assert np.allclose(gradient, 2 * X.T @ (X @ w - y))


def test_repeated_calls_still_check_changed_values(rng):
    f = matcalc.compile("X*w")
    X, w = rng.normal(size=(4, 3)), rng.normal(size=3)
    assert np.allclose(f(X=X, w=w), X @ w)
    assert np.allclose(f(X=X, w=w), X @ w)                 # the fast path
    with pytest.raises(matcalc.EvaluationError, match="disagree"):
        f(X=X, w=rng.normal(size=5))
    with pytest.raises(matcalc.EvaluationError, match="no value"):
        f(X=X)
    assert np.allclose(f(X=X.tolist(), w=list(w)), X @ w)  # lists take the checked path


def test_long_sums_compile(rng):
    """Python's compiler recurses on long a + b + ... lines: they are split."""
    text = " + ".join(f"c{i}*x" for i in range(500))
    e = matcalc.parse(text)
    values = {f"c{i}": float(i % 7) for i in range(500)}
    values["x"] = rng.normal(size=4)
    assert np.allclose(matcalc.compile(e)(values), e.evaluate(values))
    fused = "sum(" + " + ".join(f"c{i}*(X*w)" for i in range(100)) + ") + y'*(X*w)"
    g = matcalc.diff(fused, "w")
    values.update(X=rng.normal(size=(30, 3)), w=rng.normal(size=3), y=rng.normal(size=30))
    assert np.allclose(matcalc.compile(g)(values), g.evaluate(values))


@pytest.mark.parametrize("sign", ["nonnegative", "mixed"])
def test_weighted_gram_is_one_symmetric_product(sign, rng):
    """X'*diag(s)*X: z'*z with z = sqrt(s).*X when s >= 0, X'*(s.*X) otherwise."""
    f = matcalc.compile("X'*diag(s)*X")
    assert f.plan.kinds() == ["weighted_gram"]
    X = rng.normal(size=(40, 6))
    c = rng.random(40) if sign == "nonnegative" else rng.normal(size=40)
    H = f(X=X, s=c)
    assert np.allclose(H, X.T @ np.diag(c) @ X, rtol=1e-12, atol=1e-12)
    if sign == "nonnegative":
        assert np.array_equal(H, H.T)                  # z'*z is exactly symmetric
    c[3] = np.nan                                  # NaN propagates, as in evaluate
    assert np.isnan(f(X=X, s=c)).any()


def test_small_data_skips_the_block_loop(rng):
    """Data that fits in one block runs the loop's body once over the whole matrix."""
    g = matcalc.diff("sum(log(1 + exp(-y .* (X*w))))", "w")
    f = matcalc.compile(g)
    X, w, y = rng.normal(size=(30, 4)), rng.normal(size=4), np.sign(rng.normal(size=30))
    values = {"X": X, "w": w, "y": y}
    assert np.allclose(f(values), g.evaluate(values), rtol=1e-12, atol=1e-12)
    assert "rowpass" in f.plan.kinds()      # the loop is still there for large data


# ----------------------------------------------------------------- given values

def test_given_data_stores_the_gram_matrix(rng):
    """Least squares with X and y given: X'*X and X'*y once, d-sized work per call."""
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    X, y = rng.normal(size=(500, 6)), rng.normal(size=500)
    f = matcalc.compile(g, given={"X": X, "y": y})
    assert f.form == "expanded"
    assert sorted(f.precomputed.values()) == ["-2*X'*y", "X'*X"]
    assert "X" not in f.stored and "y" not in f.stored     # only d x d and d-sized values
    assert f.flops == 6 * 6 + 6                            # a d x d product and a sum
    for _ in range(3):
        w = rng.normal(size=6)
        assert np.allclose(f(w=w), 2 * X.T @ (X @ w - y), rtol=1e-10, atol=1e-10)


def test_given_wide_data_keeps_the_factored_form(rng):
    """With d > 2n, X'*X costs more per call than two passes over X: not stored."""
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    X, y = rng.normal(size=(20, 300)), rng.normal(size=20)
    f = matcalc.compile(g, given={"X": X, "y": y})
    assert f.form == "as given" and f.precomputed == {}
    w = rng.normal(size=300)
    assert np.allclose(f(w=w), 2 * X.T @ (X @ w - y))


def test_given_values_are_copied(rng):
    """The caller changing an array afterwards changes nothing (the stored results were
    computed from the old values, and the per-call code reads a copy)."""
    g = matcalc.diff("sum(log(1 + exp(-y .* (X*w))))", "w")
    X, y, w = rng.normal(size=(50, 3)), np.sign(rng.normal(size=50)), rng.normal(size=3)
    f = matcalc.compile(g, given={"X": X, "y": y})
    before = f(w=w)
    X[:] = 0.0
    y[:] = 1.0
    assert np.array_equal(f(w=w), before)
    assert "rowpass" in f.plan.kinds()                    # still one blocked pass over X


def test_given_constant_results_are_copies(rng):
    """A result computed entirely from given values is stored; each call hands out a copy
    (and a scalar stays a float)."""
    x = rng.normal(size=4)
    f = matcalc.compile("x'*x", "a*x", "x*x'", given={"x": x})
    norm, scaled, outer = f(a=2.0)
    assert type(norm) is float and np.isclose(norm, x @ x)
    assert np.allclose(scaled, 2 * x) and np.allclose(outer, np.outer(x, x))
    outer[:] = 0.0
    assert np.allclose(f(a=2.0)[2], np.outer(x, x))


def test_given_scalars_and_sums(rng):
    loss = "norm2(X*w - y)^2 + lambda*norm2(w)^2"
    g = matcalc.diff(loss, "w")
    X, y = rng.normal(size=(80, 4)), rng.normal(size=80)
    f = matcalc.compile(g, given={"X": X, "y": y, "lambda": 0.5})
    w = rng.normal(size=4)
    assert np.allclose(f(w=w), 2 * X.T @ (X @ w - y) + w)


def test_given_errors(rng):
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w")
    X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    with pytest.raises(matcalc.EvaluationError, match="'z' is given but"):
        matcalc.compile(g, given={"X": X, "y": y, "z": 1.0})
    with pytest.raises(matcalc.EvaluationError, match="disagree"):
        matcalc.compile(g, given={"X": X, "y": rng.normal(size=4)})
    f = matcalc.compile(g, given={"X": X, "y": y})
    with pytest.raises(matcalc.EvaluationError, match="'X' was given when"):
        f(X=X, w=np.ones(2))
    with pytest.raises(matcalc.EvaluationError, match="no value given for 'w'"):
        f()
    with pytest.raises(matcalc.EvaluationError, match="disagree"):
        f(w=np.ones(3))


def test_given_everything_but_the_variable(rng):
    """Every derivative of the identity table that uses other names than the variable,
    compiled with all of them given, agrees with evaluate."""
    checked = 0
    for text, wrt, _, decls, _ in IDENTITIES:
        shapes = decls.get("shapes", decls if "symmetric" not in decls else {})
        loss = matcalc.parse(text, shapes=shapes, symmetric=decls.get("symmetric"))
        g = matcalc.diff(loss, wrt)
        values, sizes = _values(loss, rng)
        given = {name: values[name] for name in g.symbols() if name != wrt}
        if not given:
            continue
        f = matcalc.compile(g, given=given)
        rest = {name: value for name, value in values.items() if name not in given}
        expected_value = evaluate(g.node, values, sizes)
        assert np.allclose(f(rest), expected_value, rtol=1e-9, atol=1e-10), (text, wrt)
        checked += 1
    assert checked >= 40


def test_inf_and_nan_are_reported_by_name(rng):
    """log(0) and 0/0 give -inf and nan, as evaluate does, with one NumericWarning naming
    the subexpression, never numpy's RuntimeWarning; non-finite inputs are the caller's."""
    import warnings
    expr = "sum(log(x)) + sum(x ./ y)"
    values = {"x": np.array([0.0, 1.0]), "y": np.array([1.0, 0.0])}
    for compute in (matcalc.compile(expr), matcalc.parse(expr).evaluate):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = compute(values)
        assert value == -np.inf or np.isnan(value)
        assert [w.category for w in caught] == [matcalc.NumericWarning]
        assert "'log(x)' is inf" in str(caught[0].message)
        assert caught[0].filename == __file__                  # it points at this line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        matcalc.compile("sum(log(x))")(x=np.array([np.nan, 1.0]))
    assert caught == []                                         # the input was already nan


# ----------------------------------------------------------------- the plan

def test_the_plan_lists_the_operations():
    """f.plan: the operations in order, each `target = kind(inputs)`, inline ones marked."""
    f = matcalc.compile(matcalc.stationary_point("(X*w - y)'*(X*w - y)", "w"))
    assert str(f.plan).splitlines() == [
        "arguments: a0 = X, a1 = y",
        "%1 = transpose(a0)  (inline)",
        "%2 = matmul(%1, a0)",
        "%3 = matmul(%1, a1)  (inline)",
        "%4 = solve_spd(%2, %3)",
        "return %4"]
    plan = matcalc.compile(matcalc.diff("(X*w - y)'*(X*w - y)", "w")).plan
    assert plan.kinds() == ["literal", "rowpass", "rows", "matmul", "rows", "sum", "scale"]
    assert "rowpass(a0, a1, a2)" in str(plan)          # a pass over X reading w and y


@pytest.mark.parametrize("text", ["inv(A)*a", "diag(v)*inv(A)*B", "diag(v)*A^2*x",
                                  "A^2*diag(v)*x", "a*inv(A)*B*x + inv(A)"])
def test_a_factor_written_where_used_is_a_value_where_it_must_be(text, rng):
    """A diagonal, a small power or an inverse is computed inside the products that use
    it; where a product cannot (inv(A)*a: nothing follows the inverse), it is a value."""
    expr = matcalc.parse(text)
    values, sizes = _values(expr, rng)
    assert np.allclose(matcalc.compile(expr)(values), evaluate(expr.node, values, sizes),
                       rtol=1e-10, atol=1e-12)


def test_a_result_is_never_absorbed_into_a_pass(rng):
    """X*w - y is a result and the row vector of X'*(X*w - y): computed once, returned."""
    f = matcalc.compile("X*w - y", "X'*(X*w - y)")
    X, w, y = rng.normal(size=(30, 3)), rng.normal(size=3), rng.normal(size=30)
    r, g = f(X=X, w=w, y=y)
    assert np.allclose(r, X @ w - y) and np.allclose(g, X.T @ (X @ w - y))


def test_deep_inputs_compile(rng):
    """A gradient through 450 nested functions is still one pass over X, and a product of
    150 inverses 150 solves: the compiler does not recurse on either, and the code does not
    nest past what Python's parser takes."""
    deep = "sum(" + "tanh(" * 450 + "X*w" + ")" * 450 + ")"
    g = matcalc.diff(deep, "w")
    f = matcalc.compile(g)
    assert "rowpass" in f.plan.kinds()
    values = {"X": rng.normal(size=(6, 3)), "w": rng.normal(size=3)}
    assert np.allclose(f(values), g.evaluate(values), rtol=1e-10, atol=1e-12)
    k = 150
    solves = matcalc.parse("*".join(f"inv(A{i})" for i in range(k)) + "*x",
                           shapes={**{f"A{i}": (3, 3) for i in range(k)}, "x": (3,)})
    f = matcalc.compile(solves)
    assert f.plan.kinds().count("solve") == k
    values = {f"A{i}": rng.normal(size=(3, 3)) + 4 * np.eye(3) for i in range(k)}
    values["x"] = rng.normal(size=3)
    assert np.allclose(f(values), solves.evaluate(values), rtol=1e-8)
