"""The command line and the REPL, through subprocesses, pipes and a pseudo-terminal."""

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest

MATCALC = [sys.executable, "-m", "matcalc.cli"]


def run(*args, stdin=None):
    return subprocess.run(MATCALC + list(args), input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_diff_prints_the_factored_form():
    result = run("diff", "(X*w - y)'*(X*w - y)", "--wrt", "w")
    assert result.returncode == 0
    # with the shapes it read (SPEC 1: nothing was declared)
    assert result.stdout.splitlines() == ["2*X'*(X*w - y)",
                                          "shapes: X n x d, w d-vector, y n-vector"]


def test_diff_expanded_with_shapes_and_verify():
    result = run("diff", "(X*w - y)'*(X*w - y)", "--wrt", "w", "--form", "expanded",
                 "--shape", "X=n,d", "--shape", "y=n", "--verify")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2*X'*X*w - 2*X'*y"
    assert lines[1] == "shapes: X n x d, w d-vector, y n-vector"     # w was inferred
    assert "numeric check passed" in lines[2]


def test_diff_json_schema():
    result = run("diff", "w'*B*w", "--wrt", "w", "--json", "--symmetric", "B")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert set(document) >= {"schema", "input", "wrt", "layout", "shape", "result", "latex",
                             "verification"}
    assert document["result"] == {"factored": "2*B*w", "expanded": "2*B*w"}
    assert document["shape"] == ["n"]
    assert document["verification"]["passed"] is True


def test_numerator_layout_is_the_transpose():
    result = run("diff", "A*x", "--wrt", "x", "--layout", "numerator")
    assert result.stdout.splitlines()[0] == "A"
    assert "numerator layout" in result.stdout


def test_steps_and_latex():
    assert "du/dv = 2*v" in run("diff", "(X*w - y)'*(X*w - y)", "--wrt", "w",
                                "--steps").stdout
    assert run("diff", "x'*x", "--wrt", "x", "--latex").stdout.strip() == "2 x"


def test_past_two_indices_on_the_command_line():
    result = run("diff", "inv(X)", "--wrt", "X", "--verify")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "-kron(inv(X), inv(X'))"
    assert "numeric check passed" in result.stdout
    result = run("diff", "inv(X)", "--wrt", "X", "--differential")
    assert result.returncode == 0 and result.stdout.strip() == "-inv(X)*dX*inv(X)"
    result = run("diff", "X'*X", "--wrt", "X", "--direction", "V", "--verify")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "V'*X + X'*V"
    document = json.loads(run("diff", "A*X*B", "--wrt", "X", "--shape", "X=m,n",
                              "--shape", "A=p,m", "--shape", "B=n,q", "--json").stdout)
    assert document["result"]["factored"] == "kron(B, A')"
    assert document["shape"] == ["m*n", "p*q"] and document["verification"]["passed"]


def test_solve():
    result = run("solve", "(X*w - y)'*(X*w - y)", "--wrt", "w")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "w = inv(X'*X)*X'*y"


def test_check_exit_codes():
    assert run("check", "(A*B)'", "B'*A'").returncode == 0
    failed = run("check", "diff(w'*B*w, w)", "2*B*w")
    assert failed.returncode == 1
    assert "holds when B is symmetric" in failed.stdout and "counterexample" in failed.stdout


def test_check_a_derivation_file(tmp_path):
    path = tmp_path / "derivation.txt"
    path.write_text("(X*w - y)'*(X*w - y)\n= w'*X'*X*w - 2*w'*X'*y + y'*y  # expanded\n"
                    "= w'*X'*X*w - w'*X'*y + y'*y\n")
    result = run("check", "--file", str(path))
    assert result.returncode == 1
    assert "step 3 is wrong" in result.stdout


@pytest.mark.parametrize("args", [
    ("diff", "a +", "--wrt", "a"),
    ("diff", "X*y", "--wrt", "y", "--shape", "X=n,d", "--shape", "y=n"),
    ("diff", "x'*x", "--wrt", "q"),
    ("diff", "S*X", "--wrt", "S", "--symmetric", "S"),    # non-scalar by symmetric
    ("check", "--file", "/nonexistent/file"),
    ("diff", "x", "--shape", "bad"),
])
def test_bad_input_exits_2_without_traceback(args):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("error:") or "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_reproduces_both_documents():
    result = run("demo")
    assert result.returncode == 0
    out = result.stdout
    for fragment in ("du/dv = 2*v", "dv/dw = X'", "X'*(2*(X*w - y))", "2*X'*X*w - 2*X'*y",
                     "both routes agree", "w = inv(X'*X)*X'*y", "numpy.linalg.lstsq",
                     "(agree)", "-2/N*A'*(Y - A*W): holds"):
        assert fragment in out, fragment
    assert "FAILED" not in out and "DISAGREE" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


# ---------------------------------------------------------------- the REPL

SESSION = "\n".join([
    "diff (X*w - y)'*(X*w - y) wrt w",
    "this is ((( bad",
    "let X: n x d",
    "let y: n",
    "diff X*w - y wrt w",
    "check (A*B)' == B'*A'",
    "check",
    "(X*w - y)'*(X*w - y)",
    "w'*X'*X*w - 2*w'*X'*y + y'*y",
    "",
    "solve (X*w - y)'*(X*w - y) wrt w",
    "help solve",
    "let",
]) + "\n"


def test_repl_through_a_pipe():
    result = run(stdin=SESSION)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2*X'*(X*w - y)"
    assert lines[1] == "  shapes: X n x d, w d-vector, y n-vector"
    assert lines[2] == "X'"
    assert "every step holds" in result.stdout
    assert "w = inv(X'*X)*X'*y" in result.stdout
    assert "X: n x d" in result.stdout
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert "matcalc>" not in result.stdout            # no prompt in a pipe


def test_repl_spec_example():
    result = run(stdin="diff (X*w - y)'*(X*w - y) wrt w\n")
    assert result.stdout == "2*X'*(X*w - y)\n  shapes: X n x d, w d-vector, y n-vector\n"
    assert result.returncode == 0


def test_repl_differential_and_directions():
    result = run(stdin="let X: m x n\ndifferential inv(X'*X) wrt X\n"
                       "diff tr(X'*X) wrt X along V\ndiff X*w wrt X\n")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "-inv(X'*X)*X'*dX*inv(X'*X) - inv(X'*X)*dX'*X*inv(X'*X)",
        "2*tr(V*X')", "kron(w, I(m))", "  shapes: X m x n, w n-vector"]


