"""A total order on canonical nodes: how terms, factors and arguments are sorted.

One order decides which of two equal forms is canonical (w'*X'*y or y'*X*w), so it must be
deterministic across runs and cheap however deep the nodes are.
"""

import hashlib

from .. import ast


RANK = {cls: i for i, cls in enumerate((
    ast.Number, ast.Symbol, ast.Transpose, ast.Identity, ast.Fill, ast.Inverse, ast.Power,
    ast.Mul, ast.Add, ast.Neg, ast.Div, ast.Hadamard, ast.ElemDiv, ast.ElemPower,
    ast.Elementwise, ast.Trace, ast.Det, ast.LogDet, ast.Sum, ast.Norm1, ast.Norm2, ast.Diag,
    ast.Derivative, ast.Where, ast.Kron, ast.Vec, ast.Unvec, ast.Commutation, ast.Softmax,
    ast.LogSumExp))}
_keys = {}


def clear():
    """Forget every key (the session's end: the table holds strong references)."""
    _keys.clear()


def key(node):
    """(type rank, payload, the children's ranks and payloads, a digest of the subtree):
    names order alphabetically one level down, and the digest (blake2b of the structure,
    the same in every run) settles the rest without walking the trees."""
    found = _keys.get(node)
    if found is not None:
        return found
    if all(c in _keys for c in node.children):       # the usual case: one new node
        return _key_of(node)
    for n in ast.postorder(node, known=_keys.__contains__):
        _key_of(n)
    return _keys[node]


def _key_of(n):
    """The key of a node whose children have theirs."""
    payload = tuple(str(p) for p in (n.args if isinstance(n, ast.Leaf) else n.args[:n.n_payload]))
    if isinstance(n, ast.Power) and isinstance(n.exponent, ast.Number):
        payload = (f"{float(n.exponent.value):+024.6f}",)   # A^2 before A^3 wherever met
    children = [_keys[c] for c in n.children]
    digest = hashlib.blake2b(repr((RANK[type(n)], payload, [c[3] for c in children]))
                             .encode(), digest_size=12).hexdigest()
    found = _keys[n] = (RANK[type(n)], payload, tuple(c[:2] for c in children), digest)
    return found


def ordered(items):
    """(term, coefficient) pairs in print order: positive coefficients first, then the
    longest products first."""
    return sorted(items, key=lambda item: (item[1] < 0, _term_key(item[0])))


def _term_key(term):
    return (-len(term.factors), _kron_degree(term.factors), tuple(key(f) for f in term.factors),
            tuple((key(a), e) for a, e in term.scalars))


def _kron_degree(factors):
    """The power of a lone Kronecker product's left side (I 0, A 1, A^k k), so that the
    terms of d A^5/dA print kron(I, A'^4) + kron(A, A'^3) + ... + kron(A^4, I); 0 else."""
    if len(factors) != 1 or not isinstance(factors[0], ast.Kron):
        return 0
    left = factors[0].children[0]
    while isinstance(left, ast.Transpose):
        left = left.arg
    if isinstance(left, ast.Identity):
        return 0
    if isinstance(left, ast.Power) and isinstance(left.exponent, ast.Number):
        return float(left.exponent.value)
    return 1
