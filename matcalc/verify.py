"""Numeric verification: random instances and central differences.

An instance must be a valid point of every expression involved: finite, every matrix under
inv/det/logdet/a negative power well conditioned (of positive determinant under logdet), no
argument within reach of a function's kink (the records' `kinks`). What needs which draw is
read from the expressions, not asked of the user. An invalid instance is redrawn with
rotated sizes (X'*X with X n x d needs n >= d) and shrinking values (exp must not
overflow); when none is valid the outcome is inconclusive (`passed` is None), never a
failure. A derivative is checked along random directions D against
(f(w + eps*D) - f(w - eps*D)) / (2*eps), the step chosen per instance.
"""

import contextlib
import warnings
from typing import NamedTuple

import numpy as np

from . import ast, dims, registry
from .ast import free_symbols as symbol_table, inline_where
from .errors import MatcalcError
from .evaluate import evaluate, evaluate_nodes
from .shapes import shape_of

RELATIVE_TOLERANCE = 1e-5      # central differences in float64 reach about 1e-8 here
STEP = 1e-6                    # relative to the size of the point
STEPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)     # the sweep when two steps disagree:
# from 1e-2, where a large value (norm2(X*w - y)^2 + 1e9) drowns the small steps in rounding
NOISE_LIMIT = 1e-3             # an instance whose differences are noisier is not used
CONDITION_LIMIT = 1e7          # matrices under inv, det, logdet: worse is not a valid point
KINK_MARGIN = 1e-4             # arguments nearer a function's kink are not used
EPSILON = np.finfo(float).eps
DRAWS = 5
TINY = 1e-6                   # values below it are compared absolutely
ROUNDING = 1e3                # how much evaluation may amplify rounding (check's noise)
PIECEWISE_DRAWS = 40      # compare's draws where a side has a kink (sign, relu, abs)
DIRECTIONS = 2
ATTEMPTS = 48                  # instances tried before the outcome is inconclusive
SIZES = (3, 4, 2, 5, 6, 7, 8, 9)


class Verification(NamedTuple):
    """passed: True, False, or None when no valid random instance was found (undecided)."""

    passed: object
    draws: int
    worst_error: float
    tolerance: float
    message: str

    @property
    def inconclusive(self):
        return self.passed is None

    def __str__(self):
        if self.passed is None:
            return f"numeric check inconclusive: {self.message}"
        verdict = "passed" if self.passed else "FAILED"
        return (f"numeric check {verdict}: {self.draws} random instances, worst rel. "
                f"error {self.worst_error:.0e} (tol. {self.tolerance:.0e})"
                + (f"\n  {self.message}" if self.message else ""))


def requirements(*roots):
    """Names whose draws must be invertible / positive, read from the expressions."""
    invertible, positive = set(), set()
    for root in roots:
        for node in ast.postorder(root):
            if isinstance(node, (ast.Inverse, ast.Det, ast.LogDet)) or (
                    isinstance(node, ast.Power) and len(shape_of(node.base)) == 2):
                invertible.update(symbol_table(node.children[0]))
            record = registry.of(node)
            if record is not None and record.domain != "real":
                positive.update(_factors(node.children[0]))   # "unit": met as redraws shrink
            if isinstance(node, (ast.ElemPower, ast.Power)) and (
                    _negative(node.exponent) or not _integer_constant(node.exponent)):
                positive.update(_factors(node.base))
            if isinstance(node, (ast.Div, ast.ElemDiv)):
                positive.update(_factors(node.right))
    return invertible, positive


def _factors(node):
    """The names of an argument that is a product of them (log(X*w), 1/(a*b)): positive draws
    keep it in its domain. A sum (log(2 + sin(w)), 1/(1 + x'*x)) asks nothing: its names
    are drawn of either sign, and an instance outside the domain is skipped."""
    if any(isinstance(n, (ast.Add, ast.Elementwise)) for n in ast.postorder(node)):
        return set()
    return set(symbol_table(node))


def _integer_constant(node):
    value = ast.literal(node)
    return value is not None and value.denominator == 1


def _negative(node):
    value = ast.literal(node)
    return isinstance(node, ast.Neg) or value is not None and value < 0


