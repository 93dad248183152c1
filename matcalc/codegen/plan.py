"""The plan: what compiled code computes, as a list of operations, before any text is written.

`build(roots)` gives a `Plan`: the arguments (the roots' symbols in order of appearance),
immutable `Op` records, the roots' targets. Every decision is made here (each distinct node
of the DAG once, whichever roots share it; product order; scalings for diagonals; solves for
inverses; the pass over rows); emit.py only spells the plan in a dialect.
"""

import math
import warnings
from typing import NamedTuple

import numpy as np

from .. import ast, registry
from ..errors import MatcalcError, UnsupportedError
from ..evaluate import evaluate
from ..shapes import as_pair, is_diagonal, is_scalar, product_chains, shape_of
from ..simplify import expanded, transpose_node
from . import rowpass as _rowpass

MAX_OPERANDS = 64        # longer sums and products are split: Python's compiler recurses
SMALL_POWER = 8          # A^k with k up to this is k factors of its product's chain


class Op(NamedTuple):
    """`target = kind(inputs...)` with (name, value) attributes; inline: written where used."""

    target: str
    kind: str
    inputs: tuple
    attributes: tuple = ()
    inline: bool = False

    def get(self, name, default=None):
        return dict(self.attributes).get(name, default)

    def __str__(self):
        """'%3 = sum(%1, -a2)', '%2 = 2.0  (inline)', '%5 = function(%4) [name=tanh]'."""
        if self.kind == "literal":
            text = f"{self.target} = {self.get('value')!r}"
        else:
            inputs = self.inputs
            if self.kind == "sum":
                inputs = [t if s == "+" else f"-{t}" for s, t in zip(self.get("signs"), inputs)]
            shown = [k if v is True else f"{k}={v}" for k, v in self.attributes
                     if v is not False and k not in _UNSHOWN]
            text = f"{self.target} = {self.kind}({', '.join(inputs)})" + \
                (f" [{', '.join(shown)}]" if shown else "")
        return text + ("  (inline)" if self.inline else "")


_UNSHOWN = ("body", "result", "signs")      # shown otherwise (Plan.__str__, the inputs)


class Plan:
    """The ops computing the roots (`results`) from the `arguments`' symbols a0, a1, ..."""

    __slots__ = ("arguments", "ops", "results")

    def __init__(self, arguments, ops, results):
        self.arguments, self.ops, self.results = tuple(arguments), tuple(ops), tuple(results)

    def find(self, kind=None, **attributes):
        """The ops of this kind with these attributes, a rowpass's body after the rowpass."""
        return [o for op in self.ops for o in (op,) + op.get("body", ()) if kind in
                (None, o.kind) and all(o.get(k) == v for k, v in attributes.items())]

    def kinds(self):
        """The kinds of all operations, in order (with repeats)."""
        return [op.kind for op in self.find()]

    def argument(self, name):
        """The target of the argument for the symbol `name`."""
        return f"a{[symbol.name for symbol in self.arguments].index(name)}"

    def __str__(self):
        lines = ["arguments: " + (", ".join(f"a{k} = {s.name}" for k, s in
                                             enumerate(self.arguments)) or "none")]
        for op in self.ops:
            lines.append(str(op))
            lines += [f"    {inner}" for inner in op.get("body", ())]
            if op.kind == "rowpass":
                lines.append(f"    result {op.get('result')}")
        lines.append("return " + ", ".join(self.results))
        return "\n".join(lines)


def build(roots, rowpass=False, kernels=False):
    """The plan; rowpass: X'*g(X*u) is one pass over X's rows (kernels: a numba kernel)."""
    return _Builder(roots, kernels).plan(rowpass)


