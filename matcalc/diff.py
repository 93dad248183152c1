"""Derivatives in denominator layout: the documents' chain rule as one backward pass.

For a scalar u and a variable w, du/dw has the shape of w. Every node v gets an adjoint
v_bar = du/dv; walking from the root to the leaves, each node v = f(a, b, ...) adds to each
argument's adjoint its denominator-layout Jacobian times v_bar -- the documents' order
du/dw = dv/dw * du/dv. At the matrix level each contribution is a short formula, one per
operation and argument, in the tables below (Matrix Cookbook equation numbers where they
exist; K. B. Petersen, M. S. Pedersen, 2012).

A vector root v (n-vector) gives the Jacobian dv/dw, d x n: its adjoint is seeded with I and
every adjoint carries one column per output (a k-vector's adjoint is k x n, a scalar's 1 x n,
a row's stored as the column it transposes). Those rules (JACOBIAN) hold while every node
that depends on w is a scalar or a vector; a dependent matrix node would need a 3-index
adjoint and raises UnsupportedError naming it. A Hessian is the Jacobian of a gradient.

The result is a raw tree; `simplify` brings it to canonical form.
"""

from . import ast, registry
from .errors import UnsupportedError
from .shapes import as_pair, describe, normalize, shape_of

T, Neg, H, Sum = ast.Transpose, ast.Neg, ast.Hadamard, ast.Sum


def M(*factors):
    return ast.Mul(*factors)


def N(value):
    return ast.Number(value)


def ones(shape):
    return ast.Fill(shape, N(1))


def E(name, arg):
    return ast.Elementwise(name, arg)


def P(base, exponent):
    return ast.ElemPower(base, N(exponent))


def ELEMENTWISE_DERIVATIVE(node):
    return registry.ELEMENTWISE[node.name].derivative(node.arg, node)


def _scalar(node):
    return shape_of(node) == ()


def _column(node):
    """A vector node as a column (rows are transposed)."""
    rows, _ = as_pair(shape_of(node))
    return T(node) if rows == 1 and shape_of(node) != () else node


def _contract(V, A):
    """sum(V .* A): the adjoint of a scalar that scales the array A."""
    return Sum(H(V, A))


def _reduce(argument, node, contribution):
    """An argument broadcast into an array node (a scalar in x + s) gets the sum."""
    return Sum(contribution) if _scalar(argument) and not _scalar(node) else contribution


# ---------------------------------------------------------------- gradient table
# rule(node, V, i) -> the contribution of node (adjoint V, shape of node) to argument i.

def _mul_rule(node, V, i):
    A, B = node.children                        # products are binary here (see _binary)
    if _scalar(A) and _scalar(B):
        return M(V, B) if i == 0 else M(V, A)
    if _scalar(A):
        return _contract(V, B) if i == 0 else M(A, V)
    if _scalar(B):
        return M(B, V) if i == 0 else _contract(V, A)
    return M(V, T(B)) if i == 0 else M(T(A), V)          # Cookbook (70)-(71)


def _add_rule(node, V, i):
    return _reduce(node.children[i], node, V)


def _hadamard_rule(node, V, i):
    return _reduce(node.children[i], node, H(V, node.children[1 - i]))


def _elemdiv_rule(node, V, i):
    a, b = node.children
    contribution = H(V, P(b, -1)) if i == 0 else Neg(H(H(V, a), P(b, -2)))
    return _reduce(node.children[i], node, contribution)


def _div_rule(node, V, i):
    a, s = node.children
    if i == 0:
        return ast.Div(V, s)
    return Neg(ast.Div(M(V, a) if _scalar(a) else _contract(V, a), ast.Power(s, N(2))))


def _power_rule(node, V, i):
    a, b = node.children
    if _scalar(a):                                        # scalars: d(a^b)
        if i == 0:
            return M(V, b, ast.Power(a, ast.Add(b, N(-1))))
        return M(V, E("log", a), node)
    k = _integer(b)                                       # A^k: sum_i (A')^i V (A')^(k-1-i)
    if i == 1:
        raise UnsupportedError("a matrix power with an exponent that depends on the variable")
    if k < 0:
        raise UnsupportedError("internal: negative matrix powers are rewritten before")
    if k == 1:
        return V
    n = as_pair(shape_of(a))[0]
    if _scaled_identity(V):                               # V = c*I commutes: k*V*(A')^(k-1)
        return M(N(k), V, _matrix_power(T(a), k - 1, n))
    if k > MAX_POWER_TERMS:
        raise UnsupportedError(f"the derivative through A^{k} has {k} distinct terms "
                               f"(A')^i*V*(A')^({k}-1-i); matcalc writes them out up to "
                               f"A^{MAX_POWER_TERMS}")
    return ast.Add(*(M(_matrix_power(T(a), j, n), V, _matrix_power(T(a), k - 1 - j, n))
                     for j in range(k)))


