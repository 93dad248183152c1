"""The simplifier: each rule alone (shape and value kept), idempotence, printed forms."""

import ast as pyast
import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc import ast
from matcalc.evaluate import evaluate
from matcalc.expression import declared_like
from matcalc.simplify import engine, order
from matcalc.verify import draw, requirements, size_constants, symbol_table

simplify = importlib.import_module("matcalc.simplify")     # matcalc.simplify is also a function

SHAPES = {"A": ("n", "n"), "B": ("n", "n"), "C": ("n", "n"), "X": ("n", "d"),
          "x": ("n",), "y": ("n",), "w": ("d",), "u": ("n",), "v": ("n",), "a": (), "b": (),
          "S": ("n", "n")}

# (rule, input, expected expanded form)
RULES = [
    ("I is neutral", "I*A*I", "A"),
    ("zero vanishes", "A + 0*B", "A"),
    ("zero fill vanishes", "x + vector(0)", "x"),
    ("coefficients are exact", "0.5*x + 0.5*x", "x"),
    ("like terms collect", "X'*y + X'*y", "2*X'*y"),
    ("different terms stay", "A*x + A'*x", "A*x + A'*x"),
    ("scalars to the front", "A*(2*x)*b", "2*b*A*x"),
    ("division by a scalar", "x/a", "1/a*x"),
    ("products distribute", "A*(x + y)", "A*x + A*y"),
    ("transpose of a product", "(A*B)'", "B'*A'"),
    ("double transpose", "(A')'", "A"),
    ("transpose of a sum", "(A + B)'", "A' + B'"),
    ("transpose of an inverse", "inv(A)'", "inv(A')"),
    ("inverse cancels", "inv(A)*A*x", "x"),
    ("inverse cancels on the right", "A*inv(A)", "I"),
    ("inverse of an inverse", "inv(inv(A))", "A"),
    ("inverse of a product", "inv(A*B)", "inv(B)*inv(A)"),
    ("inverse of a scaled matrix", "inv(2*A)", "0.5*inv(A)"),
    ("inverse of a sum cancels", "inv(S + S')*(S + S')*x", "x"),
    ("inverse of a sum cancels on the right", "(A + B)*inv(B + A)", "I"),
    ("inverse of a sum cancels a multiple of it", "inv(A + B)*(a*A*X + a*B*X)", "a*X"),
    ("inverse of a sum cancels a row", "x'*inv(A + B)*(A + B)", "x'"),
    ("1x1 product equals its transpose", "y'*X*w - w'*X'*y", "0"),
    ("trace is linear", "tr(A + 2*B)", "tr(A) + 2*tr(B)"),
    ("trace is cyclic", "tr(A*B*C) - tr(C*A*B)", "0"),
    ("trace of a transpose", "tr(A') - tr(A)", "0"),
    ("trace of an outer product", "tr(x*y')", "x'*y"),
    ("norm squared of a vector", "norm2(x)^2", "x'*x"),
    ("sum of a Hadamard product of columns", "sum(x .* y)", "x'*y"),
    ("diag times a column", "diag(x)*y", "x .* y"),
    ("diag times diag", "diag(x)*diag(y)*u", "x .* y .* u"),
    ("diag(v) is symmetric", "diag(x)' - diag(x)", "matrix(0)"),
    ("diag(A) is a column", "y*diag(A)'", "y*diag(A)'"),
    ("transpose of a diagonal's row", "(diag(A)*y')'", "y*diag(A)'"),
    ("det of a transpose", "det(A') - det(A)", "0"),
    ("logdet of an inverse", "logdet(inv(A)) + logdet(A)", "0"),
    ("matrix power", "A^2 - A*A", "matrix(0)"),
    ("repeated factors are a power", "A*A*A", "A^3"),
    ("repeated transposed factors", "A'*A'*A'", "A'^3"),
    ("powers of one matrix multiply", "A^2*A^3*inv(A)", "A^4"),
    ("power of a power", "(A^2)^3", "A^6"),
    ("power of a scaled matrix", "(2*A)^3", "8*A^3"),
    ("power zero", "A^0*x", "x"),
    ("negative power", "A^-1*A", "I"),
    ("scalar powers merge", "a^2*a^-1", "a"),
    ("Hadamard with a scalar", "2 .* x", "2*x"),
    ("Hadamard with ones", "vector(1) .* x", "x"),
    ("elementwise power one", "x.^1", "x"),
    ("log of exp", "log(exp(x))", "x"),
    ("broadcast scalar", "1 + x - x", "vector(1)"),
    # Kronecker products, vec, commutation matrices (docs/past-two-indices.md)
    ("kron is bilinear", "kron(2*A + B, C)", "2*kron(A, C) + kron(B, C)"),
    ("kron by a scalar scales", "kron(a, A) - a*A", "matrix(0)"),
    ("kron of a column and a row", "kron(x, y')", "x*y'"),
    ("kron of identities", "kron(I(n), I(d))", "I(d*n)"),
    ("transpose of a kron", "kron(A, x)'", "kron(A', x')"),
    ("mixed product", "kron(A, B)*kron(C, A)", "kron(A*C, B*A)"),
    ("kron times vec", "kron(A, B)*vec(C)", "vec(B*C*A')"),
    ("inverse of a kron", "inv(kron(A, B))", "kron(inv(A), inv(B))"),
    ("trace of a kron", "tr(kron(A, B))", "tr(A)*tr(B)"),
    ("vec is linear", "vec(A + 2*B)", "vec(A) + 2*vec(B)"),
    ("vec of a column", "vec(x)", "x"),
    ("vec of a row", "vec(x')", "x"),
    ("vec of an outer product", "vec(x*w')", "kron(w, x)"),
    ("unvec undoes vec", "unvec(vec(X), n, d)", "X"),
    ("unvec of a kron of columns", "unvec(kron(w, x), n, d)", "x*w'"),
    ("commutation of a vector", "commutation(n, 1)", "I(n)"),
    ("commutation times its transpose", "commutation(n, d)*commutation(d, n)", "I(d*n)"),
    ("transpose of a commutation", "commutation(n, d)'", "commutation(d, n)"),
    ("softmax of a scalar", "softmax(a)", "1"),
    ("logsumexp of a scalar", "logsumexp(a)", "a"),
]


