"""The grammar and the parser: every form of the language, and friendly errors."""

from fractions import Fraction

import pytest

import matcalc
from matcalc import ast
from matcalc import parser

S = ast.Symbol


def raw(text):
    return parser.parse(text).node


@pytest.mark.parametrize("text, expected", [
    ("X", S("X")),
    ("W1", S("W1")),
    ("lambda", S("lambda")),
    ("2", ast.Number(2)),
    ("0.5", ast.Number(Fraction(1, 2))),
    ("1e-3", ast.Number(Fraction(1, 1000))),
    ("a + b", ast.Add(S("a"), S("b"))),
    ("a - b", ast.Add(S("a"), ast.Neg(S("b")))),
    ("-a", ast.Neg(S("a"))),
    ("A*B*C", ast.Mul(S("A"), S("B"), S("C"))),
    ("x/s", ast.Div(S("x"), S("s"))),
    ("a .* b", ast.Hadamard(S("a"), S("b"))),
    ("a ./ b", ast.ElemDiv(S("a"), S("b"))),
    ("a^2", ast.Power(S("a"), ast.Number(2))),
    ("A^-1", ast.Power(S("A"), ast.Neg(ast.Number(1)))),
    ("x.^2", ast.ElemPower(S("x"), ast.Number(2))),
    ("a'", ast.Transpose(S("a"))),
    ("a^T", ast.Transpose(S("a"))),
    ("tr(A)", ast.Trace(S("A"))),
    ("logdet(A)", ast.LogDet(S("A"))),
    ("exp(x)", ast.Elementwise("exp", S("x"))),
    ("I", ast.Identity()),
    ("eye", ast.Identity()),
    ("vector(1)", ast.Fill((None,), ast.Number(1))),
    ("matrix(c)", ast.Fill((None, None), S("c"))),
    ("diff(x'*x, x)", ast.Derivative(ast.Mul(ast.Transpose(S("x")), S("x")), S("x"))),
    ("t0 where t0 = x", ast.Where(("t0",), S("t0"), S("x"))),
])
def test_every_form(text, expected):
    assert raw(text) is expected


@pytest.mark.parametrize("text, expected", [
    # loosest first: + -; * / .* ./; unary -; ^ .^ (right); postfix '
    ("-a^2", ast.Neg(ast.Power(S("a"), ast.Number(2)))),
    ("x*w'", ast.Mul(S("x"), ast.Transpose(S("w")))),
    ("2.*x", ast.Hadamard(ast.Number(2), S("x"))),
    ("a^b^c", ast.Power(S("a"), ast.Power(S("b"), S("c")))),
    ("a*b/c*d", ast.Mul(ast.Div(ast.Mul(S("a"), S("b")), S("c")), S("d"))),
    ("-a*b", ast.Mul(ast.Neg(S("a")), S("b"))),
    ("a + b*c", ast.Add(S("a"), ast.Mul(S("b"), S("c")))),
    ("a^b'", ast.Power(S("a"), ast.Transpose(S("b")))),
    ("x.^-2", ast.ElemPower(S("x"), ast.Neg(ast.Number(2)))),
    ("a - (b + c)", ast.Add(S("a"), ast.Neg(ast.Add(S("b"), S("c"))))),
    ("((((x))))", S("x")),
])
def test_precedence(text, expected):
    assert raw(text) is expected


def test_equal_subtrees_are_one_node():
    node = raw("(X*w - y)'*(X*w - y)")
    assert node.children[0].arg is node.children[1]


@pytest.mark.parametrize("text, fragment, column", [
    ("", "empty input", None),
    ("   \n ", "empty input", None),
    ("a +", "operand is missing", 4),
    ("(a + b", "unbalanced '('", 7),
    ("a + b)", "unbalanced ')'", 6),
    ("a**b", "'**' is not an operator: use '^'", 3),
    ("foo(x)", "unknown function 'foo'", 1),
    ("expp(x)", "did you mean 'exp'", 1),
    ("__import__('os')", "unexpected character '_'", 1),
    ("x²", "unexpected character '²'", 2),
    ("α + 1", "Greek letters by name", 1),
    ("1e999", "too large", 1),
    ("2x", "missing operator", 2),
    ("tr(A, B)", "tr takes 1 argument, got 2", 3),
    ("I(3, 4)", "takes one size", 2),
    ("I(x + 1)", "a size must be a dimension", 3),
    ("vector(1, 2, 3)", "vector takes 1 or 2 arguments", 7),
    ("kron(A)", "kron takes 2 arguments, got 1", 5),
    ("diff(x, 2)", "must be a variable name", 9),
    ("x where", "'where' needs bindings", None),
    ("t0 where t0 = x, t0 = y", "bound twice", 18),
    ("()", "empty parentheses", 2),
    ("a * / b", "operand is missing", 5),
])
def test_parse_errors(text, fragment, column):
    with pytest.raises(matcalc.ParseError) as info:
        matcalc.parse(text)
    error = info.value
    assert fragment in error.message
    if column is not None:
        assert error.column == column
        assert error.context.splitlines()[1].index("^") == column - 1 + 2


def test_caret_points_at_the_column():
    with pytest.raises(matcalc.ParseError) as info:
        matcalc.parse("X*w - y)")
    assert str(info.value).splitlines()[-2:] == ["  X*w - y)", "         ^"]


def test_deep_parentheses_give_the_right_result():
    assert matcalc.parse("(" * 5000 + "x" + ")" * 5000) == matcalc.parse("x")


def test_deep_nesting_is_a_clear_error():
    with pytest.raises(matcalc.ParseError, match="nests deeper"):
        matcalc.parse("-(" * 5000 + "x" + ")" * 5000)
    with pytest.raises(matcalc.ParseError, match="nests deeper"):
        matcalc.parse("exp(" * 5000 + "x" + ")" * 5000)


def test_non_text_input():
    with pytest.raises(matcalc.ParseError, match="expected the text"):
        matcalc.parse(42)
