"""A newcomer's first ten minutes (issue 23): no tracebacks, no junk accepted, printing that
reads as written."""

import socket
import subprocess
import sys

import pytest

import matcalc


def _serve(*arguments):
    return subprocess.run([sys.executable, "-m", "matcalc.cli", "serve", *arguments],
                          capture_output=True, text=True, timeout=60)


def test_serve_on_a_port_out_of_range_is_one_line_and_exit_2():
    run = _serve("--port", "99999")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip() == "error: the port must be between 0 and 65535, not 99999"


def test_serve_on_a_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = _serve("--port", str(taken.getsockname()[1]))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: cannot listen on 127.0.0.1:")
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["n x", "n,", "x d", "n x d x k", "n x x d"])
def test_shape_text_with_a_part_missing_is_an_error(text):
    with pytest.raises(matcalc.MatcalcError, match="is not a shape"):
        matcalc.parse("Z", shapes={"Z": text})


@pytest.mark.parametrize("text, shape", [("n x d", ("n", "d")), ("n,d", ("n", "d")),
                                         ("n", ("n",)), ("(n, d)", ("n", "d")),
                                         ("scalar", ())])
def test_shape_text_that_is_whole_reads(text, shape):
    assert tuple(str(d) for d in matcalc.parse("Z", shapes={"Z": text}).shape) == shape


def test_a_sum_never_prints_plus_minus():
    g = matcalc.diff("norm2(X0*w - y0)^2 + norm2(X1*w - y1)^2 + norm2(X2*w - y2)^2", "w")
    assert "+ -" not in str(g)
    assert str(g) == "2*((X0'*X0 + X1'*X1 + X2'*X2)*w - X0'*y0 - X1'*y1 - X2'*y2)"


def test_reports_show_what_they_hold():
    loss = "(X*w - y)'*(X*w - y)"
    assert repr(matcalc.stationary_point(loss, "w")) == \
        "Solution(\"inv(X'*X)*X'*y\", kind='minimum')"
    assert repr(matcalc.derive(loss, "w")).startswith(
        "Derivation(d/dw of \"(X*w - y)'*(X*w - y)\", method='chain', "
        "result=\"2*X'*(X*w - y)\"")
    check = matcalc.check_derivation([loss, "w'*X'*X*w - 2*y'*X*w + y'*y"])
    assert repr(check) == "DerivationCheck(2 steps, every step holds)"


@pytest.mark.parametrize("loss, wrt, message", [
    ("sum(w.^3)", "w", "it contains w.^2 (elementwise power of w)"),
    ("logdet(S) + tr(inv(S)*C) + tr(S)", "S",
     "after clearing the inverse, the gradient is not linear in S': it contains S'^2"),
])
def test_refusals_speak_the_users_names(loss, wrt, message):
    """No stand-in (_S_t) or class name (elempower) in a message."""
    with pytest.raises(matcalc.MatcalcError) as error:
        matcalc.stationary_point(loss, wrt)
    assert message in str(error.value) and "_" not in str(error.value)


def test_derive_does_not_cite_the_spec():
    assert "SPEC" not in str(matcalc.derive("A*X*B", "X"))


@pytest.mark.parametrize("text", ["1e-400*x", "1e-399999999*x", "2.5e-999999999*x"])
def test_a_number_too_small_for_a_float_is_refused_at_once(text):
    """1e-399999999 built an exact fraction of 400 million digits (minutes)."""
    with pytest.raises(matcalc.ParseError, match="too small for a float"):
        matcalc.parse(text)
    assert str(matcalc.parse("0e-399999999*x + 1e-300*x")) == "0*x + 1e-300*x"


