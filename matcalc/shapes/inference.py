"""Shape inference over a raw tree: the laws of rules.py run with unification.

An undeclared name starts with its first-letter kind (declarations.default_kind); usage then
forces what it must (a divisor becomes 1 x 1, tr's argument square). The tree is walked per
occurrence (an `I` may have different sizes at two places), then rebuilt in the same order.
"""

from collections import deque
from itertools import chain, count

from .. import ast, dims
from ..dims import Dim
from ..errors import MatcalcError, ShapeError, error_at
from .declarations import Declarations, as_pair, default_kind, describe, normalize
from .rules import law_of
from .typed import shape_of
from .unification import Prod, Var, guess, known_and_unknown, resolve, unify

DIM_NAMES = ("n", "d", "m", "k", "p", "q", "r", "s")


class _Inferring:
    """The laws' context (see rules.py) for roots inferred together; errors quote the text."""

    all_known = False

    def __init__(self, decls, text, spans, rereading=False, yielding=0):
        self.decls = decls
        self.yielding = yielding   # how many ranks of defaults give way (RANKS)
        self.taking = frozenset()  # scalar-default names that take their partner's shape
        self.soft = {}             # names whose default gave way -> their default kind
        self.text = text
        self.spans = spans
        self.rereading = rereading  # a typed tree read back as the parser would: no sizes
        self.symbols = {}          # name -> (rows, cols) terms, in order of first appearance
        self.constants = deque()   # (node, terms) of each I, vector(c), matrix(c) walked
        self.bound = {}            # where-names -> terms, for the walk under way
        self.open = []             # (a, b, node): known_a * vars_a = known_b * vars_b
        self.names = {}            # free variable -> its final name

    def fail(self, node, message):
        span = self.spans.get(node)
        if span is None or self.text is None:
            raise ShapeError(message)
        snippet = self.text[span[0]:span[1]]
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
        raise error_at(ShapeError, f"{message}, in '{snippet}'", self.text, span[0])

    def quote(self, node):
        span = self.spans.get(node)
        if span and self.text is not None:
            return f"'{self.text[span[0]:span[1]]}'"
        return f"'{node.name}'" if isinstance(node, ast.Symbol) else "'a subexpression'"

    def show(self, terms):
        return describe(normalize(*(int(x) if x == "1" else x for x in map(self.show_dim, terms))))

    def show_dim(self, term):
        term = resolve(term)
        if isinstance(term, Prod):
            known, unknown = known_and_unknown(term)
            return "*".join(([str(known)] if known != 1 else []) + ["?"] * len(unknown))
        return "?" if isinstance(term, Var) else str(term)

    def unify(self, node, a, b):
        return unify(a, b, self.open, node)

    def require(self, node, terms, wanted, message):
        """terms made equal to the pair `wanted`, or a ShapeError with `message()`."""
        if not (self.unify(node, terms[0], wanted[0]) and self.unify(node, terms[1], wanted[1])):
            self.fail(node, message())

    def settle(self, guessing=False):
        """Decide the open product equations that later ones made decidable (or all, guessing)."""
        while self.open:
            equations, self.open = self.open, []
            for a, b, node in equations:
                if not unify(a, b, self.open, node):
                    self._unequal(node, a, b)
            if len(self.open) == len(equations):      # none decided: none will be
                break
        if guessing:
            for a, b, node in self.open:
                if not guess(a, b):
                    self._unequal(node, a, b)
            self.open = []

    def _unequal(self, node, a, b):
        self.fail(node, f"the sizes {self.show_dim(a)} and {self.show_dim(b)} "
                        "cannot be made equal")

    def scalar(self, terms):
        return resolve(terms[0]) == 1 and resolve(terms[1]) == 1

    def times(self, *terms):
        return resolve(Prod(terms))

    def symbol(self, node):
        name = node.name
        if name in self.bound:
            return self.bound[name]
        if name not in self.symbols:
            declared = self.decls.shapes.get(name)
            if declared is not None:
                terms = as_pair(declared)
            else:
                kind = default_kind(name)
                if RANKS.index(kind) < self.yielding or name in self.taking:
                    terms = (Var(), Var())
                    self.soft[name] = kind
                else:
                    terms = (1, 1) if kind == "scalar" else (Var(), 1) if kind == "column" \
                        else (Var(), Var())
            if name in self.decls.symmetric and not self.unify(node, terms[0], terms[1]):
                self.fail(node, f"{name} is declared symmetric but is {self.show(terms)}")
            self.symbols[name] = terms
        return self.symbols[name]

    def dimension(self, d):
        return Var() if d is None or self.rereading else d

    def sized(self, node, terms):
        self.constants.append((node, terms))
        return terms

    def walk(self, root, known=None):
        """The root's terms by the laws, bottom-up per occurrence: each `where` value, its
        name bound for the rest, then the body. `known` maps nodes to given terms."""
        def step(node, kids):
            return law_of(node)(self, node, kids)
        self.bound = {}
        for name, part in _parts(root):
            self.bound[name] = _bottom_up(part, step, known)
        return self.bound[None]

    def final(self, term):
        """A term's final dimension, each free variable named once: n, d, m, ... in order
        of first appearance, skipping the names the declarations or the symbols use."""
        term = resolve(term)
        if isinstance(term, Prod):
            known, unknown = known_and_unknown(term)
            return dims.product(known, *(self.final(v) for v in unknown))
        if isinstance(term, Var):
            if term not in self.names:
                taken = {n for shape in self.decls.shapes.values() for d in shape
                         for n in dims.names(d)} | set(self.names.values()) | set(self.symbols)
                fresh = (f"n{i}" for i in count(1))
                self.names[term] = next(n for n in chain(DIM_NAMES, fresh) if n not in taken)
            return Dim(self.names[term])
        return term

    def final_shape(self, terms):
        return normalize(*(self.final(t) for t in terms))

    def rebuild(self, root):
        """The typed root: the walk's order again, each I and fill taking its terms."""
        shapes, parts = {}, []          # the `where` names' shapes, the typed parts
        def step(node, kids):
            if isinstance(node, ast.Symbol):
                name = node.name
                typed = ast.Symbol(name, shapes[name]) if name in shapes else ast.Symbol(
                    name, self.final_shape(self.symbols[name]), name in self.decls.symmetric)
            elif isinstance(node, ast.Identity):
                typed = ast.Identity(self.final(self.constants.popleft()[1][0]))
            elif isinstance(node, ast.Fill):
                typed = ast.Fill(self.final_shape(self.constants.popleft()[1]), kids[0])
            else:
                typed = node.rebuild(kids)
            if typed is not node and node in self.spans:
                self.spans.setdefault(typed, self.spans[node])
            return typed
        for name, part in _parts(root):
            parts.append(_bottom_up(part, step))
            if name is not None:
                shapes[name] = shape_of(parts[-1])
        if isinstance(root, ast.Where):
            return ast.Where(root.names, parts[-1], *parts[:-1])
        return parts[0]


