"""Lists side by side, their overlap, titles on a list and timing, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zeerec import display
from zeerec.display import (
    evidence_table,
    list_evidence,
    list_traits,
    median_seconds,
    overlap,
    popularity_bias,
    side_by_side,
    timed,
    titled,
    titles_of,
    with_titles,
)
from zeerec.lookup import TitleIndex

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
# Two top lists: X holds B and C, Y holds C, D and A; they share C only.
LISTS = {
    "X": pd.DataFrame({"movie_id": [2, 3], "score": [0.956, 0.5]}),
    "Y": pd.DataFrame({"movie_id": [3, 4, 1], "score": [0.8, 0.25, 0.104]}),
}
TITLE_SOURCES = {
    "TitleIndex": TitleIndex(MOVIES),
    "movies table": MOVIES,
    "dict": {1: "A (1990)", 2: "B (1950)", 3: "C (1995)", 4: "D (1999)"},
}


# --------------------------------------------------------------------------- titles


@pytest.mark.parametrize("source", TITLE_SOURCES)
def test_titles_of_any_title_source(source):
    titles = TITLE_SOURCES[source]
    assert titles_of([3, 1], titles) == ["C (1995)", "A (1990)"]
    # A missing id (NaN, e.g. no closest liked movie) reads "", an unknown id its number.
    assert titles_of(pd.Series([2.0, np.nan, 99.0]), titles) == ["B (1950)", "", "99"]


def test_with_titles_puts_the_title_first_and_keeps_the_ids():
    frame = pd.DataFrame({"movie_id": [4, 2], "score": [1.0, 0.5]}, index=[7, 8])
    out = with_titles(frame, MOVIES)
    assert out.columns.tolist() == ["title", "movie_id", "score"]
    assert out["title"].tolist() == ["D (1999)", "B (1950)"]
    assert out.index.tolist() == [7, 8]
    assert frame.columns.tolist() == ["movie_id", "score"]  # the input is left alone
    other = with_titles(pd.DataFrame({"closest": [1]}), MOVIES, column="closest")
    assert other.to_dict("records") == [{"title": "A (1990)", "closest": 1}]


def test_titled_reads_as_a_numbered_list():
    top = pd.DataFrame({"movie_id": [3, 1], "n_common": [5, 2]}, index=[10, 20])
    out = titled(top, TitleIndex(MOVIES))
    assert out.columns.tolist() == ["title", "n_common"]
    assert out.index.tolist() == [1, 2] and out.index.name == "rank"
    assert out["title"].tolist() == ["C (1995)", "A (1990)"]


# --------------------------------------------------------------------------- comparing lists


@pytest.mark.parametrize("source", TITLE_SOURCES)
def test_side_by_side_titles_only(source):
    table = side_by_side(LISTS, TITLE_SOURCES[source])
    assert table.columns.tolist() == ["X", "Y"]
    assert table.index.tolist() == [1, 2, 3] and table.index.name == "rank"
    assert table["X"].tolist() == ["B (1950)", "C (1995)", ""]  # the shorter list is padded
    assert table["Y"].tolist() == ["C (1995)", "D (1999)", "A (1990)"]


def test_side_by_side_with_rounded_scores():
    table = side_by_side(LISTS, MOVIES, digits=2)
    assert table["X"].tolist() == ["B (1950) (0.96)", "C (1995) (0.50)", ""]
    assert table.loc[3, "Y"] == "A (1990) (0.10)"
    assert side_by_side(LISTS, MOVIES, digits=1).loc[2, "Y"] == "D (1999) (0.2)"


def test_side_by_side_of_nothing_is_empty():
    assert side_by_side({}, MOVIES).shape == (0, 0)


def test_overlap_counts_shared_movies():
    grid = overlap(LISTS)
    assert grid.index.tolist() == grid.columns.tolist() == ["X", "Y"]
    assert grid.to_numpy().tolist() == [[2, 1], [1, 3]]  # diagonal: each list's length


# Common raters with movie 1 of movies 1-5, and two measures' scores against movie 1.
N_COMMON = pd.Series([20, 10, 4, 6, 2], index=[1, 2, 3, 4, 5])
SCORES = {
    # without movie 1: scores .9 .5 .7 .1 rank as the counts 10 4 6 2 do: Spearman 1
    "a": pd.Series([1.0, 0.9, 0.5, 0.7, 0.1], index=[1, 2, 3, 4, 5]),
    # movie 2 has no score; movies 3, 4, 5 rank 2, 1, 3 by score and 2, 3, 1 by count:
    # Σd² = 0 + 4 + 4 = 8, so Spearman = 1 - 6·8 / (3·(9 - 1)) = -1
    "b": pd.Series([1.0, np.nan, 0.8, 0.2, 0.9], index=[1, 2, 3, 4, 5]),
}


def test_popularity_bias_by_hand():
    assert popularity_bias(SCORES["a"], N_COMMON, 1) == pytest.approx(1.0)
    assert popularity_bias(SCORES["b"], N_COMMON, 1) == pytest.approx(-1.0)
    flat = pd.Series(0.5, index=N_COMMON.index)
    assert math.isnan(popularity_bias(flat, N_COMMON, 1))  # a constant has no rank


def test_list_evidence_by_hand():
    lists = {
        "a": pd.DataFrame({"movie_id": [2, 4, 3], "n_common": [10, 6, 4]}),
        "b": pd.DataFrame({"movie_id": [5, 3], "n_common": [2, 4]}),
    }
    for top in lists.values():
        top.attrs["movie_id"] = 1
    table = list_evidence(lists, SCORES, N_COMMON)
    assert table.columns.tolist() == [
        "median common raters",
        "fewest common raters",
        "shared with a",
        "shared with b",
        "rank corr. of score with common raters",
    ]
    assert table["median common raters"].tolist() == [6, 3]
    assert table["fewest common raters"].tolist() == [4, 2]
    assert table["shared with a"].tolist() == [3, 1]
    assert table["shared with b"].tolist() == [1, 2]
    assert table["rank corr. of score with common raters"].tolist() == pytest.approx([1, -1])


def test_list_traits_describe_each_list():
    lists = {"user": pd.DataFrame({"movie_id": [2]}), "content": pd.DataFrame({"movie_id": [3, 4]})}
    traits = list_traits(lists, RATINGS, MOVIES, {1: 5})
    assert traits.index.tolist() == ["user", "content"]
    assert traits.loc["user", "median_ratings"] == 3  # movie 2 has 3 ratings
    assert traits.loc["user", "median_year"] == 1950
    assert traits.loc["content", "median_year"] == (1995 + 1999) / 2
    assert traits.loc["content", "genre_match"] == pytest.approx(0.5)  # C is a comedy
    assert traits.loc["user", "genre_match"] == 0


# --------------------------------------------------------------------------- evidence tables


def test_evidence_table_for_user_based_cf():
    rec = pd.DataFrame(
        {"movie_id": [2, 4], "score": [4.456, 3.9], "n_neighbours": [3, 1]},
    ).assign(neighbour_mean=[4.0, 5.0])
    rec.attrs = {"user_mean": 3.5, "n_neighbours_used": 5}
    table = evidence_table(rec, "user", MOVIES)
    assert table.columns.tolist() == [
        "title",
        "predicted ★ (uncapped)",
        "lift over your mean ★",
        "neighbours who rated it (of 5)",
        "their mean ★",
    ]
    assert table.index.tolist() == [1, 2] and table.index.name == "rank"
    assert table.loc[1].tolist() == ["B (1950)", 4.46, 0.96, 3, 4.0]  # 4.456 - 3.5 = 0.956


def test_evidence_table_for_content_names_the_closest_liked_movie():
    rec = pd.DataFrame(
        {
            "movie_id": [3, 4],
            "score": [0.91234, 0.5],
            "genres": ["Comedy|Drama", "Horror"],
            "decade": [1990, 1990],
            "closest_liked": [1.0, np.nan],
            "weighted_rating": [3.456, 3.0],
        }
    )
    table = evidence_table(rec, "content", TitleIndex(MOVIES))
    assert table["closest liked"].tolist() == ["A (1990)", ""]
    assert table["cosine"].tolist() == [0.912, 0.5]


def test_evidence_table_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown method 'magic'; choose one of user, mf"):
        evidence_table(pd.DataFrame({"movie_id": [1]}), "magic", MOVIES)


# --------------------------------------------------------------------------- timing


def test_timed_reads_the_clock_around_the_block(monkeypatch):
    clock = iter([10.0, 10.25])
    monkeypatch.setattr(display.time, "perf_counter", lambda: next(clock))
    with timed() as t:
        assert math.isnan(t.seconds)  # not known until the block ends
    assert t.seconds == 0.25 and t.ms == 250.0


def test_timed_still_times_a_block_that_fails(monkeypatch):
    clock = iter([1.0, 3.5])
    monkeypatch.setattr(display.time, "perf_counter", lambda: next(clock))
    with pytest.raises(RuntimeError), timed() as t:
        raise RuntimeError("boom")
    assert t.seconds == 2.5


def test_median_seconds_of_repeated_calls(monkeypatch):
    # Three calls taking 1 s, 4 s and 2 s: the median is 2 s.
    clock = iter([0.0, 1.0, 10.0, 14.0, 20.0, 22.0])
    monkeypatch.setattr(display.time, "perf_counter", lambda: next(clock))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeat=3) == 2.0
    assert len(calls) == 3
