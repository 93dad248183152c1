"""Build and execute docs/derivations.ipynb: the two source documents, derived in a notebook.

    make notebook        (installs the `notebook` extra: nbformat, nbclient, ipykernel)

The notebook is written cell by cell below, then executed by a real Jupyter kernel, and
saved with its outputs; tests/test_notebook.py checks that the outputs kept are what the
program gives today.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CELLS = [
    ("md", """# The two documents, derived with matcalc

matcalc differentiates matrix expressions in **denominator layout**, the convention of both
source documents: a scalar differentiated by a column vector gives a column, and the chain
rule reads du/dw = dv/dw * du/dv. In a notebook an expression and a derivation display
typeset."""),
    ("md", """## 1. Linear regression: the loss and its gradient

The loss (X*w - y)'*(X*w - y) needs no declarations: by matrixcalculus.org's convention
uppercase names are matrices and lowercase ones from h to z column vectors."""),
    ("code", """import matcalc

loss = matcalc.parse("(X*w - y)'*(X*w - y)")
loss"""),
    ("code", "loss.symbols()"),
    ("md", """The first document's route: the intermediate v = X*w - y, du/dv = 2*v,
dv/dw = X', and the chain rule in the documents' order."""),
    ("code", """derivation = matcalc.derive(loss, "w")
derivation"""),
    ("md", "The same derivation as text, with its numeric check:"),
    ("code", "print(derivation)"),
    ("md", """The document's appendix expands the loss instead and differentiates term by term,
with d(w'*B*w)/dw = (B + B')*w:"""),
    ("code", """matcalc.derive(loss, "w", method="expand")"""),
    ("md", """## 2. The normal equation

Setting the gradient 2*X'*X*w - 2*X'*y to zero:"""),
    ("code", """w_star = matcalc.stationary_point(loss, "w")
w_star"""),
    ("code", """print(w_star.verdict, "|", w_star.verification)"""),
    ("md", "On random data it agrees with numpy's least squares:"),
    ("code", """import numpy as np

rng = np.random.default_rng(2026)
X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
ours = w_star.evaluate(X=X, y=y)
theirs = np.linalg.lstsq(X, y, rcond=None)[0]
float(np.max(np.abs(ours - theirs)))"""),
    ("md", """## 3. The mean squared error, the second document

The loss 1/N*sum((Y - A*W).^2), differentiated by W; the document ends at
dW = -2/N*A'*(Y - A*W)."""),
    ("code", """mse = matcalc.parse("1/N*sum((Y - A*W).^2)")
gradient = matcalc.diff(mse, "W")
gradient"""),
    ("code", """matcalc.diff(mse, "W", form="expanded")"""),
    ("code", """claim = matcalc.check(gradient, "-2/N*A'*(Y - A*W)")
print(claim)"""),
    ("code", """print(matcalc.verify(mse, "W", gradient))"""),
    ("code", """matcalc.stationary_point(mse, "W")"""),
    ("md", """## 4. Past two indices

A matrix by a matrix has a matrix form d vec(F)/d vec(X) (docs/past-two-indices.md):"""),
    ("code", """matcalc.derive("inv(X)", "X")"""),
]


def build():
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    notebook = new_notebook()
    notebook.cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text)
                      for kind, text in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for k, cell in enumerate(notebook.cells):  # stable files: no run-specific metadata,
        cell.metadata.pop("execution", None)    # ids by place (nbformat's are random)
        cell.id = f"cell-{k}"
    target = HERE / "derivations.ipynb"
    nbformat.write(notebook, target)
    return target


if __name__ == "__main__":
    print(build(), file=sys.stdout)
