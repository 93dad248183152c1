"""The kind of a stationary point, proven from the Hessian's form, never from random draws.

A stationary point of a function whose Hessian H is positive semidefinite for every value of
the other names is a minimum (the function is convex: every stationary point is a global
minimum); a maximum when H is negative semidefinite. The proof goes term by term over H's
canonical polynomial: a term c*s*F is semidefinite when its matrix factors F read the same
backwards with each factor transposed (a Gram form M'*M, or M'*D*M with D semidefinite:
the identity, diag(v) with v >= 0 entrywise, a Kronecker product of such forms, the inverse
of one), and its sign is that of the scalar part c*s, found by interval arithmetic over the
atoms' ranges (even powers, norms, exp, sigmoid, 1 - sigmoid, ...: the records' `bounds`).
A sum of terms of one sign has that sign. What cannot be proven is a condition, named.
"""

import math
from typing import NamedTuple

from . import ast, registry
from .printing import to_text
from .shapes import shape_of
from .simplify import canon, transpose_node
from .simplify.poly import monomial

UNKNOWN = (-math.inf, math.inf)


class Verdict(NamedTuple):
    kind: str       # 'minimum', 'maximum', 'saddle point' or 'depends on the values'
    why: str


def classify(hessian, wrt):
    """The kind of the stationary point of a function with this (constant) Hessian: the
    coefficient K of its gradient K*vec(w) - vec(b), a scalar for a scalar w."""
    poly = canon(hessian)
    text = to_text(hessian)
    if not poly.terms:
        return Verdict("depends on the values", f"the Hessian is zero: every {wrt} is "
                                                "stationary")
    if poly.shape == ():
        low, high = _interval(poly)
        if low >= 0 or high <= 0:
            kind = "minimum" if low >= 0 else "maximum"
            sign = "positive" if low > 0 else "negative" if high < 0 else \
                "nonnegative" if low >= 0 else "nonpositive"
            return Verdict(kind, f"the second derivative {text} is {sign} for every value, "
                                 f"so the function is {'convex' if low >= 0 else 'concave'}")
        return Verdict("depends on the values", f"a minimum where {text} > 0, a maximum "
                                                f"where {text} < 0")
    saddle = _commutation(poly)
    if saddle is not None:
        return Verdict("saddle point", f"the Hessian {text} is {saddle}, whose eigenvalues "
                                       "are 1 and -1 (for sizes above 1)")
    signs, conditions = set(), []
    for term, c in poly.terms.items():
        if not _gram(term.factors):
            return _condition(text)
        low, high = _scaled(c, term.scalars)
        if low >= 0 or high <= 0:
            signs.add(1 if low >= 0 else -1)
            continue
        unknown = [(a, e) for a, e in term.scalars if not _known_sign(a, e)]
        known = _scaled(c, tuple(item for item in term.scalars if item not in unknown))
        if not unknown or not (known[0] >= 0 or known[1] <= 0):
            return _condition(text)
        signs.add(1 if known[0] >= 0 else -1)     # 2/(sigmoid(a) - 2)*b: -1 where b >= 0
        conditions += [f"{to_text(a)} {'>' if e < 0 else '>='} 0" for a, e in unknown
                       if f"{to_text(a)} {'>' if e < 0 else '>='} 0" not in conditions]
    if len(signs) > 1:
        return _condition(text)
    kind = "minimum" if signs == {1} else "maximum"
    proof = f"the Hessian {text} is {'' if kind == 'minimum' else 'minus '}" \
            f"{_gram_words(poly)}, so the function is {'convex' if signs == {1} else 'concave'}"
    if conditions:
        return Verdict("depends on the values", f"a {kind} where {' and '.join(conditions)}: "
                                                f"then {proof}")
    return Verdict(kind, proof)


def _condition(text):
    return Verdict("depends on the values", f"a minimum where {text} is positive definite, "
                                            "a maximum where it is negative definite")


def _gram_words(poly):
    if len(poly.terms) == 1:
        (term,) = poly.terms
        if len(term.factors) == 1 and isinstance(term.factors[0], ast.Identity):
            return "a positive multiple of I"
        return "a positive multiple of a Gram matrix M'*M"
    return "a sum of Gram matrices M'*M with nonnegative factors"


