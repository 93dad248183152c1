"""What the API answers besides an expression: a derivation and its steps, a stationary
point with its kind, the verdict on a claimed identity or derivation. Each prints as text
(and a derivation as LaTeX and, in notebooks, as HTML)."""

import numpy as np

from .expression import Expr


class Derivation:
    """A derivation: the steps (rule, label, expression), the result, its verification."""

    def __init__(self, expr, wrt, method, steps, result, expanded_result, verification,
                 agreement=None):
        self.expr, self.wrt, self.method, self.steps = expr, wrt, method, steps
        self.result, self.expanded = result, expanded_result
        self.verification, self.agreement = verification, agreement

    def __repr__(self):
        return (f"Derivation(d/d{self.wrt} of {str(self.expr)!r}, method={self.method!r}, "
                f"result={str(self.result)!r}, {len(self.steps)} steps)")

    def _results(self):
        """(expression, form): the expanded result, and the factored one where it differs."""
        if str(self.result) != str(self.expanded):
            return [(self.expanded, "expanded"), (self.result, "factored")]
        return [(self.expanded, "expanded")]

    def lines(self):
        route = {"chain": "chain rule du/dw = dv/dw * du/dv",
                 "matrix": "matrix form d vec(F)/d vec(X), size(X) x size(F); chain rule "
                           "dU/dW = dV/dW * dU/dV",
                 "expand": "expanding the function, then term by term"}[self.method]
        out = [f"d/d{self.wrt} of {self.expr}", f"  (denominator layout; {route})"]
        for step in self.steps:
            joiner = " " if step.label.endswith("->") else " = "
            out.append(f"  {step.label}{joiner}{step.expr}")
            out.append(f"      [{step.rule}]")
        out += [f"  = {result}   [{form}]" for result, form in self._results()]
        if self.agreement:
            out.append(f"  {self.agreement}")
        out.append(f"  {self.verification}")
        return out

    def __str__(self):
        return "\n".join(self.lines())

    def latex(self):
        rows = [(step.source.latex() + r" &\mapsto " if step.source is not None else
                 r"\text{" + step.label.replace("_", r"\_") + "} &= ") + step.expr.latex()
                for step in self.steps]
        rows += [rf"&= {result.latex()}" for result, _ in self._results()]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self):
        return f"$${self.latex()}$$"

    def _repr_html_(self):
        """For notebooks: the steps as a table, each expression typeset ($...$, which
        Jupyter's MathJax renders), each rule in words, then the result and its check."""
        import html
        route = self.lines()[1].strip().strip("()")
        rows = []
        for step in self.steps:
            left = f"${step.source.latex()}$ &#8614;" if step.source is not None else \
                html.escape(step.label) + " ="
            rows.append(f"<tr><td>{left}</td><td>${step.expr.latex()}$</td>"
                        f"<td><small>{html.escape(step.rule)}</small></td></tr>")
        rows += [f"<tr><td></td><td>${result.latex()}$</td><td><small>{form}</small></td></tr>"
                 for result, form in self._results()]
        notes = "".join(f"<p>{html.escape(str(note))}</p>"
                        for note in (self.agreement, self.verification) if note)
        return (f"<p>d/d{html.escape(self.wrt)} of <code>{html.escape(str(self.expr))}</code>"
                f" ({html.escape(route)})</p><table>{''.join(rows)}</table>{notes}")


class Step:
    """A step for users: rule, label and the expression as an Expr."""

    __slots__ = ("rule", "label", "expr", "source")

    def __init__(self, rule, label, expr, source=None):
        self.rule, self.label, self.expr, self.source = rule, label, expr, source

    def __iter__(self):
        return iter((self.rule, self.expr))

    def __repr__(self):
        return f"Step({self.rule!r}, {self.label!r}, {str(self.expr)!r})"


class Solution(Expr):
    """The stationary point, an Expr for w. .coefficient: K in g = K*vec(w) - vec(b) (A for
    g = A*w - b; kron(R', L) for L*w*R = b; None for an equation in inv(w)); .kind:
    'minimum' or 'maximum' where proven from the Hessian's form for every value, 'saddle
    point' where proven indefinite, else 'depends on the values'; .why: the proof or the
    condition (matcalc/definiteness.py); .verification: how the solution compared with
    numpy.linalg (for an equation in inv(w), how close the gradient comes to zero there) on
    random instances."""

    __slots__ = ("coefficient", "kind", "why", "verification")

    def __init__(self, node, declarations, coefficient, verdict, verification):
        super().__init__(node, declarations)
        self.coefficient, self.verification = coefficient, verification
        self.kind, self.why = verdict

    @property
    def verdict(self):
        """'minimum: the Hessian 2*X'*X is ...' (the kind and its proof or condition)."""
        return f"{self.kind}: {self.why}"

    def __repr__(self):
        return f"Solution({str(self)!r}, kind={self.kind!r})"


class Check:
    """Does lhs == rhs hold? .holds, .why, .counterexample (values, lhs value, rhs value)."""

    def __init__(self, holds, why, counterexample=None, lhs=None, rhs=None):
        self.holds, self.why, self.counterexample = holds, why, counterexample
        self.lhs, self.rhs = lhs, rhs

    def __bool__(self):
        return bool(self.holds)

    def __str__(self):
        head = "undecided" if self.holds is None else "holds" if self.holds else "does NOT hold"
        text = f"{self.lhs} == {self.rhs}: {head}; {self.why}"
        if self.counterexample is not None:
            values, left, right = self.counterexample
            text += "\n  counterexample: " + format_values(values)
            text += f"\n  left side:  {format_value(left)}\n  right side: {format_value(right)}"
        return text

    def __repr__(self):
        return f"Check(holds={self.holds}, why={self.why!r})"


def format_value(value):
    """A value on one line, rounded: 0.5, [1.2, -0.3], [[1.2, -0.3], [0.4, 2.1]]."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.4g}"
    return np.array2string(np.round(value, 3), separator=", ", suppress_small=True,
                           max_line_width=10**6,
                           formatter={"float_kind": lambda x: f"{x:.4g}"}).replace("\n", "")


def format_values(values):
    return "; ".join(f"{name} = {format_value(value)}" for name, value in values.items())


class DerivationCheck:
    """Each step of a derivation checked against the one before."""

    def __init__(self, steps, results):
        self.steps, self.results = steps, results

    @property
    def holds(self):
        return all(r.holds for r in self.results)

    @property
    def first_wrong(self):
        """1-based index of the first wrong step, or None."""
        return next((i + 2 for i, r in enumerate(self.results) if not r.holds), None)

    def __repr__(self):
        verdict = "every step holds" if self.holds else f"step {self.first_wrong} is wrong"
        return f"DerivationCheck({len(self.steps)} steps, {verdict})"

    def __str__(self):
        lines = [f"  1. {self.steps[0]}"]
        for i, (step, result) in enumerate(zip(self.steps[1:], self.results)):
            mark = "ok" if result.holds else "WRONG"
            lines.append(f"  {i + 2}. {step}    [{mark}: {result.why}]")
            if not result.holds and result.counterexample is not None:
                values, left, right = result.counterexample
                lines.append("       counterexample: " + format_values(values))
                lines.append(f"       step {i + 1} gives {format_value(left)}; "
                             f"step {i + 2} gives {format_value(right)}")
        verdict = "every step holds" if self.holds else f"step {self.first_wrong} is wrong"
        return "\n".join(lines + [verdict])
