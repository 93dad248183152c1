"""The abstract syntax tree: small, immutable, hash-consed nodes.

Every node is interned: building a node equal to one that exists returns the existing object.
So structural equality is identity, hashing is O(1) (cached), and equal subtrees are shared,
which makes every pass over a tree a pass over a DAG whose repeated subexpressions are visited
once. Constructors only build; nothing here simplifies.

A node's `args` hold its payload (names, numbers, shapes) first and its child nodes after;
`children` and `rebuild` give generic passes one way to walk and rebuild any node. Every
generic pass here is iterative, so deep trees cannot exhaust the Python stack.
"""

import weakref
from fractions import Fraction

_interned = weakref.WeakValueDictionary()


class Node:
    """Base of all nodes. `n_payload` leading args are payload, the rest are child nodes."""

    __slots__ = ("args", "_hash", "_shape", "__weakref__")
    n_payload = 0

    def __new__(cls, *args):
        key = (cls, args)
        node = _interned.get(key)
        if node is None:
            node = object.__new__(cls)
            setattr_ = object.__setattr__
            setattr_(node, "args", args)
            setattr_(node, "_hash", hash(key))
            setattr_(node, "_shape", None)
            _interned[key] = node
        return node

    def __hash__(self):
        return self._hash

    # Equality is identity (the default), which interning makes structural.

    def __setattr__(self, name, value):
        if name in ("args", "_hash") and hasattr(self, name):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self):
        return (type(self), self.args)

    @property
    def children(self):
        return self.args[self.n_payload:]

    def rebuild(self, children):
        """The same node with other children (self if they are the same objects)."""
        children = tuple(children)
        if children == self.children:
            return self
        return type(self)(*self.args[: self.n_payload], *children)

    def __repr__(self):
        return f"{type(self).__name__}{self.args!r}"


class Leaf(Node):
    __slots__ = ()

    @property
    def children(self):
        return ()

    def rebuild(self, children):
        return self


# ---------------------------------------------------------------- leaves

class Symbol(Leaf):
    """A named variable; `shape` is None until shape inference fills it in."""
    __slots__ = ()

    def __new__(cls, name, shape=None, symmetric=False):
        return super().__new__(cls, name, shape, bool(symmetric))

    name = property(lambda self: self.args[0])
    declared_shape = property(lambda self: self.args[1])
    symmetric = property(lambda self: self.args[2])


class Number(Leaf):
    """An exact rational constant."""
    __slots__ = ()

    def __new__(cls, value):
        return super().__new__(cls, Fraction(value))

    value = property(lambda self: self.args[0])


class Identity(Leaf):
    """`I`: the n x n identity; `n` is None until shape inference sizes it, or given
    (`I(n*d)`)."""
    __slots__ = ()

    def __new__(cls, n=None):
        return super().__new__(cls, n)

    n = property(lambda self: self.args[0])


class Commutation(Leaf):
    """commutation(m, n): the mn x mn permutation K with K*vec(X) = vec(X') for X m x n."""
    __slots__ = ()
    m = property(lambda self: self.args[0])
    n = property(lambda self: self.args[1])


# ---------------------------------------------------------------- operations

class _Unary(Node):
    __slots__ = ()
    arg = property(lambda self: self.args[0])


class _Binary(Node):
    __slots__ = ()
    left = property(lambda self: self.args[0])
    right = property(lambda self: self.args[1])


class Add(Node):
    """a + b + ...; a scalar term is added to every entry of the others."""
    __slots__ = ()


class Neg(_Unary):
    """-a"""
    __slots__ = ()


class Mul(Node):
    """a * b * ...: matrix product, where a scalar factor scales."""
    __slots__ = ()


class Div(_Binary):
    """a / s, s a scalar."""
    __slots__ = ()


class Hadamard(_Binary):
    """a .* b (elementwise product; a scalar side scales)."""
    __slots__ = ()


class ElemDiv(_Binary):
    """a ./ b (elementwise division)."""
    __slots__ = ()


class Power(Node):
    """a ^ k: a scalar power, or a square matrix to an integer power."""
    __slots__ = ()
    base = property(lambda self: self.args[0])
    exponent = property(lambda self: self.args[1])


class ElemPower(Node):
    """a .^ k (elementwise power)."""
    __slots__ = ()
    base = property(lambda self: self.args[0])
    exponent = property(lambda self: self.args[1])


class Transpose(_Unary):
    """a'"""
    __slots__ = ()


class Fill(Node):
    """vector(c) / matrix(c): a constant-filled array; dims are None until inferred."""
    __slots__ = ()
    n_payload = 1
    shape = property(lambda self: self.args[0])
    value = property(lambda self: self.args[1])


