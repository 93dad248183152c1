"""Every derivative rule of the language: one row per operation, differential and adjoint
side by side, each citing its source.

A row holds two readings of one linear map, the derivative of the node at its arguments:

- `differential(node, d)`: the forward reading, dF of the node from the differentials d[i]
  of its arguments (None where an argument does not depend on the variable).
- `adjoint(node, V, i, L)`: the backward reading, the documents' chain rule
  du/dw = dv/dw * du/dv: what the node's adjoint V contributes to argument i's, written once
  over the algebra L of adjoints (adjoints.py: L.left(A, V) is A*V, L.scale(V, H) is V .* H),
  so that gradients, Jacobians, Hessians and every matrix form come out of the same rows.

Sources: "Cookbook (n)" is equation n of K. B. Petersen and M. S. Pedersen, The Matrix
Cookbook, version of November 15, 2012; "MN" is J. R. Magnus and H. Neudecker, Matrix
Differential Calculus, 3rd ed., 2019. Every row is checked against central differences in
tests/test_rules.py (by gradient, by matrix form and along a direction).
"""

from typing import Callable, NamedTuple

from .. import ast, dims, registry
from ..errors import InternalError, UnsupportedError
from ..shapes import as_pair, is_scalar, shape_of

T, M, Neg, H, N = ast.Transpose, ast.Mul, ast.Neg, ast.Hadamard, ast.Number
MAX_POWER_TERMS = 1000       # d(A^k) has k distinct terms (A')^i * V * (A')^(k-1-i)


class Rule(NamedTuple):
    differential: Callable     # (node, d) -> dF
    adjoint: Callable          # (node, V, i, L) -> the contribution to argument i, or None
    source: str


def total(*terms):
    """The sum of the terms that are not None (None when none is left)."""
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else ast.Add(*terms)


def _into(node, i, V, L):
    """An argument broadcast into an array node (the scalar s in x + s, x .* s) receives
    the sum of the adjoint's entries; any other the adjoint itself."""
    return L.total(V) if is_scalar(node.children[i]) and not is_scalar(node) else V


def _entrywise(node, i, V, H_, L):
    """d(a .* h) by a: V .* h, summed where a is broadcast into the node."""
    child = node.children[i]
    if is_scalar(child) and not is_scalar(node):
        return L.total(V, H_)                  # sum(V .* h)
    return L.scale(V, H_)


def _broadcast(node, d):
    """A differential that is a scalar where the node is an array: the scalar added to
    every entry (x + s by s is matrix(ds), not ds)."""
    if d is not None and is_scalar(d) and not is_scalar(node):
        return ast.Fill(shape_of(node), d)
    return d


# ----------------------------------------------------------------- sums and products

def _d_add(node, d):
    return total(*(_broadcast(node, di) for di in d))


def _product_rule(product):
    """d(a o b) = da o b + a o db for a product o of two arguments (graph.binary_products
    makes every Mul binary)."""
    def differential(node, d):
        a, b = node.children
        return total(d[0] and product(d[0], b), d[1] and product(a, d[1]))
    return differential


def _adjoint_mul(node, V, i, L):
    a, b = node.children
    child, other = node.children[i], node.children[1 - i]
    if is_scalar(child) and not is_scalar(other):
        return L.total(V, other)                                     # c*A by c: sum(V .* A)
    if is_scalar(child) or is_scalar(other):
        return L.times(V, other)                                     # c*A by A: c*V
    return L.right(V, T(b)) if i == 0 else L.left(T(a), V)            # Cookbook (70), (71)


def _d_div(node, d):
    a, s = node.children
    return total(d[0] and ast.Div(d[0], s), d[1] and Neg(ast.Div(M(a, d[1]), ast.Power(s, N(2)))))


def _adjoint_div(node, V, i, L):
    a, s = node.children
    if i == 0:
        return L.divide(V, s)
    weighted = L.times(V, a) if is_scalar(a) else L.total(V, a)       # d(a/s) by s: -a/s^2
    return L.negate(L.divide(weighted, ast.Power(s, N(2))))


