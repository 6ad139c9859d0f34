"""Notebook 06 (recommendations for a new user) end to end on a small synthetic sample.

Run without notebook 05 before it, so it also exercises the documented fallback: a
small MF trained in the notebook, said so in the report, never saved.
"""

from __future__ import annotations

import pytest
from conftest import run_notebooks

from zeerec import data
from zeerec.synthetic import generate

TOP = 5


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.05, seed=7)
    out = tmp_path_factory.mktemp("run")
    params = {"top_n": TOP, "fallback_epochs": 20, "protocol_users": 40}
    metrics = run_notebooks(sample, out, params, ["01", "06"])
    return out, metrics["notebooks"]["06_user_based"]["metrics"]


@pytest.mark.notebooks
def test_stand_in_profile_on_synthetic_data(run):
    out, m = run
    # The seed's titles are not in the invented catalogue: four popular comedies stand in.
    assert m["stand_in_profile"] is True
    assert sorted(m["profile"].values()) == [3, 4, 5, 5]
    ml = data.load_processed(out / "processed")
    comedies = set(ml.movies.loc[ml.movies["genres"].map(lambda g: "Comedy" in g), "title"])
    assert set(m["profile"]) <= comedies


@pytest.mark.notebooks
def test_four_lists_of_unrated_movies_with_evidence(run):
    _, m = run
    rated = set(m["profile"])
    for method in ("user", "mf", "content", "hybrid"):
        top = m[f"top_{method}"]
        assert len(top) == TOP, method  # the top_n parameter reached the notebook
        assert not rated & set(top), method
        evidence = m["evidence"][method]
        assert [row["title"] for row in evidence] == top
        assert len(evidence[0]) >= 4  # rank, title and at least two evidence columns
    assert m["n_neighbours"] > 0 and m["n_common_raters"] >= m["n_neighbours"]
    assert m["hybrid_mode"] == "blend"


@pytest.mark.notebooks
def test_foldin_without_notebook_05_trains_a_small_model_and_agrees_with_it(run):
    out, m = run
    assert "notebook 05 has not run" in m["mf_model"]
    assert not (out / "models").exists() or not any((out / "models").iterdir())
    assert m["foldin_rmse_vs_trained"] < m["foldin_user_part"]
    assert m["foldin_ms"] < 50


@pytest.mark.notebooks
def test_report_says_synthetic_and_stand_in(run):
    out, _ = run
    page = (out / "reports" / "06_user_based.html").read_text()
    assert "SYNTHETIC DATA" in page
    assert "Standing in for them" in page
    assert "list to believe for a new user" in page and "against popularity (NDCG@10)" in page
    assert "Traceback" not in page
    assert "cuda" not in page.lower()  # TensorFlow's start-up chatter stays out


@pytest.mark.notebooks
def test_protocol_scores_the_four_lists_and_names_one_only_when_it_stands_out(run):
    _, m = run
    table = {row["model"]: row for row in m["protocol_table"]}
    assert m["protocol_users"] == 40 and m["protocol_n_profile"] == 4
    four = {"user-based CF", "MF fold-in", "content-based", "hybrid"}
    assert four | {"popularity"} <= set(table)
    for row in table.values():
        assert row["ndcg_lo"] <= row["ndcg@10"] <= row["ndcg_hi"]
    best = max(table, key=lambda name: table[name]["ndcg@10"])
    assert m["protocol_best"] == best
    assert m["protocol_best_ndcg"] == pytest.approx(table[best]["ndcg@10"])
    assert m["protocol_best_of_four"] in four
    assert m["protocol_tied_with"] == (", ".join(m["protocol_tied"]) or "none")  # the card's
    # the card names one list only when nothing ties with it
    if m["protocol_tied"]:
        assert m["protocol_believe"].startswith("no single list: ")
        assert all(t in m["protocol_believe"] for t in [best, *m["protocol_tied"]])
    else:
        assert m["protocol_believe"] == best
    # one comparison, one interval: the card's is the sentence's
    assert m["protocol_vs_popularity_text"].split(" − popularity ")[1] in m["protocol_verdict"]
    verdict = m["protocol_verdict"]
    if m["protocol_tied"]:  # named alone only when every interval excludes 0
        assert "no single list" in verdict and all(t in verdict for t in m["protocol_tied"])
    else:
        assert f"believe {best}'s list" in verdict
    # the comparison with popularity is said as measured, noise included
    assert f"{m['protocol_vs_popularity']:+.3f}" in verdict
    assert verdict.endswith(": within noise.") == (m["protocol_vs_popularity_verdict"] == "tied")
