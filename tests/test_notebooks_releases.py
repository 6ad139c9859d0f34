"""Notebooks 01-02 on a CSV release (half stars, no users file), built from the synthetic
sample in the tests' temporary folder: the no-users path of 02 in a smoke run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebooks

from zeerec import data as zd
from zeerec import features
from zeerec.synthetic import SYNTHETIC_MARKER, generate


def as_csv_release(sample: Path, folder: Path) -> Path:
    """The sample's movies and ratings written as ML-25M writes them; every third rating
    moved half a star down, so that the data has half stars."""
    ml = zd.load(sample)
    folder.mkdir(parents=True)
    ratings = ml.ratings.rename(columns={"user_id": "userId", "movie_id": "movieId"})
    stars = ratings["rating"].to_numpy(dtype=np.float64)
    stars[::3] -= 0.5
    ratings["rating"] = stars
    ratings["timestamp"] = ratings["timestamp"].astype("int64")
    ratings.to_csv(folder / "ratings.csv", index=False)
    movies = pd.DataFrame(
        {
            "movieId": ml.movies["movie_id"],
            "title": ml.movies["title"],
            "genres": ml.movies["genres"].map(lambda g: "|".join(g) or "(no genres listed)"),
        }
    )
    movies.to_csv(folder / "movies.csv", index=False)
    shutil.copy(sample / SYNTHETIC_MARKER, folder / SYNTHETIC_MARKER)
    return folder


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    sample = generate(tmp_path_factory.mktemp("sample"), scale=0.02, seed=3)
    return as_csv_release(sample, tmp_path_factory.mktemp("csv") / "ml-latest-small")


@pytest.fixture(scope="module")
def run(release, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, run_notebooks(release, out, {"top_n": 5}, ["01", "02"])


def test_half_star_counts(release):
    ml = zd.load(release)
    counts = features.rating_counts(ml.ratings)
    assert list(counts.index) == [k / 2 for k in range(1, 11)]
    assert counts.sum() == len(ml.ratings) and counts.loc[4.5] > 0


@pytest.mark.notebooks
def test_load_clean_on_a_release_without_users(run, release):
    out, metrics = run
    m = metrics["notebooks"]["01_load_clean"]["metrics"]
    ml = zd.load(release)
    assert m["ratings"] == len(ml.ratings) and m["dropped_rows"] == 0
    assert m["users"] == m["active_users"]  # the users are the ids that rated
    assert m["rating_scale"] == [0.5, 5.0, 0.5]
    assert m["users_file"] is False
    processed = json.loads((out / "processed" / "source.json").read_text())
    assert processed["rating_scale"] == [0.5, 5.0, 0.5]


@pytest.mark.notebooks
def test_eda_leaves_out_the_demographics_and_says_why(run):
    out, metrics = run
    assert metrics["notebooks"]["02_eda"]["status"] == "ok"
    m = metrics["notebooks"]["02_eda"]["metrics"]
    assert m["top_rated_min_votes"] > m["naive_top_min_votes"]
    page = (out / "reports" / "02_eda.html").read_text()
    assert "this data set has no users file" in page
    assert "Traceback" not in page


@pytest.mark.notebooks
def test_the_model_notebooks_learn_from_a_working_set_on_larger_data(tmp_path):
    """A sample in ML-25M's layout (CSV, half stars, no users file) with limits below its
    size: 05, 06 and 07 run on the most-rated movies and a sample of whole users, say so,
    and agree on which ratings those are."""
    sample = generate(tmp_path / "sample", scale=0.3, seed=5, shape="ml-25m")
    limits = {"max_users": 400, "max_movies": 300}
    fast = {"factors": 4, "n_members": 1, "epochs": 2, "seed_epochs": 1, "batch_size": 2048,
            "ablation_ratings": 0, "fallback_epochs": 1, "protocol_users": 20,
            "models": ["popularity", "EASE", "item-kNN cosine"], "n_users": 100,
            "mf_epochs": 1, "top_n": 5}  # fmt: skip
    metrics = run_notebooks(sample, tmp_path / "run", {**limits, **fast}, ["01", "05", "06", "07"])
    n_ratings = len(zd.load(sample).ratings)
    working = set()
    for name in ("05_matrix_factorization", "06_user_based", "07_evaluation"):
        entry = metrics["notebooks"][name]
        assert entry["status"] == "ok", name
        m = entry["metrics"]
        assert m["working_whole"] is False and 0 < m["working_ratings"] < n_ratings
        working.add(m["working_ratings"])
        page = (tmp_path / "run" / "reports" / f"{name}.html").read_text(encoding="utf-8")
        assert "The models learn from a working set: the 300 most-rated" in page
        assert f"of the {n_ratings:,} ratings" in page
    assert len(working) == 1  # the same seed and limits: the same working set
