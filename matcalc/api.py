"""The public facade: the functions of the contract (SPEC section 3), over the stages.

Stages import only earlier stages; this module is the one place that ties them together.
`Expr` lives in expression.py, the reports (Derivation, Solution, Check) in reports.py, the
SymPy bridge in sympy_bridge.py, the compiler in codegen.
"""

import functools
import gc
import numbers
from collections.abc import Mapping

from . import ast
from . import calculus as _calculus
from . import definiteness as _definiteness
from . import derivation as _derivation
from . import parser as _parser
from . import registry as _registry
from . import shapes as _shapes
from . import simplify as _simplify
from . import sympy_bridge as _sympy_bridge
from . import verify as _verify
from .errors import MatcalcError, ShapeError
from .expression import (Expr, declared_like, declared_sizes, keep_shapes,
                         merged_declarations, symbol_nodes)
from .printing import short_text
from .reports import Check, Derivation, DerivationCheck, Solution, Step
from .solve import solve as _solve_node


def _scoped(function):
    """Run an API function in one simplifier session (memo tables freed afterwards), with
    Python's cyclic garbage collector paused as long: trees are acyclic (interned nodes point
    only at their children), so it finds nothing, but it walks every live object every few
    hundred allocations (a third of the time on a sum of 20,000 terms)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        paused = gc.isenabled()
        gc.disable()
        try:
            with _simplify.session():
                return function(*args, **kwargs)
        finally:
            if paused:
                gc.enable()
    return wrapper


@_scoped
def parse(text, shapes=None, symmetric=None, shape=None):
    """Read `text` as an expression, inferring and checking every shape; `shape`, if given,
    is the shape the whole expression must have (its free dimensions, e.g. the size of a
    lone `I`, are inferred from it)."""
    if isinstance(text, Expr):
        expr = _redeclare(text, shapes, symmetric)
        if shape is not None and expr.shape != tuple(shape):
            raise ShapeError(f"'{short_text(expr.node)}' is {_shapes.describe(expr.shape)}, "
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
            raise ShapeError(f"'{name}' is {_shapes.describe(known[name])} in this "
                             f"expression, but is now declared {_shapes.describe(shape)}")
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
    known = symbol_nodes(expr.node)
    if wrt in known:
        return known[wrt]
    if wrt in expr.declarations.shapes:
        return ast.Symbol(wrt, expr.declarations.shapes[wrt], wrt in expr.symmetric)
    raise MatcalcError(f"'{wrt}' does not occur in '{short_text(expr.node)}' and is not declared; "
                       f"its variables are: {', '.join(known) or 'none'}")


def _form(node, form):
    if form not in FORMS:
        raise MatcalcError(f"form must be 'factored' or 'expanded', got {form!r}")
    return _simplify.factored(node) if form == "factored" else _simplify.expanded(node)


@_scoped
def diff(expr, wrt, shapes=None, symmetric=None, form="factored", direction=None,
         layout="denominator"):
    """d expr / d wrt in denominator layout, simplified (SPEC sections 2 and 2b). Past two
    indices the matrix form d vec(F) / d vec(W), size(W) x size(F) (column-major vec):
    d(A*X*B)/dX = kron(B, A'). With `direction` (the name of a variable of wrt's shape,
    declared here if new), the derivative along it, in F's shape: a Hessian-vector product
    when expr is a gradient, without the size(W) x size(F) matrix. layout="numerator"
    transposes the result, as matrixcalculus.org prints Jacobians (a gradient is then a
    row; a derivative along a direction has F's shape in both layouts)."""
    if layout not in ("denominator", "numerator"):
        raise MatcalcError(f"layout must be 'denominator' or 'numerator', got {layout!r}")
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    if direction is not None:
        direction, declarations = _direction(expr, symbol, direction)
        raw = _calculus.derivative(expr.node, symbol, direction=direction)
        return Expr(_form(raw, form), declarations)
    raw = _calculus.derivative(expr.node, symbol)
    if layout == "numerator" and _shapes.shape_of(raw) != ():
        raw = ast.Transpose(raw)
    return Expr(_form(raw, form), keep_shapes(expr),
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
    declarations = _shapes.Declarations(dict(declared_like(expr), **{name: shape}), expr.symmetric)
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


@_scoped
def simplify(expr, shapes=None, symmetric=None, form="factored"):
    """The expression in canonical form: 'expanded' (textbook) or 'factored' (cheapest)."""
    expr = parse(expr, shapes, symmetric)
    return Expr(_form(_calculus.expand_derivatives(ast.inline_where(expr.node)), form),
                keep_shapes(expr))


@_scoped
def verify(expr, wrt, derivative=None, shapes=None, symmetric=None, draws=_verify.DRAWS,
           seed=0, direction=None):
    """Check a derivative of expr by wrt numerically (central differences, random draws).
    `derivative`: text, an Expr, or None (matcalc's own); with `direction`, the derivative
    along that variable (in expr's shape)."""
    draws, seed = _count("draws", draws, 1), _count("seed", seed, 0)
    expr = parse(expr, shapes, symmetric)
    symbol = _symbol(expr, wrt)
    if direction is not None:
        direction, declarations = _direction(expr, symbol, direction)
        expr = Expr(expr.node, declarations)
    expected_shape = expr.shape if direction is not None else \
        _shapes.derivative_shape(expr.shape, symbol.declared_shape)
    if derivative is None:
        derivative = diff(expr, symbol.name, direction=direction and direction.name)
    elif not isinstance(derivative, Expr):
        derivative = parse(derivative, declared_like(expr), expr.symmetric, shape=expected_shape)
    if derivative.shape != expected_shape:
        raise ShapeError(f"the derivative of {_shapes.describe(expr.shape)} by "
                         f"{_shapes.describe(symbol.declared_shape)} {symbol.name} is "
                         f"{_shapes.describe(expected_shape)}, but the claimed derivative is "
                         f"{_shapes.describe(derivative.shape)}")
    function = ast.inline_where(expr.node)
    if any(isinstance(n, ast.Derivative) for n in ast.postorder(function)):
        function = _calculus.expand_derivatives(function)
    # the variable and the direction are drawn even where the function does not use them
    drawn = [symbol] + ([direction] if direction is not None else [])
    return _verify.check_derivative(function, symbol.name,
                                    _calculus.expand_derivatives(derivative.node),
                                    seed=seed, draws=draws,
                                    along=direction and direction.name, also=drawn)


# ----------------------------------------------------------------- derivations

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
    if method == "chain" and _derivation.past_two_indices(ast.inline_where(expr.node), symbol):
        route, method = _derivation.matrix_route, "matrix"
    raw_steps, raw = route(_calculus.expand_derivatives(ast.inline_where(expr.node)), symbol)
    known = dict(keep_shapes(expr).shapes)          # and the steps' new names (v, u, G, dX)
    for name, node in ast.free_symbols(*(step.node for step in raw_steps)).items():
        known.setdefault(name, node.declared_shape)
    declarations = _shapes.Declarations(known, expr.symmetric)
    steps = [Step(s.rule, s.label, Expr(s.node, declarations), None if s.source is None
                  else Expr(s.source, declarations)) for s in raw_steps]
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


def _count(name, value, smallest):
    """An integer option (draws, seed) checked: a MatcalcError, not numpy's ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < smallest:
        raise MatcalcError(f"{name} must be an integer of at least {smallest}, not {value!r}")
    return int(value)


# ----------------------------------------------------------------- stationary points

@_scoped
def solve(gradient, wrt, shapes=None, symmetric=None):
    """w with gradient(w) = 0, for a gradient affine in w (inv(A)*b, inv(L)*b*inv(R)) or in
    inv(w) (logdet(S) + tr(inv(S)*C) by S gives C), in simplest form."""
    gradient = parse(gradient, shapes, symmetric)
    symbol = _symbol(gradient, wrt)
    if gradient.shape != symbol.declared_shape:
        raise ShapeError(f"a gradient by {symbol.name} has its shape "
                         f"({_shapes.describe(symbol.declared_shape)}), but "
                         f"'{short_text(gradient.node)}' is {_shapes.describe(gradient.shape)}")
    node = ast.inline_where(gradient.node)
    solution, coefficient = _solve_node(node, symbol)
    sampled, report = _verify.check_solution(node, symbol, solution, coefficient)
    if coefficient is None:           # the Hessian varies with w: no proof, only what was seen
        seen = f"a {sampled}" if sampled in ("minimum", "maximum", "saddle point") else \
            "of different kinds"
        verdict = _definiteness.Verdict("depends on the values", "not proven: the Hessian "
                                        f"depends on {symbol.name}; on {report.draws} random "
                                        f"instances the point was {seen}")
    else:
        verdict = _definiteness.classify(_simplify.expanded(coefficient), symbol.name)
    return Solution(_simplify.factored(solution), keep_shapes(gradient),
                    None if coefficient is None else
                    Expr(_simplify.expanded(coefficient), keep_shapes(gradient)), verdict,
                    report)


@_scoped
def stationary_point(loss, wrt, shapes=None, symmetric=None):
    """solve(diff(loss, wrt), wrt) for a scalar loss."""
    loss = parse(loss, shapes, symmetric)
    if loss.shape != ():
        raise ShapeError(f"a stationary point needs a scalar function, but "
                         f"'{short_text(loss.node)}' is {_shapes.describe(loss.shape)}")
    return solve(diff(loss, wrt, form="expanded"), wrt)


# ----------------------------------------------------------------- checking claims

def parse_together(texts, shapes=None, symmetric=None):
    """Several expressions claimed equal, read with one symbol table: their dimensions
    agree and they take one shape together (undeclared names get the shapes that make all
    of them valid, e.g. square A and B for (A*B)' == A'*B'). For messages they are the lines
    of one text: an error in the third names line 3."""
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
    draws, seed = _count("draws", draws, 1), _count("seed", seed, 0)
    if isinstance(lhs, Expr) and isinstance(rhs, Expr):
        shapes = dict(declared_like(lhs), **(shapes or {}))
        left, right = parse_together([str(lhs), str(rhs)], shapes,
                                     set(symmetric or ()) | lhs.symmetric | rhs.symmetric)
    else:
        left, right = parse_together([lhs, rhs], shapes, symmetric)
    left_node = _calculus.expand_derivatives(ast.inline_where(left.node))
    right_node = _calculus.expand_derivatives(ast.inline_where(right.node))
    if right_node is ast.Number(0) and left.shape != ():
        right_node = _calculus.zero(left.shape)
    elif left.shape != right.shape:
        raise ShapeError(f"the two sides have different shapes: '{short_text(left.node)}' is "
                         f"{_shapes.describe(left.shape)}, '{short_text(right.node)}' is "
                         f"{_shapes.describe(right.shape)}")
    if _simplify.expanded(left_node) is _simplify.expanded(right_node):
        return Check(True, "equal in canonical form", None, left, right)
    outcome = _verify.compare(left_node, right_node, draws=draws, seed=seed)
    if outcome.agree is None:
        return Check(None, "undecided: could not find random instances where both sides are "
                           "defined, finite and not both below 1e-6 (where they could not be "
                           "told apart)", None, left, right)
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


@_scoped
def check_derivation(steps, shapes=None, symmetric=None):
    """Check a derivation: each expression claimed equal to the one before."""
    steps = [s.strip() for s in steps if s and s.strip()]
    if len(steps) < 2:
        raise MatcalcError("a derivation needs at least two steps")
    exprs = parse_together(steps, shapes, symmetric)
    declarations = _shapes.Declarations({n: s for e in exprs for n, s in e.symbols().items()},
                                        exprs[0].declarations.symmetric)
    return DerivationCheck(steps, [check(Expr(a.node, declarations), Expr(b.node, declarations))
                                   for a, b in zip(exprs, exprs[1:])])


# ----------------------------------------------------------------- compiled numpy code

@_scoped
def compile(expr, *more, shapes=None, symmetric=None, given=None,  # noqa: A001 (contract)
            backend="numpy", source=False, scheduler=None):
    """A fast function of the expression's own names: f(values) or f(**values).

    Several expressions give one function returning them all, their shared work done once;
    `given` fixes values across calls (what depends only on them is computed once, and the
    function takes the other names). `backend`: "numpy", "numba", "jax", "torch" or "dask"
    (`scheduler`: where a Dask function's `compute` runs). `source=True` returns the
    generated module as text. See docs/codegen.md and docs/backends.md.
    """
    from . import codegen
    chosen = codegen.dialect(backend)     # an unknown or missing backend fails first
    if given is not None and not isinstance(given, Mapping):
        raise MatcalcError(f"given must map names to values (given={{'X': X}}), not "
                           f"{type(given).__name__}")
    exprs = [parse(e, shapes, symmetric) for e in (expr,) + more]
    roots = [_calculus.expand_derivatives(ast.inline_where(e.node)) for e in exprs]
    # sizes from the names' shapes, declared or inferred: a name the function no longer
    # reads (X, given once) still sizes what was computed from it (a stored vec(X))
    declared = Expr(roots[0], _shapes.Declarations(
        {n: s for e in exprs for n, s in declared_like(e).items()}, frozenset()))
    return codegen.compile(roots, backend=chosen, given=given, scheduler=scheduler, source=source,
                           sizes=lambda values: declared_sizes(declared, values))


lambdify = compile


# ----------------------------------------------------------------- building with operators

def symbols(names, shapes=None, symmetric=None):
    """Declared variables to build expressions with operators.

    >>> X, w, y = matcalc.symbols("X w y", shapes={"X": ("n", "d"), "w": ("d",), "y": ("n",)})
    >>> loss = (X @ w - y).T @ (X @ w - y)
    """
    names = names.replace(",", " ").split() if isinstance(names, str) else list(names)
    shapes = dict(shapes or {})
    shapes.update({name: _default_shape(name) for name in names if name not in shapes})
    decls = _shapes.declarations(shapes, symmetric)
    made = [Expr(ast.Symbol(name, decls.shapes[name], name in decls.symmetric), decls)
            for name in names]
    return made[0] if len(made) == 1 else tuple(made)


def _default_shape(name):
    """matrixcalculus.org's first-letter kind, with the variable's own dimension names."""
    own = {"scalar": (), "column": (f"n_{name}",), "matrix": (f"m_{name}", f"n_{name}")}
    return own[_shapes.default_kind(name)]


def _function(name):
    def apply(*exprs):
        exprs = [e if isinstance(e, Expr) else parse(e) for e in exprs]
        node = _registry.build(name, *(ast.inline_where(e.node) for e in exprs))
        _shapes.shape_of(node)
        return Expr(node, merged_declarations(*exprs))
    return apply


functions = {name: _function(name) for name in _registry.FUNCTIONS}


# ----------------------------------------------------------------- SymPy, the other way

def from_sympy(expression, symmetric=None):
    """A SymPy matrix expression (MatrixSymbol, MatMul, MatAdd, Transpose, Inverse, Trace,
    Determinant, HadamardProduct, ...) as a matcalc Expr. Dimensions become Dim names."""
    node, declarations = _sympy_bridge.from_sympy(expression, symmetric)
    return Expr(node, declarations)