def _commutation(poly):
    """'a commutation matrix' for c*commutation(n, n), else None."""
    if len(poly.terms) != 1:
        return None
    (term,) = poly.terms
    if term.scalars or len(term.factors) != 1:
        return None
    (f,) = term.factors
    if isinstance(f, ast.Commutation) and f.m == f.n:
        return "a multiple of the commutation matrix"
    return None


# ----------------------------------------------------------------- semidefinite factors

def _gram(factors):
    """Do the factors read M'*D*M: mirrored by transposes around a semidefinite middle?"""
    k = len(factors)
    if any(transpose_node(factors[i]) != factors[k - 1 - i] for i in range(k // 2)):
        return False
    return k % 2 == 0 or _semidefinite(factors[k // 2])


def _semidefinite(f):
    """Is the one factor f positive semidefinite for every value?"""
    if isinstance(f, ast.Identity):
        return True
    if isinstance(f, ast.Diag) and len(shape_of(f.arg)) == 1:
        return _interval(canon(f.arg))[0] >= 0
    if isinstance(f, ast.Kron):
        return all(_semidefinite_poly(canon(arg)) for arg in (f.left, f.right))
    if isinstance(f, ast.Inverse):
        return _semidefinite_poly(canon(f.arg))
    return False


def _semidefinite_poly(poly):
    return bool(poly.terms) and all(
        _gram(term.factors) and _scaled(c, term.scalars)[0] >= 0
        for term, c in poly.terms.items()) if poly.shape != () else _interval(poly)[0] >= 0


# ----------------------------------------------------------------- signs by intervals

def _known_sign(atom, exponent):
    low, high = _power(_atom_interval(atom), exponent)
    return low >= 0 or high <= 0


def _scaled(c, scalars):
    """The interval of c * product of atom^e."""
    interval = (float(c), float(c))
    for atom, e in scalars:
        interval = _times(interval, _power(_atom_interval(atom), e))
    return interval


def _interval(poly):
    """The interval holding every entry of a polynomial's value (a scalar or elementwise
    one: its terms are scalars, or one monomial factor each)."""
    low = high = 0.0
    for term, c in poly.terms.items():
        interval = _scaled(c, term.scalars)
        for f in term.factors:
            interval = _times(interval, _entries(f))
        low, high = low + interval[0], high + interval[1]
    return low, high


def _entries(node):
    """The interval of the entries of an elementwise factor: a monomial of atoms."""
    if isinstance(node, ast.Fill):
        return _interval(canon(node.value))
    if isinstance(node, (ast.Hadamard, ast.ElemDiv, ast.ElemPower)):
        interval = (1.0, 1.0)
        for atom, e in monomial(node).items():
            if atom is node:
                return UNKNOWN
            interval = _times(interval, _power(_atom_interval(atom), e))
        return interval
    return _atom_interval(node)


def _atom_interval(atom):
    """The range of one atom's value (or entries)."""
    if isinstance(atom, ast.Number):
        return float(atom.value), float(atom.value)
    record = registry.of(atom)
    if record is not None and record.bounds is not None:
        return tuple(float(b) for b in record.bounds)
    if isinstance(atom, ast.Mul) and _gram(atom.children):          # x'*x, x'*A'*A*x
        return 0.0, math.inf
    if isinstance(atom, ast.Add):
        return _interval(canon(atom))
    if isinstance(atom, (ast.Hadamard, ast.ElemDiv, ast.ElemPower, ast.Fill)):
        return _entries(atom)
    return UNKNOWN


def _times(a, b):
    products = [x * y if x and y else 0.0 for x in a for y in b]
    return min(products), max(products)


def _power(interval, e):
    low, high = interval
    if e == 1:
        return interval
    if e.denominator == 1 and e % 2 == 0:
        top = max(abs(low), abs(high)) ** e if e > 0 else math.inf
        return 0.0, top
    if low >= 0:                                       # monotone on [0, inf)
        if e > 0:
            return low ** e, high ** e
        return (high ** e if high < math.inf else 0.0), (low ** e if low > 0 else math.inf)
    if high <= 0 and e.denominator == 1:               # an odd power keeps the sign
        return (-math.inf, 0.0)
    return UNKNOWN