# rules whose textbook forms hold only for some signs (issue 22): kept whole where a value
# could change; the domain test below draws every sign
RULES += [
    ("a fractional power of a product stays whole", "(a*b)^(1/2)", "(a*b)^0.5"),
    ("a cube root of a product stays whole", "(a*b)^(1/3)", "(a*b)^(1/3)"),
    ("a fractional power of a square stays whole", "(a^2)^(1/2)", "(a^2)^0.5"),
    ("an integer power of a product distributes", "(a*b)^2", "a^2*b^2"),
    ("an inverse of a product distributes", "(a*b)^-1", "1/(a*b)"),
    ("a fractional elementwise power keeps its scalar", "(a*x).^(1/3)", "(a*x).^(1/3)"),
    ("an integer elementwise power distributes", "(a*x).^2", "a^2*x.^2"),
    ("a square root of a product stays whole", "sqrt(a*b)", "sqrt(a*b)"),
    ("log of a product stays whole", "log(a*b)", "log(a*b)"),
    ("abs of a product stays whole", "abs(a*x)", "abs(a*x)"),
]


@pytest.mark.parametrize("rule, text, expected", RULES, ids=[r[0] for r in RULES])
def test_no_rule_changes_a_value_in_the_domain(rule, text, expected, rng):
    """Every rule, at values of every sign (no positivity asked of names under powers, logs
    or roots): wherever the input is defined, the simplified form is, with the same value
    ((s*t)^(1/2) was s^0.5*t^0.5, NaN at s = -1, t = -4 where the value is 2)."""
    e = matcalc.parse(text, shapes=SHAPES)
    symbols = symbol_table(e.node)
    invertible, _ = requirements(e.node)
    for form in ("factored", "expanded"):
        simplified = matcalc.simplify(e, form=form)
        for signs in range(8):                         # each scalar of either sign
            values, sizes = draw(symbols, rng, invertible, signs=signs)
            size_constants(sizes, e.node)
            with warnings.catch_warnings():           # NaN outside the domain, on purpose
                warnings.simplefilter("ignore")
                before = np.asarray(evaluate(e.node, values, sizes), dtype=float)
                after = np.asarray(evaluate(simplified.node, values, sizes), dtype=float)
            defined = np.isfinite(before)
            assert np.all(np.isfinite(after[defined])), (form, str(simplified), values)
            assert np.allclose(before[defined], after[defined], rtol=1e-9, atol=1e-9), \
                (form, str(simplified), values)


@pytest.mark.parametrize("rule, text, expected", RULES, ids=[r[0] for r in RULES])
def test_rule(rule, text, expected, rng):
    e = matcalc.parse(text, shapes=SHAPES)
    simplified = matcalc.simplify(e, form="expanded")
    assert simplified.shape == e.shape                        # every rule keeps the shape
    claimed = matcalc.parse(expected, shapes=declared_like(e), shape=e.shape)
    assert str(simplified) == str(matcalc.simplify(claimed, form="expanded"))
    symbols = symbol_table(e.node)
    invertible, positive = requirements(e.node)
    for _ in range(3):                                        # ... and keeps the value
        values, sizes = draw(symbols, rng, invertible, positive)
        size_constants(sizes, e.node)                         # sizes only constants carry
        before = evaluate(e.node, values, sizes)
        after = evaluate(simplified.node, values, sizes)
        assert np.allclose(before, after, rtol=1e-9, atol=1e-9)


def test_symmetric_declaration_drops_transposes():
    e = matcalc.parse("S' + S", shapes=SHAPES, symmetric={"S"})
    assert str(matcalc.simplify(e, form="expanded")) == "2*S"


