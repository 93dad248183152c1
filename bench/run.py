"""Run every benchmark and print Markdown for docs/benchmarks.md.

    make bench        (or .venv/bin/python bench/run.py)
"""

import platform
import sys
from pathlib import Path

import numpy
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import backends  # noqa: E402
import derive  # noqa: E402
import evaluate  # noqa: E402
import language  # noqa: E402
import past_two_indices  # noqa: E402
import simplify  # noqa: E402


def main():
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
