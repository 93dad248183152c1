"""Polynomials over matrix atoms: the arithmetic of the canonical form, and back to trees.

A polynomial maps terms to exact rational coefficients. A term is

    (scalar atoms with rational exponents) * (matrix factors, in order)

Adding collects like terms by dictionary lookup; multiplying distributes and normalizes each
product (I dropped, inv(A)*A cancelled, a 1 x 1 product turned into one scalar atom in its
smaller orientation, diag(v)*u written v .* u). Elementwise products are monomials: factors
with integer exponents, like factors collected (y .* y = y.^2).
"""

from fractions import Fraction
from typing import NamedTuple

from .. import ast
from ..shapes import as_pair, normalize, shape_of
from . import canonical, kronecker
from .order import _ordered, key


ONE = Fraction(1)
MAX_TERMS = 4096          # past this, a product of sums is kept factored (an atom)


class Term(NamedTuple):
    scalars: tuple        # ((atom, exponent), ...) sorted by atom key
    factors: tuple        # matrix factors, in order


EMPTY = Term((), ())


def _broadcast_scalars(items):
    """In a sum with arrays, c*vector(1) prints as the scalar c (added to every entry)."""
    if len(items) < 2:
        return items
    out = [(Term(t.scalars, ()) if len(t.factors) == 1 and _is_ones(t.factors[0]) else t, c)
           for t, c in items]
    if all(not t.factors for t, _ in out):
        return items                       # at least one term must carry the shape
    return out


# ----------------------------------------------------------------- polynomial arithmetic

class Poly(NamedTuple):
    terms: dict           # Term -> Fraction, no zero coefficients
    shape: tuple


def _const(value, shape=()):
    value = Fraction(value)
    return Poly({EMPTY: value} if value else {}, shape)


def _atom(node, shape):
    if shape == ():
        return Poly({Term(((node, ONE),), ()): ONE}, ())
    return Poly({Term((), (node,)): ONE}, shape)


def _add(polys, shape):
    total = {}
    for poly in polys:
        if poly.shape == () and shape != ():
            poly = _broadcast(poly, shape)
        for term, coefficient in poly.terms.items():
            value = total.get(term, 0) + coefficient
            if value:
                total[term] = value
            else:
                total.pop(term, None)
    return Poly(total, shape)


def _broadcast(poly, shape):
    """A scalar added to an array: scalar * matrix(1)."""
    return _mul(poly, _atom(ast.Fill(shape, ast.Number(1)), shape))


def _scale(poly, value):
    value = Fraction(value)
    if not value:
        return Poly({}, poly.shape)
    return Poly({t: c * value for t, c in poly.terms.items()}, poly.shape)


def _merge_scalars(a, b):
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


def _product_shape(sa, sb):
    if sa == ():
        return sb
    if sb == ():
        return sa
    return normalize(as_pair(sa)[0], as_pair(sb)[1])


def _mul(p, q):
    shape = _product_shape(p.shape, q.shape)
    if len(p.terms) * len(q.terms) > MAX_TERMS:
        left, right = _atomize(p), _atomize(q)
        p, q = left, right
    out = {}
    for tp, cp in p.terms.items():
        for tq, cq in q.terms.items():
            term = _combine(tp, p.shape, tq, q.shape, shape)
            value = out.get(term, 0) + cp * cq
            if value:
                out[term] = value
            else:
                out.pop(term, None)
    return Poly(out, shape)


def _atomize(poly):
    if len(poly.terms) <= 1:
        return poly
    return _atom(to_node(poly), poly.shape)


def _combine(tp, sp, tq, sq, shape):
    """The product of two terms."""
    scalars = _merge_scalars(tp.scalars, tq.scalars)
    if sp == () or sq == ():
        factors = tp.factors + tq.factors      # at most one side has matrix factors
    else:
        produced = []
        factors = _cancel(tp.factors + tq.factors, produced)
        for atoms in produced:                 # kron(a', B)*kron(b, C) = (a'*b)*kron(B, C)
            scalars = _merge_scalars(scalars, atoms)
    return _finish(scalars, factors, shape)


