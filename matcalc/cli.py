"""The command line, thin over the API (see docs/cli.md).

    matcalc                              the REPL
    matcalc diff EXPR --wrt w [...]      derivative (denominator layout)
    matcalc solve EXPR --wrt w           stationary point of a scalar EXPR
    matcalc check LHS RHS | --file FILE  does the identity (or derivation) hold?
    matcalc demo                         the two documents, derived and checked
    matcalc serve [--port 8000]          a local web page (docs/web.md)

Exit status: 0 success, 1 a check failed, 2 bad input (message on stderr, no traceback).
"""

import argparse
import json
import sys
import textwrap

import numpy as np

from . import answers, api
from .errors import MatcalcError
from .shapes import parse_shape_text


def _declarations(args):
    shapes = {}
    for item in args.shape or ():
        if "=" not in item:
            raise MatcalcError(f"--shape {item!r}: write NAME=DIMS, e.g. X=n,d or c=scalar")
        name, text = item.split("=", 1)
        shape, symmetric = parse_shape_text(name.strip(), text)
        shapes[name.strip()] = shape
        if symmetric:
            args.symmetric = list(args.symmetric or ()) + [name.strip()]
    return shapes, set(args.symmetric or ())


def command_differential(args, expr, out):
    """--differential: dF in terms of dX (expanded unless --form factored)."""
    document = answers.differential_answer(expr, args.wrt, form=args.form or "expanded")
    if args.json:
        print(json.dumps(document, indent=2), file=out)
        return 0
    if args.steps:                     # the steps' first is the differential dF
        derivation = api.derive(expr, args.wrt, method=args.method)
        print(derivation.latex() if args.latex else derivation, file=out)
    print(document["latex"] if args.latex else f"d({expr}) = {document['differential']}"
          if args.steps else document["differential"], file=out)
    return 0


def command_diff(args, out):
    shapes, symmetric = _declarations(args)
    expr = api.parse(args.expr, shapes, symmetric)
    if args.differential:
        return command_differential(args, expr, out)
    if args.json:
        document, report = answers.diff_answer(
            expr, args.wrt, args.layout, args.direction, steps=args.steps, method=args.method)
        print(json.dumps(document, indent=2), file=out)
        return 1 if report.passed is False else 0
    along = {"direction": args.direction} if args.direction else {}
    form = args.form or "factored"
    shown = api.diff(expr, args.wrt, form=form, layout=args.layout, **along)
    derivation = api.derive(expr, args.wrt, method=args.method) if args.steps else None
    report = api.verify(expr, args.wrt, **along) if args.verify else None
    if derivation is not None:
        print(derivation.latex() if args.latex else derivation, file=out)
    elif args.latex:
        print(shown.latex(), file=out)
    else:
        print(str(shown), file=out)
    if not args.latex and expr.shapes_line():
        print(expr.shapes_line(), file=out)
    if args.layout == "numerator":
        print("(numerator layout: the transpose of matcalc's denominator layout)", file=out)
    if report is not None and derivation is None:
        print(report, file=out)
    return 1 if report is not None and report.passed is False else 0


def command_solve(args, out):
    shapes, symmetric = _declarations(args)
    if args.json:
        document = answers.solve_answer(api.parse(args.expr, shapes, symmetric), args.wrt)
        print(json.dumps(document, indent=2), file=out)
        return 0 if document["verification"]["passed"] else 1
    solution = api.stationary_point(args.expr, args.wrt, shapes, symmetric)
    print(f"{args.wrt} = {solution}", file=out)
    line = api.parse(args.expr, shapes, symmetric).shapes_line()
    if line:
        print(f"  {line}", file=out)
    print(f"  {solution.verdict}", file=out)
    print(f"  {solution.verification}", file=out)
    return 0 if solution.verification.passed else 1


def command_check(args, out):
    shapes, symmetric = _declarations(args)
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                lines = [line.split("#", 1)[0].strip() for line in handle]
        except OSError as error:
            raise MatcalcError(f"cannot read {args.file}: {error.strerror}") from None
        steps = [line.lstrip("=").strip() for line in lines if line]
        result = api.check_derivation(steps, shapes, symmetric)
        print(result, file=out)
        return 0 if result.holds else 1
    if args.rhs is None:
        if args.lhs and "==" in args.lhs:
            args.lhs, args.rhs = (s.strip() for s in args.lhs.split("==", 1))
        else:
            raise MatcalcError("check needs two expressions (LHS RHS), 'LHS == RHS', "
                               "or --file FILE")
    result = api.check(args.lhs, args.rhs, shapes, symmetric)
    print(result, file=out)
    return 0 if result.holds else 1


def command_serve(args, out):
    from .server import serve
    return serve(args.host, args.port, args.time_limit, out)


def command_demo(args, out):
    demo(out)
    return 0


# ----------------------------------------------------------------- the demo

def _rule(out, title):
    print(f"\n{title}\n{'-' * len(title)}", file=out)


