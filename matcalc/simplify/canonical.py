"""The canonical polynomial of an expression: one rule per node type.

Transposes are pushed to the leaves ((A*B)' = B'*A', (A')' = A, inv(A)' = inv(A'),
declared-symmetric leaves drop theirs), products distribute over sums, traces are rotated
to one orientation, and elementwise operations and functions stay atoms whose arguments are
canonical (distributing them would grow size exponentially with depth).
"""

from fractions import Fraction

from .. import ast, registry
from ..errors import UnsupportedError
from ..shapes import as_pair, normalize, shape_of
from . import kronecker
from .order import key
from .sharing import inline
from .polynomial import (ONE, Poly, Term, _add, _atom, _cancel, _const, _constant, _core,
                         _from_core,
                         _finish, _merge_monomials, _merge_scalars, _monomial, _monomial_node,
                         _mul, _pull_scalars, _scalar_product, _scale, _scale_monomial,
                         _single, _with_scalars, to_node)


_transposed = {}


def transpose_atom(atom):
    """The canonical transpose of a canonical atom (transposes end at the leaves)."""
    found = _transposed.get(atom)
    if found is not None:
        return found
    shape = shape_of(atom)
    if shape == () or isinstance(atom, (ast.Identity,)):
        result = atom
    elif isinstance(atom, ast.Symbol):
        result = atom if atom.symmetric else ast.Transpose(atom)
    elif isinstance(atom, ast.Transpose):
        result = atom.arg
    elif isinstance(atom, ast.Fill):
        result = ast.Fill(normalize(*reversed(as_pair(atom.shape))), atom.value)
    elif isinstance(atom, ast.Diag) and len(shape_of(atom.arg)) == 1:
        result = atom                           # diag(v) is symmetric; diag(A) is a vector
    elif isinstance(atom, (ast.Diag, ast.Vec, ast.Unvec, ast.Softmax)):
        result = ast.Transpose(atom)           # a column (or a matrix) with no structure
    elif isinstance(atom, ast.Kron):
        result = kronecker.transpose_kron(atom)
    elif isinstance(atom, ast.Commutation):
        result = ast.Commutation(atom.n, atom.m)
    elif isinstance(atom, (ast.Inverse, ast.Elementwise)):
        result = atom.rebuild([transpose_node(atom.children[0])])
    elif isinstance(atom, (ast.Hadamard, ast.ElemDiv, ast.ElemPower)) and \
            len(_monomial(atom)) and all(f is not atom for f in _monomial(atom)):
        result = _monomial_node({transpose_node(f): e for f, e in _monomial(atom).items()})
    elif isinstance(atom, (ast.Power, ast.ElemPower)):
        result = type(atom)(transpose_node(atom.base), atom.exponent)
    else:
        result = transpose_node(atom)
    _transposed[atom] = result
    _transposed.setdefault(result, atom)
    return result


def transpose_node(node):
    """The canonical (expanded) node of node'."""
    return to_node(_transpose(canon(node)))


def _transpose(poly):
    shape = normalize(*reversed(as_pair(poly.shape)))
    out = {}
    for term, c in poly.terms.items():
        factors = tuple(transpose_atom(f) for f in reversed(term.factors))
        t = _finish(term.scalars, factors, shape)
        out[t] = out.get(t, 0) + c
    return Poly({t: c for t, c in out.items() if c}, shape)


# ----------------------------------------------------------------- canonical polynomial

_canon = {}


def canon(root):
    """The canonical polynomial of a typed node (memoized; iterative over the DAG)."""
    found = _canon.get(root)
    if found is not None:
        return found
    if isinstance(root, ast.Where):
        return canon(inline(root))
    for node in ast.postorder(root, known=_canon.__contains__):
        _canon[node] = _rule(node)
    return _canon[root]


