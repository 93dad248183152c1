"""Simplification: a canonical form, and the expanded and factored forms printed from it.

The canonical form of an expression is a *polynomial*: a map from terms to exact rational
coefficients. A term is a product

    coefficient * (scalar atoms with rational exponents) * (matrix factors, in order)

whose atoms are themselves canonical: transposes pushed to the leaves ((A*B)' = B'*A',
(A')' = A, inv(A)' = inv(A'), declared-symmetric leaves drop theirs), a 1 x 1 product kept as a
scalar atom in the smaller of its two orientations (y'*X*w = w'*X'*y), I dropped from
products, inv(A)*A = I, diag(v)*u = v .* u for a column u, traces rotated to one
orientation. Products distribute over sums; elementwise operations and functions stay atoms
whose arguments are canonical (distributing them would grow size exponentially with depth).
Equal expressions that these rules can show equal get the same canonical node.

- `expanded(node)`: the polynomial printed term by term, the textbook form (2*X'*X*w - 2*X'*y).
- `factored(node)`: common scalar, left and right factors pulled out of every sum
  (2*X'*(X*w - y)), and subexpressions shared in the DAG named with `where`.

Every function here is memoized per (interned) node, so shared subtrees cost once. The memo
tables hold strong references, so the API empties them after each call (`session`).
"""

import hashlib
from fractions import Fraction
from math import gcd
from typing import NamedTuple

from . import ast
from .errors import UnsupportedError
from .shapes import as_pair, normalize, shape_of

ONE = Fraction(1)
MAX_TERMS = 4096          # past this, a product of sums is kept factored (an atom)


class Term(NamedTuple):
    scalars: tuple        # ((atom, exponent), ...) sorted by atom key
    factors: tuple        # matrix factors, in order


EMPTY = Term((), ())


# ----------------------------------------------------------------- a total order on nodes

_RANK = {cls: i for i, cls in enumerate((
    ast.Number, ast.Symbol, ast.Transpose, ast.Identity, ast.Fill, ast.Inverse, ast.Power,
    ast.Mul, ast.Add, ast.Neg, ast.Div, ast.Hadamard, ast.ElemDiv, ast.ElemPower,
    ast.Elementwise, ast.Trace, ast.Det, ast.LogDet, ast.Sum, ast.Norm1, ast.Norm2, ast.Diag,
    ast.Derivative, ast.Where))}
_keys = {}


def key(node):
    """A sort key: deterministic, structural, and cheap to compare however deep the nodes.

    (type rank, payload, the children's ranks and payloads, a digest of the whole subtree):
    names order alphabetically one level down, and the digest (blake2b of the structure,
    the same in every run) settles the rest without walking the trees.
    """
    found = _keys.get(node)
    if found is not None:
        return found
    if all(c in _keys for c in node.children):       # the usual case: one new node
        return _key_of(node)
    for n in ast.postorder(node, known=_keys.__contains__):
        _key_of(n)
    return _keys[node]


def _key_of(n):
    """The key of a node whose children have theirs."""
    payload = tuple(str(p) for p in (n.args if isinstance(n, ast.Leaf)
                                     else n.args[:n.n_payload]))
    children = [_keys[c] for c in n.children]
    digest = hashlib.blake2b(repr((_RANK[type(n)], payload, [c[3] for c in children]))
                             .encode(), digest_size=12).hexdigest()
    found = _keys[n] = (_RANK[type(n)], payload, tuple(c[:2] for c in children), digest)
    return found


def _term_key(term):
    return (-len(term.factors), tuple(key(f) for f in term.factors),
            tuple((key(a), e) for a, e in term.scalars))


def _broadcast_scalars(items):
    """In a sum with arrays, c*vector(1) prints as the scalar c (added to every entry)."""
    if len(items) < 2:
        return items
    out = [(Term(t.scalars, ()) if len(t.factors) == 1 and _is_ones(t.factors[0]) else t, c)
           for t, c in items]
    if all(not t.factors for t, _ in out):
        return items                       # at least one term must carry the shape
    return out