def demo(out=sys.stdout):
    """The two documents: derived as they derive them, then checked with numbers."""
    loss = "(X*w - y)'*(X*w - y)"
    _rule(out, "1. Linear regression: the chain rule, denominator layout")
    expr = api.parse(loss)
    print(f"loss u = {expr}   with "
          + ", ".join(f"{n}: {_shape_text(s)}" for n, s in expr.symbols().items()), file=out)
    print(api.derive(expr, "w"), file=out)

    _rule(out, "2. The appendix route: expand the loss, term by term")
    print(api.derive(expr, "w", method="expand"), file=out)

    _rule(out, "3. Mean squared error, the second document")
    mse = api.parse("1/N*sum((Y - A*W).^2)")
    gradient = api.diff(mse, "W")
    print(f"loss  = {mse}", file=out)
    print(f"dW    = {gradient}", file=out)
    print(f"      = {api.diff(mse, 'W', form='expanded')}   [expanded]", file=out)
    claim = api.check("diff(1/N*sum((Y - A*W).^2), W)", "-2/N*A'*(Y - A*W)")
    print(f"the document's -2/N*A'*(Y - A*W): {'holds' if claim.holds else 'FAILS'} "
          f"({claim.why})", file=out)
    print(f"  {api.verify(mse, 'W', gradient)}", file=out)
    _rule(out, "4. Set the gradient to zero: the normal equation")
    solution = api.stationary_point(expr, "w")
    print(f"w = {solution}", file=out)
    print(textwrap.fill(solution.verdict, 80, initial_indent="  ", subsequent_indent="    "),
          file=out)
    rng = np.random.default_rng(2026)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    ours = solution.evaluate(X=X, y=y)
    theirs = np.linalg.lstsq(X, y, rcond=None)[0]
    error = np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
    print("on random data (X: 50 x 4, y: 50): max relative difference from", file=out)
    print(f"numpy.linalg.lstsq = {error:.1e}   "
          f"{'(agree)' if error < 1e-10 else '(DISAGREE)'}", file=out)
    print(f"  {solution.verification}", file=out)

    return 0


def _shape_text(shape):
    if shape == ():
        return "scalar"
    return " x ".join(str(d) for d in shape)


# ----------------------------------------------------------------- entry point

def _parser():
    parser = argparse.ArgumentParser(
        prog="matcalc", description="Symbolic matrix calculus in denominator layout. "
        "Without a command: the REPL.")
    commands = parser.add_subparsers(dest="command")

    def declarations(p):
        p.add_argument("--shape", action="append", metavar="NAME=DIMS",
                       help="declare a shape: X=n,d  y=n  c=scalar  (repeatable)")
        p.add_argument("--symmetric", action="append", metavar="NAME",
                       help="declare a symmetric matrix (repeatable)")

    d = commands.add_parser("diff", help="differentiate EXPR by a variable")
    d.add_argument("expr")
    d.add_argument("--wrt", required=True, help="the variable")
    declarations(d)
    d.add_argument("--steps", action="store_true", help="show the derivation step by step")
    d.add_argument("--method", choices=("chain", "expand"), default="chain",
                   help="the route shown by --steps")
    d.add_argument("--form", choices=("factored", "expanded"), default=None,
                   help="factored (the default) or expanded (the default of --differential)")
    d.add_argument("--differential", action="store_true",
                   help="print the differential dF in terms of dX instead")
    d.add_argument("--direction", metavar="V",
                   help="the derivative along V (a name, of the variable's shape)")
    d.add_argument("--latex", action="store_true", help="print LaTeX")
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.add_argument("--verify", action="store_true", help="check numerically")
    d.add_argument("--layout", choices=("denominator", "numerator"), default="denominator")
    d.set_defaults(run=command_diff)

    s = commands.add_parser("solve", help="stationary point of a scalar EXPR")
    s.add_argument("expr")
    s.add_argument("--wrt", required=True)
    declarations(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=command_solve)

    c = commands.add_parser("check", help="does LHS == RHS hold? (or a derivation --file)")
    c.add_argument("lhs", nargs="?")
    c.add_argument("rhs", nargs="?")
    c.add_argument("--file", help="a derivation: one expression per line")
    declarations(c)
    c.set_defaults(run=command_check)

    w = commands.add_parser("serve", help="a local web page: type an expression, see its "
                                          "derivative typeset")
    w.add_argument("--port", type=int, default=8000)
    w.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: this machine only)")
    w.add_argument("--time-limit", type=float, default=20.0, metavar="SECONDS",
                   help="the longest one request may work")
    w.set_defaults(run=command_serve)

    m = commands.add_parser("demo", help="derive the normal equation, as in the documents")
    m.set_defaults(run=command_demo)
    return parser


def main(argv=None, out=None):
    out = out or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from .repl import run
            return run()
        return args.run(args, out)
    except BrokenPipeError:          # e.g. `matcalc demo | head`: the reader left
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MatcalcError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RecursionError:
        print("error: the expression is nested too deeply", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
