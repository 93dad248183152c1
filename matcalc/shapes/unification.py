"""Unification of dimensions: variables, products of unknowns, and product equations.

A term is a dimension (int, Dim, DimProduct: rigid, distinct names never unify, nor with
1), a `Var` that unification binds, or a `Prod` of terms not all known yet (the rows m*p
of kron(A, B) while A or B is free). Terms multiply as commutative monomials, so an equation
known_a * vars_a = known_b * vars_b with one unknown is solved by division; one with several
waits in `OpenEquations` until later unifications decide it, or is guessed at the end.
Nothing here recurses: products are multiplied out with a stack.
"""

from .. import dims


class Var:
    """A dimension not yet known; `parent` links it to what it was unified with. `order`
    is the order of creation: of two variables the older one stays the representative,
    and guesses pair unknowns in that order."""

    __slots__ = ("parent", "order")
    _count = 0

    def __init__(self):
        self.parent = None
        Var._count += 1
        self.order = Var._count


class Prod:
    """A product of terms not all known yet; it resolves to a dimension once its factors
    are known."""

    __slots__ = ("factors",)

    def __init__(self, factors):
        self.factors = tuple(factors)


def find(term):
    """The representative of a term (path compression on the way)."""
    root = term
    while isinstance(root, Var) and root.parent is not None:
        root = root.parent
    while isinstance(term, Var) and term.parent is not None and term.parent is not root:
        term.parent, term = root, term.parent
    return root


def known_and_unknown(term):
    """(the product of the known factors, the list of unknown variables) of a term,
    multiplied out."""
    known, unknown, stack = [], [], [term]
    while stack:
        t = find(stack.pop())
        if isinstance(t, Prod):
            stack.extend(t.factors)
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


def times(*terms):
    """The product of terms: a dimension when all are known."""
    return resolve(Prod(terms))


def unify(a, b, pending=None):
    """Make a and b equal; False if they cannot be (and then nothing was bound). A product
    equation that cannot be decided yet (m*p = n*q with several unknowns) is appended to
    `pending`."""
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
        return _unify_products(a, b, pending)
    return a == b


def _cancelled(a, b):
    """(known_a, unknowns_a), (known_b, unknowns_b) with the unknowns both share cancelled."""
    (ka, va), (kb, vb) = known_and_unknown(a), known_and_unknown(b)
    for var in list(va):
        if var in vb:
            va.remove(var)
            vb.remove(var)
    return (ka, va), (kb, vb)


def _unify_products(a, b, pending):
    """Solve known_a * vars_a = known_b * vars_b where it has one answer."""
    (ka, va), (kb, vb) = _cancelled(a, b)
    if not va and not vb:
        return ka == kb
    if len(va) + len(vb) == 1:                      # one unknown: divide
        var, known, other = (va[0], kb, ka) if va else (vb[0], ka, kb)
        q = dims.quotient(known, other)
        if q is None:
            return False
        var.parent = q
        return True
    if len(va) == 1 and len(vb) == 1 and ka == kb:
        return unify(va[0], vb[0])
    if pending is None:
        return False
    pending.append((a, b))
    return True


def _guess_products(a, b):
    """A last resort for a product equation left undecided: unknowns paired in order of
    appearance (kron(A, B) = kron(C, D) makes A like C and B like D), or the known factors
    dealt out one per unknown. Returns whether the equation could be made to hold."""
    (ka, va), (kb, vb) = _cancelled(a, b)
    if not va and not vb:
        return ka == kb
    if va and vb:
        va.sort(key=lambda v: v.order)
        vb.sort(key=lambda v: v.order)
        for x, y in zip(va, vb):
            unify(x, y)
        return _unify_products(a, b, None)
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


class OpenEquations:
    """Unification that keeps the product equations it cannot decide yet, each with the
    node it came from (for the message if it later fails)."""

    def __init__(self):
        self.pending = []          # (a, b): known_a * vars_a = known_b * vars_b, open
        self.nodes = []            # the node each one came from

    def unify(self, node, a, b):
        before = len(self.pending)
        ok = unify(a, b, self.pending)
        self.nodes.extend([node] * (len(self.pending) - before))
        return ok

    def settle(self, guess=False):
        """Decide the open equations that later unifications made decidable; with `guess`,
        the rest too (see _guess_products). Returns the first contradiction as
        (node, a, b), or None."""
        progress = True
        while progress and self.pending:
            progress = False
            open_ = list(zip(self.pending, self.nodes))
            self.pending, self.nodes = [], []
            for (a, b), node in open_:
                count = len(self.pending)
                if not self.unify(node, a, b):
                    return node, a, b
                progress = progress or len(self.pending) == count
        if guess:
            for (a, b), node in zip(self.pending, self.nodes):
                if not _guess_products(a, b):
                    return node, a, b
            self.pending, self.nodes = [], []
        return None
