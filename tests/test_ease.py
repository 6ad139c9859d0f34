"""EASE (Steck 2019) and the popularity baseline behind the Recommender interface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from zeerec.models.ease import EASE, ease_weights
from zeerec.models.popularity import Popularity


def _blocks(seed: int = 0) -> pd.DataFrame:
    """Two taste groups: users 1-30 watch movies 1-10, users 31-60 watch movies 11-20.

    Each user skips a few movies of their block; movie 21 is rated once by everyone's
    odd-one-out user so that the columns are not all alike.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, 61):
        block = np.arange(1, 11) if u <= 30 else np.arange(11, 21)
        for m in rng.choice(block, size=7, replace=False):
            rows.append((u, int(m), int(rng.integers(1, 6))))
    rows.append((60, 21, 3))
    df = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    df["timestamp"] = np.datetime64("2000-01-01", "s")
    return df


def test_weights_match_the_closed_form():
    X = sp.random(300, 40, density=0.15, random_state=3, format="csr")
    X.data[:] = 1.0
    lam = 25.0
    P = np.linalg.inv((X.T @ X).toarray() + lam * np.eye(40))
    expected = np.eye(40) - P / np.diag(P)[np.newaxis, :]
    B = ease_weights(X, lam)
    np.testing.assert_allclose(B, expected, atol=1e-12)
    assert np.all(np.diag(B) == 0)
    # B solves the constrained ridge problem: the gradient vanishes off the diagonal
    G = (X.T @ X).toarray()
    grad = G @ B - G + lam * B
    off = ~np.eye(40, dtype=bool)
    assert np.abs(grad[off]).max() < 1e-9
    for bad in (0, -1, np.nan):
        with pytest.raises(ValueError, match="positive number"):
            ease_weights(X, bad)


def test_ease_recommends_within_the_taste_group():
    ratings = _blocks()
    model = EASE(lam=5.0).fit(ratings)
    assert model.predicts_ratings is False
    for user, block in ((1, range(1, 11)), (45, range(11, 21))):
        seen = set(ratings.loc[ratings["user_id"] == user, "movie_id"])
        recs = model.recommend(user, n=3)
        assert list(recs.columns[:2]) == ["movie_id", "score"]
        assert set(recs["movie_id"]) == set(block) - seen  # the 3 unseen of its block
        assert recs["score"].is_monotonic_decreasing


def test_scores_paths_agree():
    ratings = _blocks()
    model = EASE(lam=5.0).fit(ratings)
    x = model.ratings_.binary().toarray()[model.ratings_.user_index(3)[0]]
    np.testing.assert_allclose(model.scores(3), x @ model.B_)
    # a profile with the same movies scores like the user (the stars do not matter)
    profile = dict.fromkeys(ratings.loc[ratings["user_id"] == 3, "movie_id"], 1.0)
    np.testing.assert_allclose(model.scores({**profile, 99999: 5.0}), model.scores(3))
    new = model.recommend({1: 5.0, 2: 4.0}, n=3)
    assert set(new["movie_id"]) <= set(range(3, 11))


def test_similar_movies_are_block_partners():
    model = EASE(lam=5.0).fit(_blocks())
    sim = model.similar_movies(1, n=5)
    assert list(sim.columns) == ["movie_id", "weight"]
    assert 1 not in set(sim["movie_id"])
    assert set(sim["movie_id"]) <= set(range(2, 11))
    with pytest.raises(KeyError, match="unknown movie"):
        model.similar_movies(999)


def test_errors_name_the_problem():
    model = EASE(lam=5.0).fit(_blocks())
    with pytest.raises(KeyError, match="unknown user"):
        model.recommend(999)
    with pytest.raises(ValueError, match="positive whole number"):
        model.recommend(1, n=0)
    with pytest.raises(NotImplementedError, match="does not predict ratings"):
        model.predict([1], [1])