def _sized_inside(order, bound=()):
    """The nodes of `order` (children first) with an I, vector(c), matrix(c) or a name in
    `bound` below them: only these may have another shape at another occurrence."""
    inside = set()
    for node in order:
        if isinstance(node, (ast.Identity, ast.Fill)) or any(c in inside for c in node.children) \
                or bound and isinstance(node, ast.Symbol) and node.name in bound:
            inside.add(node)
    return inside


def _bottom_up(root, step, known=None):
    """step(node, results of its children) per occurrence, in one fixed order; a repeated
    subtree without sized nodes is met once, and those of `known` not at all."""
    sized = _sized_inside(ast.postorder(root))
    memo = {} if known is None else dict(known)
    results, stack = [], [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            n = len(node.children)
            value = step(node, results[len(results) - n:])
            del results[len(results) - n:]
            if node not in sized:
                memo[node] = value
            results.append(value)
        elif node in memo:
            results.append(memo[node])
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children))
    return results[0]


def _parts(root):
    """(name, value) of each `where` binding in order, then (None, the body)."""
    if isinstance(root, ast.Where):
        return list(zip(root.names, root.values)) + [(None, root.body)]
    return [(None, root)]


# the defaults' ranks, weakest first: where usage cannot keep them all, scalars (a-g, Greek)
# give way first, then vectors (h-z); matrices (A-Z) hold longest (SPEC 1, Shapes)
RANKS = ("scalar", "column", "matrix")


def infer(roots, decls, text=None, spans=None, targets=None, equal=False):
    """(typed roots, the shape of each free name) for raw `roots` sharing one symbol table.
    `equal` makes the roots take one shape together (the sides of an identity; a literal 0
    is the zero of any shape); `targets`, a shape or None per root, makes each take that one
    (a claimed derivative `I` or `vector(1)` gets its size from the derivative).

    Defaults are preferences with a rank: where keeping them all fails, or bends a stronger
    name (X read as a vector because b stayed a scalar in X*b - y), the weakest give way in
    turn and inference runs again; the first reading that bends no stronger name stands."""
    first_error = None
    taking = _taking(roots, decls)
    tries = ([(0, taking)] if taking else []) + [(k, frozenset()) for k in range(len(RANKS))]
    for yielding, names in tries:
        try:
            typed, symbols = _infer(roots, decls, text, spans, targets, equal, yielding,
                                    names)
        except ShapeError as error:
            first_error = first_error or error
            continue
        if not _bent(symbols, decls, yielding) or yielding == len(RANKS) - 1:
            return typed, symbols
        first_error = first_error or (typed, symbols)
    if isinstance(first_error, tuple):
        return first_error
    raise first_error


