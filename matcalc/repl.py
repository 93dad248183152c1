"""The REPL: matcalc commands, one per line, from a terminal or a pipe.

It keeps `let` declarations for the session, never stops on bad input (the error is printed
and the session goes on), and exits with status 0 on `quit` or at the end of the input.
On a terminal it shows a prompt and offers history and tab completion of commands and
declared names through the standard library's readline (no extra dependency, and the
editing keys users already know from the shell); through a pipe it prints no prompt.
"""

import difflib
import os
import re
import sys

from . import api
from .errors import MatcalcError
from .shapes import describe, parse_shape_text

HELP = {
    "let": "let X: n x d | let w: d | let c: scalar | let A: symmetric n x n\n"
           "    declare shapes for the rest of the session ('let' alone lists them)",
    "diff": "diff EXPR wrt w [expanded] [along V]\n    the derivative in denominator layout "
            "(factored form unless 'expanded'); past two indices the matrix form\n"
            "    d vec(F)/d vec(w); 'along V': the derivative in the direction V, in EXPR's "
            "shape",
    "differential": "differential EXPR wrt X [factored]\n    dF in terms of dX, e.g. "
                    "-inv(X)*dX*inv(X) for inv(X)",
    "derive": "derive EXPR wrt w [expand]\n    the derivation step by step (chain rule, or "
              "the expansion route), with its numeric check",
    "solve": "solve EXPR wrt w\n    the stationary point of a scalar EXPR",
    "check": "check LHS == RHS\n    does the identity hold? (counterexample if not)\n"
             "check   (alone) then one expression per line, a blank line or 'end' to finish:\n"
             "    checks a derivation step by step",
    "verify": "verify EXPR wrt w [== CLAIMED]\n    numeric check of matcalc's (or your) "
              "derivative",
    "latex": "latex EXPR\n    the expression in LaTeX",
    "simplify": "simplify EXPR [expanded]\n    the canonical form",
    "shape": "shape EXPR\n    the inferred shapes",
    "help": "help [COMMAND]",
    "quit": "quit (or exit, or end of input)",
}
COMMANDS = tuple(HELP)


class Session:
    def __init__(self):
        self.shapes = {}
        self.symmetric = set()
        self.block = None            # lines of a multi-line check, while one is open

    # -- dispatch
    def execute(self, line):
        """The output for one input line ('' for none). Raises MatcalcError on bad input."""
        if self.block is not None:
            return self._block_line(line)
        line = line.strip()
        if not line or line.startswith("#"):
            return ""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        handler = getattr(self, "do_" + word, None)
        if handler is None:
            try:
                return self.do_expression(line)
            except MatcalcError:
                # 'sovle x'*x wrt x' is a typo of a command, not a missing operator
                close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.7)
                if close and rest:
                    raise MatcalcError(f"unknown command '{word}'; did you mean "
                                       f"'{close[0]}'?") from None
                raise
        return handler(rest)

    # -- commands
    def do_let(self, rest):
        if not rest:
            if not self.shapes and not self.symmetric:
                return "no declarations (names follow matcalc's first-letter defaults)"
            return "\n".join(f"{name}: {'symmetric ' if name in self.symmetric else ''}"
                             f"{_shape_words(shape)}" for name, shape in self.shapes.items())
        declarations = re.split(r",\s*(?=[A-Za-z][A-Za-z0-9_]*\s*:)", rest)
        new_shapes, new_symmetric = dict(self.shapes), set(self.symmetric)
        for declaration in declarations:
            if ":" not in declaration:
                raise MatcalcError(f"let {declaration}: write 'let NAME: DIMS', "
                                   "e.g. let X: n x d")
            name, text = (part.strip() for part in declaration.split(":", 1))
            shape, symmetric = parse_shape_text(name, text)
            new_shapes[name] = shape
            (new_symmetric.add if symmetric else new_symmetric.discard)(name)
        checked = api._shapes.declarations(new_shapes, new_symmetric)   # validates
        self.shapes, self.symmetric = dict(checked.shapes), set(new_symmetric)
        return ""

    def do_diff(self, rest):
        direction = None
        along = re.search(r"\s+along\s+([A-Za-z][A-Za-z0-9_]*)\s*$", rest)
        if along:
            rest, direction = rest[:along.start()], along.group(1)
        expr, wrt, option = self._wrt(rest, "diff", ("expanded", "factored"))
        result = str(api.diff(expr, wrt, self.shapes, self.symmetric,
                              form=option or "factored", direction=direction))
        return self._with_shapes(result, expr)

    def do_differential(self, rest):
        expr, wrt, option = self._wrt(rest, "differential", ("expanded", "factored"))
        return str(api.differential(expr, wrt, self.shapes, self.symmetric,
                                    form=option or "expanded"))

    def do_derive(self, rest):
        expr, wrt, option = self._wrt(rest, "derive", ("expand", "chain"))
        return str(api.derive(expr, wrt, self.shapes, self.symmetric,
                              method=option or "chain"))

    def do_solve(self, rest):
        expr, wrt, _ = self._wrt(rest, "solve", ())
        solution = api.stationary_point(expr, wrt, self.shapes, self.symmetric)
        return self._with_shapes(f"{wrt} = {solution}\n  {solution.verdict}\n  "
                                 f"{solution.verification}", expr)

    def _with_shapes(self, result, text):
        """The result, then the shapes line where a name's shape was inferred (SPEC 1)."""
        line = api.parse(text, self.shapes, self.symmetric).shapes_line()
        return f"{result}\n  {line}" if line else result

    def do_verify(self, rest):
        claimed = None
        if "==" in rest:
            rest, claimed = (part.strip() for part in rest.split("==", 1))
        expr, wrt, _ = self._wrt(rest, "verify", ())
        return str(api.verify(expr, wrt, claimed, self.shapes, self.symmetric))

    def do_check(self, rest):
        if not rest:
            self.block = []
            return ""
        if "==" not in rest:
            raise MatcalcError("check LHS == RHS (or 'check' alone for a derivation block)")
        lhs, rhs = (part.strip() for part in rest.split("==", 1))
        return str(api.check(lhs, rhs, self.shapes, self.symmetric))

    def _block_line(self, line):
        text = line.strip()
        if text and text != "end":
            self.block.append(text.lstrip("=").strip())
            return ""
        steps, self.block = self.block, None
        return str(api.check_derivation(steps, self.shapes, self.symmetric))

    def do_latex(self, rest):
        return self._parse(rest, "latex").latex()

    def do_simplify(self, rest):
        form = "factored"
        if rest.endswith(" expanded"):
            rest, form = rest[: -len(" expanded")], "expanded"
        return str(api.simplify(self._parse(rest, "simplify"), form=form))

    def do_shape(self, rest):
        expr = self._parse(rest, "shape")
        names = ", ".join(f"{n}: {_shape_words(s)}" for n, s in expr.symbols().items())
        return f"{describe(expr.shape)}   ({names})" if names else describe(expr.shape)

    def do_help(self, rest):
        if rest in HELP:
            return HELP[rest]
        if rest:
            raise MatcalcError(f"no command '{rest}'; commands: {', '.join(COMMANDS)}")
        return "commands:\n" + "\n".join("  " + HELP[c].splitlines()[0] for c in COMMANDS) + \
            "\nan expression alone prints it with its shape; 'help COMMAND' for more"

    def do_expression(self, line):
        expr = self._parse(line, "expression")
        return f"{expr}   : {describe(expr.shape)}"

    # -- helpers
    def _parse(self, text, command):
        if not text:
            raise MatcalcError(f"{command} needs an expression; see 'help {command}'")
        return api.parse(text, self.shapes, self.symmetric)

    def _wrt(self, rest, command, options):
        match = re.match(r"(?s)(.*)\s+wrt\s+([A-Za-z][A-Za-z0-9_]*)\s*(\w+)?\s*$", rest)
        if not match:
            raise MatcalcError(f"{command} EXPR wrt NAME; see 'help {command}'")
        expr, wrt, option = match.groups()
        if option is not None and option not in options:
            raise MatcalcError(f"{command}: unknown option '{option}'"
                               + (f"; options: {', '.join(options)}" if options else ""))
        return expr, wrt, option


