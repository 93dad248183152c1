"""The compiler: typed expression trees in, a fast function on an array library out.

One entry point, `compile(roots, backend=...)`. plan.py decides what to compute (`Plan`,
`Op`), rowpass.py the fused pass over rows, emit.py writes the plan through a dialect
(dialects.py: where libraries differ), runtime.py wraps the code in a function checking its
values; kernelcache.py keeps numba kernels on disk, specialize.py stores given values' work.
"""

from ..simplify import expanded
from .dialects import DIALECTS, Dialect, dialect, spelling
from .runtime import Compiled, DaskCompiled, LibraryCompiled


def compile(roots, backend="numpy", given=None, sizes=None, scheduler=None,  # noqa: A001
            source=False):
    """The compiled function of the typed roots (or, with `source=True`, its module text).

    backend: a backend's name or its Dialect; an unknown or uninstalled one is a
    MatcalcError naming the extra to install. given: values fixed once (name -> value).
    sizes: values -> the sizes of dimensions the values' own shapes do not fix. scheduler:
    where a Dask function's `compute` runs."""
    chosen = backend if isinstance(backend, Dialect) else dialect(backend)

    def make(trees, extra_sizes):
        if chosen.lazy:
            return DaskCompiled(trees, chosen, extra_sizes, scheduler)
        kind = Compiled if chosen.numpy_values else LibraryCompiled
        return kind(trees, chosen, extra_sizes)
    if not given:
        compiled = make(roots, sizes)
    else:                         # imported here: most functions have no given values
        from .specialize import Bound
        compiled = Bound([roots, [expanded(r) for r in roots]], dict(given), sizes, make,
                         chosen.numpy_values)
    return compiled.source if source else compiled


__all__ = ["compile", "dialect", "spelling", "Dialect", "DIALECTS", "Compiled", "LibraryCompiled"]
