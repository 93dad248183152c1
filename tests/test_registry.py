"""The function registry: every record complete, and every stage handles every function.

Each function has a row: an expression that uses it, shapes that make it valid, and its
value computed independently with numpy (or scipy). Every row runs through every stage:
shapes, printing (text that parses back, LaTeX), evaluation against the reference, the
canonical form, the derivative against central differences, compiled code on each backend
that is installed, and SymPy where the record has a SymPy form.
"""

import math

import numpy as np
import pytest
import sympy

import matcalc
from matcalc import registry
from matcalc.codegen.dialects import DIALECTS, spelling


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


# name -> (expression, shapes, reference value of the expression as a function of values)
ROWS = {
    "exp": ("sum(exp(x))", {}, lambda v: np.exp(v["x"]).sum()),
    "log": ("sum(log(p))", {}, lambda v: np.log(v["p"]).sum()),
    "sqrt": ("sum(sqrt(p))", {}, lambda v: np.sqrt(v["p"]).sum()),
    "abs": ("sum(abs(x))", {}, lambda v: np.abs(v["x"]).sum()),
    "sign": ("sum(sign(x) .* x)", {}, lambda v: (np.sign(v["x"]) * v["x"]).sum()),
    "sin": ("sum(sin(x))", {}, lambda v: np.sin(v["x"]).sum()),
    "cos": ("sum(cos(x))", {}, lambda v: np.cos(v["x"]).sum()),
    "tan": ("sum(tan(x))", {}, lambda v: np.tan(v["x"]).sum()),
    "arcsin": ("sum(arcsin(q))", {}, lambda v: np.arcsin(v["q"]).sum()),
    "arccos": ("sum(arccos(q))", {}, lambda v: np.arccos(v["q"]).sum()),
    "arctan": ("sum(arctan(x))", {}, lambda v: np.arctan(v["x"]).sum()),
    "tanh": ("sum(tanh(x))", {}, lambda v: np.tanh(v["x"]).sum()),
    "sigmoid": ("sum(sigmoid(x))", {}, lambda v: _sigmoid(v["x"]).sum()),
    "softplus": ("sum(softplus(x))", {}, lambda v: np.log1p(np.exp(v["x"])).sum()),
    "relu": ("sum(relu(x))", {}, lambda v: np.maximum(v["x"], 0).sum()),
    "log1p": ("sum(log1p(p))", {}, lambda v: np.log(1 + v["p"]).sum()),
    "expm1": ("sum(expm1(x))", {}, lambda v: (np.exp(v["x"]) - 1).sum()),
    "softsign": ("sum(softsign(x))", {}, lambda v: (v["x"] / (1 + np.abs(v["x"]))).sum()),
    "tr": ("tr(A*B)", {}, lambda v: np.trace(v["A"] @ v["B"])),
    "det": ("det(A)", {}, lambda v: np.linalg.det(v["A"])),
    "logdet": ("logdet(A)", {}, lambda v: np.log(np.linalg.det(v["A"]))),
    "inv": ("x'*inv(A)*x", {}, lambda v: v["x"] @ np.linalg.solve(v["A"], v["x"])),
    "sum": ("sum(A*B)", {}, lambda v: (v["A"] @ v["B"]).sum()),
    "norm1": ("norm1(A*x)", {}, lambda v: np.abs(v["A"] @ v["x"]).sum()),
    "norm2": ("norm2(A*x)", {}, lambda v: np.linalg.norm(v["A"] @ v["x"])),
    "diag": ("x'*diag(x)*x + sum(diag(A))", {},
             lambda v: (v["x"] ** 3).sum() + np.trace(v["A"])),
    "vec": ("vec(A)'*vec(B)", {}, lambda v: (v["A"] * v["B"]).sum()),
    "softmax": ("x'*softmax(x)", {},
                lambda v: v["x"] @ (np.exp(v["x"]) / np.exp(v["x"]).sum())),
    "logsumexp": ("logsumexp(x)", {}, lambda v: np.log(np.exp(v["x"]).sum())),
    "kron": ("tr(kron(A, B))", {"B": ("m", "m")}, lambda v: np.trace(np.kron(v["A"], v["B"]))),
}
SHAPES = {"x": ("n",), "p": ("n",), "q": ("n",), "A": ("n", "n"), "B": ("n", "n")}


def _values(rng, shapes, sizes=None):
    sizes = sizes or {"n": 4, "m": 3}
    n = sizes["n"]
    values = {}
    for name, shape in shapes.items():
        size = tuple(sizes[d] for d in shape)
        values[name] = rng.normal(size=size)
    values["p"] = rng.uniform(0.5, 1.5, size=n)                 # log, sqrt: positive
    values["q"] = rng.uniform(-0.8, 0.8, size=n)                # arcsin: inside (-1, 1)
    values["A"] = 2 * np.eye(n) + 0.3 * rng.normal(size=(n, n))  # invertible, det > 0
    return values


def test_every_function_has_a_row():
    assert set(ROWS) == set(registry.FUNCTIONS)


