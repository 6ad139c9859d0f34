"""The rating blend: weights from a validation carving, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from zeerec import splits
from zeerec.models.base import same_settings
from zeerec.models.blend import RatingBlend, _ridge_with_intercept, user_standardised_scores

QUICK = ("bias baseline", "item-kNN pearson", "user-kNN")  # no Keras: a fast blend


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    """stars = 3 + user bias + movie bias + a taste term + noise, on 1-5."""
    rng = np.random.default_rng(11)
    n_users, n_movies = 150, 80
    ub, mb = rng.normal(0, 0.5, n_users + 1), rng.normal(0, 0.6, n_movies + 1)
    pu, qi = rng.normal(0, 0.6, (n_users + 1, 2)), rng.normal(0, 0.6, (n_movies + 1, 2))
    rows = []
    for u in range(1, n_users + 1):
        for m in rng.choice(np.arange(1, n_movies + 1), size=rng.integers(15, 40), replace=False):
            stars = 3 + ub[u] + mb[m] + pu[u] @ qi[m] + rng.normal(0, 0.5)
            rows.append((u, int(m), int(np.clip(np.rint(stars), 1, 5))))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])


def test_ridge_weights_match_scikit_learn():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    w = _ridge_with_intercept(X, y, ridge=3.0)
    ref = Ridge(alpha=3.0).fit(X, y)  # scikit-learn leaves the intercept unpenalised too
    assert w[0] == pytest.approx(ref.intercept_) and w[1:] == pytest.approx(ref.coef_)


def test_blend_learns_on_a_carving_and_beats_its_components_there(ratings):
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=1)
    blend = RatingBlend(components=QUICK, seed=4).fit(train)
    val = blend.validation_rmse_
    assert val["blend"] <= val[list(QUICK)].min() + 1e-9  # in-sample on the carving
    assert set(blend.components_) == set(QUICK) and blend.weights_.index[0] == "intercept"
    # the components used for predictions were refitted on all training ratings
    assert all(
        len(m.ratings_.user_ids) == train["user_id"].nunique() for m in blend.components_.values()
    )
    pred = blend.predict(test["user_id"], test["movie_id"])
    assert pred.shape == (len(test),) and pred.min() >= 1 and pred.max() <= 5
    again = (
        RatingBlend(components=QUICK, seed=4).fit(train).predict(test["user_id"], test["movie_id"])
    )
    np.testing.assert_array_equal(pred, again)  # same seed, same carving, same weights


def test_blend_never_fits_on_what_it_is_not_given(ratings, monkeypatch):
    """Every component sees only the training ratings (the carving, then all of them)."""
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=2)
    seen = []
    from zeerec.models.base import Recommender

    fit = Recommender.fit

    def spy(self, data):
        seen.append(data)
        return fit(self, data)

    monkeypatch.setattr(Recommender, "fit", spy)
    RatingBlend(components=QUICK[:2], seed=1).fit(train)
    test_keys = set(zip(test["user_id"], test["movie_id"], strict=True))
    for data in seen:
        assert not test_keys & set(zip(data["user_id"], data["movie_id"], strict=True))
    assert len(seen) == 1 + 2 * 2  # the blend itself, each component on the carving and on all


@pytest.mark.parametrize(
    "kw",
    [
        {"components": ()},
        {"validation_size": 1.5},
        {"ridge": -1},
        {"components": ("no such model",)},
    ],
)
def test_blend_refuses_bad_settings(ratings, kw):
    with pytest.raises(ValueError):
        RatingBlend(**kw).fit(ratings)


def test_blend_takes_the_components_the_harness_fitted_on_the_same_split(ratings):
    """evaluate() offers the blend what it already fitted on ``train``: each matching
    component is used as it is (fitted once, not twice), and the predictions are the
    ones a blend fitting everything itself gives."""
    from zeerec import evaluation
    from zeerec.models import registry

    train, test = splits.stratified_split(ratings, test_size=0.25, seed=3)
    models = {name: registry.create(name, seed=5) for name in QUICK[:2]}
    models["user-kNN"] = registry.create("user-kNN", seed=5, n_neighbours=20)  # not the blend's
    models["rating blend"] = RatingBlend(components=QUICK, seed=5)
    evaluation.evaluate(models, train, test, k=5)
    blend = models["rating blend"]
    assert blend.reused_ == list(QUICK[:2])
    for name in QUICK[:2]:
        assert blend.components_[name] is models[name]
    assert blend.components_["user-kNN"] is not models["user-kNN"]  # other settings: refitted
    alone = RatingBlend(components=QUICK, seed=5).fit(train)
    assert alone.reused_ == []
    np.testing.assert_array_equal(
        blend.predict(test["user_id"], test["movie_id"]),
        alone.predict(test["user_id"], test["movie_id"]),
    )
    # an offer holds for one fit: refitting alone fits every component again
    blend.fit(train)
    assert blend.reused_ == []
    # a model fitted on other ratings is not taken, even with the same settings
    other = RatingBlend(components=QUICK, seed=5)
    other.offer_fitted({QUICK[0]: registry.create(QUICK[0], seed=5).fit(test)})
    other.fit(train)
    assert other.reused_ == []
    # an offer is for the next fit only: fitted on other ratings it is refused, and the
    # fit after that is not offered it again
    later = RatingBlend(components=QUICK, seed=5)
    later.offer_fitted({QUICK[0]: models[QUICK[0]]})
    later.fit(test)
    assert later.reused_ == []
    later.fit(train)
    assert later.reused_ == []


def test_standardised_scores_match_a_pair_by_pair_reference(ratings, monkeypatch):
    """Each pair's score in sd above the user's mean score, worked out one pair at a
    time from ``scores(user)``; unknown users and movies get 0. Blocks of 7 users, so
    the pairs (shuffled) span several blocks."""
    import zeerec.models.blend as blend_module
    from zeerec.models import registry

    monkeypatch.setattr(blend_module, "SCORE_BLOCK", 7)
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=6)
    model = registry.create("implicit ALS", seed=2).fit(train)
    pairs = test.sample(frac=1.0, random_state=0)
    users = np.r_[pairs["user_id"].to_numpy(), 10_000, pairs["user_id"].iloc[0]]
    movies = np.r_[pairs["movie_id"].to_numpy(), pairs["movie_id"].iloc[0], 10_000]
    got = user_standardised_scores(model, users, movies)
    col = {int(m): j for j, m in enumerate(model.ratings_.movie_ids)}
    want = []
    for u, m in zip(users, movies, strict=True):
        if u not in set(model.ratings_.user_ids) or int(m) not in col:
            want.append(0.0)
            continue
        s = model.scores(int(u))
        s = s[np.isfinite(s)]
        want.append((model.scores(int(u))[col[int(m)]] - s.mean()) / s.std())
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert got[-2:].tolist() == [0.0, 0.0] and np.abs(got[:-2]).max() > 0.5


def test_a_ranking_component_enters_as_its_standardised_score(ratings):
    """implicit ALS predicts no stars: the blend weighs its standardised score, and its
    validation RMSE lists the star components only."""
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=7)
    blend = RatingBlend(components=(*QUICK[:2], "implicit ALS"), seed=3).fit(train)
    assert list(blend.validation_rmse_.index) == [*QUICK[:2], "blend"]
    assert "implicit ALS" in blend.weights_.index and blend.weights_["implicit ALS"] != 0
    pred = blend.predict(test["user_id"], test["movie_id"])
    assert np.isfinite(pred).all() and pred.min() >= 1 and pred.max() <= 5
    base = RatingBlend(components=QUICK[:2], seed=3).fit(train)
    assert not np.allclose(pred, base.predict(test["user_id"], test["movie_id"]))


def _standardised(scores: np.ndarray) -> np.ndarray:
    """Each row in sd above its mean over its finite entries, by the textbook formula."""
    out = np.full(scores.shape, np.nan)
    for r, row in enumerate(scores):
        ok = np.isfinite(row)
        out[r, ok] = (row[ok] - row[ok].mean()) / row[ok].std()
    return out


def test_ranking_blend_scores_are_the_weighted_standardised_component_scores(ratings):
    """Known users (in one batch) and a new user's profile: Σ w_m · z_m, worked out from
    each component's own scores; a component with weight 0 is never fitted."""
    from zeerec.models.blend import RankingBlend

    train, _ = splits.stratified_split(ratings, test_size=0.25, seed=8)
    blend = RankingBlend(rp3beta_weight=0.7, vae_weight=0.0, ease_weight=0.3, seed=2).fit(train)
    assert set(blend.components_) == {"implicit ALS", "RP3beta", "EASE"}
    assert blend.ranking_score.startswith("1·implicit ALS + 0.7·RP3beta + 0.3·EASE")
    weights = {"implicit ALS": 1.0, "RP3beta": 0.7, "EASE": 0.3}
    users = np.unique(train["user_id"])[:9]
    want = sum(
        w * _standardised(blend.components_[n].scores_many(users)) for n, w in weights.items()
    )
    np.testing.assert_allclose(blend.scores_many(users), want, rtol=1e-10, atol=1e-12)
    profile = {int(m): 5.0 for m in train["movie_id"].unique()[:4]}
    want = sum(
        w * _standardised(blend.components_[n].scores(profile)[None, :])[0]
        for n, w in weights.items()
    )
    np.testing.assert_allclose(blend.scores(profile), want, rtol=1e-10, atol=1e-12)
    top = blend.recommend(profile, n=5)["movie_id"].tolist()
    assert len(top) == 5 and not set(top) & set(profile)


