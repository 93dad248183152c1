"""Fast numeric code: a Python module generated from the AST, for numpy, JAX, PyTorch or Dask.

The source is built from the tree alone (never from user text): variables become a0, a1,
... (so a variable named `np` or `os` is harmless), numbers are written by `repr(float)`,
and function names come from a fixed table, the backend's `Dialect` (backends.py). The DAG
gives common subexpressions for free: each distinct node is one assignment. Products of
three or more matrices go to the library's multi_dot (or, for Dask, the same dynamic
program), which orders them for the fewest flops given the actual sizes (X'*(X*w), not
(X'*X)*w). A diagonal never becomes an n x n array when it multiplies: diag(v)*A is a row
scaling `v * A`, A*diag(v) a column scaling `A * v.T`. An inverse followed by more factors
is a linear solve, never an inverse: inv(X'*X)*X'*y is solve(X'*X, X'*y), by Cholesky where
the matrix is symmetric (a Gram matrix: always).

Values are checked and converted by the same binder as `evaluate`, so errors read the same.
"""

import re

from .. import ast, dims, registry
from ..errors import UnsupportedError
from ..shapes import as_pair, product_chains, shape_of
from ..simplify import expanded, transpose_node
from . import rowpass
from .dialects import KERNEL_SCALAR, NUMPY, spelling


def _is_diagonal_matrix(node):
    return isinstance(node, ast.Diag) and len(shape_of(node.arg)) == 1


