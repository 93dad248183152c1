"""Fast numeric code: a Python function of numpy arrays generated from the AST.

The source is built from the tree alone (never from user text): variables become a0, a1,
... (so a variable named `np` or `os` is harmless), numbers are written by `repr(float)`,
and function names come from a fixed table. The DAG gives common subexpressions for free:
each distinct node is one assignment. Products of three or more matrices go to
`numpy.linalg.multi_dot`, which orders them for the fewest flops given the actual sizes
(X'*(X*w), not (X'*X)*w). A diagonal never becomes an n x n array when it multiplies:
diag(v)*A is a row scaling `v * A`, A*diag(v) a column scaling `A * v.T`.

Values are checked and converted by the same binder as `evaluate`, so errors read the same.
"""

import math

import numpy as np

from . import ast, dims
from .errors import EvaluationError, UnsupportedError
from .evaluate import (ELEMENTWISE, bind_dimensions, commutation_matrix, logsumexp, softmax,
                       warn_not_finite, _inverse, _logdet, _matrix_power)
from .shapes import as_pair, product_chains, shape_of

_NUMPY = {
    "exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "abs": "np.abs", "sign": "np.sign",
    "sin": "np.sin", "cos": "np.cos", "tan": "np.tan", "arcsin": "np.arcsin",
    "arccos": "np.arccos", "arctan": "np.arctan", "tanh": "np.tanh",
}


def _is_diagonal_matrix(node):
    return isinstance(node, ast.Diag) and len(shape_of(node.arg)) == 1


class _Writer:
    def __init__(self):
        self.lines = []
        self.names = {}          # node -> local name
        self.symbols = {}        # variable name -> argument name
        self.dims = {}           # dimension -> local name for its size
        self.count = 0

    def fresh(self):
        self.count += 1
        return f"t{self.count}"

    def emit(self, node, expression):
        name = self.fresh()
        self.lines.append(f"    {name} = {expression}")
        self.names[node] = name
        return name

    def dim(self, d):
        """The code of a dimension's size: 3, sizes['n'], (sizes['m'] * sizes['n'])."""
        coefficient, powers = dims.factors(d)
        parts = [str(coefficient)] if coefficient != 1 or not powers else []
        for name, exponent in sorted(powers.items()):
            key = dims.Dim(name)
            if key not in self.dims:
                self.dims[key] = f"sizes[{name!r}]"
            parts += [self.dims[key]] * exponent
        return parts[0] if len(parts) == 1 else "(" + " * ".join(parts) + ")"


def _scalar(node):
    return shape_of(node) == ()


def _product(writer, node):
    """A product: scalars multiplied once, diagonals as scalings, each chain by multi_dot;
    a chain that closes at 1 x 1 is one more scalar (shapes.product_chains)."""
    negative, factors = False, []
    for child in node.children:
        while isinstance(child, ast.Neg):          # a sign goes to the scalar, never to X'
            negative, child = not negative, child.arg
        factors.append(child)
    scalar_nodes, chains = product_chains(factors)
    scalars = ["-1.0"] if negative else []
    scalars += [writer.names[s] for s in scalar_nodes]
    scalars += [f"_scalarize({_chain_expression(writer, chain)})"
                for chain, closed in chains if closed]
    if len(scalars) > MAX_OPERANDS:
        scalars = [_split(writer, [scalars[0]] + [f" * {x}" for x in scalars[1:]])]
    if not chains or chains[-1][1]:
        return " * ".join(scalars) if scalars else "1.0"
    chain = _chain_expression(writer, chains[-1][0])
    return chain if not scalars else f"({' * '.join(scalars)}) * {chain}"


MAX_OPERANDS = 64      # Python's compiler recurses on long a + b + ... lines


