"""Shapes: inference over a raw AST by unification, and the shape of any typed node.

Every subexpression has a shape (rows, cols); a scalar is 1 x 1 and a column vector d x 1, so
`*` needs one rule: scaling when a side is 1 x 1, a matrix product otherwise. Dimensions are
declared names (rigid: distinct names never unify, and never with 1), integers, or variables
that unification binds. Undeclared names start with matrixcalculus.org's first-letter kinds
(a-g and lowercase Greek: scalars; h-z: columns of free length; A-Z: matrices of free size);
usage then forces what it must (a divisor becomes 1 x 1, tr's argument square). Variables that
stay free are named n, d, m, k, ... in order of first appearance.

Inference walks the tree occurrence by occurrence (an `I` may have different sizes at two
places), iteratively, then rebuilds the tree with every symbol, `I` and `vector(c)` sized.
Public shapes are normalized: () for a scalar, (d,) for a column, (m, n) otherwise.
"""

import re
from collections import deque
from typing import NamedTuple

from . import ast, dims, registry
from .dims import Dim, DimProduct
from .errors import MatcalcError, ShapeError, UnsupportedError, caret_context

GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega".split())
DIM_NAMES = ("n", "d", "m", "k", "p", "q", "r", "s")


def normalize(rows, cols):
    """(rows, cols) -> the public shape: () scalar, (d,) column, (m, n) otherwise."""
    if rows == 1 and cols == 1:
        return ()
    if cols == 1:
        return (rows,)
    return (rows, cols)


def as_pair(shape):
    """The public shape -> (rows, cols)."""
    if len(shape) == 0:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    return tuple(shape)


def describe(shape):
    """'scalar', 'n-vector', 'n x d' for messages."""
    if shape == ():
        return "scalar"
    if len(shape) == 1:
        return f"{shape[0]}-vector"
    return f"{shape[0]} x {shape[1]}"


def is_scalar(shape):
    return shape == ()


# ----------------------------------------------------------------- declarations

class Declarations(NamedTuple):
    """User-declared shapes (normalized, dims as Dim or int) and symmetric names."""

    shapes: dict
    symmetric: frozenset

    def dim_names(self):
        return {n for shape in self.shapes.values() for d in shape for n in dims.names(d)}


def _dimension(name, value):
    if isinstance(value, bool):
        raise MatcalcError(f"shape of {name}: {value!r} is not a dimension")
    if isinstance(value, int):
        if value < 1:
            raise MatcalcError(f"shape of {name}: dimension {value} must be at least 1")
        return value
    if isinstance(value, DimProduct):
        return value
    text = getattr(value, "name", value)     # a SymPy Symbol, or a string
    dim = dims.from_text(text) if isinstance(text, str) else None
    if dim is None:
        raise MatcalcError(f"shape of {name}: {value!r} is not a dimension "
                           "(use a name such as n, a positive integer, or a product n*d)")
    return dim


def parse_shape_text(name, text):
    """'n x d', 'n,d', 'n', 'n*d', 'scalar', 'symmetric n x n' -> (shape, symmetric).

    `x` and `,` separate the dimensions; `*` multiplies within one (`n*d x 1`)."""
    words = text.strip()
    symmetric = False
    if words.startswith("symmetric"):
        symmetric, words = True, words[len("symmetric"):].strip()
    if words in ("scalar", "", "()"):
        return (), symmetric
    parts = [p for p in re.split(r"\s*(?:\bx\b|,)\s*", words.strip("()")) if p]
    return tuple(parts), symmetric


def declarations(shapes=None, symmetric=None):
    """Check and normalize the user's `shapes=` and `symmetric=` arguments."""
    result = {}
    for name, shape in (shapes or {}).items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise MatcalcError(f"cannot declare {name!r}: not a variable name")
        if isinstance(shape, str):
            shape, _ = parse_shape_text(name, shape)
        if isinstance(shape, (int, Dim, DimProduct)) or (hasattr(shape, "is_Symbol")):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)):
            raise MatcalcError(f"shape of {name}: expected (), (d,) or (m, n), got {shape!r}")
        if len(shape) > 2:
            raise MatcalcError(f"shape of {name}: {len(shape)} dimensions given; "
                               "matcalc knows scalars (), vectors (d,) and matrices (m, n)")
        dims = [_dimension(name, d) for d in shape]
        result[name] = normalize(*(dims + [1] * (2 - len(dims)))) if dims else ()
    sym = frozenset(symmetric or ())
    for name in sym:
        if not isinstance(name, str):
            raise MatcalcError(f"symmetric: {name!r} is not a variable name")
        shape = result.get(name)
        if shape is not None and len(shape) == 2 and shape[0] != shape[1]:
            raise ShapeError(f"{name} is declared symmetric but its shape {describe(shape)} "
                             "is not square")
        if shape is not None and len(shape) == 1:
            raise ShapeError(f"{name} is declared symmetric but is a vector")
    return Declarations(result, sym)


