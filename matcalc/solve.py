"""Stationary points: solve g(w) = 0 for a gradient g affine in w (or in inv(w)).

In canonical form every term of an affine g holds w exactly once, as a matrix factor:
c * s * L_i * w * R_j. The equation sum_ij c_ij L_i*w*R_j = b is *separable* when the
coefficients c_ij form a rank-one table, c_ij = a_i*b_j: then it is L*w*R = b with
L = sum a_i L_i and R = sum b_j R_j, and w = inv(L)*b*inv(R). One-sided equations are the
case R = I (2*X'*X*w = 2*X'*y gives inv(X'*X)*X'*y) or L = I (W*A*A' = Y*A'); the
least-squares matrix problem norm2(A*X*B - C)^2 gives inv(A'*A)*A'*C*B'*inv(B*B'). The
common scalar factor of L is pulled out first so that it cancels against b. A table of
rank two or more (A*X + X*B = C) is a Sylvester equation and is refused with the reason.

A gradient in which w occurs only inside one inverse P = inv(w) (or inv(w')), such as the
Gaussian likelihood's inv(S') - inv(S')*C'*inv(S'), is multiplied by inv(P) on both sides
(P is invertible where g is defined), which leaves an affine equation: S' - C' = 0.
"""

from fractions import Fraction

from . import ast
from .calculus.graph import contains as _contains
from .errors import UnsupportedError
from .printing import short_text
from .shapes import as_pair, shape_of
from .simplify import Poly, Term, canon, expanded, pull_common_scalars, to_node, transpose_atom


def _linear_factors(term, wrt):
    """The term's matrix factors with w exactly once among them (scalar atoms holding w,
    such as a'*w, are rewritten as matrix factors: (a'*w)*F = F*a'*w)."""
    factors = list(term.factors)
    scalars = []
    for atom, exponent in term.scalars:
        if not _contains(atom, wrt):
            scalars.append((atom, exponent))
            continue
        if atom == wrt and exponent == 1:            # a scalar w: c*s*w
            factors.append(wrt)
            continue
        if exponent != 1 or not isinstance(atom, ast.Mul):
            power = f"^{exponent}" if exponent != 1 else ""
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{short_text(atom, 50)}{power}")
        parts = list(atom.children)
        if parts[-1] is wrt and not any(_contains(p, wrt) for p in parts[:-1]):
            factors = factors + parts
        elif parts[0] is transpose_atom(wrt) and not any(_contains(p, wrt) for p in parts[1:]):
            factors = factors + [transpose_atom(p) for p in reversed(parts[1:])] + [wrt]
        else:
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{short_text(atom, 50)}")
    positions = [i for i, f in enumerate(factors) if f is wrt]
    for f in factors:
        if f is not wrt and _contains(f, wrt):
            kind = f.name if isinstance(f, ast.Elementwise) else _WORDS.get(
                type(f), type(f).__name__.lower())
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{short_text(f, 50)} ({kind} of {wrt.name})")
    if len(positions) != 1:
        raise UnsupportedError(f"the gradient is not linear in {wrt.name}")
    return tuple(scalars), factors, positions[0]


# what a node is called in a message (ElemPower is an elementwise power, not 'elempower')
_WORDS = {ast.ElemPower: "elementwise power", ast.Hadamard: "Hadamard product",
          ast.ElemDiv: "elementwise quotient", ast.Kron: "Kronecker product",
          ast.LogDet: "logdet", ast.LogSumExp: "logsumexp", ast.Norm1: "norm1",
          ast.Norm2: "norm2", ast.Trace: "trace", ast.Det: "determinant"}


def collect(gradient, wrt):
    """(L, R, b) with g = L*w*R - b, L and R polynomials (R = 1 for a vector w)."""
    poly = canon(gradient)
    entries, constant, lefts, rights = {}, {}, [], []
    n_rows, n_cols = as_pair(shape_of(wrt))
    for term, c in poly.terms.items():
        holds_w = any(_contains(a, wrt) for a, _ in term.scalars) or \
            any(_contains(f, wrt) for f in term.factors)
        if not holds_w:
            constant[term] = constant.get(term, 0) - c
            continue
        scalars, factors, i = _linear_factors(term, wrt)
        left = Term(scalars, tuple(factors[:i]) or
                    ((ast.Identity(n_rows),) if n_rows != 1 else ()))
        right = Term((), tuple(factors[i + 1:]) or
                     ((ast.Identity(n_cols),) if n_cols != 1 else ()))
        for side, known in ((left, lefts), (right, rights)):
            if side not in known:
                known.append(side)
        entries[left, right] = entries.get((left, right), 0) + c
    if not entries:
        raise UnsupportedError(f"the gradient does not depend on {wrt.name}: no stationary "
                               "point to solve for")
    a, b_factors = _rank_one(entries, lefts, rights)
    if a is None:
        raise UnsupportedError(
            f"{wrt.name} is multiplied from the left and from the right in terms that do not "
            f"separate into L*{wrt.name}*R: a Sylvester-type equation, which solve does not "
            "handle")
    square = lambda k: (k, k) if k != 1 else ()                           # noqa: E731
    L = Poly({t: c for t, c in zip(lefts, a) if c}, square(n_rows))
    R = Poly({t: c for t, c in zip(rights, b_factors) if c}, square(n_cols))
    b = Poly({t: c for t, c in constant.items() if c}, shape_of(wrt))
    return L, R, b


