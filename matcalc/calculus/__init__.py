"""The calculus: every derivative rule in one table (rules.py), one backward pass
(backward.py) in two algebras (adjoints.py), one forward pass (differential.py), and the
route that picks between them from the shapes (route.py)."""

from .route import along, derivative, differential, expand_derivatives, identify, zero

__all__ = ["derivative", "expand_derivatives", "along", "identify", "differential", "zero"]
