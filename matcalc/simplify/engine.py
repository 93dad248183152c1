"""The canonicalizer's engine: the memoized walk, dispatch by node type, and the rule tables
(the rule modules fill them when imported; this module imports none of them). The memo
tables, here and in `poly` and `order`, hold strong references: `session` empties them."""

from functools import partial

from .. import ast
from ..errors import UnsupportedError
from ..shapes import as_pair, normalize, shape_of
from . import order, poly
from .poly import (ONE, Poly, Term, merge_monomials, merge_scalars, monomial, monomial_node,
                   multiply, to_node)


# Rule tables, each looked up by type (a dict access, never a scan):
CANONICAL = {}      # node type -> rule(node, children's polynomials, shape) -> Poly
TRANSPOSE = {}      # atom type -> rule(atom) -> the canonical node of atom'
INVERSE = {}        # factor type -> rule(factor) -> the canonical node of inv(factor), or None
TRACE = {}          # factor type -> rule(factor) -> the polynomial of tr(factor), or None
ABSORB = {}         # factor type -> rule(factor, the factors to its right) -> factors, or None
NEUTRAL = set()     # factor types dropped from products (I)
ADJACENT_ANY = []   # rules(left, right) -> (scalar atoms, factors) replacing left*right, or None
ADJACENT = {}       # (left type, right type) -> (its own rule, *ADJACENT_ANY)
SUMS = []           # rules(sum) -> the sum rewritten (1 - sigmoid(u) = sigmoid(-u)), in order
SCALARS = []        # rules(a term's scalar atoms) -> them rewritten (exp(s)/(1 + exp(s)))


def register(table, rules):
    """Put each rule into the table under its type (one rule per type: a second is a mistake)."""
    for cls, rule in rules.items():
        assert cls not in table, f"two rules for {cls}"
        table[cls] = rule


def adjacent(rules):
    """(left type, right type) -> the rule for adjacent factors of these types."""
    register(ADJACENT, {pair: (rule, *ADJACENT_ANY) for pair, rule in rules.items()})


def adjacent_any(rule):
    """A rule tried on every pair of adjacent factors, after the pair's own."""
    ADJACENT_ANY.append(rule)
    for pair, rules in ADJACENT.items():
        ADJACENT[pair] = rules + (rule,)
    return rule


# ----------------------------------------------------------------- the memoized walk

_canon = {}
_transposed = {}


def canon(root):
    """The canonical polynomial of a typed node (memoized; iterative over the DAG)."""
    found = _canon.get(root)
    if found is not None:
        return found
    if isinstance(root, ast.Where):
        return canon(ast.inline_where(root))
    for node in ast.postorder(root, known=_canon.__contains__):
        shape = shape_of(node)
        rule = CANONICAL.get(type(node))
        if rule is None:
            raise UnsupportedError(f"cannot simplify {type(node).__name__}")
        _canon[node] = rule(node, [_canon[c] for c in node.children], shape)
    return _canon[root]


def _derivative(node, kids, shape):
    raise UnsupportedError("diff(...) terms are differentiated before simplification")


register(CANONICAL, {ast.Derivative: _derivative})


def seed(node, polynomial):
    """Record polynomial as the canonical form of the node printed from it (spares a walk)."""
    _canon.setdefault(node, polynomial)


def expanded(node):
    """The textbook form: products distributed over sums, like terms collected."""
    return to_node(canon(node))


class session:
    """One top-level operation (re-entrant): at its end the memo tables are emptied, as they
    would otherwise keep every node ever simplified alive."""

    depth = 0

    def __enter__(self):
        session.depth += 1
        return self

    def __exit__(self, *exc):
        session.depth -= 1
        if session.depth == 0:
            order.clear()
            _transposed.clear()
            _canon.clear()
            poly.clear()


# ----------------------------------------------------------------- products of terms

def combine_terms(tp, sp, tq, sq, shape):
    """The product of two terms: scalars merged, adjacent matrix factors rewritten."""
    scalars = merge_scalars(tp.scalars, tq.scalars)
    if sp == () or sq == ():
        factors = tp.factors + tq.factors      # at most one side has matrix factors
    else:
        produced = []
        factors = cancel(tp.factors + tq.factors, produced)
        for atoms in produced:                 # kron(a', B)*kron(b, C) = (a'*b)*kron(B, C)
            scalars = merge_scalars(scalars, atoms)
    return finish_term(scalars, factors, shape)


