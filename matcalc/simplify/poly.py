"""Polynomials over matrix atoms: the arithmetic of the canonical form, and back to trees.

A polynomial maps terms to exact rational coefficients; a term is (scalar atoms with rational
exponents) * (matrix factors, in order). An elementwise product is a monomial: factors with
integer exponents, like factors collected (y .* y = y.^2, a .* b ./ a = b). Nothing here
rewrites: the product of two terms is left to the caller (the engine applies its rules).
"""

import math
from fractions import Fraction
from typing import NamedTuple

from .. import ast
from ..shapes import as_pair, normalize, shape_of
from .order import key, ordered


ONE = Fraction(1)
MAX_TERMS = 4096          # past this, a product of sums is kept factored (an atom)
MAX_DIGITS = 300          # exact constants stay within 1e-300..1e300 (a float's range)


class Term(NamedTuple):
    scalars: tuple        # ((atom, exponent), ...) sorted by atom key
    factors: tuple        # matrix factors, in order


EMPTY = Term((), ())


class Poly(NamedTuple):
    terms: dict           # Term -> Fraction, no zero coefficients
    shape: tuple


# ----------------------------------------------------------------- constants and atoms

def const(value):
    """The constant polynomial c (zero has no terms)."""
    value = Fraction(value)
    return Poly({EMPTY: value} if value else {}, ())


def atom_poly(node, shape):
    """One atom: a scalar atom to the first power, or one matrix factor."""
    if shape == ():
        return Poly({Term(((node, ONE),), ()): ONE}, ())
    return Poly({Term((), (node,)): ONE}, shape)


def ones(shape):
    """The atom matrix(1) or vector(1) of a shape."""
    return atom_poly(ast.Fill(shape, ast.Number(1)), shape)


def single_term(poly):
    """(coefficient, Term) when the polynomial has exactly one term, else None."""
    if len(poly.terms) == 1:
        ((term, c),) = poly.terms.items()
        return c, term
    return None


def constant_value(poly):
    """The value of a constant polynomial, else None."""
    if not poly.terms:
        return Fraction(0)
    single = single_term(poly)
    return single[0] if single and single[1] == EMPTY else None


def is_ones(node):
    """matrix(1) or vector(1): the neutral element of the elementwise product."""
    return isinstance(node, ast.Fill) and node.value == ast.Number(1)


# ----------------------------------------------------------------- sums and scaling

def add(polys, shape):
    """p + q + ...: like terms collected; a scalar added to an array is broadcast, s =
    s*matrix(1)."""
    total = {}
    for poly in polys:
        if poly.shape == () and shape != ():
            if len(poly.terms) > MAX_TERMS:
                poly = _atomize(poly)
            fill = (ast.Fill(shape, ast.Number(1)),)
            poly = Poly({Term(t.scalars, t.factors + fill): c for t, c in poly.terms.items()},
                        shape)
        for term, coefficient in poly.terms.items():
            value = total.get(term, 0) + coefficient
            if value:
                total[term] = value
            else:
                total.pop(term, None)
    return Poly(total, shape)


def scale(poly, value):
    """c*p."""
    value = Fraction(value)
    return Poly({t: c * value for t, c in poly.terms.items()} if value else {}, poly.shape)


def merge_scalars(a, b):
    """a^i * a^j = a^(i+j) over two sorted tuples of (scalar atom, exponent); a^0 dropped."""
    if not a or not b:                 # both are canonical: sorted, no zero exponents
        return a or b
    exponents = dict(a)
    for atom, e in b:
        value = exponents.get(atom, 0) + e
        if value:
            exponents[atom] = value
        else:
            exponents.pop(atom, None)
    return tuple(sorted(exponents.items(), key=lambda item: key(item[0])))


def pull_scalars(poly):
    """(c, s, rest) with poly = c*s*rest when it is one term; else (1, (), poly)."""
    single = single_term(poly)
    if single is None:
        return ONE, (), poly
    c, term = single
    return c, term.scalars, Poly({Term((), term.factors): ONE}, poly.shape)


