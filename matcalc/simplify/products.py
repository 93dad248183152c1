"""Rules for leaves, sums, products, quotients and inverses.

A product distributes over sums; the engine normalizes each product of two terms with the
adjacent-factor rules (registered here: I dropped, powers of one matrix merged; and in the
other rule modules).
"""

from .. import ast
from ..shapes import as_pair, shape_of
from .engine import (adjacent_any, cancel, canonical, finish_term, invert_atom, inverse_of,
                     join_power, mul, neutral, split_power)
from .poly import (Poly, Term, add, atom_poly, const, reciprocal, scale, single_term,
                   to_node)


# ----------------------------------------------------------------- leaves

@canonical(ast.Symbol)
def _symbol(node, kids, shape):
    """x -> x: a symbol is an atom."""
    return atom_poly(node, shape)


@canonical(ast.Number)
def _number(node, kids, shape):
    """c -> c, exact."""
    return const(node.value)


@canonical(ast.Identity)
def _identity(node, kids, shape):
    """I(1) -> 1; I(n) is an atom."""
    return const(1) if shape == () else atom_poly(node, shape)


@canonical(ast.Fill)
def _fill(node, kids, shape):
    """fill(c) -> c*fill(1); fill(0) -> 0."""
    if not kids[0].terms:
        return Poly({}, shape)
    return mul(kids[0], atom_poly(ast.Fill(shape, ast.Number(1)), shape))


# ----------------------------------------------------------------- sums and products

@canonical(ast.Add)
def _sum(node, kids, shape):
    """A + B -> like terms collected (a scalar added to an array is broadcast)."""
    return add(kids, shape)


@canonical(ast.Neg)
def _negation(node, kids, shape):
    """-A -> (-1)*A."""
    return scale(kids[0], -1)


@canonical(ast.Mul)
def _product(node, kids, shape):
    """A*B*C -> distributed, each product of terms normalized (engine.combine_terms)."""
    acc = kids[0]
    for k in kids[1:]:
        acc = mul(acc, k)
    return acc


@canonical(ast.Div)
def _quotient(node, kids, shape):
    """a/b -> a*b^-1."""
    return mul(kids[0], reciprocal(kids[1]))


# I*A -> A, A*I -> A
neutral(ast.Identity)


@adjacent_any
def _powers_of_one_matrix(left, right):
    """A^i*A^j -> A^(i+j): A*A -> A^2, A^2*inv(A) -> A, inv(A)*A -> I (dropped)."""
    base, i = split_power(left)
    other, j = split_power(right)
    if base is not other:
        return None
    return (), ((join_power(base, i + j),) if i + j else ())


# ----------------------------------------------------------------- inverses

@canonical(ast.Inverse)
def _inverse_rule(node, kids, shape):
    """inv(P) of the argument's polynomial P (`inverse`)."""
    return inverse(kids[0], shape)


def inverse(poly, shape):
    """inv(c*s*A*B) -> 1/c*s^-1*inv(B)*inv(A) when every factor is square (each inverted
    by the INVERSE rules, adjacent ones cancelled); inv(c*s*A*B) -> 1/c*s^-1*inv(A*B)
    otherwise; the inverse of a sum is an atom."""
    single = single_term(poly)
    if single is not None:
        c, term = single
        square = all(len(shape_of(f)) == 2 and as_pair(shape_of(f))[0] == as_pair(shape_of(f))[1]
                     for f in term.factors)
        if square:
            factors = tuple(invert_atom(f) for f in reversed(term.factors))
            scalars = tuple((a, -e) for a, e in term.scalars)
            t = finish_term(scalars, cancel(factors) if factors else (), shape)
            return Poly({t: 1 / c}, shape)
        inner = ast.Mul(*term.factors) if len(term.factors) > 1 else term.factors[0]
        return Poly({Term(tuple((a, -e) for a, e in term.scalars),
                          (ast.Inverse(inner),)): 1 / c}, shape)
    return atom_poly(ast.Inverse(to_node(poly)), shape)


@inverse_of(ast.Inverse)
def _inverse_of_inverse(f):
    """inv(inv(A)) -> A."""
    return f.arg


@inverse_of(ast.Identity)
def _inverse_of_identity(f):
    """inv(I) -> I."""
    return f


@inverse_of(ast.Power)
def _inverse_of_power(f):
    """inv(A^k) -> inv(A)^k (a numeric k)."""
    if isinstance(f.exponent, ast.Number):
        return ast.Power(invert_atom(f.base), f.exponent)
    return None
