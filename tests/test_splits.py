"""Splits: seeded, no leakage, every user on both sides where the split promises it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ML100K

from zeerec import splits


def _ratings(counts: dict[int, int], seed: int = 0) -> pd.DataFrame:
    """User u rates movies 1..counts[u] at distinct random times."""
    rng = np.random.default_rng(seed)
    rows = [
        (u, m, int(rng.integers(1, 6)), int(rng.integers(9e8, 1e9)))
        for u, n in counts.items()
        for m in range(1, n + 1)
    ]
    df = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    df["timestamp"] = df["timestamp"].to_numpy().astype("datetime64[s]")
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


COUNTS = {1: 20, 2: 4, 3: 3, 4: 2, 5: 1, 6: 100, 7: 7}


def _pairs(df: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(df["user_id"], df["movie_id"], strict=True))


def _assert_partition(ratings, train, test):
    assert not _pairs(train) & _pairs(test), "a (user, movie) pair is on both sides"
    assert len(train) + len(test) == len(ratings)
    assert _pairs(train) | _pairs(test) == _pairs(ratings)
    assert list(train.columns) == list(ratings.columns) == list(test.columns)


def test_stratified_per_user_sizes():
    ratings = _ratings(COUNTS)
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=42)
    _assert_partition(ratings, train, test)
    n_train = train.groupby("user_id").size().to_dict()
    n_test = test.groupby("user_id").size().to_dict()
    # floor(0.75 n) in training, the rest held out; ≥ 1 on each side from 2 ratings on
    assert n_train == {1: 15, 2: 3, 3: 2, 4: 1, 5: 1, 6: 75, 7: 5}
    assert n_test == {1: 5, 2: 1, 3: 1, 4: 1, 6: 25, 7: 2}
    # the single-rating user stays in training only
    assert 5 not in n_test


def test_stratified_is_seeded():
    ratings = _ratings(COUNTS)
    a = splits.stratified_split(ratings, seed=1)
    b = splits.stratified_split(ratings, seed=1)
    c = splits.stratified_split(ratings, seed=2)
    pd.testing.assert_frame_equal(a[1], b[1])
    assert _pairs(a[1]) != _pairs(c[1])


def test_stratified_does_not_depend_on_the_row_order():
    ratings = _ratings(COUNTS)
    _, test = splits.stratified_split(ratings, seed=5)
    for seed in range(3):
        shuffled = ratings.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        assert _pairs(splits.stratified_split(shuffled, seed=5)[1]) == _pairs(test)


def test_split_key_is_sparks_hash():
    # values of Spark's hash(lit(seed), user_id, movie_id) on int columns (PySpark 4.3)
    key = splits.split_key(np.array([1, 2, 3]), np.array([10, 20, 30]), 42)
    assert key.dtype == np.int32
    assert key.tolist() == [1492246776, 1171807731, 1000197346]
    assert splits.split_key(np.array([1]), np.array([10]), 7)[0] != key[0]
    with pytest.raises(ValueError, match="32 bits"):
        splits.split_key(np.array([2**31]), np.array([1]), 42)


def test_split_key_draws_evenly():
    users = np.repeat(np.arange(1, 201), 50)
    movies = np.tile(np.arange(1, 51), 200)
    key = splits.split_key(users, movies, 42).astype(np.float64)
    share = (key < 0).mean()  # half the keys below zero, as for a fair coin
    assert 0.48 < share < 0.52
    low = np.quantile(key, 0.25) / 2**31  # the quartiles of a uniform draw
    assert -0.53 < low < -0.47


def test_stratified_other_share():
    ratings = _ratings({1: 10, 2: 15})
    _, test = splits.stratified_split(ratings, test_size=0.2, seed=0)
    # 0.8·15 = 12.000000000000002 in floating point must still keep 12, not 13
    assert test.groupby("user_id").size().to_dict() == {1: 2, 2: 3}
    with pytest.raises(ValueError, match="between 0 and 1"):
        splits.stratified_split(ratings, test_size=1.0)


def test_stratified_on_ml100k_matches_the_benchmark_protocol():
    if not (ML100K / "u.data").is_file():
        pytest.skip("ML-100K is not present")
    from zeerec import data

    ratings = data.load(ML100K).ratings
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=42)
    _assert_partition(ratings, train, test)
    assert set(train["user_id"]) == set(test["user_id"]) == set(ratings["user_id"])
    counts = ratings.groupby("user_id").size()
    expected = (counts - np.floor(0.75 * counts)).sum()  # ceil(n/4) per user
    assert len(test) == expected
    assert 0.25 <= len(test) / len(ratings) < 0.26


def test_temporal_holds_out_the_latest():
    ratings = _ratings(COUNTS)
    train, test = splits.temporal_split(ratings, n_test=5)
    _assert_partition(ratings, train, test)
    assert test.groupby("user_id").size().to_dict() == {1: 5, 2: 3, 3: 2, 4: 1, 6: 5, 7: 5}
    assert 5 not in set(test["user_id"])
    first = ratings.sort_values("timestamp").groupby("user_id").head(1)
    assert _pairs(first) <= _pairs(train)  # the earliest rating always trains
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    assert (first_test >= last_train.reindex(first_test.index)).all()  # no peeking ahead


def test_temporal_ties_are_broken_by_movie_id_whatever_the_row_order():
    t = np.datetime64("2000-01-01T00:00:00")
    ratings = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1],
            "movie_id": [40, 10, 30, 20],
            "rating": [3, 4, 5, 1],
            "timestamp": [t, t + 1, t + 1, t + 1],
        }
    )
    for seed in range(5):
        shuffled = ratings.sample(frac=1.0, random_state=seed)
        _, test = splits.temporal_split(shuffled, n_test=2)
        assert sorted(test["movie_id"]) == [20, 30]  # latest time: 10, 20, 30 -> last two
    with pytest.raises(ValueError, match="positive whole number"):
        splits.temporal_split(ratings, n_test=0)
    with pytest.raises(ValueError, match="timestamp"):
        splits.temporal_split(ratings.drop(columns="timestamp"))


def test_random_split_and_dispatch():
    ratings = _ratings(COUNTS)
    train, test = splits.random_split(ratings, test_size=0.2, seed=3)
    _assert_partition(ratings, train, test)
    assert len(test) == round(0.2 * len(ratings))
    for kind in splits.SPLIT_KINDS:
        tr, te = splits.make_split(ratings, kind=kind, seed=3, n_test=2)
        _assert_partition(ratings, tr, te)
    pd.testing.assert_frame_equal(
        splits.make_split(ratings, "random", seed=3, test_size=0.2)[1], test
    )
    with pytest.raises(ValueError, match="unknown split kind 'chrono'"):
        splits.make_split(ratings, kind="chrono")


def test_split_summary_counts_each_side_and_the_overlap():
    from zeerec.splits import split_summary

    train = pd.DataFrame({"user_id": [1, 1, 2], "movie_id": [10, 11, 10], "rating": [5, 4, 3]})
    test = pd.DataFrame({"user_id": [1, 3], "movie_id": [12, 10], "rating": [2, 1]})
    table = split_summary(train, test)
    assert table.loc["train"].tolist() == [3, 2, 2] and table.loc["test"].tolist() == [2, 2, 2]
    assert table.attrs == {"shared_users": 1, "shared_pairs": 0}
    leaky = pd.concat([test, train.iloc[:1]])
    assert split_summary(train, leaky).attrs["shared_pairs"] == 1


def test_working_set_takes_the_most_rated_movies_and_whole_users():
    rng = np.random.default_rng(5)
    n = 6_000
    ratings = pd.DataFrame(
        {
            "user_id": rng.integers(1, 400, n),
            "movie_id": (rng.pareto(1.2, n) * 10).astype(int) + 1,
            "rating": rng.integers(1, 6, n),
        }
    ).drop_duplicates(["user_id", "movie_id"], ignore_index=True)
    n_users, n_movies = ratings["user_id"].nunique(), ratings["movie_id"].nunique()
    whole = splits.working_set(ratings, max_users=n_users, max_movies=n_movies)
    assert whole.whole and whole.ratings is ratings
    assert f"all {len(ratings):,} ratings" in whole.sentence()

    ws = splits.working_set(ratings, max_users=50, max_movies=30, seed=3)
    raters = ratings["movie_id"].value_counts()
    top = raters.sort_index().sort_values(ascending=False, kind="stable").index[:30]
    assert set(ws.ratings["movie_id"]) <= set(top) and ws.movies == 30
    assert ws.users == ws.ratings["user_id"].nunique() == 50 and not ws.whole
    kept_movies = ratings[ratings["movie_id"].isin(top)]
    for user, part in ws.ratings.groupby("user_id"):  # whole users: every kept-movie rating
        assert len(part) == (kept_movies["user_id"] == user).sum()
    again = splits.working_set(ratings, max_users=50, max_movies=30, seed=3)
    pd.testing.assert_frame_equal(again.ratings, ws.ratings)
    other = splits.working_set(ratings, max_users=50, max_movies=30, seed=4)
    assert set(other.ratings["user_id"]) != set(ws.ratings["user_id"])
    text = ws.sentence()
    assert f"the 30 most-rated of the {n_movies:,} rated movies" in text
    raters_of_top = kept_movies["user_id"].nunique()
    assert f"a seeded sample of 50 of the {raters_of_top:,} users who rated them" in text
    assert f"{ws.n_ratings:,} of the {len(ratings):,} ratings" in text
    users_only = splits.working_set(ratings, max_users=20, seed=3)  # no movie limit
    text = users_only.sentence()
    assert f"all {n_movies:,} rated movies and a seeded sample of 20 of the {n_users:,}" in text
    assert f"whose ratings touch {users_only.movies:,} of those movies" in text
    assert "most-rated" not in text
    with pytest.raises(ValueError, match="max_users must be a whole number"):
        splits.working_set(ratings, max_users=0)
