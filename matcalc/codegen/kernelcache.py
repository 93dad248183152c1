"""Generated modules with numba kernels, kept as files so numba can cache their machine code.

numba caches a compiled kernel (about 7 s for the row pass) only for a function defined in a
file: a module with kernels is written once, named by the hash of its text, so a later
process finds numba's cache next to it. Where it cannot be written, it runs uncached.
"""

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path


def cache_directory():
    """$MATCALC_CACHE_DIR, else $XDG_CACHE_HOME/matcalc, else ~/.cache/matcalc."""
    if os.environ.get("MATCALC_CACHE_DIR"):
        return Path(os.environ["MATCALC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "matcalc"


def load(source):
    """The namespace of the generated module `source` (text matcalc built from an AST)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    try:
        path = _written(cache_directory(), f"kernels_{digest}.py", source)
    except OSError:
        namespace = {}
        uncached = source.replace("cache=True", "cache=False")   # no file: nothing to cache
        exec(compile(uncached, "<matcalc.compile>", "exec"), namespace)     # our own text
        return namespace
    name = f"matcalc_kernels_{digest}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        # registered before it runs: numba's cached code names its module and imports it
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return vars(sys.modules[name])


def _written(directory, name, source):
    """The file, written once: rewriting would change its time stamp, which numba's cache
    checks, so an existing file (same name, so same text) is left alone."""
    path = directory / name
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    # written whole under another name, then renamed: a process reading it never sees half
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(source)
    os.replace(temporary, path)
    return path