# ----------------------------------------------------------------- unification

class _Var:
    """A dimension not yet known; `parent` links it to what it was unified with."""

    __slots__ = ("parent", "order")
    _count = 0

    def __init__(self):
        self.parent = None
        _Var._count += 1
        self.order = _Var._count


class _Prod:
    """A product of terms not all known yet: the rows m*p of kron(A, B) while A or B is
    free. It resolves to a dimension once its factors are known."""

    __slots__ = ("factors",)

    def __init__(self, factors):
        self.factors = tuple(factors)


def _find(term):
    root = term
    while isinstance(root, _Var) and root.parent is not None:
        root = root.parent
    while isinstance(term, _Var) and term.parent is not None and term.parent is not root:
        term.parent, term = root, term.parent
    return root


def _split(term):
    """(the known part, the unknown variables) of a term, multiplied out (no recursion)."""
    known, unknown, stack = [], [], [term]
    while stack:
        t = _find(stack.pop())
        if isinstance(t, _Prod):
            stack.extend(t.factors)
        elif isinstance(t, _Var):
            unknown.append(t)
        else:
            known.append(t)
    return dims.product(*known), unknown


def _resolve(term):
    """A term with everything known substituted: a dimension, a variable, or a _Prod."""
    term = _find(term)
    if not isinstance(term, _Prod):
        return term
    known, unknown = _split(term)
    if not unknown:
        return known
    if known == 1 and len(unknown) == 1:
        return unknown[0]
    return _Prod([known] + unknown)


def _times(*terms):
    """The product of terms: a dimension when all are known."""
    return _resolve(_Prod(terms))


def _unify(a, b, pending=None):
    """Make a and b equal; False if they cannot be. A product equation that cannot be
    decided yet (m*p = n*q with several unknowns) is appended to `pending`."""
    a, b = _resolve(a), _resolve(b)
    if a is b:
        return True
    if isinstance(a, _Var) and isinstance(b, _Var):
        older, newer = (a, b) if a.order < b.order else (b, a)
        newer.parent = older
        return True
    if isinstance(a, _Var) and not (isinstance(b, _Prod) and a in _split(b)[1]):
        a.parent = b
        return True
    if isinstance(b, _Var) and not (isinstance(a, _Prod) and b in _split(a)[1]):
        b.parent = a
        return True
    if isinstance(a, _Prod) or isinstance(b, _Prod):
        return _unify_products(a, b, pending)
    return a == b


def _reduced(a, b):
    """(known_a, unknowns_a), (known_b, unknowns_b) with the unknowns both share cancelled."""
    (ka, va), (kb, vb) = _split(a), _split(b)
    for var in list(va):
        if var in vb:
            va.remove(var)
            vb.remove(var)
    return (ka, va), (kb, vb)


def _unify_products(a, b, pending):
    """Solve known_a * vars_a = known_b * vars_b where it has one answer."""
    (ka, va), (kb, vb) = _reduced(a, b)
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
        return _unify(va[0], vb[0])
    if pending is None:
        return False
    pending.append((a, b))
    return True


def _guess_products(a, b):
    """A last resort for a product equation left undecided: unknowns paired in order of
    appearance (kron(A, B) = kron(C, D) makes A like C and B like D), or the known factors
    dealt out one per unknown. Returns whether the equation could be made to hold."""
    (ka, va), (kb, vb) = _reduced(a, b)
    if not va and not vb:
        return ka == kb
    if va and vb:
        va.sort(key=lambda v: v.order)
        vb.sort(key=lambda v: v.order)
        for x, y in zip(va, vb):
            _unify(x, y)
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


