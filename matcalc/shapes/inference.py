"""Shape inference over a raw tree: the laws of rules.py run with unification.

Dimensions are declared names (rigid), integers, or variables that unification binds. An
undeclared name starts with its first-letter kind (declarations.default_kind); usage then
forces what it must (a divisor becomes 1 x 1, tr's argument square). The tree is walked per
occurrence (an `I` may have different sizes at two places), then rebuilt in the same order
with every symbol, `I` and `vector(c)` sized.
"""

from collections import deque
from itertools import chain, count

from .. import ast, dims
from ..dims import Dim
from ..errors import MatcalcError, ShapeError, caret_context
from .declarations import Declarations, as_pair, default_kind, describe, normalize
from .rules import law_of
from .typed import shape_of
from .unification import Prod, Var, guess, known_and_unknown, resolve, times, unify

DIM_NAMES = ("n", "d", "m", "k", "p", "q", "r", "s")


class _Inferring:
    """The laws' context during inference (see rules.py): one symbol table for the roots
    inferred together, the terms of every I / vector(c) / matrix(c) in walk order, and the
    product equations still open. Errors quote the user's text with a caret."""

    all_known = False
    times = staticmethod(times)

    def __init__(self, decls, text, spans, rereading=False):
        self.decls = decls
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
        start, end = span
        line = self.text.count("\n", 0, start) + 1
        column = start - self.text.rfind("\n", 0, start)
        snippet = self.text[start:end]
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
        raise ShapeError(f"{message}, in '{snippet}' (line {line}, column {column})",
                         line=line, column=column, context=caret_context(self.text, line, column))

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
        """Decide the open product equations that later unifications made decidable; when
        `guessing`, the rest too (unification.guess)."""
        progress = True
        while progress and self.open:
            progress = False
            equations, self.open = self.open, []
            for a, b, node in equations:
                left = len(self.open)
                if not unify(a, b, self.open, node):
                    self._unequal(node, a, b)
                progress = progress or len(self.open) == left
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
                terms = (1, 1) if kind == "scalar" else (Var(), 1) if kind == "column" else \
                    (Var(), Var())
            if name in self.decls.symmetric and not self.unify(node, terms[0], terms[1]):
                self.fail(node, f"{name} is declared symmetric but is {self.show(terms)}")
            self.symbols[name] = terms
        return self.symbols[name]

    def dimension(self, d):
        return Var() if d is None or self.rereading else d

    def sized(self, node, terms):
        self.constants.append((node, terms))
        return terms

    def walk(self, root, bound, known=None):
        """Terms of every occurrence, bottom-up, by the laws; returns the root's terms.
        `known` maps nodes to their terms, taken as they are (their subtrees not walked)."""
        self.bound = bound
        return _bottom_up(root, lambda node, kids: law_of(node)(self, node, kids), known)

    def final(self, term):
        """A term's final dimension, each free variable named once: n, d, m, ... in order
        of first appearance, skipping the names the declarations or the symbols use."""
        term = resolve(term)
        if isinstance(term, Prod):
            known, unknown = known_and_unknown(term)
            return dims.product(known, *(self.final(v) for v in unknown))
        if isinstance(term, Var):
            if term not in self.names:
                taken = set(self.names.values()) | self.decls.dim_names() | set(self.symbols)
                fresh = (f"n{i}" for i in count(1))
                self.names[term] = next(n for n in chain(DIM_NAMES, fresh) if n not in taken)
            return Dim(self.names[term])
        return term

    def final_shape(self, terms):
        return normalize(*(self.final(t) for t in terms))

    def rebuild(self, root, bound_shapes):
        """The typed tree: the walk's order again, consuming the terms of I and fills."""
        def step(node, kids):
            if isinstance(node, ast.Symbol):
                name = node.name
                typed = ast.Symbol(name, bound_shapes[name]) if name in bound_shapes else \
                    ast.Symbol(name, self.final_shape(self.symbols[name]),
                               name in self.decls.symmetric)
            elif isinstance(node, ast.Identity):
                typed = ast.Identity(self.final(self.constants.popleft()[1][0]))
            elif isinstance(node, ast.Fill):
                typed = ast.Fill(self.final_shape(self.constants.popleft()[1]), kids[0])
            else:
                typed = node.rebuild(kids)
            if typed is not node and node in self.spans:
                self.spans.setdefault(typed, self.spans[node])
            return typed
        return _bottom_up(root, step)


