"""Values that stay fixed across calls: what depends only on them is computed once.

Products are regrouped so that their given factors meet (2*X'*X*w becomes (2*X'*X)*w: a
d x d matrix stored, a d-vector product per call), and of the two simplifier forms the one
with fewer flops per call at the given sizes is compiled: for least squares the expanded
2*X'*X*w - 2*X'*y costs d^2 where the factored 2*X'*(X*w - y) costs 2*n*d.
"""

import numpy as np

from .. import ast, dims
from ..errors import EvaluationError, ShapeError
from ..evaluate import bind_dimensions
from ..printing import to_text
from ..shapes import as_pair, product_chains, shape_of
from .dialects import chain_order
from .runtime import stand_in


def constant_nodes(roots, given):
    """The nodes of the DAG under `roots` built only from given names and numbers."""
    constant = set()
    for root in roots:
        for node in ast.postorder(root):
            if isinstance(node, ast.Symbol):
                if node.name in given:
                    constant.add(node)
            elif all(c in constant for c in node.children):
                constant.add(node)              # numbers, I, and operations on constants
    return constant


def regroup(roots, given, sizes):
    """The roots with each product's runs of constant factors grouped, where grouping
    lowers the per-call flops (a constant group is one stored matrix)."""
    constant = constant_nodes(roots, given)

    def combine(node, kids):
        rebuilt = node.rebuild(kids)
        if rebuilt is not node and all(k in constant for k in kids):
            constant.add(rebuilt)
        if not isinstance(rebuilt, ast.Mul) or rebuilt in constant:
            return rebuilt
        grouped = _grouped_product(rebuilt, constant, sizes)
        return rebuilt if grouped is None else grouped

    memo = {}
    return [ast.fold(root, combine, memo) for root in roots]


def _grouped_product(node, constant, sizes):
    """The product with scalar constants first and runs of constant factors inside each
    chain grouped (a chain: factors whose left fold stays a matrix product), or None when
    nothing changes or the per-call cost would not drop."""
    scalars, chains = product_chains(node.children)
    factors = [c for c in scalars if c in constant]
    changed = len(factors) > 1
    if changed:
        factors = [ast.Mul(*factors)]
        constant.add(factors[0])
    factors += [c for c in scalars if c not in constant]
    for chain, _ in chains:
        new_chain = _group_chain(chain, constant, sizes)
        changed |= new_chain != chain
        factors.extend(new_chain)
    if not changed or len(factors) == 1 and factors[0] is node:
        return None
    rebuilt = factors[0] if len(factors) == 1 else ast.Mul(*factors)
    try:
        return rebuilt if shape_of(rebuilt) == shape_of(node) else None
    except ShapeError:                         # a regrouping the shapes reject: keep as is
        return None


def _group_chain(chain, constant, sizes):
    """The chain with each maximal run of 2+ constant factors grouped when that lowers the
    flops of the chain's best order, counting stored products as free."""
    result, i = [], 0
    while i < len(chain):
        j = i
        while j < len(chain) and chain[j] in constant:
            j += 1
        if j - i >= 2 and (i > 0 or j < len(chain)):
            group = ast.Mul(*chain[i:j])
            before = _chain_flops([_dims(f, sizes) for f in result + chain[i:]])
            after = _chain_flops([_dims(f, sizes) for f in result + [group] + chain[j:]])
            if after < before:
                constant.add(group)
                result.append(group)
                i = j
                continue
        j = max(j, i + 1)
        result.extend(chain[i:j])
        i = j
    return result


def _dims(node, sizes):
    """(rows, cols) of the node at these sizes, 1 for a size they do not fix."""
    rows, cols = as_pair(shape_of(node))
    rows, cols = dims.size(rows, sizes), dims.size(cols, sizes)
    return 1 if rows is None else rows, 1 if cols is None else cols


def _chain_flops(pairs):
    """Multiply-adds of the best order for a chain of (rows, cols) (dialects.chain_order)."""
    k = len(pairs)
    if k < 2:
        return 0
    if k == 2 or k > 64:               # two factors, or long chains (an upper bound)
        return sum(pairs[0][0] * inner * cols for inner, cols in pairs[1:])
    return chain_order([pairs[0][0]] + [c for _, c in pairs])[0][0][k - 1]


_CUBIC = (ast.Inverse, ast.Det, ast.LogDet)


