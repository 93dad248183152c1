"""One rule set (matcalc/calculus/rules.py): every row checked against central differences
in each of its readings.

Each row of RULES has cases that pass through it: by gradient (a scalar function, the
gradient algebra), by matrix form (anything else, the matrix-form algebra: Jacobians,
Hessians, past two indices) and along a direction (the forward differential). Every case is
verified numerically; a recording run checks that each row's adjoint ran in both algebras
and its differential ran, so no rule is left unchecked.
"""

import pytest

import matcalc
from matcalc.calculus import adjoints, rules

SHAPES = {"X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n"), "x": ("n",), "u": ("n",),
          "v": ("n",), "p": ("n",), "c": (), "e": ()}
DIRECTIONS = {"c": "e", "x": "v", "p": "v", "A": "B", "X": "B"}     # of each variable's shape

# rule -> cases (expression, variable); scalar expressions exercise the gradient algebra,
# the others the matrix-form algebra; every case also runs along a direction
CASES = {
    "Add": [("sum(x + u)", "x"), ("sum(x + c)", "c"), ("x + u", "x"), ("x + c", "c")],
    "Neg": [("sum(-x)", "x"), ("-X", "X")],
    "Mul": [("u'*A*x", "x"), ("u'*A*x", "A"), ("c*sum(x)", "c"), ("A*X*B", "X"),
            ("c*x", "c"), ("x'*A", "x")],
    "Div": [("u'*x/(x'*x)", "x"), ("x/(u'*x)", "x"), ("X/c", "c")],
    "Hadamard": [("sum(x .* u)", "x"), ("sum(c .* x)", "c"), ("X .* A", "X"),
                 ("x .* c", "c")],
    "ElemDiv": [("sum(u ./ p)", "p"), ("sum(c ./ p)", "c"), ("A ./ X", "X"),
                ("sum(p ./ c)", "c")],
    "Power": [("(u'*x)^3", "x"), ("x'*A^3*x", "A"), ("x'*A^-2*x", "A"), ("tr(A^4)", "A"),
              ("X^3", "X"), ("X^-2", "X"), ("(u'*x)^2*v", "x"), ("c^(x'*x)", "x")],
    "ElemPower": [("sum(p.^3)", "p"), ("sum(p.^c)", "c"), ("p.^3", "p"), ("p.^c", "c")],
    "Transpose": [("u'*A'*v", "A"), ("X'", "X")],
    "Inverse": [("u'*inv(X)*v", "X"), ("inv(X)", "X")],
    "Trace": [("tr(A*B)", "A"), ("tr(X)*x", "X")],
    "Det": [("det(X)", "X"), ("det(X)*x", "X")],
    "LogDet": [("logdet(X)", "X"), ("logdet(X)*x", "X")],
    "Sum": [("sum(A*x)", "A"), ("sum(X)*x", "X")],
    "Norm2": [("norm2(A*x)", "x"), ("norm2(X)*u", "X")],
    "Norm1": [("norm1(A*x)", "x"), ("norm1(x)*u", "x")],
    "Diag": [("u'*diag(x)*v + sum(diag(A))", "x"), ("sum(diag(A) .* x)", "A"),
             ("diag(x)", "x"), ("diag(X)", "X")],
    "Elementwise": [("sum(sigmoid(x))", "x"), ("tanh(X)", "X")],
    "Fill": [("sum(vector(c)) + x'*x", "c"), ("vector(u'*x)", "x")],
    "Softmax": [("u'*softmax(x)", "x"), ("softmax(x)", "x")],
    "LogSumExp": [("logsumexp(A*x)", "x"), ("logsumexp(x)*u", "x")],
    "Kron": [("tr(kron(A, B*A))", "A"), ("kron(X, A)", "X"), ("kron(A, X)", "X"),
             ("kron(x, u)", "x")],
    "Vec": [("vec(A)'*vec(B*A)", "A"), ("vec(X)", "X")],
    "Unvec": [("tr(A*unvec(kron(x, u), n, n))", "x"), ("unvec(kron(x, u), n, n)", "x")],
}
LEAVES = {"Symbol", "Number", "Identity", "Commutation"}
ALL_CASES = [(rule, text, wrt) for rule, cases in CASES.items() for text, wrt in cases]


def test_every_operation_has_a_rule_and_cases():
    from matcalc import ast
    operations = set(ast.NODE_TYPES)
    assert operations == set(rules.RULES) | set(rules.EXPANDED_BEFORE)
    assert set(CASES) == {cls.__name__ for cls in rules.RULES} - LEAVES
    assert all(row.source for row in rules.RULES.values())


@pytest.mark.parametrize("rule, text, wrt", ALL_CASES,
                         ids=[f"{r}: {t} by {w}" for r, t, w in ALL_CASES])
def test_each_case_against_central_differences(rule, text, wrt):
    expr = matcalc.parse(text, shapes=SHAPES)
    assert matcalc.verify(expr, wrt).passed
    assert matcalc.verify(expr, wrt, direction=DIRECTIONS[wrt]).passed


def test_every_reading_of_every_rule_runs(monkeypatch):
    """Each row's adjoint runs in the gradient algebra and in the matrix-form algebra, and
    its differential runs, in the cases above (and so is checked numerically there)."""
    used = set()

    def recording(cls, row):
        def adjoint(node, V, i, L):
            used.add((cls.__name__, L.name))
            return row.adjoint(node, V, i, L)

        def differential(node, d):
            used.add((cls.__name__, "differential"))
            return row.differential(node, d)
        return row._replace(adjoint=adjoint, differential=differential)
    for cls, row in list(rules.RULES.items()):
        monkeypatch.setitem(rules.RULES, cls, recording(cls, row))
    for _, text, wrt in ALL_CASES:
        expr = matcalc.parse(text, shapes=SHAPES)
        matcalc.diff(expr, wrt)
        matcalc.diff(expr, wrt, direction=DIRECTIONS[wrt])
    wanted = {(name, reading) for name in CASES
              for reading in (adjoints.GRADIENT.name, adjoints.MATRIX_FORM.name,
                              "differential")}
    assert wanted - used == set()


def test_a_missing_rule_is_an_internal_error_naming_the_argument_and_the_route(monkeypatch):
    monkeypatch.delitem(rules.RULES, matcalc.api.ast.Kron)
    with pytest.raises(matcalc.InternalError, match="Kron .its argument 1, n-vector, depends "
                                                    "on x. on the matrix form route"):
        matcalc.diff("kron(x, u)", "x", shapes=SHAPES)
    assert not issubclass(matcalc.InternalError, matcalc.MatcalcError)   # a bug, not input
