"""Rules for powers: scalar powers merge, a matrix power is one factor or multiplied out."""

from .. import ast
from ..shapes import as_pair, shape_of
from .engine import canon, canonical, join_power, mul, split_power, transpose
from .poly import (ONE, Poly, Term, atom_poly, const, constant_value, rational_power,
                   single_term, to_node)
from .products import inverse


@canonical(ast.Power)
def _power_rule(node, kids, shape):
    """base^exponent (`power`)."""
    return power(kids[0], kids[1], shape)


def power(base, exponent, shape):
    """The canonical polynomial of base^exponent:

        a^0 -> 1;  a^1 -> a;  norm2(v)^2 -> v'*v                    (`norm_squared`)
        (c*a^i*b^j)^k -> c^k*a^(i*k)*b^(j*k)   (k an integer, or every i = 1 and c > 0
                                                with c^k rational; else an atom)
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
        if single is not None and (k.denominator == 1 or all(e == 1 for _, e in single[1].scalars)
                                   and single[0] > 0):
            c, term = single
            scalars = tuple((a, e * k) for a, e in term.scalars)
            coefficient = rational_power(c, k)
            if coefficient is not None:
                return Poly({Term(scalars, ()): coefficient}, ())
        return Poly({Term(((to_node(base), k),), ()): ONE}, ())
    # a square matrix to an integer power: the power of one factor is an atom, A^3 (and a
    # product A*A*A is written so too: products._powers_of_one_matrix); a product or a sum
    # to a small power is multiplied out, to a large one kept whole
    n = as_pair(shape)[0]
    if k == 0:
        return atom_poly(ast.Identity(n), shape)
    if k < 0:
        base = inverse(base, shape)
        k = -k
    if k == 1:
        return base
    single = single_term(base)
    if single is not None and len(single[1].factors) == 1:
        c, term = single
        matrix, e = split_power(term.factors[0])
        scalars = tuple((a, e_a * k) for a, e_a in term.scalars)
        return Poly({Term(scalars, (join_power(matrix, e * int(k)),)): c ** int(k)}, shape)
    if k <= 4:
        acc = base
        for _ in range(int(k) - 1):
            acc = mul(acc, base)
        return acc
    return atom_poly(ast.Power(to_node(base), ast.Number(k)), shape)


def norm_squared(base, k):
    """norm2(v)^2 -> v'*v for a vector v (the form every textbook gradient expects);
    None when base^k is not that."""
    single = single_term(base)
    if k != 2 or single is None or single[0] != 1 or single[1].factors:
        return None
    ((atom, e),) = single[1].scalars if len(single[1].scalars) == 1 else ((None, None),)
    if e != 1 or not isinstance(atom, ast.Norm2) or len(shape_of(atom.arg)) != 1:
        return None
    v = canon(atom.arg)
    return mul(transpose(v), v)
