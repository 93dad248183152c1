"""Fuzz family 1, routes: every derivative route of random expressions (tests/fuzzing.py:
scalar broadcasts, sized constants, kron/vec/unvec/commutation, where, diff terms) against
central differences that this file computes from Expr.evaluate, not with matcalc.verify.

For an expression F and two of its variables v and u (drawn; often the same), at random
values:
- the matrix form diff(F, v) (SPEC 2 and 2b: a gradient in v's shape, a by-scalar
  derivative in F's shape, a vector by a scalar as a row, else size(v) x size(F)), column
  by column;
- diff(F, v, direction="V") and matcalc.differential(F, v) with dv := V, along a random V;
- the second derivative diff(diff(F, v), u) (the Hessian when u is v, a mixed one
  otherwise; past two indices when F is not a scalar) applied to a random direction S of u,
  and diff(diff(F, v), u, direction="S"), against second differences of F.

A difference quotient is taken at steps h and 2h and extrapolated (Richardson); the gap
between the two (and a quarter of the gap between 2h and 4h) bounds its truncation error,
and rounding is bounded by KAPPA*eps*|F|/h^k; a derivative above ten times |F|/h^k is
beyond what the step resolves (F turns many times within it) and is not judged.
A route agrees when its error is within those bounds (plus 1e-7 of the derivative's size),
is wrong when it exceeds 1e-5 of the size and ten times the bounds, and is undecided
otherwise or where the quotients are too noisy to tell (a kink within 2h, an overflow).
At least MIN_DECIDED of all comparisons must decide.
"""

import os
import warnings
from collections import Counter
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import matcalc
from fuzzing import DECLS, VARIABLES, Case, cases, draw_values, known_refusals
from strategies import examples

# an example takes ~0.1 s (dozens of evaluations per route): fewer than the other families
EXAMPLES = int(os.environ.get("MATCALC_FUZZ_EXAMPLES", "150"))
STEP = 1e-3
KAPPA = 1e3                  # how much an evaluation may amplify rounding (inverses, sums)
EPS = np.finfo(float).eps
MIN_DECIDED = 0.9
OUTCOMES = Counter()
ZEROS = Counter()                 # comparisons of a zero derivative, by route


@pytest.fixture(scope="module", autouse=True)
def mostly_decided():
    yield
    total = sum(OUTCOMES.values())
    if total:
        share = (OUTCOMES[True] + OUTCOMES[False]) / total
        print(f"\nroutes: {total} comparisons, {OUTCOMES[True]} agree, "
              f"{OUTCOMES[None]} undecided; zero derivatives {dict(ZEROS)}")
        assert share >= MIN_DECIDED, f"only {share:.0%} of {total} comparisons decided"


# ----------------------------------------------------------------- the oracle

class Quotient(NamedTuple):
    """A difference quotient (vec of F's derivative), extrapolated, with the bound on its
    truncation error (spread) and on its rounding error (noise)."""
    value: np.ndarray
    spread: float
    noise: float
    # the largest derivative the quotient resolves: F's values over the step (a function
    # whose derivative is far above that turns many times within h, sin(exp(exp(2*u))))
    reach: float = np.inf


def _flat(value):
    return np.reshape(np.asarray(value, dtype=float), -1, order="F")


def _moved(values, moves):
    moved = dict(values)
    for name, direction, step in moves:
        moved[name] = moved[name] + step * direction
    return moved


def _quotient(F, values, order, moves_at):
    """Richardson over h and 2h of a central quotient: moves_at(h) lists (sign, moves)."""
    def at(h):
        points = [(sign, _flat(F(_moved(values, moves)))) for sign, moves in moves_at(h)]
        top = max(np.max(np.abs(p), initial=0.0) for _, p in points)
        return sum(sign * p for sign, p in points) / ((2 * h) ** order), top
    fine, top_fine = at(STEP)
    coarse, top_coarse = at(2 * STEP)
    # a third step: where F oscillates within the step (sin of exp(exp(2*u))), h and 2h
    # can agree by chance; 4h then does not, and the spread says so
    coarser, top_coarser = at(4 * STEP)
    spread = max(np.max(np.abs(fine - coarse), initial=0.0),
                 np.max(np.abs(coarse - coarser), initial=0.0) / 4)
    top = max(top_fine, top_coarse, top_coarser)
    return Quotient((4 * fine - coarse) / 3, spread, KAPPA * EPS * top / STEP ** order,
                    10 * top / STEP ** order)


def along(F, values, name, direction):
    """d vec(F) along `direction` of the variable `name`."""
    return _quotient(F, values, 1, lambda h: [(1, [(name, direction, h)]),
                                              (-1, [(name, direction, -h)])])


def along_both(F, values, first, second):
    """d^2 vec(F) along first = (name, direction) and second = (name, direction)."""
    (n1, d1), (n2, d2) = first, second
    return _quotient(F, values, 2, lambda h: [
        (sign1 * sign2, [(n1, d1, sign1 * h), (n2, d2, sign2 * h)])
        for sign1 in (1, -1) for sign2 in (1, -1)])


def units(value):
    """The unit directions of a variable's value, in column-major (vec) order."""
    shape = np.shape(value)
    for k in range(int(np.prod(shape))):
        unit = np.zeros(int(np.prod(shape)))
        unit[k] = 1.0
        yield unit.reshape(shape, order="F") if shape else 1.0


def stacked(quotients):
    """The rows of a Jacobian (one quotient per unit direction of the variable)."""
    return Quotient(np.array([q.value for q in quotients]),
                    max(q.spread for q in quotients), max(q.noise for q in quotients),
                    min(q.reach for q in quotients))


