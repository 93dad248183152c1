"""The two views of a tree that both passes take: which nodes depend on the variable, and
products as binary products (so that a product needs one rule with two arguments)."""

from .. import ast


def binary_products(root):
    """The tree with every product of three or more factors left-nested, A*B*C -> (A*B)*C:
    the language's product is a left fold in which a 1 x 1 result scales what follows (x'*y*z
    is (x'*y) times z)."""
    def rule(node):
        if isinstance(node, ast.Mul) and len(node.children) > 2:
            acc = node.children[0]
            for factor in node.children[1:]:
                acc = ast.Mul(acc, factor)
            return acc
        return node
    return ast.transform(root, rule)


def depends_on(order, wrt):
    """node -> does it depend on wrt, for the nodes of a postorder."""
    depends = {}
    for node in order:
        depends[node] = node is wrt or any(depends[c] for c in node.children)
    return depends


def contains(node, target):
    return any(n is target for n in ast.postorder(node))
