"""Run every benchmark and print Markdown for docs/benchmarks.md.

    make bench        (or .venv/bin/python bench/run.py)
"""

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main():
    # imported here, not at the top: Dask's worker processes start by importing this
    # module, and must not carry SymPy, JAX and PyTorch into their memory limit
    import numpy
    import sympy

    import backends
    import derive
    import evaluate
    import language
    import past_two_indices
    import simplify
    print(f"Python {platform.python_version()} on {platform.machine()}, numpy "
          f"{numpy.__version__}, SymPy {sympy.__version__}\n")
    print("## Derivatives: matcalc vs SymPy\n")
    print(derive.run())
    print("## Past two indices\n")
    print(past_two_indices.run())
    print("## Scaling with depth\n")
    print(simplify.run())
    print("## Generated numpy code vs hand-written numpy, JAX and autograd\n")
    print(evaluate.run())
    print("## Language: parse and evaluate large sums\n")
    print(language.run())
    print("## Backends: JAX, PyTorch and Dask\n")
    print(backends.run())


if __name__ == "__main__":
    main()