def _integer_literal(node):
    if isinstance(node, ast.Neg):
        node = node.arg
    return isinstance(node, ast.Number) and node.value.denominator == 1


class _Inference:
    def __init__(self, decls, text, spans):
        self.decls = decls
        self.text = text
        self.spans = spans
        self.symbols = {}          # name -> (rows, cols) terms, in order of first appearance
        self.sized = deque()       # terms of each I / vector(c) / matrix(c), in walk order
        self.pending = []          # product equations not decided yet: (a, b)
        self.pending_nodes = []    # the node each one came from, for messages

    # -- messages
    def fail(self, node, message, error=ShapeError):
        span = self.spans.get(node)
        if span is None or self.text is None:
            raise error(message)
        start, end = span
        line = self.text.count("\n", 0, start) + 1
        column = start - (self.text.rfind("\n", 0, start) + 1) + 1
        snippet = self.text[start:end]
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        raise error(f"{message}, in '{snippet}' (line {line}, column {column})",
                    line=line, column=column, context=caret_context(self.text, line, column))

    def show(self, terms):
        rows, cols = (self.show_dim(t) for t in terms)
        return describe(normalize(*(int(x) if x == "1" else x for x in (rows, cols))))

    @staticmethod
    def show_dim(term):
        term = _resolve(term)
        if isinstance(term, _Prod):
            known, unknown = _split(term)
            return "*".join(([str(known)] if known != 1 else []) + ["?"] * len(unknown))
        return "?" if isinstance(term, _Var) else str(term)

    def _unify(self, node, a, b):
        """_unify, remembering product equations left open and where they came from."""
        before = len(self.pending)
        ok = _unify(a, b, self.pending)
        self.pending_nodes.extend([node] * (len(self.pending) - before))
        return ok

    def unify(self, node, a, b, message):
        if not self._unify(node, a, b):
            self.fail(node, message)

    def settle(self, guess=False):
        """Decide the open product equations that later unifications made decidable; with
        `guess`, the rest too (see _guess_products). A contradiction is a ShapeError."""
        progress = True
        while progress and self.pending:
            progress = False
            open_ = list(zip(self.pending, self.pending_nodes))
            self.pending, self.pending_nodes = [], []
            for (a, b), node in open_:
                count = len(self.pending)
                if not self._unify(node, a, b):
                    self.fail(node, f"the sizes {self.show_dim(a)} and {self.show_dim(b)} "
                                    "cannot be made equal")
                progress = progress or len(self.pending) == count
        if guess:
            for (a, b), node in zip(self.pending, self.pending_nodes):
                if not _guess_products(a, b):
                    self.fail(node, f"the sizes {self.show_dim(a)} and {self.show_dim(b)} "
                                    "cannot be made equal")
            self.pending, self.pending_nodes = [], []

    def scalar(self, terms):
        return _resolve(terms[0]) == 1 and _resolve(terms[1]) == 1

    def force_scalar(self, node, child, terms, role):
        if not (self._unify(node, terms[0], 1) and self._unify(node, terms[1], 1)):
            self.fail(node, f"{role} must be a scalar, but '{self.source(child)}' is "
                            f"{self.show(terms)}")

    def source(self, node):
        span = self.spans.get(node)
        if span and self.text is not None:
            return self.text[span[0]:span[1]]
        return node.name if isinstance(node, ast.Symbol) else "a subexpression"

    # -- leaves
    def symbol_terms(self, node, bound):
        name = node.name
        if name in bound:
            return bound[name]
        if name not in self.symbols:
            declared = self.decls.shapes.get(name)
            if declared is not None:
                terms = as_pair(declared)
            elif name[0] in "abcdefg" or name in GREEK:
                terms = (1, 1)
            elif name[0].islower():
                terms = (_Var(), 1)
            else:
                terms = (_Var(), _Var())
            if name in self.decls.symmetric:
                self.unify(node, terms[0], terms[1],
                           f"{name} is declared symmetric but is {self.show(terms)}")
            self.symbols[name] = terms
        return self.symbols[name]

    # -- one node, given its children's terms
    def rule(self, node, kids, bound):
        if isinstance(node, ast.Symbol):
            return self.symbol_terms(node, bound)
        if isinstance(node, ast.Number):
            return (1, 1)
        if isinstance(node, ast.Identity):
            size = _Var() if node.n is None else node.n
            self.sized.append((size, size))
            return (size, size)
        if isinstance(node, ast.Fill):
            self.force_scalar(node, node.value, kids[0], "the fill value")
            terms = tuple(_Var() if d is None else d for d in as_pair(node.shape))
            self.sized.append(terms)
            return terms
        if isinstance(node, ast.Commutation):
            size = _times(node.m, node.n)
            return (size, size)
        if isinstance(node, (ast.Add, ast.Hadamard, ast.ElemDiv)):
            return self.broadcast(node, kids)
        if isinstance(node, ast.Neg):
            return kids[0]
        if isinstance(node, ast.Mul):
            acc = kids[0]
            for factor_node, terms in zip(node.children[1:], kids[1:]):
                if self.scalar(acc):
                    acc = terms
                elif self.scalar(terms):
                    pass
                else:
                    self.unify(node, acc[1], terms[0],
                               f"cannot multiply {self.show(acc)} by {self.show(terms)} "
                               f"('{self.source(factor_node)}'): inner dimensions "
                               f"{self.show_dim(acc[1])} and {self.show_dim(terms[0])} differ")
                    acc = (acc[0], terms[1])
            return acc
        if isinstance(node, ast.Div):
            self.force_scalar(node, node.right, kids[1], "a divisor")
            return kids[0]
        if isinstance(node, ast.Power):
            self.force_scalar(node, node.exponent, kids[1], "an exponent")
            if _integer_literal(node.exponent):
                self.unify(node, kids[0][0], kids[0][1],
                           f"a matrix power needs a square matrix, but "
                           f"'{self.source(node.base)}' is {self.show(kids[0])}")
            else:
                self.force_scalar(node, node.base, kids[0],
                                  "the base of a non-integer power (use .^ for entries)")
            return kids[0]
        if isinstance(node, ast.ElemPower):
            if not self.scalar(kids[1]):
                self.broadcast(node, kids)
            return kids[0]
        if isinstance(node, ast.Transpose):
            return (kids[0][1], kids[0][0])
        if isinstance(node, (ast.Trace, ast.Det, ast.LogDet, ast.Inverse)):
            name = registry.name_of(node)
            self.unify(node, kids[0][0], kids[0][1],
                       f"{name} needs a square matrix, but '{self.source(node.arg)}' is "
                       f"{self.show(kids[0])}")
            return kids[0] if isinstance(node, ast.Inverse) else (1, 1)
        if isinstance(node, (ast.Sum, ast.Norm1, ast.Norm2)):
            return (1, 1)
        if isinstance(node, ast.Diag):
            rows, cols = kids[0]
            if _resolve(cols) == 1:
                return (rows, rows)
            self.unify(node, rows, cols, f"diag of a matrix needs a square matrix, but "
                                         f"'{self.source(node.arg)}' is {self.show(kids[0])}")
            return (rows, 1)
        if isinstance(node, ast.Elementwise):
            return kids[0]
        if isinstance(node, (ast.Softmax, ast.LogSumExp)):
            name = registry.name_of(node)
            self.unify(node, kids[0][1], 1, f"{name} takes a vector, but "
                                            f"'{self.source(node.arg)}' is {self.show(kids[0])}")
            return kids[0] if isinstance(node, ast.Softmax) else (1, 1)
        if isinstance(node, ast.Kron):
            (r1, c1), (r2, c2) = kids
            return (_times(r1, r2), _times(c1, c2))
        if isinstance(node, ast.Vec):
            return (_times(*kids[0]), 1)
        if isinstance(node, ast.Unvec):
            m, n = node.shape
            self.unify(node, kids[0][1], 1, f"unvec takes a vector, but "
                                            f"'{self.source(node.arg)}' is {self.show(kids[0])}")
            self.unify(node, kids[0][0], _times(m, n),
                       f"unvec to {m} x {n} needs a {dims.product(m, n)}-vector, but "
                       f"'{self.source(node.arg)}' is {self.show(kids[0])}")
            return (m, n)
        if isinstance(node, ast.Derivative):
            expr, wrt = kids
            if self.scalar(expr):
                return wrt
            if self.scalar(wrt):          # F's shape; a column's derivative is a row
                return (1, expr[0]) if _resolve(expr[1]) == 1 else expr
            return (_times(*wrt), _times(*expr))      # the matrix form: size(w) x size(F)
        raise UnsupportedError(f"no shape rule for {type(node).__name__}")

    def broadcast(self, node, kids):
        shaped = [(child, terms) for child, terms in zip(node.children, kids)
                  if not self.scalar(terms)]
        if not shaped:
            return (1, 1)
        first_child, first = shaped[0]
        for child, terms in shaped[1:]:
            if not (self._unify(node, first[0], terms[0]) and
                    self._unify(node, first[1], terms[1])):
                op = {ast.Add: "add", ast.Hadamard: "multiply entrywise",
                      ast.ElemDiv: "divide entrywise", ast.ElemPower: "raise entrywise"}
                self.fail(node, f"cannot {op[type(node)]} '{self.source(first_child)}' "
                                f"({self.show(first)}) and '{self.source(child)}' "
                                f"({self.show(terms)})")
        return first

    # -- walks (iterative, per occurrence of I and fills, per distinct node elsewhere)
    @staticmethod
    def _sized_inside(root):
        """The nodes with an I, vector(c) or matrix(c) below them: each occurrence of
        those gets its own size; any other subtree has the same shape wherever it occurs."""
        inside = set()
        for node in ast.postorder(root):
            if isinstance(node, (ast.Identity, ast.Fill)) or \
                    any(c in inside for c in node.children):
                inside.add(node)
        return inside

    def _bottom_up(self, root, step):
        """step(node, results of its children) over the tree, in one fixed order, with the
        results of repeated subtrees free of sized nodes reused (their walk is the same)."""
        sized = self._sized_inside(root)
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

    def walk(self, root, bound):
        """Terms of every occurrence, bottom-up; returns the root's terms."""
        return self._bottom_up(root, lambda node, kids: self.rule(node, kids, bound))

    def rebuild(self, root, names, bound_shapes):
        """The typed tree: the same walk order, consuming the sized terms of I and fills."""
        def step(node, kids):
            if isinstance(node, ast.Symbol):
                if node.name in bound_shapes:
                    typed = ast.Symbol(node.name, bound_shapes[node.name])
                else:
                    typed = ast.Symbol(node.name, self.final(self.symbols[node.name], names),
                                       node.name in self.decls.symmetric)
            elif isinstance(node, ast.Identity):
                typed = ast.Identity(self.final_dim(self.sized.popleft()[0], names))
            elif isinstance(node, ast.Fill):
                shape = self.final(self.sized.popleft(), names)
                typed = ast.Fill(shape, kids[0])
            else:
                typed = node.rebuild(kids)
            if typed is not node and node in self.spans:
                self.spans.setdefault(typed, self.spans[node])
            return typed
        return self._bottom_up(root, step)

    def final_dim(self, term, names):
        term = _resolve(term)
        if isinstance(term, _Prod):
            known, unknown = _split(term)
            return dims.product(known, *(self.final_dim(v, names) for v in unknown))
        if isinstance(term, _Var):
            if term not in names:
                names[term] = self.fresh_name(names)
            return Dim(names[term])
        return term

    def final(self, terms, names):
        return normalize(*(self.final_dim(t, names) for t in terms))

    def fresh_name(self, names):
        taken = set(names.values()) | self.decls.dim_names() | set(self.symbols)
        for name in DIM_NAMES:
            if name not in taken:
                return name
        i = 1
        while f"n{i}" in taken:
            i += 1
        return f"n{i}"