def _rule(node):
    shape = shape_of(node)
    kids = [canon(c) for c in node.children]
    if isinstance(node, ast.Symbol):
        return _atom(node, shape)
    if isinstance(node, ast.Number):
        return _const(node.value)
    if isinstance(node, ast.Identity):
        return _const(1) if shape == () else _atom(node, shape)
    if isinstance(node, ast.Commutation):
        return kronecker.commutation(node, shape)
    if isinstance(node, ast.Kron):
        return kronecker.kron(kids[0], kids[1], shape)
    if isinstance(node, ast.Vec):
        return kronecker.vec(kids[0], shape)
    if isinstance(node, ast.Unvec):
        return kronecker.unvec(kids[0], node.shape, shape)
    if isinstance(node, ast.Softmax):
        return _const(1) if shape == () else _atom(ast.Softmax(to_node(kids[0])), shape)
    if isinstance(node, ast.LogSumExp):
        return kids[0] if kids[0].shape == () else _atom(ast.LogSumExp(to_node(kids[0])), ())
    if isinstance(node, ast.Fill):
        if not kids[0].terms:
            return Poly({}, shape)
        return _mul(kids[0], _atom(ast.Fill(shape, ast.Number(1)), shape))
    if isinstance(node, ast.Add):
        return _add(kids, shape)
    if isinstance(node, ast.Neg):
        return _scale(kids[0], -1)
    if isinstance(node, ast.Mul):
        acc = kids[0]
        for k in kids[1:]:
            acc = _mul(acc, k)
        return acc
    if isinstance(node, ast.Div):
        return _mul(kids[0], _reciprocal(kids[1]))
    if isinstance(node, ast.Hadamard):
        return _hadamard(kids[0], kids[1], shape)
    if isinstance(node, ast.ElemDiv):
        return _hadamard(kids[0], kids[1], shape, divide=True)
    if isinstance(node, ast.Power):
        return _power(node, kids[0], kids[1], shape)
    if isinstance(node, ast.ElemPower):
        return _elem_power(kids[0], kids[1], shape)
    if isinstance(node, ast.Transpose):
        return _transpose(kids[0])
    if isinstance(node, ast.Trace):
        return _linear(kids[0], (), _trace_term)
    if isinstance(node, ast.Sum):
        if kids[0].shape == ():
            return kids[0]
        return _linear(kids[0], (), _sum_term)
    if isinstance(node, ast.Diag):
        if kids[0].shape == ():
            return kids[0]
        return _linear(kids[0], shape, lambda term, p: _atom(ast.Diag(_diag_arg(p)), shape))
    if isinstance(node, ast.Inverse):
        return _inverse(kids[0], shape)
    if isinstance(node, (ast.Det, ast.LogDet)):
        return _determinant(type(node), kids[0])
    if isinstance(node, (ast.Norm1, ast.Norm2)):
        if kids[0].shape == ():
            return _atom(ast.Elementwise("abs", to_node(kids[0])), ())
        arg = to_node(kids[0])
        return _atom(type(node)(min(arg, to_node(_transpose(kids[0])), key=key)), ())
    if isinstance(node, ast.Elementwise):
        return _function(node.name, kids[0], shape)
    if isinstance(node, ast.Derivative):
        raise UnsupportedError("diff(...) terms are differentiated before simplification")
    raise UnsupportedError(f"cannot simplify {type(node).__name__}")


def _reciprocal(poly):
    value = _constant(poly)
    if value is not None:
        if value == 0:
            return _atom(ast.Power(ast.Number(0), ast.Number(-1)), ())
        return _const(1 / value)
    single = _single(poly)
    if single is not None:
        c, term = single
        return Poly({Term(tuple((a, -e) for a, e in term.scalars), ()): 1 / c}, ())
    return Poly({Term(((to_node(poly), Fraction(-1)),), ()): ONE}, ())


def _hadamard(p, q, shape, divide=False):
    """p .* q (or p ./ q): scalars pulled out, the rest one canonical monomial."""
    if q.shape == () and divide:
        return _mul(p, _reciprocal(q))
    if p.shape == () and divide:
        return _mul(p, _elem_power(q, _const(-1), shape))
    if p.shape == () or q.shape == ():
        return _mul(p, q) if p.shape == () else _mul(q, p)
    if not p.terms:
        return Poly({}, shape)
    if not q.terms:
        if divide:
            return _atom(ast.ElemDiv(to_node(p), to_node(q)), shape)
        return Poly({}, shape)
    cp, sp, rp = _pull_scalars(p)
    cq, sq, rq = _pull_scalars(q)
    sign = -1 if divide else 1
    if divide:
        cq, sq = 1 / cq, tuple((a, -e) for a, e in sq)
    mono = _merge_monomials(_monomial(to_node(rp)), _scale_monomial(_monomial(to_node(rq)), sign))
    return _with_scalars(cp * cq, _merge_scalars(sp, sq), _monomial_poly(mono, shape))


