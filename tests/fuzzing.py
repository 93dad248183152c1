"""The fuzzer's expressions: random well-shaped texts over the whole language, each with a
numpy reference that shares nothing with matcalc, shared by the fuzz families
(tests/test_fuzz_*.py).

An expression is grown from a shape down. A rule says which shape it makes from which
operand shapes, over dimension patterns: in "i k" * "k j" -> "i j" the letters i, j, k range
over every dimension, "1" included (so one rule makes matrix products, matrix-vector and
row-vector products, inner and outer products), while n and q range over proper dimensions
only (a fill `vector(c, n)` is never 1 x 1). Shapes are written as matcalc holds them
inside, two dimensions each: a scalar is "1 1", an m-vector "m 1", a row "1 m". Every shape
the rules may reach is listed in SHAPES, so a rule applies only where all its operands can
be grown too. The rules come in groups, one per area of the language, and each step draws a
group first, then a rule in it: a broadcast or a Kronecker product is as likely as a sum,
however many rules each group holds.

Values keep every construct defined: inverses and log-determinants take I + M*M', det takes
M + 2*I (its derivatives go through inv(M)), logs take 2 + sin(u) or 1 + u.^2, arcsin takes
tanh(u)/2. Nothing else is avoided: exp may overflow and kinks may fall near a value; the
families count such examples as undecided.
"""

import re
import warnings
from contextlib import contextmanager
from itertools import product
from typing import Callable, NamedTuple, Optional

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from matcalc import EvaluationError, MatcalcError

SIZES = {"1": 1, "m": 3, "p": 2, "m*p": 6}
DIMENSIONS = ("1", "m", "p", "m*p")
PATTERN_LETTERS = "ijknq"                 # i, j, k: any dimension; n, q: not 1
DECLS = {"A": ("m", "m"), "B": ("m", "m"), "C": ("p", "p"), "X": ("m", "p"), "x": ("m",),
         "z": ("m",), "w": ("p",), "u": ("m*p",), "a": (), "b": ()}
VARIABLES = tuple(DECLS)
SHAPES = {"1 1", "m 1", "p 1", "m*p 1", "1 m", "1 p", "m m", "p p", "m p", "p m",
          "m*p m*p"}


def declared_shape(name):
    """The variable's shape as the rules write it ('m 1' for an m-vector)."""
    shape = DECLS[name]
    return " ".join(shape + ("1",) * (2 - len(shape))) if shape else "1 1"


def matcalc_shape(shape):
    """A rule shape as Expr.shape prints it: () for '1 1', ('m',) for 'm 1'."""
    rows, columns = shape.split()
    if columns == "1":
        return () if rows == "1" else (rows,)
    return (rows, columns)


def draw_values(rng):
    """Values for every declared name: normal entries, scalars of either sign, 0.5 to 1.5
    from zero (a scalar near zero would sit on the kinks of abs and relu)."""
    values = {}
    for name, shape in DECLS.items():
        if shape:
            values[name] = rng.normal(size=tuple(SIZES[d] for d in shape))
        else:
            values[name] = float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5))
    return values


# ----------------------------------------------------------------- references (numpy, 2-D)

def _scalar(value):
    return np.array([[value]], dtype=float)


def _quiet_power(a, k):
    """a^k, NaN where a < 0 (as numpy's power, without its warning)."""
    with np.errstate(invalid="ignore"):
        return np.power(a, k)


def _sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))


def _softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()


def _logsumexp(a):
    return _scalar(a.max() + np.log(np.sum(np.exp(a - a.max()))))


def _commutation(m, n):
    """K with K*vec(M) = vec(M') for M m x n: vec(M)[j*m + i] = M[i, j] = vec(M')[i*n + j]."""
    K = np.zeros((m * n, m * n))
    for i, j in product(range(m), range(n)):
        K[i * n + j, j * m + i] = 1.0
    return K


def _gram(a):
    return np.eye(len(a)) + a @ a.T


