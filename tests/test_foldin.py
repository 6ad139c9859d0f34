"""MF fold-in: the ridge solve, its use as a recommender, and agreement with training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.models.foldin import MFFoldIn

N_MOVIES, F = 40, 4


@pytest.fixture
def arrays():
    rng = np.random.default_rng(3)
    ids = np.arange(10, 10 + N_MOVIES) * 3  # ids with gaps, not positions
    return {
        "movie_ids": ids,
        "item_factors": rng.normal(0, 0.5, (N_MOVIES, F)),
        "item_bias": rng.normal(0, 0.3, N_MOVIES),
        "global_mean": 3.6,
    }


def _exact_profile(arrays, bias, p, n=12):
    """Ratings a user with (bias, p) would give, noise-free (may leave the 1-5 range)."""
    q, b, mu = arrays["item_factors"], arrays["item_bias"], arrays["global_mean"]
    idx = np.arange(n) * 3 % N_MOVIES
    return {int(arrays["movie_ids"][i]): float(mu + bias + b[i] + q[i] @ p) for i in idx}


def test_noise_free_ratings_recover_the_user(arrays):
    p = np.array([0.5, -1.0, 0.25, 2.0])
    model = MFFoldIn(**arrays, reg=1e-9)
    u = model.fold_in(_exact_profile(arrays, 0.4, p))
    assert u.bias == pytest.approx(0.4, abs=1e-6)
    assert u.factors == pytest.approx(p, abs=1e-6)
    assert u.n_used == 12 and u.n_unknown == 0


def test_solution_is_the_ridge_minimiser(arrays):
    profile = {int(m): s for m, s in zip(arrays["movie_ids"][:6], [5, 3, 4, 1, 2, 5], strict=True)}
    reg, bias_reg = 0.7, 0.2
    u = MFFoldIn(**arrays, reg=reg, bias_reg=bias_reg).fold_in(profile)
    # The same problem as one stacked least-squares system: [Z; sqrt(penalty)] x = [y; 0].
    q, b = arrays["item_factors"][:6], arrays["item_bias"][:6]
    z = np.hstack([np.ones((6, 1)), q])
    y = np.array([5, 3, 4, 1, 2, 5]) - arrays["global_mean"] - b
    penalty = np.sqrt(np.r_[bias_reg, np.full(F, reg)])
    x = np.linalg.lstsq(np.vstack([z, np.diag(penalty)]), np.r_[y, np.zeros(F + 1)])[0]
    assert u.bias == pytest.approx(x[0]) and u.factors == pytest.approx(x[1:])


def test_per_rating_penalty_scales_with_profile_size(arrays):
    profile = {int(m): 4 for m in arrays["movie_ids"][:8]}
    a = MFFoldIn(**arrays, reg=0.5, reg_per_rating=True).fold_in(profile)
    b = MFFoldIn(**arrays, reg=0.5 * 8).fold_in(profile)
    assert a.factors == pytest.approx(b.factors) and a.bias == pytest.approx(b.bias)


def test_unbiased_model_has_no_user_bias(arrays):
    model = MFFoldIn(**{**arrays, "item_bias": None}, reg=0.1)
    u = model.fold_in({int(arrays["movie_ids"][0]): 5, int(arrays["movie_ids"][1]): 1})
    assert u.bias == 0 and u.factors.shape == (F,)


def test_recommend_excludes_rated_and_explains_scores(arrays):
    ids = arrays["movie_ids"]
    profile = {int(ids[0]): 5, int(ids[5]): 1, 999_999: 4}  # the last is unknown to MF
    model = MFFoldIn(**arrays, reg=0.5)
    rec = model.recommend(profile, k=N_MOVIES - 2)
    assert len(rec) == N_MOVIES - 2 and not {int(ids[0]), int(ids[5])} & set(rec["movie_id"])
    assert rec["score"].is_monotonic_decreasing
    u = model.fold_in(profile)
    assert u.n_unknown == 1 and rec.attrs["n_unknown"] == 1
    rebuilt = arrays["global_mean"] + u.bias + rec["movie_bias"] + rec["taste_match"]
    assert np.allclose(rebuilt, rec["score"])
    assert rec["predicted"].between(1, 5).all()


def test_existing_user_folds_in_their_history(arrays):
    ids = arrays["movie_ids"]
    ratings = pd.DataFrame(
        {"user_id": [7, 7, 7, 8], "movie_id": ids[[0, 1, 2, 3]], "rating": [5, 4, 1, 3]}
    )
    model = MFFoldIn(**arrays, reg=0.5).fit(ratings)
    as_profile = {int(m): r for m, r in zip(ids[:3], [5, 4, 1], strict=True)}
    assert model.scores(7) == pytest.approx(model.scores(as_profile))
    assert not set(ids[:3]) & set(model.recommend(7, k=5)["movie_id"])
    pred = model.predict([7, 42, 7], [ids[5], ids[5], 124])  # 124: not an MF movie
    assert pred[0] == pytest.approx(np.clip(model.scores(7)[5], 1, 5))
    assert pred[1] == pytest.approx(arrays["global_mean"] + arrays["item_bias"][5])
    assert pred[2] == pytest.approx(arrays["global_mean"] + model.fold_in(7).bias)


def test_calibrate_finds_the_penalty_training_used(arrays):
    rng = np.random.default_rng(5)
    rows, trained_b, trained_p = [], [], []
    truth = MFFoldIn(**arrays, reg=3.0)
    for user in range(1, 9):
        cols = rng.choice(N_MOVIES, 15, replace=False)
        stars = rng.integers(1, 6, 15)
        rows += [
            (user, int(arrays["movie_ids"][c]), int(s)) for c, s in zip(cols, stars, strict=True)
        ]
        u = truth.fold_in(
            dict(zip(arrays["movie_ids"][cols].tolist(), stars.tolist(), strict=True))
        )
        trained_b.append(u.bias)
        trained_p.append(u.factors)
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    model = MFFoldIn(**arrays, reg=0.01).fit(ratings)
    table = model.calibrate(range(1, 9), np.array(trained_b), np.array(trained_p))
    assert model.reg == 3 and not model.reg_per_rating
    assert table.iloc[0]["rmse_vs_trained"] == pytest.approx(0, abs=1e-9)


def test_bad_arrays_are_refused(arrays):
    with pytest.raises(ValueError, match="n_factors"):
        MFFoldIn(**{**arrays, "item_factors": np.zeros((3, F))})
    with pytest.raises(ValueError, match="one value per movie"):
        MFFoldIn(**{**arrays, "item_bias": np.zeros(3)})
    with pytest.raises(ValueError, match="duplicates"):
        MFFoldIn(**{**arrays, "movie_ids": np.zeros(N_MOVIES, int)})
