"""Property tests: random well-shaped expressions round-trip and evaluate right; random text
raises nothing but MatcalcError."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from strategies import DECLS, examples, expressions, values_for

ROUND_TRIP_EXAMPLES = 300
RANDOM_TEXT_EXAMPLES = 1000
TOLERANCE = 1e-9


@settings(max_examples=examples(ROUND_TRIP_EXAMPLES))
@given(expressions(), st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2]))
def test_random_expressions_round_trip_and_evaluate(triple, seed, which):
    text, reference = triple[which]
    e = matcalc.parse(text, shapes=DECLS)
    assert e.shape == [(), ("m",), ("m", "m")][which]
    again = matcalc.parse(str(e), shapes=DECLS)
    assert again == e
    values = values_for(np.random.default_rng(seed))
    expected = reference(values)
    assert np.allclose(e.evaluate(values), expected, rtol=TOLERANCE, atol=TOLERANCE)


ALPHABET = "xyzAXw12.e+-*/^'() ,=_trdiagsumexplo\t\n[]{}!@#$%&|~<>?\\\"`;:é²αI"


@settings(max_examples=examples(RANDOM_TEXT_EXAMPLES))
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_random_text_raises_only_matcalc_errors(text):
    try:
        e = matcalc.parse(text)
    except matcalc.MatcalcError as error:
        assert str(error)
        return
    assert matcalc.parse(str(e)) == e


@settings(max_examples=examples(200))
@given(st.text(max_size=30))
def test_arbitrary_unicode_raises_only_matcalc_errors(text):
    try:
        matcalc.parse(text)
    except matcalc.MatcalcError:
        pass


DERIVATIVE_EXAMPLES = 500


@settings(max_examples=examples(DERIVATIVE_EXAMPLES))
@given(expressions(max_leaves=8), st.sampled_from(["x", "A", "a"]))
def test_random_scalar_expressions_have_verified_derivatives(triple, wrt):
    text, _ = triple[0]
    e = matcalc.parse(text, shapes=DECLS)
    g = matcalc.diff(e, wrt, shapes=None)
    report = matcalc.verify(e, wrt, g, draws=3)
    assert report.passed, (text, str(g), report)
    expanded = matcalc.diff(e, wrt, form="expanded")
    assert matcalc.verify(e, wrt, expanded, draws=2).passed


@settings(max_examples=examples(200))
@given(expressions(), st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2]))
def test_simplification_keeps_the_value(triple, seed, which):
    text, reference = triple[which]
    e = matcalc.parse(text, shapes=DECLS)
    values = values_for(np.random.default_rng(seed))
    expected = reference(values)
    for form in ("expanded", "factored"):
        simplified = matcalc.simplify(e, form=form)
        assert simplified.shape == e.shape
        assert np.allclose(simplified.evaluate(values), expected, rtol=1e-8, atol=1e-8)
        again = matcalc.parse(str(simplified), shapes=DECLS, shape=e.shape)
        assert np.allclose(again.evaluate(values), expected, rtol=1e-8, atol=1e-8)
        assert matcalc.simplify(simplified, form=form) == simplified     # idempotent


def test_deep_inputs_never_exhaust_the_stack():
    """Near the nesting limit every stage runs; past it, a clear error."""
    deep = "sum(" + "tanh(" * 200 + "x" + ")" * 200 + ")"
    g = matcalc.diff(deep, "x")
    assert len(str(g)) > 0 and g.latex()
    assert matcalc.verify(deep, "x", g, draws=1).passed
    values = {"x": np.full(3, 0.1)}
    assert np.allclose(matcalc.compile(g)(values), g.evaluate(values))
    chain = "x'*" + "*".join(["A"] * 1000) + "*x"
    assert matcalc.diff(chain, "x").shape == ("n",)


MATRIX_FORM_EXAMPLES = 300


@settings(max_examples=examples(MATRIX_FORM_EXAMPLES))
@given(expressions(max_leaves=6), st.sampled_from([1, 2]), st.sampled_from(["x", "A"]),
       st.integers(0, 2**32 - 1))
def test_random_matrix_forms_are_verified_and_read_back(triple, which, wrt, seed):
    """Vector- and matrix-valued expressions by a vector or a matrix (SPEC 2b): the matrix
    form agrees with central differences, and its printed text reads back to the same
    numbers under the same declarations."""
    text, _ = triple[which]
    e = matcalc.parse(text, shapes=DECLS)
    g = matcalc.diff(e, wrt)
    report = matcalc.verify(e, wrt, g, draws=2)
    assert report.passed, (text, wrt, str(g), report)
    values = values_for(np.random.default_rng(seed))
    back = matcalc.parse(str(g), shapes=g.declarations.shapes)
    assert np.allclose(back.evaluate(values), g.evaluate(values), rtol=1e-9, atol=1e-9)


@settings(max_examples=examples(100))
@given(expressions(max_leaves=8), st.sampled_from(["x", "A"]))
def test_random_hessians_and_hessian_vector_products(triple, wrt):
    """The Hessian of a random scalar (by a matrix: its matrix form) and the product along V
    agree with central differences of the gradient."""
    text, _ = triple[0]
    g = matcalc.diff(matcalc.parse(text, shapes=DECLS), wrt)
    H = matcalc.diff(g, wrt)
    assert matcalc.verify(g, wrt, H, draws=2).passed, (text, str(H))
    along = matcalc.diff(g, wrt, direction="V")
    assert matcalc.verify(g, wrt, along, direction="V", draws=2).passed, (text, str(along))
