"""Rules for Kronecker products, vec, unvec and commutation matrices.

Each keeps shape and value (A is m x n, B p x q):

    kron(c*A + D, B)        -> c*kron(A, B) + kron(D, B)        bilinear, scalars pulled out
    kron(s, B)              -> s*B                               a 1 x 1 side scales
    kron(a, b')             -> a*b'  (columns a, b)             an outer product
    kron(I(m), I(n))        -> I(m*n)
    kron(A, B)'             -> kron(A', B')
    inv(kron(A, B))         -> kron(inv(A), inv(B))            (square A, B)
    tr(kron(A, B))          -> tr(A)*tr(B)                     (square A, B)
    kron(A, B)*kron(C, D)   -> kron(A*C, B*D)                  (when A*C and B*D are defined)
    kron(A, B)*vec(C)       -> vec(B*C*A')                     (when B*C*A' is defined)
    vec(c*A + D)            -> c*vec(A) + vec(D);  vec(x) -> x;  vec(x') -> x
    vec(a*b')               -> kron(b, a)
    vec(A)'                 -> an atom (a row)
    unvec(vec(A), m, n)     -> A;   unvec(kron(b, a), m, n) -> a*b'
    commutation(m, 1)       -> I(m);  commutation(m, n)' -> commutation(n, m)
    inv(commutation(m, n))  -> commutation(n, m)               (a permutation: K^-1 = K')
    commutation(m, n)*commutation(n, m) -> I(m*n)
    commutation(p, m)*kron(A, B) -> kron(B, A)*commutation(q, n)
"""

from .. import ast, dims
from ..shapes import as_pair, shape_of
from .engine import (adjacent, canon, canonical, inverse_of, mul, trace_of, transpose,
                     transpose_atom, transpose_node, transpose_of)
from .poly import (ONE, Poly, Term, add, atom_poly, const, merge_scalars, single_term,
                   to_node, with_scalars)


def _node(factors, shape):
    """The product of a term's matrix factors as one canonical node."""
    return to_node(Poly({Term((), tuple(factors)): ONE}, shape))


def _column(shape):
    return len(shape) == 1


def _row(shape):
    return len(shape) == 2 and shape[0] == 1


# ----------------------------------------------------------------- kron

@canonical(ast.Kron)
def _kron_rule(node, kids, shape):
    """kron(P, Q) (`_kron`)."""
    return _kron(kids[0], kids[1], shape)


def _kron(p, q, shape):
    """The canonical polynomial of kron(p, q): bilinear, term by term."""
    if p.shape == () or q.shape == ():
        return mul(p, q)
    parts = []
    for ta, ca in p.terms.items():
        for tb, cb in q.terms.items():
            part = _kron_term(_node(ta.factors, p.shape), _node(tb.factors, q.shape), shape)
            parts.append(with_scalars(ca * cb, merge_scalars(ta.scalars, tb.scalars), part))
    return add(parts, shape)


def _kron_term(a, b, shape):
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(a, ast.Identity) and isinstance(b, ast.Identity):
        return atom_poly(ast.Identity(dims.product(a.n, b.n)), shape)
    if _column(sa) and _row(sb):
        return canon(ast.Mul(a, b))
    if _row(sa) and _column(sb):
        return canon(ast.Mul(b, a))
    return atom_poly(ast.Kron(a, b), shape)


@transpose_of(ast.Kron)
def _transpose_kron(atom):
    """kron(A, B)' -> kron(A', B')."""
    return ast.Kron(transpose_node(atom.left), transpose_node(atom.right))


@inverse_of(ast.Kron)
def _invert_kron(atom):
    """inv(kron(A, B)) -> kron(inv(A), inv(B)) when A and B are square; else None."""
    for side in (atom.left, atom.right):
        rows, cols = as_pair(shape_of(side))
        if rows != cols:
            return None
    inverse = [to_node(canon(ast.Inverse(side))) for side in (atom.left, atom.right)]
    return ast.Kron(*inverse)


@trace_of(ast.Kron)
def _trace_kron(atom):
    """tr(kron(A, B)) -> tr(A)*tr(B) for square A and B; else None."""
    if _invert_kron(atom) is None:
        return None
    return mul(canon(ast.Trace(atom.left)), canon(ast.Trace(atom.right)))


# ----------------------------------------------------------------- vec and unvec