def _d_elemdiv(node, d):
    a, b = node.children
    return total(d[0] and ast.ElemDiv(d[0], b),
                 d[1] and Neg(ast.ElemDiv(H(a, d[1]), ast.ElemPower(b, N(2)))))


def _adjoint_elemdiv(node, V, i, L):
    a, b = node.children
    if i == 0:
        return _entrywise(node, 0, V, ast.ElemPower(b, N(-1)), L)
    return L.negate(_entrywise(node, 1, V, H(a, ast.ElemPower(b, N(-2))), L))


# ----------------------------------------------------------------- powers

def _matrix_power(a, k):
    n = as_pair(shape_of(a))[0]
    return ast.Identity(n) if k == 0 else a if k == 1 else ast.Power(a, N(k))


def _power_terms(k, name):
    if abs(k) > MAX_POWER_TERMS:
        raise UnsupportedError(f"the derivative through {name}^{k} has {abs(k)} distinct "
                               f"terms; matcalc writes them out up to A^{MAX_POWER_TERMS}")
    return range(abs(k))


def _d_power(node, d):
    a, b = node.children
    if is_scalar(a):                                     # d(a^b) = b*a^(b-1)*da + log(a)*a^b*db
        return total(d[0] and M(b, ast.Power(a, ast.Add(b, N(-1))), d[0]),
                     d[1] and M(ast.Elementwise("log", a), node, d[1]))
    if d[1] is not None:
        raise UnsupportedError("a matrix power whose exponent depends on the variable")
    k = int(ast.literal(b))                 # d(A^k) = sum_j A^j dA A^(k-1-j); A^-k = inv(A)^k
    if k >= 0:
        return total(*(M(_matrix_power(a, j), d[0], _matrix_power(a, k - 1 - j))
                       for j in _power_terms(k, "A")))
    inverse = ast.Inverse(a)
    return total(*(Neg(M(_matrix_power(inverse, j + 1), d[0], _matrix_power(inverse, -k - j)))
                   for j in _power_terms(k, "A")))


def _adjoint_power(node, V, i, L):
    a, b = node.children
    if is_scalar(a):
        return L.times(V, M(b, ast.Power(a, ast.Add(b, N(-1))))) if i == 0 else \
            L.times(V, M(ast.Elementwise("log", a), node))
    if i == 1:
        raise UnsupportedError("a matrix power whose exponent depends on the variable")
    k = int(ast.literal(b))
    base = T(a) if k > 0 else T(ast.Inverse(a))
    if k == 0:
        return None                                        # A^0 = I is constant
    if k > 0 and L.is_scaled_identity(V):                  # V = c*I commutes: k*V*(A')^(k-1)
        return L.times(L.right(V, _matrix_power(base, k - 1)), N(k))
    # sum_j (A')^j V (A')^(k-1-j); for A^-m, the same in inv(A)' with one more factor
    # on each side and a minus sign (inv's rule, Cookbook (61))
    extra = 0 if k > 0 else 1
    parts = [L.left(_matrix_power(base, j + extra),
                    L.right(V, _matrix_power(base, abs(k) - 1 - j + extra)))
             for j in _power_terms(k, "A")]
    summed = L.sum(parts)
    return summed if k > 0 else L.negate(summed)


def _d_elempower(node, d):
    a, p = node.children
    return total(d[0] and H(H(p, ast.ElemPower(a, ast.Add(p, N(-1)))), d[0]),
                 d[1] and H(H(ast.Elementwise("log", a), node), d[1]))


def _adjoint_elempower(node, V, i, L):
    a, p = node.children
    if i == 0:
        return _entrywise(node, 0, V, H(p, ast.ElemPower(a, ast.Add(p, N(-1)))), L)
    return _entrywise(node, 1, V, H(ast.Elementwise("log", a), node), L)


# ----------------------------------------------------------------- matrix functions

def _d_softmax(node, d):
    """d softmax(x) = (diag(s) - s*s')*dx = s .* dx - s*(s'*dx), s = softmax(x)."""
    return ast.Add(H(node, d[0]), Neg(M(node, M(T(node), d[0]))))


