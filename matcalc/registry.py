"""The function registry: one record per function of the language.

Every stage reads what it needs of a function here (the fields of `Function` say who reads
what), so a new function is one record, and for a matrix function one row of the derivative
rules in calculus/rules.py, beside its textbook source. Evaluation and compiled code read
`array`, the meaning written once over an array namespace: `array(numpy, u)` computes it,
and the code generator runs the same function on a namespace that writes code instead
(np.exp(t1), jnp.exp(t1), da.exp(t1)), so numpy, numba, JAX and Dask share one spelling;
`backends` overrides it where a library has its own (torch.sigmoid, jax.nn.softplus).

tests/test_registry.py checks that every record is complete and that every table of every
stage handles every record and every node type. docs/adding-a-function.md shows a record.
"""

from fractions import Fraction
from typing import Callable, NamedTuple, Optional

from . import ast

HALF = Fraction(1, 2)
INF = float("inf")
HALF_PI = 1.5707963267948966     # pi/2, the bound of arcsin and arctan


class Function(NamedTuple):
    """What every stage needs to know of one function (see the module's docstring)."""

    name: str
    node: type                     # the AST class (ast.Elementwise for elementwise ones)
    shape: str                     # the shape law, a key of shapes.rules.LAWS
    array: Callable                # array(xp, *args): the value, xp a numpy-like namespace
    latex: str                     # LaTeX (str.format) with {0}, {1} for the arguments
    sympy: Optional[Callable] = None     # sympy(sp, *args) -> a SymPy expression
    from_sympy: tuple = ()         # names of SymPy classes that read back as this function
    derivative: Optional[Callable] = None   # elementwise: f'(u) given u and the node f(u)
                                   # (so exp' = exp reuses the node)
    backends: dict = {}            # backend -> code template over {0}, where not `array`
    arity: int = 1
    domain: str = "real"           # where the draws of verify must lie: real | positive | unit
    kinks: tuple = ()              # arguments where it is not smooth (verify avoids them)
    bounds: Optional[tuple] = None   # (low, high) holding every value (definiteness proofs)
    at_zero: Optional[Fraction] = None   # f(0), exact, when the simplifier may use it
    hint: Optional[str] = None     # why an inf or nan appears (evaluate's warning)
    may_warn: bool = True          # can finite arguments give inf or nan?
    inverse: Optional[str] = None  # g with f(g(u)) = u for every real u (the simplifier's)
    idempotent: bool = False       # f(f(u)) = f(u) (the simplifier's)
    scalar: Optional[Callable] = None    # scalar(xp, a): the value for a 1 x 1 argument
                                   # (numpy or sympy as xp: abs(a) and a ** k, not xp.abs)
    code: Optional[str] = None     # a matrix function's operation in the backends' dialects
    latex_operator: Optional[str] = None   # None: delimits its arguments (\exp\left(..\right));
                                   # "postfix": X^{-1}; "product": A \otimes B

    @property
    def elementwise(self):
        return self.node is ast.Elementwise


# ----------------------------------------------------------------- derivative building blocks

_call = ast.Elementwise                # _call("cos", u) is cos(u)


def _power(node, k):
    return ast.ElemPower(node, ast.Number(k))


def _one_plus(node):
    return ast.Add(ast.Number(1), node)


def _one_minus(node):
    return ast.Add(ast.Number(1), ast.Neg(node))


# ----------------------------------------------------------------- elementwise functions

def _elementwise(name, derivative, array, latex, sympy, **fields):
    return Function(name=name, node=ast.Elementwise, shape="elementwise", array=array,
                    latex=latex, sympy=sympy, derivative=derivative, **fields)


def _named(command):
    """command(u) in LaTeX: the command's own braces escaped for str.format."""
    return command.replace("{", "{{").replace("}", "}}") + r"\left({0}\right)"