def _sized_inside(order, bound=()):
    """The nodes of `order` (children first) with an I, vector(c), matrix(c) or a symbol
    named in `bound` below them: each occurrence of those may have its own size; any other
    subtree has the same shape wherever it occurs."""
    inside = set()
    for node in order:
        if isinstance(node, (ast.Identity, ast.Fill)) or any(c in inside for c in node.children) \
                or bound and isinstance(node, ast.Symbol) and node.name in bound:
            inside.add(node)
    return inside


def _bottom_up(root, step, known=None):
    """step(node, results of its children) over the tree, in one fixed order, with the
    results of repeated subtrees free of sized nodes reused (their walk is the same), and
    those of `known` taken as they are."""
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


def infer(roots, decls, text=None, spans=None, targets=None, equal=False):
    """Typed trees for raw `roots` sharing one symbol table; returns (typed_roots, symbols),
    `symbols` the inferred shape of each free name in order of first appearance.

    `equal` makes the roots take one shape together (the two sides of an identity; a
    literal 0 stands for the zero of any shape). `targets`, one shape (or None) per root,
    makes each root take that shape: a claimed derivative such as `I` or `vector(1)` gets
    its size from the derivative it stands for.
    """
    ctx = _Inferring(decls, text, spans if spans is not None else {})
    sides = []
    for root, target in zip(roots, targets or [None] * len(roots)):
        bound = {}
        for name, part in _parts(root):
            bound[name] = ctx.walk(part, dict(bound))
        terms = bound[None]
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
    for terms in ctx.symbols.values():     # name free dims in order of appearance
        ctx.final_shape(terms)
    typed_roots = []
    for root in roots:                     # in the walk's order: constants take their terms
        shapes, typed = {}, []
        for name, part in _parts(root):
            typed.append(ctx.rebuild(part, dict(shapes)))
            if name is not None:
                shapes[name] = shape_of(typed[-1])
        where = isinstance(root, ast.Where)
        typed_roots.append(ast.Where(root.names, typed[-1], *typed[:-1]) if where else typed[0])
    for typed in typed_roots:
        try:
            shape_of(typed)
        except ShapeError as error:   # a late unification undid an earlier choice
            raise ShapeError(f"the shapes cannot be made consistent: {error.message}") from None
    return typed_roots, {name: ctx.final_shape(terms) for name, terms in ctx.symbols.items()}


def unfixed_constants(root):
    """The I / vector(c) / matrix(c) nodes of a typed tree whose size the rest of the tree
    does not fix, so that the printer writes it (`I(m*n)`, `vector(1, d)`): the tree is read
    back as the parser would, sizes left out, and each constant's inferred size compared
    with its own. Only the paths to constants (and `where` names) are walked.
    """
    order = ast.postorder(root)
    constants = [n for n in order if isinstance(n, (ast.Identity, ast.Fill))]
    if not constants:
        return set()
    inside = _sized_inside(order, set(root.names) if isinstance(root, ast.Where) else ())
    typed = {node: as_pair(shape_of(node)) for node in order if node not in inside}
    ctx = _Inferring(Declarations({}, frozenset()), None, {}, rereading=True)
    try:
        bound = {}
        for name, part in _parts(root):
            bound[name] = ctx.walk(part, dict(bound), typed)
        ctx.settle()
    except MatcalcError:
        return set(constants)          # it does not read back at all: every size written
    unfixed = set()
    for node, inferred in ctx.constants:
        wanted = as_pair(node.shape) if isinstance(node, ast.Fill) else (node.n, node.n)
        if wanted == (1, 1):
            continue      # a 1 x 1 constant: its size came from a scalar's, which I(1) would hide
        if any(resolve(t) != w for t, w in zip(inferred, wanted)):
            unfixed.add(node)
    return unfixed
