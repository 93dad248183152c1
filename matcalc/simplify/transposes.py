"""Rules for transposes: pushed to the leaves.

(A*B)' -> B'*A', (A + B)' -> A' + B' term by term (engine.transpose); each atom by the rule
of its type, registered here for the general atoms and in their own modules for the others
(kron, vec, commutation: kronecker; elementwise products and functions: elementwise; diag,
softmax: reductions).
"""

from .. import ast
from ..shapes import as_pair, normalize
from .engine import canonical, transpose, transpose_node, transpose_of


@canonical(ast.Transpose)
def _transpose(node, kids, shape):
    """A' -> the argument's polynomial transposed term by term."""
    return transpose(kids[0])


@transpose_of(ast.Symbol)
def _symbol(atom):
    """S' -> S when S is declared symmetric; else S' is an atom."""
    return atom if atom.symmetric else ast.Transpose(atom)


@transpose_of(ast.Identity)
def _identity(atom):
    """I' -> I."""
    return atom


@transpose_of(ast.Transpose)
def _double(atom):
    """(A')' -> A."""
    return atom.arg


@transpose_of(ast.Fill)
def _fill(atom):
    """fill(c)' -> fill(c) of the reversed shape."""
    return ast.Fill(normalize(*reversed(as_pair(atom.shape))), atom.value)


@transpose_of(ast.Inverse)
def _inverse(atom):
    """inv(A)' -> inv(A')."""
    return atom.rebuild([transpose_node(atom.children[0])])


@transpose_of(ast.Power)
def _power(atom):
    """(A^k)' -> (A')^k."""
    return ast.Power(transpose_node(atom.base), atom.exponent)
