"""The public facade: `Expr` and the functions of the contract, over the stage modules.

Stages import only earlier stages; this module is the one place that ties them together.
"""

import contextlib
import gc

from . import ast, dims, printing
from . import registry as _registry
from . import sympy_bridge as _sympy_bridge
from . import derivatives as _diff
from . import parser as _parser
from . import shapes as _shapes
from . import simplify as _simplify
from . import verify as _verify
from .errors import MatcalcError, ShapeError, UnsupportedError
from .solve import solve as _solve_node
from . import derivation as _derivation
from .evaluate import bind_dimensions as _bind
from .evaluate import evaluate as _evaluate


def _scoped(function):
    """Run an API function in one simplifier session (memo tables freed afterwards), with
    Python's cyclic garbage collector paused."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _simplify.session(), _no_cycle_collection():
            return function(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
def _no_cycle_collection():
    """Pause the cyclic collector for one operation, then restore it as it was.

    Trees are acyclic (interned nodes point only at their children), so the collector finds
    nothing, but it runs every few hundred allocations and walks every live object: on a
    sum of 20,000 terms it took a third of the time. Reference counting still frees
    everything at once; the collector runs again as soon as the operation ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Expr:
    """A typed expression with the declarations it was read under.

    Equality is structural (the AST is hash-consed), so parse(str(e)) == e. A derivative
    returned by `diff` also knows the shapes of the function and the variable it came from
    (`derivative_of`), so that `evaluate(values, tensor=True)` can give the tensor.
    """

    __slots__ = ("node", "declarations", "derivative_of")

    def __init__(self, node, declarations, derivative_of=None):
        self.node = node
        self.declarations = declarations
        self.derivative_of = derivative_of        # (F's shape, W's shape) or None

    @property
    def shape(self):
        return _shapes.shape_of(self.node)

    @property
    def symmetric(self):
        return self.declarations.symmetric

    def symbols(self):
        """name -> shape of every free symbol, in order of first appearance."""
        bound = set(self.node.names) if isinstance(self.node, ast.Where) else set()
        return {n.name: n.declared_shape for n in ast.postorder(self.node)
                if isinstance(n, ast.Symbol) and n.name not in bound}

    def __str__(self):
        return printing.to_text(self.node)

    def __repr__(self):
        return f"Expr({str(self)!r}, shape={self.shape!r})"

    def latex(self):
        return printing.to_latex(self.node)

    def _repr_latex_(self):
        return f"${self.latex()}$"

    def __eq__(self, other):
        return isinstance(other, Expr) and self.node is other.node

    def __hash__(self):
        return hash(self.node)


@_scoped
def parse(text, shapes=None, symmetric=None, shape=None):
    """Read `text` as an expression, inferring and checking every shape.

    `shape`, if given, is the shape the whole expression must have (its free dimensions,
    e.g. the size of a lone `I`, are inferred from it).
    """
    if isinstance(text, Expr):
        expr = _redeclare(text, shapes, symmetric)
        if shape is not None and expr.shape != tuple(shape):
            raise ShapeError(f"'{_short(expr)}' is {_shapes.describe(expr.shape)}, "
                             f"expected {_shapes.describe(tuple(shape))}")
        return expr
    decls = _shapes.declarations(shapes, symmetric)
    parsed = _parser.parse(text)
    (typed,), _ = _shapes.infer([parsed.node], decls, parsed.text, parsed.spans,
                                targets=[tuple(shape)] if shape is not None else None)
    return Expr(typed, decls)


def _redeclare(expr, shapes, symmetric):
    """An Expr keeps its declarations; new ones must agree with the shapes it has."""
    if not shapes and not symmetric:
        return expr
    decls = _shapes.declarations(shapes, symmetric)
    known = expr.symbols()
    for name, shape in decls.shapes.items():
        if name in known and known[name] != shape:
            raise ShapeError(
                f"'{name}' is {_shapes.describe(known[name])} in this expression, "
                f"but is now declared {_shapes.describe(shape)}")
    for name in decls.symmetric:
        if name in known and name not in expr.declarations.symmetric:
            raise ShapeError(f"'{name}' was not declared symmetric when this "
                                           "expression was read; parse it again")
    merged = dict(expr.declarations.shapes, **decls.shapes)
    return Expr(expr.node, _shapes.Declarations(
        merged, expr.declarations.symmetric | decls.symmetric))


