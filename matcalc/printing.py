"""Printing: the expression language (round-trips through the parser) and LaTeX.

Both printers are folds over the DAG (no recursion): each node yields its text and the
precedence level of its outermost operator, and a parent parenthesizes a child only where the
grammar would otherwise read something else. The printers never name shared subexpressions
themselves; the factored form arrives as a `Where` node built by the simplifier.
"""

from fractions import Fraction

from . import ast
from .shapes import unfixed_constants

WHERE, ADD, MUL, NEG, POW, POSTFIX, ATOM = range(7)

GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega").split()


def number_text(value):
    """Exact decimal when there is one (0.001), else p/q; returns (text, level)."""
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    den = magnitude.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{sign}{magnitude.numerator}/{magnitude.denominator}", MUL
    if magnitude.denominator == 1:
        text = str(magnitude.numerator)
        if len(text) > 15:
            text = _scientific(magnitude)
    else:
        places = max(twos, fives)
        scaled = magnitude * 10 ** places
        digits = str(scaled.numerator).rjust(places + 1, "0")
        text = f"{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")
        if len(text) > 12:
            text = _scientific(magnitude)
    return sign + text, (NEG if sign else ATOM)


def _scientific(magnitude):
    # shortest exact mantissa/exponent for a number with a finite decimal expansion
    exponent = 0
    while magnitude.denominator != 1:
        magnitude *= 10
        exponent -= 1
    mantissa = magnitude.numerator
    while mantissa % 10 == 0 and mantissa:
        mantissa //= 10
        exponent += 1
    digits = str(mantissa)
    exponent += len(digits) - 1
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{head}e{exponent}"


def _negative_leading(node):
    """A term that prints with a leading '-' through a negative number (simplifier output)."""
    while isinstance(node, (ast.Mul, ast.Div, ast.Hadamard, ast.ElemDiv)):
        node = node.children[0]
    return isinstance(node, ast.Number) and node.value < 0


# ----------------------------------------------------------------- text

def _wrap(item, condition):
    text, _ = item
    return f"({text})" if condition else text


def _sizes_text(dims):
    return "".join(f", {d}" for d in dims)


def _text_rule(node, memo, explicit=()):
    kids = [memo[c] for c in node.children]
    if isinstance(node, ast.Symbol):
        return node.name, ATOM
    if isinstance(node, ast.Number):
        return number_text(node.value)
    if isinstance(node, ast.Identity):
        return (f"I({node.n})" if node in explicit else "I"), ATOM
    if isinstance(node, ast.Fill):
        kind = "vector" if len(node.shape) == 1 else "matrix"
        sizes = _sizes_text(node.shape) if node in explicit else ""
        return f"{kind}({kids[0][0]}{sizes})", ATOM
    if isinstance(node, ast.Commutation):
        return f"commutation({node.m}, {node.n})", ATOM
    if isinstance(node, ast.Kron):
        return f"kron({kids[0][0]}, {kids[1][0]})", ATOM
    if isinstance(node, ast.Unvec):
        return f"unvec({kids[0][0]}{_sizes_text(node.shape)})", ATOM
    if isinstance(node, ast.Add):
        parts = []
        for i, (child, item) in enumerate(zip(node.children, kids)):
            if i and isinstance(child, ast.Neg):
                inner = memo[child.arg]
                parts.append(" - " + _wrap(inner, inner[1] <= ADD or
                                           _negative_leading(child.arg)))
            elif i and _negative_leading(child):
                parts.append(" - " + item[0][1:])
            else:
                parts.append((" + " if i else "") + _wrap(item, item[1] <= ADD))
        return "".join(parts), ADD
    if isinstance(node, ast.Mul):
        first = _wrap(kids[0], kids[0][1] < MUL or isinstance(node.children[0], ast.Mul))
        rest = [_wrap(k, k[1] <= NEG) for k in kids[1:]]
        return "*".join([first] + rest), MUL
    if isinstance(node, (ast.Div, ast.Hadamard, ast.ElemDiv)):
        op = {ast.Div: "/", ast.Hadamard: " .* ", ast.ElemDiv: " ./ "}[type(node)]
        return _wrap(kids[0], kids[0][1] < MUL) + op + _wrap(kids[1], kids[1][1] <= NEG), MUL
    if isinstance(node, ast.Neg):
        child = node.arg
        wrap = kids[0][1] <= NEG or _negative_leading(child)
        return "-" + _wrap(kids[0], wrap), NEG
    if isinstance(node, (ast.Power, ast.ElemPower)):
        op = "^" if isinstance(node, ast.Power) else ".^"
        base = _wrap(kids[0], kids[0][1] <= POW)
        exponent_node, exponent = node.exponent, kids[1]
        if isinstance(exponent_node, ast.Symbol) and exponent_node.name == "T":
            text = f"({exponent[0]})"         # A^(T) is a power; A^T would be a transpose
        elif isinstance(exponent_node, ast.Neg) or \
                (exponent[1] == NEG and isinstance(exponent_node, ast.Number)):
            text = exponent[0]                 # the grammar lets an exponent carry a sign
        else:
            text = _wrap(exponent, exponent[1] < POW)
        return f"{base}{op}{text}", POW
    if isinstance(node, ast.Transpose):
        return _wrap(kids[0], kids[0][1] < POSTFIX) + "'", POSTFIX
    if isinstance(node, ast.Elementwise):
        return f"{node.name}({kids[0][0]})", ATOM
    if type(node) in ast.FUNCTION_NAMES:
        return f"{ast.FUNCTION_NAMES[type(node)]}({kids[0][0]})", ATOM
    if isinstance(node, ast.Derivative):
        return f"diff({kids[0][0]}, {kids[1][0]})", ATOM
    if isinstance(node, ast.Where):
        bindings = ", ".join(f"{n} = {v[0]}" for n, v in zip(node.names, kids[1:]))
        return f"{kids[0][0]} where {bindings}", WHERE
    raise TypeError(f"cannot print {type(node).__name__}")