def _cli(*arguments):
    run = subprocess.run([sys.executable, "-m", "matcalc.cli", *arguments],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_steps_in_latex_are_latex():
    out = _cli("diff", "(X*w - y)'*(X*w - y)", "--wrt", "w", "--steps", "--latex")
    assert out.startswith("\\begin{aligned}") and "[" not in out.splitlines()[1]


def test_the_differential_with_its_steps():
    out = _cli("diff", "A*X*B", "--wrt", "X", "--differential", "--steps")
    assert "kron(B, A')" in out and out.strip().endswith("d(A*X*B) = A*dX*B")


def test_numerator_layout_in_python_and_json():
    """layout= of SPEC 3 (a TypeError before); the JSON's 'expanded' was the factored form."""
    g = matcalc.diff("(X*w - y)'*(X*w - y)", "w", layout="numerator", form="expanded")
    assert str(g) == "2*w'*X'*X - 2*y'*X"
    assert str(matcalc.diff("A*X*B", "X", layout="numerator")) == "kron(B', A)"
    import json
    document = json.loads(_cli("diff", "(X*w - y)'*(X*w - y)", "--wrt", "w", "--layout",
                               "numerator", "--json"))
    assert document["result"] == {"factored": "2*(w'*X' - y')*X",
                                  "expanded": "2*w'*X'*X - 2*y'*X"}
    with pytest.raises(matcalc.MatcalcError, match="layout"):
        matcalc.diff("x'*x", "x", layout="rows")


@pytest.mark.parametrize("text, expected", [("trace(X)", "tr(X)"), ("inverse(A)*x", "inv(A)*x")])
def test_words_people_type_read_as_the_functions(text, expected):
    assert str(matcalc.parse(text)) == expected


@pytest.mark.parametrize("text, hint", [("mean(x)", "sum(x)/N"), ("normfro(X)", "Frobenius"),
                                        ("transpose(X)", "X'")])
def test_words_with_no_function_say_how_to_write_them(text, hint):
    with pytest.raises(matcalc.ParseError, match=None) as error:
        matcalc.parse(text)
    assert hint in str(error.value)


def test_a_mistyped_repl_command_is_named():
    from matcalc.repl import Session
    with pytest.raises(matcalc.MatcalcError, match="unknown command 'sovle'; did you mean "
                                                   "'solve'"):
        Session().execute("sovle x'*x wrt x")


@pytest.mark.parametrize("text, printed", [
    ("2^2^2^2^2", "2^65536"), ("a*10^10^10", "10^10000000000*a"),
    ("2^2^2^2^2^2", "2^2^65536"), ("x*1e300^2", "1e300^2*x"), ("2^10*x", "1024*x")])
def test_exact_constants_stay_within_a_floats_range(text, printed):
    """2^2^2^2^2 raised Python's integer-string ValueError, a*10^10^10 hung in an exact
    power, 1e300^2 printed 1e600, which reads back as too large (issue 24, item 3)."""
    simplified = matcalc.simplify(text)
    assert str(simplified) == printed
    assert str(matcalc.parse(str(simplified))) == printed


@pytest.mark.parametrize("text, wrt, printed", [
    ("sum(w - (x + 1) .* sigmoid(w))", "w", "1 - (x + 1) .* sigmoid(w) .* sigmoid(-w)"),
    ("-(x + 1) .* exp(y) + x + 1", None, "x + 1 - (x + 1) .* exp(y)")])
def test_a_factored_negation_inside_a_later_term_is_subtracted(text, wrt, printed):
    e = matcalc.diff(text, wrt) if wrt else matcalc.simplify(text)
    assert str(e) == printed


def test_long_number_literals_read():
    """Python refuses int conversions past 4300 digits: '1.000...0' raised ValueError."""
    assert str(matcalc.parse("1." + "0" * 4400 + "*x")) == "1*x"
    assert str(matcalc.parse("0." + "0" * 5000 + "1e5000*x")) == "0.1*x"


def test_a_coefficient_undefined_at_some_draws_is_no_linalg_error():
    """arccos(b)*z^2 - z: numpy's LinAlgError from cond() of a NaN coefficient."""
    solution = matcalc.stationary_point("arccos(b)*z^2 - z", "z", shapes={"z": (), "b": ()})
    assert str(solution) == "0.5/arccos(b)"


def test_a_size_power_is_bounded():
    """I(n^100000000) built a list of 10^8 names (39 s, 2.3 GB; issue 24, item 2)."""
    with pytest.raises(matcalc.ParseError, match="at most 64"):
        matcalc.parse("I(n^100000000)")
    assert str(matcalc.parse("tr(I(n^2))")) == "tr(I(n^2))"


@pytest.mark.parametrize("run", [lambda e: e.evaluate({}), lambda e: matcalc.compile(e)({})])
def test_a_value_too_large_for_memory_is_an_evaluation_error(run):
    """kron(I(20000), I(20000)) ended in numpy's MemoryError (issue 24, item 2)."""
    with pytest.raises(matcalc.EvaluationError, match="do not fit in memory"):
        run(matcalc.parse("kron(I(1000000), I(1000000))"))


@pytest.mark.parametrize("text, shapes", [
    ("(y - X*b)'*(y - X*b)", {"y": "n-vector", "X": "n x d", "b": "d-vector"}),
    ("X*theta - y", {"X": "n x d", "theta": "d-vector", "y": "n-vector"}),
    ("norm2(A*x - b)^2", {"A": "n x d", "x": "d-vector", "b": "n-vector"}),
    ("(x - mu)'*inv(S)*(x - mu)", {"x": "n-vector", "mu": "n-vector", "S": "n x n"}),
    ("(X*w - y)'*(X*w - y)", {"X": "n x d", "w": "d-vector", "y": "n-vector"}),
    ("1/N*sum((Y - A*W).^2)", {"N": "scalar", "Y": "n x d", "A": "n x m", "W": "m x d"}),
    ("a*x + b", {"a": "scalar", "x": "n-vector", "b": "n-vector"}),
    ("a*b + c", {"a": "scalar", "b": "scalar", "c": "scalar"}),
])
def test_defaults_give_way_by_rank_and_never_bend_a_name(text, shapes):
    """(y - X*b)'*(y - X*b) read b as a scalar and bent X into a vector (issue 23, item 1)."""
    from matcalc.shapes import describe
    found = matcalc.parse(text).symbols()
    assert {name: describe(shape) for name, shape in found.items()} == shapes


def test_a_declared_scalar_still_broadcasts():
    e = matcalc.parse("(x - mu)'*(x - mu)", shapes={"mu": ()})
    assert e.symbols()["mu"] == ()
    g = matcalc.diff("norm2(A*x - b)^2", "x", shapes={"b": ()})
    assert "b" in str(g) and g.shape == matcalc.parse("x", shapes={"x": ("d",)}).shape


def test_the_shapes_line_shows_what_was_inferred():
    assert matcalc.parse("(y - X*b)'*(y - X*b)").shapes_line() == \
        "shapes: y n-vector, X n x d, b d-vector"
    declared = {"X": ("n", "d"), "w": ("d",), "y": ("n",)}
    assert matcalc.parse("(X*w - y)'*(X*w - y)", shapes=declared).shapes_line() == ""
