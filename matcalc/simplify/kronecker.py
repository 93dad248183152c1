"""Rules for Kronecker products, vec, unvec and commutation matrices (A is m x n, B p x q).
kron, vec and unvec are linear: they apply term by term, scalars pulled out."""

from .. import ast, dims
from ..shapes import pair_of, shape_of
from .engine import (CANONICAL, INVERSE, TRACE, TRANSPOSE, adjacent, canon, mul, register,
                     transpose, transpose_atom, transpose_node)
from .poly import (ONE, Poly, Term, add, atom_poly, const, merge_scalars, single_term,
                   to_node, with_scalars)


def _node(factors, shape):
    """The product of a term's matrix factors as one canonical node."""
    return to_node(Poly({Term((), tuple(factors)): ONE}, shape))


def _column(shape):
    return len(shape) == 1


def _row(shape):
    return len(shape) == 2 and shape[0] == 1


def kron(p, q, shape):
    """kron(c*A + D, B) -> c*kron(A, B) + kron(D, B); kron(s, B) -> s*B (a 1 x 1 side);
    kron(a, b') -> a*b' (columns a, b); kron(I(m), I(n)) -> I(m*n)."""
    if p.shape == () or q.shape == ():
        return mul(p, q)
    parts = []
    for ta, ca in p.terms.items():
        for tb, cb in q.terms.items():
            a, b = _node(ta.factors, p.shape), _node(tb.factors, q.shape)
            if isinstance(a, ast.Identity) and isinstance(b, ast.Identity):
                part = atom_poly(ast.Identity(dims.product(a.n, b.n)), shape)
            elif _column(shape_of(a)) and _row(shape_of(b)):
                part = canon(ast.Mul(a, b))
            elif _row(shape_of(a)) and _column(shape_of(b)):
                part = canon(ast.Mul(b, a))
            else:
                part = atom_poly(ast.Kron(a, b), shape)
            parts.append(with_scalars(ca * cb, merge_scalars(ta.scalars, tb.scalars), part))
    return add(parts, shape)


def _invert_kron(atom):
    """inv(kron(A, B)) -> kron(inv(A), inv(B)) when A and B are square; else None."""
    if any(pair_of(side)[0] != pair_of(side)[1] for side in (atom.left, atom.right)):
        return None
    return ast.Kron(*(to_node(canon(ast.Inverse(side))) for side in (atom.left, atom.right)))


def _trace_kron(atom):
    """tr(kron(A, B)) -> tr(A)*tr(B) when A and B are square; else None."""
    if _invert_kron(atom) is None:
        return None
    return mul(canon(ast.Trace(atom.left)), canon(ast.Trace(atom.right)))


def _vec(node, kids, shape):
    """vec(x) -> x; vec(x') -> x; vec(a*b') -> kron(b, a); vec(unvec(v)) -> v."""
    p = kids[0]
    if len(p.shape) <= 1:
        return p
    if _row(p.shape):
        return transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        if len(factors) == 2 and _column(shape_of(factors[0])) and _row(shape_of(factors[1])):
            part = kron(canon(transpose_atom(factors[1])), canon(factors[0]), shape)
        elif len(factors) == 1 and isinstance(factors[0], ast.Unvec):
            part = canon(factors[0].arg)
        else:
            part = atom_poly(ast.Vec(_node(factors, p.shape)), shape)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


def _unvec(node, kids, shape):
    """unvec(v, m, 1) -> v; unvec(v, 1, n) -> v'; unvec(vec(A), m, n) -> A;
    unvec(kron(b, a), m, n) -> a*b'."""
    p, (rows, cols) = kids[0], node.shape
    if cols == 1:
        return p
    if rows == 1:
        return transpose(p)
    parts = []
    for term, c in p.terms.items():
        factors = term.factors
        inner = factors[0] if len(factors) == 1 else None
        if isinstance(inner, ast.Vec) and pair_of(inner.arg) == (rows, cols):
            part = canon(inner.arg)
        elif isinstance(inner, ast.Kron) and _column(shape_of(inner.left)) and \
                _column(shape_of(inner.right)) and shape_of(inner.right) == (rows,):
            part = canon(ast.Mul(inner.right, ast.Transpose(inner.left)))
        else:
            part = atom_poly(ast.Unvec((rows, cols), _node(factors, p.shape)), shape)
        parts.append(with_scalars(c, term.scalars, part))
    return add(parts, shape)


def _commutation(node, kids, shape):
    """commutation(m, 1) -> I(m), commutation(1, n) -> I(n); else an atom."""
    if node.m == 1 or node.n == 1:
        size = dims.product(node.m, node.n)
        return const(1) if size == 1 else atom_poly(ast.Identity(size), shape)
    return atom_poly(node, shape)


def _swap(atom):
    # commutation(m, n)' = inv(commutation(m, n)) = commutation(n, m): a permutation
    return ast.Commutation(atom.n, atom.m)


def _commutations(left, right):
    """commutation(m, n)*commutation(n, m) -> I (dropped)."""
    return ((), ()) if left.m == right.n and left.n == right.m else None


def _commutation_kron(left, right):
    """commutation(p, m)*kron(A, B) -> kron(B, A)*commutation(q, n): commutation matrices
    move right, where they meet their transposes and cancel."""
    (m, n), (p, q) = pair_of(right.left), pair_of(right.right)
    if left.m == p and left.n == m:
        return _single_factor(ast.Mul(ast.Kron(right.right, right.left), ast.Commutation(q, n)))
    return None


def _mixed_product(left, right):
    """kron(A, B)*kron(C, D) -> kron(A*C, B*D) when A*C and B*D are defined."""
    A, B, C, D = left.left, left.right, right.left, right.right
    if pair_of(A)[1] == pair_of(C)[0] and pair_of(B)[1] == pair_of(D)[0]:
        return _single_factor(ast.Kron(ast.Mul(A, C), ast.Mul(B, D)))
    return None


def _kron_vec(left, right):
    """kron(A, B)*vec(C) -> vec(B*C*A') when B*C*A' is defined."""
    A, B, C = left.left, left.right, right.arg
    if pair_of(B)[1] == pair_of(C)[0] and pair_of(A)[1] == pair_of(C)[1]:
        return _single_factor(ast.Vec(ast.Mul(B, C, ast.Transpose(A))))
    return None


def _single_factor(node):
    """(scalar atoms, factors but I) of node's canonical form when it is one term with
    coefficient 1, else None."""
    single = single_term(canon(node))
    if single is None or single[0] != 1:
        return None
    return single[1].scalars, tuple(f for f in single[1].factors
                                    if not isinstance(f, ast.Identity))


register(CANONICAL, {ast.Kron: lambda node, kids, shape: kron(kids[0], kids[1], shape),
                     ast.Vec: _vec, ast.Unvec: _unvec, ast.Commutation: _commutation})
register(TRANSPOSE, {
    ast.Kron: lambda atom: ast.Kron(transpose_node(atom.left), transpose_node(atom.right)),
    ast.Vec: ast.Transpose,            # vec(A)' is a row, unvec(v, m, n)' a matrix: atoms
    ast.Unvec: ast.Transpose,
    ast.Commutation: _swap,
})
register(INVERSE, {ast.Kron: _invert_kron, ast.Commutation: _swap})
register(TRACE, {ast.Kron: _trace_kron})
adjacent({(ast.Commutation, ast.Commutation): _commutations,
          (ast.Commutation, ast.Kron): _commutation_kron,
          (ast.Kron, ast.Kron): _mixed_product,
          (ast.Kron, ast.Vec): _kron_vec})