def _finish(scalars, factors, shape):
    """Normalize a term: a 1 x 1 product becomes a scalar atom; diag(v)*u becomes v .* u."""
    if factors and shape == ():
        scalars = _merge_scalars(scalars, ((_scalar_product(factors), ONE),))
        factors = ()
    elif factors and len(shape) == 1:
        factors = _diag_to_hadamard(factors)
    return Term(scalars, factors)


def _cancel(factors, produced=None):
    """Drop I between factors; cancel inv(A)*A and A*inv(A); merge Kronecker factors
    (the scalar atoms a merge leaves go to `produced`; without it, such merges wait)."""
    out = []
    for f in factors:
        if isinstance(f, ast.Identity):
            continue
        if out and isinstance(out[-1], kronecker.KRONECKER) and \
                isinstance(f, kronecker.KRONECKER + (ast.Vec,)):
            merged = kronecker.merge(out[-1], f)
            if merged is not None and (produced is not None or not merged[0]):
                out.pop()
                out.extend(merged[1])
                if merged[0]:
                    produced.append(merged[0])
                continue
        if out and _is_diagonal(out[-1]) and _is_diagonal(f):     # diag(a)*diag(b)
            out[-1] = ast.Diag(to_node(canonical._hadamard(
                canonical.canon(out[-1].arg), canonical.canon(f.arg), shape_of(f.arg))))
            continue
        if out and _core(out[-1])[0] is _core(f)[0]:
            # powers of one matrix: A*A = A^2, A^2*inv(A) = A, inv(A)*A = I
            core, total = _core(f)[0], _core(out[-1])[1] + _core(f)[1]
            out.pop()
            if total:
                out.append(_from_core(core, total))
            continue
        out.append(f)
    if not out and factors:
        first = factors[0]
        n = as_pair(shape_of(first))[0]
        return (ast.Identity(n),)
    return tuple(out)


def _core(factor):
    """(matrix, integer exponent) of a factor: A^3 -> (A, 3), inv(A) -> (A, -1),
    inv(A)^2 -> (A, -2), anything else -> (itself, 1)."""
    exponent = 1
    if isinstance(factor, ast.Power) and isinstance(factor.exponent, ast.Number) and \
            factor.exponent.value.denominator == 1 and shape_of(factor) != ():
        exponent, factor = int(factor.exponent.value), factor.base
    if isinstance(factor, ast.Inverse) and shape_of(factor) != ():
        exponent, factor = -exponent, factor.arg
    return factor, exponent


def _from_core(core, exponent):
    """The canonical factor core^exponent (exponent != 0)."""
    if exponent < 0:
        core, exponent = canonical._invert_atom(core), -exponent
    return core if exponent == 1 else ast.Power(core, ast.Number(exponent))


def _is_diagonal(node):
    return isinstance(node, ast.Diag) and len(shape_of(node.arg)) == 1


def _diag_to_hadamard(factors):
    for i, f in enumerate(factors[:-1]):
        if isinstance(f, ast.Diag) and len(shape_of(f.arg)) == 1:
            rest = factors[i + 1:]
            right = rest[0] if len(rest) == 1 else to_node(canonical.canon(ast.Mul(*rest)))
            return factors[:i] + (_hadamard_atom(f.arg, right),)
    return factors


def _hadamard_atom(a, b):
    return _monomial_node(_merge_monomials(_monomial(a), _monomial(b)))


# An elementwise product is a monomial: factors with integer exponents, like factors
# collected (y .* y = y.^2, a .* b ./ a = b), in a fixed order, divisions as negative powers.

def _monomial(node):
    """a .* b.^2 ./ c -> {a: 1, b: 2, c: -1} (vector(1) is the empty monomial)."""
    if isinstance(node, ast.Hadamard):
        return _merge_monomials(_monomial(node.left), _monomial(node.right))
    if isinstance(node, ast.ElemDiv):
        return _merge_monomials(_monomial(node.left), _scale_monomial(_monomial(node.right), -1))
    if isinstance(node, ast.ElemPower) and isinstance(node.exponent, ast.Number) and \
            node.exponent.value.denominator == 1:
        return _scale_monomial(_monomial(node.base), node.exponent.value)
    if _is_ones(node):
        return {}
    return {node: ONE}


def _merge_monomials(a, b):
    out = dict(a)
    for factor, e in b.items():
        value = out.get(factor, 0) + e
        if value:
            out[factor] = value
        else:
            out.pop(factor, None)
    return out