def _ordered(items):
    """Terms in print order: positive coefficients first, then longest products first."""
    return sorted(items, key=lambda item: (item[1] < 0, _term_key(item[0])))


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
        factors = _cancel(tp.factors + tq.factors)
    return _finish(scalars, factors, shape)


def _finish(scalars, factors, shape):
    """Normalize a term: a 1 x 1 product becomes a scalar atom; diag(v)*u becomes v .* u."""
    if factors and shape == ():
        scalars = _merge_scalars(scalars, ((_scalar_product(factors), ONE),))
        factors = ()
    elif factors and len(shape) == 1:
        factors = _diag_to_hadamard(factors)
    return Term(scalars, factors)


def _cancel(factors):
    """Drop I between factors; cancel inv(A)*A and A*inv(A)."""
    out = []
    for f in factors:
        if isinstance(f, ast.Identity):
            continue
        if out and _is_diagonal(out[-1]) and _is_diagonal(f):     # diag(a)*diag(b)
            out[-1] = ast.Diag(to_node(_hadamard(canon(out[-1].arg), canon(f.arg),
                                                 shape_of(f.arg))))
            continue
        if out and isinstance(out[-1], ast.Inverse) and out[-1].arg is f:
            out.pop()
            continue
        if out and isinstance(f, ast.Inverse) and f.arg is out[-1]:
            out.pop()
            continue
        out.append(f)
    if not out and factors:
        first = factors[0]
        n = as_pair(shape_of(first))[0]
        return (ast.Identity(n),)
    return tuple(out)


def _is_diagonal(node):
    return isinstance(node, ast.Diag) and len(shape_of(node.arg)) == 1


def _diag_to_hadamard(factors):
    for i, f in enumerate(factors[:-1]):
        if isinstance(f, ast.Diag) and len(shape_of(f.arg)) == 1:
            rest = factors[i + 1:]
            right = rest[0] if len(rest) == 1 else to_node(canon(ast.Mul(*rest)))
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
    backward = ast.Mul(*(transpose_atom(f) for f in reversed(factors)))
    return min(forward, backward, key=key)


# ----------------------------------------------------------------- transposes

_transposed = {}


def transpose_atom(atom):
    """The canonical transpose of a canonical atom (transposes end at the leaves)."""
    found = _transposed.get(atom)
    if found is not None:
        return found
    shape = shape_of(atom)
    if shape == () or isinstance(atom, (ast.Identity,)):
        result = atom
    elif isinstance(atom, ast.Symbol):
        result = atom if atom.symmetric else ast.Transpose(atom)
    elif isinstance(atom, ast.Transpose):
        result = atom.arg
    elif isinstance(atom, ast.Fill):
        result = ast.Fill(normalize(*reversed(as_pair(atom.shape))), atom.value)
    elif isinstance(atom, ast.Diag) and len(shape_of(atom.arg)) == 1:
        result = atom                           # diag(v) is symmetric; diag(A) is a vector
    elif isinstance(atom, ast.Diag):
        result = ast.Transpose(atom)
    elif isinstance(atom, (ast.Inverse, ast.Elementwise)):
        result = atom.rebuild([transpose_node(atom.children[0])])
    elif isinstance(atom, (ast.Hadamard, ast.ElemDiv, ast.ElemPower)) and \
            len(_monomial(atom)) and all(f is not atom for f in _monomial(atom)):
        result = _monomial_node({transpose_node(f): e for f, e in _monomial(atom).items()})
    elif isinstance(atom, (ast.Power, ast.ElemPower)):
        result = type(atom)(transpose_node(atom.base), atom.exponent)
    else:
        result = transpose_node(atom)
    _transposed[atom] = result
    _transposed.setdefault(result, atom)
    return result


def transpose_node(node):
    """The canonical (expanded) node of node'."""
    return to_node(_transpose(canon(node)))


def _transpose(poly):
    shape = normalize(*reversed(as_pair(poly.shape)))
    out = {}
    for term, c in poly.terms.items():
        factors = tuple(transpose_atom(f) for f in reversed(term.factors))
        t = _finish(term.scalars, factors, shape)
        out[t] = out.get(t, 0) + c
    return Poly({t: c for t, c in out.items() if c}, shape)


# ----------------------------------------------------------------- canonical polynomial

