"""Shape inference over a raw tree: the laws of rules.py run with unification.

Dimensions are declared names (rigid), integers, or variables that unification binds.
Undeclared names start with their first-letter kind (declarations.default_kind); usage then
forces what it must (a divisor becomes 1 x 1, tr's argument square). Variables that stay
free are named n, d, m, k, ... in order of first appearance.

Inference walks the tree occurrence by occurrence (an `I` may have different sizes at two
places), iteratively and in one fixed order, then walks it again in the same order to
rebuild it with every symbol, `I` and `vector(c)` sized. Errors quote the user's text with
its line, column and a caret.
"""

from collections import deque

from .. import ast, dims
from ..dims import Dim
from ..errors import MatcalcError, ShapeError, caret_context
from .declarations import Declarations, default_kind
from .pairs import as_pair, describe, normalize
from .rules import law_of
from .typed import shape_of
from .unification import OpenEquations, Prod, Var, known_and_unknown, resolve, times

DIM_NAMES = ("n", "d", "m", "k", "p", "q", "r", "s")


class _Inferring:
    """The laws' context during inference (see rules.py for the interface): one symbol
    table for all the roots inferred together, the sizes of every I / vector(c) /
    matrix(c) in walk order, and the product equations still open."""

    all_known = False

    def __init__(self, decls, text, spans):
        self.decls = decls
        self.text = text
        self.spans = spans
        self.symbols = {}          # name -> (rows, cols) terms, in order of first appearance
        self.constants = deque()   # terms of each I / vector(c) / matrix(c), in walk order
        self.equations = OpenEquations()
        self.bound = {}            # where-names -> terms, for the walk under way

    # -- messages
    def fail(self, node, message):
        span = self.spans.get(node)
        if span is None or self.text is None:
            raise ShapeError(message)
        start, end = span
        line = self.text.count("\n", 0, start) + 1
        column = start - (self.text.rfind("\n", 0, start) + 1) + 1
        snippet = self.text[start:end]
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        raise ShapeError(f"{message}, in '{snippet}' (line {line}, column {column})",
                         line=line, column=column, context=caret_context(self.text, line, column))

    def quote(self, node):
        span = self.spans.get(node)
        if span and self.text is not None:
            return f"'{self.text[span[0]:span[1]]}'"
        return f"'{node.name}'" if isinstance(node, ast.Symbol) else "'a subexpression'"

    def show(self, terms):
        rows, cols = (self.show_dim(t) for t in terms)
        return describe(normalize(*(int(x) if x == "1" else x for x in (rows, cols))))

    @staticmethod
    def show_dim(term):
        term = resolve(term)
        if isinstance(term, Prod):
            known, unknown = known_and_unknown(term)
            return "*".join(([str(known)] if known != 1 else []) + ["?"] * len(unknown))
        return "?" if isinstance(term, Var) else str(term)

    # -- unification
    def unify(self, node, a, b):
        return self.equations.unify(node, a, b)

    def settle(self, guess=False):
        """Decide the product equations left open (with `guess`, all of them)."""
        failed = self.equations.settle(guess)
        if failed is not None:
            node, a, b = failed
            self.fail(node, f"the sizes {self.show_dim(a)} and {self.show_dim(b)} "
                            "cannot be made equal")

    def scalar(self, terms):
        return resolve(terms[0]) == 1 and resolve(terms[1]) == 1

    @staticmethod
    def is_one(term):
        return resolve(term) == 1

    times = staticmethod(times)

    # -- leaves
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

    @staticmethod
    def dimension(d):
        return Var() if d is None else d

    def sized(self, terms):
        self.constants.append(terms)
        return terms


# ----------------------------------------------------------------- walks

def _sized_inside(root):
    """The nodes with an I, vector(c) or matrix(c) below them: each occurrence of those
    gets its own size; any other subtree has the same shape wherever it occurs."""
    inside = set()
    for node in ast.postorder(root):
        if isinstance(node, (ast.Identity, ast.Fill)) or any(c in inside for c in node.children):
            inside.add(node)
    return inside