def _shape_words(shape):
    return "scalar" if shape == () else " x ".join(str(d) for d in shape)


def _setup_terminal(session):
    try:
        import readline
    except ImportError:                   # e.g. a Python built without it
        return None
    history = os.path.join(os.path.expanduser("~"), ".matcalc_history")
    try:
        readline.read_history_file(history)
    except (OSError, UnicodeDecodeError):
        pass

    def complete(text, state):
        words = list(COMMANDS) + ["wrt", "expanded", "expand"] + sorted(session.shapes)
        matches = [w for w in words if w.startswith(text)]
        return matches[state] if state < len(matches) else None
    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n()*+-/'^.,=")
    readline.parse_and_bind("tab: complete")
    return lambda: _save_history(readline, history)


def _save_history(readline, path):
    try:
        readline.set_history_length(1000)
        readline.write_history_file(path)
    except OSError:
        pass


def run(stdin=None, stdout=None, stderr=None):
    """Read commands until quit or end of input; return the exit status (0)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    session = Session()
    interactive = stdin.isatty() and stdout.isatty()
    save = None
    if interactive:
        save = _setup_terminal(session)
        print("matcalc: matrix calculus in denominator layout. 'help' lists the commands.",
              file=stdout)
    try:
        while True:
            if interactive:
                try:
                    line = input("...      " if session.block is not None else "matcalc> ")
                except EOFError:
                    print(file=stdout)
                    break
                except KeyboardInterrupt:
                    print("\n(interrupted; 'quit' to leave)", file=stdout)
                    session.block = None
                    continue
            else:
                line = stdin.readline()
                if not line:
                    break
            if line.strip() in ("quit", "exit") and session.block is None:
                break
            try:
                output = session.execute(line)
            except MatcalcError as error:
                print(f"error: {error}", file=stderr)
                continue
            except RecursionError:
                print("error: the expression is nested too deeply", file=stderr)
                continue
            if output:
                print(output, file=stdout)
        if session.block:                  # a derivation block left open at the end
            try:
                print(session.execute(""), file=stdout)
            except MatcalcError as error:
                print(f"error: {error}", file=stderr)
    finally:
        if save:
            save()
    return 0