def test_popularity_counts_ratings_not_stars():
    ratings = _blocks()
    model = Popularity().fit(ratings)
    counts = ratings.groupby("movie_id").size()
    np.testing.assert_array_equal(
        model.scores(1), counts.reindex(model.ratings_.movie_ids).to_numpy()
    )
    np.testing.assert_array_equal(model.scores_many([1, 2]), np.vstack([model.scores(1)] * 2))
    recs = model.recommend(1, n=2)
    seen = set(ratings.loc[ratings["user_id"] == 1, "movie_id"])
    unseen = counts.drop(list(seen)).sort_values(ascending=False, kind="stable")
    assert recs["movie_id"].tolist() == unseen.index[:2].tolist()
    assert model.predicts_ratings is False
    assert len(model.recommend({5: 4.0}, n=3)) == 3
    with pytest.raises(KeyError, match="unknown user"):
        model.scores(999)
    with pytest.raises(NotImplementedError, match="no movie-to-movie similarity"):
        model.similar_movies(1)


def test_a_catalogue_above_the_cap_learns_on_the_most_rated_movies():
    """max_movies: EASE is the uncapped EASE of the most-rated movies' columns (the
    users' other ratings dropped); the rest score NaN, are never recommended, and
    left_out_ counts them and their ratings."""
    ratings = _blocks()
    raters = ratings.groupby("movie_id").size()
    cap = 12
    kept_ids = raters.sort_index().sort_values(ascending=False, kind="stable").index[:cap]
    model = EASE(lam=5.0, max_movies=cap).fit(ratings)
    assert sorted(model.ratings_.movie_ids[model.kept_]) == sorted(kept_ids)
    inner = EASE(lam=5.0, max_movies=None).fit(ratings[ratings["movie_id"].isin(kept_ids)])
    np.testing.assert_allclose(model.B_, inner.B_, atol=1e-12)
    left = raters.drop(kept_ids)
    assert model.left_out_ == {
        "movies": len(left),
        "ratings": int(left.sum()),
        "share_of_ratings": left.sum() / raters.sum(),
    }
    for user in (1, 20, 45):
        scores = model.scores(user)
        kept = np.isin(model.ratings_.movie_ids, kept_ids)
        assert np.isnan(scores[~kept]).all() and np.isfinite(scores[kept]).all()
        expected = inner.scores(user) if user in set(inner.ratings_.user_ids) else None
        if expected is not None:
            np.testing.assert_allclose(scores[kept], expected, atol=1e-12)
        np.testing.assert_allclose(model.scores_many([user])[0], scores, equal_nan=True)
        assert set(model.recommend(user, n=20)["movie_id"]) <= set(kept_ids)
    profile = {int(m): 4.0 for m in raters.index[:3]}
    assert set(model.recommend(profile, n=5)["movie_id"]) <= set(kept_ids)
    out_id = int(left.index[0])
    with pytest.raises(ValueError, match="not among the 12 most-rated movies"):
        model.similar_movies(out_id)
    assert set(model.similar_movies(int(kept_ids[0]), n=3)["movie_id"]) <= set(kept_ids)
    assert EASE(lam=5.0).fit(ratings).left_out_["movies"] == 0
    # Nothing EASE kept to go on: no arbitrary list, and a profile says what to do.
    outside = {int(m): 5.0 for m in left.index}
    with pytest.raises(ValueError, match="none of the profile's movies is among the 12"):
        model.recommend(outside, n=3)
    extra = pd.DataFrame({"user_id": [99], "movie_id": [21], "rating": [4]})
    extra["timestamp"] = np.datetime64("2000-01-01", "s")
    lone = EASE(lam=5.0, max_movies=cap).fit(pd.concat([ratings, extra], ignore_index=True))
    assert 21 not in set(lone.ratings_.movie_ids[lone.kept_])  # rated twice: left out
    assert lone.recommend(99, n=3).empty and np.isnan(lone.scores(99)).all()
    assert np.isfinite(lone.scores_many([1, 99])[0][lone.kept_]).all()
