"""Rules of the matrix algebra: leaves, sums, products, quotients, transposes, inverses and
powers. Products distribute over sums, and the engine normalizes each product of two terms
with the adjacent-factor rules (here: I dropped, powers of one matrix merged)."""

from functools import reduce

from .. import ast
from ..shapes import as_pair, normalize, pair_of, shape_of
from .engine import (CANONICAL, INVERSE, NEUTRAL, SUMS, TRANSPOSE, adjacent_any, cancel, canon,
                     finish_term, mul, register, transpose, transpose_node)
from .poly import (ONE, Poly, Term, add, atom_poly, const, constant_value, merge_scalars,
                   ones, rational_power, reciprocal, scale, single_term, to_node)


# ----------------------------------------------------------------- powers of one matrix

def split_power(factor):
    """A^3 -> (A, 3), inv(A) -> (A, -1), inv(A)^2 -> (A, -2), any other B -> (B, 1)."""
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


@adjacent_any
def _powers_of_one_matrix(left, right):
    """A^i*A^j -> A^(i+j): A*A -> A^2, A^2*inv(A) -> A, inv(A)*A -> I (dropped)."""
    base, i = split_power(left)
    other, j = split_power(right)
    if base is not other:
        return None
    return (), ((join_power(base, i + j),) if i + j else ())


def power(base, exponent, shape):
    """base^exponent:

        a^0 -> 1;  a^1 -> a;  norm2(v)^2 -> v'*v                    (`norm_squared`)
        (c*a^i*b^j)^k -> c^k*a^(i*k)*b^(j*k)   (k an integer, or c > 0 and one scalar
                                                a^1, with c^k rational; else an atom:
                                                (s*t)^(1/2) is not s^(1/2)*t^(1/2) where
                                                both are negative)
        A^0 -> I;  A^1 -> A;  A^-k -> inv(A)^k
        (c*s*B^i)^k -> c^k*s^k*B^(i*k)         (one factor)
        P^k -> P*P*...*P (k <= 4);  P^k an atom past that;  A^x an atom (x symbolic)
    """
    k = constant_value(exponent)
    if k is None:
        return atom_poly(ast.Power(to_node(base), to_node(exponent)), shape)
    if base.shape == ():
        if k == 0:
            return const(1)
        if k == 1:
            return base
        norm = norm_squared(base, k)
        if norm is not None:
            return norm
        single = single_term(base)
        if single is not None and (k.denominator == 1 or single[0] > 0 and
                                   [e for _, e in single[1].scalars] in ([], [1])):
            c, term = single
            coefficient = rational_power(c, k)
            if coefficient is not None:
                return Poly({Term(tuple((a, e * k) for a, e in term.scalars), ()): coefficient},
                            ())
        return Poly({Term(((to_node(base), k),), ()): ONE}, ())
    if k == 0:
        return atom_poly(ast.Identity(as_pair(shape)[0]), shape)
    if k < 0:
        base, k = inverse(base, shape), -k
    if k == 1:
        return base
    single = single_term(base)
    if single is not None and len(single[1].factors) == 1:
        c, term = single
        matrix, e = split_power(term.factors[0])
        scalars = tuple((a, e_a * k) for a, e_a in term.scalars)
        return Poly({Term(scalars, (join_power(matrix, e * int(k)),)): c ** int(k)}, shape)
    if k <= 4:
        return reduce(mul, [base] * (int(k) - 1), base)
    return atom_poly(ast.Power(to_node(base), ast.Number(k)), shape)


def norm_squared(base, k):
    """norm2(v)^2 -> v'*v for a vector v (the form every textbook gradient expects), else
    None."""
    single = single_term(base)
    if k != 2 or single is None or single[0] != 1 or single[1].factors:
        return None
    ((atom, e),) = single[1].scalars if len(single[1].scalars) == 1 else ((None, None),)
    if e != 1 or not isinstance(atom, ast.Norm2) or len(shape_of(atom.arg)) != 1:
        return None
    v = canon(atom.arg)
    return mul(transpose(v), v)


# ----------------------------------------------------------------- inverses

def invert_atom(f):
    """The canonical inverse of one square factor (its INVERSE rule, else inv(f))."""
    rule = INVERSE.get(type(f))
    inverse = rule(f) if rule is not None else None
    return inverse if inverse is not None else ast.Inverse(f)


def inverse(poly, shape):
    """inv(c*s*A*B) -> 1/c*s^-1*inv(B)*inv(A) when every factor is square (each inverted by
    invert_atom, adjacent ones cancelled), else 1/c*s^-1*inv(A*B); inv(A + B) is an atom."""
    single = single_term(poly)
    if single is None:
        return atom_poly(ast.Inverse(to_node(poly)), shape)
    c, term = single
    scalars = tuple((a, -e) for a, e in term.scalars)
    if all(len(shape_of(f)) == 2 and pair_of(f)[0] == pair_of(f)[1] for f in term.factors):
        factors = tuple(invert_atom(f) for f in reversed(term.factors))
        return Poly({finish_term(scalars, cancel(factors) if factors else (), shape): 1 / c},
                    shape)
    inner = ast.Mul(*term.factors) if len(term.factors) > 1 else term.factors[0]
    return Poly({Term(scalars, (ast.Inverse(inner),)): 1 / c}, shape)


