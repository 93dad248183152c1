"""verify: no false alarms on correct derivatives, and wrong ones caught.

The first half is the issue's list of false alarms (singular Gram matrices, overflowing
exponentials, cancellation); the second mutates every derivative of the identity table and
of the past-two-indices table (a missing factor 2, a transposed factor, a dropped term) and
asks verify to notice.
"""

import warnings

import pytest

import matcalc
from matcalc import ast
from test_diff import IDENTITIES
from test_vecdiff import CASES as MATRIX_FORM_CASES, SHAPES as MATRIX_FORM_SHAPES


@pytest.mark.parametrize("text, wrt, shapes", [
    ("log(det(X'*X))", "X", {"X": ("n", "d")}),
    ("logdet(X'*X)", "X", {"X": ("n", "d")}),
    ("tr(inv(X'*X))", "X", {"X": ("n", "d")}),
    ("log(1 + exp(-y'*X*w))", "w", {}),
    ("sum(exp(exp(X*w)))", "w", {}),
    ("exp(1000*a)", "a", {}),
    ("sum(abs(X*w))", "w", {}),
    ("logdet(A*A' + I) + tr(inv(A*A' + I))", "A", {"A": ("n", "d")}),
])
def test_correct_derivatives_pass_without_warnings(text, wrt, shapes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # no RuntimeWarning escapes
        report = matcalc.verify(text, wrt, shapes=shapes)
    assert report.passed is True, report


def test_no_valid_point_is_inconclusive_not_false():
    report = matcalc.verify("log(-exp(a))", "a")
    assert report.passed is None and report.inconclusive
    assert "could not find valid points" in str(report)
    result = matcalc.check("log(-exp(a))", "a")
    assert result.holds is None and "undecided" in str(result)


def test_the_step_adapts_to_conditioning():
    # log(1 + exp(-s)) at large s loses digits to cancellation; two fixed steps disagree,
    # the sweep finds a pair that agrees, and the correct gradient passes
    report = matcalc.verify("log(1 + exp(-30*u'*x))", "x", shapes={"u": ("n",)})
    assert report.passed is True, report


# ---------------------------------------------------------------- wrong derivatives

def _mutants(result):
    """(name, mutant node) for a derivative: half of it, a square non-symmetric matrix
    replaced by its transpose, each term dropped in turn."""
    node = matcalc.simplify(result, form="expanded").node
    out = [("a missing factor 2", ast.Mul(ast.Number(0.5), node))]
    for symbol in {n for n in ast.postorder(node) if isinstance(n, ast.Symbol)}:
        shape = symbol.declared_shape
        if len(shape) == 2 and shape[0] == shape[1] and not symbol.symmetric:
            swapped = ast.transform(node, lambda n, s=symbol: ast.Transpose(s) if n is s else n)
            out.append((f"{symbol.name} transposed", swapped))
    if isinstance(node, ast.Add):
        for i in range(len(node.children)):
            rest = node.children[:i] + node.children[i + 1:]
            out.append((f"term {i + 1} dropped", rest[0] if len(rest) == 1 else ast.Add(*rest)))
    return out


def _catches_every_mutant(loss, wrt, result):
    caught, tried = 0, 0
    for name, node in _mutants(result):
        mutant = matcalc.Expr(node, result.declarations)
        try:
            same = matcalc.check(result, mutant).holds
        except matcalc.MatcalcError:
            continue                      # a mutant that is not well shaped tests nothing
        if same is not False:
            continue                      # equal to the derivative (A + A' transposed, ...)
        tried += 1
        report = matcalc.verify(loss, wrt, mutant)
        assert report.passed is False, (str(result), name, str(mutant), report)
        caught += 1
    return caught, tried


@pytest.mark.parametrize("text, wrt, expected, decls, how", IDENTITIES,
                         ids=[f"d({c[0]})/d{c[1]}" for c in IDENTITIES])
def test_wrong_gradients_are_caught(text, wrt, expected, decls, how):
    shapes = decls.get("shapes", decls if "symmetric" not in decls else {})
    loss = matcalc.parse(text, shapes=shapes, symmetric=decls.get("symmetric"))
    result = matcalc.diff(loss, wrt)
    caught, tried = _catches_every_mutant(loss, wrt, result)
    assert caught == tried and tried >= 1


@pytest.mark.parametrize("family, text, wrt", MATRIX_FORM_CASES[::3],
                         ids=[f"{c[1]} by {c[2]}" for c in MATRIX_FORM_CASES[::3]])
def test_wrong_matrix_forms_are_caught(family, text, wrt):
    loss = matcalc.parse(text, MATRIX_FORM_SHAPES)
    result = matcalc.diff(loss, wrt)
    caught, tried = _catches_every_mutant(loss, wrt, result)
    assert caught == tried and tried >= 1
