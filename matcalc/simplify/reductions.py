"""Rules for reductions: traces, sums, diagonals, determinants, norms, softmax, logsumexp.

The linear ones (tr, sum, diag) apply term by term, coefficients and scalar atoms pulled
out; each result is an atom whose argument is written in one chosen orientation (the
smaller in the order of `order`), so that tr(A') and tr(A) are one atom.
"""

from .. import ast
from ..shapes import as_pair, shape_of
from .engine import (TRACE, canon, canonical, mul, scalar_product, transpose, transpose_atom,
                     transpose_node, transpose_of)
from .order import key
from .poly import (ONE, Poly, Term, add, atom_poly, const, reciprocal, scale, single_term,
                   to_node, with_scalars)


def _linear(poly, shape, term_rule):
    """Apply a linear function term by term, coefficients and scalar atoms pulled out."""
    parts = []
    for term, c in poly.terms.items():
        rest = Poly({Term((), term.factors): ONE}, poly.shape)
        if term.factors:
            part = term_rule(term, rest)
        else:
            part = term_rule(term, rest) if poly.shape != () else const(1)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


# ----------------------------------------------------------------- traces

@canonical(ast.Trace)
def _trace(node, kids, shape):
    """tr(P): linear, term by term (`_trace_term`)."""
    return _linear(kids[0], (), _trace_term)


def _trace_term(term, rest):
    """tr(A*B*C) of one term's factors: the TRACE rule of a lone factor, else the
    smallest rotation (of the factors or of their transposes reversed)."""
    factors = term.factors
    if len(factors) == 1:
        rule = TRACE.get(type(factors[0]))
        if rule is not None:
            split = rule(factors[0])
            if split is not None:
                return split
    candidates = []
    for sequence in (factors, tuple(transpose_atom(f) for f in reversed(factors))):
        for i in range(len(sequence)):
            rotated = sequence[i:] + sequence[:i]
            if shape_of(rotated[0]) and as_pair(shape_of(rotated[0]))[0] == 1:
                return atom_poly(scalar_product(rotated), ())      # tr(x*y') = y'*x
            candidates.append(rotated)
    best = min(candidates, key=lambda seq: tuple(key(f) for f in seq))
    return atom_poly(ast.Trace(best[0] if len(best) == 1 else ast.Mul(*best)), ())


# ----------------------------------------------------------------- sums and diagonals

@canonical(ast.Sum)
def _sum(node, kids, shape):
    """sum(a) -> a; sum(P): linear, term by term (`_sum_term`)."""
    if kids[0].shape == ():
        return kids[0]
    return _linear(kids[0], (), _sum_term)


def _sum_term(term, rest):
    """sum(a .* b) -> a'*b for columns; else sum(A) with A in its smaller orientation."""
    factors = term.factors
    if len(factors) == 1 and isinstance(factors[0], ast.Hadamard):
        a, b = factors[0].left, factors[0].right
        if len(shape_of(a)) == 1:                   # sum(a .* b) = a'*b for columns
            return mul(transpose(canon(a)), canon(b))
    node = to_node(rest)
    backward = to_node(transpose(rest))
    return atom_poly(ast.Sum(min(node, backward, key=key)), ())


@canonical(ast.Diag)
def _diag(node, kids, shape):
    """diag(a) -> a; diag(P): linear, term by term, the argument in its smaller
    orientation (diag(A') = diag(A))."""
    if kids[0].shape == ():
        return kids[0]
    return _linear(kids[0], shape, lambda term, p: atom_poly(ast.Diag(_diag_arg(p)), shape))


def _diag_arg(poly):
    node = to_node(poly)
    if len(poly.shape) == 2:
        return min(node, to_node(transpose(poly)), key=key)
    return node


@transpose_of(ast.Diag)
def _transpose_diag(atom):
    """diag(v)' -> diag(v) (v a vector: diagonal, symmetric); diag(A)' is a row, an atom."""
    if len(shape_of(atom.arg)) == 1:
        return atom
    return ast.Transpose(atom)


# ----------------------------------------------------------------- determinants

@canonical(ast.Det, ast.LogDet)
def _determinant_rule(node, kids, shape):
    """det(P), logdet(P) (`_determinant`)."""
    return _determinant(type(node), kids[0])


def _determinant(kind, poly):
    """det(inv(A)) -> 1/det(A), logdet(inv(A)) -> -logdet(A); else det(A) with A in its
    smaller orientation (det(A') = det(A))."""
    single = single_term(poly)
    if single is not None and single[0] == 1 and not single[1].scalars and \
            len(single[1].factors) == 1:
        f = single[1].factors[0]
        if isinstance(f, ast.Inverse):                # det(inv(A)) = 1/det(A)
            inner = _determinant(kind, canon(f.arg))
            return scale(inner, -1) if kind is ast.LogDet else reciprocal(inner)
    node = to_node(poly)
    return atom_poly(kind(min(node, transpose_node(node), key=key)), ())


# ----------------------------------------------------------------- norms

@canonical(ast.Norm1, ast.Norm2)
def _norm(node, kids, shape):
    """norm(a) -> abs(a) (a scalar); norm(A) with A in its smaller orientation
    (norm(A') = norm(A))."""
    if kids[0].shape == ():
        return atom_poly(ast.Elementwise("abs", to_node(kids[0])), ())
    arg = to_node(kids[0])
    return atom_poly(type(node)(min(arg, to_node(transpose(kids[0])), key=key)), ())


# ----------------------------------------------------------------- softmax and logsumexp

@canonical(ast.Softmax)
def _softmax(node, kids, shape):
    """softmax(a) -> 1 (a scalar); else an atom."""
    return const(1) if shape == () else atom_poly(ast.Softmax(to_node(kids[0])), shape)


@canonical(ast.LogSumExp)
def _logsumexp(node, kids, shape):
    """logsumexp(a) -> a (a scalar); else an atom."""
    return kids[0] if kids[0].shape == () else atom_poly(ast.LogSumExp(to_node(kids[0])), ())


@transpose_of(ast.Softmax)
def _transpose_softmax(atom):
    """softmax(x)' is an atom (a column with no structure)."""
    return ast.Transpose(atom)
