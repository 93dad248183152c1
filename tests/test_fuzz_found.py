"""What the fuzz families (tests/test_fuzz_*.py) found, each as a minimal reproduction."""

import numpy as np
import pytest

import matcalc

SHAPES = {"A": ("m", "m"), "C": ("p", "p"), "X": ("m", "p"), "x": ("m",), "z": ("m",),
          "u": ("m*p",), "a": (), "b": ()}


@pytest.mark.parametrize("text, wrt, expected", [
    ("sum(a)", "a", "1"), ("sum(2*a)", "a", "2"), ("sum(a*b)", "a", "b"),
    ("sum(x'*z)", "x", "z"), ("sum(vec(a))", "a", "1")])
def test_the_sum_of_a_scalar_differentiates_to_a_number(text, wrt, expected):
    """d sum(s) was a matrix(1) of shape (): printed, it read back as an n x d matrix (the
    print family: sum(a) by a)."""
    for form in ("factored", "expanded"):
        g = matcalc.diff(text, wrt, shapes=SHAPES, form=form)
        assert str(g) == expected
        assert matcalc.parse(str(g), g.declarations.shapes).shape == g.shape


def test_evaluate_sizes_a_product_dimension_from_other_values():
    """u: m*p with X: m x p among the values: evaluate refused ("'u' has a size m*p whose
    factors no value fixes") where compile took the sizes from X (the routes family)."""
    u, X = np.arange(6.0), np.ones((3, 2))
    e = matcalc.parse("u", SHAPES)
    assert np.array_equal(e.evaluate(u=u, X=X), u)
    assert np.array_equal(matcalc.compile(e)(u=u, X=X), u)