def _scale_monomial(mono, k):
    return {f: e * k for f, e in mono.items()} if k else {}


def _monomial_node(mono, shape=None):
    """The canonical node of a monomial: numerators .* ... ./ (denominators .* ...)."""
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


def _scalar_product(factors):
    """A 1 x 1 product as one scalar atom, in the smaller of its two orientations."""
    if len(factors) == 1:
        return factors[0]
    forward = ast.Mul(*factors)
    backward = ast.Mul(*(canonical.transpose_atom(f) for f in reversed(factors)))
    return min(forward, backward, key=key)


# ----------------------------------------------------------------- transposes


def _single(poly):
    """(coefficient, Term) when the polynomial has exactly one term."""
    if len(poly.terms) == 1:
        ((term, c),) = poly.terms.items()
        return c, term
    return None


def _constant(poly):
    """The value of a constant polynomial, else None."""
    if not poly.terms:
        return Fraction(0)
    single = _single(poly)
    if single and single[1] == EMPTY:
        return single[0]
    return None


def _pull_scalars(poly):
    """(coefficient, scalars, rest) with rest having coefficient 1 and no scalar atoms, when
    the polynomial is one term; else (1, (), poly)."""
    single = _single(poly)
    if single is None:
        return ONE, (), poly
    c, term = single
    return c, term.scalars, Poly({Term((), term.factors): ONE}, poly.shape)


def _with_scalars(c, scalars, poly):
    return _scale(Poly({Term(_merge_scalars(t.scalars, scalars), t.factors): v
                        for t, v in poly.terms.items()}, poly.shape), c)


def _is_ones(node):
    return isinstance(node, ast.Fill) and node.value == ast.Number(1)


# ----------------------------------------------------------------- back to a tree

_nodes = {}


def to_node(poly):
    """The expanded tree of a polynomial: terms in a fixed order (longest products first)."""
    frozen = (frozenset(poly.terms.items()), poly.shape)
    found = _nodes.get(frozen)
    if found is not None:
        return found
    if not poly.terms:
        result = zero(poly.shape)
    else:
        terms = _broadcast_scalars(_ordered(poly.terms.items()))
        nodes = [_term_node(c, t, first=(i == 0)) for i, (t, c) in enumerate(terms)]
        result = nodes[0] if len(nodes) == 1 else ast.Add(*nodes)
    _nodes[frozen] = result
    return result


def zero(shape):
    return ast.Number(0) if shape == () else ast.Fill(shape, ast.Number(0))


def _power_node(atom, exponent):
    return atom if exponent == 1 else ast.Power(atom, ast.Number(exponent))


def _term_node(coefficient, term, factors=None, first=True):
    """One term as a tree: coefficient/denominators, then scalar atoms, then matrix factors.

    A coefficient of -1 prints as a sign: on the first factor when the term leads (-A*W),
    as a negation otherwise (so that a sum prints Y - A*W).
    """
    factors = term.factors if factors is None else factors
    if coefficient == -1 and (term.scalars or factors):
        positive = _term_node(ONE, term, factors)
        if not first:
            return ast.Neg(positive)
        parts = list(positive.children) if isinstance(positive, ast.Mul) else [positive]
        return _mul_node([ast.Neg(parts[0])] + parts[1:])
    numerators = [_power_node(a, e) for a, e in term.scalars if e > 0]
    denominators = [_power_node(a, -e) for a, e in term.scalars if e < 0]
    head = []
    if denominators:
        bottom = denominators[0] if len(denominators) == 1 else ast.Mul(*denominators)
        head.append(ast.Div(ast.Number(coefficient), bottom))
    elif coefficient != 1 or not (numerators or factors):
        head.append(ast.Number(coefficient))
    parts = list(head)
    for atom in numerators:       # a scalar term reads best without inner parentheses
        parts.extend(_splice(atom) if not factors else [atom])
    for f in factors:
        parts.extend(_splice(f))
    return _mul_node(parts)


def _splice(factor):
    """Factors of a product that may be spliced into an enclosing product."""
    if isinstance(factor, ast.Mul):
        return list(factor.children)
    return [factor]


def _mul_node(parts):
    return parts[0] if len(parts) == 1 else ast.Mul(*parts)