def _adjoint_softmax(node, V, i, L):
    # diag(s) - s*s' is symmetric: the adjoint applies the same map to V
    return L.sum([L.scale(V, node), L.negate(L.left(node, L.left(T(node), V)))])


def _kron_permutation(a, b):
    """P with vec(kron(A, B)) = P*kron(vec(A), vec(B)), A m x n, B p x q (MN Theorem 3.10):
    P = kron(I(n), kron(commutation(q, m), I(p))); returned transposed, P'."""
    (m, n), (p, q) = as_pair(shape_of(a)), as_pair(shape_of(b))
    return ast.Kron(ast.Identity(n), ast.Kron(ast.Commutation(m, q), ast.Identity(p)))


def _adjoint_kron(node, V, i, L):
    """vec(kron(A, B)) = P*kron(I(mn), vec(B))*vec(A) = P*kron(vec(A), I(pq))*vec(B): the
    adjoint of each is its transpose applied to vec(V)."""
    a, b = node.children
    if i == 0:
        sides = ast.Kron(ast.Identity(dims.product(*as_pair(shape_of(a)))), T(ast.Vec(b)))
    else:
        sides = ast.Kron(T(ast.Vec(a)), ast.Identity(dims.product(*as_pair(shape_of(b)))))
    return L.linear(M(sides, _kron_permutation(a, b)), V, node.children[i])


def _leaf(source):
    def no_arguments(*args):
        raise InternalError("a leaf has no arguments to pass a derivative to")
    return Rule(no_arguments, no_arguments, source)


# ----------------------------------------------------------------- the table
#       node          differential (forward)                      adjoint (backward)

