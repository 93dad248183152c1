"""Unification of dimensions: variables, products of unknowns, and product equations.

A term is a dimension (int, Dim, DimProduct: rigid), a `Var` that unification binds, or a
`Prod` of terms not all known yet (the rows m*p of kron(A, B) while A or B is free). Terms
multiply as commutative monomials, so known_a * vars_a = known_b * vars_b with one unknown
is solved by division; with several it stays open until later unifications decide it, or
is guessed at the end. Nothing here recurses: products are multiplied out with a stack.
"""

from .. import dims


class Var:
    """An unknown dimension; `parent` links it to what it was unified with. Of two variables
    the older (lower `order`) stays the representative, and guesses pair unknowns in order."""

    __slots__ = ("parent", "order")
    _count = 0

    def __init__(self):
        self.parent = None
        Var._count += 1
        self.order = Var._count


class Prod(tuple):
    __slots__ = ()                 # the factors


def find(term):
    """The representative of a term (path compression on the way)."""
    root = term
    while isinstance(root, Var) and root.parent is not None:
        root = root.parent
    while isinstance(term, Var) and term.parent is not None and term.parent is not root:
        term.parent, term = root, term.parent
    return root


def known_and_unknown(term):
    """(the product of the known factors, the list of unknown variables) of a term."""
    known, unknown, stack = [], [], [term]
    while stack:
        t = find(stack.pop())
        if isinstance(t, Prod):
            stack.extend(t)
        elif isinstance(t, Var):
            unknown.append(t)
        else:
            known.append(t)
    return dims.product(*known), unknown


def resolve(term):
    """A term with everything known substituted: a dimension, a variable, or a Prod."""
    term = find(term)
    if not isinstance(term, Prod):
        return term
    known, unknown = known_and_unknown(term)
    if not unknown:
        return known
    if known == 1 and len(unknown) == 1:
        return unknown[0]
    return Prod([known] + unknown)


def unify(a, b, pending=None, origin=None):
    """Make a and b equal; False if they cannot be (and then nothing was bound). A product
    equation that cannot be decided yet (m*p = n*q with several unknowns) is appended to
    `pending` as (a, b, origin)."""
    a, b = resolve(a), resolve(b)
    if a is b:
        return True
    if isinstance(a, Var) and isinstance(b, Var):
        older, newer = (a, b) if a.order < b.order else (b, a)
        newer.parent = older
        return True
    if isinstance(a, Var) and not (isinstance(b, Prod) and a in known_and_unknown(b)[1]):
        a.parent = b
        return True
    if isinstance(b, Var) and not (isinstance(a, Prod) and b in known_and_unknown(a)[1]):
        b.parent = a
        return True
    if isinstance(a, Prod) or isinstance(b, Prod):
        return _unify_products(a, b, pending, origin)
    return a == b


def _cancelled(a, b):
    """(known_a, unknowns_a), (known_b, unknowns_b) with the unknowns both share cancelled."""
    (ka, va), (kb, vb) = known_and_unknown(a), known_and_unknown(b)
    for var in list(va):
        if var in vb:
            va.remove(var)
            vb.remove(var)
    return (ka, va), (kb, vb)


def _unify_products(a, b, pending, origin):
    """Solve known_a * vars_a = known_b * vars_b where it has one answer."""
    (ka, va), (kb, vb) = _cancelled(a, b)
    if not va and not vb:
        return ka == kb
    if len(va) + len(vb) == 1:                      # one unknown: divide
        var, known, other = (va[0], kb, ka) if va else (vb[0], ka, kb)
        q = dims.quotient(known, other)
        if q is not None:
            var.parent = q
        return q is not None
    if len(va) == 1 and len(vb) == 1 and ka == kb:
        return unify(va[0], vb[0])
    if pending is None:
        return False
    pending.append((a, b, origin))
    return True


def guess(a, b):
    """Make an undecided product equation hold if it can, as a last resort: unknowns paired
    in order (kron(A, B) = kron(C, D): A like C, B like D), or the known factors dealt out."""
    (ka, va), (kb, vb) = _cancelled(a, b)
    if not va and not vb:
        return ka == kb
    if va and vb:
        va.sort(key=lambda v: v.order)
        vb.sort(key=lambda v: v.order)
        for x, y in zip(va, vb):
            unify(x, y)
        return _unify_products(a, b, None, None)
    unknown, known, other = (va, kb, ka) if va else (vb, ka, kb)
    rest = dims.quotient(known, other)
    if rest is None:
        return False
    coefficient, powers = dims.factors(rest)
    pieces = [dims.Dim(n) for n, e in sorted(powers.items()) for _ in range(e)]
    pieces = ([coefficient] if coefficient != 1 else []) + pieces
    if len(pieces) < len(unknown):
        return False
    for var, piece in zip(unknown[:-1], pieces):
        var.parent = piece
    unknown[-1].parent = dims.product(*pieces[len(unknown) - 1:])
    return True
