"""Rules for elementwise products, quotients, powers and functions.

An elementwise product is a monomial (poly.monomial). Elementwise operations stay atoms whose
arguments are canonical: distributing them over sums would grow the size exponentially with
depth. Function facts (inverse pairs, idempotence, values at 0) come from matcalc/registry.py.
"""

from .. import ast, registry
from ..shapes import is_diagonal, shape_of
from .algebra import power, total
from .engine import (ABSORB, CANONICAL, SCALARS, SUMS, TRANSPOSE, adjacent, canon, mul,
                     register, transpose_node)
from .order import key
from .poly import (ONE, Poly, Term, atom_poly, const, constant_value, is_ones, merge_monomials,
                   merge_scalars, monomial, monomial_node, ones, pull_scalars, rational_power,
                   reciprocal, scale, scale_monomial, to_node, with_scalars)


def hadamard(p, q, shape, divide=False):
    """p .* q (or p ./ q): scalars pulled out, the rest one canonical monomial.

        s .* A -> s*A;  A ./ s -> A*s^-1;  s ./ A -> s*A.^-1        (s a scalar)
        0 .* A -> 0;  A ./ 0 -> A ./ 0                             (kept, as written)
        c*s*M .* d*t*N -> c*d*s*t*(M .* N);  x .* x -> x.^2;  x .* y ./ x -> y
    """
    if q.shape == () and divide:
        return mul(p, reciprocal(q))
    if p.shape == () and divide:
        return mul(p, elem_power(q, const(-1), shape))
    if p.shape == () or q.shape == ():
        return mul(p, q) if p.shape == () else mul(q, p)
    if not p.terms or (not q.terms and not divide):
        return Poly({}, shape)
    if not q.terms:
        return atom_poly(ast.ElemDiv(to_node(p), to_node(q)), shape)
    cp, sp, rp = pull_scalars(p)
    cq, sq, rq = pull_scalars(q)
    if divide:
        cq, sq = 1 / cq, tuple((a, -e) for a, e in sq)
    mono = merge_monomials(monomial(to_node(rp)),
                           scale_monomial(monomial(to_node(rq)), -1 if divide else 1))
    return with_scalars(cp * cq, merge_scalars(sp, sq), _monomial_poly(mono, shape))


def _monomial_poly(mono, shape):
    """The polynomial of a monomial: one atom, or a lone factor's own polynomial; or the
    monomial with its sums distributed, where a factor then cancels and the whole shrinks."""
    mono = _logistic(mono)
    node = monomial_node(mono, shape)
    if len(mono) == 1 and next(iter(mono.values())) == 1:
        return canon(node)
    whole = atom_poly(node, shape)
    distributed = _distributed(mono, shape) if _cancels_inside(mono) else None
    if distributed is not None and _size(to_node(distributed)) < _size(node):
        return distributed
    return whole


# ----------------------------------------------------------------- cancelling through sums

MAX_DISTRIBUTED = 32            # terms; past this a monomial keeps its sums whole


def _sums(mono):
    return [f for f, e in mono.items() if e > 0 and e.denominator == 1 and
            isinstance(f, ast.Add)]


def _cancels_inside(mono):
    """Does a sum in the monomial hold a term with a quotient by another of its factors?
    (t1 .* (y ./ t0 + ...) .* t0: distributed, t0 cancels)"""
    for s in _sums(mono):
        for term in canon(s).terms:
            inner = monomial(term.factors[0]) if len(term.factors) == 1 else {}
            if any(e < 0 and mono.get(f, 0) > 0 for f, e in inner.items()):
                return True
    return False


