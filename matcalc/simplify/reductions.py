"""Rules for reductions: traces, sums, diagonals, determinants, norms, softmax, logsumexp.

The linear ones (tr, sum, diag) apply term by term, coefficients and scalar atoms pulled out.
An atom whose value is the same for its argument transposed (tr, sum, diag, det, norm) takes
the argument in the smaller orientation in the order of `order`: tr(A') and tr(A) are one.
"""

from .. import ast
from ..shapes import as_pair, shape_of
from .engine import (CANONICAL, TRACE, TRANSPOSE, canon, mul, register, scalar_product,
                     transpose, transpose_atom, transpose_node)
from .order import key
from .poly import (ONE, Poly, Term, add, atom_poly, const, monomial, monomial_node, reciprocal,
                   scale, single_term, to_node, with_scalars)


def _linear(poly, shape, term_rule):
    """A linear function applied term by term: term_rule(term, its matrix factors as a
    polynomial); a constant's trace or sum is itself."""
    parts = []
    for term, c in poly.terms.items():
        if term.factors or poly.shape != ():
            part = term_rule(term, Poly({Term((), term.factors): ONE}, poly.shape))
        else:
            part = const(1)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


def _smaller(poly):
    """The node of p or p', the smaller in the order of `order`."""
    return min(to_node(poly), to_node(transpose(poly)), key=key)


def _trace_term(term, rest):
    """tr(A) by the TRACE rule of a lone factor, else the smallest rotation of the factors or
    of their transposes reversed: tr(A*B*C) = tr(C*A*B) = tr(C'*B'*A'), tr(x*y') = y'*x."""
    factors = term.factors
    if len(factors) == 1 and type(factors[0]) in TRACE:
        split = TRACE[type(factors[0])](factors[0])
        if split is not None:
            return split
    candidates = []
    for sequence in (factors, tuple(transpose_atom(f) for f in reversed(factors))):
        for i in range(len(sequence)):
            rotated = sequence[i:] + sequence[:i]
            if shape_of(rotated[0]) and as_pair(shape_of(rotated[0]))[0] == 1:
                return atom_poly(scalar_product(rotated), ())
            candidates.append(rotated)
    best = min(candidates, key=lambda seq: tuple(key(f) for f in seq))
    return atom_poly(ast.Trace(best[0] if len(best) == 1 else ast.Mul(*best)), ())


def _sum_term(term, rest):
    """sum(a .* b) -> a'*b for columns; sum(A .* I) -> tr(A); else sum(A) with A in its
    smaller orientation."""
    factors = term.factors
    if len(factors) == 1 and isinstance(factors[0], ast.Hadamard):
        a, b = factors[0].left, factors[0].right
        if len(shape_of(a)) == 1:
            return mul(transpose(canon(a)), canon(b))
        mono = monomial(factors[0])
        identity = next((f for f, e in mono.items() if isinstance(f, ast.Identity) and e == 1),
                        None)
        if identity is not None:
            del mono[identity]
            return _linear(canon(monomial_node(mono)), (), _trace_term)
    return atom_poly(ast.Sum(_smaller(rest)), ())


def _diag(node, kids, shape):
    """diag(a) -> a (a scalar); else linear, diag(A') = diag(A)."""
    if kids[0].shape == ():
        return kids[0]
    return _linear(kids[0], shape, lambda term, p: atom_poly(
        ast.Diag(_smaller(p) if len(p.shape) == 2 else to_node(p)), shape))


def _determinant(kind, poly):
    """det(inv(A)) -> 1/det(A), logdet(inv(A)) -> -logdet(A); det(A') = det(A)."""
    single = single_term(poly)
    if single is not None and single[0] == 1 and not single[1].scalars and \
            len(single[1].factors) == 1 and isinstance(single[1].factors[0], ast.Inverse):
        inner = _determinant(kind, canon(single[1].factors[0].arg))
        return scale(inner, -1) if kind is ast.LogDet else reciprocal(inner)
    node = to_node(poly)
    return atom_poly(kind(min(node, transpose_node(node), key=key)), ())


def _norm(node, kids, shape):
    """norm(a) -> abs(a) (a scalar); norm(A') = norm(A)."""
    if kids[0].shape == ():
        return atom_poly(ast.Elementwise("abs", to_node(kids[0])), ())
    return atom_poly(type(node)(_smaller(kids[0])), ())


register(CANONICAL, {
    ast.Trace: lambda node, kids, shape: _linear(kids[0], (), _trace_term),
    # sum(a) -> a (a scalar); else linear
    ast.Sum: lambda node, kids, shape: kids[0] if kids[0].shape == () else _linear(
        kids[0], (), _sum_term),
    ast.Diag: _diag,
    ast.Det: lambda node, kids, shape: _determinant(ast.Det, kids[0]),
    ast.LogDet: lambda node, kids, shape: _determinant(ast.LogDet, kids[0]),
    ast.Norm1: _norm,
    ast.Norm2: _norm,
    # softmax(a) -> 1 and logsumexp(a) -> a (a scalar); else atoms
    ast.Softmax: lambda node, kids, shape: const(1) if shape == () else atom_poly(
        ast.Softmax(to_node(kids[0])), shape),
    ast.LogSumExp: lambda node, kids, shape: kids[0] if kids[0].shape == () else atom_poly(
        ast.LogSumExp(to_node(kids[0])), ()),
})
register(TRANSPOSE, {
    # diag(v)' -> diag(v) (v a vector: diagonal, symmetric); diag(A)' is a row, an atom
    ast.Diag: lambda atom: atom if len(shape_of(atom.arg)) == 1 else ast.Transpose(atom),
    ast.Softmax: ast.Transpose,        # softmax(x)' is an atom (a column with no structure)
})