def _split(writer, pieces):
    """pieces[0] + pieces[1] + ... ('+ x', '- x', '* x'), over several lines when long."""
    text = pieces[0]
    for start in range(1, len(pieces), MAX_OPERANDS):
        chunk = "".join(pieces[start:start + MAX_OPERANDS])
        if start + MAX_OPERANDS < len(pieces):
            name = writer.fresh()
            writer.lines.append(f"    {name} = {text}{chunk}")
            text = name
        else:
            text += chunk
    return text


def _chain_expression(writer, factors):
    if len(factors) == 2 and len(shape_of(factors[0])) == 1 and \
            as_pair(shape_of(factors[1]))[0] == 1:
        # an outer product u*v': broadcasting beats a rank-1 matrix product
        return f"({writer.names[factors[0]]} * {writer.names[factors[1]]})"
    operands, i = [], 0
    while i < len(factors):
        child = factors[i]
        if _weighted_gram_at(factors, i):
            operands.append(f"_weighted_gram({writer.names[factors[i + 2]]}, "
                            f"{writer.names[factors[i + 1].arg]})")
            i += 3
            continue
        if _is_diagonal_matrix(child):
            vector = writer.names[child.arg]
            if i + 1 < len(factors) and not _is_diagonal_matrix(factors[i + 1]):
                operands.append(f"({vector} * {writer.names[factors[i + 1]]})")  # rows
                i += 2
                continue
            if operands:
                operands.append(f"({operands.pop()} * {vector}.T)")            # columns
                i += 1
                continue
            operands.append(f"np.diagflat({vector})")
            i += 1
            continue
        if _small_power(child) and child not in writer.names:
            # A^k inside a product: k operands, so that multi_dot can order A*(A*x)
            operands.extend([writer.names[child.base]] * int(child.exponent.value))
            i += 1
            continue
        operands.append(writer.names[child])
        i += 1
    if len(operands) == 1:
        return operands[0]
    if len(operands) == 2:
        return f"({operands[0]} @ {operands[1]})"
    return f"_chain([{', '.join(operands)}])"


SMALL_POWER = 8          # A^k with k up to this is multiplied out inside a product chain


def _small_power(node):
    return isinstance(node, ast.Power) and not _scalar(node.base) and \
        isinstance(node.exponent, ast.Number) and node.exponent.value.denominator == 1 and \
        1 < node.exponent.value <= SMALL_POWER


def _weighted_gram_at(factors, i):
    """Do factors i, i+1, i+2 read A' * diag(v) * A?"""
    if i + 2 >= len(factors):
        return False
    first, middle, last = factors[i:i + 3]
    return isinstance(first, ast.Transpose) and first.arg is last and \
        _is_diagonal_matrix(middle) and len(shape_of(last)) == 2


def _weighted_gram(a, v):
    """a' * diag(v) * a. With v >= 0 (as in every Gauss-Newton or logistic Hessian) it is
    z' * z for z = sqrt(v) .* a, which numpy hands to BLAS's symmetric rank-k update: half
    the flops of the general product, and exactly symmetric. Otherwise a' * (v .* a)."""
    if v.size and v.min() >= 0:              # a NaN compares false: the general product
        z = np.sqrt(v) * a
        return z.T @ z
    return a.T @ (v * a)


# operations whose code is one template over the children's names
_TEMPLATES = {
    ast.Div: "{0} / {1}",
    ast.Hadamard: "{0} * {1}",
    ast.ElemDiv: "{0} / {1}",
    ast.Sum: "np.sum({0})",
    ast.Kron: "np.kron({0}, {1})",
    ast.Softmax: "_softmax({0})",
    ast.LogSumExp: "_logsumexp({0})",
    ast.Norm1: "np.sum(np.abs({0}))",
    ast.Norm2: "np.sqrt(np.sum(np.square({0})))",
}