def test_repl_quit_after_errors_exits_0():
    assert run(stdin="1 +\nfoo(x)\nquit\ndiff x wrt x\n").returncode == 0


def _read_until(fd, marker, timeout=30):
    seen, end = b"", time.time() + timeout
    while marker not in seen and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_repl_on_a_terminal_has_prompt_history_and_completion(tmp_path):
    pid, fd = pty.fork()
    if pid == 0:                                       # the child: matcalc on a terminal
        os.environ["HOME"] = str(tmp_path)
        os.execv(sys.executable, MATCALC)
    try:
        assert "matcalc> " in _read_until(fd, b"matcalc> ")
        os.write(fd, b"let Xdata: n x d\n")
        _read_until(fd, b"matcalc> ")
        os.write(fd, b"der\t")                          # completes to 'derive'
        assert "derive" in _read_until(fd, b"derive")
        os.write(fd, b"\x15")                           # clear the line
        os.write(fd, b"shape Xd\t\n")                   # completes the declared name
        assert "Xdata: n x d" in _read_until(fd, b"Xdata: n x d")
        os.write(fd, b"quit\n")
        _read_until(fd, b"\n", timeout=5)
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    history = (tmp_path / ".matcalc_history").read_text()
    assert "let Xdata: n x d" in history


def test_check_answers_false_with_a_small_counterexample():
    result = run("check", "(A*B)'", "A'*B'")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "does NOT hold" in lines[0] and len(lines) <= 5
    assert lines[1].startswith("  counterexample: A = [[") and "B = [[" in lines[1]
    assert lines[2].startswith("  left side:  [[") and lines[3].startswith("  right side: [[")
    # the values are rounded to one decimal and 2 x 2: what is printed is what was used
    assert len(lines[1]) < 100
