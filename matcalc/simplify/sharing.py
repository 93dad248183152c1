"""Names for shared subexpressions (`where`): a node with two parents is computed once, and
printing it twice would make the printed size exponential in depth."""

from .. import ast
from ..shapes import shape_of


TRIVIAL = (ast.Symbol, ast.Number, ast.Identity, ast.Fill)


def _trivial(node):
    return isinstance(node, TRIVIAL) or (isinstance(node, (ast.Transpose, ast.Neg))
                                         and isinstance(node.children[0], TRIVIAL))


def name_shared(root):
    """Name every nontrivial subexpression used more than once in the DAG: `where`."""
    order = ast.postorder(root)
    uses = {}
    for node in order:
        for child in node.children:
            uses[child] = uses.get(child, 0) + 1
    shared = [n for n in order if uses.get(n, 0) >= 2 and not _trivial(n) and n is not root]
    if not shared:
        return root
    taken = {n.name for n in order if isinstance(n, ast.Symbol)}
    names, counter = {}, 0
    for node in shared:
        while f"t{counter}" in taken:
            counter += 1
        names[node] = f"t{counter}"
        counter += 1
    # one pass: a shared node's binding is the node over its children's references
    reference, values = {}, {}
    for n in order:
        rebuilt = n.rebuild([reference[c] for c in n.children])
        if n in names:
            values[n] = rebuilt
            reference[n] = ast.Symbol(names[n], shape_of(n))
        else:
            reference[n] = rebuilt
    return ast.Where(tuple(names[n] for n in shared), reference[root],
                     *(values[n] for n in shared))