def with_scalars(c, scalars, poly):
    """c * scalars * p."""
    return scale(Poly({Term(merge_scalars(t.scalars, scalars), t.factors): v
                       for t, v in poly.terms.items()}, poly.shape), c)


# ----------------------------------------------------------------- products

def multiply(p, q, combine):
    """p*q = sum over term pairs of combine(tp, p.shape, tq, q.shape, shape), coefficients
    multiplied and collected; past MAX_TERMS term pairs, the sums are kept whole as atoms."""
    if p.shape == () or q.shape == ():
        shape = p.shape or q.shape
    else:
        shape = normalize(as_pair(p.shape)[0], as_pair(q.shape)[1])
    if len(p.terms) * len(q.terms) > MAX_TERMS:
        p, q = _atomize(p), _atomize(q)
    out = {}
    for tp, cp in p.terms.items():
        for tq, cq in q.terms.items():
            term = combine(tp, p.shape, tq, q.shape, shape)
            value = out.get(term, 0) + cp * cq
            if value:
                out[term] = value
            else:
                out.pop(term, None)
    return Poly(out, shape)


def _atomize(poly):
    return poly if len(poly.terms) <= 1 else atom_poly(to_node(poly), poly.shape)


def reciprocal(poly):
    """1/p of a scalar: 1/c exact, (c*a^i*b^j)^-1 = 1/c*a^-i*b^-j, a sum to the power -1
    (and 1/0 kept as the atom 0^-1, as written)."""
    value = constant_value(poly)
    if value == 0:
        return atom_poly(ast.Power(ast.Number(0), ast.Number(-1)), ())
    if value is not None:
        return const(1 / value)
    single = single_term(poly)
    if single is not None:
        c, term = single
        return Poly({Term(tuple((a, -e) for a, e in term.scalars), ()): 1 / c}, ())
    return Poly({Term(((to_node(poly), Fraction(-1)),), ()): ONE}, ())


def rational_power(c, k):
    """c^k when it is rational for certain (integer k, or c = 1) and within a float's range
    (10^(10^10) would take forever, 1e300^2 print a number that reads back as too large),
    else None: the power is kept as written."""
    if k.denominator == 1:
        if c and abs(c) != 1 and abs(k) * abs(math.log10(abs(c.numerator)) -
                                            math.log10(c.denominator)) > MAX_DIGITS:
            return None
        return c ** int(k)
    return ONE if c == 1 else None


def monomial(node):
    """a .* b.^2 ./ c -> {a: 1, b: 2, c: -1} (vector(1) is the empty monomial)."""
    if isinstance(node, ast.Hadamard):
        return merge_monomials(monomial(node.left), monomial(node.right))
    if isinstance(node, ast.ElemDiv):
        return merge_monomials(monomial(node.left), scale_monomial(monomial(node.right), -1))
    if isinstance(node, ast.ElemPower) and isinstance(node.exponent, ast.Number) and \
            node.exponent.value.denominator == 1:
        return scale_monomial(monomial(node.base), node.exponent.value)
    return {} if is_ones(node) else {node: ONE}


def merge_monomials(a, b):
    """The product of two monomials: exponents of like factors added, zeros dropped."""
    out = dict(a)
    for factor, e in b.items():
        value = out.get(factor, 0) + e
        if value:
            out[factor] = value
        else:
            out.pop(factor, None)
    return out


def scale_monomial(mono, k):
    """A monomial to the power k."""
    return {f: e * k for f, e in mono.items()} if k else {}