class _Builder:
    """Lowers nodes to ops, each once, in postorder."""

    def __init__(self, roots, kernels):
        self.roots = roots
        self.kernels = kernels
        self.ops = []            # the operations of the scope being built
        self.values = {}         # node -> the target of its value
        self.deferred = set()    # nodes written where they are used
        self.count = 0
        self.arguments = []
        self.constant = set()    # nodes without a symbol under them

    def add(self, kind, inputs=(), inline=True, **attributes):
        self.count += 1
        target = f"%{self.count}"
        self.ops.append(Op(target, kind, tuple(inputs), tuple(attributes.items()), inline))
        return target

    def inline(self, lowered):
        """The target of a lowering's result: an existing value, or a new inline op."""
        return lowered if isinstance(lowered, str) else self.add(*lowered[:2], **lowered[2])

    def value(self, node):
        """The target of the node's value (a deferred one is computed here, once)."""
        target = self.values.get(node)
        if target is None:
            self.deferred.discard(node)
            target = self.bind(node, inline=False)
        return target

    def bind(self, node, inline):
        """The node's value as an op, inline or not."""
        start = len(self.ops)
        lowered = _folded(node, self.constant) or \
            _LOWERING.get(type(node), _function)(self, node)
        if not isinstance(lowered, str):
            target = self.add(*lowered[:2], inline, **lowered[2])
        elif len(self.ops) > start and self.ops[-1].target == lowered:   # made here
            self.ops[-1] = self.ops[-1]._replace(inline=inline)
            target = lowered
        else:                                 # the value of another node
            target = lowered if inline else self.add("alias", (lowered,), inline=False)
        self.values[node] = target
        return target

    def plan(self, rowpass):
        roots, parents, constant = self.roots, {}, self.constant
        for root in roots:
            for node in ast.postorder(root):
                if isinstance(node, ast.Symbol) and node not in self.values:
                    self.values[node] = f"a{len(self.arguments)}"
                    self.arguments.append(node)
                elif not isinstance(node, ast.Symbol) and all(c in constant
                                                              for c in node.children):
                    constant.add(node)
                for child in node.children:
                    parents.setdefault(child, []).append(node)
        fused, absorbed, kept = {}, set(), set(roots)
        for root in roots if rowpass else ():
            for node in ast.postorder(root):
                found = _rowpass.fusable(node, parents)
                if found is not None and not (found[2] & absorbed) and not (found[2] & kept):
                    fused[node] = found
                    absorbed |= found[2]
        for root in roots:
            for node in ast.postorder(root):
                if node in self.values or node in absorbed or node in self.deferred:
                    continue
                if node in fused:
                    self.rowpass(node, *fused[node])
                elif _written_where_used(node, parents, kept):
                    self.deferred.add(node)
                else:
                    self.bind(node, inline=_inline(node) and node not in kept)
        results = tuple(self.value(root) for root in roots)
        return Plan(tuple(self.arguments), _pruned(self.ops, set(results)), results)

    def rowpass(self, node, data, vector, inside):
        """node = scalars * X' * vector as one pass over X's rows (rowpass.py)."""
        scalars = [self.value(child) for child in node.children[:-2]]
        negative, factor = False, node.children[-2]
        while isinstance(factor, ast.Neg):
            negative, factor = not negative, factor.arg
        outer_ops, outer_values = self.ops, dict(self.values)
        self.ops = []
        rows = self.add("rows", (self.value(data),))
        self.values[data] = rows
        for n in ast.postorder(vector):
            if n not in inside:
                continue
            if isinstance(n, ast.Symbol):                  # an n-vector: its rows
                self.values[n] = self.add("rows", (self.value(n),))
            else:
                self.bind(n, inline=_inline(n))
        result = self.values[vector]
        body = _pruned(self.ops, {result})
        self.ops, self.values = outer_ops, outer_values
        defined = {op.target for op in body}
        reads = [self.values[data]]
        for op in body:
            reads += [t for t in op.inputs if t not in defined and t not in reads]
        kernel = self.kernels and _rowpass.kernel_ready(body, rows)
        total = self.add("rowpass", reads, inline=False, body=tuple(body), result=result,
                         kernel=kernel)
        if scalars or negative:
            total = self.add("scale", scalars + [total], inline=False, negate=negative,
                             matrix=True)
        self.values[node] = total


def _folded(node, constant):
    """A scalar without a symbol (exp(2), tr(I(3))) as its value, a literal: the libraries'
    functions want arrays, not Python numbers (torch.exp(2.0) is an error)."""
    if node not in constant or not is_scalar(node) or isinstance(node, ast.Number):
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = float(evaluate(node, {}))
    except MatcalcError:
        return None                      # a size only the values fix: computed per call
    return ("literal", (), {"value": value}) if math.isfinite(value) else None


def _split(pieces, combine):
    """Leading runs of the pieces combined (combine(run) -> a piece) until at most
    MAX_OPERANDS + 1 remain."""
    while len(pieces) > MAX_OPERANDS + 1:
        pieces = [combine(pieces[:MAX_OPERANDS + 1])] + pieces[MAX_OPERANDS + 1:]
    return pieces


def _inline(node):
    """Literals, views and signs are written where they are used."""
    return isinstance(node, (ast.Number, ast.Transpose, ast.Neg))


def _pruned(ops, used):
    """The ops something uses (the `used` targets, and what those ops read)."""
    kept = []
    for op in reversed(ops):
        if op.target in used:
            used.update(op.inputs)
            kept.append(op)
    return tuple(reversed(kept))


