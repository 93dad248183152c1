"""derive: the documents' two routes, step by step."""

import matcalc


def test_chain_route_follows_the_first_document():
    d = matcalc.derive("(X*w - y)'*(X*w - y)", "w")
    steps = {step.label: str(step.expr) for step in d.steps}
    assert steps["v"] == "X*w - y"
    assert steps["u"] == "v'*v"
    assert steps["du/dv"] == "2*v"
    assert steps["dv/dw"] == "X'"
    assert steps["du/dw = dv/dw * du/dv"] == "X'*(2*(X*w - y))"
    assert str(d.expanded) == "2*X'*X*w - 2*X'*y"
    assert str(d.result) == "2*X'*(X*w - y)"
    assert d.verification.passed
    assert all(isinstance(rule, str) and rule for rule, _ in d.steps)


def test_expansion_route_states_that_both_routes_agree():
    d = matcalc.derive("(X*w - y)'*(X*w - y)", "w", method="expand")
    rules = [step.rule for step in d.steps]
    assert "d(w'*B*w)/dw = (B + B')*w" in rules
    assert any(rule.startswith("d(w'*s)/dw") or rule.startswith("d(s'*w)/dw") for rule in rules)
    assert str(d.expanded) == "2*X'*X*w - 2*X'*y"
    assert d.agreement.startswith("both routes agree")
    assert d.verification.passed


def test_matrix_variable_uses_the_backward_rule():
    d = matcalc.derive("1/N*sum((Y - A*W).^2)", "W")
    steps = {step.label: str(step.expr) for step in d.steps}
    assert steps["v"] == "Y - A*W"
    assert steps["du/dv"] == "2/N*v"
    assert str(d.expanded) == "2/N*A'*A*W - 2/N*A'*Y"
    assert d.verification.passed


def test_logistic_regression_introduces_the_linear_predictor():
    d = matcalc.derive("sum(log(1 + exp(-y .* (X*w))))", "w")
    assert str(d.steps[0].expr) == "-y .* (X*w)"
    assert d.verification.passed


def test_text_and_latex_render():
    d = matcalc.derive("(X*w - y)'*(X*w - y)", "w")
    text = str(d)
    assert "du/dv = 2*v" in text and "numeric check passed" in text
    latex = d.latex()
    assert latex.startswith("\\begin{aligned}") and latex.endswith("\\end{aligned}")
    assert "{X}^\\top" in latex and "\\text{du/dv} &= 2 v" in latex


# ---------------------------------------------------------------- past two indices

def test_matrix_route_shows_the_differential_and_the_identification():
    d = matcalc.derive("inv(X)", "X", shapes={"X": ("n", "n")})
    rules = [s.rule for s in d.steps]
    assert rules[0].startswith("the differential")
    assert str(d.steps[0].expr) == "-inv(X)*dX*inv(X)"
    assert d.steps[1].rule == "identification: A*dX*B -> kron(B, A')"
    assert d.steps[1].label == "-inv(X)*dX*inv(X) ->"
    assert str(d.result) == "-kron(inv(X), inv(X'))"
    assert d.verification.passed
    assert r"\mapsto" in d.latex()


def test_matrix_route_chain_rule_in_the_documents_order():
    shapes = {"X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n")}
    d = matcalc.derive("inv(A*X*B)", "X", shapes=shapes)
    labels = [s.label for s in d.steps]
    assert labels[:2] == ["V", "U"] and str(d.steps[0].expr) == "A*X*B"
    assert "dV/dX" in labels and "dU/dV" in labels
    chain = d.steps[-1]
    assert chain.label == "dU/dX = dV/dX * dU/dV"
    assert str(chain.expr).startswith("kron(B, A')*")          # dV/dX first, as documents do
    assert d.verification.passed
    assert matcalc.check(str(d.result), "diff(inv(A*X*B), X)", shapes=shapes).holds


def test_matrix_route_transposed_differential_and_hadamard_patterns():
    d = matcalc.derive("X'*X + X .* X", "X")
    rules = " ".join(s.rule for s in d.steps)
    assert "A*dX'*B -> commutation" in rules and "H .* dX -> diag(vec(H))" in rules
    assert d.verification.passed