_canon = {}


def canon(root):
    """The canonical polynomial of a typed node (memoized; iterative over the DAG)."""
    found = _canon.get(root)
    if found is not None:
        return found
    if isinstance(root, ast.Where):
        return canon(inline(root))
    for node in ast.postorder(root, known=_canon.__contains__):
        _canon[node] = _rule(node)
    return _canon[root]


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


def _rule(node):
    shape = shape_of(node)
    kids = [canon(c) for c in node.children]
    if isinstance(node, ast.Symbol):
        return _atom(node, shape)
    if isinstance(node, ast.Number):
        return _const(node.value)
    if isinstance(node, ast.Identity):
        return _atom(node, shape)
    if isinstance(node, ast.Fill):
        if not kids[0].terms:
            return Poly({}, shape)
        return _mul(kids[0], _atom(ast.Fill(shape, ast.Number(1)), shape))
    if isinstance(node, ast.Add):
        return _add(kids, shape)
    if isinstance(node, ast.Neg):
        return _scale(kids[0], -1)
    if isinstance(node, ast.Mul):
        acc = kids[0]
        for k in kids[1:]:
            acc = _mul(acc, k)
        return acc
    if isinstance(node, ast.Div):
        return _mul(kids[0], _reciprocal(kids[1]))
    if isinstance(node, ast.Hadamard):
        return _hadamard(kids[0], kids[1], shape)
    if isinstance(node, ast.ElemDiv):
        return _hadamard(kids[0], kids[1], shape, divide=True)
    if isinstance(node, ast.Power):
        return _power(node, kids[0], kids[1], shape)
    if isinstance(node, ast.ElemPower):
        return _elem_power(kids[0], kids[1], shape)
    if isinstance(node, ast.Transpose):
        return _transpose(kids[0])
    if isinstance(node, ast.Trace):
        return _linear(kids[0], (), _trace_term)
    if isinstance(node, ast.Sum):
        if kids[0].shape == ():
            return kids[0]
        return _linear(kids[0], (), _sum_term)
    if isinstance(node, ast.Diag):
        if kids[0].shape == ():
            return kids[0]
        return _linear(kids[0], shape, lambda term, p: _atom(ast.Diag(_diag_arg(p)), shape))
    if isinstance(node, ast.Inverse):
        return _inverse(kids[0], shape)
    if isinstance(node, (ast.Det, ast.LogDet)):
        return _determinant(type(node), kids[0])
    if isinstance(node, (ast.Norm1, ast.Norm2)):
        if kids[0].shape == ():
            return _atom(ast.Elementwise("abs", to_node(kids[0])), ())
        arg = to_node(kids[0])
        return _atom(type(node)(min(arg, to_node(_transpose(kids[0])), key=key)), ())
    if isinstance(node, ast.Elementwise):
        return _function(node.name, kids[0], shape)
    if isinstance(node, ast.Derivative):
        raise UnsupportedError("diff(...) terms are differentiated before simplification")
    raise UnsupportedError(f"cannot simplify {type(node).__name__}")


def _with_scalars(c, scalars, poly):
    return _scale(Poly({Term(_merge_scalars(t.scalars, scalars), t.factors): v
                        for t, v in poly.terms.items()}, poly.shape), c)


def _reciprocal(poly):
    value = _constant(poly)
    if value is not None:
        if value == 0:
            return _atom(ast.Power(ast.Number(0), ast.Number(-1)), ())
        return _const(1 / value)
    single = _single(poly)
    if single is not None:
        c, term = single
        return Poly({Term(tuple((a, -e) for a, e in term.scalars), ()): 1 / c}, ())
    return Poly({Term(((to_node(poly), Fraction(-1)),), ()): ONE}, ())


