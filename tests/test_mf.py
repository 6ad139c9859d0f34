"""Keras matrix factorisation: learns planted structure, round-trips, stays deterministic.

Every model here trains on a few thousand ratings for a few seconds; accuracy claims
at real sizes live in benchmarks/bench_mf.py and BENCHMARKS.md.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from zeerec.metrics import rmse
from zeerec.models import mf
from zeerec.models.baseline import BiasBaseline, GlobalMean
from zeerec.models.mf import BiasedMF, SeedMF, tf_setup
from zeerec.splits import random_split

# Keras's own callbacks convert tensors with np.array(copy=False); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

SMALL = dict(factors=8, epochs=40, batch_size=256, learning_rate=1e-2, reg=0.05, patience=4)


def planted(n_users=240, n_movies=90, density=0.35, noise=0.3, seed=0) -> pd.DataFrame:
    """Three taste groups: a user likes the movies of their own group, dislikes the rest."""
    rng = np.random.default_rng(seed)
    gu, gm = rng.integers(0, 3, n_users), rng.integers(0, 3, n_movies)
    ub, mb = rng.normal(0, 0.3, n_users), rng.normal(0, 0.3, n_movies)
    u, m = np.nonzero(rng.random((n_users, n_movies)) < density)
    taste = np.where(gu[u] == gm[m], 1.0, -0.6)
    stars = np.clip(np.rint(3.3 + ub[u] + mb[m] + taste + rng.normal(0, noise, len(u))), 1, 5)
    df = pd.DataFrame({"user_id": u + 1, "movie_id": m + 101, "rating": stars.astype("int8")})
    df["timestamp"] = np.datetime64("2000-01-01", "s")
    df.attrs["movie_group"] = dict(zip(range(101, 101 + n_movies), gm.tolist(), strict=True))
    return df


@pytest.fixture(scope="module")
def data():
    ratings = planted()
    train, test = random_split(ratings, 0.2, seed=1)
    return ratings, train, test


@pytest.fixture(scope="module")
def fitted(data):
    _, train, _ = data
    return BiasedMF(**SMALL, n_members=2, seed=3).fit(train)


def test_learns_planted_structure_far_below_the_baselines(data, fitted):
    _, train, test = data
    truth = test["rating"].to_numpy()

    def err(model):
        return rmse(truth, model.predict(test["user_id"], test["movie_id"]))

    gm, bias = err(GlobalMean().fit(train)), err(BiasBaseline().fit(train))
    ours = err(fitted)
    assert ours < 0.6 * gm  # the taste groups explain most of what the mean cannot
    assert ours < 0.75 * bias  # ... and most of what the biases cannot
    pred = fitted.predict(test["user_id"], test["movie_id"])
    assert pred.min() >= 1 and pred.max() <= 5
    # early stopping on the carved validation set restored the best epoch
    assert fitted.best_epoch_ == int(np.argmin(fitted.history_["val_ensemble_rmse"])) + 1
    assert len(fitted.history_["loss"]) <= SMALL["epochs"]
    assert len(fitted.epoch_seconds_) > len(fitted.history_["loss"])  # refit epochs added


def test_similar_movies_come_from_the_same_taste_group(data, fitted):
    ratings, _, _ = data
    groups = ratings.attrs["movie_group"]
    hits = []
    for movie in list(groups)[:10]:
        sim = fitted.similar_movies(movie, n=5)
        assert movie not in set(sim["movie_id"])
        assert sim["similarity"].is_monotonic_decreasing
        hits += [groups[m] == groups[movie] for m in sim["movie_id"]]
    assert np.mean(hits) > 0.9


def test_members_average_is_one_plain_mf(data, fitted):
    """The stacked arrays give exactly the mean of the Keras members' predictions."""
    _, _, test = data
    ids = fitted.ratings_
    known = test[test["user_id"].isin(ids.user_ids) & test["movie_id"].isin(ids.movie_ids)]
    x = np.column_stack(
        [
            fitted.ratings_.user_index(known["user_id"]),
            fitted.ratings_.movie_index(known["movie_id"]),
        ]
    ).astype(np.int32)
    members = fitted.model_.predict(np.repeat(x[:, None, :], 2, axis=1), verbose=0)
    assert members.shape == (len(known), 2)
    arrays = fitted.arrays()
    assert arrays["user_factors"].shape[1] == arrays["movie_factors"].shape[1] == 16
    raw = (
        arrays["global_mean"]
        + arrays["user_bias"][x[:, 0]]
        + arrays["movie_bias"][x[:, 1]]
        + np.einsum("ij,ij->i", arrays["user_vectors"][x[:, 0]], arrays["movie_factors"][x[:, 1]])
    )
    np.testing.assert_allclose(raw, members.mean(axis=1), atol=1e-4)
    np.testing.assert_allclose(
        fitted.predict(known["user_id"], known["movie_id"]), np.clip(raw, 1, 5)
    )
    top = fitted.recommend(int(known["user_id"].iloc[0]), 5)
    assert len(top) == 5 and top["score"].is_monotonic_decreasing