def monomial_node(mono, shape=None):
    """The canonical node of a monomial: numerators .* ... ./ (denominators .* ...), in the
    order of `order`."""
    items = sorted(mono.items(), key=lambda item: key(item[0]))

    def chain(factors):
        node = None
        for f, e in factors:
            part = f if e == 1 else ast.ElemPower(f, ast.Number(e))
            node = part if node is None else ast.Hadamard(node, part)
        return node
    top = chain([(f, e) for f, e in items if e > 0])
    bottom = chain([(f, -e) for f, e in items if e < 0])
    if top is None:
        if shape is None:
            shape = shape_of(bottom if bottom is not None else next(iter(mono)))
        top = ast.Fill(shape, ast.Number(1))
    return top if bottom is None else ast.ElemDiv(top, bottom)


# ----------------------------------------------------------------- back to a tree

_nodes = {}


def clear():
    """Forget the printed trees (the session's end: the table holds strong references)."""
    _nodes.clear()


def to_node(poly):
    """The expanded tree of a polynomial: terms in a fixed order (longest products first)."""
    frozen = (frozenset(poly.terms.items()), poly.shape)
    found = _nodes.get(frozen)
    if found is not None:
        return found
    if not poly.terms:
        result = zero(poly.shape)
    else:
        terms = broadcast_scalars(ordered(poly.terms.items()))
        nodes = [term_node(c, t, first=(i == 0)) for i, (t, c) in enumerate(terms)]
        result = nodes[0] if len(nodes) == 1 else ast.Add(*nodes)
    _nodes[frozen] = result
    return result


def zero(shape):
    """0 of a shape: the number, or a fill of zeros."""
    return ast.Number(0) if shape == () else ast.Fill(shape, ast.Number(0))


def broadcast_scalars(items):
    """In a sum with arrays, c*vector(1) prints as the scalar c (added to every entry)."""
    if len(items) < 2:
        return items
    out = [(Term(t.scalars, ()) if len(t.factors) == 1 and is_ones(t.factors[0]) else t, c)
           for t, c in items]
    if all(not t.factors for t, _ in out):
        return items                       # at least one term must carry the shape
    return out


def term_node(coefficient, term, factors=None, first=True):
    """One term as a tree: coefficient/denominators, then scalar atoms, then matrix factors.
    A coefficient of -1 is a sign: on the first factor when the term leads (-A*W), else a
    negation (so that a sum prints Y - A*W)."""
    factors = term.factors if factors is None else factors
    if coefficient == -1 and (term.scalars or factors):
        positive = term_node(ONE, term, factors)
        if not first:
            return ast.Neg(positive)
        parts = list(positive.children) if isinstance(positive, ast.Mul) else [positive]
        return mul_node([_signed(parts[0])] + parts[1:])
    numerators = [a if e == 1 else ast.Power(a, ast.Number(e)) for a, e in term.scalars if e > 0]
    denominators = [a if e == -1 else ast.Power(a, ast.Number(-e))
                    for a, e in term.scalars if e < 0]
    parts = []
    if denominators:
        bottom = denominators[0] if len(denominators) == 1 else ast.Mul(*denominators)
        parts.append(ast.Div(ast.Number(coefficient), bottom))
    elif coefficient != 1 or not (numerators or factors):
        parts.append(ast.Number(coefficient))
    for atom in numerators:       # a scalar term reads best without inner parentheses
        parts.extend(splice(atom) if not factors else [atom])
    for f in factors:
        parts.extend(splice(f))
    return mul_node(parts)


def _signed(node):
    """-node with the sign on its first factor: -(a .* b) reads -a .* b (-a.^2 stays -(a.^2))."""
    if isinstance(node, (ast.Hadamard, ast.ElemDiv)):
        return type(node)(_signed(node.left), node.right)
    return ast.Neg(node)


def splice(factor):
    """The factors of a product, to be spliced into an enclosing product; else [factor]."""
    return list(factor.children) if isinstance(factor, ast.Mul) else [factor]


def mul_node(parts):
    """The product node of parts (one part is itself)."""
    return parts[0] if len(parts) == 1 else ast.Mul(*parts)