def draw(symbols, rng, invertible=(), positive=(), sizes=None, scale=1.0, signs=None):
    """Random values for the symbols: a distinct small size per symbolic dimension (a
    transposition error cannot hide behind a square shape); never symmetric unless declared
    so (inv(X) and inv(X)' would agree); c*I + E, E small and not symmetric, where a matrix
    must be invertible; positive entries under log, sqrt, fractional powers and as divisors.
    `scale` shrinks the draws that are not invertible by construction; `signs` (an integer)
    sets the signs of the scalars, bit i for the i-th, else they are random."""
    sizes = {} if sizes is None else sizes
    values, scalars = {}, 0
    for name, symbol in symbols.items():
        shape = tuple(_draw_size(dim, sizes) for dim in symbol.declared_shape)
        square = len(shape) == 2 and shape[0] == shape[1]
        if name in positive and name in invertible and square:
            # positive entries and a dominant diagonal: invertible, positive determinant
            value = rng.uniform(0.1, 0.3, size=shape) + 2.0 * np.eye(shape[0])
        elif name in positive:
            value = rng.uniform(0.5, 1.5, size=shape) * max(scale, 0.2)
        elif name in invertible and square:
            value = 2.0 * np.eye(shape[0]) + 0.4 * rng.normal(size=shape) / np.sqrt(shape[0])
        elif shape == ():
            sign = rng.choice((-1.0, 1.0)) if signs is None else \
                (-1.0 if signs >> scalars & 1 else 1.0)
            value = rng.uniform(0.5, 1.5) * sign * scale
            scalars += 1
        else:
            value = rng.normal(size=shape) * scale
        if symbol.symmetric and len(shape) == 2:
            value = (value + value.T) / 2
        values[name] = float(value) if shape == () else value
    return values, sizes


def _draw_size(dim, sizes):
    """The size of a dimension, drawing a distinct small size for each new name in it."""
    for name in sorted(dims.names(dim)):
        if name not in sizes:
            sizes[dims.Dim(name)] = SIZES[len(sizes) % len(SIZES)]
    return dims.size(dim, sizes)


def size_constants(sizes, *roots):
    """Give a size to the dimensions only an I, a vector(c)/matrix(c), a commutation or an
    unvec carries."""
    for dim in _carried(roots):
        _draw_size(dim, sizes)
    return sizes


def _carried(roots):
    """The dimensions the constants of the roots carry, in order."""
    for root in roots:
        for node in ast.postorder(root):
            carried = (node.n,) if isinstance(node, ast.Identity) else \
                node.shape if isinstance(node, (ast.Fill, ast.Unvec)) else \
                node.args if isinstance(node, ast.Commutation) else ()
            yield from (dim for dim in carried if dim is not None and not isinstance(dim, int))


