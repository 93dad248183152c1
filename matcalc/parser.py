"""Text -> raw AST (symbols without shapes), with the span of each node's first occurrence.

The LALR parser runs the callbacks below as it reduces, so no parse tree is built and nothing
recurses: 5000 nested parentheses cost a deep parser stack (a list), not a deep Python stack.
Callbacks pass `Located` values (node, start, end, depth) upward so that later stages can point
at the place of a subexpression; raw lark exceptions are turned into `ParseError`s here.
"""

import contextvars
import difflib
import functools
import re
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import lark

from . import ast, dims, registry
from .errors import ParseError, error_at

MAX_DEPTH = 500   # deeper nesting is refused with a clear error, before any pass can recurse
MAX_LENGTH = 2_000_000

SPECIAL_FUNCTIONS = ("vector", "matrix", "diff", "kron", "commutation", "unvec")
# names people type for functions matcalc spells otherwise: read as the function, or told how
MAX_DIMENSION_POWER = 64      # n^k in a size is k copies of n: bounded
ALIASES = {"trace": "tr", "inverse": "inv"}
WORDS = {
    "mean": "write sum(x)/N, N a scalar you give the number of entries",
    "normfro": "norm2 is the Frobenius norm of a matrix",
    "frobenius": "norm2 is the Frobenius norm of a matrix",
    "norm": "write norm2(x) (Euclidean; Frobenius for a matrix) or norm1(x)",
    "transpose": "write X' (or X^T) for the transpose",
    "logistic": "write sigmoid(x)",
}
KNOWN_FUNCTIONS = tuple(registry.FUNCTIONS) + SPECIAL_FUNCTIONS
RESERVED_NAMES = frozenset({"I", "eye", "where"})


def is_name(text):
    """Is text a variable name of the language (and not a reserved word)?"""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text)) and text not in RESERVED_NAMES


class Located(NamedTuple):
    node: ast.Node
    start: int
    end: int
    depth: int


class Parsed(NamedTuple):
    node: ast.Node
    spans: dict        # node -> (start, end) character offsets of its first occurrence
    text: str


def _grammar_text():
    """The grammar: inside the installed package (wheel), else beside the source tree."""
    try:
        return resources.files("matcalc").joinpath("grammar/matcalc.lark").read_text()
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        return (Path(__file__).resolve().parent.parent / "grammar" / "matcalc.lark").read_text()


# The parser (built once) calls the callbacks below; they find the text being parsed and the
# spans found so far here (a Parsed whose node is not known yet).
_current = contextvars.ContextVar("matcalc_parse_state")