def infer(roots, decls, text=None, spans=None, targets=None, equal=False):
    """Typed trees for raw `roots` sharing one symbol table; returns (typed_roots, symbols).

    `symbols` maps each free name to its inferred shape, in order of first appearance.
    `equal` makes the roots take one shape together (the two sides of an identity; a
    literal 0 stands for the zero of any shape).
    `targets`, one shape (or None) per root, makes each root take that shape: a claimed
    derivative such as `I` or `vector(1)` gets its size from the derivative it stands for.
    """
    inference = _Inference(decls, text, spans if spans is not None else {})
    plans = []
    for root in roots:
        bound = {}
        if isinstance(root, ast.Where):
            for name, value in zip(root.names, root.values):
                bound[name] = inference.walk(value, dict(bound))
        plans.append((root, bound))
    # the body after its bindings, so that walk order == rebuild order below
    for i, (root, bound) in enumerate(plans):
        terms = inference.walk(root.body if isinstance(root, ast.Where) else root, bound)
        target = targets[i] if targets else None
        if target is not None:
            wanted = as_pair(target)
            if not (inference._unify(root, terms[0], wanted[0]) and
                    inference._unify(root, terms[1], wanted[1])):
                inference.fail(root, f"the expression is {inference.show(terms)} but should "
                                     f"be {describe(target)}")
        plans[i] = (root, bound, terms)
    if equal:
        sides = [(root, terms) for root, _, terms in plans if root is not ast.Number(0)]
        for (_, a), (root, b) in zip(sides, sides[1:]):
            if not (inference._unify(root, a[0], b[0]) and inference._unify(root, a[1], b[1])):
                inference.fail(root, f"the two sides cannot have one shape: one is "
                                     f"{inference.show(a)}, the other {inference.show(b)}")
    inference.settle(guess=True)
    names = {}
    for terms in inference.symbols.values():     # name free dims in order of appearance
        inference.final(terms, names)
    typed_roots = []
    for root, _, _ in plans:
        if isinstance(root, ast.Where):
            shapes_so_far, values = {}, []
            for name, value in zip(root.names, root.values):
                typed = inference.rebuild(value, names, dict(shapes_so_far))
                shapes_so_far[name] = shape_of(typed)
                values.append(typed)
            body = inference.rebuild(root.body, names, shapes_so_far)
            typed_roots.append(ast.Where(root.names, body, *values))
        else:
            typed_roots.append(inference.rebuild(root, names, {}))
    for typed in typed_roots:
        try:
            shape_of(typed)
        except ShapeError as error:   # a late unification undid an earlier choice
            raise ShapeError(f"the shapes cannot be made consistent: {error.message}") from None
    symbols = {name: inference.final(terms, names) for name, terms in inference.symbols.items()}
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
    inference = _Inference(Declarations(declared, frozenset(symmetric)), None, {})
    try:
        terms = {}
        for i, part in enumerate(parts):
            if part not in inside:
                result = as_pair(shape_of(part))
            else:
                result = inference.walk(stripped[part], dict(terms))
            if i < len(names):
                terms[names[i]] = result
        inference.settle()
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
    for node, inferred in zip(occurrences, inference.sized):
        wanted = as_pair(node.shape) if isinstance(node, ast.Fill) else (node.n, node.n)
        if wanted == (1, 1):
            continue      # a 1 x 1 constant: its size came from a scalar's, which I(1) would hide
        if any(_resolve(t) != w for t, w in zip(inferred, wanted)):
            unfixed.add(node)
    return unfixed


