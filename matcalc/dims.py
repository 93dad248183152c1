"""Dimensions: integers, names (`n`), and products of them (`n*d`, `2*m`, `n^2`).

A product is a commutative monomial: a positive integer coefficient times names with positive
integer exponents, kept in one normal form so that equal products compare equal however they
were written (`d*n` == `n*d`). Kronecker products and `vec` make them: kron of an m x n and a
p x q matrix is m*p x n*q; vec of an m x n matrix is an m*n-vector.

Every function here takes and returns dimensions in normal form: an `int` when no name is
left, a `Dim` for a single name, a `DimProduct` otherwise.
"""

import re


class Dim(str):
    """A symbolic dimension: a name, equal to that name as a string and hashing like it (str's
    own equality and hash, at C speed). Never equal to a SymPy Symbol, which hashes otherwise:
    SymPy symbols become Dims where they enter (declarations, from_sympy)."""

    __slots__ = ()

    def __repr__(self):
        return f"Dim({str(self)!r})"


class DimProduct:
    """coefficient * name1^e1 * name2^e2 ...: names sorted, exponents >= 1. Like `Dim`, it
    compares equal to its text, the normal form ("d*n", not "n*d"), and hashes like it: equal
    objects hash equal."""

    __slots__ = ("coefficient", "powers", "_hash")

    def __init__(self, coefficient, powers):
        object.__setattr__(self, "coefficient", coefficient)
        object.__setattr__(self, "powers", powers)
        object.__setattr__(self, "_hash", hash(str(self)))

    def __setattr__(self, name, value):
        raise AttributeError("DimProduct is immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        return isinstance(other, DimProduct) and self.coefficient == other.coefficient and \
            self.powers == other.powers

    def __hash__(self):
        return self._hash

    def __str__(self):
        parts = [str(self.coefficient)] if self.coefficient != 1 else []
        parts += [name if e == 1 else f"{name}^{e}" for name, e in self.powers]
        return "*".join(parts)

    def __repr__(self):
        return f"DimProduct({str(self)!r})"

    def __reduce__(self):
        return (DimProduct, (self.coefficient, self.powers))


def factors(dim):
    """(coefficient, {name: exponent}) of any dimension."""
    if isinstance(dim, DimProduct):
        return dim.coefficient, dict(dim.powers)
    if isinstance(dim, int):
        return dim, {}
    return 1, {str(dim): 1}


def _normal(coefficient, powers):
    powers = tuple(sorted((name, e) for name, e in powers.items() if e))
    if not powers:
        return coefficient
    if coefficient == 1 and len(powers) == 1 and powers[0][1] == 1:
        return Dim(powers[0][0])
    return DimProduct(coefficient, powers)


def product(*dims):
    """The product of dimensions, in normal form (n*1 = n, 2*3 = 6, d*n = n*d)."""
    coefficient, powers = 1, {}
    for dim in dims:
        c, p = factors(dim)
        coefficient *= c
        for name, e in p.items():
            powers[name] = powers.get(name, 0) + e
    return _normal(coefficient, powers)


def quotient(dim, divisor):
    """dim / divisor when that is a dimension (a monomial with no negative power), else None."""
    c, p = factors(dim)
    dc, dp = factors(divisor)
    if dc == 0 or c % dc:
        return None
    powers = dict(p)
    for name, e in dp.items():
        if powers.get(name, 0) < e:
            return None
        powers[name] -= e
    return _normal(c // dc, powers)


def names(dim):
    """The names a dimension is made of."""
    return set(factors(dim)[1])


def size(dim, sizes):
    """The integer value of a dimension given sizes of its names, or None if one is missing."""
    coefficient, powers = factors(dim)
    total = coefficient
    for name, e in powers.items():
        if name not in sizes:
            return None
        total *= sizes[name] ** e
    return total


_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_FACTOR = re.compile(rf"\s*(?:(\d+)|({_NAME})(?:\s*\^\s*(\d+))?)\s*")


def from_text(text):
    """'n', '3', 'n*d', '2*n', 'n^2' -> a dimension; None if the text is not one."""
    dims = []
    for piece in text.split("*"):
        match = _FACTOR.fullmatch(piece)
        if match is None:
            return None
        number, name, exponent = match.groups()
        if number is not None:
            if int(number) < 1:
                return None
            dims.append(int(number))
        else:
            dims.extend([Dim(name)] * int(exponent or 1))
    return product(*dims) if dims else None