def _hadamard(p, q, shape, divide=False):
    """p .* q (or p ./ q): scalars pulled out, the rest one canonical monomial."""
    if q.shape == () and divide:
        return _mul(p, _reciprocal(q))
    if p.shape == () and divide:
        return _mul(p, _elem_power(q, _const(-1), shape))
    if p.shape == () or q.shape == ():
        return _mul(p, q) if p.shape == () else _mul(q, p)
    if not p.terms:
        return Poly({}, shape)
    if not q.terms:
        if divide:
            return _atom(ast.ElemDiv(to_node(p), to_node(q)), shape)
        return Poly({}, shape)
    cp, sp, rp = _pull_scalars(p)
    cq, sq, rq = _pull_scalars(q)
    sign = -1 if divide else 1
    if divide:
        cq, sq = 1 / cq, tuple((a, -e) for a, e in sq)
    mono = _merge_monomials(_monomial(to_node(rp)), _scale_monomial(_monomial(to_node(rq)), sign))
    return _with_scalars(cp * cq, _merge_scalars(sp, sq), _monomial_poly(mono, shape))


def _monomial_poly(mono, shape):
    node = _monomial_node(mono, shape)
    if len(mono) == 1 and next(iter(mono.values())) == 1:
        return canon(node)                     # a single factor is that factor
    return _atom(node, shape)


def _is_ones(node):
    return isinstance(node, ast.Fill) and node.value == ast.Number(1)


def _power(node, base, exponent, shape):
    k = _constant(exponent)
    if k is None:
        return _atom(ast.Power(to_node(base), to_node(exponent)), shape)
    if base.shape == ():
        if k == 0:
            return _const(1)
        if k == 1:
            return base
        norm = _norm_squared(base, k)
        if norm is not None:
            return norm
        single = _single(base)
        if single is not None and (k.denominator == 1 or all(e == 1 for _, e in single[1].scalars)
                                   and single[0] > 0):
            c, term = single
            scalars = tuple((a, e * k) for a, e in term.scalars)
            coefficient = _rational_power(c, k)
            if coefficient is not None:
                return Poly({Term(scalars, ()): coefficient}, ())
        return Poly({Term(((to_node(base), k),), ()): ONE}, ())
    # a square matrix to an integer power
    n = as_pair(shape)[0]
    if k == 0:
        return _atom(ast.Identity(n), shape)
    if k < 0:
        base = _inverse(base, shape)
        k = -k
    if k == 1:
        return base
    if k <= 4:                              # A^2 = A*A: small powers are products
        acc = base
        for _ in range(int(k) - 1):
            acc = _mul(acc, base)
        return acc
    single = _single(base)
    if single is not None and len(single[1].factors) == 1 and not single[1].scalars:
        c, term = single
        return _scale(_atom(ast.Power(term.factors[0], ast.Number(k)), shape), c ** int(k))
    return _atom(ast.Power(to_node(base), ast.Number(k)), shape)


def _rational_power(c, k):
    if k.denominator == 1:
        return c ** int(k)
    if c == 1:
        return ONE
    return None


def _norm_squared(base, k):
    """norm2(v)^2 = v'*v for a vector v (the form every textbook gradient expects)."""
    single = _single(base)
    if k != 2 or single is None or single[0] != 1 or single[1].factors:
        return None
    ((atom, e),) = single[1].scalars if len(single[1].scalars) == 1 else ((None, None),)
    if e != 1 or not isinstance(atom, ast.Norm2) or len(shape_of(atom.arg)) != 1:
        return None
    v = canon(atom.arg)
    return _mul(_transpose(v), v)


def _elem_power(base, exponent, shape):
    k = _constant(exponent)
    if base.shape == ():
        return _power(None, base, exponent, shape) if k is not None else \
            _atom(ast.Power(to_node(base), to_node(exponent)), ())
    if k is None:
        return _atom(ast.ElemPower(to_node(base), to_node(exponent)), shape)
    if k == 0:
        return _atom(ast.Fill(shape, ast.Number(1)), shape)
    if k == 1:
        return base
    c, scalars, rest = _pull_scalars(base)
    coefficient = _rational_power(c, k)
    if coefficient is None:
        c, scalars, rest = ONE, (), base
        coefficient = ONE
    scalars = tuple((a, e * k) for a, e in scalars)
    if k.denominator == 1 and (len(rest.terms) == 1 or not rest.terms):
        mono = _scale_monomial(_monomial(to_node(rest)), k)
        return _with_scalars(coefficient, scalars, _monomial_poly(mono, shape))
    atom = ast.ElemPower(to_node(rest), ast.Number(k))
    return _with_scalars(coefficient, scalars, _atom(atom, shape))