# ----------------------------------------------------------------- products

def product(kids, shape):
    """A*B*...: distributed over sums, after inv(M)*(M*R) -> R and (R*M)*inv(M) -> R for a
    sum M and one term R (distributed first, inv(S + S')*(S + S')*x would become
    inv(S + S')*S*x + inv(S + S')*S'*x, where no adjacent pair cancels; a single-term M
    cancels in the adjacent-factor rules)."""
    kids = list(kids)
    k = 0
    while k + 1 < len(kids):
        left, right = kids[k], kids[k + 1]
        replaced = _cancelled(left, right, True) or _cancelled(right, left, False)
        if replaced is None:
            k += 1
        else:
            kids[k:k + 2] = [replaced]
    return reduce(mul, kids)


def _cancelled(inverted, other, on_the_left):
    """c*s*R for c*s*inv(M) times other = M*R (inverse on the left) or R*M, M a sum."""
    single = single_term(inverted)
    if single is None or len(single[1].factors) != 1 or \
            not isinstance(single[1].factors[0], ast.Inverse):
        return None
    c, term = single
    m = canon(term.factors[0].arg)
    if len(m.terms) < 2:
        return None
    quotient = _divided(other, m, on_the_left)
    return None if quotient is None else mul(Poly({Term(term.scalars, ()): c}, ()), quotient)


def _divided(q, m, on_the_left):
    """R, one term, with q = M*R (on_the_left) or q = R*M, else None."""
    (tm, cm), = list(m.terms.items())[:1]
    n = len(tm.factors)
    rows, columns = as_pair(q.shape)
    shape = normalize(as_pair(m.shape)[1], columns) if on_the_left else \
        normalize(rows, as_pair(m.shape)[0])
    for tq, cq in q.terms.items():
        if len(tq.factors) < n or (tq.factors[:n] if on_the_left else
                                   tq.factors[len(tq.factors) - n:]) != tm.factors:
            continue
        rest = tq.factors[n:] if on_the_left else tq.factors[:len(tq.factors) - n]
        if not rest and shape != ():
            rest = (ast.Identity(as_pair(shape)[0]),)
        scalars = merge_scalars(tq.scalars, tuple((a, -e) for a, e in tm.scalars))
        r = Poly({Term(scalars, rest): cq / cm}, shape)
        if (mul(m, r) if on_the_left else mul(r, m)) == q:
            return r
        return None
    return None


def total(kids, shape):
    """A + B + ...: like terms collected, then the rules for sums (engine.SUMS)."""
    result = add(kids, shape)
    for rule in SUMS:
        if len(result.terms) > 1:
            result = rule(result)
    return result


# ----------------------------------------------------------------- the rules by node type

NEUTRAL.add(ast.Identity)                           # I*A -> A, A*I -> A

register(CANONICAL, {
    ast.Symbol: lambda node, kids, shape: atom_poly(node, shape),          # x -> x, an atom
    ast.Number: lambda node, kids, shape: const(node.value),               # c -> c, exact
    # I(1) -> 1; I(n) is an atom
    ast.Identity: lambda node, kids, shape: const(1) if shape == () else atom_poly(node, shape),
    ast.Fill: lambda node, kids, shape: mul(kids[0], ones(shape)),         # fill(c) -> c*fill(1)
    # A + B -> like terms collected; a scalar added to an array is broadcast
    ast.Add: lambda node, kids, shape: total(kids, shape),
    ast.Neg: lambda node, kids, shape: scale(kids[0], -1),                 # -A -> (-1)*A
    ast.Mul: lambda node, kids, shape: product(kids, shape),               # distributed
    ast.Div: lambda node, kids, shape: mul(kids[0], reciprocal(kids[1])),  # a/b -> a*b^-1
    ast.Transpose: lambda node, kids, shape: transpose(kids[0]),           # term by term
    ast.Inverse: lambda node, kids, shape: inverse(kids[0], shape),
    ast.Power: lambda node, kids, shape: power(kids[0], kids[1], shape),
})
register(TRANSPOSE, {
    # S' -> S for a symmetric S; else S' is an atom
    ast.Symbol: lambda atom: atom if atom.symmetric else ast.Transpose(atom),
    ast.Identity: lambda atom: atom,                                             # I' -> I
    ast.Transpose: lambda atom: atom.arg,                                        # (A')' -> A
    ast.Fill: lambda atom: ast.Fill(normalize(*reversed(as_pair(atom.shape))), atom.value),
    ast.Inverse: lambda atom: ast.Inverse(transpose_node(atom.arg)),     # inv(A)' -> inv(A')
    ast.Power: lambda atom: ast.Power(transpose_node(atom.base), atom.exponent),  # (A')^k
})
register(INVERSE, {
    ast.Inverse: lambda f: f.arg,                   # inv(inv(A)) -> A
    ast.Identity: lambda f: f,                      # inv(I) -> I
    # inv(A^k) -> inv(A)^k (a numeric k)
    ast.Power: lambda f: ast.Power(invert_atom(f.base), f.exponent) if isinstance(
        f.exponent, ast.Number) else None,
})
