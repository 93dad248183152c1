"""The command line: `matcalc demo` and friends, thin over the API.

Exit status: 0 success, 1 a check failed, 2 bad input (message on stderr, no traceback).
"""

import argparse
import sys

import numpy as np

from . import api
from .errors import MatcalcError

DOCUMENT_LOSSES = (
    ("linear regression (first document)", "(X*w - y)'*(X*w - y)"),
    ("mean squared error (second document)", "1/N*sum((Y - A*W).^2)"),
)


def _random_values(expr, rng, sizes=(5, 3, 4, 2, 6, 7)):
    """Random values for every symbol, a distinct small size per symbolic dimension."""
    dims = {}
    values = {}
    for name, shape in expr.symbols().items():
        concrete = []
        for dim in shape:
            if isinstance(dim, int):
                concrete.append(dim)
            else:
                dims.setdefault(dim, sizes[len(dims) % len(sizes)])
                concrete.append(dims[dim])
        values[name] = rng.normal(size=tuple(concrete)) if concrete else float(rng.uniform(1, 3))
    return values


def demo(out=sys.stdout):
    rng = np.random.default_rng(0)
    for title, text in DOCUMENT_LOSSES:
        expr = api.parse(text)
        print(f"== {title}", file=out)
        print(f"   loss:   {expr}", file=out)
        print("   shapes: " + ", ".join(f"{n}: {_shape_text(s)}"
                                        for n, s in expr.symbols().items()), file=out)
        print(f"   LaTeX:  {expr.latex()}", file=out)
        values = _random_values(expr, rng)
        print(f"   value on random data: {expr.evaluate(values):.6g}", file=out)
        print(file=out)
    return 0


def _shape_text(shape):
    if shape == ():
        return "scalar"
    return " x ".join(str(d) for d in shape)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="matcalc", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="the documents' losses, step by step")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return demo()
        parser.print_help()
        return 0
    except MatcalcError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