ELEMENTWISE_RECORDS = (
    _elementwise(
        "exp", lambda u, f: f, lambda xp, u: xp.exp(u), _named(r"\exp"),
        lambda sp, u: sp.exp(u), from_sympy=("exp",), at_zero=Fraction(1),
        hint="exp overflows", bounds=(0, INF)),
    _elementwise(
        "log", lambda u, f: _power(u, -1), lambda xp, u: xp.log(u), _named(r"\log"),
        lambda sp, u: sp.log(u), from_sympy=("log",), domain="positive",
        hint="log of a non-positive entry", inverse="exp"),
    _elementwise(
        "sqrt", lambda u, f: _power(ast.Mul(ast.Number(2), f), -1), lambda xp, u: xp.sqrt(u),
        r"\sqrt{{{0}}}", lambda sp, u: sp.sqrt(u), domain="positive", at_zero=Fraction(0),
        hint="sqrt of a negative entry", bounds=(0, INF)),
    _elementwise(
        "abs", lambda u, f: _call("sign", u), lambda xp, u: xp.abs(u), r"\left|{0}\right|",
        lambda sp, u: sp.Abs(u), from_sympy=("Abs",), kinks=(0,), at_zero=Fraction(0),
        may_warn=False, idempotent=True, bounds=(0, INF)),
    _elementwise(
        "sign", lambda u, f: ast.Mul(ast.Number(0), f), lambda xp, u: xp.sign(u),
        _named(r"\operatorname{sign}"), lambda sp, u: sp.sign(u), from_sympy=("sign",),
        kinks=(0,), at_zero=Fraction(0), may_warn=False, idempotent=True, bounds=(-1, 1)),
    _elementwise(
        "sin", lambda u, f: _call("cos", u), lambda xp, u: xp.sin(u), _named(r"\sin"),
        lambda sp, u: sp.sin(u), from_sympy=("sin",), at_zero=Fraction(0), may_warn=False,
        bounds=(-1, 1)),
    _elementwise(
        "cos", lambda u, f: ast.Neg(_call("sin", u)), lambda xp, u: xp.cos(u),
        _named(r"\cos"), lambda sp, u: sp.cos(u), from_sympy=("cos",), at_zero=Fraction(1),
        may_warn=False, bounds=(-1, 1)),
    _elementwise(
        "tan", lambda u, f: _one_plus(_power(f, 2)), lambda xp, u: xp.tan(u),
        _named(r"\tan"), lambda sp, u: sp.tan(u), from_sympy=("tan",), at_zero=Fraction(0),
        hint="tan at a pole"),
    _elementwise(
        "arcsin", lambda u, f: _power(_call("sqrt", _one_minus(_power(u, 2))), -1),
        lambda xp, u: xp.arcsin(u), _named(r"\arcsin"), lambda sp, u: sp.asin(u),
        from_sympy=("asin",), domain="unit", at_zero=Fraction(0),
        hint="arcsin of an entry outside [-1, 1]", backends={"torch": "torch.asin({0})"},
        bounds=(-HALF_PI, HALF_PI)),
    _elementwise(
        "arccos", lambda u, f: ast.Neg(_power(_call("sqrt", _one_minus(_power(u, 2))), -1)),
        lambda xp, u: xp.arccos(u), _named(r"\arccos"), lambda sp, u: sp.acos(u),
        from_sympy=("acos",), domain="unit", hint="arccos of an entry outside [-1, 1]",
        backends={"torch": "torch.acos({0})"}, bounds=(0, 2 * HALF_PI)),
    _elementwise(
        "arctan", lambda u, f: _power(_one_plus(_power(u, 2)), -1),
        lambda xp, u: xp.arctan(u), _named(r"\arctan"), lambda sp, u: sp.atan(u),
        from_sympy=("atan",), at_zero=Fraction(0), may_warn=False,
        backends={"torch": "torch.atan({0})"}, bounds=(-HALF_PI, HALF_PI)),
    _elementwise(
        "tanh", lambda u, f: _one_minus(_power(f, 2)), lambda xp, u: xp.tanh(u),
        _named(r"\tanh"), lambda sp, u: sp.tanh(u), from_sympy=("tanh",), at_zero=Fraction(0),
        may_warn=False, bounds=(-1, 1)),
    # exp(-log(1 + exp(-u))): relative accuracy for every u (1/(1 + exp(-u)) and
    # (1 + tanh(u/2))/2 both lose it for large negative u); so does its derivative written
    # sigmoid(u) .* sigmoid(-u), where sigmoid(u) .* (1 - sigmoid(u)) is 0 past u = 37
    _elementwise(
        "sigmoid", lambda u, f: ast.Hadamard(f, _call("sigmoid", ast.Neg(u))),
        lambda xp, u: xp.exp(-xp.logaddexp(0.0, -u)), r"\sigma\left({0}\right)",
        lambda sp, u: 1 / (1 + sp.exp(-u)), at_zero=HALF,
        backends={"jax": "jax.nn.sigmoid({0})", "torch": "torch.sigmoid({0})"}, bounds=(0, 1)),
    _elementwise(
        "softplus", lambda u, f: _call("sigmoid", u), lambda xp, u: xp.logaddexp(0.0, u),
        _named(r"\operatorname{softplus}"), lambda sp, u: sp.log(1 + sp.exp(u)),
        backends={"jax": "jax.nn.softplus({0})",
                  "torch": "torch.nn.functional.softplus({0})"}, bounds=(0, INF)),
    _elementwise(
        "relu", lambda u, f: ast.Mul(ast.Number(HALF), _one_plus(_call("sign", u))),
        lambda xp, u: xp.maximum(u, 0.0), _named(r"\operatorname{relu}"),
        lambda sp, u: sp.Max(u, 0), kinks=(0,), at_zero=Fraction(0), idempotent=True,
        backends={"jax": "jax.nn.relu({0})", "torch": "torch.relu({0})"}, bounds=(0, INF)),
    _elementwise(
        "log1p", lambda u, f: _power(_one_plus(u), -1), lambda xp, u: xp.log1p(u),
        _named(r"\operatorname{log1p}"), lambda sp, u: sp.log(1 + u), domain="positive",
        at_zero=Fraction(0), hint="log1p of an entry at or below -1"),
    _elementwise(
        "expm1", lambda u, f: _call("exp", u), lambda xp, u: xp.expm1(u),
        _named(r"\operatorname{expm1}"), lambda sp, u: sp.exp(u) - 1, at_zero=Fraction(0),
        hint="expm1 overflows", bounds=(-1, INF)),
    # u / (1 + |u|): smooth at 0 (its derivative 1/(1 + |u|)^2 is not: a kink for Hessians)
    _elementwise(
        "softsign", lambda u, f: _power(_one_plus(_call("abs", u)), -2),
        lambda xp, u: u / (1.0 + xp.abs(u)), _named(r"\operatorname{softsign}"),
        lambda sp, u: u / (1 + sp.Abs(u)), kinks=(0,), at_zero=Fraction(0), may_warn=False,
        backends={"torch": "torch.nn.functional.softsign({0})"}, bounds=(-1, 1)),
)


