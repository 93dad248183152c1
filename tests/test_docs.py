"""The worked examples of docs/ are what the program prints: run them and compare."""

import re
from pathlib import Path

import pytest

import matcalc

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _table_rows(page, heading_fragment):
    """The rows (lists of cells) of the first table after a line containing the fragment."""
    lines = (DOCS / page).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if heading_fragment in line)
    rows, seen_table = [], False
    for line in lines[start + 1:]:
        if line.startswith("|"):
            seen_table = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set("".join(cells)) <= set("-"):
                rows.append(cells)
        elif seen_table:
            break
    return rows[1:]                              # without the header


def _code(cell):
    match = re.fullmatch(r"`(.*)`", cell)
    return match.group(1) if match else cell


def _shapes(cell):
    shapes = {}
    for part in filter(None, (p.strip() for p in cell.split(","))):
        name, text = (s.strip() for s in part.split(":"))
        shapes[name] = text
    return shapes


DIFF_ROWS = _table_rows("past-two-indices.md", "| expression | by | shapes |")
DIFFERENTIAL_ROWS = _table_rows("past-two-indices.md", "Differentials (")


@pytest.mark.parametrize("row", DIFF_ROWS, ids=[r[0] for r in DIFF_ROWS])
def test_worked_examples_are_what_diff_prints(row):
    text, wrt, shapes, printed = row
    assert str(matcalc.diff(_code(text), wrt, _shapes(shapes))) == _code(printed)


@pytest.mark.parametrize("row", DIFFERENTIAL_ROWS, ids=[r[0] for r in DIFFERENTIAL_ROWS])
def test_differential_examples(row):
    text, wrt, printed = row
    assert str(matcalc.differential(_code(text), wrt)) == _code(printed)


def test_the_tables_were_found():
    assert len(DIFF_ROWS) >= 12 and len(DIFFERENTIAL_ROWS) >= 3