def _linear(poly, shape, term_rule):
    """Apply a linear function term by term, coefficients and scalar atoms pulled out."""
    parts = []
    for term, c in poly.terms.items():
        rest = Poly({Term((), term.factors): ONE}, poly.shape)
        if term.factors:
            part = term_rule(term, rest)
        else:
            part = term_rule(term, rest) if poly.shape != () else _const(1)
        parts.append(_with_scalars(c, term.scalars, part))
    return _add(parts, shape)


def _trace_term(term, rest):
    factors = term.factors
    candidates = []
    for sequence in (factors, tuple(transpose_atom(f) for f in reversed(factors))):
        for i in range(len(sequence)):
            rotated = sequence[i:] + sequence[:i]
            if shape_of(rotated[0]) and as_pair(shape_of(rotated[0]))[0] == 1:
                return _atom(_scalar_product(rotated), ())      # tr(x*y') = y'*x
            candidates.append(rotated)
    best = min(candidates, key=lambda seq: tuple(key(f) for f in seq))
    return _atom(ast.Trace(best[0] if len(best) == 1 else ast.Mul(*best)), ())


def _sum_term(term, rest):
    factors = term.factors
    if len(factors) == 1 and isinstance(factors[0], ast.Hadamard):
        a, b = factors[0].left, factors[0].right
        if len(shape_of(a)) == 1:                   # sum(a .* b) = a'*b for columns
            return _mul(_transpose(canon(a)), canon(b))
    node = to_node(rest)
    backward = to_node(_transpose(rest))
    return _atom(ast.Sum(min(node, backward, key=key)), ())


def _diag_arg(poly):
    """diag(A') = diag(A): the argument in its smaller orientation."""
    node = to_node(poly)
    if len(poly.shape) == 2:
        return min(node, to_node(_transpose(poly)), key=key)
    return node


def _inverse(poly, shape):
    single = _single(poly)
    if single is not None:
        c, term = single
        square = all(len(shape_of(f)) == 2 and as_pair(shape_of(f))[0] == as_pair(shape_of(f))[1]
                     for f in term.factors)
        if square:
            factors = tuple(_invert_atom(f) for f in reversed(term.factors))
            scalars = tuple((a, -e) for a, e in term.scalars)
            t = _finish(scalars, _cancel(factors) if factors else (), shape)
            return Poly({t: 1 / c}, shape)
        inner = ast.Mul(*term.factors) if len(term.factors) > 1 else term.factors[0]
        return Poly({Term(tuple((a, -e) for a, e in term.scalars),
                          (ast.Inverse(inner),)): 1 / c}, shape)
    return _atom(ast.Inverse(to_node(poly)), shape)


def _invert_atom(f):
    if isinstance(f, ast.Inverse):
        return f.arg
    if isinstance(f, ast.Identity):
        return f
    if isinstance(f, ast.Power) and isinstance(f.exponent, ast.Number):
        return ast.Power(_invert_atom(f.base), f.exponent)
    return ast.Inverse(f)


def _determinant(kind, poly):
    single = _single(poly)
    if single is not None and single[0] == 1 and not single[1].scalars and \
            len(single[1].factors) == 1:
        f = single[1].factors[0]
        if isinstance(f, ast.Inverse):                # det(inv(A)) = 1/det(A)
            inner = _determinant(kind, canon(f.arg))
            return _scale(inner, -1) if kind is ast.LogDet else _reciprocal(inner)
    node = to_node(poly)
    return _atom(kind(min(node, transpose_node(node), key=key)), ())


def _function(name, poly, shape):
    arg = to_node(poly)
    if name == "log" and isinstance(arg, ast.Elementwise) and arg.name == "exp":
        return canon(arg.arg)
    if name == "sign" and isinstance(arg, ast.Elementwise) and arg.name == "sign":
        return poly
    value = _constant(poly)
    if value == 0 and name in ("sin", "tan", "tanh", "arcsin", "arctan", "sqrt", "abs",
                               "sign", "relu"):
        return Poly({}, shape) if shape != () else _const(0)
    return _atom(ast.Elementwise(name, arg), shape)


