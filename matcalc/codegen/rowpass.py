"""The fused pass over rows: X'*g(X*u, ...) computed while each block of X's rows is in cache.

Written plainly, X'*g(X*u, ...) (g acting row by row) reads X twice: for X*u, then for X'*r.
In blocks of rows that stay in cache it reads X once: acc += X[b]' * g(X[b]*u, y[b], ...).
"""

from .. import ast, registry
from ..shapes import is_scalar, shape_of
from .dialects import spelling

BLOCK_BYTES = 4 << 20         # rows of X per block: about 4 MB, measured best here
_ROW_BY_ROW = (ast.Add, ast.Hadamard, ast.ElemDiv, ast.ElemPower, ast.Neg, ast.Elementwise,
               ast.Div)       # an n-vector of these is computed entry by entry


def fusable(node, parents):
    """(X, r, the nodes computed per row) when node = scalars * X' * r can be one pass
    over X's rows: r computed row by row from X*u, n-vectors and values free of X, and
    used nowhere else."""
    if not isinstance(node, ast.Mul) or len(node.children) < 2:
        return None
    *head, left, right = node.children
    if not all(is_scalar(h) for h in head):
        return None
    while isinstance(left, ast.Neg):
        left = left.arg
    if not (isinstance(left, ast.Transpose) and isinstance(left.arg, ast.Symbol)):
        return None
    data = left.arg
    if len(shape_of(data)) != 2:
        return None
    inside = _row_local(right, data, shape_of(data)[0])
    if inside is None:
        return None
    for n in inside:              # every n-vector computed per row is used only in the pass
        if any(p not in inside and p is not node for p in parents.get(n, ())):
            return None
    return data, right, inside


def _row_local(vector, data, rows):
    """The nodes computed per row when the n-vector is computed row by row from X*u
    (X = data), n-vectors and values free of X, else None (no recursion: trees are deep)."""
    local, has_data = {}, {}
    for node in ast.postorder(vector):
        has_data[node] = node is data or any(has_data[c] for c in node.children)
        local[node] = shape_of(node) == (rows,) and all(
            local[c] for c in _per_row(node, data, has_data)) and (
            isinstance(node, ast.Symbol) and node is not data or
            isinstance(node, ast.Mul) and _row_product(node, data, has_data) is not None or
            isinstance(node, _ROW_BY_ROW))
    if not local[vector]:
        return None
    inside, stack = {vector}, [vector]
    while stack:
        for child in _per_row(stack.pop(), data, has_data):
            if child not in inside:
                inside.add(child)
                stack.append(child)
    return inside


def _per_row(node, data, has_data):
    """The children of an n-vector the pass computes per row with it: the vector of a
    scalar multiple; none of X*u; every argument of an entrywise op but scalars free of X."""
    if isinstance(node, ast.Mul):
        vector = _row_product(node, data, has_data)
        return () if vector is None or vector is data else (vector,)
    if isinstance(node, _ROW_BY_ROW):
        return tuple(c for c in node.children if not (is_scalar(c) and not has_data[c]))
    return ()


def _row_product(node, data, has_data):
    """X for X*u with u free of X (scalars aside), the n-vector of a scalar multiple, else
    None."""
    vectors = [c for c in node.children if not is_scalar(c)]
    if len(vectors) == 2 and vectors[0] is data and not has_data[vectors[1]]:
        return data
    return vectors[0] if len(vectors) == 1 else None


# ----------------------------------------------------------------- which bodies a kernel runs
# a kernel computes the body's ops on scalars, one row at a time

_KERNEL_KINDS = frozenset(("rows", "matmul", "scale", "multiply", "sum", "divide", "negate",
                           "power", "square", "function", "alias"))


def kernel_ready(body, rows):
    """Can a kernel compute this body (entries of n-vectors; X's `rows` read only by X*u)?"""
    defined = set()
    for op in body:
        if op.kind not in _KERNEL_KINDS:
            return False
        if op.kind == "matmul" and (op.inputs[0] != rows or op.inputs[1] in defined) or \
                op.kind != "matmul" and rows in op.inputs:
            return False
        defined.add(op.target)
    return True


# ----------------------------------------------------------------- the code of a pass

