"""Derivatives past two indices: the differential, and the matrix form read off it.

Magnus and Neudecker's route, in two passes, each with its own rule table:

1. The differential (DIFFERENTIAL, forward over the DAG): dF in terms of dX, by the rules
   every matrix-calculus text states, d(A*B) = dA*B + A*dB, d inv(A) = -inv(A)*dA*inv(A),
   d logdet(A) = tr(inv(A)*dA), d f(A) = f'(A) .* dA, ... Replacing dX by a direction V gives
   the directional derivative (a Hessian-vector product when F is a gradient) without ever
   building the size(X) x size(F) matrix.

2. Identification (IDENTIFY, reverse over dF): dF is linear in dX, so it is a chain of linear
   operations applied to dX. Each node v of dF gets the matrix-form adjoint
   A_v = d vec(F) / d vec(v) (size(v) x size(F), denominator layout), seeded with I at the
   root, and the documents' chain rule dU/dW = dV/dW * dU/dV passes it down: for v = a*b,
   vec(a*b) = kron(b', I)*vec(a) = kron(I, a)*vec(b), so A_a += kron(b, I)*A_v and
   A_b += kron(I, a')*A_v. Then D = A_dX. A whole term A*dX*B becomes kron(B, A') once the
   simplifier merges the Kronecker factors (kron(A, B)*kron(C, D) = kron(A*C, B*D)).

SPEC section 2b fixes the layout: D[k + m*l, i + p*j] = dF_ij / dX_kl for F p x q, X m x n.
Every rule here is checked against central differences in tests/test_vecdiff.py.
"""

from . import ast, dims
from .diff import ELEMENTWISE_DERIVATIVE, _binary, _integer
from .errors import UnsupportedError
from .shapes import as_pair, normalize, shape_of

T, Neg, H, N = ast.Transpose, ast.Neg, ast.Hadamard, ast.Number
MAX_POWER_TERMS = 1000       # d(A^k) has k terms: A^i * dA * A^(k-1-i)


def M(*factors):
    return ast.Mul(*factors)


def _sum(*terms):
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else ast.Add(*terms)


def _size(node):
    """The number of entries of a node, as a dimension (m*n)."""
    return dims.product(*as_pair(shape_of(node)))


def _ones_column(k):
    return ast.Fill(normalize(k, 1), N(1))


def _power(base, k, n):
    return ast.Identity(n) if k == 0 else base if k == 1 else ast.Power(base, N(k))


# ---------------------------------------------------------------- the differential
# rule(node, d) -> dF of node, given d = the differentials of its children (None: constant).

def _d_mul(node, d):
    a, b = node.children                           # products are binary here (_binary)
    return _sum(M(d[0], b) if d[0] is not None else None,
                M(a, d[1]) if d[1] is not None else None)


def _d_div(node, d):
    a, s = node.children
    return _sum(ast.Div(d[0], s) if d[0] is not None else None,
                Neg(ast.Div(M(a, d[1]), ast.Power(s, N(2)))) if d[1] is not None else None)


def _d_hadamard(node, d):
    a, b = node.children
    return _sum(H(d[0], b) if d[0] is not None else None,
                H(a, d[1]) if d[1] is not None else None)


def _d_elemdiv(node, d):
    a, b = node.children
    return _sum(ast.ElemDiv(d[0], b) if d[0] is not None else None,
                Neg(ast.ElemDiv(H(a, d[1]), ast.ElemPower(b, N(2)))) if d[1] is not None
                else None)


def _d_power(node, d):
    a, b = node.children
    if shape_of(a) == ():                                   # d(a^b), scalars
        return _sum(M(b, ast.Power(a, ast.Add(b, N(-1))), d[0]) if d[0] is not None else None,
                    M(ast.Elementwise("log", a), node, d[1]) if d[1] is not None else None)
    if d[1] is not None:
        raise UnsupportedError("a matrix power whose exponent depends on the variable")
    k = _integer(b)                                         # k >= 1 after _binary
    if k > MAX_POWER_TERMS:
        raise UnsupportedError(f"the differential of a matrix power A^{k} has {k} terms; "
                               f"matcalc writes it out up to A^{MAX_POWER_TERMS}")
    n = as_pair(shape_of(a))[0]
    return _sum(*(M(_power(a, i, n), d[0], _power(a, k - 1 - i, n)) for i in range(k)))


def _d_elempower(node, d):
    a, p = node.children
    return _sum(H(H(p, ast.ElemPower(a, ast.Add(p, N(-1)))), d[0]) if d[0] is not None else None,
                H(H(ast.Elementwise("log", a), node), d[1]) if d[1] is not None else None)


