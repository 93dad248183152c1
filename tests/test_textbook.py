"""Answers in the form a textbook prints (issue 22): each derivative in both forms is the
textbook's or an equal form no larger (tokens counted with `where` names written out), and
matcalc's own result passes a numeric check against central differences."""

import re

import pytest

import matcalc
from matcalc import ast
from matcalc.printing import to_text

SHAPES = {"a": (), "b": (), "X": ("n", "d"), "w": ("d",), "y": ("n",), "A": ("n", "n"),
          "B": ("d", "d"),
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
    ("tr(kron(A, B))", "B", "tr(A)*I(d)", ("factored", "expanded")),
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
    ("a*x + b*x", None, "(a + b)*x", ("factored",)),
    ("a*A*x + b*A*x", "x", "(a + b)*A'", ("factored",)),
    ("A^5", "A", "kron(I, A'^4) + kron(A, A'^3) + kron(A^2, A'^2) + kron(A^3, A') + "
                 "kron(A^4, I)", ("factored", "expanded")),
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


# common losses and Matrix Cookbook results: the factored form is the textbook's or an equal
# form no larger (issue 22, item 4)
LOSSES = {"X": ("n", "d"), "w": ("d",), "y": ("n",), "A": ("n", "n"), "B": ("n", "n"),
          "S": ("n", "n"), "x": ("n",), "m": ("n",), "b": ("n",), "W": ("k", "d"),
          "v": ("d",), "z": ("k",), "a": ("n",), "U": ("n", "r"), "V": ("d", "r"),
          "M": ("n", "d"), "c": (), "N": ()}
COOKBOOK = [
    ("sum(exp(X*w)) - y'*X*w", "w", "X'*(exp(X*w) - y)"),                     # Poisson
    ("norm2(X*w - y)^2 + c*norm2(w)^2", "w", "2*X'*(X*w - y) + 2*c*w"),       # ridge
    ("0.5*norm2(X*w - y)^2", "w", "X'*(X*w - y)"),
    ("norm2(X*w - y)^2/N", "w", "2/N*X'*(X*w - y)"),
    ("(X*w - y)'*diag(a)*(X*w - y)", "w", "2*X'*(a .* (X*w - y))"),          # weighted
    ("sum(log(1 + exp(X*w))) - y'*X*w + c/2*w'*w", "w", "X'*(sigmoid(X*w) - y) + c*w"),
    ("logsumexp(W*v) - z'*W*v", "W", "(softmax(W*v) - z)*v'"),               # softmax
    ("x'*A*x", "x", "(A + A')*x"),                                          # Cookbook (81)
    ("x'*A*x - 2*b'*x + c", "x", "(A + A')*x - 2*b"),
    ("a'*x", "x", "a"),                                                     # (69)
    ("x'*x", "x", "2*x"),
    ("b'*A*x", "x", "A'*b"),                                                # (70)
    ("norm2(A*x - b)^2", "x", "2*A'*(A*x - b)"),                            # (84)
    ("sum((A*x - b).^2)", "x", "2*A'*(A*x - b)"),
    ("sum(abs(x))", "x", "sign(x)"),
    ("sum(sqrt(1 + x.^2))", "x", "x ./ sqrt(1 + x.^2)"),
    ("sum(tanh(X*w))", "w", "X'*(1 - tanh(X*w).^2)"),
    ("tr(A*B)", "A", "B'"),                                                 # (100)
    ("tr(A'*B)", "A", "B"),                                                 # (101)
    ("tr(A*B*A')", "A", "A*(B + B')"),                                      # (112)
    ("tr(A'*B*A)", "A", "(B + B')*A"),                                      # (108)
    ("tr(X'*A*X)", "X", "(A + A')*X"),
    ("tr(X*X')", "X", "2*X"),
    ("tr(A^2)", "A", "2*A'"),
    ("tr(A^3)", "A", "3*A'^2"),                                             # (106)
    ("det(A)", "A", "det(A)*inv(A)'"),                                      # (49)
    ("logdet(A)", "A", "inv(A)'"),                                          # (57)
    ("tr(inv(A)*B)", "A", "-inv(A)'*B'*inv(A)'"),                           # (63)
    ("a'*inv(A)*b", "A", "-inv(A)'*a*b'*inv(A)'"),                          # (61)
    ("norm2(M - U*V')^2", "U", "2*(U*V' - M)*V"),                           # low rank
    ("norm2(M - U*V')^2", "V", "2*(V*U' - M')*U"),
    ("(x - m)'*inv(S)*(x - m)", "m", "-(inv(S) + inv(S'))*(x - m)"),        # Mahalanobis
]


@pytest.mark.parametrize("text, wrt, textbook", COOKBOOK,
                         ids=[f"{t} by {w}" for t, w, _ in COOKBOOK])
def test_losses_and_cookbook_results(text, wrt, textbook):
    found = matcalc.diff(text, wrt, shapes=LOSSES)
    expected = matcalc.parse(textbook, found.declarations.shapes)
    assert tokens(found) <= tokens(expected), str(found)
    assert matcalc.check(found, expected).holds, str(found)
    assert matcalc.verify(text, wrt, shapes=LOSSES).passed


def test_derive_says_what_it_recognized():
    """The steps name the recognition: du/dv = sigmoid(v) where u = sum(log(1 + exp(v)))."""
    steps = str(matcalc.derive("sum(log(1 + exp(-y .* (X*w))))", "w", shapes=SHAPES))
    assert "du/dv = sigmoid(v)" in steps
    assert "recognized: exp(v) ./ (1 + exp(v))" in steps and "logistic function" in steps
    plain = str(matcalc.derive("(X*w - y)'*(X*w - y)", "w", shapes=SHAPES))
    assert "recognized" not in plain