def per_call_flops(roots, constant, sizes):
    """An estimate of the work per call: every non-constant node once (the DAG shares),
    a product at its best order, inverses and determinants cubic, the rest linear."""
    total = 0
    for node in {n for root in roots for n in ast.postorder(root)} - constant:
        if isinstance(node, ast.Mul):
            matrices = [c for c in node.children if shape_of(c) != ()]
            total += _chain_flops([_dims(c, sizes) for c in matrices])
        elif isinstance(node, _CUBIC):
            rows, _ = _dims(node.arg, sizes)
            total += rows ** 3
        elif not isinstance(node, (ast.Symbol, ast.Number)):
            biggest = max([_dims(node, sizes)] + [_dims(c, sizes) for c in node.children],
                          key=lambda rc: rc[0] * rc[1])
            total += biggest[0] * biggest[1]
    return total


_PASSED = (ast.Symbol, ast.Number, ast.Identity, ast.Transpose, ast.Neg)


def frontier(roots, constant, sizes):
    """The constant nodes to store: the largest ones the per-call code uses. Names and
    numbers pass as they are; a transpose or a sign of a constant stays in the per-call
    code, free there, keeping X'*g(X*w) visible to the row pass. A constant sized only by
    the other values (c*I with I sized by w) is computed per call."""
    stored, seen = [], set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in constant and not isinstance(node, _PASSED) and _sized(node, sizes):
            stored.append(node)
            continue
        stack.extend(node.children)
    return stored


def _sized(root, sizes):
    return all(dims.size(d, sizes) is not None
               for node in ast.postorder(root) for d in shape_of(node))


# ----------------------------------------------------------------- the bound function

class Bound:
    """A compiled function with some values fixed: call it with the other names. `.source`
    is the per-call code, `.precomputed` what was computed once (as text), `.form` the
    simplifier form compiled ('as given' or 'expanded')."""

    def __init__(self, candidates, given, extra_sizes, make, numpy_values):
        symbols = ast.free_symbols(*(root for roots in candidates for root in roots))
        unused = sorted(set(given) - set(symbols))
        if unused:
            raise EvaluationError(f"'{unused[0]}' is given but the expression does not use it")
        given_symbols = [symbols[name] for name in given]
        self.numpy = numpy_values          # numpy arrays (else a library's, kept as given)
        if self.numpy:
            arrays, sizes = bind_dimensions(given_symbols, given, partial=True)
            self.given = {s.name: arrays[s.name].reshape(np.shape(given[s.name])) if
                          s.declared_shape else float(arrays[s.name][0, 0]) for s in given_symbols}
        else:                          # a library's arrays: only their shapes are read
            stand_ins = {name: stand_in(value) for name, value in given.items()}
            _, sizes = bind_dimensions(given_symbols, stand_ins, partial=True)
            self.given = dict(given)
        costed = []
        for form, roots in zip(("as given", "expanded"), candidates):
            grouped = regroup(roots, self.given, sizes)
            constant = constant_nodes(grouped, self.given)
            costed.append((per_call_flops(grouped, constant, sizes), form, grouped, constant))
        self.flops, self.form, roots, constant = min(costed, key=lambda c: c[0])
        stored = frontier(roots, constant, sizes)
        self.precomputed = {}
        replacements, values = {}, {}
        if stored:
            results = make(stored, extra_sizes)(self.given)
            results = results if len(stored) > 1 else (results,)
            for k, (node, value) in enumerate(zip(stored, results)):
                name = f"#{k}"                    # no user name can start with '#'
                replacements[node] = ast.Symbol(name, shape_of(node))
                values[name] = value
                self.precomputed[name] = to_text(node)
        self._constant_roots = any(root in constant for root in roots)
        roots = [ast.transform(root, lambda n: n, replacements) for root in roots]
        used = set(ast.free_symbols(*roots))
        # copies of the given values the calls still read: a later change to the caller's
        # arrays cannot disagree with what was computed from them
        self.stored = {name: np.array(v) if name in self.given and self.numpy else v
                       for name, v in {**self.given, **values}.items() if name in used}
        self.compiled = make(roots, lambda v: extra_sizes(dict(self.given, **v)))
        self.source = self.compiled.source
        self.plan = self.compiled.plan

    def compute(self, values=None, **options):
        """The Dask backend's compute (docs/backends.md), with the stored values."""
        if not hasattr(self.compiled, "compute"):
            raise EvaluationError("compute() runs lazy Dask results; this function is eager")
        return self.compiled.compute({**self.stored, **dict(values or {})}, **options)

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        if not self.given.keys().isdisjoint(values):
            name = next(name for name in values if name in self.given)
            raise EvaluationError(f"'{name}' was given when the function was compiled; "
                                      "compile again to change it")
        results = self.compiled({**self.stored, **values})
        if not self._constant_roots:
            return results
        if isinstance(results, tuple):    # never hand out a stored array itself
            return tuple(_own(r) for r in results)
        return _own(results)


def _own(value):
    return value.copy() if isinstance(value, np.ndarray) else value
