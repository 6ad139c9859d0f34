"""Shared fixtures: tiny hand-written data sets and the location of the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SLICE = SHARED_DATA / "ml-1m-slice"
ML100K = SHARED_DATA / "ml-100k"

MOVIES = """\
1::Toy Story (1995)::Animation|Children's|Comedy
2::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi
3::Liar Liar (1997)::Comedy
4::Night Run: The Return (1994)::Action|Thriller
"""
USERS = """\
1::F::1::10::48067
2::M::56::16::70072
3::M::25::15::55117
"""
RATINGS = """\
1::1::5::978300760
1::2::3::978302109
2::1::4::978301968
2::3::2::978300275
3::4::1::978824291
3::1::5::978824292
"""


def run_notebooks(sample: Path, out: Path, parameters: dict, only: list[str]) -> dict:
    """Run notebooks ``only`` on the data in ``sample`` through the runner `make report` uses.

    Reports, processed tables and models go below ``out``; returns the runner's metrics
    (``["notebooks"][name]["metrics"]`` is what each notebook recorded).
    """
    from zeerec import report

    return report.run_report(
        report.resolve_data(str(sample)),
        parameters,
        notebooks_dir=ROOT / "notebooks",
        reports_dir=out / "reports",
        processed_dir=out / "processed",
        model_dir=out / "models",
        only=only,
    )


def write_notebook(path: Path, *sources: str, params: str = "x = 1") -> None:
    """A small notebook for the runner's own tests: a title, a ``parameters`` cell
    (``params``) and one code cell per source, on the plain python3 kernel."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def write_dataset(
    folder: Path, movies: str = MOVIES, users: str = USERS, ratings: str = RATINGS, prefix="zee-"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, text in (("movies", movies), ("users", users), ("ratings", ratings)):
        (folder / f"{prefix}{kind}.dat").write_bytes(text.encode("iso-8859-1"))
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny")


@pytest.fixture
def real_slice() -> Path:
    if not (SLICE / "zee-ratings.dat").is_file():
        pytest.skip("../shared/data/ml-1m-slice is not present on this machine")
    return SLICE