def _line(writer, node):
    kids = [writer.names.get(c) for c in node.children]
    if isinstance(node, ast.Symbol):
        return writer.symbols[node.name]
    if isinstance(node, ast.Number):
        return repr(float(node.value))
    if isinstance(node, ast.Identity):
        return f"np.eye({writer.dim(node.n)})"
    if isinstance(node, ast.Fill):
        rows, cols = (writer.dim(d) for d in as_pair(node.shape))
        return f"np.full(({rows}, {cols}), float({kids[0]}))"
    if isinstance(node, ast.Add):
        pieces = [kids[0]] + [f" - {writer.names[child.arg]}" if isinstance(child, ast.Neg)
                              else f" + {kid}"
                              for child, kid in zip(node.children[1:], kids[1:])]
        return _split(writer, pieces)
    if isinstance(node, ast.Neg):
        return f"-{kids[0]}"
    if isinstance(node, ast.Mul):
        return _product(writer, node)
    if type(node) in _TEMPLATES:
        return _TEMPLATES[type(node)].format(*kids)
    if isinstance(node, ast.Power):
        if _scalar(node.base):
            return f"np.power({kids[0]}, {kids[1]})"
        return f"_matrix_power(None, {kids[0]}, int({kids[1]}))"
    if isinstance(node, ast.ElemPower):
        exponent = node.exponent
        if isinstance(exponent, ast.Number) and exponent.value == 2:
            return f"np.square({kids[0]})"
        return f"np.power({kids[0]}, {kids[1]})"
    if isinstance(node, ast.Transpose):
        return kids[0] if _scalar(node) else f"{kids[0]}.T"
    if isinstance(node, ast.Trace):
        return f"np.trace({kids[0]})" if not _scalar(node.arg) else kids[0]
    if isinstance(node, ast.Det):
        return f"np.linalg.det({kids[0]})" if not _scalar(node.arg) else kids[0]
    if isinstance(node, ast.LogDet):
        return f"_logdet({kids[0]})" if not _scalar(node.arg) else f"np.log({kids[0]})"
    if isinstance(node, ast.Inverse):
        return f"_inverse(None, {kids[0]})" if not _scalar(node.arg) else f"1.0 / {kids[0]}"
    if isinstance(node, ast.Diag):
        if _scalar(node.arg):
            return kids[0]
        if len(shape_of(node.arg)) == 1:
            return f"np.diagflat({kids[0]})"
        return f"np.diag({kids[0]}).reshape(-1, 1).copy()"
    if isinstance(node, ast.Vec):
        return f"np.reshape({kids[0]}, (-1, 1), order='F')" if not _scalar(node.arg) else kids[0]
    if isinstance(node, ast.Unvec):
        rows, cols = (writer.dim(d) for d in node.shape)
        return f"np.reshape({kids[0]}, ({rows}, {cols}), order='F')"
    if isinstance(node, ast.Commutation):
        return f"_commutation({writer.dim(node.m)}, {writer.dim(node.n)})"
    if isinstance(node, ast.Elementwise):
        if node.name in _NUMPY:
            return f"{_NUMPY[node.name]}({kids[0]})"
        return f"_elementwise[{node.name!r}]({kids[0]})"
    raise UnsupportedError(f"cannot compile {type(node).__name__}")


# ----------------------------------------------------------------- one blocked pass over X
# X'*g(X*u, ...) with g acting row by row (elementwise on n-vectors) reads X twice when
# written plainly: once for X*u, once for X'*r. Computed in blocks of rows that stay in
# cache, the product reads X once: acc += X[b]' * g(X[b]*u, y[b], ...).

BLOCK_BYTES = 4 << 20         # rows of X per block: about 4 MB, measured best here


def _row_local(node, data, rows, parents, inside):
    """Is `node` an n-vector computed row by row from X*u, n-vectors and globals?"""
    if shape_of(node) != (rows,):
        return False
    if isinstance(node, ast.Symbol):
        return node is not data
    if isinstance(node, ast.Mul):
        vectors = [c for c in node.children if not _scalar(c)]
        if len(vectors) == 2 and vectors[0] is data and not _contains(vectors[1], data):
            return True
        return len(vectors) == 1 and _row_local_child(vectors[0], data, rows, parents, inside)
    if isinstance(node, (ast.Add, ast.Hadamard, ast.ElemDiv, ast.ElemPower, ast.Neg,
                         ast.Elementwise, ast.Div)):
        return all(_scalar(c) and not _contains(c, data) or
                   _row_local_child(c, data, rows, parents, inside) for c in node.children)
    return False


