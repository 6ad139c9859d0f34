"""Hand-worked checks of zeerec.features on tiny canonical frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeerec import features
from zeerec.features import GENRES

# --------------------------------------------------------------------------- fixtures


def make_movies(rows: list[tuple[int, str, list[str]]]) -> pd.DataFrame:
    """Canonical movies frame (dtypes as produced by zeerec.data)."""
    ids, titles, genres = zip(*rows, strict=True)
    title = pd.Series(titles, dtype="string")
    parts = features.split_title(title)
    return pd.DataFrame(
        {
            "movie_id": np.array(ids, dtype=np.int32),
            "title": title,
            "name": parts["name"].astype("string"),
            "year": parts["year"],
            "genres": pd.Series(list(genres), dtype=object),
        }
    )


def make_ratings(rows: list[tuple[int, int, int]], start: str = "2000-12-01") -> pd.DataFrame:
    """Canonical ratings frame; one rating per hour from ``start``."""
    users, movies, stars = zip(*rows, strict=True)
    stamps = pd.date_range(start, periods=len(rows), freq="h").astype("datetime64[s]")
    return pd.DataFrame(
        {
            "user_id": np.array(users, dtype=np.int32),
            "movie_id": np.array(movies, dtype=np.int32),
            "rating": np.array(stars, dtype=np.int8),
            "timestamp": stamps,
        }
    )


@pytest.fixture
def movies() -> pd.DataFrame:
    return make_movies(
        [
            (10, "Obscure Gem (1962)", ["Drama"]),
            (20, "Crowd Pleaser (1994)", ["Action", "Comedy"]),
            (30, "Dud, The (1999)", ["Comedy"]),
            (40, "Middling (1987)", ["Drama", "Romance", "War"]),
            (50, "Never Rated (2000)", []),
        ]
    )


@pytest.fixture
def ratings() -> pd.DataFrame:
    # movie 10: one 5-star vote; 20: six votes, mean 4.5; 30: mean 2.5; 40: mean 10/3.
    return make_ratings(
        [(1, 10, 5)]
        + [(u, 20, s) for u, s in zip(range(1, 7), [4, 5, 4, 5, 4, 5], strict=True)]
        + [(1, 30, 2), (2, 30, 3)]
        + [(3, 40, 3), (4, 40, 3), (5, 40, 4)]
    )


# Worked by hand for the fixture above:
#   12 ratings summing to 47, so C = 47/12 = 3.9166667
#   votes per rated movie 1, 6, 2, 3, so the default m = median = 2.5
#   movie 10: (1·5   + 2.5·47/12) / (1 + 2.5) = 14.7916667 / 3.5 = 4.2261905
#   movie 20: (6·4.5 + 2.5·47/12) / (6 + 2.5) = 36.7916667 / 8.5 = 4.3284314
#   movie 30: (2·2.5 + 2.5·47/12) / (2 + 2.5) = 14.7916667 / 4.5 = 3.2870370
#   movie 40: (3·10/3 + 2.5·47/12) / (3 + 2.5) = 19.7916667 / 5.5 = 3.5984848
EXPECTED_WEIGHTED = {10: 4.2261905, 20: 4.3284314, 30: 3.2870370, 40: 3.5984848}


# --------------------------------------------------------------------------- titles


def test_split_title_handles_tricky_titles() -> None:
    titles = pd.Series(
        [
            "Toy Story (1995)",
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "Seven (Se7en) (1995)",
            "Heat (1995)   ",
            "2001: A Space Odyssey (1968)",
            "Untitled Project",
            "Brazil (1985) (Director's Cut)",
        ],
        index=[11, 12, 13, 14, 15, 16, 17],
        dtype="string",
    )
    out = features.split_title(titles)

    assert list(out.columns) == ["name", "year"]
    assert out.index.tolist() == titles.index.tolist()
    assert str(out["year"].dtype) == "Int16"
    assert out["name"].tolist() == [
        "Toy Story",
        "City of Lost Children, The (Cité des enfants perdus, La)",
        "Seven (Se7en)",
        "Heat",
        "2001: A Space Odyssey",
        "Untitled Project",
        "Brazil (1985) (Director's Cut)",
    ]
    assert out["year"].tolist()[:5] == [1995, 1995, 1995, 1995, 1968]
    # No trailing "(YYYY)": no year guessed, not even from a year earlier in the title.
    assert out["year"].isna().tolist() == [False] * 5 + [True, True]


def test_split_title_keeps_missing_titles_missing() -> None:
    out = features.split_title(pd.Series(["Heat (1995)", None], dtype="string"))
    assert out["name"].isna().tolist() == [False, True]
    assert out["year"].isna().tolist() == [False, True]


def test_split_title_strips_untitled_whitespace() -> None:
    out = features.split_title(pd.Series(["  No Year Here  "], dtype="string"))
    assert out.loc[0, "name"] == "No Year Here"
    assert pd.isna(out.loc[0, "year"])


def test_decade_labels_are_ordered_and_gap_free() -> None:
    years = pd.Series([1919, 1995, None, 2000, 1950], dtype="Int16", index=[5, 6, 7, 8, 9])
    out = features.decade(years)

    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert out.cat.ordered
    assert list(out.cat.categories) == [f"{d}s" for d in range(1910, 2010, 10)]
    assert out.tolist()[:2] == ["1910s", "1990s"]
    assert pd.isna(out.iloc[2])
    assert out.tolist()[3:] == ["2000s", "1950s"]
    assert out.iloc[0] < out.iloc[4] < out.iloc[1] < out.iloc[3]


def test_decade_boundaries_and_all_missing() -> None:
    assert features.decade([1990, 1999, 2000]).tolist() == ["1990s", "1990s", "2000s"]
    empty = features.decade(pd.Series([None, None], dtype="Int16"))
    assert empty.isna().all()
    assert len(empty.cat.categories) == 0


# --------------------------------------------------------------------------- genres


def test_genres_constant() -> None:
    assert isinstance(GENRES, tuple)
    assert len(GENRES) == 18
    assert GENRES[0] == "Action" and GENRES[3] == "Children's" and GENRES[-1] == "Western"


def test_genre_matrix_is_multi_hot_in_genre_order(movies: pd.DataFrame) -> None:
    mat = features.genre_matrix(movies)

    assert list(mat.columns) == list(GENRES)
    assert mat.index.tolist() == [10, 20, 30, 40, 50]
    assert mat.index.name == "movie_id"
    assert (mat.dtypes == np.int8).all()
    assert mat.loc[20, "Action"] == 1 and mat.loc[20, "Comedy"] == 1
    assert mat.loc[40, ["Drama", "Romance", "War"]].tolist() == [1, 1, 1]
    assert mat.sum(axis=1).tolist() == [1, 2, 1, 3, 0]  # movie 50 has no genres: zero row
    assert int(mat.to_numpy().sum()) == 7


def test_genre_matrix_accepts_arrays_after_parquet_round_trip(
    movies: pd.DataFrame, tmp_path
) -> None:
    path = tmp_path / "movies.parquet"
    movies.to_parquet(path)
    back = pd.read_parquet(path)
    assert not isinstance(back["genres"].iloc[1], list)  # numpy array after the round trip
    pd.testing.assert_frame_equal(features.genre_matrix(back), features.genre_matrix(movies))


def test_explode_genres_long_form(movies: pd.DataFrame) -> None:
    long = features.explode_genres(movies)

    assert list(long.columns) == ["movie_id", "genre"]
    assert long["movie_id"].dtype == np.int32
    assert list(long["genre"].cat.categories) == list(GENRES)
    pairs = list(zip(long["movie_id"], long["genre"].astype(str), strict=True))
    assert pairs == [
        (10, "Drama"),
        (20, "Action"),
        (20, "Comedy"),
        (30, "Comedy"),
        (40, "Drama"),
        (40, "Romance"),
        (40, "War"),
    ]


def test_unknown_genre_is_an_error_naming_the_movie() -> None:
    bad = make_movies([(7, "Spoof (1990)", ["Comedy", "Spoof"])])
    with pytest.raises(ValueError, match=r"'Spoof'.*movie_id 7"):
        features.genre_matrix(bad)


def test_pipe_joined_genres_string_is_rejected() -> None:
    bad = make_movies([(7, "Spoof (1990)", ["Comedy"])])
    bad["genres"] = pd.Series(["Comedy|Drama"], dtype=object)
    with pytest.raises(TypeError, match="list-like"):
        features.explode_genres(bad)


# --------------------------------------------------------------------------- movie stats


def test_movie_stats_weighted_mean_by_hand(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    stats = features.movie_stats(ratings, movies)

    assert list(stats.columns) == ["title", "n_ratings", "mean_rating", "weighted_rating"]
    assert stats.index.name == "movie_id"
    assert sorted(stats.index) == [10, 20, 30, 40]  # never-rated movie 50 is absent
    assert stats.attrs["global_mean"] == pytest.approx(47 / 12)
    assert stats.attrs["prior_votes"] == 2.5
    assert stats.loc[20, "title"] == "Crowd Pleaser (1994)"
    assert stats.loc[20, "n_ratings"] == 6
    assert stats.loc[40, "mean_rating"] == pytest.approx(10 / 3)
    for movie_id, expected in EXPECTED_WEIGHTED.items():
        assert stats.loc[movie_id, "weighted_rating"] == pytest.approx(expected, abs=1e-6)


def test_movie_stats_explicit_prior(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    naive = features.movie_stats(ratings, movies, prior_votes=0)
    np.testing.assert_allclose(naive["weighted_rating"], naive["mean_rating"])

    strong = features.movie_stats(ratings, movies, prior_votes=10)
    # movie 10 with m = 10: (1·5 + 10·47/12) / 11 = 44.1666667 / 11
    assert strong.loc[10, "weighted_rating"] == pytest.approx(44.1666667 / 11)
    assert strong.attrs["prior_votes"] == 10.0

    with pytest.raises(ValueError, match="prior_votes"):
        features.movie_stats(ratings, movies, prior_votes=-1)


def test_weighted_rating_formula() -> None:
    # A movie rated exactly at the global mean keeps it, whatever its votes.
    assert features.weighted_rating(4, 3.0, 2.5, 3.0) == 3.0
    # Equal own votes and prior votes: halfway between R and C.
    assert features.weighted_rating(10, 5.0, 10, 3.0) == pytest.approx(4.0)


def test_ratings_for_unknown_movies_are_an_error(movies: pd.DataFrame) -> None:
    stray = make_ratings([(1, 10, 4), (1, 999, 5)])
    with pytest.raises(ValueError, match="999"):
        features.movie_stats(stray, movies)


# --------------------------------------------------------------------------- rankings


def test_top_rated_does_not_crown_a_single_vote(
    ratings: pd.DataFrame, movies: pd.DataFrame
) -> None:
    stats = features.movie_stats(ratings, movies)
    naive_first = stats.sort_values("mean_rating", ascending=False).index[0]
    assert naive_first == 10  # the naive mean puts the 1-vote 5★ movie on top

    top = features.top_rated(ratings, movies, n=3)
    assert top.index.tolist() == [20, 40, 30]  # movie 10 excluded: a single vote
    assert top.loc[20, "weighted_rating"] == pytest.approx(EXPECTED_WEIGHTED[20], abs=1e-6)

    # Even when single votes are admitted, the shrinkage keeps it below movie 20.
    admitted = features.top_rated(ratings, movies, n=4, min_ratings=1)
    assert admitted.index.tolist() == [20, 10, 40, 30]


def test_top_rated_ties_broken_by_number_of_ratings() -> None:
    movies = make_movies(
        [(1, "A (1990)", ["Drama"]), (2, "B (1991)", ["Drama"]), (3, "C (1992)", ["Drama"])]
    )
    # Every movie averages exactly the global mean 3, so all weighted ratings tie at 3.
    ratings = make_ratings(
        [(1, 1, 3), (2, 1, 3), (1, 2, 3), (2, 2, 3), (3, 2, 3), (4, 2, 3), (1, 3, 2), (2, 3, 4)]
    )
    top = features.top_rated(ratings, movies, n=3)
    assert top["weighted_rating"].tolist() == [3.0, 3.0, 3.0]
    assert top.index.tolist() == [2, 1, 3]  # most votes first, then movie_id


def test_top_rated_min_ratings_and_n(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    assert features.top_rated(ratings, movies, n=10, min_ratings=3).index.tolist() == [20, 40]
    assert features.top_rated(ratings, movies, n=0).empty
    assert len(features.top_rated(ratings, movies, n=100, min_ratings=1)) == 4


def test_most_rated(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    top = features.most_rated(ratings, movies, n=3)
    assert top.index.tolist() == [20, 40, 30]
    assert top["n_ratings"].tolist() == [6, 3, 2]


# --------------------------------------------------------------------------- aggregates


def test_activity_counts(ratings: pd.DataFrame) -> None:
    per_user, per_movie = features.activity(ratings)
    assert per_user.to_dict() == {1: 3, 2: 2, 3: 2, 4: 2, 5: 2, 6: 1}
    assert per_movie.to_dict() == {10: 1, 20: 6, 30: 2, 40: 3}
    assert per_user.sum() == per_movie.sum() == len(ratings)


def test_rating_counts_include_unused_stars(ratings: pd.DataFrame) -> None:
    counts = features.rating_counts(ratings)
    assert counts.to_dict() == {1: 0, 2: 1, 3: 3, 4: 4, 5: 4}
    bad = make_ratings([(1, 10, 6)])
    with pytest.raises(ValueError, match="outside 1..5"):
        features.rating_counts(bad)


def test_genre_stats_count_each_genre_of_a_movie(
    ratings: pd.DataFrame, movies: pd.DataFrame
) -> None:
    stats = features.genre_stats(ratings, movies)
    assert stats.index.tolist() == list(GENRES)
    # Comedy: movie 20 (6 votes, sum 27) + movie 30 (2 votes, sum 5) -> 8 votes, mean 4.0
    assert stats.loc["Comedy", "n_ratings"] == 8
    assert stats.loc["Comedy", "mean_rating"] == pytest.approx(32 / 8)
    # Drama: movie 10 (5) + movie 40 (3, 3, 4) -> 4 votes, mean 15/4
    assert stats.loc["Drama", "n_ratings"] == 4
    assert stats.loc["Drama", "mean_rating"] == pytest.approx(15 / 4)
    assert stats.loc["Drama", "n_movies"] == 2
    assert stats.loc["Western", "n_ratings"] == 0
    assert np.isnan(stats.loc["Western", "mean_rating"])
    # 6 (Action) + 8 (Comedy) + 4 (Drama) + 3 (Romance) + 3 (War)
    assert stats["n_ratings"].sum() == 24


def test_decade_counts_for_movies_and_ratings(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    per_movie = features.decade_counts(movies)
    assert per_movie.to_dict() == {
        "1960s": 1,
        "1970s": 0,
        "1980s": 1,
        "1990s": 2,
        "2000s": 1,
    }
    per_rating = features.decade_counts(movies, ratings)
    assert per_rating.to_dict() == {
        "1960s": 1,
        "1970s": 0,
        "1980s": 3,
        "1990s": 8,
        "2000s": 0,
    }


def test_decade_counts_leave_out_movies_without_a_year() -> None:
    movies = make_movies([(1, "Dated (1995)", ["Drama"]), (2, "Undated", ["Drama"])])
    ratings = make_ratings([(1, 1, 4), (1, 2, 4), (2, 2, 5)])
    assert features.decade_counts(movies).sum() == 1
    assert features.decade_counts(movies, ratings).sum() == 1


def test_ratings_per_period_fills_gaps() -> None:
    ratings = make_ratings([(1, 1, 4), (2, 1, 4), (3, 1, 4)])
    ratings["timestamp"] = pd.to_datetime(
        ["2000-12-04 10:00", "2000-12-05 11:00", "2000-12-20 12:00"]
    ).astype("datetime64[s]")
    weekly = features.ratings_per_period(ratings, "W")
    assert isinstance(weekly.index, pd.PeriodIndex)
    assert weekly.tolist() == [2, 0, 1]
    assert weekly.sum() == len(ratings)
    for freq in ("M", "ME"):
        monthly = features.ratings_per_period(ratings, freq)
        assert monthly.tolist() == [3]
        assert str(monthly.index[0]) == "2000-12"


def _split_title_in_python(titles: pd.Series) -> pd.DataFrame:
    """The reference: Python's ``re`` on every title, one at a time."""
    pattern = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")
    names, years = [], []
    for title in titles:
        found = None if pd.isna(title) else pattern.match(title)
        names.append(found.group(1) if found else (None if pd.isna(title) else title.strip()))
        years.append(int(found.group(2)) if found else None)
    return pd.DataFrame({"name": names, "year": pd.array(years, dtype="Int16")})