def instances(roots, rng, symbols=None, attempts=ATTEMPTS):
    """Random instances (values, sizes) for the roots' free symbols. Each attempt rotates
    which small size each dimension gets, and every fourth attempt the values shrink, so
    that a caller skipping invalid points soon meets valid ones; the scalars' signs count
    through every combination, so that both sides of a kink (relu(a) at 0) are drawn.
    Every other attempt draws names under a log, root or divisor with either sign (the
    argument may be positive anyway: log(1 + x'*x)); where a function has a kink, the
    values also spread by 4 and by 1/4 in turn, to reach a kink away from 0 (relu(a - 2))."""
    symbols = symbol_table(*roots) if symbols is None else symbols
    invertible, positive = requirements(*roots)
    spreads = (1.0, 4.0, 0.25) if _piecewise(*roots) else (1.0,)
    # in order of appearance, the constants' own too (commutation(m, p)^3 == ^4 for some
    # sizes only: each attempt rotates them as well)
    names = list(dict.fromkeys([n for symbol in symbols.values() for dim in symbol.declared_shape
                                for n in sorted(dims.names(dim))] +
                               [n for dim in _carried(roots) for n in sorted(dims.names(dim))]))
    for attempt in range(attempts):
        k = attempt % len(SIZES)
        order = SIZES[k:] + SIZES[:k]
        sizes = {dims.Dim(n): order[i % len(order)] for i, n in enumerate(names)}
        spread = spreads[attempt % len(spreads)]
        scale = spread if spread > 1 else max(0.5 ** (attempt // 4), 0.01) * spread
        values, sizes = draw(symbols, rng, invertible, positive if attempt % 2 == 0 else (),
                             sizes, scale, signs=attempt)
        yield values, size_constants(sizes, *roots)


def _check_point(roots, values, sizes, every=False, arguments=None):
    """(None if every root is defined, finite and smooth here, else the reason; the largest
    magnitude among the first root's values (or every root's), times machine epsilon the
    rounding error of evaluating it: 1 + u^2 loses u^2 below 1e-16 however small the result
    is). `arguments`, a list, receives the largest argument of an elementwise function: its
    value carries a relative error of about eps times it (sin(4e7))."""
    largest = 0.0
    for i, root in enumerate(roots):
        try:
            values_of = evaluate_nodes(inline_where(root), values, sizes)
        except MatcalcError as error:
            return error.message, largest
        for node, value in values_of.items():
            reason = _invalid(node, value, values_of)
            if reason:
                return reason, largest
            if i == 0 or every:
                largest = max(largest, float(np.max(np.abs(value), initial=0.0)))
            if arguments is not None and isinstance(node, ast.Elementwise):
                arguments.append(float(np.max(np.abs(values_of[node.arg]), initial=0.0)))
    return None, largest


def _invalid(node, value, values_of):
    if not np.all(np.isfinite(value)):
        return "a value is not finite"
    if isinstance(node, (ast.Inverse, ast.Det, ast.LogDet)) or (
            isinstance(node, ast.Power) and np.ndim(value) == 2 and _negative(node.exponent)):
        arg = values_of[node.children[0]]
        if np.ndim(arg) == 2 and np.linalg.cond(arg) > CONDITION_LIMIT:
            return "a matrix under inv, det or logdet is (nearly) singular"
    if isinstance(node, ast.LogDet) and np.ndim(values_of[node.arg]) == 2 and \
            np.linalg.det(values_of[node.arg]) <= 0:
        return "logdet of a matrix whose determinant is not positive"
    record = registry.of(node)
    for kink in record.kinks if record is not None else ():
        arg = np.abs(values_of[node.children[0]] - kink)
        if np.min(arg) < KINK_MARGIN * max(1.0, float(np.max(arg))):
            return f"an argument of {record.name} is next to its kink at {kink}"
    return None


@contextlib.contextmanager
def _quiet():
    """Invalid points are skipped, not warned about."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _both(left, right, values, sizes):
    """(left's value, right's value, the rounding either may carry relative to the larger:
    the largest intermediate value of either times ROUNDING*eps) at a valid point, else
    None (inv(4*D*w'*w*D' + I) with large D drifts past 1e-8 between two equal forms)."""
    arguments = [0.0]
    with _quiet():
        reason, largest = _check_point((left, right), values, sizes, every=True,
                                       arguments=arguments)
        if reason is not None:
            return None
        try:
            a, b = evaluate(left, values, sizes), evaluate(right, values, sizes)
        except MatcalcError:
            return None
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), TINY)
    return a, b, ROUNDING * EPSILON * max(largest / scale, max(arguments))


def _dim_names(symbols):
    return sorted({n for s in symbols for d in s.declared_shape for n in dims.names(d)})


def relative_error(a, b):
    """max |a - b| over the larger of max |a|, max |b| (at least TINY)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), TINY)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)