def _row_local_child(child, data, rows, parents, inside):
    if not _row_local(child, data, rows, parents, inside):
        return False
    inside.add(child)
    return True


def _contains(node, target):
    return any(n is target for n in ast.postorder(node))


def fusable(node, parents):
    """(data X, row vector r, scalars) when node = scalars * X' * r can be one blocked pass."""
    if not isinstance(node, ast.Mul):
        return None
    factors = [c for c in node.children]
    *head, left, right = factors if len(factors) >= 2 else (None, None)
    if not all(_scalar(h) for h in head):
        return None
    while isinstance(left, ast.Neg):
        left = left.arg
    if not (isinstance(left, ast.Transpose) and isinstance(left.arg, ast.Symbol)):
        return None
    data = left.arg
    if len(shape_of(data)) != 2:
        return None
    rows = shape_of(data)[0]
    inside = {right}
    if not _row_local(right, data, rows, parents, inside):
        return None
    # every absorbed n-vector must be used only inside this product
    for n in inside:
        if any(p not in inside and p is not node for p in parents.get(n, ())):
            return None
    return data, right, inside


def _emit_blocked(writer, node, data, vector, inside):
    """node = scalars * data' * vector as one pass over data's rows.

    Data that fits in one block (the common small case) skips the loop and its
    accumulator: the same body runs once over the whole matrix.
    """
    d = writer.names[data]
    negative = False
    scalars = []
    for child in node.children[:-2]:
        scalars.append(writer.names[child])
    factor = node.children[-2]
    while isinstance(factor, ast.Neg):
        negative, factor = not negative, factor.arg
    if negative:
        scalars.insert(0, "-1.0")
    acc = writer.fresh()
    whole = _block_body(writer, data, vector, inside, d, "", "        ")
    blocked = _block_body(writer, data, vector, inside, f"{d}[s:e]", "[s:e]", "            ")
    writer.lines.extend(
        [f"    step = max(64, {BLOCK_BYTES} // (8 * max(1, {d}.shape[1])))",
         f"    if {d}.shape[0] <= step:"] + whole[0] +
        [f"        {acc} = {d}.T @ {whole[1]}",
         "    else:",
         f"        {acc} = np.zeros(({d}.shape[1], 1))",
         f"        for s in range(0, {d}.shape[0], step):",
         "            e = s + step"] + blocked[0] +
        [f"            {acc} += {d}[s:e].T @ {blocked[1]}"])
    result = acc if not scalars else f"({' * '.join(scalars)}) * {acc}"
    return writer.emit(node, result)


def _block_body(writer, data, vector, inside, block, rows, indent):
    """(lines, name of the vector) computing `vector` over `block`, the rows of data
    selected by `rows` ('' for all, '[s:e]' for one block)."""
    saved = dict(writer.names)
    writer.names[data] = block
    body = []
    for n in ast.postorder(vector):
        if n not in inside:
            continue
        if isinstance(n, ast.Symbol):              # an n-vector: its rows of this block
            writer.names[n] = f"{writer.symbols[n.name]}{rows}"
        elif isinstance(n, (ast.Number, ast.Transpose, ast.Neg)):
            writer.names[n] = f"({_line(writer, n)})"
        else:
            outer, writer.lines = writer.lines, []     # lines a long sum splits off
            text = _line(writer, n)
            body.extend(indent + line[4:] for line in writer.lines)
            writer.lines = outer
            name = writer.fresh()
            body.append(f"{indent}{name} = {text}")
            writer.names[n] = name
    result = writer.names[vector]
    writer.names = saved
    return body, result


def _finite(value):
    return math.isfinite(value) if type(value) is float or type(value) is np.float64 \
        else bool(np.isfinite(value).all())