def to_text(root):
    """The expression in the input language; it parses back to the same tree (a constant
    whose size nothing else fixes is written with its size)."""
    explicit = unfixed_constants(root)
    memo = {}
    for node in ast.postorder(root):
        memo[node] = _text_rule(node, memo, explicit)
    return memo[root][0]


# ----------------------------------------------------------------- LaTeX

LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "arcsin": r"\arcsin", "arccos": r"\arccos", "arctan": r"\arctan", "tanh": r"\tanh",
    "sign": r"\operatorname{sign}", "sigmoid": r"\sigma", "softplus": r"\operatorname{softplus}",
    "relu": r"\operatorname{relu}",
    "tr": r"\operatorname{tr}", "det": r"\det", "logdet": r"\log\det",
    "sum": r"\operatorname{sum}", "diag": r"\operatorname{diag}",
    "vec": r"\operatorname{vec}", "softmax": r"\operatorname{softmax}",
    "logsumexp": r"\operatorname{logsumexp}",
}


def latex_name(name):
    """W1 -> W_{1}, A_k -> A_{k}, lambda -> \\lambda, Sigma -> \\Sigma, loss -> \\mathrm{loss}."""
    import re
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+|_[A-Za-z0-9_]+)?", name)
    base, sub = (match.group(1), match.group(2)) if match else (name, None)
    if sub is None and "_" in name:
        base, sub = name.split("_", 1)
    if sub is not None:
        sub = sub.lstrip("_")

    def symbol(word):
        if word.lower() in GREEK:
            return "\\" + word
        if len(word) == 1:
            return word
        return r"\mathrm{" + word + "}"
    head = symbol(base)
    return head + ("_{" + sub.replace("_", r"\_") + "}" if sub else "")


def _latex_wrap(item, condition):
    text, _ = item
    return rf"\left({text}\right)" if condition else text


def _latex_dim(dim):
    return str(dim).replace("*", r" \cdot ")