def matrix_form_shape(w, f):
    """The shape of the derivative of F (shape f) by W (shape w), SPEC 2 and 2b."""
    if f == ():
        return w
    if w == ():
        return f if len(f) == 2 else (1, f[0])
    return (int(np.prod(w)), int(np.prod(f)))


def as_jacobian(value, w, f):
    """The matrix form as size(W) x size(F), entry (k, i) = d vec(F)_i / d vec(W)_k: every
    layout of SPEC 2b is a column-major reshape of it."""
    return np.reshape(np.asarray(value, dtype=float), (int(np.prod(w)), int(np.prod(f))),
                      order="F")


def verdict(analytic, numeric):
    """True (agrees), False (wrong) or None (undecided), and the numbers."""
    analytic = np.asarray(analytic, dtype=float)
    if not (np.all(np.isfinite(analytic)) and np.all(np.isfinite(numeric.value))
            and np.isfinite(numeric.spread) and np.isfinite(numeric.noise)):
        return None, "not finite"
    if np.max(np.abs(analytic), initial=0.0) > numeric.reach:
        return None, "beyond what differences at this step resolve"
    error = np.max(np.abs(analytic - numeric.value), initial=0.0)
    size = max(np.max(np.abs(analytic), initial=0.0), np.max(np.abs(numeric.value), initial=0.0))
    bound = numeric.spread + numeric.noise
    numbers = f"error {error:.3g}, size {size:.3g}, spread {numeric.spread:.3g}, " \
              f"noise {numeric.noise:.3g}"
    if error <= 1e-7 * size + bound:
        return True, numbers
    if bound > 1e-3 * size:
        return None, numbers
    return (False if error > 1e-5 * size + 10 * bound else None), numbers


# ----------------------------------------------------------------- the family

def _quiet(evaluate):
    def run(values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return evaluate(values)
    return run


def _decide(route, analytic, numeric, context):
    outcome, numbers = verdict(analytic, numeric)
    OUTCOMES[outcome] += 1
    ZEROS[route] += not np.any(analytic)
    assert outcome is not False, f"{route}: {context}: {numbers}\n  analytic {analytic}\n" \
                                 f"  numeric  {numeric.value}"


def _random_like(value, rng):
    return rng.normal(size=np.shape(value)) if np.shape(value) else float(rng.normal())


def _routes(case, seed, first, second):
    e = matcalc.parse(case.text, DECLS)
    names = [v for v in VARIABLES if v in e.symbols()] or list(VARIABLES)
    v, u = names[first % len(names)], names[second % len(names)]
    rng = np.random.default_rng(seed)
    values = draw_values(rng)
    F = _quiet(e.evaluate)
    value = F(values)
    if not np.all(np.isfinite(value)):
        OUTCOMES[None] += 1
        return
    f, wv, wu = np.shape(value), np.shape(values[v]), np.shape(values[u])
    context = f"{case.text} by {v}"

    g = matcalc.diff(e, v)
    g_value = _quiet(g.evaluate)(values)
    assert np.shape(g_value) == matrix_form_shape(wv, f), (context, str(g), np.shape(g_value))
    numeric = stacked([along(F, values, v, unit) for unit in units(values[v])])
    _decide("matrix form", as_jacobian(g_value, wv, f), numeric, f"{context}: {g}")

    V = _random_like(values[v], rng)
    numeric = along(F, values, v, V)
    directional = matcalc.diff(e, v, direction="V")
    found = _quiet(directional.evaluate)(dict(values, V=V))
    assert np.shape(found) == f, (context, str(directional))
    _decide("direction", _flat(found), numeric, f"{context} along V: {directional}")
    differential = matcalc.differential(e, v)
    found = _quiet(differential.evaluate)(dict(values, **{"d" + v: V}))
    assert np.shape(found) == f, (context, str(differential))
    _decide("differential", _flat(found), numeric, f"{context}: d = {differential}")

    # the second derivative along S (of u): row k of the numeric Jacobian of g along S
    S = _random_like(values[u], rng)
    numeric = stacked([along_both(F, values, (v, unit), (u, S)) for unit in units(values[v])])
    g_along = Quotient(_flat(np.reshape(numeric.value, matrix_form_shape(wv, f), order="F")),
                       numeric.spread, numeric.noise, numeric.reach)
    context = f"{case.text} by {v}, then by {u}"
    H = matcalc.diff(g, u)
    H_value = _quiet(H.evaluate)(values)
    g_shape = np.shape(g_value)
    assert np.shape(H_value) == matrix_form_shape(wu, g_shape), (context, str(H))
    _decide("second derivative", _flat(S) @ as_jacobian(H_value, wu, g_shape), g_along,
            f"{context}: {H}")
    product = matcalc.diff(g, u, direction="S")
    found = _quiet(product.evaluate)(dict(values, S=S))
    assert np.shape(found) == g_shape, (context, str(product))
    _decide("second derivative along S", _flat(found), g_along, f"{context} along S: {product}")


@pytest.mark.slow
@settings(max_examples=examples(EXAMPLES))
@given(cases(), st.integers(0, 2**32 - 1), st.integers(0, 99), st.integers(0, 99))
# the broadcasts issue 21 found dropped (item 1): X + a, B*(A + a), (w' - a)*C, x'*(x + a)
# by a, and x'*(A + x'*y)*x by x
@example(Case.of("X + a"), 0, 9, 9)
@example(Case.of("B*(A + a)"), 0, 3, 3)
@example(Case.of("(w' - a)*C"), 0, 1, 2)
@example(Case.of("x'*(x + a)"), 0, 1, 0)
@example(Case.of("x'*(A + x'*z)*x"), 0, 1, 1)
def test_every_route_agrees_with_differences(case, seed, first, second):
    with known_refusals(case.text):
        _routes(case, seed, first, second)