class Elementwise(Node):
    """f(a) for a scalar function f applied entry by entry."""
    __slots__ = ()
    n_payload = 1
    name = property(lambda self: self.args[0])
    arg = property(lambda self: self.args[1])


class Trace(_Unary):
    __slots__ = ()


class Det(_Unary):
    __slots__ = ()


class LogDet(_Unary):
    __slots__ = ()


class Inverse(_Unary):
    __slots__ = ()


class Sum(_Unary):
    """The sum of all entries."""
    __slots__ = ()


class Norm1(_Unary):
    __slots__ = ()


class Norm2(_Unary):
    """Euclidean norm of a vector, Frobenius norm of a matrix."""
    __slots__ = ()


class Diag(_Unary):
    """diag(v): a diagonal matrix from a vector; diag(A): the diagonal of a square matrix."""
    __slots__ = ()


class Vec(_Unary):
    """vec(A): the columns of A stacked into one column (column-major)."""
    __slots__ = ()


class Softmax(_Unary):
    """softmax(x) = exp(x) / sum(exp(x)) of a vector."""
    __slots__ = ()


class LogSumExp(_Unary):
    """logsumexp(x) = log(sum(exp(x))) of a vector."""
    __slots__ = ()


class Kron(_Binary):
    """kron(A, B): the Kronecker product, block (i, j) = A_ij * B."""
    __slots__ = ()


class Unvec(Node):
    """unvec(v, m, n): the m x n matrix whose vec is v (the inverse of vec)."""
    __slots__ = ()
    n_payload = 1
    shape = property(lambda self: self.args[0])
    arg = property(lambda self: self.args[1])


class Derivative(Node):
    """diff(a, w): the derivative of a by the symbol w, denominator layout."""
    __slots__ = ()
    expr = property(lambda self: self.args[0])
    wrt = property(lambda self: self.args[1])


class Where(Node):
    """body where n0 = v0, n1 = v1, ...: names for shared subexpressions (outermost only)."""
    __slots__ = ()
    n_payload = 1
    names = property(lambda self: self.args[0])
    body = property(lambda self: self.args[1])
    values = property(lambda self: self.args[2:])


# every concrete node type: what the guard tests of each stage's tables go over
NODE_TYPES = tuple(c for c in list(globals().values()) if isinstance(c, type) and
                   issubclass(c, Node) and c not in (Node, Leaf) and c.__name__[0] != "_")


# ---------------------------------------------------------------- iterative traversal

def postorder(root, known=None):
    """Each distinct node under `root` once, children before parents (no recursion).

    Nodes for which `known(node)` is true (already computed by the caller's memo) are
    neither listed nor entered, so repeated memoized passes cost only what is new.
    """
    if known is not None and known(root):
        return []
    seen = set()
    order = []
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for child in reversed(node.children):
            if child not in seen and (known is None or not known(child)):
                stack.append((child, False))
    return order


def fold(root, combine, memo=None):
    """combine(node, results_of_children) bottom-up over the DAG; each node once."""
    memo = {} if memo is None else memo
    for node in postorder(root):
        if node not in memo:
            memo[node] = combine(node, [memo[c] for c in node.children])
    return memo[root]


def transform(root, rewrite, memo=None):
    """Rebuild bottom-up: rewrite(node_with_new_children) for every node, each once."""
    return fold(root, lambda node, kids: rewrite(node.rebuild(kids)), memo)


def free_symbols(*roots):
    """name -> Symbol of the roots' free symbols (a where's names are bound), in order."""
    table = {}
    for root in roots:
        bound = set(root.names) if isinstance(root, Where) else set()
        for node in postorder(root):
            if isinstance(node, Symbol) and node.name not in bound:
                table.setdefault(node.name, node)
    return table


def tree_size(root):
    """Number of nodes counting repeats, as printing without sharing would show them."""
    return fold(root, lambda node, sizes: 1 + sum(sizes))


def literal(node):
    """The value of a number, signed (the parser writes -2 as Neg(2)), or None."""
    if isinstance(node, Neg):
        value = literal(node.arg)
        return None if value is None else -value
    return node.value if isinstance(node, Number) else None


def inline_where(root):
    """The body of a `where` with its names substituted (shared values stay one node of
    the DAG); any other root unchanged."""
    if not isinstance(root, Where):
        return root
    env = {}

    def substitute(node):
        return transform(node, lambda n: env.get(n.name, n) if isinstance(n, Symbol) else n)
    for name, value in zip(root.names, root.values):
        env[name] = substitute(value)
    return substitute(root.body)