# ----------------------------------------------------------------- back to a tree

_nodes = {}


class session:
    """A context for one top-level operation: the memo tables are emptied at the end (they
    would otherwise keep every node ever simplified alive). Re-entrant."""

    depth = 0

    def __enter__(self):
        session.depth += 1
        return self

    def __exit__(self, *exc):
        session.depth -= 1
        if session.depth == 0:
            for table in (_keys, _transposed, _canon, _nodes):
                table.clear()
        return False


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


def expanded(node):
    """The textbook form: products distributed over sums, like terms collected."""
    return to_node(canon(node))


# ----------------------------------------------------------------- factored form

def factored(node):
    """The cheap form: common factors pulled out of sums, shared subexpressions named."""
    poly = canon(node)
    expanded_root = to_node(poly)
    # the expanded tree's own canonical form is the polynomial it was printed from: seeding
    # it spares a second canonicalization of the whole (often huge) sum
    _canon.setdefault(expanded_root, poly)
    memo = {}
    for n in ast.postorder(expanded_root):
        if isinstance(n, ast.Add):
            memo[n] = _factor_poly(canon(n), memo)
        else:
            memo[n] = n.rebuild([memo[c] for c in n.children])
    return name_shared(memo[expanded_root])


def _factor_poly(poly, memo):
    terms = [(c, Term(tuple((memo.get(a, a), e) for a, e in t.scalars),
                      tuple(memo.get(f, f) for f in t.factors)))
             for t, c in _broadcast_scalars(_ordered(poly.terms.items()))]
    return _factor_terms(terms, poly.shape)


def _factor_terms(terms, shape):
    """Pull common coefficient and scalars, then group by common left or right factors."""
    if not terms:
        return zero(shape)
    if len(terms) == 1:
        c, t = terms[0]
        return _term_node(c, t)
    if all(len(t.factors) == 1 and _is_diagonal(t.factors[0]) for _, t in terms):
        # diag(a) - diag(b) = diag(a - b): one diagonal, never an n x n sum
        inside = [(c, Term(t.scalars, (t.factors[0].arg,))) for c, t in terms]
        n = as_pair(shape)[0]
        return ast.Diag(_factor_terms(inside, (n,)))
    common_c, common_s, terms = _common_scalars(terms)
    body = _common_elementwise(terms, shape)
    if body is None:
        body = _group(terms, shape)
    if common_c == 1 and not common_s:
        return body
    return _term_node(common_c, Term(common_s, ()), (body,))


def _common_elementwise(terms, shape):
    """a .* b - a .* c = a .* (b - c): common factors of elementwise products, pulled out."""
    if shape == () or not all(len(t.factors) == 1 for _, t in terms):
        return None
    monomials = [_monomial(t.factors[0]) for _, t in terms]
    common = dict(monomials[0])
    for mono in monomials[1:]:
        common = {f: (min(e, mono[f]) if e > 0 else max(e, mono[f])) for f, e in common.items()
                  if f in mono and (e > 0) == (mono[f] > 0)}
    if not common:
        return None
    inside = [(c, Term(t.scalars, (_monomial_node(_merge_monomials(
        mono, _scale_monomial(common, -1)), shape),)))
        for (c, t), mono in zip(terms, monomials)]
    return ast.Hadamard(_monomial_node(common, shape), _factor_terms(inside, shape))


def _common_scalars(terms):
    coefficients = [c for c, _ in terms]
    numerator = 0
    for c in coefficients:
        numerator = gcd(numerator, c.numerator)
    denominator = 1
    for c in coefficients:
        denominator = denominator * c.denominator // gcd(denominator, c.denominator)
    common = Fraction(numerator, denominator)
    if all(c < 0 for c in coefficients):
        common = -common
    shared = None
    for _, t in terms:
        exps = dict(t.scalars)
        if shared is None:
            shared = exps
        else:
            shared = {a: (min(e, exps[a]) if e > 0 else max(e, exps[a]))
                      for a, e in shared.items() if a in exps and (e > 0) == (exps[a] > 0)}
    shared = {a: e for a, e in (shared or {}).items() if e}
    common_s = tuple(sorted(shared.items(), key=lambda item: key(item[0])))
    rest = []
    for c, t in terms:
        scalars = _merge_scalars(t.scalars, tuple((a, -e) for a, e in common_s))
        rest.append((c / common, Term(scalars, t.factors)))
    return common, common_s, rest