def test_ranking_blend_takes_what_the_harness_fitted_and_refuses_bad_weights(ratings):
    from zeerec import evaluation
    from zeerec.models import registry
    from zeerec.models.blend import RankingBlend

    train, test = splits.stratified_split(ratings, test_size=0.25, seed=9)
    models = {n: registry.create(n, seed=4) for n in ("implicit ALS", "RP3beta")}
    models["ranking blend"] = RankingBlend(vae_weight=0.0, seed=4)
    ev = evaluation.evaluate(models, train, test, k=5)
    blend = models["ranking blend"]
    assert blend.reused_ == ["implicit ALS", "RP3beta"]
    assert blend.components_["RP3beta"] is models["RP3beta"]
    alone = RankingBlend(vae_weight=0.0, seed=4).fit(train)
    users = np.unique(test["user_id"])[:5]
    np.testing.assert_array_equal(blend.scores_many(users), alone.scores_many(users))
    assert "ranking blend" in set(ev.ranking["model"])
    for bad in ({"rp3beta_weight": -1.0}, {"vae_weight": float("nan")}):
        with pytest.raises(ValueError, match="weights"):
            RankingBlend(**bad)


def test_ranking_blend_for_profiles_builds_its_components_for_profiles(ratings):
    """registry.create(..., profiles=True) reaches the components: each runs with the
    values its own registry line chose for new users."""
    from zeerec.models import registry

    blend = registry.create("ranking blend", seed=1, profiles=True, vae_weight=0.0)
    blend.fit(ratings)
    for name, model in blend.components_.items():
        own = registry.create(name, seed=1, profiles=True)
        assert same_settings(model, own), name
    warm = registry.create("ranking blend", seed=1, vae_weight=0.0).fit(ratings)
    assert warm.components_["implicit ALS"].reg != blend.components_["implicit ALS"].reg
