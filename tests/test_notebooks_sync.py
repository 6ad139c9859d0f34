"""Each notebook is a jupytext pair; the two files must hold the same cells."""

from __future__ import annotations

import jupytext
import pytest
from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
PAIRS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def test_every_notebook_has_both_files():
    py = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")}
    ipynb = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert py, "no notebooks found"
    assert py == ipynb, f"unpaired: {sorted(py ^ ipynb)} (run `make sync`)"


@pytest.mark.parametrize("py", PAIRS, ids=[p.stem for p in PAIRS])
def test_pair_in_sync_and_stripped(py):
    text = jupytext.read(py)
    book = jupytext.read(py.with_suffix(".ipynb"))
    cells = [(c.cell_type, c.source.strip()) for c in text.cells]
    assert cells == [(c.cell_type, c.source.strip()) for c in book.cells], (
        f"{py.name} and its .ipynb differ: run `make sync`"
    )
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{py.stem}.ipynb has outputs committed: strip them"
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{py.stem} needs exactly one cell tagged 'parameters'"