def write(writer, op):
    """The lines of a rowpass op: acc = X' * body(X) over blocks of rows, or by a numba
    kernel; an X that fits in one block (the common case) skips the loop."""
    d = writer.names[op.inputs[0]]
    acc = writer.fresh()
    whole, whole_result = _body(writer, op, "", "        ")
    head = [f"    step = max(64, {BLOCK_BYTES} // (8 * max(1, {d}.shape[1])))",
            f"    if {d}.shape[0] <= step:"] + whole + \
        [f"        {acc} = {d}.T @ {whole_result}", "    else:"]
    writer.names[op.target] = acc
    if op.get("kernel"):
        return head + [f"        {acc} = {_kernel(writer, op)}"]
    blocked, blocked_result = _body(writer, op, "[s:e]", "            ")
    return head + [f"        {acc} = {writer.op('zeros', f'{d}.shape[1]', '1')}",
                   f"        for s in range(0, {d}.shape[0], step):",
                   "            e = s + step"] + blocked + \
        [f"            {acc} += {d}[s:e].T @ {blocked_result}"]


def _body(writer, op, rows, indent):
    """(lines, the result's code) of the body over the rows `rows` selects."""
    writer.rows = rows
    lines = writer.write(op.get("body"), indent)
    writer.rows = ""
    return lines, writer.names[op.get("result")]


def _kernel(writer, op):
    """The call of a numba kernel computing X' * body in one parallel loop over the rows,
    each read once (its products with the u's, the body, its share of the sum); each
    thread sums into its own row of `acc`."""
    arguments, names, lines = [], {}, []
    data = next((o.target for o in op.get("body") if o.kind == "rows" and
                 o.inputs[0] == op.inputs[0]), None)         # X's rows (X'*y: unread)

    def argument(target):
        text = writer.names[target]
        if text not in arguments:
            arguments.append(text)
        return f"p{arguments.index(text)}"

    def scalar(target):
        if target in names:
            return names[target]
        outer = writer.ops.get(target)
        if outer is not None and outer.kind == "literal":
            return repr(outer.get("value"))
        return argument(target)

    for o in op.get("body"):
        if o.target == data:
            continue
        if o.kind == "rows":                           # an n-vector: its entry in row i
            names[o.target] = f"{argument(o.inputs[0])}[i, 0]"
            continue
        local = f"r{len(names)}"
        if o.kind == "matmul":                         # (X*u)[i]: row i times u
            lines += [f"{local} = 0.0", "for j in range(d):",
                      f"    {local} += data[i, j] * {argument(o.inputs[1])}[j, 0]"]
        else:
            lines.append(f"{local} = {_scalar_code(writer, o, [scalar(t) for t in o.inputs])}")
        names[o.target] = local
    name = f"_rows{len(writer.kernels)}"
    parameters = "".join(f", p{k}" for k in range(len(arguments)))
    writer.kernels.append("\n".join(
        [f"def {name}(data, parts{parameters}):",
         "    n, d = data.shape",
         "    acc = np.zeros((parts, d))",
         "    chunk = (n + parts - 1) // parts",
         "    for part in _numba.prange(parts):",
         "        for i in range(part * chunk, min(n, part * chunk + chunk)):"] +
        [f"            {line}" for line in lines] +
        ["            for j in range(d):",
         f"                acc[part, j] += {names[op.get('result')]} * data[i, j]",
         "    return acc.sum(axis=0).reshape(-1, 1)",
         "",
         "",
         "# compiled on the first call and cached on disk: parallel over rows; sums may be",
         "# reordered (as BLAS does), while inf and nan keep their meaning and division by 0",
         "# gives inf, not errors",
         f"{name} = _numba.njit(parallel=True, error_model='numpy', cache=True,",
         f"                      fastmath={{'reassoc', 'contract'}})({name})"]))
    call = ", ".join([writer.names[op.inputs[0]], "_numba.get_num_threads()"] + arguments)
    return f"{name}({call})"


def _scalar_code(writer, op, kids):
    """One entry of an op's value, from its inputs' entries."""
    if op.kind in ("scale", "multiply"):
        return " * ".join(f"({k})" for k in (["-1.0"] if op.get("negate") else []) + kids)
    if op.kind == "sum":
        return kids[0] + "".join(f" {sign} ({k})" for sign, k in
                                 zip(op.get("signs")[1:], kids[1:]))
    if op.kind in _SCALAR_TEMPLATES:
        return _SCALAR_TEMPLATES[op.kind].format(*kids)
    record = registry.FUNCTIONS[op.get("name")]
    return spelling(record, writer.dialect, kernel=True).format(*kids)


_SCALAR_TEMPLATES = {"divide": "({0}) / ({1})", "negate": "-({0})", "alias": "{0}",
                     "square": "({0}) * ({0})", "power": "({0}) ** ({1})"}