def _group(terms, shape):
    if len(terms) == 1:
        c, t = terms[0]
        return _term_node(c, t)
    best = None
    for side in (0, -1):
        counts = {}
        for _, t in terms:
            if len(t.factors) >= 2:
                counts[t.factors[side]] = counts.get(t.factors[side], 0) + 1
        for factor, count in counts.items():
            if count >= 2 and (best is None or count > best[0]):
                best = (count, side, factor)
    if best is None:
        terms = [(c, t) for t, c in _broadcast_scalars([(t, c) for c, t in terms])]
        nodes = [_term_node(c, t, first=(i == 0)) for i, (c, t) in enumerate(terms)]
        return ast.Add(*nodes)
    _, side, factor = best
    inside, outside = [], []
    for c, t in terms:
        if len(t.factors) >= 2 and t.factors[side] is factor:
            rest = t.factors[1:] if side == 0 else t.factors[:-1]
            inside.append((c, Term(t.scalars, rest)))
        else:
            outside.append((c, t))
    inner_shape = _rest_shape(factor, shape, side)
    inner = _factor_terms(inside, inner_shape)
    inner_parts = _splice(inner) if not isinstance(inner, ast.Add) else [inner]
    grouped = _mul_node([factor] + inner_parts if side == 0 else inner_parts + [factor])
    if not outside:
        return grouped
    rest = _group(outside, shape)
    if isinstance(rest, ast.Add):
        return ast.Add(grouped, *rest.children)
    if isinstance(rest, ast.Mul) and isinstance(rest.children[0], ast.Neg):
        # a leading '-' of the rest now stands inside the sum: write it as a negation
        rest = ast.Neg(_mul_node([rest.children[0].arg] + list(rest.children[1:])))
    return ast.Add(grouped, rest)


def _rest_shape(factor, shape, side):
    rows, cols = as_pair(shape)
    f_rows, f_cols = as_pair(shape_of(factor))
    return normalize(f_cols, cols) if side == 0 else normalize(rows, f_rows)


# ----------------------------------------------------------------- sharing

TRIVIAL = (ast.Symbol, ast.Number, ast.Identity, ast.Fill)


def _trivial(node):
    if isinstance(node, TRIVIAL):
        return True
    if isinstance(node, (ast.Transpose, ast.Neg)) and isinstance(node.children[0], TRIVIAL):
        return True
    return False


def name_shared(root):
    """Name every nontrivial subexpression used more than once in the DAG: `where`."""
    order = ast.postorder(root)
    uses = {}
    for node in order:
        for child in node.children:
            uses[child] = uses.get(child, 0) + 1
    shared = [n for n in order if uses.get(n, 0) >= 2 and not _trivial(n)
              and n is not root]
    if not shared:
        return root
    taken = {n.name for n in order if isinstance(n, ast.Symbol)}
    names, counter = {}, 0
    for node in shared:
        while f"t{counter}" in taken:
            counter += 1
        names[node] = f"t{counter}"
        counter += 1
    # one pass: a shared node's binding is the node over its children's references
    reference, values = {}, {}
    for n in order:
        rebuilt = n.rebuild([reference[c] for c in n.children])
        if n in names:
            values[n] = rebuilt
            reference[n] = ast.Symbol(names[n], shape_of(n))
        else:
            reference[n] = rebuilt
    return ast.Where(tuple(names[n] for n in shared), reference[root],
                     *(values[n] for n in shared))


def inline(root):
    """Substitute the bindings of a Where (shared nodes stay shared in the DAG)."""
    if not isinstance(root, ast.Where):
        return root
    env = {}
    for name, value in zip(root.names, root.values):
        env[name] = _substitute(value, env)
    return _substitute(root.body, env)


def _substitute(node, env):
    def rule(n):
        if isinstance(n, ast.Symbol) and n.name in env:
            return env[n.name]
        return n
    return ast.transform(node, rule)
