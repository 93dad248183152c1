"""The compiler: typed expression trees in, a fast function on an array library out.

One entry point, `compile(roots, backend=...)`. The stages, each a module:

- plan.py: the roots as an inspectable list of operations (`Plan`, `Op`); every decision
  about what to compute is made there (shared work once, product order, scalings instead
  of diagonals, solves instead of inverses, the fused pass over rows);
- rowpass.py: which products X'*g(X*u) are one pass over X's rows, and their code (blocks
  of rows for numpy, a parallel numba kernel);
- emit.py: a plan written as a Python module through a dialect;
- dialects.py: one `Dialect` per array library (numpy, numba, JAX, PyTorch, Dask), the
  only place where libraries differ;
- runtime.py: the compiled function (values checked, results finished), distributed.py its
  Dask form, kernelcache.py numba kernels kept on disk, specialize.py values given once.
"""

from ..simplify import expanded
from .dialects import DIALECTS, Dialect, dialect, spelling
from .runtime import Compiled, LibraryCompiled


def compile(roots, backend="numpy", given=None, sizes=None, scheduler=None,  # noqa: A001
            source=False):
    """The compiled function of the typed roots (or, with `source=True`, its module text).

    backend: a backend's name or its Dialect; an unknown or uninstalled one is a
    MatcalcError naming the extra to install. given: values fixed once (name -> value).
    sizes: values -> the sizes of dimensions the values' own shapes do not fix. scheduler:
    where a Dask function's `compute` runs."""
    chosen = backend if isinstance(backend, Dialect) else dialect(backend)
    make = _maker(chosen, scheduler)
    if not given:
        compiled = make(roots, sizes)
    else:                         # imported here: most functions have no given values
        from .specialize import Bound
        compiled = Bound([roots, [expanded(r) for r in roots]], dict(given), sizes, make,
                         chosen.numpy_values)
    return compiled.source if source else compiled


def _maker(chosen, scheduler):
    """make(roots, sizes): the compiled function of the roots on the chosen library."""
    if chosen.numpy_values:
        return lambda roots, sizes: Compiled(roots, sizes, chosen)
    if chosen.lazy:
        from .distributed import DaskCompiled
        return lambda roots, sizes: DaskCompiled(roots, chosen, sizes, scheduler)
    return lambda roots, sizes: LibraryCompiled(roots, chosen, sizes)


__all__ = ["compile", "dialect", "spelling", "Dialect", "DIALECTS", "Compiled",
           "LibraryCompiled"]