def finish_term(scalars, factors, shape):
    """A 1 x 1 product becomes a scalar atom; in a column, a factor may absorb the factors to
    its right (ABSORB: diag(v)*u = v .* u); the scalar atoms meet the SCALARS rules."""
    for rule in SCALARS:
        scalars = rule(scalars)
    if factors and shape == ():
        return Term(merge_scalars(scalars, ((scalar_product(factors), ONE),)), ())
    if factors and len(shape) == 1:
        for i, f in enumerate(factors[:-1]):
            rule = ABSORB.get(type(f))
            replaced = rule(f, factors[i + 1:]) if rule is not None else None
            if replaced is not None:
                return Term(scalars, factors[:i] + replaced)
    return Term(scalars, factors)


def cancel(factors, produced=None):
    """The factors with NEUTRAL ones dropped and each adjacent pair offered to its ADJACENT
    rules, left to right. A rewrite that leaves scalar atoms appends them to `produced`, and
    waits without it. All cancelled: I."""
    out = []
    for f in factors:
        if type(f) in NEUTRAL:
            continue
        for rule in ADJACENT.get((type(out[-1]), type(f)), ADJACENT_ANY) if out else ():
            merged = rule(out[-1], f)
            if merged is not None and (produced is not None or not merged[0]):
                out.pop()                       # the first rule that applies replaces both
                out.extend(merged[1])
                if merged[0]:
                    produced.append(merged[0])
                break
        else:
            out.append(f)
    if not out and factors:
        return (ast.Identity(as_pair(shape_of(factors[0]))[0]),)
    return tuple(out)


# p*q, each product of terms normalized by the product rules (a partial: no Python frame
# of its own on the hottest path)
mul = partial(multiply, combine=combine_terms)


def scalar_product(factors):
    """A 1 x 1 product as one scalar atom, in the smaller of its two orientations; u'*v with
    a factor of u cancelling in u .* v is sum(u .* v) (u'*(y ./ u) = sum(y), the softmax
    cross-entropy's)."""
    if len(factors) == 1:
        return factors[0]
    if len(factors) == 2 and len(shape_of(factors[1])) == 1:
        row, column = monomial(transpose_atom(factors[0])), monomial(factors[1])
        if any(-e == column.get(f) for f, e in row.items()):
            merged = merge_monomials(row, column)
            if merged:
                return to_node(canon(ast.Sum(monomial_node(merged, shape_of(factors[1])))))
    forward = ast.Mul(*factors)
    backward = ast.Mul(*(transpose_atom(f) for f in reversed(factors)))
    return min(forward, backward, key=order.key)


# ----------------------------------------------------------------- transposes

def transpose_atom(atom):
    """The canonical transpose of a canonical atom: itself if scalar, by its TRANSPOSE rule,
    else (a sum or product kept whole) through its polynomial."""
    found = _transposed.get(atom)
    if found is not None:
        return found
    if shape_of(atom) == ():
        result = atom
    else:
        rule = TRANSPOSE.get(type(atom))
        result = rule(atom) if rule is not None else transpose_node(atom)
    _transposed[atom] = result
    _transposed.setdefault(result, atom)
    return result


def transpose_node(node):
    """The canonical (expanded) node of node'."""
    return to_node(transpose(canon(node)))


def transpose(polynomial):
    """p' term by term: (c*s*A*B)' = c*s*B'*A', the new neighbours offered to the adjacent
    rules (vec(X)'*kron(B, A) admits none; transposed, kron(B', A')*vec(X) = vec(A'*X*B))."""
    shape = normalize(*reversed(as_pair(polynomial.shape)))
    out = {}
    for term, c in polynomial.terms.items():
        factors = tuple(transpose_atom(f) for f in reversed(term.factors))
        scalars = term.scalars
        if len(factors) > 1:
            produced = []
            factors = cancel(factors, produced)
            for atoms in produced:
                scalars = merge_scalars(scalars, atoms)
        t = finish_term(scalars, factors, shape)
        out[t] = out.get(t, 0) + c
    return Poly({t: c for t, c in out.items() if c}, shape)