def _written_where_used(node, parents, roots):
    """Is the node computed inside the products that use it, never as a value? diag(v)
    and A^k when every use is a product; inv(A) when every use has factors after it (so
    inv(A)*B is solved); where a product cannot (diag(v)*inv(A)), _Builder.value makes it."""
    if node in roots or is_scalar(node):
        return False
    uses = parents.get(node, ())
    if not uses or not all(isinstance(p, ast.Mul) for p in uses):
        return False
    if is_diagonal(node) or _small_power(node):
        return True
    return isinstance(node, ast.Inverse) and all(p.children[-1] is not node for p in uses)


def _small_power(node):
    return isinstance(node, ast.Power) and not is_scalar(node.base) and \
        isinstance(node.exponent, ast.Number) and node.exponent.value.denominator == 1 and \
        1 < node.exponent.value <= SMALL_POWER


# ----------------------------------------------------------------- products

def _product(b, node):
    """Signs and scalars multiply the result once (`scale`), never a large factor; the
    matrix factors form chains (product_chains), one closing at 1 x 1 being a scalar."""
    negative, factors = False, []
    for child in node.children:
        while isinstance(child, ast.Neg):          # a sign goes to the scalar, never to X'
            negative, child = not negative, child.arg
        factors.append(child)
    scalar_nodes, chains = product_chains(factors)
    scalars = [b.value(s) for s in scalar_nodes]
    scalars += [b.add("scalarize", (b.inline(_chain(b, chain)),))
                for chain, closed in chains if closed]
    if len(scalars) + negative > MAX_OPERANDS:        # the sign goes to the first partial

        def combine(run):
            negate = run[0] == _NEGATIVE
            return b.add("scale", run[negate:], inline=False, negate=negate, matrix=False)
        scalars, negative = _split([_NEGATIVE] * negative + scalars, combine), False
    if not chains or chains[-1][1]:
        return "scale", scalars, {"negate": negative, "matrix": False}
    matrix = _chain(b, chains[-1][0])
    if not scalars and not negative:
        return matrix
    return "scale", scalars + [b.inline(matrix)], {"negate": negative, "matrix": True}


_NEGATIVE = "-1"          # the piece that stands for a sign in a split product


def _chain(b, factors):
    """A chain of matrix factors: u*v' an `outer` broadcast, diag(v)*A `scale_rows`,
    A*diag(v) `scale_columns`, A'*diag(v)*A a `weighted_gram`, inv(A)*rest a solve, small
    powers multiplied out; two operands a `matmul`, more a `chain` (the library orders it
    for the fewest flops). The solves' right-hand sides are put together from the last (no
    recursion: a product may have many factors)."""
    solved = []                      # (the operands before a solved inverse, the inverse)
    operands, start, i, outer = [], 0, 0, None
    while i < len(factors):
        child = factors[i]
        if i == start and len(factors) - i == 2 and len(shape_of(child)) == 1 and \
                as_pair(shape_of(factors[i + 1]))[0] == 1:
            # an outer product u*v': broadcasting beats a rank-1 matrix product
            outer = "outer", (b.value(child), b.value(factors[i + 1])), {}
            break
        if _weighted_gram_at(factors, i):
            operands.append(b.add("weighted_gram", (b.value(factors[i + 2]),
                                                    b.value(factors[i + 1].arg))))
            i += 2
        elif is_diagonal(child):
            vector = b.value(child.arg)
            if i + 1 < len(factors) and not is_diagonal(factors[i + 1]):
                i += 1
                operands.append(b.add("scale_rows", (vector, b.value(factors[i]))))
            elif operands:
                operands.append(b.add("scale_columns", (operands.pop(), vector)))
            else:
                operands.append(b.add("diag", (vector,)))
        elif isinstance(child, ast.Inverse) and child in b.deferred and i + 1 < len(factors):
            solved.append((operands, child))          # inv(A)*rest: solve(A, rest)
            operands, start = [], i + 1
        elif _small_power(child) and child in b.deferred:
            operands.extend([b.value(child.base)] * int(child.exponent.value))
        else:
            operands.append(b.value(child))
        i += 1
    result = outer or _product_of(operands)
    while solved:
        operands, inverse = solved.pop()
        rest = b.inline(result)
        result = _product_of(operands + [b.add(_solver(inverse.arg),
                                               (b.value(inverse.arg), rest))])
    return result


def _product_of(operands):
    if len(operands) == 1:
        return operands[0]
    return ("matmul" if len(operands) == 2 else "chain"), tuple(operands), {}


def _weighted_gram_at(factors, i):
    """Do factors i, i+1, i+2 read A' * diag(v) * A?"""
    if i + 2 >= len(factors):
        return False
    first, middle, last = factors[i:i + 3]
    return isinstance(first, ast.Transpose) and first.arg is last and \
        is_diagonal(middle) and len(shape_of(last)) == 2