@canonical(ast.Vec)
def _vec(node, kids, shape):
    """vec(P): linear, term by term; a column is its own vec."""
    p = kids[0]
    if len(p.shape) <= 1:
        return p
    if _row(p.shape):
        return transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        if len(factors) == 2 and _column(shape_of(factors[0])) and _row(shape_of(factors[1])):
            b = transpose_atom(factors[1])
            part = _kron(canon(b), canon(factors[0]), shape)        # vec(a*b') = kron(b, a)
        elif len(factors) == 1 and isinstance(factors[0], ast.Unvec):
            part = canon(factors[0].arg)
        else:
            part = atom_poly(ast.Vec(_node(factors, p.shape)), shape)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


@canonical(ast.Unvec)
def _unvec(node, kids, shape):
    """unvec(P, m, n): linear, term by term."""
    p, target = kids[0], node.shape
    rows, cols = target
    if cols == 1:
        return p
    if rows == 1:
        return transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        inner = factors[0] if len(factors) == 1 else None
        if isinstance(inner, ast.Vec) and as_pair(shape_of(inner.arg)) == (rows, cols):
            part = canon(inner.arg)
        elif isinstance(inner, ast.Kron) and _column(shape_of(inner.left)) and \
                _column(shape_of(inner.right)) and shape_of(inner.right) == (rows,):
            part = canon(ast.Mul(inner.right, ast.Transpose(inner.left)))
        else:
            part = atom_poly(ast.Unvec((rows, cols), _node(factors, p.shape)), shape)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


@transpose_of(ast.Vec, ast.Unvec)
def _transpose_vec(atom):
    """vec(A)' and unvec(v, m, n)' are atoms (a row, a matrix with no structure)."""
    return ast.Transpose(atom)


# ----------------------------------------------------------------- commutation matrices

@canonical(ast.Commutation)
def _commutation(node, kids, shape):
    """commutation(m, 1) -> I(m), commutation(1, n) -> I(n); else an atom."""
    if node.m == 1 or node.n == 1:
        size = dims.product(node.m, node.n)
        return const(1) if size == 1 else atom_poly(ast.Identity(size), shape)
    return atom_poly(node, shape)


@transpose_of(ast.Commutation)
@inverse_of(ast.Commutation)
def _transpose_commutation(atom):
    """commutation(m, n)' -> commutation(n, m); a permutation, so also its inverse."""
    return ast.Commutation(atom.n, atom.m)


# ----------------------------------------------------------------- adjacent factors

@adjacent((ast.Commutation,), (ast.Commutation,))
def _commutations(left, right):
    """commutation(m, n)*commutation(n, m) -> I (dropped)."""
    if left.m == right.n and left.n == right.m:
        return (), ()
    return None


@adjacent((ast.Commutation,), (ast.Kron,))
def _commutation_kron(left, right):
    """commutation(p, m)*kron(A, B) -> kron(B, A)*commutation(q, n) for A m x n, B p x q:
    commutation matrices move right, where they meet their transposes and cancel."""
    (m, n), (p, q) = as_pair(shape_of(right.left)), as_pair(shape_of(right.right))
    if left.m == p and left.n == m:
        return _single_factor(ast.Mul(ast.Kron(right.right, right.left),
                                      ast.Commutation(q, n)))
    return None


@adjacent((ast.Kron,), (ast.Kron,))
def _mixed_product(left, right):
    """kron(A, B)*kron(C, D) -> kron(A*C, B*D) when A*C and B*D are defined."""
    A, B, C, D = left.left, left.right, right.left, right.right
    if _cols(A) == _rows(C) and _cols(B) == _rows(D):
        return _single_factor(ast.Kron(ast.Mul(A, C), ast.Mul(B, D)))
    return None


@adjacent((ast.Kron,), (ast.Vec,))
def _kron_vec(left, right):
    """kron(A, B)*vec(C) -> vec(B*C*A') when B*C*A' is defined."""
    A, B, C = left.left, left.right, right.arg
    if _cols(B) == _rows(C) and _cols(A) == _cols(C):
        return _single_factor(ast.Vec(ast.Mul(B, C, ast.Transpose(A))))
    return None


def _rows(node):
    return as_pair(shape_of(node))[0]


def _cols(node):
    return as_pair(shape_of(node))[1]


def _single_factor(node):
    """(scalar atoms, factors) of node's canonical form when it is one term with
    coefficient 1, else None."""
    single = single_term(canon(node))
    if single is None or single[0] != 1:
        return None
    return single[1].scalars, tuple(f for f in single[1].factors
                                    if not isinstance(f, ast.Identity))
