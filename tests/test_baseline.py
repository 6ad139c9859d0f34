"""Global mean and bias baseline: the floor every rating model must beat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.metrics import rmse
from zeerec.models.baseline import BiasBaseline, GlobalMean


def _ratings(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    df["timestamp"] = np.datetime64("2000-01-01", "s")
    return df


def _random_ratings(n_users=60, n_movies=40, n=900, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_movies, size=n, replace=False)
    users, movies = pairs // n_movies + 1, pairs % n_movies + 1
    ub, mb = rng.normal(0, 0.6, n_users + 1), rng.normal(0, 0.6, n_movies + 1)
    stars = np.clip(np.rint(3.5 + ub[users] + mb[movies] + rng.normal(0, 0.7, n)), 1, 5)
    return _ratings(list(zip(users, movies, stars.astype(int), strict=True)))


def test_global_mean_predicts_the_training_mean():
    r = _ratings([(1, 1, 5), (1, 2, 3), (2, 1, 1)])
    model = GlobalMean().fit(r)
    assert model.global_mean_ == pytest.approx(3.0)
    np.testing.assert_array_equal(model.predict([1, 99], [2, 99]), [3.0, 3.0])
    with pytest.raises(NotImplementedError, match="same score"):
        model.recommend(1, n=1)
    with pytest.raises(ValueError, match="aligned"):
        model.predict([1, 2], [1])


def test_biases_are_the_closed_form_alternating_updates():
    r = _ratings([(1, 1, 5), (1, 2, 3), (2, 1, 4), (2, 3, 2), (3, 2, 1)])
    model = BiasBaseline(reg_user=2.0, reg_movie=1.0, n_epochs=1).fit(r)
    mu = 3.0
    # movies first (with b_u = 0), then users against those movie biases
    bi = {1: (5 - mu + 4 - mu) / (1 + 2), 2: (3 - mu + 1 - mu) / (1 + 2), 3: (2 - mu) / (1 + 1)}
    bu = {1: (5 - mu - bi[1] + 3 - mu - bi[2]) / (2 + 2), 3: (1 - mu - bi[2]) / (2 + 1)}
    assert model.global_mean_ == pytest.approx(mu)
    for m, b in bi.items():
        assert model.movie_bias_[model.ratings_.movie_index(m)[0]] == pytest.approx(b)
    for u, b in bu.items():
        assert model.user_bias_[model.ratings_.user_index(u)[0]] == pytest.approx(b)


def test_regularisation_shrinks_movies_with_few_ratings():
    rows = [(u, 1, 5) for u in range(1, 41)] + [(1, 2, 5)] + [(u, 3, 3) for u in range(2, 41)]
    model = BiasBaseline().fit(_ratings(rows))
    b = dict(zip(model.ratings_.movie_ids, model.movie_bias_, strict=True))
    assert b[1] > b[2] > 0  # one 5-star vote is weaker evidence than forty


def test_unknown_ids_fall_back_to_the_known_biases():
    r = _random_ratings()
    model = BiasBaseline().fit(r)
    mu = model.global_mean_
    bu = model.user_bias_[model.ratings_.user_index(5)[0]]
    bi = model.movie_bias_[model.ratings_.movie_index(7)[0]]
    got = model.predict([5, 999, 5, 999], [7, 7, 999, 998])
    np.testing.assert_allclose(got, np.clip([mu + bu + bi, mu + bi, mu + bu, mu], 1, 5))


def test_beats_the_global_mean_and_ranks_by_movie_bias():
    r = _random_ratings(n=1500)
    train, test = r.iloc[:1200], r.iloc[1200:]
    base = BiasBaseline().fit(train)
    gm = GlobalMean().fit(train)
    truth = test["rating"].to_numpy()
    assert rmse(truth, base.predict(test["user_id"], test["movie_id"])) < rmse(
        truth, gm.predict(test["user_id"], test["movie_id"])
    )
    top = base.recommend(3, n=5, exclude_seen=False)
    expected = base.ratings_.movie_ids[np.argsort(-base.movie_bias_, kind="stable")[:5]]
    np.testing.assert_array_equal(top["movie_id"], expected)
    # a new user's profile gets their own bias, from the fixed movie biases
    high = base.scores({1: 5, 2: 5, 3: 5})
    low = base.scores({1: 1, 2: 1, 3: 1})
    assert np.all(high > low)
    users = base.ratings_.user_ids[:4]
    np.testing.assert_allclose(base.scores_many(users), np.vstack([base.scores(u) for u in users]))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="reg"):
        BiasBaseline(reg_user=-1)
    with pytest.raises(ValueError, match="n_epochs"):
        BiasBaseline(n_epochs=0)
    with pytest.raises(ValueError, match="empty ratings table"):
        BiasBaseline().fit(_ratings([]))


def test_same_numbers_as_surprise_baselineonly():
    surprise = pytest.importorskip("surprise")
    r = _random_ratings(n=1200, seed=3)
    ours = BiasBaseline().fit(r)
    data = surprise.Dataset.load_from_df(
        r[["user_id", "movie_id", "rating"]].astype({"rating": float}),
        surprise.Reader(rating_scale=(1, 5)),
    )
    theirs = surprise.BaselineOnly(verbose=False).fit(data.build_full_trainset())
    pairs = [(u, m) for u in (1, 5, 17, 999) for m in (2, 9, 30, 998)]
    expected = [theirs.predict(u, m).est for u, m in pairs]
    got = ours.predict([u for u, _ in pairs], [m for _, m in pairs])
    np.testing.assert_allclose(got, expected, atol=1e-9)