def _solver(matrix):
    """The solve for inv(matrix)*B: Cholesky for a Gram matrix M'*M (plus c*I, c > 0),
    Cholesky-else-LU for another symmetric one, LU otherwise."""
    canonical = expanded(matrix)
    if transpose_node(canonical) is not canonical:
        return "solve"
    return "solve_spd" if _gram_like(canonical) else "solve_sym"


def _gram_like(node):
    """Is the symmetric node a sum of terms c*M'*M and c*I with c > 0 (positive definite
    when M has full column rank)?"""
    terms = node.children if isinstance(node, ast.Add) else (node,)
    for term in terms:
        factors = list(term.children) if isinstance(term, ast.Mul) else [term]
        if factors and isinstance(factors[0], ast.Number):
            if factors[0].value <= 0:
                return False
            factors = factors[1:]
        if len(factors) == 1 and isinstance(factors[0], ast.Identity):
            continue
        if len(factors) != 2 or factors[0] is not ast.Transpose(factors[1]):
            return False
    return True


# ----------------------------------------------------------------- one rule per node type
# each returns the (kind, inputs, attributes) of the node's op, or an existing target

def _sum(b, node):
    """a + b - c + ...: a term's sign is a subtraction."""
    pieces = [("+", b.value(node.children[0]))]
    pieces += [("-", b.value(child.arg)) if isinstance(child, ast.Neg) else
               ("+", b.value(child)) for child in node.children[1:]]

    def combine(run):
        return "+", b.add("sum", [t for _, t in run], inline=False, signs=tuple(s for s, _ in run))
    pieces = _split(pieces, combine)
    return "sum", [t for _, t in pieces], {"signs": tuple(s for s, _ in pieces)}


def _power(b, node):
    """A^k of a matrix (A^-k as inv(A)^k, A^0 as I), u.^2, else the entrywise power."""
    if isinstance(node, ast.Power) and not is_scalar(node.base):
        k = int(ast.literal(node.exponent))
        if k == 0:
            return "eye", (), {"size": as_pair(shape_of(node))[0]}
        base = b.value(node.base if k > 0 else ast.Inverse(node.base))
        return base if abs(k) == 1 else ("matrix_power", (base,), {"exponent": abs(k)})
    base = b.value(node.base)
    if isinstance(node, ast.ElemPower) and isinstance(node.exponent, ast.Number) and \
            node.exponent.value == 2:
        return "square", (base,), {}
    return "power", (base, b.value(node.exponent)), {}


def _diag_or_vec(b, node):
    """diag(v), diag(A), vec(A); of a scalar, the function's scalar form."""
    if is_scalar(node.arg):
        return _function(b, node)
    kind = "vec" if isinstance(node, ast.Vec) else \
        "diag" if len(shape_of(node.arg)) == 1 else "diagonal"
    return kind, (b.value(node.arg),), {}


def _function(b, node):
    if isinstance(node, ast.Kron) and any(is_scalar(c) for c in node.children):
        return "multiply", tuple(b.value(c) for c in node.children), {}   # kron(s, B) = s*B
    record = registry.of(node)
    if record is None:
        raise UnsupportedError(f"cannot compile {type(node).__name__}")
    return "function", tuple(b.value(c) for c in node.children), {
        "name": record.name, "scalar": all(is_scalar(c) for c in node.children)}


def _of_children(kind):
    return lambda b, node: (kind, tuple(b.value(c) for c in node.children), {})


_LOWERING = {
    ast.Number: lambda b, node: ("literal", (), {"value": float(node.value)}),
    ast.Identity: lambda b, node: ("eye", (), {"size": node.n}),
    ast.Fill: lambda b, node: ("full", (b.value(node.value),), dict(zip(
        ("rows", "cols"), as_pair(node.shape)))),
    ast.Add: _sum,
    ast.Neg: _of_children("negate"),
    ast.Mul: _product,
    ast.Div: _of_children("divide"),
    ast.ElemDiv: _of_children("divide"),
    ast.Hadamard: _of_children("multiply"),
    ast.Power: _power,
    ast.ElemPower: _power,
    ast.Transpose: lambda b, node: b.value(node.arg) if is_scalar(node) else (
        "transpose", (b.value(node.arg),), {}),
    ast.Diag: _diag_or_vec,
    ast.Vec: _diag_or_vec,
    ast.Unvec: lambda b, node: ("unvec", (b.value(node.arg),), dict(zip(
        ("rows", "cols"), node.shape))),
    ast.Commutation: lambda b, node: ("commutation", (), {"m": node.m, "n": node.n}),
}