def _logdet(a):
    sign, value = np.linalg.slogdet(a)
    return _scalar(value if sign > 0 else np.nan)


def _vec(a):
    return a.reshape(-1, 1, order="F")


# ----------------------------------------------------------------- the rules

class Rule(NamedTuple):
    """template: the text, {0} {1} the operands and {n} {q} the sizes of the dimensions
    bound to n and q; result and operands: shape patterns; reference(*operands, **sizes)."""
    template: str
    result: str
    operands: tuple
    reference: Optional[Callable]


def R(template, result, operands, reference):
    return Rule(template, result, tuple(operands), reference)


ELEMENTWISE = [
    R("exp({0})", "i j", ["i j"], lambda a, **_: np.exp(a)),
    R("log(2 + sin({0}))", "i j", ["i j"], lambda a, **_: np.log(2 + np.sin(a))),
    R("log(1 + ({0}).^2)", "i j", ["i j"], lambda a, **_: np.log(1 + a ** 2)),
    R("sqrt(1 + ({0}).^2)", "i j", ["i j"], lambda a, **_: np.sqrt(1 + a ** 2)),
    R("abs({0})", "i j", ["i j"], lambda a, **_: np.abs(a)),
    R("sign({0})", "i j", ["i j"], lambda a, **_: np.sign(a)),
    R("sin({0})", "i j", ["i j"], lambda a, **_: np.sin(a)),
    R("cos({0})", "i j", ["i j"], lambda a, **_: np.cos(a)),
    R("tan(0.5*tanh({0}))", "i j", ["i j"], lambda a, **_: np.tan(0.5 * np.tanh(a))),
    R("arcsin(tanh({0})/2)", "i j", ["i j"], lambda a, **_: np.arcsin(np.tanh(a) / 2)),
    R("arccos(0.5*tanh({0}))", "i j", ["i j"], lambda a, **_: np.arccos(0.5 * np.tanh(a))),
    R("arctan({0})", "i j", ["i j"], lambda a, **_: np.arctan(a)),
    R("tanh({0})", "i j", ["i j"], lambda a, **_: np.tanh(a)),
    R("sigmoid({0})", "i j", ["i j"], lambda a, **_: _sigmoid(a)),
    R("softplus({0})", "i j", ["i j"], lambda a, **_: np.logaddexp(0.0, a)),
    R("relu({0})", "i j", ["i j"], lambda a, **_: np.maximum(a, 0.0)),
    R("log1p(({0}).^2)", "i j", ["i j"], lambda a, **_: np.log1p(a ** 2)),
    R("expm1({0})", "i j", ["i j"], lambda a, **_: np.expm1(a)),
    R("softsign({0})", "i j", ["i j"], lambda a, **_: a / (1 + np.abs(a))),
    R("({0}) .* ({1})", "i j", ["i j", "i j"], lambda a, b, **_: a * b),
    R("({0}) ./ (2 + cos({1}))", "i j", ["i j", "i j"], lambda a, b, **_: a / (2 + np.cos(b))),
    R("({0}).^2", "i j", ["i j"], lambda a, **_: a ** 2),
    R("({0}).^3", "i j", ["i j"], lambda a, **_: a ** 3),
    R("(1 + ({0}).^2).^-0.5", "i j", ["i j"], lambda a, **_: (1 + a ** 2) ** -0.5),
    R("(2 + sin({0})).^({1})", "i j", ["i j", "1 1"],
      lambda a, b, **_: (2 + np.sin(a)) ** b),
]