def _scalarize(value):
    return float(np.asarray(value).reshape(-1)[0]) if np.ndim(value) else float(value)


def _chain(operands):
    """The fewest-flops order for the actual sizes (numpy's dynamic programming)."""
    return np.linalg.multi_dot(operands)


def generate(roots):
    """(source, symbols) of a function `compiled(arrays, sizes)` returning the roots' values."""
    writer = _Writer()
    symbols = []
    for root in roots:
        for node in ast.postorder(root):
            if isinstance(node, ast.Symbol) and node.name not in writer.symbols:
                writer.symbols[node.name] = f"a{len(writer.symbols)}"
                symbols.append(node)
    parents = {}
    for root in roots:
        for node in ast.postorder(root):
            for child in node.children:
                parents.setdefault(child, []).append(node)
    fused, absorbed = {}, set()
    for root in roots:
        for node in ast.postorder(root):
            plan = fusable(node, parents)
            if plan is not None and not (plan[2] & absorbed):
                fused[node] = plan
                absorbed |= plan[2]
    for root in roots:
        for node in ast.postorder(root):
            if node in writer.names or node in absorbed:
                continue
            if node in fused:
                data, vector, inside = fused[node]
                _emit_blocked(writer, node, data, vector, inside)
                continue
            if isinstance(node, ast.Symbol):
                writer.names[node] = writer.symbols[node.name]
                continue
            if _is_diagonal_matrix(node) and _only_multiplied(node, roots):
                continue                 # never materialized: its products scale instead
            if _small_power(node) and _only_multiplied(node, roots):
                continue                 # multiplied out where it is used (_chain_expression)
            if isinstance(node, (ast.Number, ast.Transpose, ast.Neg)) and node not in roots:
                # inline where used: a literal, a view, or a sign that Add and Mul absorb
                writer.names[node] = f"({_line(writer, node)})"
                continue
            writer.emit(node, _line(writer, node))
    arguments = ", ".join(writer.symbols[s.name] for s in symbols)
    header = f"def compiled({arguments}{', ' if arguments else ''}sizes):"
    results = ", ".join(writer.names[r] for r in roots)
    source = "\n".join([header] + writer.lines + [f"    return ({results},)"])
    return source, symbols, list(writer.dims)


def _only_multiplied(node, roots):
    """True when every use of this diag(v) is as a factor of a product."""
    for root in roots:
        for parent in ast.postorder(root):
            if node in parent.children and not isinstance(parent, ast.Mul):
                return False
    return not any(node is root for root in roots)