MAX_POWER_TERMS = 1000


def _matrix_power(a, k, n):
    return ast.Identity(n) if k == 0 else a if k == 1 else ast.Power(a, N(k))


def _scaled_identity(node):
    """Is node c*I (a product of scalars and one identity, signs and divisions by scalars
    allowed)? Read from the tree's structure alone."""
    found = False
    while True:
        if isinstance(node, ast.Identity):
            return not found
        if isinstance(node, ast.Neg) or isinstance(node, ast.Div) and _scalar(node.right):
            node = node.children[0]
            continue
        if isinstance(node, ast.Mul):
            arrays = [c for c in node.children if not _scalar(c)]
            if len(arrays) != 1:
                return False
            node = arrays[0]
            continue
        return False


def _elempower_rule(node, V, i):
    a, p = node.children
    if i == 0:
        return _reduce(a, node, H(V, H(p, ast.ElemPower(a, ast.Add(p, N(-1))))))
    return _reduce(p, node, H(V, H(E("log", a), node)))


def _inverse_rule(node, V, i):                            # Cookbook (61)
    return Neg(M(T(node), V, T(node)))


def _fill_rule(node, V, i):
    return Sum(V)


def _diag_rule(node, V, i):
    return ast.Diag(V)                                    # vector <-> diagonal, both ways


def _elementwise_rule(node, V, i):
    (a,) = node.children
    return H(V, ELEMENTWISE_DERIVATIVE(node))


def _softmax_rule(node, V, i):
    """s = softmax(x): x_bar = (diag(s) - s*s') * V = s .* V - s*(s'*V) (symmetric)."""
    return ast.Add(H(node, V), Neg(M(node, M(T(node), V))))


def _kron_rule(node, V, i):
    """v = kron(A, B), A m x n, B p x q. A_bar[i, j] sums block (i, j) of V .* kron(1, B):
    kron(I(m), 1_p') * (V .* kron(matrix(1, m, n), B)) * kron(I(n), 1_q); B_bar likewise
    sums the entries (k, l) of every block."""
    A, B = node.children
    (m, n), (p, q) = as_pair(shape_of(A)), as_pair(shape_of(B))
    row = lambda k: T(ast.Fill(normalize(k, 1), N(1)))            # noqa: E731
    col = lambda k: ast.Fill(normalize(k, 1), N(1))               # noqa: E731
    if i == 0:
        weighted = H(V, ast.Kron(ast.Fill(normalize(m, n), N(1)), B))
        return M(ast.Kron(ast.Identity(m), row(p)), weighted, ast.Kron(ast.Identity(n), col(q)))
    weighted = H(V, ast.Kron(A, ast.Fill(normalize(p, q), N(1))))
    return M(ast.Kron(row(m), ast.Identity(p)), weighted, ast.Kron(col(n), ast.Identity(q)))


def _is_integer(node):
    node = node.arg if isinstance(node, ast.Neg) else node
    return isinstance(node, ast.Number) and node.value.denominator == 1


def _integer(node):
    negative = isinstance(node, ast.Neg)
    value = (node.arg if negative else node).value
    return -int(value) if negative else int(value)


GRADIENT = {
    ast.Add:         _add_rule,
    ast.Neg:         lambda node, V, i: Neg(V),
    ast.Mul:         _mul_rule,
    ast.Div:         _div_rule,
    ast.Hadamard:    _hadamard_rule,
    ast.ElemDiv:     _elemdiv_rule,
    ast.Power:       _power_rule,
    ast.ElemPower:   _elempower_rule,
    ast.Transpose:   lambda node, V, i: T(V),
    ast.Inverse:     _inverse_rule,
    ast.Trace:       lambda node, V, i: M(V, ast.Identity(as_pair(shape_of(node.arg))[0])),
    ast.Det:         lambda node, V, i: M(V, node, T(ast.Inverse(node.arg))),    # (49)
    ast.LogDet:      lambda node, V, i: M(V, T(ast.Inverse(node.arg))),          # (57)
    ast.Sum:         lambda node, V, i: M(V, ones(shape_of(node.arg))),
    ast.Norm2:       lambda node, V, i: M(V, ast.Div(node.arg, node)),
    ast.Norm1:       lambda node, V, i: M(V, E("sign", node.arg)),
    ast.Diag:        _diag_rule,
    ast.Elementwise: _elementwise_rule,
    ast.Fill:        _fill_rule,
    ast.Softmax:     _softmax_rule,
    ast.LogSumExp:   lambda node, V, i: M(V, ast.Softmax(node.arg)),       # d lse = s'*dx
    ast.Kron:        _kron_rule,
    ast.Vec:         lambda node, V, i: ast.Unvec(as_pair(shape_of(node.arg)), V),
    ast.Unvec:       lambda node, V, i: ast.Vec(V),
}


