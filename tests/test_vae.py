"""Mult-VAE (Liang et al. 2018): what is particular to it; the interface is test_interface's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ML100K

from zeerec.models.mf import MultVAE, tf_setup

QUICK = {"hidden": 32, "latent": 8, "epochs": 30, "batch_size": 16, "learning_rate": 1e-2}


def _blocks(seed: int = 0) -> pd.DataFrame:
    """Two taste groups: users 1-30 watch movies 1-10, users 31-60 watch movies 11-20;
    each user skips three movies of their block."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, 61):
        block = np.arange(1, 11) if u <= 30 else np.arange(11, 21)
        for m in rng.choice(block, size=7, replace=False):
            rows.append((u, int(m), int(rng.integers(1, 6))))
    df = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    df["timestamp"] = np.arange(len(df), dtype=np.int64)
    return df


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, MultVAE]:
    ratings = _blocks()
    return ratings, MultVAE(seed=3, **QUICK).fit(ratings)


def test_same_seed_same_numbers_other_seed_other_numbers(fitted):
    ratings, model = fitted
    again = MultVAE(seed=3, **QUICK).fit(ratings)
    np.testing.assert_array_equal(model.scores_many([1, 40]), again.scores_many([1, 40]))
    assert model.history_ == again.history_
    other = MultVAE(seed=4, **QUICK).fit(ratings)
    assert not np.allclose(model.scores(1), other.scores(1))


@pytest.mark.parametrize("bf16", [False, True])
def test_bfloat16_products_follow_the_float32_run(monkeypatch, fitted, bf16):
    """The flag decides the step's products (off: float32, the same numbers as always);
    in bfloat16 the run follows the float32 one closely and learns the same lists."""
    ratings, _ = fitted
    monkeypatch.setattr(tf_setup, "BF16_MATMULS", False)
    base = MultVAE(seed=3, **QUICK).fit(ratings)
    monkeypatch.setattr(tf_setup, "BF16_MATMULS", bf16)
    model = MultVAE(seed=3, **QUICK).fit(ratings)
    first, last = base.history_["loss"][0], base.history_["loss"][-1]
    if not bf16:
        assert model.history_ == base.history_
        return
    assert model.history_ != base.history_  # the flag really changes the products
    # loss in the same place to within 2 % of the way training came
    assert abs(model.history_["loss"][-1] - last) < 0.02 * (first - last)
    for user in (1, 45):
        assert set(model.recommend(user, n=3)["movie_id"]) == set(
            base.recommend(user, n=3)["movie_id"]
        )


def test_it_learns_the_taste_groups(fitted):
    ratings, model = fitted
    for user, block in ((1, set(range(1, 11))), (45, set(range(11, 21)))):
        seen = set(ratings.loc[ratings["user_id"] == user, "movie_id"])
        recs = model.recommend(user, n=3)
        assert set(recs["movie_id"]) == block - seen  # the 3 unseen movies of its block
    loss = model.history_["loss"]
    assert loss[-1] < loss[0]
    assert model.history_["beta"][-1] == pytest.approx(model.beta_cap)


def test_shapes_and_a_profile_is_just_an_input_row(fitted):
    ratings, model = fitted
    block = model.scores_many([3, 1, 2])
    assert block.shape == (3, 20) and block.dtype == np.float64
    np.testing.assert_allclose(block[1], model.scores(1), rtol=0, atol=1e-12)
    # the stars do not matter, only which movies; unknown movies are left out
    mine = ratings.loc[ratings["user_id"] == 1, "movie_id"]
    profile = {**dict.fromkeys(mine.astype(int), 2.0), 99_999: 5.0}
    np.testing.assert_allclose(model.scores(profile), model.scores(1), rtol=0, atol=1e-12)
    recs = model.recommend({1: 5.0, 2: 4.0, 3: 1.0}, n=3)
    assert set(recs["movie_id"]) <= set(range(4, 11))
    assert model.predicts_ratings is False and model.accepts_profiles is True


def test_bad_settings_are_refused():
    for bad in ({"dropout": 1.0}, {"epochs": 0}, {"beta_cap": -1}, {"learning_rate": 0}):
        with pytest.raises(ValueError):
            MultVAE(**bad)


def test_beats_popularity_on_ml100k():
    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    from zeerec import data
    from zeerec.evaluation import evaluate
    from zeerec.models.popularity import Popularity
    from zeerec.splits import stratified_split

    train, test = stratified_split(data.load(ML100K).ratings, test_size=0.25, seed=42)
    # 15 epochs instead of the default's 30 keep the test near 10 s; enough to learn
    models = {"vae": MultVAE(epochs=15), "popularity": Popularity()}
    result = evaluate(models, train, test, k=10, n_users=300)
    p10 = result.ranking.set_index("model")["precision@10"]
    assert p10["vae"] > p10["popularity"] + 0.05


def test_bfloat16_needs_onednn(monkeypatch):
    # TensorFlow's own kernels (oneDNN off) would emulate bfloat16: the flag stays off
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert tf_setup._cpu_has_bf16() is False