@pytest.mark.parametrize("text", [r[1] for r in RULES] + [
    "(X*w - y)'*(X*w - y)", "sum(tanh(A*tanh(B*x)))", "x'*A*x + u'*inv(A)*v"])
@pytest.mark.parametrize("form", ["expanded", "factored"])
def test_idempotent(text, form):
    once = matcalc.simplify(text, shapes=SHAPES, form=form)
    twice = matcalc.simplify(once, form=form)
    assert once == twice


def test_factored_pulls_common_factors():
    assert str(matcalc.simplify("2*X'*X*w - 2*X'*y", shapes=SHAPES)) == "2*X'*(X*w - y)"
    assert str(matcalc.simplify("a*X'*u + X'*v + b*w", shapes=SHAPES)) == "X'*(a*u + v) + b*w"
    assert str(matcalc.simplify("B*w + B'*w", shapes={"B": ("d", "d"), "w": ("d",)})) == \
        "(B + B')*w"


def test_factored_names_shared_subexpressions_and_round_trips():
    g = matcalc.diff("sum(tanh(W3*tanh(W2*tanh(W1*x))))", "W1")
    text = str(g)
    assert "where t0 = tanh(W1*x)" in text
    assert matcalc.parse(text, shapes=g.symbols()) == g


def test_outer_products_of_differences_are_factored():
    shapes = {"x": ("n",), "m": ("n",), "u": ("d",), "v": ("d",), "y": ("n",)}
    assert str(matcalc.simplify("x*x' - x*m' - m*x' + m*m'", shapes)) == \
        "t0*t0' where t0 = x - m"
    assert str(matcalc.simplify("x*u' - x*v' + 2*y*u' - 2*y*v'", shapes)) == \
        "(x + 2*y)*(u' - v')"
    # the Gaussian quadratic form's gradient by S, as textbooks print it
    g = matcalc.diff("(x - m)'*inv(S)*(x - m)", "S")
    assert str(g) == "-t0*t1*t1'*t0 where t0 = inv(S'), t1 = x - m"
    assert matcalc.verify("(x - m)'*inv(S)*(x - m)", "S", g).passed
    assert matcalc.parse(str(g), g.declarations.shapes) == g


# ----------------------------------------------------------------- the rule tables are complete

NODE_TYPES = sorted(ast.NODE_TYPES, key=lambda cls: cls.__name__)

# node types with no TRANSPOSE rule, and the generic way engine.transpose_atom handles them
TRANSPOSED_GENERICALLY = {
    # a scalar atom is its own transpose (checked before any rule)
    ast.Number: "scalar", ast.Trace: "scalar", ast.Det: "scalar", ast.LogDet: "scalar",
    ast.Sum: "scalar", ast.Norm1: "scalar", ast.Norm2: "scalar", ast.LogSumExp: "scalar",
    # a sum or product kept whole as an atom (a product of sums past poly.MAX_TERMS, the
    # argument of a kept power) is transposed through its canonical polynomial
    ast.Add: "polynomial", ast.Mul: "polynomial", ast.Neg: "polynomial",
    ast.Div: "polynomial",
    # never an atom: diff(...) is refused, a where is inlined at the root
    ast.Derivative: "never", ast.Where: "never",
}


def test_every_node_type_has_a_canonical_rule():
    missing = [cls.__name__ for cls in NODE_TYPES
               if cls not in engine.CANONICAL and cls is not ast.Where]   # canon inlines Where
    assert not missing, f"no canonical rule (engine.CANONICAL) for {missing}"


def test_every_atom_type_has_a_transpose_rule_or_a_generic_one():
    missing = [cls.__name__ for cls in NODE_TYPES
               if cls not in engine.TRANSPOSE and cls not in TRANSPOSED_GENERICALLY]
    assert not missing, f"no transpose rule (engine.TRANSPOSE) for {missing}"
    both = [cls.__name__ for cls in TRANSPOSED_GENERICALLY if cls in engine.TRANSPOSE]
    assert not both, f"{both} have a transpose rule: take them out of TRANSPOSED_GENERICALLY"


def test_every_node_type_has_a_rank_in_the_order():
    missing = [cls.__name__ for cls in NODE_TYPES if cls not in order.RANK]
    assert not missing, f"no rank in simplify/order.py for {missing}"
    assert sorted(order.RANK.values()) == list(range(len(order.RANK)))     # distinct ranks


@pytest.mark.parametrize("module, allowed", [
    ("poly", {"ast", "shapes", "order"}),
    ("engine", {"ast", "errors", "shapes", "order", "poly", "sharing"}),
])
def test_the_engine_imports_no_rule_module(module, allowed):
    """Imports run one way: poly <- engine <- rule modules (which register into the engine)."""
    tree = pyast.parse(Path(simplify.__file__).with_name(f"{module}.py").read_text())
    imported = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.ImportFrom) and node.level:
            imported |= {node.module} if node.module else {a.name for a in node.names}
    assert imported <= allowed, f"{module}.py imports {sorted(imported - allowed)}"
