"""The compiler's mutants: each rewrite of matcalc/codegen disabled or perturbed, one at a time.

A mutant is one or more edits of the compiler, applied through a pytest MonkeyPatch (so the
compiler carries no hooks for them, and undoing the patch restores it):
- `Edit(where, key, old, new)` replaces the snippet `old` by `new`, which must occur exactly
  once (a mutant whose snippet the compiler no longer has fails, and is rewritten with it).
  `where` is a module or class and `key` a function's name: the function is compiled again
  from its edited source and put in place of the original wherever the compiler refers to
  it. Or `where` is a dict of templates or helpers (a dialect's `ops`, emit's `_SYNTAX`) and
  `key` an entry, whose text is edited.
- `Swap(where, key, value)` puts a value in place of a constant or an entry.

Most mutants keep the generated code running but wrong (a dropped transpose, rows scaled for
columns, a solve with A', a chain's factors reversed, a block of the row pass left out, a
sign lost); those marked `disabled` turn a rewrite off, which changes only speed, so that a
suite which checks numbers alone cannot see them. `tests/test_compiler_mutants.py` checks
that each is killed by a corpus of compiled-vs-evaluate checks; `tests/mutate.py` (`make
mutate`) runs the existing suite against each.

Loaded as a pytest plugin (`pytest -p mutants`, tests/ on the path), it applies the mutant
named by $MATCALC_MUTANT to the whole run.
"""

import inspect
import linecache
import os
import textwrap
from typing import NamedTuple

import pytest

from matcalc import codegen
from matcalc.codegen import dialects, emit, plan, rowpass, runtime, specialize
from matcalc.codegen.dialects import DASK, JAX, NUMPY, TORCH

ALL = ("numpy", "numba", "jax", "torch", "dask")
_MODULES = (codegen, plan, rowpass, emit, dialects, runtime, specialize)


class Edit(NamedTuple):
    where: object
    key: str
    old: str
    new: str


class Swap(NamedTuple):
    where: object
    key: object
    value: object


class Mutant(NamedTuple):
    name: str
    rewrite: str              # the family of checks that must kill it
    perturbs: str             # what it does, for the table
    edits: tuple
    backends: tuple = ALL     # where the change can be seen
    disabled: bool = False    # the rewrite off: right numbers, lost structure
    needs_threads: int = 1    # numba threads the change needs to show (a chunk per thread)


def _mutant(name, rewrite, perturbs, *edits, backends=ALL, disabled=False, needs_threads=1):
    return Mutant(name, rewrite, perturbs, edits, backends, disabled, needs_threads)


# ----------------------------------------------------------------- applying one

def apply(mutant, patch):
    """Make the mutant's edits through `patch` (a pytest MonkeyPatch)."""
    for edit in mutant.edits:
        if isinstance(edit, Swap):
            _put(patch, edit.where, edit.key, edit.value)
            continue
        current = edit.where[edit.key] if isinstance(edit.where, dict) else \
            vars(edit.where)[edit.key]
        if isinstance(current, str):
            _put(patch, edit.where, edit.key, _replaced(current, edit, mutant.name))
        else:
            _replace_everywhere(patch, current, _recompiled(current, edit, mutant.name))


def _replaced(text, edit, name):
    if text.count(edit.old) != 1:
        raise AssertionError(f"mutant {name}: {edit.old!r} occurs {text.count(edit.old)} "
                             f"times in {edit.key}, not once (rewrite the mutant)")
    return text.replace(edit.old, edit.new)


def _recompiled(function, edit, name):
    """The function compiled again from its edited source, in its own module's globals;
    its text is kept in linecache, so that inspect.getsource (which pastes helpers such as
    chain_order into generated modules) reads the mutant."""
    source = _replaced(textwrap.dedent(inspect.getsource(function)), edit, name)
    filename = f"<mutant {name}: {function.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), function.__globals__, namespace)  # our own text
    return namespace[function.__name__]


def _replace_everywhere(patch, original, mutant):
    """The mutant in place of the original in the compiler's modules: their names, the
    classes' methods, and the tables (dicts, dialects' ops and helpers) that hold it."""
    for module in _MODULES:
        for name, value in list(vars(module).items()):
            if value is original:
                patch.setattr(module, name, mutant)
            tables = [value] if isinstance(value, dict) else \
                [value.ops, value.helpers] if isinstance(value, dialects.Dialect) else []
            if isinstance(value, type) and value.__module__ == module.__name__:
                for attribute, method in list(vars(value).items()):
                    if method is original:
                        patch.setattr(value, attribute, mutant)
            for table in tables:
                for key, entry in list(table.items()):
                    if entry is original:
                        patch.setitem(table, key, mutant)