def _bottom_up(root, step):
    """step(node, results of its children) over the tree, in one fixed order, with the
    results of repeated subtrees free of sized nodes reused (their walk is the same)."""
    sized = _sized_inside(root)
    memo = {}
    results = []
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            if node in memo:
                results.append(memo[node])
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children))
            continue
        n = len(node.children)
        kids = results[len(results) - n:] if n else []
        if n:
            del results[len(results) - n:]
        value = step(node, kids)
        if node not in sized:
            memo[node] = value
        results.append(value)
    return results[0]


def _walk(ctx, root, bound):
    """Terms of every occurrence, bottom-up, by the laws; returns the root's terms."""
    ctx.bound = bound
    return _bottom_up(root, lambda node, kids: law_of(node)(ctx, node, kids))


class _Naming:
    """Final dimensions: each free variable named once, n, d, m, ... in order of first
    appearance, skipping names the declarations or the symbols use."""

    def __init__(self, ctx):
        self.taken = ctx.decls.dim_names() | set(ctx.symbols)
        self.names = {}            # root variable -> its name

    def dim(self, term):
        term = resolve(term)
        if isinstance(term, Prod):
            known, unknown = known_and_unknown(term)
            return dims.product(known, *(self.dim(v) for v in unknown))
        if isinstance(term, Var):
            if term not in self.names:
                self.names[term] = self._fresh()
            return Dim(self.names[term])
        return term

    def shape(self, terms):
        return normalize(*(self.dim(t) for t in terms))

    def _fresh(self):
        taken = set(self.names.values()) | self.taken
        for name in DIM_NAMES:
            if name not in taken:
                return name
        i = 1
        while f"n{i}" in taken:
            i += 1
        return f"n{i}"


def _rebuild(ctx, root, naming, bound_shapes):
    """The typed tree: the walk's order again, consuming the sized terms of I and fills."""
    def step(node, kids):
        if isinstance(node, ast.Symbol):
            if node.name in bound_shapes:
                typed = ast.Symbol(node.name, bound_shapes[node.name])
            else:
                typed = ast.Symbol(node.name, naming.shape(ctx.symbols[node.name]),
                                   node.name in ctx.decls.symmetric)
        elif isinstance(node, ast.Identity):
            typed = ast.Identity(naming.dim(ctx.constants.popleft()[0]))
        elif isinstance(node, ast.Fill):
            typed = ast.Fill(naming.shape(ctx.constants.popleft()), kids[0])
        else:
            typed = node.rebuild(kids)
        if typed is not node and node in ctx.spans:
            ctx.spans.setdefault(typed, ctx.spans[node])
        return typed
    return _bottom_up(root, step)


def _require(ctx, node, terms, wanted, message):
    """terms made equal to the pair `wanted`, or a ShapeError with `message()`."""
    if not (ctx.unify(node, terms[0], wanted[0]) and ctx.unify(node, terms[1], wanted[1])):
        ctx.fail(node, message())


# ----------------------------------------------------------------- entry points

def infer(roots, decls, text=None, spans=None, targets=None, equal=False):
    """Typed trees for raw `roots` sharing one symbol table; returns (typed_roots, symbols).

    `symbols` maps each free name to its inferred shape, in order of first appearance.
    `equal` makes the roots take one shape together (the two sides of an identity; a
    literal 0 stands for the zero of any shape).
    `targets`, one shape (or None) per root, makes each root take that shape: a claimed
    derivative such as `I` or `vector(1)` gets its size from the derivative it stands for.
    """
    ctx = _Inferring(decls, text, spans if spans is not None else {})
    plans = []
    for root in roots:
        bound = {}
        if isinstance(root, ast.Where):
            for name, value in zip(root.names, root.values):
                bound[name] = _walk(ctx, value, dict(bound))
        plans.append((root, bound))
    # the body after its bindings, so that walk order == rebuild order below
    for i, (root, bound) in enumerate(plans):
        terms = _walk(ctx, root.body if isinstance(root, ast.Where) else root, bound)
        target = targets[i] if targets else None
        if target is not None:
            _require(ctx, root, terms, as_pair(target),
                     lambda: f"the expression is {ctx.show(terms)} but should be "
                             f"{describe(target)}")
        plans[i] = (root, bound, terms)
    if equal:
        sides = [(root, terms) for root, _, terms in plans if root is not ast.Number(0)]
        for (_, a), (root, b) in zip(sides, sides[1:]):
            _require(ctx, root, b, a, lambda: f"the two sides cannot have one shape: one is "
                                              f"{ctx.show(a)}, the other {ctx.show(b)}")
    ctx.settle(guess=True)
    naming = _Naming(ctx)
    for terms in ctx.symbols.values():     # name free dims in order of appearance
        naming.shape(terms)
    typed_roots = []
    for root, _, _ in plans:
        if isinstance(root, ast.Where):
            shapes_so_far, values = {}, []
            for name, value in zip(root.names, root.values):
                typed = _rebuild(ctx, value, naming, dict(shapes_so_far))
                shapes_so_far[name] = shape_of(typed)
                values.append(typed)
            body = _rebuild(ctx, root.body, naming, shapes_so_far)
            typed_roots.append(ast.Where(root.names, body, *values))
        else:
            typed_roots.append(_rebuild(ctx, root, naming, {}))
    for typed in typed_roots:
        try:
            shape_of(typed)
        except ShapeError as error:   # a late unification undid an earlier choice
            raise ShapeError(f"the shapes cannot be made consistent: {error.message}") from None
    symbols = {name: naming.shape(terms) for name, terms in ctx.symbols.items()}
    return typed_roots, symbols