def _distributed(mono, shape):
    """The monomial as a sum of monomials: its sums distributed, those holding quotients
    first (a factor cancels before it is itself expanded: (1 - s) .* (y ./ (1 - s))), or
    None past MAX_DISTRIBUTED terms or where a term is not elementwise.

        (1 - s) .* s .* (-(y ./ s) - (y - 1) ./ (1 - s)) -> s - y
    """
    done, work = {}, [(ONE, (), mono)]
    while work:
        c, scalars, m = work.pop()
        sums = sorted(_sums(m), key=lambda f: not _has_quotient(f))
        if not sums:
            key = (scalars, frozenset(m.items()))
            done[key] = done.get(key, 0) + c
            continue
        chosen = sums[0]
        rest = merge_monomials(m, {chosen: -1})
        for term, c_term in canon(chosen).terms.items():
            if len(term.factors) > 1:                   # a matrix product: not elementwise
                return None
            inner = monomial(term.factors[0]) if term.factors else {}
            work.append((c * c_term, merge_scalars(scalars, term.scalars),
                         merge_monomials(rest, inner)))
        if len(work) + len(done) > MAX_DISTRIBUTED:
            return None
    parts = [with_scalars(c, scalars, ones(shape) if not m else
                          atom_poly(monomial_node(dict(m), shape), shape))
             for (scalars, m), c in done.items() if c]
    return total(parts, shape) if parts else Poly({}, shape)


def _has_quotient(node):
    return any(any(e < 0 for e in monomial(t.factors[0]).values())
               for t in canon(node).terms if len(t.factors) == 1)


def _size(node):
    """The number of nodes of the tree as printed (a shared subtree counted each time)."""
    sizes = {}
    for n in ast.postorder(node):
        sizes[n] = 1 + sum(sizes[c] for c in n.children)
    return sizes[node]


# ----------------------------------------------------------------- the logistic functions

def _exp_sum(node):
    """exp(v) for 1 + exp(v), else None."""
    if not isinstance(node, ast.Add):
        return None
    poly = canon(node)
    if poly.shape == ():                                  # 1 + exp(s), s a scalar
        exps = [a for t in poly.terms for a, e in t.scalars if e == 1 and
                isinstance(a, ast.Elementwise) and a.name == "exp"]
        shapes = sorted(len(t.scalars) for t in poly.terms)
        return exps[0] if len(exps) == 1 and shapes == [0, 1] and \
            all(c == 1 for c in poly.terms.values()) else None
    terms = poly.terms
    if len(terms) != 2 or any(c != 1 or t.scalars or len(t.factors) != 1 for t, c in
                              terms.items()):
        return None
    exps = [t.factors[0] for t in terms if isinstance(t.factors[0], ast.Elementwise) and
            t.factors[0].name == "exp"]
    ones_ = [t for t in terms if is_ones(t.factors[0])]
    return exps[0] if len(exps) == 1 and len(ones_) == 1 else None


def _logistic(mono):
    """The textbook's logistic function, exactly (1/(1 + exp(-v)) is sigmoid(v)):

        exp(v).^k ./ (1 + exp(v)).^k -> sigmoid(v).^k;  1 ./ (1 + exp(v)) -> sigmoid(-v);
        exp(v) .* sigmoid(-v) -> sigmoid(v)       (the two met in either order)
    """
    if not any(e < 0 and isinstance(f, ast.Add) or isinstance(f, ast.Elementwise) and
               f.name == "sigmoid" for f, e in mono.items()):
        return mono
    for factor, e in list(mono.items()):
        exp = _exp_sum(factor) if e < 0 else None
        if exp is not None:
            mono = merge_monomials(mono, {factor: -e, _sigmoid(exp.arg, negated=True): -e})
    for factor, e in list(mono.items()):
        if e > 0 and isinstance(factor, ast.Elementwise) and factor.name == "sigmoid":
            exp = ast.Elementwise("exp", _negated(factor.arg))
            k = min(e, mono.get(exp, 0))
            if k > 0:
                mono = merge_monomials(mono, {factor: -k, exp: -k,
                                              _sigmoid(exp.arg, negated=False): k})
    return mono


