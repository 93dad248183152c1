"""Answers in the form a textbook prints (issue 22): each derivative in both forms is the
textbook's or an equal form no larger (tokens counted with `where` names written out), and
matcalc's own result passes a numeric check against central differences."""

import re

import pytest

import matcalc
from matcalc import ast
from matcalc.printing import to_text

SHAPES = {"X": ("n", "d"), "w": ("d",), "y": ("n",), "A": ("n", "n"), "B": ("d", "d"),
          "S": ("n", "n"), "x": ("n",), "m": ("n",), "W": ("k", "d"), "v": ("d",),
          "z": ("k",), "u": ("k",)}
TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d*)?|\S")


def tokens(expr):
    """The size of an expression as printed with its where-names written out."""
    return len(TOKEN.findall(to_text(ast.inline_where(expr.node))))


# (input, by, the textbook's form, forms that must reach it)
TEXTBOOK = [
    ("tr(tr(A)*A)", "A", "2*tr(A)*I(n)", ("factored", "expanded")),
    ("vec(X)'*kron(B, A)*vec(X)", "X", "A*X*B' + A'*X*B", ("factored", "expanded")),
    ("sum(A .* I(n))", None, "tr(A)", ("factored", "expanded")),
    ("inv(S + S')*(S + S')*x", None, "x", ("factored", "expanded")),
    ("exp(x) ./ (1 + exp(x))", None, "sigmoid(x)", ("factored", "expanded")),
    ("1 ./ (1 + exp(-x))", None, "sigmoid(x)", ("factored", "expanded")),
    ("log(1 + exp(x))", None, "softplus(x)", ("factored", "expanded")),
    ("sum(log(1 + exp(X*w))) - y'*X*w", "w", "X'*(sigmoid(X*w) - y)", ("factored",)),
    ("sum(log(1 + exp(-y .* (X*w))))", "w", "-X'*(y .* sigmoid(-y .* (X*w)))",
     ("factored", "expanded")),
    ("-z'*log(softmax(W*v))", "W", "(sum(z)*softmax(W*v) - z)*v'", ("factored",)),
    ("-(y'*log(sigmoid(X*w)) + (1 - y)'*log(1 - sigmoid(X*w)))", "w",
     "X'*(sigmoid(X*w) - y)", ("factored",)),
    ("-(y'*log(sigmoid(X*w)) + (1 - y)'*log(1 - sigmoid(X*w)))", "w",
     "X'*sigmoid(X*w) - X'*y", ("expanded",)),
    ("u'*(z ./ u)", None, "sum(z)", ("factored", "expanded")),
    ("(x - m)'*inv(S)*(x - m)", "m", "-(inv(S) + inv(S'))*(x - m)", ("factored",)),
]


# the logistic Hessian, by two routes
@pytest.mark.parametrize("loss", ["sum(log(1 + exp(X*w))) - y'*X*w",
                                  "sum(softplus(X*w)) - y'*X*w"])
def test_the_logistic_hessian(loss):
    for form in ("factored", "expanded"):
        H = matcalc.diff(matcalc.diff(loss, "w", shapes=SHAPES), "w", form=form)
        assert tokens(H) <= tokens(matcalc.parse(
            "X'*diag(sigmoid(X*w) .* (1 - sigmoid(X*w)))*X", H.declarations.shapes)), str(H)
    assert matcalc.verify(matcalc.diff(loss, "w", shapes=SHAPES), "w").passed


@pytest.mark.parametrize("text, wrt, textbook, forms", TEXTBOOK,
                         ids=[f"{t} by {w}" for t, w, _, _ in TEXTBOOK])
def test_the_textbook_form(text, wrt, textbook, forms):
    for form in forms:
        if wrt is None:
            found = matcalc.simplify(text, shapes=SHAPES, form=form)
        else:
            found = matcalc.diff(text, wrt, shapes=SHAPES, form=form)
        expected = matcalc.parse(textbook, found.declarations.shapes)
        assert str(found) == textbook or tokens(found) <= tokens(expected), (form, str(found))
        assert matcalc.check(found, expected).holds, (form, str(found))
    if wrt is not None:
        assert matcalc.verify(text, wrt, shapes=SHAPES).passed
