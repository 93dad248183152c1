"""The canonicalizer's engine: the memoized walk, dispatch by node type, and the rule tables.

`canon(node)` is the canonical polynomial of a typed node: one walk over the DAG, children
first, each node's polynomial built by the rule registered for its type from its children's
polynomials. The rules live in the rule modules (products, transposes, powers,
elementwise, reductions, kronecker); each registers into the tables below when imported,
and this module imports none of them.

The tables, each looked up by type (a dict access, never a scan):

    CANONICAL    node type -> rule(node, children's polynomials, shape) -> Poly
    TRANSPOSE    atom type -> rule(atom) -> the canonical node of atom'
    INVERSE      factor type -> rule(factor) -> the canonical node of inv(factor), or None
    TRACE        factor type -> rule(factor) -> the polynomial of tr(factor), or None
    NEUTRAL      factor types dropped from products (I)
    ADJACENT     (left type, right type) -> rules(left, right) -> (scalar atoms, factors)
                 that replace the adjacent pair left*right, or None: the pair's own rule,
                 then the ADJACENT_ANY ones (tried on every pair)
    ABSORB       factor type -> rule(factor, the factors to its right) -> the factors that
                 replace them in a column, or None

The memo tables (canonical polynomials, transposes, and those of `poly` and `order`) hold
strong references: `session` empties them at the end of each top-level operation.
"""

from functools import partial

from .. import ast
from ..errors import UnsupportedError
from ..shapes import as_pair, normalize, shape_of
from . import order, poly
from .poly import ONE, Poly, Term, merge_scalars, multiply, to_node
from .sharing import inline


CANONICAL = {}
TRANSPOSE = {}
INVERSE = {}
TRACE = {}
NEUTRAL = set()
ADJACENT = {}             # (left type, right type) -> (its rule, *ADJACENT_ANY)
ADJACENT_ANY = []         # rules for every pair of factors, tried after the typed one
ABSORB = {}
_ADJACENT_TYPED = {}      # (left type, right type) -> the one rule for that pair of types


# ----------------------------------------------------------------- registration

def _registrar(table, what):
    """A decorator factory: @registrar(Type, ...) puts the rule in the table for each type
    (one rule per type: a second is a mistake, caught at import)."""
    def registrar(*types):
        def register(rule):
            for cls in types:
                assert cls not in table, f"two {what} rules for {cls.__name__}"
                table[cls] = rule
            return rule
        return register
    return registrar


canonical = _registrar(CANONICAL, "canonical")      # rule(node, kids, shape) -> Poly
transpose_of = _registrar(TRANSPOSE, "transpose")   # rule(atom) -> node
inverse_of = _registrar(INVERSE, "inverse")         # rule(factor) -> node or None
trace_of = _registrar(TRACE, "trace")               # rule(factor) -> Poly or None
absorbs = _registrar(ABSORB, "absorb")              # rule(factor, rest) -> factors or None


def neutral(*types):
    """Factors of these types are dropped from products (A*I = I*A = A)."""
    NEUTRAL.update(types)


def adjacent(left_types, right_types):
    """Register the rule for adjacent factors left*right of these types:
    rule(left, right) -> (scalar atoms, factors) replacing the pair, or None."""
    def register(rule):
        for left in left_types:
            for right in right_types:
                assert (left, right) not in _ADJACENT_TYPED, \
                    f"two rules for {left.__name__}*{right.__name__}"
                _ADJACENT_TYPED[left, right] = rule
        _rebuild_adjacent()
        return rule
    return register


def adjacent_any(rule):
    """Register a rule tried on every pair of adjacent factors (after the typed one)."""
    ADJACENT_ANY.append(rule)
    _rebuild_adjacent()
    return rule


def _rebuild_adjacent():
    # one dict access per pair finds every rule to try, in order
    ADJACENT.clear()
    ADJACENT.update({pair: (rule, *ADJACENT_ANY) for pair, rule in _ADJACENT_TYPED.items()})


# ----------------------------------------------------------------- the memoized walk

_canon = {}
_transposed = {}


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


def _rule(node):
    shape = shape_of(node)
    kids = [canon(c) for c in node.children]
    rule = CANONICAL.get(type(node))
    if rule is None:
        raise UnsupportedError(f"cannot simplify {type(node).__name__}")
    return rule(node, kids, shape)


@canonical(ast.Derivative)
def _derivative(node, kids, shape):
    """diff(...) is not an expression to simplify: the API differentiates it first."""
    raise UnsupportedError("diff(...) terms are differentiated before simplification")