class _Writer:
    def __init__(self, dialect=NUMPY):
        self.dialect = dialect
        self.lines = []
        self.names = {}          # node -> local name
        self.symbols = {}        # variable name -> argument name
        self.dims = {}           # dimension -> local name for its size
        self.count = 0
        self.kernels = []        # module-level functions (numba kernels) the body calls

    def fresh(self):
        self.count += 1
        return f"t{self.count}"

    def op(self, name, *args):
        """The backend's code for an operation on already-named operands."""
        return self.dialect.ops[name].format(*args)

    def call(self, record, *args, scalar=False):
        """The backend's code for a registered function of named operands (of scalars:
        its scalar form, tr(a) = a)."""
        return spelling(record, self.dialect, scalar=scalar).format(*args)

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
    scalars += [writer.op("scalarize", _chain_expression(writer, chain))
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
    operands, transposed, i = [], {}, 0
    while i < len(factors):
        child = factors[i]
        if _weighted_gram_at(factors, i):
            a, v = writer.names[factors[i + 2]], writer.names[factors[i + 1].arg]
            operands.append(f"_weighted_gram({a}, {v})" if writer.dialect.rank_k
                            else writer.op("tmatmul", a, f"({v} * {a})"))
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
            operands.append(writer.op("diagflat", vector))
            i += 1
            continue
        if isinstance(child, ast.Inverse) and child not in writer.names and \
                i + 1 < len(factors):
            # inv(A)*B: a linear solve, never the inverse itself (see _solved_inverses)
            rest = _chain_expression(writer, factors[i + 1:])
            operands.append(writer.op(_solver(child.arg), writer.names[child.arg], rest))
            break
        if _small_power(child) and child not in writer.names:
            # A^k inside a product: k operands, so that multi_dot can order A*(A*x)
            operands.extend([writer.names[child.base]] * int(child.exponent.value))
            i += 1
            continue
        if isinstance(child, ast.Transpose) and not _scalar(child):
            transposed[len(operands)] = writer.names[child.arg]
        operands.append(writer.names[child])
        i += 1
    if len(operands) == 1:
        return operands[0]
    if len(operands) == 2:
        if 0 in transposed:                 # A'*B: some libraries want it said so
            return writer.op("tmatmul", transposed[0], operands[1])
        return f"({operands[0]} @ {operands[1]})"
    if writer.dialect.marks_transposes:
        operands = [f"_T({transposed[k]})" if k in transposed else text
                    for k, text in enumerate(operands)]
    return writer.op("chain", ", ".join(operands))


def _solver(matrix):
    """The solve for inv(matrix)*B: Cholesky for a Gram matrix M'*M (plus c*I, c > 0),
    Cholesky-else-LU for another symmetric one, LU otherwise."""
    canonical = expanded(matrix)
    if transpose_node(canonical) is not canonical:
        return "solve"
    return "solve_spd" if _gram_like(canonical) else "solve_sym"


def _gram_like(node):
    """Is the symmetric node a sum of terms c*M'*M and c*I with c > 0 (positive definite
    when M has full column rank)?"""
    terms = node.children if isinstance(node, ast.Add) else (node,)
    for term in terms:
        factors = list(term.children) if isinstance(term, ast.Mul) else [term]
        if factors and isinstance(factors[0], ast.Number):
            if factors[0].value <= 0:
                return False
            factors = factors[1:]
        if len(factors) == 1 and isinstance(factors[0], ast.Identity):
            continue
        if len(factors) != 2 or factors[0] is not ast.Transpose(factors[1]):
            return False
    return True


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


# operations whose code is one template over the children's names
_TEMPLATES = {
    ast.Div: "{0} / {1}",
    ast.Hadamard: "{0} * {1}",
    ast.ElemDiv: "{0} / {1}",
}


def _line(writer, node):
    kids = [writer.names.get(c) for c in node.children]
    if isinstance(node, ast.Symbol):
        return writer.symbols[node.name]
    if isinstance(node, ast.Number):
        return repr(float(node.value))
    if isinstance(node, ast.Identity):
        return writer.op("eye", writer.dim(node.n))
    if isinstance(node, ast.Fill):
        rows, cols = (writer.dim(d) for d in as_pair(node.shape))
        return writer.op("full", rows, cols, kids[0])
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
            return writer.op("power", kids[0], kids[1])
        return writer.op("matrix_power", kids[0], int(node.exponent.value))
    if isinstance(node, ast.ElemPower):
        exponent = node.exponent
        if isinstance(exponent, ast.Number) and exponent.value == 2:
            return writer.op("square", kids[0])
        return writer.op("power", kids[0], kids[1])
    if isinstance(node, ast.Transpose):
        return kids[0] if _scalar(node) else f"{kids[0]}.T"
    if isinstance(node, ast.Diag) and not _scalar(node.arg):
        return writer.op("diagflat" if len(shape_of(node.arg)) == 1 else "diag_of", kids[0])
    if isinstance(node, ast.Vec) and not _scalar(node.arg):
        return f"{kids[0]}.T.reshape(-1, 1)"        # column-major: the rows of the transpose
    if isinstance(node, ast.Unvec):
        rows, cols = (writer.dim(d) for d in node.shape)
        return f"{kids[0]}.reshape({cols}, {rows}).T"
    if isinstance(node, ast.Commutation):
        return writer.op("commutation", writer.dim(node.m), writer.dim(node.n))
    record = registry.of(node)
    if record is not None:
        return writer.call(record, *kids, scalar=all(_scalar(c) for c in node.children))
    raise UnsupportedError(f"cannot compile {type(node).__name__}")


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
    kernel = _row_kernel(writer, data, vector, inside) if writer.dialect.kernels else None
    if kernel is not None:
        writer.lines.extend(
            [f"    step = max(64, {rowpass.BLOCK_BYTES} // (8 * max(1, {d}.shape[1])))",
             f"    if {d}.shape[0] <= step:"] + whole[0] +
            [f"        {acc} = {d}.T @ {whole[1]}",
             "    else:",
             f"        {acc} = {kernel}"])
        result = acc if not scalars else f"({' * '.join(scalars)}) * {acc}"
        return writer.emit(node, result)
    blocked = _block_body(writer, data, vector, inside, f"{d}[s:e]", "[s:e]", "            ")
    writer.lines.extend(
        [f"    step = max(64, {rowpass.BLOCK_BYTES} // (8 * max(1, {d}.shape[1])))",
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


def _row_kernel(writer, data, vector, inside):
    """The call of a numba kernel computing data' * vector in one parallel loop over the
    rows (each row read once: its products with the u's, the row's value of `vector`, then
    its share of the sum); None when some operation has no scalar form here.

    Each thread sums into its own row of `acc`; the rows are added at the end."""
    arguments, names, body = [], {}, []

    def argument(node):
        text = writer.symbols[node.name] if isinstance(node, ast.Symbol) else writer.names[node]
        if text not in arguments:
            arguments.append(text)
        return f"p{arguments.index(text)}"

    for n in ast.postorder(vector):
        if n not in inside:
            continue
        if isinstance(n, ast.Symbol):                     # an n-vector: its entry in row i
            names[n] = f"{argument(n)}[i, 0]"
            continue
        local = f"r{len(names)}"
        if isinstance(n, ast.Mul) and n.children[0] is data and len(n.children) == 2:
            u = argument(n.children[1])                   # (X*u)[i]: row i times u
            body += [f"{local} = 0.0", "for j in range(d):",
                     f"    {local} += data[i, j] * {u}[j, 0]"]
            names[n] = local
            continue
        kids = [names[c] if c in inside else
                (repr(float(c.value)) if isinstance(c, ast.Number) else argument(c))
                for c in n.children]
        if isinstance(n, (ast.Mul, ast.Hadamard)):
            text = " * ".join(f"({k})" for k in kids)
        elif isinstance(n, ast.Add):
            text = kids[0] + "".join(f" - ({names[c.arg]})" if isinstance(c, ast.Neg) and
                                     c.arg in names else f" + ({k})"
                                     for c, k in zip(n.children[1:], kids[1:]))
        elif isinstance(n, (ast.ElemDiv, ast.Div)):
            text = f"({kids[0]}) / ({kids[1]})"
        elif isinstance(n, ast.Neg):
            text = f"-({kids[0]})"
        elif isinstance(n, ast.ElemPower):
            text = KERNEL_SCALAR["power"].format(*kids)
        elif isinstance(n, ast.Elementwise):
            text = spelling(registry.of(n), writer.dialect, kernel=True).format(kids[0])
        else:
            return None
        body.append(f"{local} = {text}")
        names[n] = local
    name = f"_rows{len(writer.kernels)}"
    parameters = "".join(f", p{k}" for k in range(len(arguments)))
    writer.kernels.append("\n".join(
        [f"def {name}(data, parts{parameters}):",
         "    n, d = data.shape",
         "    acc = np.zeros((parts, d))",
         "    chunk = (n + parts - 1) // parts",
         "    for part in _numba.prange(parts):",
         "        for i in range(part * chunk, min(n, part * chunk + chunk)):"] +
        [f"            {line}" for line in body] +
        ["            for j in range(d):",
         f"                acc[part, j] += {names[vector]} * data[i, j]",
         "    return acc.sum(axis=0).reshape(-1, 1)",
         "",
         "",
         "# compiled on the first call and cached on disk: parallel over rows; sums may be",
         "# reordered (as BLAS does), while inf and nan keep their meaning and division by 0",
         "# gives inf, not errors",
         f"{name} = _numba.njit(parallel=True, error_model='numpy', cache=True,",
         f"                      fastmath={{'reassoc', 'contract'}})({name})"]))
    call = ", ".join([writer.names[data], "_numba.get_num_threads()"] + arguments)
    return f"{name}({call})"


def has_kernels(source):
    """Does the generated module define numba kernels?"""
    return "_numba.njit(" in source


def generate(roots, dialect=NUMPY):
    """(module source, symbols, dimensions): a module defining `compiled(a0, a1, ...,
    sizes)` that returns the roots' values, with the imports and helpers it uses."""
    writer = _Writer(dialect)
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
    for root in roots if dialect.blocked else ():
        for node in ast.postorder(root):
            plan = rowpass.fusable(node, parents)
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
            if _solved(node, parents, roots):
                continue                 # inv(A)*B is solved where it is used
            if isinstance(node, (ast.Number, ast.Transpose, ast.Neg)) and node not in roots:
                # inline where used: a literal, a view, or a sign that Add and Mul absorb
                writer.names[node] = f"({_line(writer, node)})"
                continue
            writer.emit(node, _line(writer, node))
    arguments = ", ".join(writer.symbols[s.name] for s in symbols)
    results = ", ".join(writer.names[r] for r in roots)
    body = writer.lines + [f"    return ({results},)"]
    if any("_like" in line for line in body):          # constants on the arguments' device
        first = next((writer.symbols[s.name] for s in symbols if s.declared_shape), None)
        body.insert(0, f"    _like = {first or dialect.like_fallback}")
    function = "\n".join([f"def compiled({arguments}{', ' if arguments else ''}sizes):"] + body)
    return _module(dialect, function, writer.kernels), symbols, list(writer.dims)


def _module(dialect, function, kernels=()):
    """The imports, the helpers the function uses (and those they use), the function."""
    used, pending = [], [function]
    while pending:
        text = pending.pop()
        for name, source in dialect.helpers.items():
            if name not in used and re.search(rf"\b{name}\b", text):
                used.append(name)
                pending.append(source)
    helpers = [dialect.helpers[name].strip("\n") for name in dialect.helpers if name in used]
    return "\n\n\n".join([f"# generated by matcalc for {dialect.name}\n{dialect.header}"] +
                          helpers + list(kernels) + [function]) + "\n"


def _solved(node, parents, roots):
    """Is this inverse only ever followed by more factors (so that inv(A)*B is solved)?"""
    if not isinstance(node, ast.Inverse) or _scalar(node) or node in roots:
        return False
    uses = parents.get(node, [])
    return bool(uses) and all(isinstance(p, ast.Mul) and p.children[-1] is not node
                              for p in uses)


def _only_multiplied(node, roots):
    """True when every use of this diag(v) is as a factor of a product."""
    for root in roots:
        for parent in ast.postorder(root):
            if node in parent.children and not isinstance(parent, ast.Mul):
                return False
    return not any(node is root for root in roots)
