"""The side-by-side helpers behind notebook 06 and ``zeerec recommend``."""

from __future__ import annotations

import pandas as pd
import pytest

from zeerec import newuser

MOVIES = pd.DataFrame(
    {
        "movie_id": [1, 2, 3, 4],
        "title": ["A (1990)", "B (1950)", "C (1995)", "D (1999)"],
        "year": pd.array([1990, 1950, 1995, 1999], dtype="Int16"),
        "genres": [["Comedy"], ["Drama"], ["Comedy", "Drama"], ["Horror"]],
    }
)
RATINGS = pd.DataFrame(
    {"user_id": [1, 1, 2, 2, 3], "movie_id": [1, 2, 2, 3, 2], "rating": [5, 4, 3, 4, 5]}
)


def test_side_by_side_and_overlap():
    lists = {
        "user": pd.DataFrame({"movie_id": [2, 3]}),
        "content": pd.DataFrame({"movie_id": [3, 4, 1]}),
    }
    table = newuser.side_by_side(lists, MOVIES)
    assert table.columns.tolist() == ["user-based CF", "content-based"]
    assert table["user-based CF"].tolist() == ["B (1950)", "C (1995)", ""]
    grid = newuser.overlap(lists)
    assert grid.loc["user-based CF", "content-based"] == 1
    assert grid.loc["content-based", "content-based"] == 3


def test_list_traits_describe_each_list():
    lists = {"user": pd.DataFrame({"movie_id": [2]}), "content": pd.DataFrame({"movie_id": [3, 4]})}
    traits = newuser.list_traits(lists, RATINGS, MOVIES, {1: 5})
    assert traits.loc["user-based CF", "median_ratings"] == 3  # movie 2 has 3 ratings
    assert traits.loc["user-based CF", "median_year"] == 1950
    assert traits.loc["content-based", "genre_match"] == pytest.approx(0.5)  # C is a comedy
    assert traits.loc["user-based CF", "genre_match"] == 0


def test_unknown_method_and_missing_mf_are_explained():
    models = newuser.fit_models(RATINGS, MOVIES, min_common=1)
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        models.get("magic")
    models.notes.append("no MF model here.")
    with pytest.raises(ValueError, match="no MF model here"):
        models.get("mf")
    rec = newuser.recommend(models, "content", {1: 5}, n=2)
    table = newuser.display_table(rec, "content", MOVIES)
    assert table.index.tolist() == [1, 2] and table.columns[0] == "title"
