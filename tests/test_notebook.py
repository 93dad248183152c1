"""Notebooks: Expr and Derivation display typeset, and docs/derivations.ipynb holds the
outputs the program gives today (it is built and executed by `make notebook`)."""

import json
import sys
from pathlib import Path

import pytest

import matcalc

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))
from make_notebook import CELLS  # noqa: E402

LOSS = "(X*w - y)'*(X*w - y)"
MSE = "1/N*sum((Y - A*W).^2)"


def test_expr_and_derivation_display_typeset():
    e = matcalc.parse(LOSS)
    assert e._repr_latex_() == "$" + e.latex() + "$"
    d = matcalc.derive(e, "w")
    assert d._repr_latex_().startswith("$$\\begin{aligned}")
    page = d._repr_html_()
    assert "<table>" in page and "$X w - y$" in page and "numeric check passed" in page
    assert "du/dw = dv/dw * du/dv =" in page
    assert "&#8614;" in matcalc.derive("inv(X)", "X")._repr_html_()     # a rewriting step


@pytest.fixture(scope="module")
def notebook():
    return json.loads((DOCS / "derivations.ipynb").read_text())


def test_the_notebook_is_the_generator_run(notebook):
    assert [c["cell_type"] for c in notebook["cells"]] == \
        ["markdown" if kind == "md" else "code" for kind, _ in CELLS]
    for cell, (_, text) in zip(notebook["cells"], CELLS):
        assert "".join(cell["source"]) == text
    codes = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in codes] == list(range(1, len(codes) + 1))
    for cell in codes:
        assert cell["outputs"], cell["source"]
        assert all(o["output_type"] != "error" for o in cell["outputs"])


def _output(notebook, source_start):
    cell = next(c for c in notebook["cells"]
                if c["cell_type"] == "code" and "".join(c["source"]).startswith(source_start))
    found = {}
    for output in cell["outputs"]:
        for kind, text in output.get("data", {}).items():
            found[kind] = "".join(text)
        if output["output_type"] == "stream":
            found["stdout"] = found.get("stdout", "") + "".join(output["text"])
    return found


def test_the_outputs_kept_are_todays(notebook):
    loss = matcalc.parse(LOSS)
    assert _output(notebook, "import matcalc")["text/latex"] == loss._repr_latex_()
    derivation = matcalc.derive(loss, "w")
    kept = _output(notebook, "derivation = ")
    assert kept["text/latex"] == derivation._repr_latex_()
    assert kept["text/html"] == derivation._repr_html_()
    assert _output(notebook, "print(derivation)")["stdout"] == str(derivation) + "\n"
    assert _output(notebook, "w_star = ")["text/latex"] == \
        matcalc.stationary_point(loss, "w")._repr_latex_() == \
        "${\\left({X}^\\top X\\right)}^{-1} {X}^\\top y$"
    mse = matcalc.parse(MSE)
    assert _output(notebook, "mse = ")["text/latex"] == matcalc.diff(mse, "W")._repr_latex_()
    assert "-2/N*A'*(Y - A*W): holds" in _output(notebook, "claim = ")["stdout"]
    assert float(_output(notebook, "import numpy")["text/plain"]) < 1e-12


def test_the_notebook_file_is_reproducible(notebook):
    """make notebook rewrote it with random cell ids and object addresses (issue 23)."""
    assert [c["id"] for c in notebook["cells"]] == [f"cell-{k}"
                                                   for k in range(len(notebook["cells"]))]
    assert " at 0x" not in json.dumps(notebook)