# ----------------------------------------------------------------- shapes of typed trees

def shape_of(root):
    """The normalized shape of a typed node, checking every operation on the way."""
    if root._shape is not None:
        return root._shape
    if all(c._shape is not None for c in root.children):     # the usual case: one new node
        object.__setattr__(root, "_shape", _typed_rule(root))
        return root._shape
    for node in ast.postorder(root, known=lambda n: n._shape is not None):
        object.__setattr__(node, "_shape", _typed_rule(node))
    return root._shape


def product_chains(factors):
    """(scalars, chains) of a product's factors, in order.

    The language's product is a left fold in which a 1 x 1 result is a scalar, so the
    matrix factors split into chains whose fold is a plain matrix product; each chain is
    (factors, closed), closed when it ends at 1 x 1 and so scales the rest.
    """
    scalars, chains, current, rows_cols = [], [], [], None
    for factor in factors:
        if shape_of(factor) == ():
            scalars.append(factor)
            continue
        pair = as_pair(shape_of(factor))
        rows_cols = pair if not current else (rows_cols[0], pair[1])
        current.append(factor)
        if rows_cols == (1, 1):
            chains.append((current, True))
            current = []
    if current:
        chains.append((current, False))
    return scalars, chains


def derivative_shape(function, variable):
    """The shape of d function / d variable (SPEC 2b): a scalar's derivative has the
    variable's shape; by a scalar, a matrix keeps its shape and a column becomes a row;
    otherwise the matrix form d vec(F) / d vec(W), size(W) x size(F)."""
    if function == ():
        return variable
    if variable == ():
        return normalize(1, function[0]) if len(function) == 1 else function
    return normalize(dims.product(*as_pair(variable)), dims.product(*as_pair(function)))


