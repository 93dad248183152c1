"""The shape laws: one row per node type, each written once to infer and to check.

A law maps a node and its children's (rows, cols) terms to the node's terms: with unification
variables that `unify` binds (inference.py), or all known, `unify` testing equality
(typed.py). A scalar is 1 x 1 and a column d x 1, so `*` needs one law. A law sees its
context `ctx` only through:

    unify(node, a, b)      make dimensions a and b equal; False if they cannot be
    scalar(terms)          are both terms known to be 1
    times(*terms)          the product of dimensions
    fail(node, message)    a ShapeError; quote(node), show(terms), show_dim(term) write it
    symbol(node)           a symbol's terms (declared, bound by `where`, or a default)
    dimension(d)           a constant's size d, or an unknown for None
    sized(node, terms)     the terms of an I / vector(c) / matrix(c), recorded in order
    all_known              True for typed trees

Node classes have their rows in RULES; a registered function's is the law its record's
`shape` names in LAWS, so a new function needs no edit here.
"""

from .. import ast, registry
from ..errors import UnsupportedError
from .declarations import as_pair


def _require_scalar(ctx, node, child, terms, role):
    if not (ctx.unify(node, terms[0], 1) and ctx.unify(node, terms[1], 1)):
        ctx.fail(node, f"{role} must be a scalar, but {ctx.quote(child)} is {ctx.show(terms)}")


def _scalar(ctx, node, kids):
    """A number; sum, norms: any shape -> scalar."""
    return (1, 1)


def _identity(ctx, node, kids):
    """I: n x n, n given (I(n*d)) or left to the place it stands in."""
    size = ctx.dimension(node.n)
    return ctx.sized(node, (size, size))


def _fill(ctx, node, kids):
    """vector(c), matrix(c): c a scalar; the size given or left to the place."""
    _require_scalar(ctx, node, node.value, kids[0], "the fill value")
    rows, cols = as_pair(node.shape)
    cols = cols if len(node.shape) == 1 else ctx.dimension(cols)     # a column: 1 is no size
    return ctx.sized(node, (ctx.dimension(rows), cols))


def _commutation(ctx, node, kids):
    """commutation(m, n): mn x mn."""
    size = ctx.times(node.m, node.n)
    return (size, size)


def _entrywise(ctx, node, kids):
    """a + b, a .* b, a ./ b: every side of one shape, where a scalar side broadcasts."""
    # by index, the children fetched only for a message: typed trees pass here often
    shaped = []
    for i, terms in enumerate(kids):
        if not ctx.scalar(terms):
            shaped.append(i)
    if not shaped:
        return (1, 1)
    first = kids[shaped[0]]
    for i in shaped[1:]:
        terms = kids[i]
        if not (ctx.unify(node, first[0], terms[0]) and ctx.unify(node, first[1], terms[1])):
            verb = {ast.Add: "add", ast.Hadamard: "multiply entrywise",
                    ast.ElemDiv: "divide entrywise", ast.ElemPower: "raise entrywise"}
            children = node.children
            ctx.fail(node, f"cannot {verb[type(node)]} {ctx.quote(children[shaped[0]])} "
                           f"({ctx.show(first)}) and {ctx.quote(children[i])} ({ctx.show(terms)})")
    return first


def _same(ctx, node, kids):
    """-a, f(a) entrywise; `body where names = values`: the body's shape."""
    return kids[0]


def _product(ctx, node, kids):
    """a * b * ...: a left fold, a 1 x 1 side scaling the other, (r x k) * (k x c) = r x c."""
    acc = kids[0]
    for i in range(1, len(kids)):
        terms = kids[i]
        if ctx.scalar(acc):
            acc = terms
        elif not ctx.scalar(terms):
            if not ctx.unify(node, acc[1], terms[0]):
                ctx.fail(node, f"cannot multiply {ctx.show(acc)} by {ctx.show(terms)} "
                               f"({ctx.quote(node.children[i])}): inner dimensions "
                               f"{ctx.show_dim(acc[1])} and {ctx.show_dim(terms[0])} differ")
            acc = (acc[0], terms[1])
    return acc


def _divide(ctx, node, kids):
    """a / s: s a scalar."""
    _require_scalar(ctx, node, node.right, kids[1], "a divisor")
    return kids[0]


def _power(ctx, node, kids):
    """a ^ k: k a scalar; a square matrix when k is an integer literal, else a scalar."""
    base, exponent = kids
    _require_scalar(ctx, node, node.exponent, exponent, "an exponent")
    literal = node.exponent.arg if isinstance(node.exponent, ast.Neg) else node.exponent
    if isinstance(literal, ast.Number) and literal.value.denominator == 1:
        _square_to_same(ctx, node, kids, "a matrix power")
    else:
        _require_scalar(ctx, node, node.base, base,
                        "the base of a non-integer power (use .^ for entries)")
    return base