def _d_softmax(node, d):
    """d softmax(x) = (diag(s) - s*s')*dx = s .* dx - s*(s'*dx)."""
    return ast.Add(H(node, d[0]), Neg(M(node, M(T(node), d[0]))))


def _d_kron(node, d):
    a, b = node.children
    return _sum(ast.Kron(d[0], b) if d[0] is not None else None,
                ast.Kron(a, d[1]) if d[1] is not None else None)


DIFFERENTIAL = {
    ast.Add:         lambda node, d: _sum(*d),
    ast.Neg:         lambda node, d: Neg(d[0]),
    ast.Mul:         _d_mul,
    ast.Div:         _d_div,
    ast.Hadamard:    _d_hadamard,
    ast.ElemDiv:     _d_elemdiv,
    ast.Power:       _d_power,
    ast.ElemPower:   _d_elempower,
    ast.Transpose:   lambda node, d: T(d[0]),
    ast.Inverse:     lambda node, d: Neg(M(node, d[0], node)),                # -inv*dA*inv
    ast.Trace:       lambda node, d: ast.Trace(d[0]),
    ast.Det:         lambda node, d: M(node, ast.Trace(M(ast.Inverse(node.arg), d[0]))),
    ast.LogDet:      lambda node, d: ast.Trace(M(ast.Inverse(node.arg), d[0])),
    ast.Sum:         lambda node, d: ast.Sum(d[0]),
    ast.Norm2:       lambda node, d: ast.Div(ast.Sum(H(node.arg, d[0])), node),
    ast.Norm1:       lambda node, d: ast.Sum(H(ast.Elementwise("sign", node.arg), d[0])),
    ast.Diag:        lambda node, d: ast.Diag(d[0]),
    ast.Elementwise: lambda node, d: H(ELEMENTWISE_DERIVATIVE(node), d[0]),
    ast.Softmax:     _d_softmax,
    ast.LogSumExp:   lambda node, d: M(T(ast.Softmax(node.arg)), d[0]),         # s'*dx
    ast.Kron:        _d_kron,
    ast.Vec:         lambda node, d: ast.Vec(d[0]),
    ast.Unvec:       lambda node, d: ast.Unvec(node.shape, d[0]),
}


def differential(root, wrt, direction):
    """dF of a typed root (no where, no diff terms) with d(wrt) := direction; None when
    root does not depend on wrt."""
    root = _binary(root)
    d = {}
    for node in ast.postorder(root):
        if node is wrt:
            d[node] = direction
            continue
        kids = [d[c] for c in node.children]
        if all(k is None for k in kids):
            d[node] = None
            continue
        rule = DIFFERENTIAL.get(type(node))
        if rule is None:
            raise UnsupportedError(f"no differential rule for {type(node).__name__}")
        d[node] = rule(node, kids)
    return d[root]


# ---------------------------------------------------------------- identification
# rule(node, A, i) -> the adjoint d vec(F) / d vec(child i) contributed through node, given
# the node's adjoint A (size(node) x size(F)); only linear operations occur in dF.

def _other(node, i):
    return node.children[1 - i]


def _i_mul(node, A, i):
    a, b = node.children
    child, other = node.children[i], _other(node, i)
    if shape_of(child) == ():
        return M(T(ast.Vec(other)), A) if shape_of(other) != () else M(other, A)
    if shape_of(other) == ():
        return M(other, A)                                         # a scaling
    if i == 0:                                                      # vec(a*b) = kron(b', I)*vec(a)
        return M(ast.Kron(b, ast.Identity(as_pair(shape_of(a))[0])), A)
    return M(ast.Kron(ast.Identity(as_pair(shape_of(b))[1]), T(a)), A)   # = kron(I, a)*vec(b)


def _i_scaled_entrywise(node, A, i, other):
    """node = child .* other entry by entry (other free of dX): diag(vec(other)) * A, or a
    scaling where a side is a scalar."""
    child = node.children[i]
    if shape_of(other) == ():
        return M(other, A)
    if shape_of(child) == ():                                       # broadcast into node
        return M(T(ast.Vec(other)), A)
    return M(ast.Diag(ast.Vec(other)), A)


def _i_add(node, A, i):
    if shape_of(node.children[i]) == () and shape_of(node) != ():    # s added to each entry
        return M(T(_ones_column(_size(node))), A)
    return A


def _i_div(node, A, i):
    if i == 1:
        raise UnsupportedError("internal: a differential divides by dX")
    return ast.Div(A, node.children[1])


def _i_elemdiv(node, A, i):
    if i == 1:
        raise UnsupportedError("internal: a differential divides by dX")
    return _i_scaled_entrywise(node, A, i, ast.ElemPower(node.children[1], N(-1)))


