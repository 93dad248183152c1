"""Every node type through every stage: a guard for the tables keyed by node type.

Each concrete AST class has a sample expression holding it. The sample is parsed, shaped,
printed (text that reads back, LaTeX), evaluated, simplified to the same value, put in the
canonical order, differentiated (its derivative checked by central differences), compiled
on every installed backend (the same value as evaluate), and crosses to SymPy where SymPy
has the construct. A new node type fails `test_every_node_type_has_a_sample` until it has a
row here, and then every stage must handle it.
"""

import numpy as np
import pytest

import matcalc
from matcalc import ast
from matcalc.simplify import order

SHAPES = {"X": ("m", "n"), "A": ("m", "m"), "x": ("m",), "u": ("m",), "c": ()}

# node class -> (sample, a variable to differentiate by)
SAMPLES = {
    "Symbol": ("x'*u", "x"), "Number": ("2*x'*u", "x"), "Identity": ("x'*(A + I)*x", "x"),
    "Commutation": ("vec(X)'*commutation(m, n)'*vec(X')", "X"),
    "Add": ("x'*x + c", "x"), "Neg": ("-x'*u", "x"), "Mul": ("u'*A*x", "A"),
    "Div": ("x'*u/c", "c"), "Hadamard": ("sum(x .* u)", "x"), "ElemDiv": ("sum(x ./ u)", "x"),
    "Power": ("c^3 + x'*A^2*x", "A"), "ElemPower": ("sum(x.^3)", "x"),
    "Transpose": ("sum(X')", "X"), "Fill": ("vector(c)'*x", "c"),
    "Elementwise": ("sum(tanh(x))", "x"), "Trace": ("tr(A*A)", "A"), "Det": ("det(A)", "A"),
    "LogDet": ("logdet(A)", "A"), "Inverse": ("u'*inv(A)*x", "A"), "Sum": ("sum(X)", "X"),
    "Norm1": ("norm1(X)", "X"), "Norm2": ("norm2(x)", "x"), "Diag": ("sum(diag(A) .* x)", "A"),
    "Vec": ("vec(X)'*vec(X)", "X"), "Softmax": ("u'*softmax(x)", "x"),
    "LogSumExp": ("logsumexp(x)", "x"), "Kron": ("tr(kron(A, A))", "A"),
    "Unvec": ("tr(unvec(vec(A), m, m))", "A"), "Derivative": ("u'*diff(x'*A*x, x)", "x"),
    "Where": ("t0'*t0 where t0 = A*x", "x"),
}


def _values(rng):
    return {"X": rng.normal(size=(3, 2)), "A": 2 * np.eye(3) + 0.3 * rng.normal(size=(3, 3)),
            "x": rng.normal(size=3), "u": rng.uniform(0.5, 1.5, size=3), "c": 1.3}


def _node_types():
    return {cls.__name__ for cls in ast.NODE_TYPES}


def test_every_node_type_has_a_sample():
    assert set(SAMPLES) == _node_types()
    for name, (text, _) in SAMPLES.items():
        nodes = ast.postorder(matcalc.parse(text, shapes=SHAPES).node)
        assert any(type(n).__name__ == name for n in nodes), name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_stage_handles_the_node_type(name, rng):
    text, wrt = SAMPLES[name]
    expr = matcalc.parse(text, shapes=SHAPES)
    assert matcalc.parse(str(expr), shapes=SHAPES) == expr
    assert expr.latex()
    values = _values(rng)
    value = expr.evaluate(values)
    assert np.allclose(matcalc.simplify(expr).evaluate(values), value)
    assert all(order.key(n) for n in ast.postorder(expr.node))
    assert matcalc.verify(expr, wrt).passed
    for backend in ("numpy", "numba", "jax", "torch", "dask"):
        try:
            f = matcalc.compile(expr, backend=backend)
        except matcalc.MatcalcError:
            continue                              # the backend is not installed
        result = f(values)
        result = result.compute() if hasattr(result, "compute") else result
        assert np.allclose(np.asarray(result, dtype=float), value, rtol=1e-4, atol=1e-5), \
            backend