def _monomial_poly(mono, shape):
    node = _monomial_node(mono, shape)
    if len(mono) == 1 and next(iter(mono.values())) == 1:
        return canon(node)                     # a single factor is that factor
    return _atom(node, shape)


def _power(node, base, exponent, shape):
    k = _constant(exponent)
    if k is None:
        return _atom(ast.Power(to_node(base), to_node(exponent)), shape)
    if base.shape == ():
        if k == 0:
            return _const(1)
        if k == 1:
            return base
        norm = _norm_squared(base, k)
        if norm is not None:
            return norm
        single = _single(base)
        if single is not None and (k.denominator == 1 or all(e == 1 for _, e in single[1].scalars)
                                   and single[0] > 0):
            c, term = single
            scalars = tuple((a, e * k) for a, e in term.scalars)
            coefficient = _rational_power(c, k)
            if coefficient is not None:
                return Poly({Term(scalars, ()): coefficient}, ())
        return Poly({Term(((to_node(base), k),), ()): ONE}, ())
    # a square matrix to an integer power: the power of one factor is an atom, A^3 (and a
    # product A*A*A is written so too: polynomial._cancel); a product or a sum to a small
    # power is multiplied out, to a large one kept whole
    n = as_pair(shape)[0]
    if k == 0:
        return _atom(ast.Identity(n), shape)
    if k < 0:
        base = _inverse(base, shape)
        k = -k
    if k == 1:
        return base
    single = _single(base)
    if single is not None and len(single[1].factors) == 1:
        c, term = single
        core, e = _core(term.factors[0])
        scalars = tuple((a, e_a * k) for a, e_a in term.scalars)
        return Poly({Term(scalars, (_from_core(core, e * int(k)),)): c ** int(k)}, shape)
    if k <= 4:
        acc = base
        for _ in range(int(k) - 1):
            acc = _mul(acc, base)
        return acc
    return _atom(ast.Power(to_node(base), ast.Number(k)), shape)


def _rational_power(c, k):
    if k.denominator == 1:
        return c ** int(k)
    if c == 1:
        return ONE
    return None


def _norm_squared(base, k):
    """norm2(v)^2 = v'*v for a vector v (the form every textbook gradient expects)."""
    single = _single(base)
    if k != 2 or single is None or single[0] != 1 or single[1].factors:
        return None
    ((atom, e),) = single[1].scalars if len(single[1].scalars) == 1 else ((None, None),)
    if e != 1 or not isinstance(atom, ast.Norm2) or len(shape_of(atom.arg)) != 1:
        return None
    v = canon(atom.arg)
    return _mul(_transpose(v), v)


def _elem_power(base, exponent, shape):
    k = _constant(exponent)
    if base.shape == ():
        return _power(None, base, exponent, shape) if k is not None else \
            _atom(ast.Power(to_node(base), to_node(exponent)), ())
    if k is None:
        return _atom(ast.ElemPower(to_node(base), to_node(exponent)), shape)
    if k == 0:
        return _atom(ast.Fill(shape, ast.Number(1)), shape)
    if k == 1:
        return base
    c, scalars, rest = _pull_scalars(base)
    coefficient = _rational_power(c, k)
    if coefficient is None:
        c, scalars, rest = ONE, (), base
        coefficient = ONE
    scalars = tuple((a, e * k) for a, e in scalars)
    if k.denominator == 1 and (len(rest.terms) == 1 or not rest.terms):
        mono = _scale_monomial(_monomial(to_node(rest)), k)
        return _with_scalars(coefficient, scalars, _monomial_poly(mono, shape))
    atom = ast.ElemPower(to_node(rest), ast.Number(k))
    return _with_scalars(coefficient, scalars, _atom(atom, shape))


def _linear(poly, shape, term_rule):
    """Apply a linear function term by term, coefficients and scalar atoms pulled out."""
    parts = []
    for term, c in poly.terms.items():
        rest = Poly({Term((), term.factors): ONE}, poly.shape)
        if term.factors:
            part = term_rule(term, rest)
        else:
            part = term_rule(term, rest) if poly.shape != () else _const(1)
        parts.append(_with_scalars(c, term.scalars, part))
    return _add(parts, shape)