@pytest.mark.parametrize("name", sorted(registry.FUNCTIONS))
def test_the_record_is_complete(name):
    record = registry.FUNCTIONS[name]
    assert record.name == name and record.arity >= 1
    assert record.domain in ("real", "positive", "unit")
    assert record.latex.format(*("X" * record.arity)).count("X") == record.arity
    assert record.elementwise == (record.derivative is not None)
    if record.elementwise:
        assert record.shape == "elementwise"
    if record.code in ("diag", "vec"):
        return                                 # the compiler lowers them by their shapes
    for dialect in DIALECTS.values():          # every backend can spell it
        assert "{0}" in spelling(record, dialect)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_stage_handles_the_function(name, rng):
    text, extra, reference = ROWS[name]
    shapes = {**SHAPES, **extra}
    expr = matcalc.parse(text, shapes=shapes)
    assert expr.shape == ()
    assert matcalc.parse(str(expr), shapes=shapes) == expr                # prints, reads back
    assert expr.latex()
    values = _values(rng, shapes)
    value = expr.evaluate(values)
    assert math.isclose(value, reference(values), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(matcalc.simplify(expr).evaluate(values), value, rel_tol=1e-9,
                        abs_tol=1e-12)
    assert math.isclose(matcalc.compile(expr)(values), value, rel_tol=1e-9, abs_tol=1e-12)
    wrt = "p" if "p" in expr.symbols() else "q" if "q" in expr.symbols() else \
        "x" if "x" in expr.symbols() else "A"
    assert matcalc.verify(expr, wrt).passed


@pytest.mark.parametrize("name", sorted(registry.ELEMENTWISE))
def test_elementwise_functions_on_every_installed_backend(name, rng):
    text, _, reference = ROWS[name]
    expr = matcalc.parse(text, shapes=SHAPES)
    values = _values(rng, SHAPES)
    for backend in ("numba", "jax", "torch", "dask"):
        try:
            f = matcalc.compile(expr, backend=backend)
        except matcalc.MatcalcError:
            continue                                 # the backend is not installed
        result = f(values)
        result = result.compute() if hasattr(result, "compute") else result
        # JAX computes in float32 unless told otherwise
        assert math.isclose(float(result), reference(values), rel_tol=1e-4, abs_tol=1e-5), \
            backend


@pytest.mark.parametrize("name", sorted(n for n, r in registry.FUNCTIONS.items() if r.sympy))
def test_sympy_both_ways(name, rng):
    from test_sympy_oracle import SIZES as SYMPY_SIZES, _numeric
    text, extra, reference = ROWS[name]
    shapes = {**SHAPES, **extra}
    expr = matcalc.parse(text, shapes=shapes)
    values = _values(rng, shapes, sizes=SYMPY_SIZES)
    sized = expr.to_sympy().subs({s: SYMPY_SIZES[str(s)] for s in expr.to_sympy().free_symbols
                                  if str(s) in SYMPY_SIZES})
    explicit = sized.replace(lambda e: isinstance(e, sympy.OneMatrix),   # 1'*A*1 multiplies out
                             lambda e: sympy.ImmutableMatrix(sympy.ones(*e.shape)))
    try:
        theirs = _numeric(explicit, values)
    except Exception as error:            # SymPy cannot evaluate its own expression
        pytest.skip(f"SymPy does not evaluate {text}: {type(error).__name__}")
    assert math.isclose(float(np.squeeze(theirs)), reference(values), rel_tol=1e-9)
    record = registry.FUNCTIONS[name]
    if record.from_sympy and not record.elementwise:
        back = matcalc.from_sympy(expr.to_sympy())
        assert math.isclose(back.evaluate(values), reference(values), rel_tol=1e-9)


@pytest.mark.parametrize("text, wrt, expected", [
    ("sum(log1p(x))", "x", "vector(1) ./ (1 + x)"),
    ("sum(expm1(x))", "x", "exp(x)"),
    ("sum(softsign(x))", "x", "vector(1) ./ (1 + abs(x)).^2"),
    ("sum(log1p(x.^2))", "x", "2*(x ./ (1 + x.^2))"),
])
def test_new_functions_differentiate(text, wrt, expected):
    g = matcalc.diff(text, wrt)
    assert matcalc.check(g, expected).holds
    assert matcalc.verify(text, wrt).passed


def test_values_at_zero_simplify():
    assert str(matcalc.simplify("exp(0) + cos(0) + sigmoid(0) + log1p(0) + softsign(0)")) \
        == "2.5"
    assert str(matcalc.simplify("abs(abs(x)) - abs(x)")) == "vector(0, n)"


def test_sigmoid_keeps_its_relative_accuracy():
    # exp(-log(1 + exp(-u))): at u = -40, 1/(1 + exp(40)) to full relative accuracy
    value = matcalc.parse("sigmoid(a)*exp(-a)").evaluate({"a": -40.0})
    assert math.isclose(value, 1 / (1 + math.exp(-40)), rel_tol=1e-12)
    f = matcalc.compile("sigmoid(a)*exp(-a)")
    assert math.isclose(f(a=-40.0), 1 / (1 + math.exp(-40)), rel_tol=1e-12)