# ----------------------------------------------------------------- derivatives

FORMS = ("factored", "expanded")


def _symbol(expr, wrt):
    """The Symbol node for `wrt` (a name): from the expression, else from its declarations."""
    if isinstance(wrt, Expr):
        if not isinstance(wrt.node, ast.Symbol):
            raise MatcalcError(f"can only differentiate by a variable name, not '{wrt}'")
        wrt = wrt.node.name
    if not isinstance(wrt, str):
        raise MatcalcError(f"wrt must be a variable name, got {wrt!r}")
    known = _symbol_nodes(expr.node)
    if wrt in known:
        return known[wrt]
    if wrt in expr.declarations.shapes:
        return ast.Symbol(wrt, expr.declarations.shapes[wrt], wrt in expr.symmetric)
    raise MatcalcError(f"'{wrt}' does not occur in '{_short(expr)}' and is not declared; "
                       f"its variables are: {', '.join(known) or 'none'}")


def _symbol_nodes(node):
    bound = set(node.names) if isinstance(node, ast.Where) else set()
    return {n.name: n for n in ast.postorder(node)
            if isinstance(n, ast.Symbol) and n.name not in bound}


def _short(expr):
    text = str(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def _form(node, form):
    if form not in FORMS:
        raise MatcalcError(f"form must be 'factored' or 'expanded', got {form!r}")
    return _simplify.factored(node) if form == "factored" else _simplify.expanded(node)




@_scoped
def diff(expr, wrt, shapes=None, symmetric=None, form="factored", direction=None):
    """d expr / d wrt in denominator layout, simplified (SPEC sections 2 and 2b).

    Past two indices the result is the matrix form d vec(F) / d vec(W) (size(W) x size(F),
    column-major vec): d(A*X*B)/dX = kron(B, A'). With `direction` (the name of a variable
    of wrt's shape, declared here if it is new), the derivative along it, in F's shape:
    a Hessian-vector product when expr is a gradient, without the size(W) x size(F) matrix.
    """
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    if direction is not None:
        direction, declarations = _direction(expr, symbol, direction)
        raw = _diff.derivative(expr.node, symbol, direction=direction)
        return Expr(_form(raw, form), declarations)
    raw = _diff.derivative(expr.node, symbol)
    return Expr(_form(raw, form), _keep_shapes(expr),
                derivative_of=(expr.shape, symbol.declared_shape))


def _direction(expr, symbol, name):
    """The Symbol node of a direction for `symbol`, and the declarations that include it."""
    if isinstance(name, Expr) and isinstance(name.node, ast.Symbol):
        name = name.node.name
    if not isinstance(name, str) or not _parser.is_name(name):
        raise MatcalcError(f"direction must be the name of a variable of {symbol.name}'s "
                           f"shape, got {name!r}")
    shape = symbol.declared_shape
    known = dict(expr.declarations.shapes, **expr.symbols())
    if name in known and known[name] != shape:
        raise ShapeError(f"the direction {name} is {_shapes.describe(known[name])}, but "
                         f"{symbol.name} is {_shapes.describe(shape)}")
    declarations = _keep_shapes(expr)
    declarations = _shapes.Declarations(dict(declarations.shapes, **{name: shape}),
                                        declarations.symmetric)
    return ast.Symbol(name, shape, name in declarations.symmetric), declarations


@_scoped
def differential(expr, wrt, shapes=None, symmetric=None, form="expanded"):
    """dF in terms of dX, the form the matrix-calculus literature uses: for inv(X),
    -inv(X)*dX*inv(X). The differential of a variable X is written dX (SPEC 2b)."""
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    name = "d" + symbol.name
    if name in expr.symbols() or name in expr.declarations.shapes:
        raise MatcalcError(f"the differential of {symbol.name} is written {name}, but {name} "
                           f"is already a variable here; rename it to take the differential")
    return diff(expr, symbol.name, form=form, direction=name)


def _keep_shapes(expr):
    """The declarations of a result: the original ones plus the shapes its input inferred."""
    return _shapes.Declarations(_declared_like(expr), expr.symmetric)


@_scoped
def simplify(expr, shapes=None, symmetric=None, form="factored"):
    """The expression in canonical form: 'expanded' (textbook) or 'factored' (cheapest)."""
    expr = parse(expr, shapes, symmetric)
    return Expr(_form(_diff.expand_derivatives(_diff.inline_where(expr.node)), form),
                _keep_shapes(expr))


def _evaluate_expr(expr, values, tensor=False):
    node = expr.node
    layout = expr.derivative_of
    if tensor and layout is None and isinstance(node, ast.Derivative):
        layout = (_shapes.shape_of(node.expr), _shapes.shape_of(node.wrt))
    if any(isinstance(n, ast.Derivative) for n in ast.postorder(node)):
        node = _diff.expand_derivatives(_diff.inline_where(node))
    sizes = _declared_sizes(expr, values)
    value = _evaluate(node, values, sizes)
    if not tensor:
        return value
    if layout is None:
        raise MatcalcError("tensor=True gives the tensor of a derivative: use it on what "
                           "matcalc.diff returns, or on a diff(F, W) expression")
    return _as_tensor(value, layout, expr, values)


def _as_tensor(value, layout, expr, values):
    """The matrix form D as the tensor with W's axes, then F's (SPEC 2b): the column-major
    reshape of D (numpy order="F")."""
    import numpy as np
    f_shape, w_shape = layout
    if f_shape == () or (w_shape == () and len(f_shape) == 2):
        return value                                   # already in that shape
    arrays, sizes = _bind(_symbol_nodes(expr.node).values(), values)
    sizes = dict(_declared_sizes(expr, values), **sizes)
    numeric = tuple(dims.size(d, sizes) for d in tuple(w_shape) + tuple(f_shape))
    if None in numeric:
        raise MatcalcError("the values do not fix every size of the tensor's axes")
    return np.reshape(np.asarray(value), numeric, order="F")


def _declared_sizes(expr, values):
    """Sizes of dimensions fixed by values of declared names the expression may not use
    (so that a constant result such as vector(0) still has a size). Only the values'
    shapes are read (a tensor on a GPU or a lazy dask array stays where it is)."""
    sizes = {}
    for name, shape in expr.declarations.shapes.items():
        if name in values:
            value = values[name]
            if hasattr(value, "shape") and not hasattr(value, "__array_interface__"):
                import numpy as np
                value = np.broadcast_to(np.float64(0.0), tuple(value.shape))
            try:
                _, found = _bind([ast.Symbol(name, shape)], {name: value})
            except MatcalcError:
                continue                  # an unused name's value is ignored
            for dim, size in found.items():
                sizes.setdefault(dim, size)
    return sizes


def _evaluate_method(self, values=None, *, tensor=False, **kwargs):
    """The value for `values` (name -> number or array; keywords work too): a float, a 1-D
    array for a column, else a 2-D array. A derivative past two indices evaluates to its
    matrix form; `tensor=True` gives the tensor D[w-index, f-index] instead (SPEC 2b)."""
    return _evaluate_expr(self, dict(values or {}, **kwargs), tensor)


Expr.evaluate = _evaluate_method


def _declared_like(expr):
    """Declarations that fix every free symbol of `expr` to the shape it has there."""
    shapes = dict(expr.declarations.shapes)
    shapes.update(expr.symbols())
    return shapes


@_scoped
def verify(expr, wrt, derivative=None, shapes=None, symmetric=None, draws=_verify.DRAWS,
           seed=0, direction=None):
    """Check a derivative of expr by wrt numerically (central differences, random draws).

    `derivative` may be text, an Expr, or None (then matcalc's own derivative is checked).
    With `direction`, it is the derivative along that variable (in expr's shape).
    """
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    if direction is not None:
        direction, declarations = _direction(expr, symbol, direction)
        expr = Expr(expr.node, declarations)
    expected_shape = _diff_shape(expr, symbol) if direction is None else expr.shape
    if derivative is None:
        derivative = diff(expr, symbol.name, direction=direction and direction.name)
    elif not isinstance(derivative, Expr):
        derivative = parse(derivative, _declared_like(expr), expr.symmetric,
                           shape=expected_shape)
    if derivative.shape != expected_shape:
        raise ShapeError(f"the derivative of {_shapes.describe(expr.shape)} by "
                         f"{_shapes.describe(symbol.declared_shape)} {symbol.name} is "
                         f"{_shapes.describe(expected_shape)}, but the claimed derivative is "
                         f"{_shapes.describe(derivative.shape)}")
    function = _diff.inline_where(expr.node)
    if any(isinstance(n, ast.Derivative) for n in ast.postorder(function)):
        function = _diff.expand_derivatives(function)
    if not any(n is symbol for n in ast.postorder(function)):
        function = ast.Add(function, ast.Mul(ast.Number(0), _sum_of(symbol)))
    if direction is not None and not any(n is direction for n in ast.postorder(function)):
        function = ast.Add(function, ast.Mul(ast.Number(0), _sum_of(direction)))  # drawn too
    return _verify.check_derivative(function, symbol.name,
                                    _diff.expand_derivatives(derivative.node),
                                    seed=seed, draws=draws,
                                    along=direction and direction.name)


def _sum_of(symbol):
    return symbol if symbol.declared_shape == () else ast.Sum(symbol)


def _diff_shape(expr, symbol):
    return _shapes.shape_of(ast.Derivative(expr.node if not isinstance(expr.node, ast.Where)
                                           else _diff.inline_where(expr.node), symbol))


def _to_sympy(self):
    """This expression as a SymPy matrix expression."""
    return _sympy_bridge.to_sympy(ast.inline_where(self.node))


Expr.to_sympy = _to_sympy


# ----------------------------------------------------------------- derivations

class Derivation:
    """A derivation: the steps (rule, label, expression), the result, its verification."""

    def __init__(self, expr, wrt, method, steps, result, expanded_result, verification,
                 agreement=None):
        self.expr, self.wrt, self.method = expr, wrt, method
        self.steps = steps
        self.result = result
        self.expanded = expanded_result
        self.verification = verification
        self.agreement = agreement

    def lines(self):
        route = {"chain": "chain rule du/dw = dv/dw * du/dv",
                 "matrix": "matrix form d vec(F)/d vec(X) (SPEC 2b); chain rule "
                           "dU/dW = dV/dW * dU/dV",
                 "expand": "expanding the function, then term by term"}[self.method]
        out = [f"d/d{self.wrt} of {self.expr}", f"  (denominator layout; {route})"]
        for step in self.steps:
            joiner = " " if step.label.endswith("->") else " = "
            out.append(f"  {step.label}{joiner}{step.expr}")
            out.append(f"      [{step.rule}]")
        out.append(f"  = {self.expanded}   [expanded]")
        if str(self.result) != str(self.expanded):
            out.append(f"  = {self.result}   [factored]")
        if self.agreement:
            out.append(f"  {self.agreement}")
        out.append(f"  {self.verification}")
        return out

    def __str__(self):
        return "\n".join(self.lines())

    def latex(self):
        rows = [(step.source.latex() + r" &\mapsto " if step.source is not None else
                 rf"\text{{{_latex_text(step.label)}}} &= ") + step.expr.latex()
                for step in self.steps]
        rows.append(rf"&= {self.expanded.latex()}")
        if str(self.result) != str(self.expanded):
            rows.append(rf"&= {self.result.latex()}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self):
        return f"$${self.latex()}$$"

    def _repr_html_(self):
        """For notebooks: the steps as a table, each expression typeset ($...$, which
        Jupyter's MathJax renders), each rule in words, then the result and its check."""
        import html
        route = self.lines()[1].strip().strip("()")
        rows = []
        for step in self.steps:
            left = f"${step.source.latex()}$ &#8614;" if step.source is not None else \
                html.escape(step.label) + " ="
            rows.append(f"<tr><td>{left}</td><td>${step.expr.latex()}$</td>"
                        f"<td><small>{html.escape(step.rule)}</small></td></tr>")
        rows.append(f"<tr><td></td><td>${self.expanded.latex()}$</td>"
                    "<td><small>expanded</small></td></tr>")
        if str(self.result) != str(self.expanded):
            rows.append(f"<tr><td></td><td>${self.result.latex()}$</td>"
                        "<td><small>factored</small></td></tr>")
        notes = "".join(f"<p>{html.escape(str(note))}</p>"
                        for note in (self.agreement, self.verification) if note)
        return (f"<p>d/d{html.escape(self.wrt)} of <code>{html.escape(str(self.expr))}</code>"
                f" ({html.escape(route)})</p><table>{''.join(rows)}</table>{notes}")


def _latex_text(text):
    return text.replace("_", r"\_")


class _Step:
    """A step for users: rule, label and the expression as an Expr."""

    __slots__ = ("rule", "label", "expr", "source")

    def __init__(self, rule, label, expr, source=None):
        self.rule, self.label, self.expr, self.source = rule, label, expr, source

    def __iter__(self):
        return iter((self.rule, self.expr))

    def __repr__(self):
        return f"Step({self.rule!r}, {self.label!r}, {str(self.expr)!r})"


@_scoped
def derive(expr, wrt, shapes=None, symmetric=None, method="chain"):
    """d expr / d wrt with the steps that lead there (see Derivation)."""
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    if method not in ("chain", "expand"):
        raise MatcalcError(f"method must be 'chain' or 'expand', got {method!r}")
    if method == "expand" and expr.shape != ():
        raise MatcalcError("the expansion route needs a scalar function")
    route = _derivation.chain_route if method == "chain" else _derivation.expansion_route
    if method == "chain" and _derivation.past_two_indices(
            _diff.inline_where(expr.node), symbol):
        route, method = _derivation.matrix_route, "matrix"
    raw_steps, raw = route(_diff.expand_derivatives(_diff.inline_where(expr.node)), symbol)
    declarations = _keep_shapes(expr)
    extra = dict(declarations.shapes)
    for step in raw_steps:
        for node in ast.postorder(step.node):
            if isinstance(node, ast.Symbol):
                extra.setdefault(node.name, node.declared_shape)
    declarations = _shapes.Declarations(extra, declarations.symmetric)
    steps = [_Step(s.rule, s.label, Expr(s.node, declarations),
                   None if s.source is None else Expr(s.source, declarations))
             for s in raw_steps]
    result = Expr(_simplify.factored(raw), declarations)
    expanded_result = Expr(_simplify.expanded(raw), declarations)
    agreement = None
    if method == "expand":
        chained = diff(expr, symbol.name, form="expanded")
        same = chained.node is expanded_result.node
        agreement = ("both routes agree: the chain rule gives the same " + str(chained)
                     if same else f"the chain rule gives {chained}")
    verification = verify(expr, symbol.name, expanded_result)
    return Derivation(expr, symbol.name, method, steps, result, expanded_result,
                      verification, agreement)


# ----------------------------------------------------------------- stationary points

class Solution(Expr):
    """The stationary point: an Expr for w, with what is known about it.

    .coefficient: K in g = K*vec(w) - vec(b) (A for g = A*w - b; kron(R', L) for
    L*w*R = b; None when the equation was in inv(w)); .kind: 'minimum', 'maximum', 'saddle
    point' or 'degenerate' (from the Hessian on random instances); .verification: how the
    solution compared with numpy.linalg (or, for an equation in inv(w), how close the
    gradient comes to zero there) on random instances.
    """

    __slots__ = ("coefficient", "kind", "verification")

    def __init__(self, node, declarations, coefficient, kind, verification):
        super().__init__(node, declarations)
        self.coefficient, self.kind, self.verification = coefficient, kind, verification


@_scoped
def solve(gradient, wrt, shapes=None, symmetric=None):
    """w with gradient(w) = 0, for a gradient affine in w (inv(A)*b, inv(L)*b*inv(R)) or in
    inv(w) (logdet(S) + tr(inv(S)*C) by S gives C), in simplest form."""
    gradient = parse(gradient, shapes, symmetric)
    symbol = _symbol(gradient, wrt)
    if gradient.shape != symbol.declared_shape:
        raise ShapeError(f"a gradient by {symbol.name} has its shape "
                         f"({_shapes.describe(symbol.declared_shape)}), but "
                         f"'{_short(gradient)}' is {_shapes.describe(gradient.shape)}")
    node = _diff.inline_where(gradient.node)
    solution, coefficient = _solve_node(node, symbol)
    kind, report = _verify.check_solution(node, symbol, solution, coefficient)
    return Solution(_simplify.factored(solution), _keep_shapes(gradient),
                    None if coefficient is None else
                    Expr(_simplify.expanded(coefficient), _keep_shapes(gradient)), kind, report)


@_scoped
def stationary_point(loss, wrt, shapes=None, symmetric=None):
    """solve(diff(loss, wrt), wrt) for a scalar loss."""
    loss = parse(loss, shapes, symmetric)
    if loss.shape != ():
        raise ShapeError(f"a stationary point needs a scalar function, but '{_short(loss)}' "
                         f"is {_shapes.describe(loss.shape)}")
    return solve(diff(loss, wrt, form="expanded"), wrt)


# ----------------------------------------------------------------- checking claims

class Check:
    """Does lhs == rhs hold? .holds, .why, .counterexample (values, lhs value, rhs value)."""

    def __init__(self, holds, why, counterexample=None, lhs=None, rhs=None):
        self.holds, self.why, self.counterexample = holds, why, counterexample
        self.lhs, self.rhs = lhs, rhs

    def __bool__(self):
        return bool(self.holds)

    def __str__(self):
        head = "undecided" if self.holds is None else "holds" if self.holds else \
            "does NOT hold"
        text = f"{self.lhs} == {self.rhs}: {head}; {self.why}"
        if self.counterexample is not None:
            values, left, right = self.counterexample
            text += "\n  counterexample: " + _format_values(values)
            text += f"\n  left side:  {_format_value(left)}\n  right side: {_format_value(right)}"
        return text

    def __repr__(self):
        return f"Check(holds={self.holds}, why={self.why!r})"


def _format_value(value):
    """A value on one line, rounded: 0.5, [1.2, -0.3], [[1.2, -0.3], [0.4, 2.1]]."""
    import numpy as np
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.4g}"
    return np.array2string(np.round(value, 3), separator=", ", suppress_small=True,
                           max_line_width=10**6,
                           formatter={"float_kind": lambda x: f"{x:.4g}"}).replace("\n", "")


def _format_values(values):
    return "; ".join(f"{name} = {_format_value(value)}" for name, value in values.items())


def parse_together(texts, shapes=None, symmetric=None):
    """Several expressions claimed equal, read with one symbol table: their dimensions
    agree and they take one shape together (undeclared names get the shapes that make all
    of them valid, e.g. square A and B for (A*B)' == A'*B').

    For messages they count as the lines of one text: an error in the third names line 3.
    """
    decls = _shapes.declarations(shapes, symmetric)
    texts = [str(t) if isinstance(t, Expr) else t for t in texts]
    parsed, spans, offset = [], {}, 0
    for text in texts:
        if not isinstance(text, str) or "\n" in text:
            raise MatcalcError("each expression must be one line of text")
        result = _parser.parse(text)
        parsed.append(result.node)
        for node, (start, end) in result.spans.items():
            spans.setdefault(node, (start + offset, end + offset))
        offset += len(text) + 1
    typed, _ = _shapes.infer(parsed, decls, "\n".join(texts), spans, equal=True)
    return [Expr(node, decls) for node in typed]


@_scoped
def check(lhs, rhs, shapes=None, symmetric=None, draws=5, seed=0):
    """Is lhs == rhs? By canonical form first, then on random instances."""
    if isinstance(lhs, Expr) and isinstance(rhs, Expr):
        left, right = lhs, rhs
        shapes = dict(_declared_like(lhs), **(shapes or {}))
        left, right = parse_together([str(lhs), str(rhs)], shapes,
                                     set(symmetric or ()) | lhs.symmetric | rhs.symmetric)
    else:
        left, right = parse_together([lhs, rhs], shapes, symmetric)
    left_node = _diff.expand_derivatives(_diff.inline_where(left.node))
    right_node = _diff.expand_derivatives(_diff.inline_where(right.node))
    if _is_zero_literal(right_node) and left.shape != ():
        right_node = _diff.zero(left.shape)
    elif left.shape != right.shape:
        raise ShapeError(f"the two sides have different shapes: '{_short(left)}' is "
                         f"{_shapes.describe(left.shape)}, '{_short(right)}' is "
                         f"{_shapes.describe(right.shape)}")
    if _simplify.expanded(left_node) is _simplify.expanded(right_node):
        return Check(True, "equal in canonical form", None, left, right)
    outcome = _verify.compare(left_node, right_node, draws=draws, seed=seed)
    if outcome.agree is None:
        return Check(None, "undecided: could not find random instances where both sides are "
                           "defined and finite", None, left, right)
    if outcome.agree:
        return Check(True, f"equal on {outcome.draws} random instances (worst relative "
                           f"difference {outcome.worst:.1e}); the canonical forms differ, so "
                           "this is numeric evidence, not a proof", None, left, right)
    small = _verify.small_counterexample(left_node, right_node, seed=seed)
    if small is not None:
        outcome = outcome._replace(counterexample=small,
                                   worst=_verify.relative_error(small[1], small[2]))
    why = f"differs on a random instance (relative difference {outcome.worst:.2g})"
    symmetric_fix = _verify.symmetric_explanation(left_node, right_node, seed=seed)
    if symmetric_fix:
        why += f"; holds when {symmetric_fix} symmetric"
    return Check(False, why, outcome.counterexample, left, right)


def _is_zero_literal(node):
    return isinstance(node, ast.Number) and node.value == 0


class DerivationCheck:
    """Each step of a derivation checked against the one before."""

    def __init__(self, steps, results):
        self.steps, self.results = steps, results

    @property
    def holds(self):
        return all(r.holds for r in self.results)

    @property
    def first_wrong(self):
        """1-based index of the first wrong step, or None."""
        for i, result in enumerate(self.results):
            if not result.holds:
                return i + 2
        return None

    def __str__(self):
        lines = [f"  1. {self.steps[0]}"]
        for i, (step, result) in enumerate(zip(self.steps[1:], self.results)):
            mark = "ok" if result.holds else "WRONG"
            lines.append(f"  {i + 2}. {step}    [{mark}: {result.why}]")
            if not result.holds and result.counterexample is not None:
                values, left, right = result.counterexample
                lines.append("       counterexample: " + _format_values(values))
                lines.append(f"       step {i + 1} gives {_format_value(left)}; "
                             f"step {i + 2} gives {_format_value(right)}")
        verdict = "every step holds" if self.holds else f"step {self.first_wrong} is wrong"
        return "\n".join(lines + [verdict])


@_scoped
def check_derivation(steps, shapes=None, symmetric=None):
    """Check a derivation: each expression claimed equal to the one before."""
    steps = [s.strip() for s in steps if s and s.strip()]
    if len(steps) < 2:
        raise MatcalcError("a derivation needs at least two steps")
    exprs = parse_together(steps, shapes, symmetric)
    results = []
    declarations = _shapes.Declarations(
        {n: s for e in exprs for n, s in e.symbols().items()},
        exprs[0].declarations.symmetric)
    for before, after in zip(exprs, exprs[1:]):
        results.append(check(Expr(before.node, declarations), Expr(after.node, declarations)))
    return DerivationCheck(steps, results)


# ----------------------------------------------------------------- compiled numpy code

@_scoped
def compile(expr, *more, shapes=None, symmetric=None, given=None,  # noqa: A001 (contract)
            backend="numpy", source=False, scheduler=None):
    """A fast function of the expression's own names: f(values) or f(**values).

    With several expressions (say a loss and its gradient) one function returns them all,
    computing their shared subexpressions once. `given` fixes values that stay the same
    across calls (data such as X and y): what depends only on them is computed once, in the
    form (as given or expanded) that costs the fewest flops per call, and the function
    takes the other names. An inverse times more factors is a linear solve, by Cholesky
    for a symmetric (Gram) matrix: inv(X'*X)*X'*y is never an inverse.

    `backend` is "numpy" (the default), "numba" (numpy, with a gradient X'*g(X*w) as one
    parallel loop over X's rows), "jax" (a jax.jit-compiled pure function), "torch"
    (tensors on the device they come on) or "dask" (lazy arrays; `.compute(values)` runs
    them on a Dask cluster: `scheduler` is an address, a distributed Client, or None for
    the current client or else a local cluster). `source=True` returns the generated module
    as text, to paste into a project. See docs/backends.md.
    """
    from . import codegen
    chosen = codegen.dialect(backend)     # an unknown or missing backend fails first
    exprs = [parse(e, shapes, symmetric) for e in (expr,) + more]
    roots = [_diff.expand_derivatives(_diff.inline_where(e.node)) for e in exprs]
    declared = Expr(roots[0], _shapes.Declarations(
        {n: s for e in exprs for n, s in e.declarations.shapes.items()}, frozenset()))
    return codegen.compile(roots, backend=chosen, given=given, scheduler=scheduler,
                           sizes=lambda values: _declared_sizes(declared, values),
                           source=source)


lambdify = compile


# ----------------------------------------------------------------- building with operators

def symbols(names, shapes=None, symmetric=None):
    """Declared variables to build expressions with operators.

    >>> X, w, y = matcalc.symbols("X w y", shapes={"X": ("n", "d"), "w": ("d",), "y": ("n",)})
    >>> loss = (X @ w - y).T @ (X @ w - y)
    """
    names = names.replace(",", " ").split() if isinstance(names, str) else list(names)
    shapes = dict(shapes or {})
    for name in names:
        if name not in shapes:
            shapes[name] = _default_shape(name)
    decls = _shapes.declarations(shapes, symmetric)
    made = [Expr(ast.Symbol(name, decls.shapes[name], name in decls.symmetric), decls)
            for name in names]
    return made[0] if len(made) == 1 else tuple(made)


def _default_shape(name):
    """matrixcalculus.org's first-letter kinds, with the variable's own dimension names."""
    if name[0] in "abcdefg" or name in _shapes.GREEK:
        return ()
    if name[0].islower():
        return (f"n_{name}",)
    return (f"m_{name}", f"n_{name}")


def _operand(value, other):
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from fractions import Fraction
        return Expr(ast.Number(Fraction(value)), other.declarations)
    raise MatcalcError(f"cannot combine an expression with {type(value).__name__}")


def _combine(left, right, build):
    node = build(left.node, right.node)
    _shapes.shape_of(node)                        # a mismatch is a ShapeError here
    merged = dict(left.declarations.shapes, **right.declarations.shapes)
    decls = _shapes.Declarations(merged, left.symmetric | right.symmetric)
    return Expr(node, decls)


def _binary(build, reflected=False):
    def method(self, other):
        try:
            other = _operand(other, self)
        except MatcalcError:
            return NotImplemented
        return _combine(other, self, build) if reflected else _combine(self, other, build)
    return method


Expr.__add__ = _binary(lambda a, b: ast.Add(a, b))
Expr.__radd__ = _binary(lambda a, b: ast.Add(a, b), reflected=True)
Expr.__sub__ = _binary(lambda a, b: ast.Add(a, ast.Neg(b)))
Expr.__rsub__ = _binary(lambda a, b: ast.Add(a, ast.Neg(b)), reflected=True)
Expr.__mul__ = _binary(lambda a, b: ast.Mul(a, b))        # the language's '*'
Expr.__rmul__ = _binary(lambda a, b: ast.Mul(a, b), reflected=True)
Expr.__matmul__ = _binary(lambda a, b: ast.Mul(a, b))
Expr.__rmatmul__ = _binary(lambda a, b: ast.Mul(a, b), reflected=True)
Expr.__truediv__ = _binary(lambda a, b: ast.Div(a, b))
Expr.__pow__ = _binary(lambda a, b: ast.Power(a, b))
Expr.__neg__ = lambda self: Expr(ast.Neg(self.node), self.declarations)
Expr.T = property(lambda self: Expr(ast.Transpose(self.node), self.declarations))
Expr.__array_priority__ = 1000     # numpy scalars defer to Expr's operators


def _function(name):
    def apply(*exprs):
        exprs = [e if isinstance(e, Expr) else parse(e) for e in exprs]
        node = _registry.build(name, *(e.node for e in exprs))
        _shapes.shape_of(node)
        merged = {}
        for e in exprs:
            merged.update(e.declarations.shapes)
        return Expr(node, _shapes.Declarations(
            merged, frozenset().union(*(e.symmetric for e in exprs))))
    return apply


functions = {name: _function(name) for name in _registry.FUNCTIONS}


# ----------------------------------------------------------------- SymPy, the other way

def from_sympy(expression, symmetric=None):
    """A SymPy matrix expression (MatrixSymbol, MatMul, MatAdd, Transpose, Inverse, Trace,
    Determinant, HadamardProduct, ...) as a matcalc Expr. Dimensions become Dim names."""
    node, declarations = _sympy_bridge.from_sympy(expression, symmetric)
    return Expr(node, declarations)