def _put(patch, where, key, value):
    if isinstance(where, dict):
        patch.setitem(where, key, value)
    else:
        patch.setattr(where, key, value)


# ----------------------------------------------------------------- the mutants
# NUMPY and NUMBA share their ops and helpers: a numpy template's mutant is numba's too

def _numpy_like(backend):
    return ("numpy", "numba") if backend == "numpy" else (backend,)


MUTANTS = [
    # ------------------------------------------------------------- transposes
    _mutant("tmatmul-dropped", "transpose", "A'*B written as A*B (emit._matmul, every backend)",
            Edit(emit, "_matmul", 'return w.op("tmatmul", first, names[1])',
                 'return f"({first} @ {names[1]})"')),
    *[_mutant(f"tmatmul-{d.name}", "transpose", f"{d.name}'s A'*B template without the transpose",
              Edit(d.ops, "tmatmul", old, new), backends=_numpy_like(d.name))
      for d, old, new in ((NUMPY, "{0}.T", "{0}"), (JAX, "'ij,ik->jk'", "'ji,ik->jk'"),
                          (TORCH, "{0}.T", "{0}"), (DASK, "{0}.T", "{0}"))],
    _mutant("transpose-text-dropped", "transpose", "an inline transpose written as its argument",
            Edit(emit._SYNTAX, "transpose", "{0}.T", "{0}")),
    _mutant("stale-transposed-flag", "transpose",
            "X'*diag(v) read as X' by the product after it (issue 21's stale flag)",
            Edit(emit._Writer, "transposed", "op = self.ops.get(target)\n",
                 "op = self.ops.get(target)\n    if op is not None and op.kind == "
                 "'scale_columns':\n        op = self.ops.get(op.inputs[0])\n")),
    *[_mutant(f"jax-chain-T-{side}", "transpose",
              f"JAX's _chain drops the transpose of a marked {side} operand",
              Edit(JAX.helpers, "_chain", old, new), backends=("jax",))
      for side, old, new in (
          ("left", 'einsum("ji,jk->ik", a.x, b)', 'einsum("ij,jk->ik", a.x, b)'),
          ("right", 'einsum("ij,kj->ik", a, b.x)', 'einsum("ij,jk->ik", a, b.x)'),
          ("both", 'einsum("ji,kj->ik", a.x, b.x)', 'einsum("ij,jk->ik", a.x, b.x)'))],
    _mutant("jax-transposes-unmarked", "transpose",
            "JAX chains take A' as a transposed array, not _T(A) (slow in XLA)",
            Swap(dialects.DIALECTS, "jax", JAX._replace(marks_transposes=False)),
            backends=("jax",), disabled=True),

    # ------------------------------------------------------------- diagonals as scalings
    _mutant("scale-rows-as-columns", "scaling", "diag(v)*A written as A*diag(v)",
            Edit(emit._SYNTAX, "scale_rows", "({0} * {1})", "({0}.T * {1})")),
    _mutant("scale-columns-as-rows", "scaling", "A*diag(v) written as diag(v)*A",
            Edit(emit._SYNTAX, "scale_columns", "({0} * {1}.T)", "({1} * {0})")),
    _mutant("plan-diag-left-as-right", "scaling", "the plan makes diag(v)*A a column scaling",
            Edit(plan, "_chain", 'b.add("scale_rows", (vector, b.value(factors[i])))',
                 'b.add("scale_columns", (b.value(factors[i]), vector))')),
    _mutant("plan-diag-right-scales-first", "scaling",
            "A*B*diag(v) scales A's columns and moves it last",
            Edit(plan, "_chain", "(operands.pop(), vector)", "(operands.pop(0), vector)")),
    _mutant("outer-of-the-left", "scaling", "u*v' broadcast as u*u'",
            Edit(emit._SYNTAX, "outer", "({0} * {1})", "({0} * {0}.T)")),

    # ------------------------------------------------------------- weighted Gram X'*diag(c)*X
    _mutant("gram-weights-squared", "gram", "numpy's z = sqrt(c).*X written z = c.*X",
            Edit(NUMPY.helpers, "_weighted_gram", "np.sqrt(v) * a", "v * a"),
            backends=("numpy", "numba")),
    _mutant("gram-mixed-unweighted", "gram", "numpy's X'*(c.*X) for mixed signs drops c",
            Edit(NUMPY.helpers, "_weighted_gram", "return a.T @ (v * a)", "return a.T @ a"),
            backends=("numpy", "numba")),
    _mutant("gram-branch-test", "gram", "numpy takes sqrt(c) when any c >= 0, not all",
            Edit(NUMPY.helpers, "_weighted_gram", "v.min() >= 0", "v.max() >= 0"),
            backends=("numpy", "numba")),
    *[_mutant(f"gram-{d.name}", "gram", f"{d.name}'s weighted Gram template drops the weights",
              Edit(d.ops, "weighted_gram", "({1} * {0})", "{0}"), backends=(d.name,))
      for d in (JAX, TORCH, DASK)],
    _mutant("gram-of-any-pair", "gram", "X'*diag(c)*Y taken for Y'*diag(c)*Y",
            Edit(plan, "_weighted_gram_at", "first.arg is last and", "")),
    _mutant("gram-disabled", "gram", "X'*diag(c)*X as a scaling and a product",
            Edit(plan, "_weighted_gram_at", "if i + 2 >= len(factors):", "if True:"),
            disabled=True),

    # ------------------------------------------------------------- solves for inverses
    *[_mutant(f"solve-transposed-{d.name}", "solve", f"{d.name}'s LU solve with A' for A",
              Edit(d.ops, "solve", "{0}, {1})", "{0}.T, {1})"), backends=_numpy_like(d.name))
      for d in (NUMPY, JAX, TORCH, DASK)],
    *[_mutant(f"cholesky-wrong-triangle-{name}", "solve",
              f"{name}'s Cholesky solve reads the wrong triangle of the factor",
              Edit(where, key, old, new), backends=_numpy_like(name))
      for name, where, key, old, new in (
          ("numpy", NUMPY.helpers, "_solve_sym", "cho_solve(cho_factor(a), b)",
           "cho_solve((cho_factor(a)[0], True), b)"),
          ("jax", JAX.ops, "solve_spd", "cho_solve(jsp.linalg.cho_factor({0}), {1})",
           "cho_solve((jsp.linalg.cho_factor({0})[0], True), {1})"),
          ("torch", TORCH.helpers, "_solve_sym", "cholesky_solve(b, factor)",
           "cholesky_solve(b, factor, upper=True)"),
          ("dask", DASK.helpers, "_solve_sym", "cho_solve(cho_factor(a), b)",
           "cho_solve((cho_factor(a)[0], True), b)"))],
    _mutant("no-lu-fallback-numpy", "solve",
            "numpy's symmetric solve raises where Cholesky fails (no LU fallback)",
            Edit(NUMPY.helpers, "_solve_sym", "except np.linalg.LinAlgError:\n"
                 "        return np.linalg.solve(a, b)", "except np.linalg.LinAlgError:\n"
                 "        raise"), backends=("numpy", "numba")),
    _mutant("no-pd-check-torch", "solve",
            "torch's symmetric solve uses a failed Cholesky factor",
            Edit(TORCH.helpers, "_solve_sym", "if int(info) == 0:", "if True:"),
            backends=("torch",)),
    _mutant("every-inverse-cholesky", "solve", "a nonsymmetric A solved by Cholesky",
            Edit(plan, "_solver", 'return "solve"\n', 'return "solve_spd"\n')),
    _mutant("every-inverse-lu", "solve", "Gram and symmetric systems solved by LU",
            Edit(plan, "_solver", 'return "solve_spd" if _gram_like(canonical) else '
                 '"solve_sym"', 'return "solve"'), disabled=True),
    _mutant("gram-like-any-sign", "solve", "M'*M - c*I taken as positive definite",
            Edit(plan, "_gram_like", "if factors[0].value <= 0:", "if factors[0].value == 0:")),
    _mutant("factors-before-solve-dropped", "solve", "B*inv(A)*C computed as inv(A)*C",
            Edit(plan, "_chain", "_product_of(operands + [", "_product_of(operands[:0] + [")),
    _mutant("nested-solves-reversed", "solve", "inv(A)*inv(B)*x solved as inv(B)*inv(A)*x",
            Edit(plan, "_chain", "solved.pop()", "solved.pop(0)")),

    # ------------------------------------------------------------- powers
    _mutant("power-one-short", "power", "A^k multiplied out as k - 1 factors",
            Edit(plan, "_chain", "* int(child.exponent.value)",
                 "* (int(child.exponent.value) - 1)")),
    _mutant("negative-power-not-inverted", "power", "A^-k computed as A^k",
            Edit(plan, "_power", "node.base if k > 0 else ast.Inverse(node.base)", "node.base")),

    # ------------------------------------------------------------- product chains
    _mutant("chain-reversed", "chain", "a chain of 3+ factors multiplied in reverse",
            Edit(plan, "_product_of", "tuple(operands), {}",
                 "tuple(operands[::-1] if len(operands) > 2 else operands), {}")),
    _mutant("chain-first-two-swapped", "chain", "a product's first two factors swapped",
            Edit(plan, "_product_of", "tuple(operands), {}",
                 "(operands[1], operands[0], *operands[2:]), {}")),
    *[_mutant(f"chain-left-to-right-{d.name}", "chain",
              f"{d.name}'s chains multiplied left to right (not the fewest flops)",
              Edit(d.ops, "chain", f"{d.namespace}.linalg.multi_dot([{{0}}])",
                   f"__import__('functools').reduce({d.namespace}.matmul, [{{0}}])"),
              backends=_numpy_like(d.name), disabled=True) for d in (NUMPY, TORCH)],
    _mutant("chain-order-worst", "chain", "chain_order picks the most flops (JAX, Dask, given)",
            Edit(dialects, "chain_order", "= min(", "= max("), backends=("jax", "dask"),
            disabled=True),
    _mutant("chain-misordered-jax", "chain", "JAX's _chain multiplies its halves swapped",
            Edit(JAX.helpers, "_chain", "return product(ordered(i, split[i][j]), "
                 "ordered(split[i][j] + 1, j))", "return product(ordered(split[i][j] + 1, j), "
                 "ordered(i, split[i][j]))"), backends=("jax",)),
    _mutant("chain-misordered-dask", "chain", "Dask's _chain multiplies its halves swapped",
            Edit(DASK.helpers, "_chain", "return product(i, m) @ product(m + 1, j)",
                 "return product(m + 1, j) @ product(i, m)"), backends=("dask",)),

    # ------------------------------------------------------------- the blocked pass over rows
    _mutant("rowpass-last-block-dropped", "rowpass", "the last, partial block of rows left out",
            Edit(rowpass, "write", "range(0, {d}.shape[0], step)",
                 "range(0, {d}.shape[0] - step + 1, step)")),
    _mutant("rowpass-first-block-dropped", "rowpass", "the first block of rows left out",
            Edit(rowpass, "write", "range(0, {d}.shape[0], step)",
                 "range(step, {d}.shape[0], step)")),
    _mutant("rowpass-block-overwrites", "rowpass", "each block replaces the sum (acc = ...)",
            Edit(rowpass, "write", "{acc} += {d}[s:e].T", "{acc} = {d}[s:e].T")),
    _mutant("rowpass-block-short", "rowpass", "each block one row short",
            Edit(rowpass, "write", "e = s + step\"", "e = s + step - 1\"")),
    _mutant("rowpass-sign-dropped", "rowpass", "-X'*g(X*w) passed as X'*g(X*w)",
            Edit(plan._Builder, "rowpass", "negative, factor = not negative, factor.arg",
                 "negative, factor = negative, factor.arg")),
    _mutant("rowpass-scalars-dropped", "rowpass", "c*X'*g(X*w) passed as X'*g(X*w)",
            Edit(plan._Builder, "rowpass", "scalars = [self.value(child) for child in "
                 "node.children[:-2]]", "scalars = []")),
    _mutant("rowpass-disabled", "rowpass", "X'*g(X*w) read X twice, no pass",
            Edit(rowpass, "fusable", "if not isinstance(node, ast.Mul) or "
                 "len(node.children) < 2:", "if True:"), disabled=True),

    # ------------------------------------------------------------- the numba kernel
    _mutant("kernel-last-rows-dropped", "kernel",
            "rows split among threads rounding down: the last rows left out",
            Edit(rowpass, "_kernel", "chunk = (n + parts - 1) // parts", "chunk = n // parts"),
            backends=("numba",), needs_threads=2),
    _mutant("kernel-accumulator-overwritten", "kernel", "acc[part, j] = ... for +=",
            Edit(rowpass, "_kernel", "acc[part, j] +=", "acc[part, j] ="), backends=("numba",)),
    _mutant("kernel-row-product-overwritten", "kernel", "row i times u keeps the last term",
            Edit(rowpass, "_kernel", "{local} += data[i, j]", "{local} = data[i, j]"),
            backends=("numba",)),
    _mutant("kernel-sign-dropped", "kernel", "a negated scaling in a row computed unsigned",
            Edit(rowpass, "_scalar_code", '(["-1.0"] if op.get("negate") else [])', "[]"),
            backends=("numba",)),
    _mutant("kernel-sum-signs", "kernel", "a - b in a row computed a + b",
            Edit(rowpass, "_scalar_code", 'f" {sign} ({k})"', 'f" + ({k})"'),
            backends=("numba",)),
    _mutant("kernel-literal-sign", "kernel", "a negative literal read by the kernel unsigned",
            Edit(rowpass, "_kernel", 'return repr(outer.get("value"))',
                 'return repr(abs(outer.get("value")))'), backends=("numba",)),
    _mutant("kernel-disabled", "kernel", "no kernel: numba runs numpy's blocks",
            Edit(rowpass, "kernel_ready", "defined = set()", "return False"),
            backends=("numba",), disabled=True),

    # ------------------------------------------------------------- given values
    _mutant("given-group-reversed", "given", "a run of given factors B*C stored as C*B",
            Edit(specialize, "_group_chain", "group = ast.Mul(*chain[i:j])",
                 "group = ast.Mul(*chain[i:j][::-1])")),
    _mutant("given-stored-values-swapped", "given", "stored values given to the wrong names",
            Edit(specialize.Bound, "__init__", "zip(stored, results)",
                 "zip(stored, results[::-1])")),
    _mutant("given-stored-sign-dropped", "given", "-C read as C where C is stored",
            Edit(specialize.Bound, "__init__", "replacements[node] = ast.Symbol(",
                 "replacements[node] = replacements[ast.Neg(node)] = ast.Symbol(")),
    _mutant("given-form-most-costly", "given", "the simplifier form with more flops per call",
            Edit(specialize.Bound, "__init__", "min(costed, key=", "max(costed, key="),
            disabled=True),
    _mutant("given-never-grouped", "given", "given factors never grouped (X'*X*w per call)",
            Edit(specialize, "_group_chain", "if after < before:", "if False:"), disabled=True),

    # ------------------------------------------------------------- literals, folding, signs
    _mutant("literal-sign-dropped", "literal", "a literal written without its sign",
            Swap(emit._CODE, "literal", lambda w, op, names: repr(abs(op.get("value"))))),
    _mutant("folded-sign-dropped", "literal", "a constant scalar (log(0.5)) folded unsigned",
            Edit(plan, "_folded", "value = float(evaluate(node, {}))",
                 "value = abs(float(evaluate(node, {})))")),
    # folding matters where a library takes no Python float (torch: log(0.5) must be a
    # number before it sees it); elsewhere the unfolded code is right
    _mutant("folding-disabled", "literal", "constant scalars computed per call (exp(2))",
            Edit(plan, "_folded", "if node not in constant or", "if True or"),
            backends=("torch",)),
    _mutant("product-sign-dropped", "sign", "a sign on a product's factor lost",
            Edit(plan, "_product", "negative, child = not negative, child.arg",
                 "negative, child = negative, child.arg")),
    _mutant("scale-negate-ignored", "sign", "a scaling's absorbed sign not written",
            Edit(emit, "_scale", '(["-1.0"] if op.get("negate") else [])', "[]")),
    _mutant("sum-signs-ignored", "sign", "a - b written a + b",
            Edit(emit, "_sum", 'f" {sign} {name}"', 'f" + {name}"')),

    # ------------------------------------------------------------- long sums, deep nesting
    _mutant("split-drops-a-term", "split", "a long sum split losing one term per run",
            Edit(plan, "_split", "[combine(pieces[:MAX_OPERANDS + 1])]",
                 "[combine(pieces[:MAX_OPERANDS])]")),
    _mutant("split-run-signs-lost", "split", "the signs of a split run of terms lost",
            Edit(plan, "_sum", "signs=tuple(s for s, _ in run)",
                 'signs=tuple("+" for s, _ in run)')),
    _mutant("split-product-sign-lost", "split", "the sign of a split long product lost",
            Edit(plan, "_product", "negate=negate, matrix=False", "negate=False, matrix=False")),
    _mutant("nesting-unbounded", "split", "inline code nested past Python's parser limit",
            Swap(emit, "MAX_NESTING", 10 ** 6)),
]

BY_NAME = {m.name: m for m in MUTANTS}
assert len(BY_NAME) == len(MUTANTS), "two mutants share a name"


# ----------------------------------------------------------------- as a pytest plugin

_session = {}


def pytest_configure(config):
    """Under `pytest -p mutants`: the mutant named by $MATCALC_MUTANT, for the whole run."""
    name = os.environ.get("MATCALC_MUTANT")
    if name:
        _session["patch"] = pytest.MonkeyPatch()
        apply(BY_NAME[name], _session["patch"])


def pytest_unconfigure(config):
    if "patch" in _session:
        _session.pop("patch").undo()


def pytest_report_header(config):
    name = os.environ.get("MATCALC_MUTANT")
    return f"matcalc mutant: {name}" if name else None