def pair_of(node):
    return as_pair(shape_of(node))


def _fail(node, message):
    raise ShapeError(message)


def _same_or_scalar(node):
    shapes = [c._shape for c in node.children if c._shape != ()]
    for other in shapes[1:]:
        if other != shapes[0]:
            _fail(node, f"{type(node).__name__}: {describe(shapes[0])} and {describe(other)}")
    return shapes[0] if shapes else ()


def _typed_rule(node):
    kids = [c._shape for c in node.children]
    if isinstance(node, ast.Symbol):
        if node.declared_shape is None:
            raise ShapeError(f"symbol {node.name} has no shape (not inferred)")
        return node.declared_shape
    if isinstance(node, ast.Number):
        return ()
    if isinstance(node, ast.Identity):
        return normalize(node.n, node.n)
    if isinstance(node, ast.Fill):
        if kids[0] != ():
            _fail(node, "a fill value must be a scalar")
        return node.shape
    if isinstance(node, (ast.Add, ast.Hadamard, ast.ElemDiv)):
        return _same_or_scalar(node)
    if isinstance(node, ast.Neg):
        return kids[0]
    if isinstance(node, ast.Mul):
        acc = kids[0]
        for shape in kids[1:]:
            if acc == ():
                acc = shape
            elif shape != ():
                (r, c), (r2, c2) = as_pair(acc), as_pair(shape)
                if c != r2:
                    _fail(node, f"cannot multiply {describe(acc)} by {describe(shape)}")
                acc = normalize(r, c2)
        return acc
    if isinstance(node, ast.Div):
        if kids[1] != ():
            _fail(node, "a divisor must be a scalar")
        return kids[0]
    if isinstance(node, ast.Power):
        if kids[1] != ():
            _fail(node, "an exponent must be a scalar")
        if kids[0] != ():
            r, c = as_pair(kids[0])
            if r != c or not _integer_literal(node.exponent):
                _fail(node, "a matrix power needs a square matrix and an integer exponent")
        return kids[0]
    if isinstance(node, ast.ElemPower):
        if kids[1] != () and kids[1] != kids[0]:
            _fail(node, "an entrywise exponent must be a scalar or of the base's shape")
        return kids[0]
    if isinstance(node, ast.Transpose):
        r, c = as_pair(kids[0])
        return normalize(c, r)
    if isinstance(node, (ast.Trace, ast.Det, ast.LogDet, ast.Inverse)):
        r, c = as_pair(kids[0])
        if r != c:
            _fail(node, f"{registry.name_of(node)} needs a square matrix")
        return kids[0] if isinstance(node, ast.Inverse) else ()
    if isinstance(node, (ast.Sum, ast.Norm1, ast.Norm2)):
        return ()
    if isinstance(node, ast.Diag):
        r, c = as_pair(kids[0])
        if c == 1:
            return normalize(r, r)
        if r != c:
            _fail(node, "diag of a matrix needs a square matrix")
        return (r,)
    if isinstance(node, ast.Elementwise):
        return kids[0]
    if isinstance(node, (ast.Softmax, ast.LogSumExp)):
        if len(kids[0]) == 2:
            _fail(node, f"{registry.name_of(node)} takes a vector, not "
                        f"{describe(kids[0])}")
        return kids[0] if isinstance(node, ast.Softmax) else ()
    if isinstance(node, ast.Commutation):
        size = dims.product(node.m, node.n)
        return normalize(size, size)
    if isinstance(node, ast.Kron):
        (r1, c1), (r2, c2) = (as_pair(k) for k in kids)
        return normalize(dims.product(r1, r2), dims.product(c1, c2))
    if isinstance(node, ast.Vec):
        return normalize(dims.product(*as_pair(kids[0])), 1)
    if isinstance(node, ast.Unvec):
        if as_pair(kids[0]) != (dims.product(*node.shape), 1):
            _fail(node, f"unvec to {describe(node.shape)} needs a "
                        f"{dims.product(*node.shape)}-vector, not {describe(kids[0])}")
        return normalize(*node.shape)
    if isinstance(node, ast.Derivative):
        return derivative_shape(*kids)
    if isinstance(node, ast.Where):
        return kids[0]
    raise UnsupportedError(f"no shape rule for {type(node).__name__}")