def test_save_and_load_round_trip_exactly(data, fitted, tmp_path):
    _, _, test = data
    path = fitted.save(tmp_path / "mf")
    assert {p.name for p in path.iterdir()} == {"model.keras", "meta.json", "ids.npz"}
    meta = json.loads((path / "meta.json").read_text())
    assert meta["class"] == "BiasedMF" and meta["settings"]["n_members"] == 2
    back = mf.load(path)
    assert isinstance(back, BiasedMF)
    users, movies = test["user_id"], test["movie_id"]
    np.testing.assert_array_equal(back.predict(users, movies), fitted.predict(users, movies))
    for key, value in fitted.arrays().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(back.arrays()[key], value)
    user = int(users.iloc[0])
    pd.testing.assert_frame_equal(back.recommend(user, 7), fitted.recommend(user, 7))
    pd.testing.assert_frame_equal(back.similar_movies(101, n=4), fitted.similar_movies(101, n=4))
    assert back.history_ == fitted.history_ and back.taste_scale_ == fitted.taste_scale_
    # saving again over an existing folder replaces it atomically
    fitted.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mf"]
    with pytest.raises(FileNotFoundError, match="Notebook 05"):
        mf.load(tmp_path / "nothing-here")
    with pytest.raises(TypeError, match="BiasedMF"):
        SeedMF.load(path)


@pytest.mark.parametrize("xla", [False, True], ids=["plain", "xla"])
def test_same_seed_same_numbers_other_seed_other_numbers(data, xla, monkeypatch):
    monkeypatch.setattr(tf_setup, "XLA_MIN_RATINGS", 1 if xla else None)
    _, train, _ = data
    settings = {**SMALL, "epochs": 6, "refit": False}
    a = BiasedMF(**settings, seed=11).fit(train)
    b = BiasedMF(**settings, seed=11).fit(train)
    c = BiasedMF(**settings, seed=12).fit(train)
    assert a.model_.jit_compile is xla
    np.testing.assert_array_equal(a.user_factors, b.user_factors)
    np.testing.assert_array_equal(a.movie_bias, b.movie_bias)
    assert a.history_ == b.history_
    assert not np.array_equal(a.user_factors, c.user_factors)


def test_xla_only_from_the_size_where_it_pays(data, fitted, monkeypatch):
    # Small fits skip the compile; big ones must get XLA, which Keras's "auto" (and op
    # determinism) would silently turn off on CPU, doubling the training time.
    assert fitted.n_train_ < mf.XLA_MIN_RATINGS and fitted.model_.jit_compile is False
    assert mf.use_xla(mf.XLA_MIN_RATINGS) and not mf.use_xla(mf.XLA_MIN_RATINGS - 1)
    monkeypatch.setattr(tf_setup, "XLA_MIN_RATINGS", 100)
    _, train, _ = data
    big = BiasedMF(**{**SMALL, "epochs": 1}, refit=False).fit(train)
    assert big.model_.jit_compile is True
    seed = SeedMF(epochs=1, batch_size=512).fit(train)
    assert seed.model_.jit_compile is True
    monkeypatch.setattr(tf_setup, "XLA_MIN_RATINGS", None)
    assert not mf.use_xla(10**9)


