"""Kronecker products, vec, unvec and commutation matrices in the canonical form.

The identities, each a rewrite that keeps shape and value (A is m x n, B p x q):

    kron(c*A + D, B)        = c*kron(A, B) + kron(D, B)        bilinear, scalars pulled out
    kron(s, B)              = s*B                                a 1 x 1 side scales
    kron(a, b')             = a*b'  (columns a, b)              an outer product
    kron(I(m), I(n))        = I(m*n)
    kron(A, B)'             = kron(A', B')
    inv(kron(A, B))         = kron(inv(A), inv(B))             (square A, B)
    tr(kron(A, B))          = tr(A)*tr(B)
    kron(A, B)*kron(C, D)   = kron(A*C, B*D)                   (when A*C and B*D are defined)
    kron(A, B)*vec(C)       = vec(B*C*A')                      (when B*C*A' is defined)
    vec(c*A + D)            = c*vec(A) + vec(D);  vec(x) = x;  vec(x') = x
    vec(a*b')               = kron(b, a)
    unvec(vec(A), m, n)     = A;   unvec(kron(b, a), m, n) = a*b'
    commutation(m, 1)       = I(m);  commutation(m, n)' = commutation(n, m)
    commutation(m, n)*commutation(n, m) = I(m*n)
    commutation(p, m)*kron(A, B) = kron(B, A)*commutation(q, n)
"""

from .. import ast, dims
from ..shapes import as_pair, shape_of
from . import canonical
from .polynomial import (ONE, Poly, Term, _add, _atom, _const, _merge_scalars, _mul, _single,
                         _with_scalars, to_node)


def _node(factors, shape):
    """The product of a term's matrix factors as one canonical node."""
    return to_node(Poly({Term((), tuple(factors)): ONE}, shape))


def _column(shape):
    return len(shape) == 1


def _row(shape):
    return len(shape) == 2 and shape[0] == 1


# ----------------------------------------------------------------- kron

def kron(p, q, shape):
    """The canonical polynomial of kron(p, q): bilinear, term by term."""
    if p.shape == () or q.shape == ():
        return _mul(p, q)
    parts = []
    for ta, ca in p.terms.items():
        for tb, cb in q.terms.items():
            part = _kron_term(_node(ta.factors, p.shape), _node(tb.factors, q.shape), shape)
            parts.append(_with_scalars(ca * cb, _merge_scalars(ta.scalars, tb.scalars), part))
    return _add(parts, shape)


def _kron_term(a, b, shape):
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(a, ast.Identity) and isinstance(b, ast.Identity):
        return _atom(ast.Identity(dims.product(a.n, b.n)), shape)
    if _column(sa) and _row(sb):
        return canonical.canon(ast.Mul(a, b))
    if _row(sa) and _column(sb):
        return canonical.canon(ast.Mul(b, a))
    return _atom(ast.Kron(a, b), shape)


def transpose_kron(atom):
    return ast.Kron(canonical.transpose_node(atom.left), canonical.transpose_node(atom.right))


def invert_kron(atom):
    """inv(kron(A, B)) = kron(inv(A), inv(B)) when A and B are square; else None."""
    for side in (atom.left, atom.right):
        rows, cols = as_pair(shape_of(side))
        if rows != cols:
            return None
    inverse = [to_node(canonical.canon(ast.Inverse(side))) for side in (atom.left, atom.right)]
    return ast.Kron(*inverse)


def trace_kron(atom):
    """tr(kron(A, B)) = tr(A)*tr(B) for square A and B; else None."""
    if invert_kron(atom) is None:
        return None
    return _mul(canonical.canon(ast.Trace(atom.left)), canonical.canon(ast.Trace(atom.right)))


# ----------------------------------------------------------------- vec and unvec

def vec(p, shape):
    """The canonical polynomial of vec(p): linear; a column is its own vec."""
    if len(p.shape) <= 1:
        return p
    if _row(p.shape):
        return canonical._transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        if len(factors) == 2 and _column(shape_of(factors[0])) and _row(shape_of(factors[1])):
            b = canonical.transpose_atom(factors[1])
            part = kron(canonical.canon(b), canonical.canon(factors[0]), shape)  # vec(a*b')
        elif len(factors) == 1 and isinstance(factors[0], ast.Unvec):
            part = canonical.canon(factors[0].arg)
        else:
            part = _atom(ast.Vec(_node(factors, p.shape)), shape)
        parts.append(_with_scalars(c, term.scalars, part))
    return _add(parts, shape)


def unvec(p, target, shape):
    """The canonical polynomial of unvec(p, m, n), target = (m, n): linear."""
    rows, cols = target
    if cols == 1:
        return p
    if rows == 1:
        return canonical._transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        inner = factors[0] if len(factors) == 1 else None
        if isinstance(inner, ast.Vec) and as_pair(shape_of(inner.arg)) == (rows, cols):
            part = canonical.canon(inner.arg)
        elif isinstance(inner, ast.Kron) and _column(shape_of(inner.left)) and \
                _column(shape_of(inner.right)) and shape_of(inner.right) == (rows,):
            part = canonical.canon(ast.Mul(inner.right, ast.Transpose(inner.left)))
        else:
            part = _atom(ast.Unvec((rows, cols), _node(factors, p.shape)), shape)
        parts.append(_with_scalars(c, term.scalars, part))
    return _add(parts, shape)


# ----------------------------------------------------------------- commutation matrices

def commutation(node, shape):
    if node.m == 1 or node.n == 1:
        size = dims.product(node.m, node.n)
        return _const(1) if size == 1 else _atom(ast.Identity(size), shape)
    return _atom(node, shape)


# ----------------------------------------------------------------- adjacent factors

KRONECKER = (ast.Kron, ast.Commutation)


def merge(left, right):
    """(scalar atoms, factors) that replace the adjacent pair left*right, or None to keep
    both."""
    if isinstance(left, ast.Commutation) and isinstance(right, ast.Commutation):
        if left.m == right.n and left.n == right.m:
            return (), ()
        return None
    if isinstance(left, ast.Commutation) and isinstance(right, ast.Kron):
        # K(p, m)*kron(A, B) = kron(B, A)*K(q, n) for A m x n, B p x q: commutation
        # matrices move right, where they meet their transposes and cancel
        (m, n), (p, q) = as_pair(shape_of(right.left)), as_pair(shape_of(right.right))
        if left.m == p and left.n == m:
            return _single_factor(ast.Mul(ast.Kron(right.right, right.left),
                                          ast.Commutation(q, n)))
        return None
    if not isinstance(left, ast.Kron):
        return None
    A, B = left.left, left.right
    if isinstance(right, ast.Kron):
        C, D = right.left, right.right
        if _cols(A) == _rows(C) and _cols(B) == _rows(D):
            return _single_factor(ast.Kron(ast.Mul(A, C), ast.Mul(B, D)))
    if isinstance(right, ast.Vec):
        C = right.arg
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
    single = _single(canonical.canon(node))
    if single is None or single[0] != 1:
        return None
    return single[1].scalars, tuple(f for f in single[1].factors
                                    if not isinstance(f, ast.Identity))


__all__ = ["kron", "vec", "unvec", "commutation", "merge", "transpose_kron", "invert_kron",
           "trace_kron"]