def check_derivative(function, wrt_name, derivative, seed=0, draws=DRAWS,
                     tolerance=RELATIVE_TOLERANCE, along=None, also=()):
    """Central differences of `function` along random directions against `derivative`.
    With `along` (the name of a direction variable), `derivative` is the derivative along
    it, and the direction is that variable's drawn value. `also`: symbols to draw even
    where neither expression uses them (the variable of a constant function)."""
    rng = np.random.default_rng(seed)
    symbols = symbol_table(function, derivative)
    for symbol in also:
        symbols.setdefault(symbol.name, symbol)
    if wrt_name not in symbols:
        raise MatcalcError(f"'{wrt_name}' does not occur in the expression or its derivative")
    wrt = symbols[wrt_name]
    if _piecewise(function, derivative):     # sign(tr(B)) for sign(tr(A)): right half the time
        draws = max(draws, PIECEWISE_DRAWS // 4)
    worst, done, reasons = 0.0, 0, {}
    with _quiet():
        for values, sizes in instances((function, derivative), rng, symbols):
            if done >= draws:
                break
            reason, largest = _check_point((function, derivative), values, sizes)
            if reason is None:
                reason, errors = _errors_at(function, derivative, wrt, values, sizes, rng,
                                            along, tolerance, largest)
            if reason is not None:
                reasons[reason] = reasons.get(reason, 0) + 1
                continue
            worst = max(worst, *errors)
            done += 1
    skipped = sum(reasons.values())
    if done == 0:
        return Verification(None, 0, float("nan"), tolerance, "could not find valid points "
                            f"in {skipped} random instances (" + "; ".join(reasons) + ")")
    note = f"{skipped} instances skipped ({'; '.join(reasons)})" if skipped else ""
    return Verification(worst <= tolerance, done, worst, tolerance, note)


def _errors_at(function, derivative, wrt, values, sizes, rng, along, tolerance, largest):
    """(None, relative errors along each direction), or (reason, None) when the point
    cannot decide: the differences there are noisier than NOISE_LIMIT."""
    try:
        value = np.asarray(evaluate(derivative, values, sizes), dtype=float)
    except MatcalcError as error:
        return error.message, None
    point = np.asarray(values[wrt.name], dtype=float)

    def f(at):
        return np.asarray(evaluate(function, dict(values, **{wrt.name: at}), sizes), float)
    errors = []
    for _ in range(DIRECTIONS if along is None else 1):
        direction = rng.normal(size=point.shape) if along is None else \
            np.asarray(values[along], dtype=float).reshape(point.shape)
        if wrt.symmetric:
            direction = (direction + direction.T) / 2

        def difference(step):
            """(the central difference, the rounding error it carries, absolute)."""
            h = step * max(1.0, float(np.max(np.abs(point), initial=0.0)))
            plus, minus = f(point + h * direction), f(point - h * direction)
            rounding = EPSILON * max(np.max(np.abs(plus)), np.max(np.abs(minus)), largest) / h
            return (plus - minus) / (2 * h), rounding
        try:
            numeric, noise = _best_difference(difference, tolerance)
        except MatcalcError as error:
            return error.message, None
        analytic = _directional(value, direction, numeric) if along is None \
            else value.reshape(np.shape(numeric))
        if not (np.all(np.isfinite(numeric)) and np.all(np.isfinite(analytic))):
            return "a value is not finite", None
        if noise > NOISE_LIMIT:
            return "the function is too badly conditioned there for differences", None
        if _tiny(numeric, analytic) and np.any(analytic):
            # a derivative below 1e-6 (exp(A) large under an inverse) is compared
            # absolutely: a 0.1% error of it would pass unseen
            return "the derivative is too small there to compare", None
        error = relative_error(numeric, analytic)
        # an error within ten times the noise is not held against the derivative, nor
        # counted for it: the instance cannot decide (a^81: a 0.1% error passed as noise)
        if tolerance < error <= 10 * noise:
            return "the differences there cannot resolve the tolerance", None
        errors.append(error)
    return None, errors


def _best_difference(difference, tolerance):
    """(estimate, its relative noise): two steps when they agree, else the best-agreeing
    neighbours of a sweep of steps. The noise is at least the rounding error of the
    differences (f's own size over the step): a derivative far smaller than the function
    (tanh saturated) cannot be resolved, however well two steps agree."""
    def noise_of(a, b):
        (va, ra), (vb, rb) = a, b
        scale = max(np.max(np.abs(vb), initial=0.0), 1e-6)
        return max(relative_error(va, vb), 10 * max(ra, rb) / scale)
    first, second = difference(STEP * 10), difference(STEP)
    noise = noise_of(first, second)
    if noise <= tolerance / 10:
        return second[0], noise
    estimates = [difference(step) for step in STEPS]
    pairs = [(noise_of(a, b), b[0]) for a, b in zip(estimates, estimates[1:])
             if np.all(np.isfinite(a[0])) and np.all(np.isfinite(b[0]))]
    if not pairs:
        return second[0], float("inf")
    noise, best = min(pairs, key=lambda pair: pair[0])
    return best, noise


def _directional(derivative, direction, numeric):
    """The derivative applied to a direction, in the function's shape (SPEC 2b layout):
    <G, D> for a scalar function; G * d by a scalar (G has F's shape, or is a row);
    otherwise D' * vec(direction), D = d vec(F) / d vec(W) with column-major vec."""
    f_shape = np.shape(numeric)
    derivative = np.asarray(derivative, dtype=float)
    if f_shape == ():
        return float(np.sum(derivative.reshape(np.shape(direction)) * direction))
    if np.ndim(direction) == 0:
        return np.reshape(derivative * float(direction), f_shape)
    D = derivative.reshape(np.size(direction), -1)
    return np.reshape(D.T @ np.reshape(direction, -1, order="F"), f_shape, order="F")


class Comparison(NamedTuple):
    agree: bool
    draws: int
    worst: float
    counterexample: object


def compare(left, right, draws=DRAWS, seed=0, symmetric_names=(), tolerance=1e-8):
    """Evaluate both sides on random instances; the first disagreement is returned."""
    rng = np.random.default_rng(seed)
    if _piecewise(left, right):
        draws = max(draws, PIECEWISE_DRAWS)
    symbols = symbol_table(left, right)
    if symmetric_names:
        symbols = {n: (ast.Symbol(n, s.declared_shape, True) if n in symmetric_names else s)
                   for n, s in symbols.items()}
    worst, done = 0.0, 0
    for values, sizes in instances((left, right), rng, symbols):
        if done >= draws:
            break
        both = _both(left, right, values, sizes)
        if both is None or _tiny(*both[:2]) or both[2] > NOISE_LIMIT:
            continue                  # undefined, too small, or too noisy there to decide
        error = relative_error(*both[:2])
        done += 1
        worst = max(worst, error)
        if error > max(tolerance, both[2]):
            return Comparison(False, done, error, (values, *both[:2]))
    return Comparison(True if done else None, done, worst, None)      # None: no valid point


def _piecewise(*roots):
    """Does a function with a kink appear? Sides with one (sign(C + C^2), sign(C + C^3))
    can agree wherever a draw lands in a region and differ in another."""
    return any(getattr(registry.of(node), "kinks", ())
               for root in roots for node in ast.postorder(root))


def _tiny(a, b):
    """Are both sides below relative_error's floor but not equal? Such an instance cannot
    tell them apart (-48*M and -49*M agree to 1e-8 where M is 1e-12), so it does not count."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    largest = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return largest < TINY and not np.array_equal(a, b)


def small_counterexample(left, right, seed=0, tolerance=1e-8):
    """(values, left value, right value) at the smallest sizes where the two sides differ,
    with every drawn value rounded to one decimal (so that what is printed is exactly what
    was evaluated), or None."""
    rng = np.random.default_rng(seed)
    symbols = symbol_table(left, right)
    invertible, positive = requirements(left, right)
    names = _dim_names(symbols.values())
    plans = [dict.fromkeys(names, 2)] + [{n: (2, 3)[(i + k) % 2] for i, n in enumerate(names)}
                                         for k in range(2)]
    for plan in plans:
        for _ in range(4):
            sizes = {dims.Dim(n): size for n, size in plan.items()}
            values, sizes = draw(symbols, rng, invertible, positive, sizes)
            values = {n: np.round(v, 1) if np.ndim(v) else round(v, 1) for n, v in values.items()}
            size_constants(sizes, left, right)
            both = _both(left, right, values, sizes)
            if both is not None and relative_error(*both[:2]) > max(tolerance, both[2]):
                return (values, *both[:2])
    return None


def symmetric_explanation(left, right, seed=0):
    """'B is' / 'A and B are' when the claim holds once those square matrices are
    symmetric, else None."""
    symbols = symbol_table(left, right)
    square = [n for n, s in symbols.items() if len(s.declared_shape) == 2 and
              s.declared_shape[0] == s.declared_shape[1] and not s.symmetric]
    if not square:
        return None
    for name in square:
        if compare(left, right, seed=seed + 1, symmetric_names={name}).agree:
            return f"{name} is"
    if compare(left, right, seed=seed + 1, symmetric_names=set(square)).agree:
        return " and ".join(square) + " are"
    return None


def check_solution(gradient, wrt, solution, coefficient, draws=3, seed=0):
    """Classify the stationary point and check it on random instances; (kind, report).
    With a coefficient K (g = K*vec(w) - vec(b)): against numpy.linalg.lstsq(K, vec(b)),
    sizes redrawn until K is well conditioned (X'*X is singular for a wide X), the symmetric
    part of K classifying the point. Without (an equation in inv(w)): the gradient must
    vanish at the solution, the Hessian's quadratic form along random directions classifies."""
    rng = np.random.default_rng(seed)
    symbols = symbol_table(gradient, solution, *([] if coefficient is None else [coefficient]))
    symbols.pop(wrt.name, None)
    invertible, positive = requirements(gradient, solution)
    if coefficient is None:
        invertible.update(symbol_table(solution))          # the solution stands where inv(w) was
    kinds, worst, done = set(), 0.0, 0
    names = _dim_names([*symbols.values(), wrt])
    for attempt in range(draws * 8):
        if done >= draws:
            break
        order = list(SIZES[:6])
        rng.shuffle(order)
        sizes = {dims.Dim(n): order[i % len(order)] for i, n in enumerate(names)}
        values, sizes = draw(symbols, rng, invertible, positive, sizes)
        try:
            with _quiet():                           # a non-finite draw is skipped below
                found = np.asarray(evaluate(solution, values, sizes), dtype=float)
                if coefficient is None:
                    error, kind = _residual_and_kind(gradient, wrt, values, sizes, found, rng)
                else:
                    error, kind = _against_lstsq(gradient, wrt, coefficient, values, sizes, found)
        except MatcalcError:
            continue
        if error is None or not np.isfinite(error):
            continue
        worst = max(worst, error)
        kinds.add(kind)
        done += 1
    if done == 0:
        return "unknown", Verification(None, 0, float("nan"), 1e-8, "could not find valid "
                                       "points: no random instance had an invertible coefficient")
    kind = kinds.pop() if len(kinds) == 1 else "depends on the values"
    how = "each compared with numpy.linalg.lstsq" if coefficient is not None else \
        "the gradient vanishes there (relative to its size nearby)"
    return kind, Verification(worst <= 1e-8, done, worst, 1e-8, how)


def _kind(values):
    values = np.asarray(values, dtype=float)
    small = 1e-9 * max(np.max(np.abs(values)), 1e-300)
    above, below = values > small, values < -small
    if np.all(above) or np.all(below):
        return "minimum" if np.all(above) else "maximum"
    return "saddle point" if np.any(above) and np.any(below) else "degenerate"


def _against_lstsq(gradient, wrt, coefficient, values, sizes, found):
    K = np.atleast_2d(evaluate(coefficient, values, sizes))
    if not np.all(np.isfinite(K)) or np.linalg.cond(K) > 1e8:     # arccos(b) at b = 2: NaN
        return None, None
    b = -np.asarray(evaluate(gradient, dict(values, **{wrt.name: np.zeros_like(found)}),
                             sizes), dtype=float)
    reference = np.linalg.lstsq(K, np.reshape(b, -1, order="F"), rcond=None)[0]
    reference = np.reshape(reference, np.shape(found), order="F")
    return relative_error(found, reference), _kind(np.linalg.eigvalsh((K + K.T) / 2))


def _residual_and_kind(gradient, wrt, values, sizes, found, rng, directions=8):
    def g(point):
        return np.asarray(evaluate(gradient, dict(values, **{wrt.name: point}), sizes),
                          dtype=float)
    def direction():
        D = rng.normal(size=np.shape(found))
        return (D + D.T) / 2 if wrt.symmetric else D
    residual = g(found)
    nearby = g(found + 0.1 * np.max(np.abs(found)) * direction())
    error = float(np.max(np.abs(residual)) / max(np.max(np.abs(nearby)), 1e-300))
    curvatures = []
    for _ in range(directions):
        D = direction()
        h = STEP * max(1.0, float(np.max(np.abs(found))))
        curvatures.append(float(np.sum(D * (g(found + h * D) - g(found - h * D))) / (2 * h)))
    return error, _kind(curvatures)