def unfixed_constants(root):
    """The I / vector(c) / matrix(c) nodes of a typed tree whose size the rest of the tree
    does not fix: written without their size, they would read back with another size (or
    none). The printer writes their size (`I(m*n)`, `vector(1, d)`) so that the text parses
    back, under the same declarations, to the same tree.

    It reads the tree again as the parser would, sizes left out, and compares each
    occurrence's inferred size with the one it has. Subtrees without a constant (or a
    `where` name) are read as one symbol of their shape: only the paths to constants are
    walked.
    """
    order = ast.postorder(root)
    bound = set(root.names) if isinstance(root, ast.Where) else set()
    inside = set()
    for node in order:
        if isinstance(node, (ast.Identity, ast.Fill)) or any(c in inside for c in node.children) \
                or isinstance(node, ast.Symbol) and node.name in bound:
            inside.add(node)
    constants = [n for n in order if isinstance(n, (ast.Identity, ast.Fill))]
    if not constants:
        return set()
    declared, stripped = {}, {}

    def stand_in(node):
        if isinstance(node, ast.Symbol):
            declared[node.name] = node.declared_shape
            return ast.Symbol(node.name)
        name = f"_{len(declared)}"                 # not a name the grammar can write
        declared[name] = shape_of(node)
        return ast.Symbol(name)
    for node in order:
        if node not in inside or node in stripped:
            continue
        if isinstance(node, ast.Symbol):
            stripped[node] = ast.Symbol(node.name)
        elif isinstance(node, ast.Identity):
            stripped[node] = ast.Identity()
        elif isinstance(node, ast.Fill):
            stripped[node] = ast.Fill((None,) if len(node.shape) == 1 else (None, None),
                                      node.value)
        else:
            stripped[node] = node.rebuild([stripped[c] if c in inside else stand_in(c)
                                           for c in node.children])
    parts = list(root.values) + [root.body] if isinstance(root, ast.Where) else [root]
    names = root.names if isinstance(root, ast.Where) else ()
    symmetric = {n.name for n in order if isinstance(n, ast.Symbol) and n.symmetric}
    ctx = _Inferring(Declarations(declared, frozenset(symmetric)), None, {})
    try:
        terms = {}
        for i, part in enumerate(parts):
            if part not in inside:
                result = as_pair(shape_of(part))
            else:
                result = _walk(ctx, stripped[part], dict(terms))
            if i < len(names):
                terms[names[i]] = result
        ctx.settle()
    except MatcalcError:
        return set(constants)          # it does not read back at all: every size written
    occurrences = []                   # the constants left to right, as the walk met them
    stack = [p for p in reversed(parts) if p in inside]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Identity, ast.Fill)):
            occurrences.append(node)
        else:
            stack.extend(c for c in reversed(node.children) if c in inside)
    unfixed = set()
    for node, inferred in zip(occurrences, ctx.constants):
        wanted = as_pair(node.shape) if isinstance(node, ast.Fill) else (node.n, node.n)
        if wanted == (1, 1):
            continue      # a 1 x 1 constant: its size came from a scalar's, which I(1) would hide
        if any(resolve(t) != w for t, w in zip(inferred, wanted)):
            unfixed.add(node)
    return unfixed
