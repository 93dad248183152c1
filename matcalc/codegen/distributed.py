"""Compiled code on Dask: lazy results, computed on a dask.distributed cluster.

`compile(expr, backend="dask")` gives a function whose results are lazy dask arrays built by
the same plan as the numpy backend. For a tall X stored in row chunks (on disk, say), the
least-squares gradient 2*X'*(X*w - y) and the normal equation's X'*X and X'*y are sums over
the chunks, so computing them reads each chunk once and never holds X in memory; the d x d
system is solved at the end, in one chunk, by Cholesky.

`f.compute(values)` runs the results on a cluster and returns numpy values: on `scheduler`
when it was given (an address such as "tcp://10.0.0.5:8786", or a distributed.Client), else
on the current client if there is one, else on a local cluster on this machine, started
once per process.
"""

import numpy as np

from .runtime import LibraryCompiled
from ..errors import MatcalcError

_local = {}          # the local cluster and its client, started at the first compute


class DaskCompiled(LibraryCompiled):
    """A compiled function on Dask: `f(values)` is lazy, `f.compute(values)` is numbers."""

    def __init__(self, roots, dialect, extra_sizes=None, scheduler=None):
        super().__init__(roots, dialect, extra_sizes)
        self.scheduler = scheduler

    def compute(self, values=None, progress=False, **kwargs):
        """The results as numpy values (a float for a scalar, 1-D for a column), computed
        together (shared chunks read once); `progress=True` shows a progress bar."""
        lazy = self(values, **kwargs)
        lazy = lazy if isinstance(lazy, tuple) else (lazy,)
        client = self.client()
        futures = client.compute(list(lazy))
        if progress:
            from distributed import progress as show_progress
            show_progress(futures)
        results = tuple(_finish(value, shape)
                        for value, shape in zip(client.gather(futures), self.shapes))
        return results[0] if len(results) == 1 else results

    def client(self):
        """The distributed client the work goes to (see the module's docstring)."""
        try:
            from distributed import Client, LocalCluster, get_client
        except ImportError:
            raise MatcalcError("computing on a Dask cluster needs dask.distributed: "
                               "pip install 'matcalc[dask]'") from None
        if isinstance(self.scheduler, Client):
            return self.scheduler
        if isinstance(self.scheduler, str):
            key = ("address", self.scheduler)
            if key not in _local:
                _local[key] = Client(self.scheduler)
            return _local[key]
        if self.scheduler is not None:
            raise MatcalcError("scheduler must be an address such as 'tcp://host:8786', "
                               "a distributed.Client, or None")
        try:
            return get_client()
        except ValueError:
            pass
        if "local" not in _local:
            cluster = LocalCluster(processes=False, dashboard_address=None)
            _local["local"] = (cluster, Client(cluster))
        return _local["local"][1]


def _finish(value, shape):
    value = np.asarray(value)
    if shape == ():
        return float(value.reshape(-1)[0])
    if len(shape) == 1:
        return value.reshape(-1)
    return value