def _logistic_sum(poly):
    """sigmoid(v) + sigmoid(-v) = 1 among a sum's terms (exactly: both are terms of one
    logistic function), which makes 1 - sigmoid(u) = sigmoid(-u), shorter and accurate where
    1 - sigmoid(u) rounds to 0:

        c*m .* sigmoid(v) + c*m .* sigmoid(-v) -> c*m;  1 - sigmoid(u) -> sigmoid(-u)
    """
    terms = dict(poly.terms)
    for term in list(terms):
        for partner, rest in _sigmoid_partners(term, poly.shape):
            c = terms.get(term)
            if c is not None and partner in terms and terms[partner] == c:
                del terms[term], terms[partner]
                terms[rest] = terms.get(rest, 0) + c
                if not terms[rest]:
                    del terms[rest]
                break
    if len(terms) == 2 and sorted(terms.values()) == [-1, 1]:
        (one, _), (other, _) = sorted(terms.items(), key=lambda item: -item[1])
        for partner, rest in _sigmoid_partners(other, poly.shape):
            if rest == one:                                  # 1 - sigmoid(u)
                return canon(to_node(Poly({partner: ONE}, poly.shape)))
    return Poly(terms, poly.shape) if len(terms) != len(poly.terms) else poly


def _sigmoid_partners(term, shape):
    """(the term with sigmoid(v) for sigmoid(-v), the term without it) for each sigmoid in
    the term (a scalar atom, or in an elementwise factor)."""
    if shape == ():
        if term.factors:
            return
        for atom, e in term.scalars:
            if e == 1 and isinstance(atom, ast.Elementwise) and atom.name == "sigmoid":
                rest = merge_scalars(term.scalars, ((atom, -1),))
                yield Term(merge_scalars(rest, ((_sigmoid(atom.arg, True), ONE),)), ()), \
                    Term(rest, ())
        return
    for i, factor in enumerate(term.factors):      # X'*(y .* sigmoid(v)): any one factor
        mono = monomial(factor)
        for f, e in mono.items():
            if e == 1 and isinstance(f, ast.Elementwise) and f.name == "sigmoid":
                rest = merge_monomials(mono, {f: -1})
                swapped = merge_monomials(rest, {_sigmoid(f.arg, True): 1})
                yield (Term(term.scalars, _replaced(term.factors, i, swapped)),
                       Term(term.scalars, _replaced(term.factors, i, rest)))


def _replaced(factors, i, mono):
    return factors[:i] + (monomial_node(mono, shape_of(factors[i])),) + factors[i + 1:]


def _logistic_scalars(scalars):
    """The logistic rules (_logistic) on a term's scalar atoms: exp(s)/(1 + exp(s)) is
    sigmoid(s) for a scalar s too."""
    if not any(e < 0 and isinstance(a, ast.Add) or isinstance(a, ast.Elementwise) and
               a.name == "sigmoid" for a, e in scalars):
        return scalars
    rewritten = _logistic(dict(scalars))
    return merge_scalars((), tuple(sorted(rewritten.items(), key=lambda item: key(item[0]))))


def _negated(node):
    return to_node(scale(canon(node), -1))


def _sigmoid(v, negated):
    return ast.Elementwise("sigmoid", _negated(v) if negated else v)


def elem_power(base, exponent, shape):
    """base .^ exponent:

        a.^k -> a^k (a scalar);  A.^0 -> fill(1);  A.^1 -> A
        (c*s*M).^k -> c^k*s^k*M.^k       (c^k rational; M one term: its monomial to the
                                          power k when k is an integer, else an atom)
        (s*M).^k kept whole                (k not an integer)
    """
    k = constant_value(exponent)
    if base.shape == ():
        return power(base, exponent, shape) if k is not None else \
            atom_poly(ast.Power(to_node(base), to_node(exponent)), ())
    if k is None:
        return atom_poly(ast.ElemPower(to_node(base), to_node(exponent)), shape)
    if k == 0:
        return ones(shape)
    if k == 1:
        return base
    c, scalars, rest = pull_scalars(base)
    if k.denominator != 1 and scalars:            # s*M may be positive where s and M are not
        scalars, rest = (), with_scalars(ONE, scalars, rest)
    coefficient = rational_power(c, k)
    if coefficient is None:
        coefficient, scalars, rest = ONE, (), base
    scalars = tuple((a, e * k) for a, e in scalars)
    if k.denominator == 1 and (len(rest.terms) <= 1 or k < 0 and _exp_sum(to_node(rest))):
        mono = scale_monomial(monomial(to_node(rest)), k)
        return with_scalars(coefficient, scalars, _monomial_poly(mono, shape))
    return with_scalars(coefficient, scalars,
                        atom_poly(ast.ElemPower(to_node(rest), ast.Number(k)), shape))


