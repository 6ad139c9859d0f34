"""Notebook 07 (evaluation) through the report runner on a small synthetic sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_notebooks

from zeerec.models import registry
from zeerec.synthetic import generate

K = 5


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.05, seed=11)
    out = tmp_path_factory.mktemp("run")
    metrics = run_notebooks(
        sample,
        out,
        {"top_n": K, "n_users": None, "ease_lambdas": [20, 100], "mf_epochs": 3},
        ["01", "07"],
    )
    return out, metrics["notebooks"]["07_evaluation"]["metrics"]


@pytest.mark.notebooks
def test_every_model_is_compared_without_leakage(run):
    _, m = run
    assert m["leaked_pairs"] == 0
    assert m["k"] == K
    assert set(m["models"]) == set(registry.MODELS)
    assert m["unavailable"] == {}
    ranking = {r["model"]: r for r in m["ranking"]}
    # every model ranks except the global mean (every movie alike) and the rating blend
    # (stars only)
    assert set(ranking) == set(m["models"]) - {"global mean", "rating blend"}
    rating = {r["model"] for r in m["rating"]}
    assert {"global mean", "bias baseline", "seed MF", "improved MF", "rating blend"} <= rating
    assert {r["model"] for r in m["rmse_intervals"]} == rating  # every RMSE has its interval
    assert {r["model"] for r in m["ranking_intervals"]} == set(ranking)
    assert m["ease_lambda"] in (20, 100)
    assert m["n_users_judged"] == ranking["EASE"]["n_users"]


@pytest.mark.notebooks
def test_the_numbers_follow_from_the_data(run):
    _, m = run
    ranking = {r["model"]: r for r in m["ranking"]}
    # the sample has genre-driven tastes: a personalised top-N model beats popularity
    assert ranking["EASE"][f"ndcg@{K}"] > ranking["popularity"][f"ndcg@{K}"]
    assert m["best_ranking_model"] == max(ranking, key=lambda n: ranking[n][f"ndcg@{K}"])
    assert m["best_ndcg"] == pytest.approx(ranking[m["best_ranking_model"]][f"ndcg@{K}"])
    # the best rating model beats always predicting the training mean
    assert m["best_rmse"] < m["global_mean_rmse"]
    assert {r["model"] for r in m["rating"]} >= {"item-kNN pearson", "user-kNN"}
    buckets = list(dict.fromkeys(r["activity"] for r in m["by_activity"]))
    assert buckets[0].startswith("cold")
    jobs = {r["job"]: r["model"] for r in m["conclusions"]}
    assert jobs[f"top-{K} list for a typical user"] == m["best_ranking_model"]
    assert jobs["predicting stars"] == m["best_rating_model"]
    # the findings card names the models the best cannot be told apart from, as the
    # conclusion does
    tied = {r["job"]: r["tied_with"] or "none" for r in m["conclusions"]}
    assert m["best_ranking_tied_with"] == tied[f"top-{K} list for a typical user"]
    assert m["best_rating_tied_with"] == tied["predicting stars"]


@pytest.mark.notebooks
def test_report_shows_the_headline_and_every_chart(run):
    out, m = run
    reports: Path = out / "reports"
    page = (reports / "07_evaluation.html").read_text()
    assert "SYNTHETIC DATA" in page
    assert "Traceback" not in page
    assert page.count("data:image/png;base64") >= 4  # rating, ranking, cost, activity
    assert "the best model for each job" in page
    assert "tied with it (paired 95 % interval" in page  # the findings card says who ties
    index = (reports / "index.html").read_text()
    assert f"ndcg@{K}" in index and "EASE" in index  # the headline table
    on_disk = json.loads((reports / "metrics.json").read_text())
    assert (
        on_disk["notebooks"]["07_evaluation"]["metrics"]["best_ranking_model"]
        == (m["best_ranking_model"])
    )
    assert (out / "models" / "evaluation_per_user.parquet").is_file()
