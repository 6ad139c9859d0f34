"""Implicit ALS (Hu, Koren & Volinsky 2008): the per-user solve, fold-in, seeds, ML-100K."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import ML100K

from zeerec.models.ials import ImplicitALS, confidence, solve_factors


def _random_confidences(seed: int = 0, shape=(30, 20)) -> sp.csr_matrix:
    C = sp.random(*shape, density=0.3, random_state=seed, format="csr")
    C.data = 1.0 + 4.0 * C.data  # confidences above 1 on the rated cells
    return C


def _dense_weighted_ridge(C: sp.csr_matrix, Y: np.ndarray, reg: float) -> np.ndarray:
    """argmin_x Σ_i c_i (p_i − x·y_i)² + λ‖x‖² over every item, from the dense C and p."""
    dense = C.toarray()
    out = []
    for c_row in dense:
        p = (c_row > 0).astype(float)
        c = np.where(c_row > 0, c_row, 1.0)  # unrated: confidence 1, preference 0
        A = Y.T @ (c[:, None] * Y) + reg * np.eye(Y.shape[1])
        out.append(np.linalg.solve(A, Y.T @ (c * p)))
    return np.array(out)


def _ratings(seed: int = 1, n_users: int = 40, n_movies: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (u, int(m), int(rng.integers(1, 6)))
        for u in range(1, n_users + 1)
        for m in rng.choice(n_movies, size=int(rng.integers(4, 12)), replace=False) + 1
    ]
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])


def test_per_user_solve_is_the_weighted_least_squares():
    C = _random_confidences()
    Y = np.random.default_rng(2).normal(size=(20, 5))
    expected = _dense_weighted_ridge(C, Y, reg=0.5)
    np.testing.assert_allclose(solve_factors(C, Y, 0.5, cg_steps=0), expected, atol=1e-10)
    # conjugate gradient reaches the same answer in f steps, from anywhere (to float32's
    # precision: its products at the rated cells are float32, see ials._at_rated)
    start = np.random.default_rng(3).normal(size=(30, 5))
    np.testing.assert_allclose(solve_factors(C, Y, 0.5, start, cg_steps=5), expected, atol=2e-6)
    # and a few steps from a warm start get close (what each ALS iteration does)
    warm = expected + 0.01 * start
    few = solve_factors(C, Y, 0.5, warm, cg_steps=3)
    assert np.abs(few - expected).max() < 0.25 * np.abs(warm - expected).max()


def test_confidence_from_stars_or_binary():
    np.testing.assert_allclose(confidence([1, 5], 2.0, "stars"), [3.0, 11.0])
    np.testing.assert_allclose(confidence([1, 5], 2.0, "binary"), [3.0, 3.0])
    with pytest.raises(ValueError, match="confidence must be one of"):
        ImplicitALS(confidence="log")


def test_fold_in_of_a_training_users_profile_is_its_fitted_vector():
    ratings = _ratings()
    model = ImplicitALS(
        factors=6, reg=1.0, alpha=2.0, iterations=100, confidence="stars", cg_steps=0, seed=0
    )
    model.fit(ratings)
    # one more exact user step against the final movie vectors: what fold-in must equal
    m = model.ratings_.matrix
    C = sp.csr_matrix((confidence(m.data, 2.0), m.indices, m.indptr), shape=m.shape)
    again = solve_factors(C, model.item_factors_, 1.0, cg_steps=0)
    for user in (1, 7, 33):
        mine = ratings[ratings["user_id"] == user]
        cols = model.ratings_.movie_index(mine["movie_id"].to_numpy())
        folded = model.fold_in(cols, mine["rating"].to_numpy(dtype=float))
        row = model.ratings_.user_index(user)[0]
        np.testing.assert_allclose(folded, again[row], atol=1e-10)
        # the fitted vector was solved against the previous iteration's movie vectors,
        # which after convergence are the final ones
        np.testing.assert_allclose(folded, model.user_factors_[row], atol=1e-4)
        profile = dict(zip(mine["movie_id"], mine["rating"], strict=True))
        np.testing.assert_allclose(model.scores(profile), model.item_factors_ @ folded)
        np.testing.assert_allclose(model.scores(profile), model.scores(user), atol=1e-4)


def test_same_seed_same_factors_other_seed_other_factors():
    ratings = _ratings()
    a = ImplicitALS(factors=4, iterations=3, seed=5).fit(ratings)
    b = ImplicitALS(factors=4, iterations=3, seed=5).fit(ratings)
    c = ImplicitALS(factors=4, iterations=3, seed=6).fit(ratings)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    assert not np.allclose(a.item_factors_, c.item_factors_)


def test_scores_are_the_dot_products_and_similar_movies_the_cosine():
    model = ImplicitALS(factors=4, iterations=5, seed=0).fit(_ratings())
    row = model.ratings_.user_index(3)[0]
    np.testing.assert_allclose(
        model.scores(3), model.item_factors_ @ model.user_factors_[row], atol=1e-12
    )
    Y = model.item_factors_
    cos = Y @ Y[0] / (np.linalg.norm(Y, axis=1) * np.linalg.norm(Y[0]))
    cos[0] = -np.inf
    sim = model.similar_movies(int(model.ratings_.movie_ids[0]), n=3)
    assert sim["movie_id"].tolist() == model.ratings_.movie_ids[np.argsort(-cos)[:3]].tolist()
    np.testing.assert_allclose(sim["similarity"], np.sort(cos)[::-1][:3])


def test_on_ml100k_it_beats_popularity():
    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    from zeerec import data, evaluation, splits
    from zeerec.models.popularity import Popularity

    train, test = splits.stratified_split(data.load(ML100K).ratings, test_size=0.25, seed=42)
    # 64 factors scored as well as the default 128 on validation, at half the cost
    models = {"iALS": ImplicitALS(factors=64), "popularity": Popularity()}
    ev = evaluation.evaluate(models, train, test, k=10)
    p = ev.ranking.set_index("model")["precision@10"]
    assert p["iALS"] > p["popularity"] + 0.05


def test_a_matrix_without_rows_solves_to_nothing():
    C = sp.csr_matrix((0, 4))
    Y = np.random.default_rng(0).normal(size=(4, 3))
    assert solve_factors(C, Y, 1.0, np.zeros((0, 3)), cg_steps=3).shape == (0, 3)