def _function(node, kids, shape):
    """An elementwise function, by the facts of its registry record:

        f(g(u)) -> u        (g = record.inverse: log(exp(u)) -> u)
        f(f(u)) -> f(u)     (record.idempotent: sign, abs, relu)
        f(0) -> f's value   (record.at_zero, exact: exp(0) -> 1)
    """
    name, poly = node.name, kids[0]
    record = registry.ELEMENTWISE[name]
    arg = to_node(poly)
    if isinstance(arg, ast.Elementwise) and arg.name == record.inverse:
        return canon(arg.arg)
    exp = _exp_sum(arg) if name == "log" else None
    if exp is not None:                                   # log(1 + exp(v)) -> softplus(v)
        return atom_poly(ast.Elementwise("softplus", exp.arg), shape)
    if isinstance(arg, ast.Elementwise) and arg.name == name and record.idempotent:
        return poly
    if record.at_zero is not None and constant_value(poly) == 0:
        value = const(record.at_zero)
        return value if shape == () else mul(value, ones(shape))
    return atom_poly(ast.Elementwise(name, arg), shape)


def _transpose(atom):
    """(A .* B ./ C)' -> A' .* B' ./ C';  (A.^k)' -> (A').^k."""
    mono = monomial(atom)
    if len(mono) and all(f is not atom for f in mono):
        return monomial_node({transpose_node(f): e for f, e in mono.items()})
    if isinstance(atom, ast.ElemPower):
        return ast.ElemPower(transpose_node(atom.base), atom.exponent)
    return transpose_node(atom)               # a product kept whole: through its polynomial


def _diagonals(left, right):
    """diag(a)*diag(b) -> diag(a .* b)   (a, b vectors)."""
    if not (is_diagonal(left) and is_diagonal(right)):
        return None
    product = hadamard(canon(left.arg), canon(right.arg), shape_of(right.arg))
    return (), (ast.Diag(to_node(product)),)


def _diagonal_times_column(f, rest):
    """diag(v)*u -> v .* u   (v a vector, u the column to the right)."""
    if len(shape_of(f.arg)) != 1:
        return None
    right = rest[0] if len(rest) == 1 else to_node(canon(ast.Mul(*rest)))
    # vector(1) .* vector(1) is the empty monomial: its shape is the column's
    return (monomial_node(merge_monomials(monomial(f.arg), monomial(right)), shape_of(f.arg)),)


SUMS.append(_logistic_sum)
SCALARS.append(_logistic_scalars)
register(CANONICAL, {
    ast.Hadamard: lambda node, kids, shape: hadamard(kids[0], kids[1], shape),
    ast.ElemDiv: lambda node, kids, shape: hadamard(kids[0], kids[1], shape, divide=True),
    ast.ElemPower: lambda node, kids, shape: elem_power(kids[0], kids[1], shape),
    ast.Elementwise: _function,
})
register(TRANSPOSE, {
    ast.Hadamard: _transpose,
    ast.ElemDiv: _transpose,
    ast.ElemPower: _transpose,
    ast.Elementwise: lambda atom: ast.Elementwise(atom.name, transpose_node(atom.arg)),
})
adjacent({(ast.Diag, ast.Diag): _diagonals})
register(ABSORB, {ast.Diag: _diagonal_times_column})
