"""Stationary points: solve g(w) = 0 for a gradient g affine in w.

In canonical form every term of an affine g holds w exactly once, as a matrix factor:
c * s * L * w * R. Terms with L and no R collect into A*w, terms with R and no L into w*B;
the rest is -b. Then w = inv(A)*b (or b*inv(B)), with the common scalar factor of A pulled
out first so that it cancels against b: 2*X'*X*w = 2*X'*y gives inv(X'*X)*X'*y.
Terms with w on both sides (a Sylvester equation), or w inside a function, are refused
with the reason.
"""

from . import ast
from .errors import UnsupportedError
from .shapes import as_pair, shape_of
from .simplify import Poly, Term, _common_scalars, canon, expanded, to_node, transpose_atom


def _contains(node, target):
    return any(n is target for n in ast.postorder(node))


def _describe(node):
    from .printing import to_text
    text = to_text(node)
    return text if len(text) <= 50 else text[:47] + "..."


def _linear_factors(term, wrt):
    """The term's matrix factors with w exactly once among them (scalar atoms holding w,
    such as a'*w, are rewritten as matrix factors: (a'*w)*F = F*a'*w)."""
    factors = list(term.factors)
    scalars = []
    for atom, exponent in term.scalars:
        if not _contains(atom, wrt):
            scalars.append((atom, exponent))
            continue
        if exponent != 1 or not isinstance(atom, ast.Mul):
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{_describe(atom)}" + (f"^{exponent}" if exponent != 1
                                                             else ""))
        parts = list(atom.children)
        if parts[-1] is wrt and not any(_contains(p, wrt) for p in parts[:-1]):
            factors = factors + parts
        elif parts[0] is transpose_atom(wrt) and not any(_contains(p, wrt) for p in parts[1:]):
            factors = factors + [transpose_atom(p) for p in reversed(parts[1:])] + [wrt]
        else:
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{_describe(atom)}")
    positions = [i for i, f in enumerate(factors) if f is wrt]
    for f in factors:
        if f is not wrt and _contains(f, wrt):
            kind = f.name if isinstance(f, ast.Elementwise) else type(f).__name__.lower()
            raise UnsupportedError(f"the gradient is not linear in {wrt.name}: it contains "
                                   f"{_describe(f)} ({kind} of {wrt.name})")
    if len(positions) != 1:
        raise UnsupportedError(f"the gradient is not linear in {wrt.name}")
    return tuple(scalars), factors, positions[0]


def collect(gradient, wrt):
    """(A, side, b) with g = A*w - b (side 'left') or g = w*A - b (side 'right')."""
    poly = canon(gradient)
    left, right, constant = {}, {}, {}
    n_rows, n_cols = as_pair(shape_of(wrt))
    for term, c in poly.terms.items():
        holds_w = any(_contains(a, wrt) for a, _ in term.scalars) or \
            any(_contains(f, wrt) for f in term.factors)
        if not holds_w:
            constant[term] = constant.get(term, 0) - c
            continue
        scalars, factors, i = _linear_factors(term, wrt)
        before, after = tuple(factors[:i]), tuple(factors[i + 1:])
        if before and after:
            raise UnsupportedError(
                f"{wrt.name} has factors on both sides ({_describe(ast.Mul(*factors))}): "
                "a Sylvester-type equation, which solve does not handle")
        if after:
            target, key = right, Term(scalars, after)
        else:
            target, key = left, Term(scalars, before if before else
                                     (ast.Identity(n_rows),))
        target[key] = target.get(key, 0) + c
    if left and right:
        raise UnsupportedError(f"{wrt.name} is multiplied from the left in some terms and from "
                               "the right in others: a Sylvester-type equation")
    if not left and not right:
        raise UnsupportedError(f"the gradient does not depend on {wrt.name}: no stationary "
                               "point to solve for")
    side = "left" if left else "right"
    coefficients = left or right
    size = n_rows if side == "left" else n_cols
    A = Poly({t: c for t, c in coefficients.items() if c}, (size, size) if size != 1 else ())
    b = Poly({t: c for t, c in constant.items() if c}, shape_of(wrt))
    return A, side, b


def solve(gradient, wrt):
    """The node for w with gradient(w) = 0, and the coefficient A (the constant Hessian's
    transpose for a gradient)."""
    A, side, b = collect(gradient, wrt)
    terms = sorted(A.terms.items(), key=lambda item: str(item[0]))
    common, common_scalars, rest = _common_scalars([(c, t) for t, c in terms])
    reduced = Poly({t: c for c, t in rest}, A.shape)
    scale = Poly({Term(tuple((a, -e) for a, e in common_scalars), ()): 1 / common}, ())
    if A.shape == ():
        inverse = ast.Div(ast.Number(1), to_node(reduced))
    else:
        inverse = ast.Inverse(to_node(reduced))
    parts = [to_node(scale), inverse, to_node(b)] if side == "left" else \
        [to_node(scale), to_node(b), inverse]
    return expanded(ast.Mul(*parts)), to_node(A)


__all__ = ["solve", "collect"]