# ----------------------------------------------------------------- matrix functions
# Their derivative rules are rows of calculus/rules.py, beside the Cookbook's equations.

def _softmax(xp, x):
    e = xp.exp(x - xp.max(x))          # from x - max(x): no overflow at entries of 1000
    return e / xp.sum(e)


def _logsumexp(xp, x):
    top = xp.max(x)
    if not xp.isfinite(top):
        return top
    return top + xp.log(xp.sum(xp.exp(x - top)))


def _logdet(xp, a):
    sign, value = xp.linalg.slogdet(a)
    return value if sign > 0 else xp.nan


def _sum_sympy(sp, a):
    rows, cols = a.shape
    return sp.Trace(sp.OneMatrix(1, rows) * a * sp.OneMatrix(cols, 1))


MATRIX_RECORDS = (
    Function("tr", ast.Trace, "square -> scalar", lambda xp, a: xp.trace(a),
             r"\operatorname{{tr}}\left({0}\right)", lambda sp, a: sp.Trace(a),
             from_sympy=("Trace",), scalar=lambda xp, a: a, code="trace", may_warn=False),
    Function("det", ast.Det, "square -> scalar", lambda xp, a: xp.linalg.det(a),
             r"\det\left({0}\right)", lambda sp, a: sp.Determinant(a),
             from_sympy=("Determinant",), scalar=lambda xp, a: a, code="det",
             hint="the determinant overflows"),
    Function("logdet", ast.LogDet, "square -> scalar", _logdet,
             r"\log\det\left({0}\right)", lambda sp, a: sp.log(sp.Determinant(a)),
             scalar=lambda xp, a: xp.log(a), code="logdet",
             hint="its argument's determinant is not positive"),
    Function("inv", ast.Inverse, "square -> same", lambda xp, a: xp.linalg.inv(a),
             "{{{0}}}^{{-1}}", lambda sp, a: a.I, from_sympy=("Inverse",),
             latex_operator="postfix",
             scalar=lambda xp, a: a ** -1, code="inv", hint="the matrix is singular"),
    Function("sum", ast.Sum, "any -> scalar", lambda xp, a: xp.sum(a),
             r"\operatorname{{sum}}\left({0}\right)", _sum_sympy, scalar=lambda xp, a: a,
             code="sum", may_warn=False),
    Function("norm1", ast.Norm1, "any -> scalar", lambda xp, a: xp.sum(xp.abs(a)),
             r"\left\lVert {0} \right\rVert_1", scalar=lambda xp, a: abs(a), kinks=(0,),
             may_warn=False, bounds=(0, INF)),
    Function("norm2", ast.Norm2, "any -> scalar", lambda xp, a: xp.sqrt(xp.sum(xp.square(a))),
             r"\left\lVert {0} \right\rVert_2",
             lambda sp, a: sp.sqrt(sp.Trace(a.T * a)), scalar=lambda xp, a: abs(a),
             bounds=(0, INF)),
    Function("diag", ast.Diag, "diag", lambda xp, a: xp.diagflat(a) if a.shape[1] == 1 else
             xp.diag(a).reshape(-1, 1), r"\operatorname{{diag}}\left({0}\right)",
             lambda sp, a: sp.DiagMatrix(a) if a.shape[1] == 1 else sp.DiagonalOf(a),
             from_sympy=("DiagMatrix", "DiagonalOf"), scalar=lambda xp, a: a, code="diag",
             may_warn=False),
    Function("vec", ast.Vec, "vec", lambda xp, a: a.T.reshape(-1, 1),
             r"\operatorname{{vec}}\left({0}\right)", scalar=lambda xp, a: a, code="vec",
             may_warn=False),
    Function("softmax", ast.Softmax, "vector -> same", _softmax,
             r"\operatorname{{softmax}}\left({0}\right)",
             scalar=lambda xp, a: a ** 0, code="softmax", may_warn=False, bounds=(0, 1)),
    Function("logsumexp", ast.LogSumExp, "vector -> scalar", _logsumexp,
             r"\operatorname{{logsumexp}}\left({0}\right)", scalar=lambda xp, a: a,
             code="logsumexp", may_warn=False),
    Function("kron", ast.Kron, "kron", lambda xp, a, b: xp.kron(a, b),
             r"{0} \otimes {1}", lambda sp, a, b: sp.kronecker_product(a, b),
             from_sympy=("KroneckerProduct",), arity=2, code="kron", may_warn=False,
             latex_operator="product"),
)

ELEMENTWISE = {record.name: record for record in ELEMENTWISE_RECORDS}
MATRIX = {record.name: record for record in MATRIX_RECORDS}
FUNCTIONS = {**MATRIX, **ELEMENTWISE}
_BY_NODE = {record.node: record for record in MATRIX_RECORDS}


def of(node):
    """The record of a function node (an Elementwise or a matrix function), else None."""
    if type(node) is ast.Elementwise:
        return ELEMENTWISE[node.name]
    return _BY_NODE.get(type(node))


def name_of(node):
    """The name a function node is written with: 'exp', 'tr', ..."""
    record = of(node)
    return None if record is None else record.name


def build(name, *args):
    """The node of a call name(args...) of a registered function."""
    record = FUNCTIONS[name]
    if record.elementwise:
        return ast.Elementwise(name, *args)
    return record.node(*args)