def _i_transpose(node, A, i):
    rows, cols = as_pair(shape_of(node.arg))
    return M(ast.Commutation(cols, rows), A)          # vec(Z') = K(rows, cols)*vec(Z)


def _selection(n, column):
    """vec(diag(v)) = S*v for an n-vector v: S' (n x n^2) has a 1 at (i, i + n*i); it is
    kron(I(n), 1') .* kron(1', I(n)). column=True gives S itself (diag of a matrix)."""
    ones = _ones_column(n) if column else T(_ones_column(n))
    return H(ast.Kron(ast.Identity(n), ones), ast.Kron(ones, ast.Identity(n)))


def _i_diag(node, A, i):
    child = node.arg
    if shape_of(child) == ():
        return A
    n = as_pair(shape_of(child))[0]
    return M(_selection(n, column=len(shape_of(child)) == 2), A)


def _i_kron(node, A, i):
    """vec(kron(a, b)) = P*(vec(a) (x) vec(b)) with P = kron(I(n), kron(K(q, m), I(p)))
    for a m x n, b p x q (Magnus and Neudecker, Theorem 3.10); P' = kron(I(n),
    kron(K(m, q), I(p))). So A_a += kron(I(m*n), vec(b)')*P'*A, A_b += kron(vec(a)', I(p*q))*P'*A."""
    a, b = node.children
    (m, n), (p, q) = as_pair(shape_of(a)), as_pair(shape_of(b))
    P_t = ast.Kron(ast.Identity(n), ast.Kron(ast.Commutation(m, q), ast.Identity(p)))
    if i == 0:
        return M(ast.Kron(ast.Identity(dims.product(m, n)), T(ast.Vec(b))), P_t, A)
    return M(ast.Kron(T(ast.Vec(a)), ast.Identity(dims.product(p, q))), P_t, A)


IDENTIFY = {
    ast.Add:       _i_add,
    ast.Neg:       lambda node, A, i: Neg(A),
    ast.Mul:       _i_mul,
    ast.Div:       _i_div,
    ast.Hadamard:  lambda node, A, i: _i_scaled_entrywise(node, A, i, _other(node, i)),
    ast.ElemDiv:   _i_elemdiv,
    ast.Transpose: _i_transpose,
    ast.Trace:     lambda node, A, i: M(ast.Vec(ast.Identity(as_pair(shape_of(node.arg))[0])), A),
    ast.Sum:       lambda node, A, i: M(_ones_column(_size(node.arg)), A),
    ast.Diag:      _i_diag,
    ast.Kron:      _i_kron,
    ast.Vec:       lambda node, A, i: A,
    ast.Unvec:     lambda node, A, i: A,
}


def identify(dF, dX):
    """The matrix form d vec(F) / d vec(X) of a differential dF linear in the symbol dX."""
    dF = _binary(dF)
    order = ast.postorder(dF)
    depends = {}
    for node in order:
        depends[node] = node is dX or any(depends[c] for c in node.children)
    result_shape = normalize(_size(dX), _size(dF))
    if not depends[dF]:
        return zero(result_shape)
    contributions = {dF: [ast.Identity(_size(dF))]}
    for node in reversed(order):
        if not depends[node] or node is dX:
            continue
        parts = contributions.pop(node, None)
        if not parts:
            continue
        A = _sum(*parts)
        rule = IDENTIFY.get(type(node))
        if rule is None:
            raise UnsupportedError(f"internal: the differential is not linear in {dX.name} "
                                   f"at {type(node).__name__}")
        for i, child in enumerate(node.children):
            if depends[child]:
                contributions.setdefault(child, []).append(rule(node, A, i))
    return _sum(*contributions.get(dX, [])) or zero(result_shape)


def zero(shape):
    return N(0) if shape == () else ast.Fill(shape, N(0))


def matrix_form(root, wrt):
    """d vec(root) / d vec(wrt) (SPEC 2b) as a raw tree: the differential, identified."""
    dX = ast.Symbol("_d" + wrt.name, shape_of(wrt))        # never printed: identified away
    dF = differential(root, wrt, dX)
    if dF is None:
        return zero(normalize(_size(wrt), _size(root)))
    return identify(dF, dX)


def directional(root, wrt, direction):
    """The derivative of root along `direction` (a node of wrt's shape), in root's shape."""
    dF = differential(root, wrt, direction)
    return zero(shape_of(root)) if dF is None else dF


__all__ = ["DIFFERENTIAL", "IDENTIFY", "differential", "identify", "matrix_form",
           "directional"]