def _entrywise_power(ctx, node, kids):
    """a .^ b: b a scalar, or of a's shape."""
    base, exponent = kids
    if not ctx.scalar(exponent):
        # a scalar base with a matrix exponent is refused once every size is known: during
        # inference the exponent may still turn out 1 x 1 (its typed result is checked too)
        if ctx.all_known and ctx.scalar(base):
            ctx.fail(node, "an entrywise exponent must be a scalar or of the base's shape")
        _entrywise(ctx, node, kids)
    return base


def _unvec(ctx, node, kids):
    """unvec(v, m, n): v an mn-vector, the result m x n."""
    m, n = node.shape
    _vector_to_same(ctx, node, kids, "unvec")
    size = ctx.times(m, n)
    if not ctx.unify(node, kids[0][0], size):
        ctx.fail(node, f"unvec to {m} x {n} needs a {ctx.show_dim(size)}-vector, but "
                       f"{ctx.quote(node.arg)} is {ctx.show(kids[0])}")
    return (m, n)


def _derivative(ctx, node, kids):
    """d F / d W (SPEC 2b), denominator layout: a scalar F's derivative has W's shape; by a
    scalar W, a matrix keeps its shape and a column becomes a row; otherwise the matrix form
    d vec(F) / d vec(W), size(W) x size(F)."""
    function, variable = kids
    if ctx.scalar(function):
        return variable
    if ctx.scalar(variable):
        return (1, function[0]) if ctx.scalar((function[1], 1)) else function
    return (ctx.times(*variable), ctx.times(*function))


# ----------------------------------------------------------------- function laws
# `what` names who needs the argument's kind, for a message (by default the function).

def _square_to_same(ctx, node, kids, what=None):
    """inv: n x n -> n x n."""
    rows, cols = kids[0]
    if not ctx.unify(node, rows, cols):
        ctx.fail(node, f"{what or registry.name_of(node)} needs a square matrix, but "
                       f"{ctx.quote(node.children[0])} is {ctx.show(kids[0])}")
    return kids[0]


def _square_to_scalar(ctx, node, kids):
    """tr, det, logdet: n x n -> scalar."""
    _square_to_same(ctx, node, kids)
    return (1, 1)


def _diag(ctx, node, kids):
    """diag(v), v an n-vector: n x n; diag(A), A n x n: its diagonal, an n-vector."""
    rows, cols = kids[0]
    if ctx.scalar((cols, 1)):
        return (rows, rows)
    _square_to_same(ctx, node, kids, "diag of a matrix")
    return (rows, 1)


def _vector_to_same(ctx, node, kids, what=None):
    """softmax: an n-vector -> an n-vector."""
    if not ctx.unify(node, kids[0][1], 1):
        ctx.fail(node, f"{what or registry.name_of(node)} takes a vector, but "
                       f"{ctx.quote(node.children[0])} is {ctx.show(kids[0])}")
    return kids[0]


def _vector_to_scalar(ctx, node, kids):
    """logsumexp: an n-vector -> scalar."""
    _vector_to_same(ctx, node, kids)
    return (1, 1)


def _kron(ctx, node, kids):
    """kron(A, B), A m x n and B p x q: mp x nq."""
    (r1, c1), (r2, c2) = kids
    return (ctx.times(r1, r2), ctx.times(c1, c2))


LAWS = {
    "elementwise":      _same,
    "square -> scalar": _square_to_scalar,
    "square -> same":   _square_to_same,
    "any -> scalar":    _scalar,
    "diag":             _diag,
    "vec":              lambda ctx, node, kids: (ctx.times(*kids[0]), 1),     # mn-vector
    "vector -> same":   _vector_to_same,
    "vector -> scalar": _vector_to_scalar,
    "kron":             _kron,
}

RULES = {
    ast.Symbol:      lambda ctx, node, kids: ctx.symbol(node),
    ast.Number:      _scalar,
    ast.Identity:    _identity,
    ast.Fill:        _fill,
    ast.Commutation: _commutation,
    ast.Add:         _entrywise,
    ast.Hadamard:    _entrywise,
    ast.ElemDiv:     _entrywise,
    ast.Neg:         _same,
    ast.Mul:         _product,
    ast.Div:         _divide,
    ast.Power:       _power,
    ast.ElemPower:   _entrywise_power,
    ast.Transpose:   lambda ctx, node, kids: kids[0][::-1],
    ast.Unvec:       _unvec,
    ast.Derivative:  _derivative,
    ast.Where:       _same,
}


def law_of(node):
    """The law of a node: its class's row, or for a function its record's law."""
    law = RULES.get(type(node))
    if law is None:
        record = registry.of(node)
        if record is None:
            raise UnsupportedError(f"no shape rule for {type(node).__name__}")
        law = LAWS[record.shape]
    return law