RULES = {
    "arithmetic": [
        R("({0}) + ({1})", "i j", ["i j", "i j"], lambda a, b, **_: a + b),
        R("({0}) - ({1})", "i j", ["i j", "i j"], lambda a, b, **_: a - b),
        R("-({0})", "i j", ["i j"], lambda a, **_: -a),
        R("({0})*({1})", "i j", ["i k", "k j"], lambda a, b, **_: a @ b),
        R("({0})'", "i j", ["j i"], lambda a, **_: a.T),
        R("({0})^T", "i j", ["j i"], lambda a, **_: a.T),
        R("({0})/(2 + sin({1}))", "i j", ["i j", "1 1"], lambda a, b, **_: a / (2 + np.sin(b))),
    ],
    # a scalar added to, subtracted from, Hadamard-combined with or scaling any shape
    "broadcast": [
        R("({0}) + ({1})", "i j", ["i j", "1 1"], lambda a, b, **_: a + b),
        R("({0}) - ({1})", "i j", ["1 1", "i j"], lambda a, b, **_: a - b),
        R("({0}) - ({1})", "i j", ["i j", "1 1"], lambda a, b, **_: a - b),
        R("({0}) .* ({1})", "i j", ["1 1", "i j"], lambda a, b, **_: a * b),
        R("({0}) ./ (1 + ({1})^2)", "i j", ["i j", "1 1"], lambda a, b, **_: a / (1 + b ** 2)),
        R("({0})*({1})", "i j", ["1 1", "i j"], lambda a, b, **_: a * b),
        R("({0})*({1})", "i j", ["i j", "1 1"], lambda a, b, **_: a * b),
    ],
    "elementwise": ELEMENTWISE,
    # fills and identities, sized by their context or by their arguments
    "constants": [
        R("({0}) + vector({1})", "n 1", ["n 1", "1 1"], lambda a, b, **_: a + b),
        R("vector({0}, {n}) - ({1})", "n 1", ["1 1", "n 1"], lambda a, b, **_: a - b),
        R("vector({0}, {n})", "n 1", ["1 1"], lambda a, n, **_: np.full((n, 1), a[0, 0])),
        R("({0}) .* matrix({1})", "n q", ["n q", "1 1"], lambda a, b, **_: a * b),
        R("matrix({0}, {n}, {q})", "n q", ["1 1"], lambda a, n, q: np.full((n, q), a[0, 0])),
        R("({0}) + I", "n n", ["n n"], lambda a, **_: a + np.eye(len(a))),
        R("({0}) - eye", "n n", ["n n"], lambda a, **_: a - np.eye(len(a))),
        R("I*({0})", "n q", ["n q"], lambda a, **_: a),
        R("({0})*I({q})", "n q", ["n q"], lambda a, **_: a),
        R("eye({n}) + ({0})", "n n", ["n n"], lambda a, **_: np.eye(len(a)) + a),
    ],
    "powers": [
        R("({0})^2", "i i", ["i i"], lambda a, **_: a @ a),
        R("({0})^3", "i i", ["i i"], lambda a, **_: a @ a @ a),
        R("({0})^0", "i i", ["i i"], lambda a, **_: np.eye(len(a))),
        R("(I + ({0})*({0})')^-1", "n n", ["n k"], lambda a, **_: np.linalg.inv(_gram(a))),
        R("(I + ({0})*({0})')^-2", "n n", ["n k"],
          lambda a, **_: np.linalg.matrix_power(np.linalg.inv(_gram(a)), 2)),
        R("(1 + ({0})^2)^({1})", "1 1", ["1 1", "1 1"], lambda a, b, **_: (1 + a ** 2) ** b),
        R("(1 + ({0})^2)^0.5", "1 1", ["1 1"], lambda a, **_: (1 + a ** 2) ** 0.5),
        R("(1 + ({0})^2)^-1", "1 1", ["1 1"], lambda a, **_: (1 + a ** 2) ** -1),
        # defined where the product is positive, whatever the factors' signs (issue 22:
        # (s*t)^(1/2) became s^0.5*t^0.5, NaN where both are negative)
        R("(({0})*({1}))^0.5", "1 1", ["1 1", "1 1"],
          lambda a, b, **_: _quiet_power(a * b, 0.5)),
        R("(({0})*({1})).^(1/3)", "i j", ["1 1", "i j"],
          lambda a, b, **_: _quiet_power(a * b, 1 / 3)),
    ],
    "matrix functions": [
        R("tr({0})", "1 1", ["n n"], lambda a, **_: _scalar(np.trace(a))),
        # det's derivatives go through inv (det(M)*inv(M)'): M + 2*I keeps M invertible
        # where the grammar makes it singular (x*x' - a is rank 2), a reported weakness
        R("det(({0}) + 2*I)", "1 1", ["n n"],
          lambda a, **_: _scalar(np.linalg.det(a + 2 * np.eye(len(a))))),
        R("det(I + 0.1*({0})*({0})')", "1 1", ["n k"],
          lambda a, **_: _scalar(np.linalg.det(np.eye(len(a)) + 0.1 * a @ a.T))),
        R("logdet(I + ({0})*({0})')", "1 1", ["n k"], lambda a, **_: _logdet(_gram(a))),
        R("inv(I + ({0})*({0})')", "n n", ["n k"], lambda a, **_: np.linalg.inv(_gram(a))),
        R("sum({0})", "1 1", ["i j"], lambda a, **_: _scalar(np.sum(a))),
        R("norm1({0})", "1 1", ["i j"], lambda a, **_: _scalar(np.sum(np.abs(a)))),
        R("norm2({0})", "1 1", ["i j"], lambda a, **_: _scalar(np.linalg.norm(a))),
        R("diag({0})", "n n", ["n 1"], lambda a, **_: np.diag(a[:, 0])),
        R("diag({0})", "n 1", ["n n"], lambda a, **_: np.diag(a).reshape(-1, 1)),
        R("softmax({0})", "n 1", ["n 1"], lambda a, **_: _softmax(a)),
        R("logsumexp({0})", "1 1", ["n 1"], lambda a, **_: _logsumexp(a)),
    ],
    "kronecker": [
        R("vec({0})", "m*p 1", ["m p"], lambda a, **_: _vec(a)),
        R("vec({0})", "m*p 1", ["p m"], lambda a, **_: _vec(a)),
        R("vec({0})", "n 1", ["n 1"], lambda a, **_: _vec(a)),
        R("vec({0})", "n 1", ["1 n"], lambda a, **_: _vec(a)),
        R("unvec({0}, m, p)", "m p", ["m*p 1"], lambda a, **_: a.reshape((3, 2), order="F")),
        R("unvec({0}, p, m)", "p m", ["m*p 1"], lambda a, **_: a.reshape((2, 3), order="F")),
        R("kron({0}, {1})", "m*p m*p", ["m m", "p p"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "m*p m*p", ["p p", "m m"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "m*p 1", ["m 1", "p 1"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "m*p 1", ["p 1", "m 1"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "m p", ["m 1", "1 p"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "p m", ["1 m", "p 1"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "i j", ["1 1", "i j"], lambda a, b, **_: np.kron(a, b)),
        R("kron({0}, {1})", "i j", ["i j", "1 1"], lambda a, b, **_: np.kron(a, b)),
        R("commutation(m, p)*({0})", "m*p 1", ["m*p 1"],
          lambda a, **_: _commutation(3, 2) @ a),
        R("({0})*commutation(p, m)", "m*p m*p", ["m*p m*p"],
          lambda a, **_: a @ _commutation(2, 3)),
    ],
    # derivative terms (no reference: evaluate differentiates them with matcalc's own code)
    "derivatives": [
        R("diff({0}, a)", "n q", ["n q"], None),
        R("diff({0}, b)", "1 n", ["n 1"], None),
        R("diff({0}, a)", "1 1", ["1 1"], None),
        R("diff({0}, x)", "m 1", ["1 1"], None),
        R("diff({0}, w)", "p 1", ["1 1"], None),
        R("diff({0}, u)", "m*p 1", ["1 1"], None),
        R("diff({0}, z)", "m n", ["n 1"], None),
        R("diff({0}, w)", "p n", ["n 1"], None),
        R("diff({0}, A)", "m m", ["1 1"], None),
        R("diff({0}, X)", "m p", ["1 1"], None),
        R("diff({0}, C)", "p p", ["1 1"], None),
        R("diff({0}, X)", "m*p m*p", ["m p"], None),
        R("diff({0}, X)", "m*p m*p", ["m*p 1"], None),
        R("diff({0}, u)", "m*p m*p", ["m*p 1"], None),
    ],
}


# how often each group is drawn, against 3 for the others: a derivative term is costly
# (the routes differentiate it again) and leaves the example without a numpy reference
WEIGHTS = {"derivatives": 1}


def _name(name):
    return name, (lambda values, **_: np.reshape(np.asarray(values[name], dtype=float),
                                                 tuple(SIZES[d] for d in
                                                       declared_shape(name).split())))


def _constant(text, value):
    return text, (lambda values, **_: value)


LEAVES = {
    "1 1": [_name("a"), _name("b"), _constant("2", _scalar(2)), _constant("0.5", _scalar(0.5)),
            _constant("3", _scalar(3))],
    "m 1": [_name("x"), _name("z")],
    "p 1": [_name("w")],
    "m*p 1": [_name("u")],
    "1 m": [("x'", lambda values: _name("x")[1](values).T),
            ("z'", lambda values: _name("z")[1](values).T)],
    "1 p": [("w'", lambda values: _name("w")[1](values).T)],
    "m m": [_name("A"), _name("B"), _constant("I(m)", np.eye(3))],
    "p p": [_name("C"), _constant("eye(p)", np.eye(2))],
    "m p": [_name("X")],
    "p m": [("X'", lambda values: _name("X")[1](values).T)],
    "m*p m*p": [_constant("commutation(m, p)", _commutation(3, 2)),
                _constant("I(m*p)", np.eye(6))],
}


class Node(NamedTuple):
    text: str
    reference: Optional[Callable]     # values -> 2-D array; None where a diff term occurs


class Grammar:
    """Rules and leaves over a set of dimensions and of shapes: which rules make which
    shape (options[shape][group] = [(rule, binding)]), and random nodes of a shape."""

    def __init__(self, rules, leaves, dimensions, shapes):
        self.leaves, self.dimensions, self.shapes = leaves, dimensions, shapes
        options = {shape: {group: [(rule, binding) for rule in group_rules
                                   for binding in self._bindings(rule, shape)]
                           for group, group_rules in rules.items()} for shape in shapes}
        self.options = {shape: {g: found for g, found in groups.items() if found}
                        for shape, groups in options.items()}

    def _bindings(self, rule, shape):
        """The ways the rule makes `shape`: dicts from its pattern letters to dimensions
        such that every operand's shape is one of the grammar's shapes."""
        result, found = rule.result.split(), []
        letters = sorted({c for pattern in (rule.result,) + rule.operands
                          for c in pattern.split() if c in PATTERN_LETTERS})
        for choice in product(self.dimensions, repeat=len(letters)):
            binding = dict(zip(letters, choice))
            if any(binding[c] == "1" for c in "nq" if c in binding):
                continue
            bound = [binding.get(c, c) for c in result]
            operands = [" ".join(binding.get(c, c) for c in p.split()) for p in rule.operands]
            if " ".join(bound) == shape and all(o in self.shapes for o in operands):
                found.append(binding)
        return found

    def nodes(self, shape, depth, bound=None):
        """A strategy of nodes of the shape, at most `depth` rules deep; a leaf 't0'
        stands for the where-binding of shape `bound`."""
        return _nodes(self, shape, depth, bound)


def _applied(rule, binding, operands):
    """The node of the rule over its operands' nodes."""
    text = rule.template.format(*(o.text for o in operands),
                                **{c: binding[c] for c in "nq" if c in binding})
    if rule.reference is None or any(o.reference is None for o in operands):
        return Node(text, None)
    sizes = {c: SIZES[binding[c]] for c in "nq" if c in binding}
    references = [o.reference for o in operands]
    return Node(text, lambda values: rule.reference(*(r(values) for r in references), **sizes))


@st.composite
def _nodes(draw, grammar, shape, depth, bound):
    leaves = [Node(text, ref) for text, ref in grammar.leaves[shape]]
    if shape == bound:                 # t0 as likely as all the other leaves together
        leaves += [Node("t0", lambda values: values["t0"])] * len(leaves)
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves))
    groups = grammar.options[shape]
    group = draw(st.sampled_from([g for g in sorted(groups) for _ in range(WEIGHTS.get(g, 3))]))
    rule, binding = draw(st.sampled_from(groups[group]))
    shapes = [" ".join(binding.get(c, c) for c in p.split()) for p in rule.operands]
    return _applied(rule, binding, [draw(_nodes(grammar, s, depth - 1, bound)) for s in shapes])


GRAMMAR = Grammar(RULES, LEAVES, DIMENSIONS, SHAPES)


class Case(NamedTuple):
    """A random expression: its text (with a where clause if it has a binding), the same
    without it (t0 written out), its shape as Expr.shape prints it, and its numpy reference
    (values -> the value as evaluate returns it; None where a diff term occurs)."""
    text: str
    inline: str
    shape: tuple
    reference: Optional[Callable]

    @classmethod
    def of(cls, text):
        """A case for a text written by hand (an @example): no reference."""
        import matcalc
        main, _, binding = text.partition(" where t0 = ")
        inline = re.sub(r"\bt0\b", f"({binding})", main) if binding else text
        shape = tuple(str(d) for d in matcalc.parse(text, DECLS).shape)
        return cls(text, inline, shape, None)


def _finished(shape, reference):
    """The value as evaluate gives it: a float, a 1-D vector, a 2-D row or matrix."""
    kind = matcalc_shape(shape)

    def value(values):
        with np.errstate(all="ignore"):
            result = reference(values)
        if kind == ():
            return float(result[0, 0])
        return result[:, 0] if len(kind) == 1 else result
    return value


@st.composite
def cases(draw, shapes=tuple(sorted(SHAPES)), depth=4):
    """A Case of one of the shapes; a third of them may name a subexpression with `where`
    (of their own shape, a scalar or any other shape)."""
    shape = draw(st.sampled_from(shapes))
    bound = None
    if draw(st.integers(0, 2)) == 0:
        bound = draw(st.sampled_from([shape, "1 1", draw(st.sampled_from(sorted(SHAPES)))]))
    node = draw(GRAMMAR.nodes(shape, depth, bound))
    text = inline = node.text
    reference = node.reference
    if bound is not None and re.search(r"\bt0\b", node.text):
        binding = draw(GRAMMAR.nodes(bound, 2))
        text = f"{node.text} where t0 = {binding.text}"
        inline = re.sub(r"\bt0\b", f"({binding.text})", node.text)
        if reference is not None and binding.reference is not None:
            main, ref = node.reference, binding.reference
            reference = lambda values: main(dict(values, t0=ref(values)))  # noqa: E731
        else:
            reference = None
    return Case(text, inline, matcalc_shape(shape),
                None if reference is None else _finished(shape, reference))


# ----------------------------------------------------------------- values of expressions

def evaluated(expr, values):
    """expr.evaluate(values) without its warnings (a family decides what a non-finite
    value means)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return expr.evaluate(values)


def clearly_differ(first, second, seed=0, draws=3, relative=1e-3):
    """Do two expressions differ by more than `relative` of their size on one of a few
    random draws of DECLS's values? (A mutant that does not is no false claim.)"""
    rng = np.random.default_rng(seed)
    for _ in range(draws):
        values = draw_values(rng)
        try:
            a, b = (np.asarray(evaluated(e, values), dtype=float) for e in (first, second))
        except EvaluationError:            # a mutant may be singular: inv(P + I), P = -P'
            continue
        if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
            size = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
            # a value at rounding level (d softmax(x + b)/db is zero but for rounding) is
            # no difference, whatever its mutant
            if np.max(np.abs(a - b), initial=0.0) > relative * size and size > 1e-9:
                return True
    return False


# ----------------------------------------------------------------- known refusals

# MatcalcErrors that valid expressions meet and that are reported, not yet fixed: (part of
# the message, a pattern of the expression's text). An example that meets one is skipped
# (tests/test_fuzz_found.py keeps each as an xfail).
KNOWN_REFUSALS = (
    # a product dimension (u: m*p) that no given value splits into m and p, though nothing
    # needs them: compile("u", given={"u": ...}) and evaluate("u", u=...)
    ("whose factors no value fixes", r"\bu\b"),
)


@contextmanager
def known_refusals(text):
    """Run a family's checks of `text`, skipping the example if it meets a known refusal."""
    try:
        yield
    except MatcalcError as error:
        if any(message in str(error) and re.search(pattern, text)
               for message, pattern in KNOWN_REFUSALS):
            reject()
        raise


# ----------------------------------------------------------------- tall data

# X'*g(X*w, X*v, y, scalars) with g acting row by row: what compile fuses into one pass over
# the rows of X (numpy's blocks, numba's kernel) when X is large
ROW_DECLS = {"X": ("N", "d"), "y": ("N",), "w": ("d",), "v": ("d",), "a": (), "b": ()}
ROW_LEAVES = {"1 1": [("a", None), ("b", None), ("2", None), ("0.5", None)],
              "N 1": [("X*w", None), ("X*v", None), ("y", None), ("(X*w - y)", None)]}
ROWS = Grammar({group: RULES[group] for group in
                ("arithmetic", "broadcast", "elementwise", "constants")},
               ROW_LEAVES, ("1", "N"), {"1 1", "N 1"})


@st.composite
def row_passes(draw, depth=3):
    """X'*g(...) itself, or sum(g(...)), whose gradient by w is X'*g'(...)."""
    g = draw(ROWS.nodes("N 1", depth)).text
    return draw(st.sampled_from([f"X'*({g})", f"sum({g})"]))


# ----------------------------------------------------------------- mutations of a text

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")


def _tokens(text, kind):
    """(start, end) of each name ('name') or number ('number') in the main part of a text
    (before its where clause, whose binding the main part names)."""
    main = text.split(" where ")[0]
    return [m.span() for m in _TOKEN.finditer(main) if m.group()[0].isalpha() == (kind == "name")]


def numbers_in(text):
    return len(_tokens(text, "number"))


def coefficient_changed(text, k):
    """The k-th number of the text plus one (2 -> 3, 0.5 -> 1.5, x.^2 -> x.^3)."""
    start, end = _tokens(text, "number")[k]
    return text[:start] + repr(float(text[start:end]) + 1) + text[end:]


def scaled(text, factor):
    """factor*(the main part), its where clause kept."""
    main, where, rest = text.partition(" where ")
    return f"{factor}*({main}){where}{rest}"


def names_in(text, names):
    """The positions of the names (among `names`) in the main part."""
    return [(s, e) for s, e in _tokens(text, "name") if text[s:e] in names]


def transposed_at(text, position):
    """A transpose after the name at `position` (from names_in)."""
    _, end = position
    return text[:end] + "'" + text[end:]


def swapped(text, first, second):
    """The two names exchanged everywhere (where clause included)."""
    def other(match):
        return second if match.group() == first else first
    return re.sub(rf"\b(?:{first}|{second})\b", other, text)


SWAPS = [("A", "B"), ("x", "z"), ("a", "b")]        # the pairs of names of one shape
SQUARE = ("A", "B", "C")
