"""Notebooks 03-04 (item similarity, item-kNN) run end to end on a small synthetic sample."""

from __future__ import annotations

import json

import pytest
from conftest import run_notebooks

from zeerec.synthetic import generate

TOP = 5


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Notebooks 01, 03 and 04 through the runner `make report` uses."""
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.05, seed=7)
    out = tmp_path_factory.mktemp("run")
    metrics = run_notebooks(sample, out, {"top_n": TOP, "k": TOP}, ["01", "03", "04"])
    return out / "reports", metrics["notebooks"]


@pytest.mark.notebooks
def test_item_similarity_notebook(run):
    _, books = run
    m = books["03_item_similarity"]["metrics"]
    # "Liar Liar" is not in the invented catalogue: the most-rated movie stands in.
    assert m["movie_fallback"] is True and m["movie"] != "Liar Liar"
    assert m["seed_matches_pandas"] is True
    assert float(m["seed_max_abs_diff"]) < 1e-9
    for name in ("top_seed_pearson", "top_pearson", "top_cosine", "top_adjusted_cosine"):
        top = m[name]
        assert len(top) == TOP, name  # the top_n parameter reached the notebook
        assert all(t["title"] and t["movie_id"] != m["movie_id"] for t in top)
        scores = [t["score"] for t in top]
        assert scores == sorted(scores, reverse=True)
    assert min(t["n_common"] for t in m["top_pearson"]) >= m["min_common"]
    assert 0 < m["pivot_empty_share"] < 1


@pytest.mark.notebooks
def test_knn_notebook(run):
    _, books = run
    m = books["04_knn"]["metrics"]
    assert m["sklearn_equals_zeerec_set"] is True
    assert float(m["max_distance_difference"]) < 1e-9
    assert m["overlap_nn_with_cosine"] == TOP  # the neighbours are notebook 03's cosine list
    assert m["movie"] == books["03_item_similarity"]["metrics"]["movie"]
    assert m["n_recommendations"] == TOP == len(m["recommendations"])
    assert all(r["because you liked"] for r in m["recommendations"])
    assert [d["distance"] for d in m["nearest_neighbours"]] == sorted(
        d["distance"] for d in m["nearest_neighbours"]
    )


@pytest.mark.notebooks
def test_item_reports_render(run):
    reports, _ = run
    for name in ("03_item_similarity", "04_knn"):
        page = (reports / f"{name}.html").read_text()
        assert "SYNTHETIC DATA" in page and "is not in the synthetic sample" in page
        assert "Traceback" not in page and "Error" not in page.split("</style>")[-1]
    assert (reports / "03_item_similarity.html").read_text().count("<img") == 1  # the heatmap
    on_disk = json.loads((reports / "metrics.json").read_text())
    assert {"03_item_similarity", "04_knn"} <= set(on_disk["notebooks"])