class _Build(lark.Transformer):
    """One callback per grammar alias; each returns a Located node."""

    text = property(lambda self: _current.get().text)
    spans = property(lambda self: _current.get().spans)

    # -- helpers
    def _fail(self, message, start):
        raise error_at(ParseError, message, self.text, start)

    def _make(self, node, start, end, children=()):
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > MAX_DEPTH:
            self._fail(f"expression nests deeper than {MAX_DEPTH} levels", start)
        self.spans.setdefault(node, (start, end))
        return Located(node, start, end, depth)

    # -- leaves
    def number(self, children):
        (token,) = children
        text = str(token)
        try:
            big = float(text) == float("inf")
        except OverflowError:
            big = True
        if big:
            self._fail(f"number {text} is too large for a float", token.start_pos)
        if float(text) == 0:
            # 1e-399999999 (or 0e-399999999) would take an exact power of ten of 400 million
            # digits: minutes
            if any(c in "123456789" for c in text.lower().split("e")[0]):
                self._fail(f"number {text} is too small for a float (it would be 0)",
                           token.start_pos)
            return self._make(ast.Number(Fraction(0)), token.start_pos, token.end_pos)
        # through Decimal: Fraction(text) converts its digits to an int, which Python refuses
        # past 4300 digits (1.000...0 with 4400 zeros is 1)
        return self._make(ast.Number(Fraction(Decimal(text))), token.start_pos, token.end_pos)

    def name(self, children):
        (token,) = children
        node = ast.Identity() if token in ("I", "eye") else ast.Symbol(str(token))
        return self._make(node, token.start_pos, token.end_pos)

    # -- postfix, powers, signs
    def group(self, children):
        lpar, inner, rpar = children
        return Located(inner.node, lpar.start_pos, rpar.end_pos, inner.depth)

    def transpose(self, children):
        inner, quote = children
        return self._make(ast.Transpose(inner.node), inner.start, quote.end_pos, [inner])

    def power(self, children):
        base, op, exponent = children
        if op == "^" and exponent.node == ast.Symbol("T") and \
                self.text[exponent.start:exponent.end] == "T":
            node = ast.Transpose(base.node)      # A^T, the textbook transpose
        elif op == "^":
            node = ast.Power(base.node, exponent.node)
        else:
            node = ast.ElemPower(base.node, exponent.node)
        return self._make(node, base.start, exponent.end, [base, exponent])

    def signed(self, children):
        sign, inner = children
        node = ast.Neg(inner.node) if sign == "-" else inner.node
        return self._make(node, sign.start_pos, inner.end, [inner])

    # -- sums and products
    def sum(self, children):
        terms = [children[0].node]
        for sign, term in zip(children[1::2], children[2::2]):
            terms.append(ast.Neg(term.node) if sign == "-" else term.node)
        return self._make(ast.Add(*terms), children[0].start, children[-1].end, children[::2])

    def product(self, children):
        operands = children[::2]
        run = [operands[0].node]       # a run of '*' becomes one n-ary product
        acc = None
        for op, right in zip(children[1::2], operands[1:]):
            if op == "*":
                run.append(right.node)
                continue
            acc = run[0] if len(run) == 1 else ast.Mul(*run)
            acc = {"/": ast.Div, ".*": ast.Hadamard, "./": ast.ElemDiv}[str(op)](acc, right.node)
            run = [acc]
        node = run[0] if len(run) == 1 else ast.Mul(*run)
        return self._make(node, operands[0].start, operands[-1].end, operands)

    # -- calls
    # how many arguments each function takes, where it is not one
    ARITY = {"diff": (2,), "vector": (1, 2), "matrix": (1, 3), "commutation": (2,),
             "unvec": (3,), **{name: (record.arity,) for name, record in
                                registry.FUNCTIONS.items()}}

    def call(self, children):
        name, lpar, *args, rpar = children
        fname = str(name)
        nodes = [a.node for a in args]
        if fname in ("I", "eye"):
            if len(nodes) != 1:
                self._fail(f"'{fname}(k)' takes one size; '{fname}' alone sizes itself",
                           lpar.start_pos)
            node = ast.Identity(self._dimension(args[0]))
            return self._make(node, name.start_pos, rpar.end_pos)
        fname = ALIASES.get(fname, fname)              # trace(X) is tr(X)
        if fname not in KNOWN_FUNCTIONS:
            close = difflib.get_close_matches(fname, KNOWN_FUNCTIONS, n=1)
            hint = f"; {WORDS[fname]}" if fname in WORDS else \
                f"; did you mean '{close[0]}'?" if close else ""
            self._fail(f"unknown function '{fname}'{hint}; known functions: "
                       + ", ".join(KNOWN_FUNCTIONS), name.start_pos)
        arities = self.ARITY.get(fname, (1,))
        if len(nodes) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            self._fail(f"{fname} takes {wanted} argument{'s' if arities != (1,) else ''}, "
                       f"got {len(nodes)}", lpar.start_pos)
        sizes = [self._dimension(a) for a in args[1:]] if fname in (
            "vector", "matrix", "unvec", "commutation") else []
        if fname == "diff":
            if not isinstance(nodes[1], ast.Symbol):
                self._fail("diff(a, w): w must be a variable name", args[1].start)
            node = ast.Derivative(nodes[0], nodes[1])
        elif fname == "vector":
            node = ast.Fill((sizes[0] if sizes else None,), nodes[0])
        elif fname == "matrix":
            node = ast.Fill(tuple(sizes) if sizes else (None, None), nodes[0])
        elif fname == "commutation":
            node = ast.Commutation(self._dimension(args[0]), sizes[0])
            return self._make(node, name.start_pos, rpar.end_pos)
        elif fname == "unvec":
            node = ast.Unvec(tuple(sizes), nodes[0])
            args = args[:1]
        else:
            node = registry.build(fname, *nodes)
        return self._make(node, name.start_pos, rpar.end_pos, args[:1] if sizes else args)

    def _dimension(self, located):
        """A size argument (I(n*d), vector(c, n)): a name, a positive integer, or a product
        or integer power of them."""
        found = []
        stack = [located.node]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Mul):
                stack.extend(node.children)
            elif isinstance(node, ast.Symbol):
                found.append(dims.Dim(node.name))
            elif isinstance(node, ast.Number) and node.value.denominator == 1 and node.value >= 1:
                found.append(int(node.value))
            elif isinstance(node, ast.Power) and isinstance(node.base, ast.Symbol) and \
                    isinstance(node.exponent, ast.Number) and \
                    node.exponent.value.denominator == 1 and node.exponent.value >= 1:
                if node.exponent.value > MAX_DIMENSION_POWER:    # I(n^100000000): 2.3 GB
                    self._fail(f"a size's power is at most {MAX_DIMENSION_POWER}",
                               located.start)
                found.extend([dims.Dim(node.base.name)] * int(node.exponent.value))
            else:
                self._fail("a size must be a dimension: a name (n), a positive integer, or "
                           "a product of them (n*d)", located.start)
        return dims.product(*found)

    # -- the outermost where
    def binding(self, children):
        name, value = children
        if str(name) in RESERVED_NAMES:
            self._fail(f"'{name}' cannot be bound by where", name.start_pos)
        return name, value

    def start(self, children):
        body = children[0]
        if len(children) == 1:
            return body
        bindings = children[2:]
        names = [str(name) for name, _ in bindings]
        for i, (name, _) in enumerate(bindings):
            if str(name) in names[:i]:
                self._fail(f"'{name}' is bound twice in where", name.start_pos)
        node = ast.Where(tuple(names), body.node, *(v.node for _, v in bindings))
        return self._make(node, body.start, bindings[-1][1].end, [body] + [v for _, v in bindings])