# ---------------------------------------------------------------- Jacobian table
# Adjoints are k x n (a k-vector), 1 x n (a scalar); a row's adjoint is its column's.

def _j_scale(coefficient_node, V, node):
    """diag(c) * V for a vector node, c * V for a scalar one."""
    if _scalar(node):
        return M(coefficient_node, V)
    return M(ast.Diag(_column(coefficient_node)), V)


def _j_through(argument, derivative, V, node):
    """An elementwise node's Jacobian rule: diag(f') * V, or for an argument broadcast into
    a vector node (a scalar in x .* s), the sum over the entries: f'' * V."""
    if _scalar(argument) and not _scalar(node):
        return M(T(_column(derivative)), V)
    return _j_scale(derivative, V, node)


def _j_mul_rule(node, V, i):
    A, B = node.children
    a, b = (A, B) if i == 0 else (B, A)
    if _scalar(a):
        return M(V, b) if _scalar(b) else M(T(_column(b)), V)
    if _scalar(b):
        return M(b, V)
    if i == 1:
        return M(T(A), V) if not _row(A) else M(_column(A), V)   # B_bar = A' * V
    return M(B, V)                                               # A a row: a_bar = B * V


def _row(node):
    shape = shape_of(node)
    return len(shape) == 2 and shape[0] == 1


def _j_add_rule(node, V, i):
    child = node.children[i]
    if _scalar(child) and not _scalar(node):
        return M(T(ones(normalize(as_pair(shape_of(_column(node)))[0], 1))), V)
    return V


def _j_hadamard_rule(node, V, i):
    return _j_through(node.children[i], node.children[1 - i], V, node)


def _j_elemdiv_rule(node, V, i):
    a, b = node.children
    derivative = P(b, -1) if i == 0 else Neg(H(a, P(b, -2)))
    return _j_through(node.children[i], derivative, V, node)


def _j_div_rule(node, V, i):
    a, s = node.children
    if i == 0:
        return ast.Div(V, s)
    return Neg(M(ast.Div(T(_column(a)) if not _scalar(a) else a, ast.Power(s, N(2))), V))


def _j_power_rule(node, V, i):
    a, b = node.children
    if not _scalar(a):
        raise UnsupportedError("the Jacobian of a matrix power is a tensor")
    if i == 0:
        return M(b, ast.Power(a, ast.Add(b, N(-1))), V)
    return M(E("log", a), node, V)


def _j_elempower_rule(node, V, i):
    a, p = node.children
    if i == 0:
        return _j_through(a, H(p, ast.ElemPower(a, ast.Add(p, N(-1)))), V, node)
    return _j_through(p, H(E("log", a), node), V, node)


def _j_elementwise_rule(node, V, i):
    (a,) = node.children
    return _j_scale(ELEMENTWISE_DERIVATIVE(node), V, node)


def _j_scalar_only(name, rule):
    def apply(node, V, i):
        if not _scalar(node.children[i]):
            raise UnsupportedError(f"the Jacobian through {name} of a matrix is a tensor")
        return rule(node, V, i)
    return apply


def _j_kron_rule(node, V, i):
    """kron(a, b) of vectors a (p), b (q): kron(I(p), b') * V for a, kron(a', I(q)) * V
    for b (kron(a, b) = kron(I, b)*a = kron(a, I)*b; a row's adjoint is its column's)."""
    a, b = (_column(c) for c in node.children)
    if i == 0:
        return M(ast.Kron(ast.Identity(as_pair(shape_of(a))[0]), T(b)), V)
    return M(ast.Kron(T(a), ast.Identity(as_pair(shape_of(b))[0])), V)


JACOBIAN = {
    ast.Add:         _j_add_rule,
    ast.Neg:         lambda node, V, i: Neg(V),
    ast.Mul:         _j_mul_rule,
    ast.Div:         _j_div_rule,
    ast.Hadamard:    _j_hadamard_rule,
    ast.ElemDiv:     _j_elemdiv_rule,
    ast.Power:       _j_power_rule,
    ast.ElemPower:   _j_elempower_rule,
    ast.Transpose:   lambda node, V, i: V,
    ast.Sum:         lambda node, V, i: M(_column(ones(shape_of(node.arg))), V)
                     if not _scalar(node.arg) else V,
    ast.Norm2:       lambda node, V, i: M(ast.Div(_column(node.arg), node), V),
    ast.Norm1:       lambda node, V, i: M(E("sign", _column(node.arg)), V),
    ast.Elementwise: _j_elementwise_rule,
    ast.Fill:        lambda node, V, i: M(T(_column(ones(shape_of(node)))), V),
    ast.Trace:       _j_scalar_only("tr", lambda node, V, i: V),
    ast.Det:         _j_scalar_only("det", lambda node, V, i: V),
    ast.LogDet:      _j_scalar_only("logdet", lambda node, V, i: ast.Div(V, node.arg)),
    ast.Inverse:     _j_scalar_only("inv", lambda node, V, i: Neg(M(node, node, V))),
    ast.Diag:        _j_scalar_only("diag", lambda node, V, i: V),
    ast.Softmax:     lambda node, V, i: M(ast.Add(ast.Diag(node), Neg(M(node, T(node)))), V),
    ast.LogSumExp:   lambda node, V, i: M(ast.Softmax(node.arg), V),
    ast.Vec:         lambda node, V, i: V,                # of a vector: the vector itself
    ast.Kron:        _j_kron_rule,
}