def _rank_one(entries, rows, cols):
    """(a, b) with entries[i, j] = a_i * b_j (missing entries 0), or (None, None)."""
    table = [[Fraction(entries.get((r, c), 0)) for c in cols] for r in rows]
    i0, j0 = next((i, j) for i, row in enumerate(table) for j, v in enumerate(row) if v)
    pivot = table[i0][j0]
    a = [row[j0] for row in table]
    b = [v / pivot for v in table[i0]]
    if any(table[i][j] != a[i] * b[j] for i in range(len(rows)) for j in range(len(cols))):
        return None, None
    return a, b


def solve(gradient, wrt):
    """(w with gradient(w) = 0, the coefficient K of the equation K*vec(w) = vec(b), or
    None when the equation was in inv(w))."""
    inside = _inverse_of(gradient, wrt)
    if inside is not None:
        return _solve_in_inverse(gradient, wrt, inside), None
    L, R, b = collect(gradient, wrt)
    terms = sorted(L.terms.items(), key=lambda item: str(item[0]))
    common, common_scalars, rest = pull_common_scalars([(c, t) for t, c in terms])
    reduced = Poly({t: c for c, t in rest}, L.shape)
    scale = Poly({Term(tuple((a, -e) for a, e in common_scalars), ()): 1 / common}, ())
    inverse = ast.Div(ast.Number(1), to_node(reduced)) if L.shape == () else \
        ast.Inverse(to_node(reduced))
    parts = [to_node(scale), inverse, to_node(b)]
    if R.shape != ():
        parts.append(ast.Inverse(to_node(R)))
    coefficient = to_node(L) if R.shape == () else \
        ast.Kron(ast.Transpose(to_node(R)), to_node(L))       # vec(L*w*R) = kron(R', L)*vec(w)
    return expanded(ast.Mul(*parts)), coefficient


def _inverse_of(gradient, wrt):
    """The inverse P (inv(w) or inv(w')) when w occurs in the gradient only inside it."""
    gradient = expanded(gradient)
    inverses = {n for n in ast.postorder(gradient) if isinstance(n, ast.Inverse)
                and n.arg in (wrt, ast.Transpose(wrt))}
    if len(inverses) != 1:
        return None
    (P,) = inverses
    outside = ast.transform(gradient, lambda n: ast.Number(0) if n is P else n)
    return P if not _contains(outside, wrt) else None


def _solve_in_inverse(gradient, wrt, P):
    """g(inv(w)) = 0: inv(P)*g*inv(P) = 0 is affine in w (or in w', solved for w' and
    transposed back)."""
    Q = P.arg                                            # inv(P) = w or w'
    equation = expanded(ast.Mul(Q, gradient, Q))
    if any(isinstance(n, ast.Inverse) and _contains(n, wrt) for n in ast.postorder(equation)):
        raise UnsupportedError(f"the gradient is not linear in {wrt.name} or in "
                               f"inv({wrt.name}): it contains {short_text(equation, 50)}")
    if Q is wrt:
        return solve(equation, wrt)[0]
    # affine in w': solve for a stand-in Y = w', then w = Y'
    Y = ast.Symbol("_" + wrt.name + "_t", shape_of(Q))
    in_y = ast.transform(equation, lambda n: Y if n is Q else n)
    if _contains(in_y, wrt):
        raise UnsupportedError(f"the gradient holds both {wrt.name} and {wrt.name}' after "
                               "clearing the inverse: not separable")
    try:
        return expanded(ast.Transpose(solve(in_y, Y)[0]))
    except UnsupportedError as error:      # said of w', as the user reads it, not the stand-in
        raise UnsupportedError("after clearing the inverse, " + error.message.replace(
            Y.name, wrt.name + "'")) from None
