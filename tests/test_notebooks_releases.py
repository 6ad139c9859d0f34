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
