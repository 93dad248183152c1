"""The JSON answers that `matcalc ... --json` prints and the web page's API gives.

One builder per command, so that the command line and `POST /api/...` give the same object.
Every value is plain JSON: a NaN or an infinity (a verification with no valid instance)
becomes null, a dimension its text ("n", "m*n"), an integer stays an integer.
"""

import math

from . import api
from .shapes import parse_shape_text

SCHEMA = 1


def declarations(shapes=None, symmetric=None):
    """({"X": "n x d", "A": "symmetric n x n"}, ["B"]) -> the API's shapes= and symmetric=.

    A shape may also be a list (["n", "d"]); the word "symmetric" before its dimensions
    declares the name symmetric, as in the REPL's `let`."""
    if shapes is not None and not isinstance(shapes, dict):
        raise api.MatcalcError("shapes must map names to shapes, e.g. {\"X\": \"n x d\"}")
    if symmetric is not None and not isinstance(symmetric, (list, tuple, set, frozenset)):
        raise api.MatcalcError("symmetric must be a list of names")
    result, names = {}, set(symmetric or ())
    for name, shape in (shapes or {}).items():
        if isinstance(shape, str):
            shape, is_symmetric = parse_shape_text(name, shape)
            if is_symmetric:
                names.add(name)
        result[name] = shape
    return result, names


def shape_json(shape):
    return [d if isinstance(d, int) else str(d) for d in shape]


def shapes_json(expr):
    """Every name's shape, as read (declared, defaulted or inferred)."""
    return {name: shape_json(shape) for name, shape in expr.symbols().items()}


def _number(value):
    return value if value is None or math.isfinite(value) else None


def verification_json(report):
    if report is None:
        return None
    return {"passed": report.passed, "draws": report.draws,
            "worst_relative_error": _number(report.worst_error),
            "tolerance": report.tolerance, "message": report.message or ""}


def diff_answer(expr, wrt, layout="denominator", direction=None, steps=False,
                  method="chain"):
    """(the `matcalc diff --json` object, the verification report)."""
    along = {"direction": direction} if direction else {}
    factored = api.diff(expr, wrt, layout=layout, **along)
    expanded = api.diff(expr, wrt, form="expanded", layout=layout, **along)
    report = api.verify(expr, wrt, **along)
    document = {
        "schema": SCHEMA,
        "input": str(expr), "wrt": wrt, "layout": layout,
        "shape": shape_json(factored.shape), "shapes": shapes_json(expr),
        "result": {"factored": str(factored), "expanded": str(expanded)},
        "latex": {"factored": factored.latex(), "expanded": expanded.latex()},
        "verification": verification_json(report),
    }
    if steps:
        derivation = api.derive(expr, wrt, method=method)
        document["steps"] = [_step_json(s) for s in derivation.steps]
    return document, report


def _step_json(step):
    found = {"rule": step.rule, "label": step.label, "expr": str(step.expr),
             "latex": step.expr.latex()}
    if step.source is not None:
        found["source_latex"] = step.source.latex()
    return found


def differential_answer(expr, wrt, form="expanded"):
    d = api.differential(expr, wrt, form=form)
    return {"schema": SCHEMA, "input": str(expr), "wrt": wrt, "differential": str(d),
            "latex": d.latex(), "shape": shape_json(d.shape)}


def solve_answer(expr, wrt):
    solution = api.stationary_point(expr, wrt)
    return {"schema": SCHEMA, "input": str(expr), "wrt": wrt, "shapes": shapes_json(expr),
            "solution": str(solution),
            "latex": solution.latex(), "kind": solution.kind, "why": solution.why,
            "verification": {"passed": solution.verification.passed,
                             "draws": solution.verification.draws}}


def check_answer(lhs, rhs, shapes=None, symmetric=None):
    result = api.check(lhs, rhs, shapes, symmetric)
    document = {"schema": SCHEMA, "lhs": str(result.lhs), "rhs": str(result.rhs),
                "holds": result.holds, "why": result.why, "text": str(result),
                "latex": {"lhs": result.lhs.latex(), "rhs": result.rhs.latex()}}
    if result.counterexample is not None:
        values, left, right = result.counterexample
        document["counterexample"] = {
            "values": {name: _array_json(value) for name, value in values.items()},
            "lhs": _array_json(left), "rhs": _array_json(right)}
    return document


def _array_json(value):
    import numpy as np
    array = np.asarray(value, dtype=float)
    return [[_number(float(x)) for x in row] for row in array] if array.ndim == 2 else \
        [_number(float(x)) for x in array] if array.ndim == 1 else _number(float(array))