def _trace_term(term, rest):
    factors = term.factors
    if len(factors) == 1 and isinstance(factors[0], ast.Kron):
        split = kronecker.trace_kron(factors[0])
        if split is not None:
            return split
    candidates = []
    for sequence in (factors, tuple(transpose_atom(f) for f in reversed(factors))):
        for i in range(len(sequence)):
            rotated = sequence[i:] + sequence[:i]
            if shape_of(rotated[0]) and as_pair(shape_of(rotated[0]))[0] == 1:
                return _atom(_scalar_product(rotated), ())      # tr(x*y') = y'*x
            candidates.append(rotated)
    best = min(candidates, key=lambda seq: tuple(key(f) for f in seq))
    return _atom(ast.Trace(best[0] if len(best) == 1 else ast.Mul(*best)), ())


def _sum_term(term, rest):
    factors = term.factors
    if len(factors) == 1 and isinstance(factors[0], ast.Hadamard):
        a, b = factors[0].left, factors[0].right
        if len(shape_of(a)) == 1:                   # sum(a .* b) = a'*b for columns
            return _mul(_transpose(canon(a)), canon(b))
    node = to_node(rest)
    backward = to_node(_transpose(rest))
    return _atom(ast.Sum(min(node, backward, key=key)), ())


def _diag_arg(poly):
    """diag(A') = diag(A): the argument in its smaller orientation."""
    node = to_node(poly)
    if len(poly.shape) == 2:
        return min(node, to_node(_transpose(poly)), key=key)
    return node


def _inverse(poly, shape):
    single = _single(poly)
    if single is not None:
        c, term = single
        square = all(len(shape_of(f)) == 2 and as_pair(shape_of(f))[0] == as_pair(shape_of(f))[1]
                     for f in term.factors)
        if square:
            factors = tuple(_invert_atom(f) for f in reversed(term.factors))
            scalars = tuple((a, -e) for a, e in term.scalars)
            t = _finish(scalars, _cancel(factors) if factors else (), shape)
            return Poly({t: 1 / c}, shape)
        inner = ast.Mul(*term.factors) if len(term.factors) > 1 else term.factors[0]
        return Poly({Term(tuple((a, -e) for a, e in term.scalars),
                          (ast.Inverse(inner),)): 1 / c}, shape)
    return _atom(ast.Inverse(to_node(poly)), shape)


def _invert_atom(f):
    if isinstance(f, ast.Inverse):
        return f.arg
    if isinstance(f, ast.Identity):
        return f
    if isinstance(f, ast.Commutation):
        return ast.Commutation(f.n, f.m)                 # a permutation: K^-1 = K'
    if isinstance(f, ast.Kron) and kronecker.invert_kron(f) is not None:
        return kronecker.invert_kron(f)
    if isinstance(f, ast.Power) and isinstance(f.exponent, ast.Number):
        return ast.Power(_invert_atom(f.base), f.exponent)
    return ast.Inverse(f)


def _determinant(kind, poly):
    single = _single(poly)
    if single is not None and single[0] == 1 and not single[1].scalars and \
            len(single[1].factors) == 1:
        f = single[1].factors[0]
        if isinstance(f, ast.Inverse):                # det(inv(A)) = 1/det(A)
            inner = _determinant(kind, canon(f.arg))
            return _scale(inner, -1) if kind is ast.LogDet else _reciprocal(inner)
    node = to_node(poly)
    return _atom(kind(min(node, transpose_node(node), key=key)), ())


def _function(name, poly, shape):
    """f(g(u)) = u where f is g's inverse (log(exp(u))), f(f(u)) = f(u) where f is
    idempotent (sign, abs, relu), f(0) where the record knows it exactly."""
    record = registry.ELEMENTWISE[name]
    arg = to_node(poly)
    if isinstance(arg, ast.Elementwise) and arg.name == record.inverse:
        return canon(arg.arg)
    if isinstance(arg, ast.Elementwise) and arg.name == name and record.idempotent:
        return poly
    if record.at_zero is not None and _constant(poly) == 0:
        value = _const(record.at_zero)
        return value if shape == () else _mul(value, _atom(ast.Fill(shape, ast.Number(1)), shape))
    return _atom(ast.Elementwise(name, arg), shape)