@functools.cache
def _lark():
    return lark.Lark(_grammar_text(), parser="lalr", lexer="contextual",
                     transformer=_Build(), maybe_placeholders=False)


def parse(text):
    """Parse `text` into a raw AST. Raises ParseError with a caret under the column."""
    if not isinstance(text, str):
        raise ParseError(f"expected the text of an expression, got {type(text).__name__}")
    if not text.strip():
        raise ParseError("empty input: type an expression such as (X*w - y)'*(X*w - y)")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
    state = Parsed(None, {}, text)
    parser = _lark()
    token = _current.set(state)
    try:
        result = parser.parse(text)
    except lark.exceptions.UnexpectedInput as error:
        raise _friendly(text, error) from None
    except lark.exceptions.VisitError as error:   # defensive: lark wrapping our own errors
        if isinstance(error.orig_exc, ParseError):
            raise error.orig_exc from None
        raise
    finally:
        _current.reset(token)
    return state._replace(node=result.node)


def _friendly(text, error):
    """A one-line message with a hint for the usual slips, from a raw lark exception."""
    offset = getattr(error, "pos_in_stream", None)
    token = getattr(error, "token", None)
    if token is not None and getattr(token, "type", None) == "$END":
        offset = len(text.rstrip())
    if offset is None:
        offset = len(text)
    before = text[:offset]
    depth = before.count("(") - before.count(")")
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        char = text[offset] if offset < len(text) else ""
        message = f"unexpected character {char!r}"
        if char == "_":
            message += ": names start with a letter"
        elif char.isalpha() and not char.isascii():
            message += ": names use ASCII letters (write Greek letters by name: alpha)"
        elif char in "[]{}":
            message += ": use parentheses for grouping"
        elif char == "=":
            message += ": '=' belongs only in 'where' bindings (use 'check LHS == RHS' to compare)"
        elif char == ",":
            message += ": ',' separates function arguments or 'where' bindings"
    elif token is not None and token.type == "$END":
        stripped = text.rstrip()
        if depth > 0:
            message = f"unbalanced '(': {depth} not closed at the end of the input"
        elif stripped and stripped[-1] in "+-*/^.":
            message = f"the input ends after '{stripped[-1]}': an operand is missing"
        elif re.search(r"\bwhere(\s+\w*)?$", stripped):
            message = "'where' needs bindings such as: where t0 = X*w, t1 = t0 - y"
        else:
            message = "unexpected end of input"
    else:
        value = str(token)
        previous = text[:offset].rstrip()[-1:] if offset else ""
        if token.type == "RPAR" and depth <= 0:
            message = "unbalanced ')': there is no '(' to close"
        elif token.type == "MULOP" and value == "*" and previous == "*":
            message = "'**' is not an operator: use '^' for powers (or '.^' elementwise)"
        elif token.type == "POWOP" and previous in ("^",):
            message = "'^^' is not an operator"
        elif token.type in ("NAME", "NUMBER", "LPAR") and previous and \
                (previous.isalnum() or previous in ")'"):
            message = (f"missing operator before '{value}' (products need '*': 2*x, X*w)")
        elif token.type == "RPAR" and previous == "(":
            message = "empty parentheses '()'"
        elif token.type == "RPAR" and previous == ",":
            message = "a function argument is missing after ','"
        elif token.type in ("MULOP", "POWOP", "QUOTE", "RPAR", "WHERE") or value == ",":
            message = f"unexpected '{value}': an operand is missing before it"
        else:
            message = f"unexpected '{value}'"
    return error_at(ParseError, message, text, offset)
