import numpy as np
import pytest


@pytest.fixture(autouse=True, scope="session")
def kernel_cache(tmp_path_factory):
    """numba kernels are cached in a directory of the run's own, not the user's."""
    import os
    directory = tmp_path_factory.mktemp("kernel-cache")
    before = os.environ.get("MATCALC_CACHE_DIR")
    os.environ["MATCALC_CACHE_DIR"] = str(directory)
    yield directory
    if before is None:
        del os.environ["MATCALC_CACHE_DIR"]
    else:
        os.environ["MATCALC_CACHE_DIR"] = before


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