def _bent(symbols, decls, yielding):
    """Did a default that holds at this rank lose a dimension (a matrix read as a vector or
    a scalar, a vector as a scalar)?"""
    for name, shape in symbols.items():
        if name in decls.shapes:
            continue
        kind = default_kind(name)
        if RANKS.index(kind) < yielding:
            continue
        if kind == "matrix" and len(shape) < 2 or kind == "column" and shape == ():
            return True
    return False


def _taking(roots, decls):
    """Undeclared scalar-default names added to, subtracted from or combined entrywise with
    another operand as they stand (x - mu): they take that operand's shape (SPEC 1)."""
    found = set()
    for root in roots:
        for node in ast.postorder(root):
            if isinstance(node, (ast.Add, ast.Hadamard, ast.ElemDiv)):
                for child in node.children:
                    if isinstance(child, ast.Neg):
                        child = child.arg
                    if isinstance(child, ast.Symbol) and child.name not in decls.shapes and \
                            default_kind(child.name) == "scalar":
                        found.add(child.name)
    return frozenset(found)


def _infer(roots, decls, text, spans, targets, equal, yielding, taking=frozenset()):
    ctx = _Inferring(decls, text, spans if spans is not None else {}, yielding=yielding)
    ctx.taking = taking
    sides = []
    for root, target in zip(roots, targets or [None] * len(roots)):
        terms = ctx.walk(root)
        if target is not None:
            ctx.require(root, terms, as_pair(target), lambda: f"the expression is "
                        f"{ctx.show(terms)} but should be {describe(target)}")
        if root is not ast.Number(0):
            sides.append((root, terms))
    if equal:
        for (_, a), (root, b) in zip(sides, sides[1:]):
            ctx.require(root, b, a, lambda: f"the two sides cannot have one shape: one is "
                                            f"{ctx.show(a)}, the other {ctx.show(b)}")
    ctx.settle(guessing=True)
    # what usage left open of a name that gave way keeps its default (a + b: scalars)
    shared = {resolve(t) for name, terms in ctx.symbols.items() if name not in ctx.soft
              for t in terms} | {resolve(t) for _, terms in ctx.constants for t in terms}
    for name, kind in ctx.soft.items():
        for k, term in enumerate(ctx.symbols[name]):
            free = resolve(term)
            if isinstance(free, Var) and free not in shared and kind != "matrix" and \
                    (kind == "scalar" or k == 1):
                ctx.unify(None, free, 1)
    ctx.settle(guessing=True)
    symbols = {name: ctx.final_shape(terms) for name, terms in ctx.symbols.items()}
    typed_roots = [ctx.rebuild(root) for root in roots]       # in the order walked
    for typed in typed_roots:
        try:
            shape_of(typed)
        except ShapeError as error:   # a late unification undid an earlier choice
            raise ShapeError(f"the shapes cannot be made consistent: {error.message}") from None
    return typed_roots, symbols


def unfixed_constants(root):
    """The I / vector(c) / matrix(c) nodes of a typed tree whose size the rest does not fix,
    so that the printer writes it (`I(m*n)`): the tree is read back as the parser would,
    sizes left out, and each constant's inferred size compared with its own."""
    order = ast.postorder(root)
    constants = [n for n in order if isinstance(n, (ast.Identity, ast.Fill))]
    if not constants:
        return set()
    inside = _sized_inside(order, set(root.names) if isinstance(root, ast.Where) else ())
    typed = {node: as_pair(shape_of(node)) for node in order if node not in inside}
    ctx = _Inferring(Declarations({}, frozenset()), None, {}, rereading=True)
    try:
        ctx.walk(root, typed)
        ctx.settle()
    except MatcalcError:
        return set(constants)          # it does not read back at all: every size written
    unfixed = set()
    for node, inferred in ctx.constants:
        wanted = as_pair(node.shape) if isinstance(node, ast.Fill) else (node.n, node.n)
        # a 1 x 1 constant took its size from a scalar's, which I(1) would hide
        if wanted != (1, 1) and any(resolve(t) != w for t, w in zip(inferred, wanted)):
            unfixed.add(node)
    return unfixed