RULES = {
    ast.Add: Rule(
        _d_add,
        lambda n, V, i, L: _into(n, i, V, L),
        "Cookbook (35); a scalar added to every entry receives sum(V)"),
    ast.Neg: Rule(
        lambda n, d: Neg(d[0]),
        lambda n, V, i, L: L.negate(V),
        "Cookbook (34)"),
    ast.Mul: Rule(
        _product_rule(M), _adjoint_mul,
        "Cookbook (37): d(A*B) = dA*B + A*dB; adjoints V*B', A'*V (70), (71)"),
    ast.Div: Rule(
        _d_div, _adjoint_div,
        "d(A/s) = dA/s - A*ds/s^2 (quotient rule)"),
    ast.Hadamard: Rule(
        _product_rule(H),
        lambda n, V, i, L: _entrywise(n, i, V, n.children[1 - i], L),
        "Cookbook (38): d(A .* B) = dA .* B + A .* dB"),
    ast.ElemDiv: Rule(
        _d_elemdiv, _adjoint_elemdiv,
        "d(A ./ B) = dA ./ B - A .* dB ./ B.^2 (quotient rule entry by entry)"),
    ast.Power: Rule(
        _d_power, _adjoint_power,
        "d(A^k) = sum_j A^j*dA*A^(k-1-j) (Cookbook (37) k times); scalars: d(a^b)"),
    ast.ElemPower: Rule(
        _d_elempower, _adjoint_elempower,
        "d(A.^p) = p .* A.^(p-1) .* dA + log(A) .* A.^p .* dp"),
    ast.Transpose: Rule(
        lambda n, d: T(d[0]),
        lambda n, V, i, L: L.transpose(V, n),
        "Cookbook (44): d(X') = dX'"),
    ast.Inverse: Rule(
        lambda n, d: Neg(M(n, d[0], n)),
        lambda n, V, i, L: L.negate(L.left(T(n), L.right(V, T(n)))),
        "Cookbook (40): d inv(X) = -inv(X)*dX*inv(X); adjoint (61)"),
    ast.Trace: Rule(
        lambda n, d: ast.Trace(d[0]),
        lambda n, V, i, L: L.spread(V, ast.Identity(as_pair(shape_of(n.arg))[0])),
        "Cookbook (36): d tr(X) = tr(dX); gradient I (100)"),
    ast.Det: Rule(
        lambda n, d: M(n, ast.Trace(M(ast.Inverse(n.arg), d[0]))),
        lambda n, V, i, L: L.spread(V, M(n, T(ast.Inverse(n.arg)))),
        "Cookbook (42): d det(X) = det(X)*tr(inv(X)*dX); gradient (49)"),
    ast.LogDet: Rule(
        lambda n, d: ast.Trace(M(ast.Inverse(n.arg), d[0])),
        lambda n, V, i, L: L.spread(V, T(ast.Inverse(n.arg))),
        "Cookbook (43): d logdet(X) = tr(inv(X)*dX); gradient (57)"),
    ast.Sum: Rule(
        lambda n, d: ast.Sum(d[0]),
        lambda n, V, i, L: L.spread(V, N(1) if is_scalar(n.arg) else
                                    ast.Fill(shape_of(n.arg), N(1))),
        "sum(A) = 1'*A*1 is linear"),
    ast.Norm2: Rule(
        lambda n, d: ast.Div(ast.Sum(H(n.arg, d[0])), n),
        lambda n, V, i, L: L.spread(V, ast.Div(n.arg, n)),
        "d norm2(A) = sum(A .* dA)/norm2(A) (the Frobenius norm's gradient A/norm2(A))"),
    ast.Norm1: Rule(
        lambda n, d: ast.Sum(H(ast.Elementwise("sign", n.arg), d[0])),
        lambda n, V, i, L: L.spread(V, ast.Elementwise("sign", n.arg)),
        "d norm1(A) = sum(sign(A) .* dA), where no entry is 0"),
    ast.Diag: Rule(
        lambda n, d: ast.Diag(d[0]),
        lambda n, V, i, L: V if is_scalar(n.arg) else L.diag(V, n),
        "diag is linear; its adjoint is diag the other way (vector <-> diagonal)"),
    ast.Elementwise: Rule(
        lambda n, d: H(registry.of(n).derivative(n.arg, n), d[0]),
        lambda n, V, i, L: L.scale(V, registry.of(n).derivative(n.arg, n)),
        "d f(A) = f'(A) .* dA, f' from the function's record (registry.py)"),
    ast.Fill: Rule(
        lambda n, d: ast.Fill(n.shape, d[0]),
        lambda n, V, i, L: L.total(V),
        "vector(c): c in every entry; by c the adjoint is sum(V)"),
    ast.Softmax: Rule(
        _d_softmax, _adjoint_softmax,
        "d softmax(x) = (diag(s) - s*s')*dx, s = softmax(x)"),
    ast.LogSumExp: Rule(
        lambda n, d: M(T(ast.Softmax(n.arg)), d[0]),
        lambda n, V, i, L: L.spread(V, ast.Softmax(n.arg)),
        "d logsumexp(x) = softmax(x)'*dx"),
    ast.Kron: Rule(
        _product_rule(ast.Kron), _adjoint_kron,
        "Cookbook (39): d kron(A, B) = kron(dA, B) + kron(A, dB); vec by MN Theorem 3.10"),
    ast.Vec: Rule(
        lambda n, d: ast.Vec(d[0]),
        lambda n, V, i, L: L.reshape(V, n.arg),
        "vec is linear; its adjoint unvec"),
    ast.Unvec: Rule(
        lambda n, d: ast.Unvec(n.shape, d[0]),
        lambda n, V, i, L: L.reshape(V, n.arg),
        "unvec is linear; its adjoint vec"),
    # leaves: a derivative reaches them, no rule leaves them
    ast.Symbol: _leaf("d(w) = dw; a declared-symmetric W receives (G + G')/2 (adjoints.py)"),
    ast.Number: _leaf("constant"),
    ast.Identity: _leaf("constant"),
    ast.Commutation: _leaf("constant"),
}
# diff(a, w) terms and where-names are expanded before either pass (route.py)
EXPANDED_BEFORE = (ast.Derivative, ast.Where)
