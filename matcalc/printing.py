"""Printing: the expression language (round-trips through the parser) and LaTeX.

Both printers are folds over the DAG (no recursion): each node yields its text and the
precedence level of its outermost operator, and a parent parenthesizes a child only where the
grammar would otherwise read something else. The printers never name shared subexpressions
themselves; the factored form arrives as a `Where` node built by the simplifier.
"""

import re
from fractions import Fraction

from . import ast, registry
from .errors import InternalError
from .shapes import GREEK, unfixed_constants

WHERE, ADD, MUL, NEG, POW, POSTFIX, ATOM = range(7)


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


def _sum(node, kids, memo, wrap, wrap_negative):
    """a + b - c: a negated term, or one that prints with a leading '-', is subtracted;
    `wrap_negative`: a subtracted term that itself leads with '-' keeps its parentheses."""
    parts = []
    for i, (child, item) in enumerate(zip(node.children, kids)):
        if i and isinstance(child, ast.Neg):
            inner = memo[child.arg]
            parts.append(" - " + wrap(inner, inner[1] <= ADD or
                                      wrap_negative and _negative_leading(child.arg)))
        elif i and _negative_leading(child):
            parts.append(" - " + item[0][1:].lstrip())
        else:
            parts.append((" + " if i else "") + wrap(item, item[1] <= ADD))
    return "".join(parts), ADD


def _print(root, rule):
    """`rule` folded over the DAG; `explicit`: constants that must print their size."""
    explicit = unfixed_constants(root)
    memo = {}
    for node in ast.postorder(root):
        memo[node] = rule(node, memo, explicit)
    return memo[root][0]


# ----------------------------------------------------------------- text

def _wrap(item, condition):
    return f"({item[0]})" if condition else item[0]


def _sizes_text(dims):
    return "".join(f", {d}" for d in dims)


def _text_rule(node, memo, explicit):
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
    if isinstance(node, ast.Unvec):
        return f"unvec({kids[0][0]}{_sizes_text(node.shape)})", ATOM
    if isinstance(node, ast.Add):
        return _sum(node, kids, memo, _wrap, True)
    if isinstance(node, ast.Mul):
        first = _wrap(kids[0], kids[0][1] < MUL or isinstance(node.children[0], ast.Mul))
        rest = [_wrap(k, k[1] <= NEG) for k in kids[1:]]
        return "*".join([first] + rest), MUL
    if isinstance(node, (ast.Div, ast.Hadamard, ast.ElemDiv)):
        op = {ast.Div: "/", ast.Hadamard: " .* ", ast.ElemDiv: " ./ "}[type(node)]
        return _wrap(kids[0], kids[0][1] < MUL) + op + _wrap(kids[1], kids[1][1] <= NEG), MUL
    if isinstance(node, ast.Neg):
        return "-" + _wrap(kids[0], kids[0][1] <= NEG or _negative_leading(node.arg)), NEG
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
    name = registry.name_of(node)
    if name is not None:
        return f"{name}({', '.join(text for text, _ in kids)})", ATOM
    if isinstance(node, ast.Derivative):
        return f"diff({kids[0][0]}, {kids[1][0]})", ATOM
    if isinstance(node, ast.Where):
        bindings = ", ".join(f"{n} = {v[0]}" for n, v in zip(node.names, kids[1:]))
        return f"{kids[0][0]} where {bindings}", WHERE
    raise InternalError(f"no printing rule for {type(node).__name__}")


def to_text(root):
    """The expression in the input language; it parses back to the same tree."""
    return _print(root, _text_rule)


def short_text(root, limit=60):
    """to_text(root), cut to `limit` characters for a message."""
    text = to_text(root)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ----------------------------------------------------------------- LaTeX

def latex_name(name):
    """W1 -> W_{1}, A_k -> A_{k}, lambda -> \\lambda, Sigma -> \\Sigma, loss -> \\mathrm{loss}."""
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+|_[A-Za-z0-9_]+)?", name)
    base, sub = (match.group(1), match.group(2)) if match else (name, None)
    if sub is None and "_" in name:
        base, sub = name.split("_", 1)
    sub = (sub or "").lstrip("_")
    if base.lower() in GREEK:
        head = "\\" + base
    else:
        head = base if len(base) == 1 else r"\mathrm{" + base + "}"
    return head + ("_{" + sub.replace("_", r"\_") + "}" if sub else "")


def _latex_wrap(item, condition):
    return rf"\left({item[0]}\right)" if condition else item[0]


def _latex_dim(dim):
    return str(dim).replace("*", r" \cdot ")


def _latex_rule(node, memo, explicit):
    kids = [memo[c] for c in node.children]
    if isinstance(node, ast.Symbol):
        return latex_name(node.name), ATOM
    if isinstance(node, ast.Identity):
        return (f"I_{{{_latex_dim(node.n)}}}" if node in explicit else "I"), ATOM
    if isinstance(node, ast.Commutation):
        return f"K_{{{_latex_dim(node.m)},{_latex_dim(node.n)}}}", ATOM
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
        return _sum(node, kids, memo, _latex_wrap, False)
    if isinstance(node, ast.Mul):
        texts = [_latex_wrap(k, k[1] < MUL or (i and k[1] <= NEG) or isinstance(c, ast.Kron))
                 for i, (c, k) in enumerate(zip(node.children, kids))]
        out = texts[0]
        for text in texts[1:]:
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
    record = registry.of(node)
    if record is not None:
        return _latex_function(record, kids)
    if isinstance(node, ast.Derivative):
        return rf"\frac{{\partial}}{{\partial {kids[1][0]}}}\left({kids[0][0]}\right)", ATOM
    if isinstance(node, ast.Where):
        bindings = r",\; ".join(f"{latex_name(n)} = {v[0]}" for n, v in zip(node.names, kids[1:]))
        return rf"{kids[0][0]} \quad\text{{where }} {bindings}", WHERE
    raise InternalError(f"no LaTeX rule for {type(node).__name__}")


# how a function's LaTeX binds: (the level below which an argument is parenthesized, the
# level of the result)
_LATEX_BINDING = {None: (WHERE, ATOM), "postfix": (POSTFIX, POSTFIX), "product": (POW, MUL)}


def _latex_function(record, kids):
    below, level = _LATEX_BINDING[record.latex_operator]
    return record.latex.format(*(_latex_wrap(k, k[1] < below) for k in kids)), level


def to_latex(root):
    return _print(root, _latex_rule)