_TITLE_CHARS = st.sampled_from(
    list("ab Z,()'\"0123456789") + ["\u00a0", "\u2003", "\u0661", "\u0669", "\t", "\x0b", "é"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_TITLE_CHARS, max_size=14), max_size=8), st.sampled_from(["str", "string"]))
def test_split_title_agrees_with_python_re_on_any_text(parts, dtype) -> None:
    # titles built to end in "(dddd)" often, with Unicode spaces and digits around the
    # year (where pyarrow's ASCII-only \s and \d would differ), tabs and control chars
    titles = pd.Series(
        [p + (" (19" + p[-2:] + ")" if i % 2 else "") for i, p in enumerate(parts)] + [None],
        dtype=dtype,
    )
    got = features.split_title(titles)
    want = _split_title_in_python(titles)

    def plain(names):
        return [None if pd.isna(n) else n for n in names]

    assert plain(got["name"]) == plain(want["name"])
    assert got["year"].astype("Float64").fillna(-1).tolist() == (
        want["year"].astype("Float64").fillna(-1).tolist()
    )


def test_split_title_takes_concatenated_and_any_kind_of_series() -> None:
    # pd.concat (or a parquet file of several row groups) gives pandas' pyarrow strings
    # in several chunks; the index, duplicated here, comes back as it went in
    parts = [pd.Series(["Heat (1995)", "  No Year  "], dtype="str")] * 2
    out = features.split_title(pd.concat(parts))
    assert out.index.tolist() == [0, 1, 0, 1]
    assert out["name"].tolist() == ["Heat", "No Year"] * 2
    assert out["year"].tolist()[::2] == [1995, 1995]
    for values in (["Heat (1995)"], pd.Series(["Heat (1995)"], dtype=object, index=["x"])):
        one = features.split_title(values)
        assert (one["name"].iloc[0], one["year"].iloc[0]) == ("Heat", 1995)