def seed(node, polynomial):
    """Record polynomial as node's canonical form (a tree printed from that polynomial:
    canonicalizing it again would give it back, at the cost of a walk)."""
    _canon.setdefault(node, polynomial)


def expanded(node):
    """The textbook form: products distributed over sums, like terms collected."""
    return to_node(canon(node))


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
            order.clear()
            _transposed.clear()
            _canon.clear()
            poly.clear()
        return False


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
    """Normalize a term: a 1 x 1 product becomes a scalar atom; in a column, a factor may
    absorb the factors to its right (ABSORB: diag(v)*u = v .* u)."""
    if factors and shape == ():
        scalars = merge_scalars(scalars, ((scalar_product(factors), ONE),))
        factors = ()
    elif factors and len(shape) == 1:
        factors = _absorb(factors)
    return Term(scalars, factors)


def _absorb(factors):
    for i, f in enumerate(factors[:-1]):
        rule = ABSORB.get(type(f))
        if rule is not None:
            replaced = rule(f, factors[i + 1:])
            if replaced is not None:
                return factors[:i] + replaced
    return factors


def cancel(factors, produced=None):
    """The factors of a product with the product rules applied left to right: NEUTRAL
    factors dropped, each adjacent pair offered to its ADJACENT rules. The scalar atoms a
    rule leaves go to `produced`; without it, such rewrites wait. All cancelled: I."""
    out = []
    for f in factors:
        if type(f) in NEUTRAL:
            continue
        merged = None
        if out:
            left = out[-1]
            for rule in ADJACENT.get((type(left), type(f)), ADJACENT_ANY):
                merged = rule(left, f)
                if merged is not None and (produced is not None or not merged[0]):
                    break
                merged = None
        if merged is None:
            out.append(f)
            continue
        out.pop()                               # the first rule that applies replaces both
        out.extend(merged[1])
        if merged[0]:
            produced.append(merged[0])
    if not out and factors:
        first = factors[0]
        n = as_pair(shape_of(first))[0]
        return (ast.Identity(n),)
    return tuple(out)


# p*q, each product of terms normalized by the product rules (a partial: no Python frame
# of its own on the hottest path)
mul = partial(multiply, combine=combine_terms)


def scalar_product(factors):
    """A 1 x 1 product as one scalar atom, in the smaller of its two orientations."""
    if len(factors) == 1:
        return factors[0]
    forward = ast.Mul(*factors)
    backward = ast.Mul(*(transpose_atom(f) for f in reversed(factors)))
    return min(forward, backward, key=order.key)


# ----------------------------------------------------------------- powers of one matrix

def split_power(factor):
    """(matrix, integer exponent) of a factor: A^3 -> (A, 3), inv(A) -> (A, -1),
    inv(A)^2 -> (A, -2), anything else -> (itself, 1)."""
    exponent = 1
    if isinstance(factor, ast.Power) and isinstance(factor.exponent, ast.Number) and \
            factor.exponent.value.denominator == 1 and shape_of(factor) != ():
        exponent, factor = int(factor.exponent.value), factor.base
    if isinstance(factor, ast.Inverse) and shape_of(factor) != ():
        exponent, factor = -exponent, factor.arg
    return factor, exponent


def join_power(base, exponent):
    """The canonical factor base^exponent (exponent != 0)."""
    if exponent < 0:
        base, exponent = invert_atom(base), -exponent
    return base if exponent == 1 else ast.Power(base, ast.Number(exponent))


def invert_atom(f):
    """The canonical inverse of one square factor (INVERSE rules, else inv(f))."""
    rule = INVERSE.get(type(f))
    if rule is not None:
        inverse = rule(f)
        if inverse is not None:
            return inverse
    return ast.Inverse(f)


# ----------------------------------------------------------------- transposes

def transpose_atom(atom):
    """The canonical transpose of a canonical atom (transposes end at the leaves).

    A scalar atom is its own transpose; an atom of a type with a TRANSPOSE rule takes it;
    any other (a sum or product kept whole as an atom) is transposed as a polynomial.
    """
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
    """p' term by term: (c*s*A*B)' = c*s*B'*A'."""
    shape = normalize(*reversed(as_pair(polynomial.shape)))
    out = {}
    for term, c in polynomial.terms.items():
        factors = tuple(transpose_atom(f) for f in reversed(term.factors))
        t = finish_term(term.scalars, factors, shape)
        out[t] = out.get(t, 0) + c
    return Poly({t: c for t, c in out.items() if c}, shape)