def _latex_rule(node, memo, explicit=()):
    kids = [memo[c] for c in node.children]
    if isinstance(node, ast.Symbol):
        return latex_name(node.name), ATOM
    if isinstance(node, ast.Identity) and node in explicit:
        return f"I_{{{_latex_dim(node.n)}}}", ATOM
    if isinstance(node, ast.Commutation):
        return f"K_{{{_latex_dim(node.m)},{_latex_dim(node.n)}}}", ATOM
    if isinstance(node, ast.Kron):
        return _latex_wrap(kids[0], kids[0][1] < POW) + r" \otimes " + \
            _latex_wrap(kids[1], kids[1][1] < POW), MUL
    if isinstance(node, ast.Unvec):
        dims = ",".join(_latex_dim(d) for d in node.shape)
        return rf"\operatorname{{vec}}^{{-1}}_{{{dims}}}\left({kids[0][0]}\right)", ATOM
    if isinstance(node, ast.Number):
        value = node.value
        if value.denominator != 1 and number_text(value)[1] == MUL:
            sign = "-" if value < 0 else ""
            return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", \
                (NEG if sign else ATOM)
        return number_text(value)
    if isinstance(node, ast.Identity):
        return "I", ATOM
    if isinstance(node, ast.Fill):
        one = r"\mathbf{1}" if len(node.shape) == 1 else r"\mathbf{J}"
        if node in explicit:
            one += "_{" + r" \times ".join(_latex_dim(d) for d in node.shape) + "}"
        value = node.value
        if isinstance(value, ast.Number) and value.value == 0:
            return r"\mathbf{0}", ATOM
        if isinstance(value, ast.Number) and value.value == 1:
            return one, ATOM
        return f"{_latex_wrap(kids[0], kids[0][1] < MUL)} {one}", MUL
    if isinstance(node, ast.Add):
        parts = []
        for i, (child, item) in enumerate(zip(node.children, kids)):
            if i and isinstance(child, ast.Neg):
                inner = memo[child.arg]
                parts.append(" - " + _latex_wrap(inner, inner[1] <= ADD))
            elif i and _negative_leading(child):
                parts.append(" - " + item[0][1:].lstrip())
            else:
                parts.append((" + " if i else "") + _latex_wrap(item, item[1] <= ADD))
        return "".join(parts), ADD
    if isinstance(node, ast.Mul):
        texts = [_latex_wrap(k, k[1] < MUL or (i and k[1] <= NEG) or isinstance(c, ast.Kron))
                 for i, (c, k) in enumerate(zip(node.children, kids))]
        out = texts[0]
        for prev, text in zip(kids, texts[1:]):
            joiner = r" \cdot " if text[:1].isdigit() or text.startswith("-") else " "
            out += joiner + text
        return out, MUL
    if isinstance(node, ast.Div):
        top = kids[0][0]
        if isinstance(node.left, (ast.Number, ast.Neg)) and top.startswith("-"):
            # the sign outside the fraction, where a sum that subtracts the term finds it
            return rf"-\frac{{{top[1:]}}}{{{kids[1][0]}}}", NEG
        return rf"\frac{{{top}}}{{{kids[1][0]}}}", ATOM
    if isinstance(node, (ast.Hadamard, ast.ElemDiv)):
        op = r" \odot " if isinstance(node, ast.Hadamard) else r" \oslash "
        return _latex_wrap(kids[0], kids[0][1] < MUL) + op + \
            _latex_wrap(kids[1], kids[1][1] <= MUL), MUL
    if isinstance(node, ast.Neg):
        return "-" + _latex_wrap(kids[0], kids[0][1] <= NEG), NEG
    if isinstance(node, (ast.Power, ast.ElemPower)):
        circ = r"\circ " if isinstance(node, ast.ElemPower) else ""
        return f"{{{_latex_wrap(kids[0], kids[0][1] <= POW)}}}^{{{circ}{kids[1][0]}}}", POW
    if isinstance(node, ast.Transpose):
        return f"{{{_latex_wrap(kids[0], kids[0][1] < POSTFIX)}}}^\\top", POSTFIX
    if isinstance(node, ast.Inverse):
        return f"{{{_latex_wrap(kids[0], kids[0][1] < POSTFIX)}}}^{{-1}}", POSTFIX
    if isinstance(node, ast.Norm2):
        return rf"\left\lVert {kids[0][0]} \right\rVert_2", ATOM
    if isinstance(node, ast.Norm1):
        return rf"\left\lVert {kids[0][0]} \right\rVert_1", ATOM
    if isinstance(node, ast.Elementwise) and node.name == "sqrt":
        return rf"\sqrt{{{kids[0][0]}}}", ATOM
    if isinstance(node, ast.Elementwise) and node.name == "abs":
        return rf"\left|{kids[0][0]}\right|", ATOM
    if isinstance(node, ast.Elementwise) or type(node) in ast.FUNCTION_NAMES:
        name = node.name if isinstance(node, ast.Elementwise) else ast.FUNCTION_NAMES[type(node)]
        return rf"{LATEX_FUNCTIONS[name]}\left({kids[0][0]}\right)", ATOM
    if isinstance(node, ast.Derivative):
        return rf"\frac{{\partial}}{{\partial {kids[1][0]}}}\left({kids[0][0]}\right)", ATOM
    if isinstance(node, ast.Where):
        bindings = r",\; ".join(f"{latex_name(n)} = {v[0]}"
                                for n, v in zip(node.names, kids[1:]))
        return rf"{kids[0][0]} \quad\text{{where }} {bindings}", WHERE
    raise TypeError(f"cannot print {type(node).__name__} as LaTeX")


