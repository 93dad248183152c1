import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests: "matcalc" (the default, what `make test` and CI run) or "quick" (`make
# quick`: a tenth of the examples, see strategies.examples); deadlines are off because
# verification takes variable time.
settings.register_profile("matcalc", deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
settings.register_profile("quick", parent=settings.get_profile("matcalc"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "matcalc"))


@pytest.fixture(autouse=True, scope="session")
def kernel_cache(tmp_path_factory):
    """numba kernels are cached in a directory of the run's own, not the user's."""
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


@pytest.fixture(scope="module")
def float64_jax():
    """JAX in float64 for a module that compares its results with evaluate's (JAX computes
    in float32 unless jax_enable_x64 is set); the setting is restored after the module."""
    try:
        import jax
    except ImportError:
        yield
        return
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)