class Compiled:
    """A compiled expression: call with a mapping or keywords; `.source` shows the code."""

    def __init__(self, roots, extra_sizes=None):
        self.roots = roots
        self.extra_sizes = extra_sizes        # values -> sizes fixed by declared names
        self.source, self.symbols, self.dimensions = generate(roots)
        namespace = {"np": np, "_scalarize": _scalarize, "_chain": _chain,
                     "_weighted_gram": _weighted_gram, "_logdet": _logdet,
                     "_inverse": _inverse, "_matrix_power": _matrix_power,
                     "_softmax": softmax, "_logsumexp": logsumexp,
                     "_commutation": commutation_matrix,
                     "_elementwise": ELEMENTWISE}
        exec(compile(self.source, "<matcalc.compile>", "exec"), namespace)   # AST-built code
        self._function = namespace["compiled"]
        self.shapes = [shape_of(r) for r in roots]
        single = len(roots) == 1
        self._single = None if not single else _finisher(self.shapes[0])
        self._quiet = not any(_may_warn(n) for root in roots for n in ast.postorder(root))

    def __call__(self, values=None, **kwargs):
        values = dict(values or {}, **kwargs) if kwargs else (values or {})
        arguments = self._known_arguments(values)
        if arguments is None:
            arguments = self._arguments(values)
        if self._quiet:
            results = self._function(*arguments)
        else:
            with np.errstate(all="ignore"):     # log(0), 0/0 ...: inf and nan, as evaluate
                results = self._function(*arguments)
            if not all(_finite(r) for r in results):   # name where it came from (slow path)
                warn_not_finite(self.roots, values, arguments[-1])
        if self._single is not None:
            return self._single(results[0])
        return tuple(_finisher(shape)(value) for value, shape in zip(results, self.shapes))

    def _known_arguments(self, values):
        """The arguments without checks when every value is a float64 array of exactly the
        shape the last checked call had (those checks passed for exactly these shapes);
        None otherwise, and the full check runs."""
        if self._last is None:
            return None
        arguments = []
        try:
            for name, shape, column in self._last:
                value = values[name]
                if shape is None:                      # a scalar given as a float
                    if type(value) is not float:
                        return None
                    arguments.append(np.float64(value))
                    continue
                if type(value) is not np.ndarray or value.dtype is not _FLOAT64 or \
                        value.shape != shape:
                    return None
                arguments.append(value if column is None else value.reshape(column))
        except KeyError:
            return None
        arguments.append(self._last_sizes)
        return arguments

    def _arguments(self, values):
        """Checked 2-D arguments and the sizes; remembers the shapes for the next call."""
        arrays, sizes = bind_dimensions(self.symbols, values)
        if self.extra_sizes is not None and any(d not in sizes for d in self.dimensions):
            for dim, size in self.extra_sizes(values).items():
                sizes.setdefault(dim, size)
        for dim in self.dimensions:
            if dim not in sizes:
                raise EvaluationError(f"the size {dim} is not fixed by any value given")
        arguments = [arrays[s.name] if s.declared_shape else np.float64(arrays[s.name][0, 0])
                     for s in self.symbols]
        self._last = None
        if not any(s.symmetric for s in self.symbols):     # symmetry depends on the values
            plan = [_fast_plan(values.get(s.name), a) for s, a in zip(self.symbols, arguments)]
            if all(p is not None for p in plan):
                self._last = [(s.name,) + p for s, p in zip(self.symbols, plan)]
                self._last_sizes = sizes
        return arguments + [sizes]

    _last = None              # [(name, shape of the value, 2-D shape or None)] last checked
    _last_sizes = None


_FLOAT64 = np.dtype(np.float64)

# operations that produce inf or nan from finite values (numpy warns on them; evaluate does
# not); sums and products of finite values warn only past 1e308, and then numpy says so
_WARNING_FREE = (ast.Symbol, ast.Number, ast.Identity, ast.Fill, ast.Add, ast.Neg, ast.Mul,
                 ast.Hadamard, ast.Transpose, ast.Trace, ast.Sum, ast.Diag, ast.Norm1,
                 ast.Kron, ast.Vec, ast.Unvec, ast.Commutation, ast.Softmax, ast.LogSumExp)


def _may_warn(node):
    if isinstance(node, ast.ElemPower) or isinstance(node, ast.Power):
        return not (isinstance(node.exponent, ast.Number) and node.exponent.value > 0 and
                    node.exponent.value.denominator == 1)
    if isinstance(node, ast.Elementwise):
        return node.name not in ("abs", "sign", "sin", "cos", "tanh", "arctan")
    return not isinstance(node, _WARNING_FREE)


def _fast_plan(value, argument):
    """(shape, reshape) with which a later value of the same kind becomes `argument` with
    no checks, or None when the value needs converting (lists, integers, 1 x 1 arrays)."""
    if type(value) is float and np.ndim(argument) == 0:
        return None, None
    if type(value) is not np.ndarray or value.dtype is not _FLOAT64:
        return None
    if value.shape == argument.shape:
        return value.shape, None
    if value.ndim == 1 and argument.ndim == 2:
        return value.shape, argument.shape
    return None


def _finisher(shape):
    """The conversion of a raw result to what evaluate returns for this shape."""
    if shape == ():
        return _scalarize
    if len(shape) == 1:
        return _flatten
    return np.asarray


def _flatten(value):
    return np.asarray(value).reshape(-1)