def test_unknown_ids_fall_back_to_the_biases(fitted):
    mu = fitted.global_mean
    u, m = int(fitted.ratings_.user_ids[0]), int(fitted.ratings_.movie_ids[0])
    bu = fitted.user_bias[0]
    bi = fitted.movie_bias[0]
    got = fitted.predict([-1, u, -1], [m, 10**6, 10**6])
    np.testing.assert_allclose(got, np.clip([mu + bi, mu + bu, mu], 1, 5))
    with pytest.raises(KeyError, match="unknown movie"):
        fitted.similar_movies(10**6)
    with pytest.raises(KeyError, match="unknown user"):
        fitted.recommend(-1)
    with pytest.raises(NotImplementedError, match="fold-in"):
        fitted.scores({101: 5})
    with pytest.raises(ValueError, match="aligned"):
        fitted.predict([u, u], [m])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="validation set carved"):
        BiasedMF(validation_fraction=0)
    with pytest.raises(ValueError, match="reg"):
        BiasedMF(reg=-0.1)
    with pytest.raises(ValueError, match="at least 1"):
        BiasedMF(n_members=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        BiasedMF().save("/tmp/never-written")


def test_implicit_term_trains_and_is_part_of_the_user_vector(data):
    _, train, test = data
    model = BiasedMF(**{**SMALL, "epochs": 8}, implicit=True, seed=5).fit(train)
    assert model.implicit_factors is not None
    implicit = model.implicit_vectors()
    assert np.abs(implicit).sum() > 0
    np.testing.assert_allclose(model.user_vectors(), model.user_factors + implicit)
    truth = test["rating"].to_numpy()
    gm = rmse(truth, np.full(len(truth), train["rating"].mean()))
    assert rmse(truth, model.predict(test["user_id"], test["movie_id"])) < 0.8 * gm


def test_seed_model_is_the_published_architecture(data, tmp_path):
    _, train, test = data
    model = SeedMF(epochs=2, batch_size=512, learning_rate=1e-2, seed=1).fit(train)
    n_users, n_movies = model.ratings_.shape
    layers = {layer.name for layer in model.model_.layers}
    assert {"user_embedding", "movie_embedding", "Similarity-Dot-Product"} <= layers
    assert model.model_.count_params() == (n_users + n_movies) * 64
    assert isinstance(model.model_.optimizer, keras.optimizers.Adam)
    assert set(model.history_) >= {"loss", "val_loss", "rmse", "val_rmse"}
    known = test[
        test["user_id"].isin(model.ratings_.user_ids)
        & test["movie_id"].isin(model.ratings_.movie_ids)
    ]
    pred = model.predict(known["user_id"], known["movie_id"])
    back = mf.load(model.save(tmp_path / "seed"))
    np.testing.assert_array_equal(back.predict(known["user_id"], known["movie_id"]), pred)
    with pytest.raises(KeyError, match="no bias terms to fall back on"):
        model.predict([-1], [101])


def test_mf_figures_have_titles_and_axis_labels(data, fitted):
    import matplotlib

    matplotlib.use("Agg")
    from zeerec import plots

    _, _, test = data
    pred = fitted.predict(test["user_id"], test["movie_id"])
    coords = fitted.movie_factors[:, :2]
    figures = [
        plots.training_curves({"a": fitted.history_}, {"a": fitted.best_epoch_}),
        plots.predicted_vs_actual(test["rating"], {"ours": pred, "mean": np.full_like(pred, 3)}),
        plots.embedding_map(coords, ["x"] * (len(coords) - 5) + ["Other"] * 5, {0: "first"}),
    ]
    for fig in figures:
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        matplotlib.pyplot.close(fig)


def test_old_folders_with_members_still_load(fitted, tmp_path):
    """Folders saved before the rename (settings["members"]) load as n_members."""
    path = fitted.save(tmp_path / "old")
    meta = json.loads((path / "meta.json").read_text())
    meta["settings"]["members"] = meta["settings"].pop("n_members")
    (path / "meta.json").write_text(json.dumps(meta))
    back = mf.load(path)
    assert back.n_members == 2 and "members" not in back.settings
    np.testing.assert_array_equal(back.movie_factors, fitted.movie_factors)


def test_similar_movies_checks_n(fitted):
    assert len(fitted.similar_movies(101, n=3)) == 3
    with pytest.raises(ValueError, match="positive whole number"):
        fitted.similar_movies(101, n=0)
    with pytest.raises(ValueError, match="larger than"):
        fitted.similar_movies(101, n=len(fitted.ratings_.movie_ids))


def test_seed_model_declares_it_cannot_predict_unknown_ids(data):
    _, train, test = data
    seed = SeedMF(factors=4, epochs=1, batch_size=512).fit(train)
    assert not SeedMF.predicts_unknown and BiasedMF.predicts_unknown
    u, m = int(seed.ratings_.user_ids[0]), int(seed.ratings_.movie_ids[0])
    np.testing.assert_array_equal(seed.knows([u, -1, u], [m, m, -1]), [True, False, False])
    known = seed.knows(test["user_id"], test["movie_id"])
    assert np.isfinite(seed.predict(test["user_id"][known], test["movie_id"][known])).all()


def test_seed_plan_counts_the_carved_ratings_batches_and_steps():
    # 1,000 ratings less the 10 % carved off = 900; batches of 128 -> 8 steps an epoch
    assert mf.seed_plan(1_000, epochs=3, batch_size=128) == (900, 128, 24)
    # no batch size given: the published 1,100 steps an epoch, never below 128
    assert mf.seed_plan(1_000, epochs=20).batch_size == 128
    plan = mf.seed_plan(2_200_000, epochs=20)  # 1,980,000 to train on: ceil(/1,100) = 1,800
    assert plan == (1_980_000, 1_800, 20 * 1_100)
    # round(0.5) = 0 in Python: 5 ratings at 10 % keep all 5, as random_split does
    assert mf.seed_plan(5, epochs=1, batch_size=2).n_fit == 5


def test_predicted_vs_actual_keeps_half_stars_apart():
    """3.5★ ratings get their own box, not merged into 3★ (ML-10M and later)."""
    import matplotlib

    matplotlib.use("Agg")
    from zeerec import plots

    truth = np.array([3.0, 3.5, 3.5, 4.0, 0.5])
    fig = plots.predicted_vs_actual(truth, {"m": truth + 0.1})
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["0.5★", "3★", "3.5★", "4★"]
    matplotlib.pyplot.close(fig)
