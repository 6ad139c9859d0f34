"""Notebook 05 (matrix factorisation) through the report runner on a tiny synthetic sample."""

from __future__ import annotations

import re

import pytest
from conftest import run_notebooks

from zeerec import mf_analysis
from zeerec.models import mf
from zeerec.synthetic import generate

TINY = {
    "factors": 8,
    "n_members": 2,
    "epochs": 10,
    "batch_size": 1024,
    "learning_rate": 1e-2,
    "seed_epochs": 2,
    "seed_batch_size": 1024,
    "seed_learning_rate": 1e-2,
    "ablation_ratings": 3000,
    "top_n": 5,
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.1, seed=5)
    out = tmp_path_factory.mktemp("run")
    metrics = run_notebooks(sample, out, TINY, ["01", "05"])
    return out, metrics["notebooks"]["05_matrix_factorization"]["metrics"]


@pytest.mark.notebooks
def test_improved_model_beats_the_baselines_and_the_seed(run):
    _, m = run
    # the sample has genre-driven tastes: personalisation beats the biases, biases the mean
    assert m["rmse_improved"] < m["rmse_bias_baseline"] < m["rmse_global_mean"]
    assert m["rmse_improved"] < m["rmse_seed"]
    assert m["improved_vs_seed"] == pytest.approx(1 - m["rmse_improved"] / m["rmse_seed"], abs=1e-5)
    assert m["epochs_run"] <= TINY["epochs"] and 1 <= m["best_epoch"] <= m["epochs_run"]
    assert m["seed_batch_size"] == TINY["seed_batch_size"]  # the parameter reached the notebook
    rows = {r["model"]: r for r in m["metrics_table"]}
    assert rows["improved MF (zeerec)"]["rmse"] == pytest.approx(m["rmse_improved"])
    assert len(m["ablation"]) == len(mf_analysis.ABLATION_STEPS)
    assert len(m["similar_movies"]) == len(m["top_list"]) == TINY["top_n"]
    assert m["similar_movie"] not in m["similar_movies"]


@pytest.mark.notebooks
def test_model_is_saved_for_the_next_notebooks(run):
    out, m = run
    model = mf.load(out / "models" / mf.DEFAULT_NAME)
    assert isinstance(model, mf.BiasedMF)
    assert model.settings["n_members"] == TINY["n_members"]
    assert m["model_path"].endswith(mf.DEFAULT_NAME)


@pytest.mark.notebooks
def test_report_renders_every_figure(run):
    out, _ = run
    page = (out / "reports" / "05_matrix_factorization.html").read_text()
    assert "SYNTHETIC DATA" in page
    assert page.count("data:image/png;base64") >= 4
    body = re.sub(r"<style.*?</style>", "", page.split("<body", 1)[1], flags=re.S)
    assert "Traceback" not in body and "Error" not in body
    assert "E0000" not in body and "I0000" not in body  # TensorFlow's C++ notices stay out
    assert "Epoch 1/" in body  # Keras progress, one line per epoch
