"""Printing: text round-trips through the parser with minimal parentheses; LaTeX."""

from fractions import Fraction

import pytest

import matcalc
from matcalc import ast
from matcalc.printing import number_text, to_text

ROUND_TRIPS = [
    "(X*w - y)'*(X*w - y)", "1/N*sum((Y - A*W).^2)", "a*b/c*d", "-a^2", "x*w'", "2 .* x",
    "A^-1", "x.^-2", "0.001", "t1 where t0 = X*w, t1 = t0'*t0", "diff(x'*x, x)",
    "a - b - c", "exp(x) + vector(1)", "a - (b + c)", "(a*b)*c", "a*(b*c)", "-(a*b)",
    "a^b^c", "(a^b)^c", "a^-b^c", "a^-(b*c)", "(-a)^2", "A''", "a - -b", "-(-a)", "a*(-b)",
    "a/b/c", "a/(b/c)", "sqrt(abs(x)) ./ (y .* z)", "x - (y - z)", "(A^2)'", "matrix(2, n, d)",
    "norm2(A*x - b)^2 + lambda*norm1(x)", "2^-x", "tr(A) + det(B) + logdet(C)",
    "inv(A)*diag(x) + diag(A)*x'", "sigmoid(x) + softplus(x) - relu(x) .* sign(x)",
    "sin(x) + cos(x) + tan(x) + arcsin(x) + arccos(x) + arctan(x) + tanh(x)",
    "x'*I*x", "c*vector(1)'*x", "W1'*(t1 .* t0) where t0 = tanh(W1*x), t1 = 1 - t0.^2",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_text_round_trips_exactly(text):
    e = matcalc.parse(text)
    assert str(e) == text
    assert matcalc.parse(str(e)) == e


@pytest.mark.parametrize("text, printed", [
    ("a^T", "a'"), ("((x))", "x"), ("+a", "a"), ("a--b", "a - -b"), ("--a", "-(-a)"),
    ("x^(T)", "x^(T)"), ("2.*x", "2 .* x"), ("1e-3", "0.001"), ("a*-b", "a*(-b)"),
    ("eye*x", "I*x"),
])
def test_normalized_spellings(text, printed):
    e = matcalc.parse(text)
    assert str(e) == printed and matcalc.parse(printed) == e


@pytest.mark.parametrize("value, text", [
    (Fraction(1, 2), "0.5"), (Fraction(1, 3), "1/3"), (Fraction(-2, 3), "-2/3"),
    (Fraction(5), "5"), (Fraction(-7, 4), "-1.75"), (Fraction(1, 10**20), "1e-20"),
    (Fraction(10**20), "1e20"),
])
def test_numbers(value, text):
    assert number_text(value)[0] == text


def test_simplifier_style_terms_print_as_subtraction():
    x = ast.Symbol("x", ("n",))
    y = ast.Symbol("y", ("n",))
    node = ast.Add(ast.Mul(ast.Number(2), x), ast.Mul(ast.Number(-2), y))
    assert to_text(node) == "2*x - 2*y"


@pytest.mark.parametrize("text, latex", [
    ("(X*w - y)'*(X*w - y)", r"{\left(X w - y\right)}^\top \left(X w - y\right)"),
    ("1/N*sum((Y - A*W).^2)",
     r"\frac{1}{N} \operatorname{sum}\left({\left(Y - A W\right)}^{\circ 2}\right)"),
    ("inv(A)", "{A}^{-1}"),
    ("lambda*norm2(w)^2", r"\lambda {\left\lVert w \right\rVert_2}^{2}"),
    ("W1 .* W_2", r"W_{1} \odot W_{2}"),
    ("2*3*x", r"2 \cdot 3 x"),
    ("sqrt(x) ./ abs(x)", r"\sqrt{x} \oslash \left|x\right|"),
    ("kron(A, B')*vec(X)", r"\left(A \otimes {B}^\top\right) \operatorname{vec}\left(X\right)"),
    ("commutation(m, n)", "K_{m,n}"),
    ("2/N*A - 2/N*B", r"\frac{2}{N} A - \frac{2}{N} B"),
    ("-2/N*B", r"-\frac{2}{N} B"),
    ("kron(w, I(m))", r"w \otimes I_{m}"),
    ("softmax(x)", r"\operatorname{softmax}\left(x\right)"),
])
def test_latex(text, latex):
    assert matcalc.parse(text).latex() == latex


@pytest.mark.parametrize("text, printed", [
    ("tr(I)", "tr(I(n))"),                       # nothing else fixes the size: written
    ("A + I", "A + I"),                           # A fixes it
    ("kron(w, I(m))", "kron(w, I(m))"),
    ("x + vector(1)", "x + vector(1)"),
    ("vector(2, 3)", "vector(2, 3)"),
    ("I(n*d)", "I(d*n)"),
    ("t0 + t0 where t0 = I", "t0 + t0 where t0 = I(n)"),
    ("t0*x where t0 = I", "t0*x where t0 = I"),
    ("kron(A, B)*commutation(m, n)*vec(X)", "kron(A, B)*commutation(m, n)*vec(X)"),
    ("unvec(v, m, n)", "unvec(v, m, n)"),
    # a constant inside a fill's value is one more occurrence, met before the fill
    ("x + vector(tr(I))", "x + vector(tr(I(d)))"),
    ("vector(tr(I(3)))", "vector(tr(I(3)), n)"),
    ("vector(sum(vector(2, 3)), 3)", "vector(sum(vector(2, 3)), 3)"),
])
def test_constants_print_their_size_where_needed(text, printed):
    e = matcalc.parse(text)
    assert str(e) == printed
    assert matcalc.parse(printed, e.symbols()) == e


def test_repr_latex_for_notebooks():
    assert matcalc.parse("x'*x")._repr_latex_() == r"${x}^\top x$"