# ---------------------------------------------------------------- the backward pass

def _binary(root):
    """Products as left-nested binary products; A^-k as inv(A)^k (one rule each)."""
    def rule(node):
        if isinstance(node, ast.Mul) and len(node.children) > 2:
            acc = node.children[0]
            for factor in node.children[1:]:
                acc = ast.Mul(acc, factor)
            return acc
        if isinstance(node, ast.Power) and isinstance(node.base, ast.Power) and \
                not _scalar(node.base) and _is_integer(node.exponent) and \
                _is_integer(node.base.exponent):               # (A^i)^j = A^(i*j)
            return rule(ast.Power(node.base.base,
                                  N(_integer(node.exponent) * _integer(node.base.exponent))))
        if isinstance(node, ast.Power) and not _scalar(node.base) and _integer(node.exponent) < 0:
            k = -_integer(node.exponent)
            inverse = ast.Inverse(node.base)
            return inverse if k == 1 else ast.Power(inverse, N(k))
        if isinstance(node, ast.Power) and not _scalar(node.base) and \
                _integer(node.exponent) == 0:
            return ast.Identity(as_pair(shape_of(node))[0])
        return node
    return ast.transform(root, rule)


def derivative(root, wrt):
    """d root / d wrt in denominator layout, as a raw (unsimplified) tree.

    root: a typed scalar or column-vector node without diff(...) terms (derivatives.py
    expands those); wrt: a Symbol node of the tree (or not in it).
    """
    root = inline_where(root)
    root_shape, wrt_shape = shape_of(root), shape_of(wrt)
    if root_shape == ():
        table, seed = GRADIENT, N(1)
        result_shape = wrt_shape
    elif len(root_shape) == 1:
        if len(wrt_shape) == 2:
            raise UnsupportedError(
                f"the derivative of a {describe(root_shape)} by the {describe(wrt_shape)} "
                f"matrix {wrt.name} would be a 3-index tensor")
        table, seed = JACOBIAN, ast.Identity(root_shape[0])
        result_shape = normalize(as_pair(wrt_shape)[0], root_shape[0])
    else:
        raise UnsupportedError(
            f"the derivative of a {describe(root_shape)} matrix by {wrt.name} would be a "
            f"{'3' if len(wrt_shape) < 2 else '4'}-index tensor")
    root = _binary(root)
    order = ast.postorder(root)
    depends = {}
    for node in order:
        depends[node] = node is wrt or any(depends[c] for c in node.children)
    if not depends[root]:
        return _zero(result_shape)
    contributions = {root: [seed]}
    for node in reversed(order):
        if not depends[node] or node is wrt:
            continue
        parts = contributions.pop(node, None)
        if not parts:
            continue
        V = parts[0] if len(parts) == 1 else ast.Add(*parts)
        if table is JACOBIAN and len(shape_of(node)) == 2 and shape_of(node)[0] != 1:
            raise UnsupportedError(
                f"the Jacobian passes through a matrix that depends on {wrt.name} "
                f"({describe(shape_of(node))}); its adjoint would be a 3-index tensor")
        rule = table.get(type(node))
        if rule is None:
            raise UnsupportedError(f"no derivative rule for {type(node).__name__}")
        for i, child in enumerate(node.children):
            if depends[child]:
                contributions.setdefault(child, []).append(rule(node, V, i))
    parts = contributions.get(wrt, [])
    if not parts:
        return _zero(result_shape)
    result = parts[0] if len(parts) == 1 else ast.Add(*parts)
    if table is GRADIENT and wrt.symmetric:
        result = ast.Div(ast.Add(result, T(result)), N(2))     # see docs/derivatives.md
    if table is JACOBIAN and _scalar(wrt):
        return result                                          # 1 x n
    return result


def _zero(shape):
    return N(0) if shape == () else ast.Fill(shape, N(0))


inline_where = ast.inline_where