def to_latex(root):
    explicit = unfixed_constants(root)
    memo = {}
    for node in ast.postorder(root):
        memo[node] = _latex_rule(node, memo, explicit)
    return memo[root][0]


# ----------------------------------------------------------------- SymPy bridge

def to_sympy(root):
    """The expression as a SymPy matrix expression (dimensions become SymPy symbols).

    For users who continue in SymPy, and for tests that use SymPy as an independent oracle.
    """
    import sympy
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    from .errors import UnsupportedError
    from .shapes import as_pair, shape_of

    def dim(d):
        return d if isinstance(d, int) else sympy.Symbol(str(d), integer=True, positive=True)

    def size(node):
        return tuple(dim(d) for d in as_pair(shape_of(node)))

    def ones(node):
        return sympy.OneMatrix(*size(node))

    def scalar(node):
        return shape_of(node) == ()

    functions = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
                 "sign": sympy.sign, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
                 "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
                 "tanh": sympy.tanh,
                 "sigmoid": sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t")))),
                 "softplus": sympy.Lambda(sympy.Symbol("t"), sympy.log(1 + sympy.exp(sympy.Symbol("t")))),
                 }

    def rule(node, memo):
        kids = [memo[c] for c in node.children]
        if isinstance(node, ast.Symbol):
            if scalar(node):
                return sympy.Symbol(node.name)
            return sympy.MatrixSymbol(node.name, *size(node))
        if isinstance(node, ast.Number):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, ast.Identity):
            return sympy.Identity(dim(node.n))
        if isinstance(node, ast.Fill):
            return kids[0] * ones(node)
        if isinstance(node, ast.Add):
            terms = [k * ones(node) if scalar(c) and not scalar(node) else k
                     for c, k in zip(node.children, kids)]
            return sympy.Add(*terms) if scalar(node) else sympy.MatAdd(*terms)
        if isinstance(node, ast.Neg):
            return -kids[0]
        if isinstance(node, ast.Mul):
            acc = kids[0]
            for k in kids[1:]:
                acc = acc * k
            return acc
        if isinstance(node, ast.Div):
            return kids[0] / kids[1]
        if isinstance(node, ast.Hadamard):
            if scalar(node.left) or scalar(node.right):
                return kids[0] * kids[1]
            return sympy.HadamardProduct(kids[0], kids[1])
        if isinstance(node, ast.ElemDiv):
            return sympy.HadamardProduct(kids[0], sympy.HadamardPower(kids[1], -1))
        if isinstance(node, ast.Power):
            return kids[0] ** kids[1]
        if isinstance(node, ast.ElemPower):
            return kids[0] ** kids[1] if scalar(node) else sympy.HadamardPower(kids[0], kids[1])
        if isinstance(node, ast.Transpose):
            return kids[0] if scalar(node) else kids[0].T
        if isinstance(node, ast.Inverse):
            return kids[0] ** -1 if scalar(node) else kids[0].I
        if isinstance(node, ast.Trace):
            return sympy.Trace(kids[0])
        if isinstance(node, ast.Det):
            return sympy.Determinant(kids[0])
        if isinstance(node, ast.LogDet):
            return sympy.log(sympy.Determinant(kids[0]))
        if isinstance(node, ast.Sum):
            rows, cols = size(node.arg)
            return sympy.Trace(sympy.OneMatrix(1, rows) * kids[0] * sympy.OneMatrix(cols, 1))
        if isinstance(node, ast.Norm2):
            return sympy.sqrt(sympy.Trace(kids[0].T * kids[0]))
        if isinstance(node, ast.Diag):
            if len(shape_of(node.arg)) == 1:
                return sympy.DiagMatrix(kids[0])
            return sympy.DiagonalOf(kids[0])
        if isinstance(node, ast.Elementwise) and node.name in functions:
            f = functions[node.name]
            if scalar(node):
                return f(kids[0])
            if isinstance(f, sympy.Lambda):
                return ElementwiseApplyFunction(f, kids[0])
            return ElementwiseApplyFunction(sympy.Lambda(sympy.Symbol("t"), f(sympy.Symbol("t"))),
                                            kids[0])
        raise UnsupportedError(f"no SymPy counterpart for {type(node).__name__}"
                               + (f" {node.name}" if isinstance(node, ast.Elementwise) else ""))

    memo = {}
    for node in ast.postorder(root):
        memo[node] = rule(node, memo)
    return memo[root]
