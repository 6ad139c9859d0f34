"""RP3beta (Paudel et al. 2017): a hand-worked walk, the top-k cut, scoring, ML-100K."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import ML100K

from zeerec.models.rp3beta import RP3beta, rp3beta_weights

# Users 1-3 and movies a, b, c: user 1 rated a and b, user 2 rated b and c, user 3 only b.
TINY = pd.DataFrame(
    {"user_id": [1, 1, 2, 2, 3], "movie_id": [10, 20, 20, 30, 20], "rating": [5, 1, 3, 4, 2]}
)


def test_hand_worked_walk():
    """Degrees: users 2, 2, 1; movies a 1, b 3, c 1.

    P_ui rows: u1 (½, ½, 0), u2 (0, ½, ½), u3 (0, 1, 0).
    P_iu rows: a → u1; b → u1, u2, u3 each ⅓; c → u2.
    P_iu·P_ui: a (½, ½, 0); b ⅓(u1 + u2 + u3) = (⅙, ⅔, ⅙); c (0, ½, ½).
    β = ½ divides column b by √3; the diagonal is zeroed.
    """
    model = RP3beta(alpha=1.0, beta=0.5, n_neighbours=10).fit(TINY)
    s3 = np.sqrt(3.0)
    expected = np.array([[0, 0.5 / s3, 0], [1 / 6, 0, 1 / 6], [0, 0.5 / s3, 0]])
    np.testing.assert_allclose(model.W_.toarray(), expected, atol=1e-12)
    # user 1 (a, b): row a + row b, and c is the one movie left to recommend
    np.testing.assert_allclose(model.scores(1), [1 / 6, 0.5 / s3, 1 / 6], atol=1e-12)
    assert model.recommend(1, n=1)["movie_id"].tolist() == [30]
    # the stars do not matter: a profile of the same movies scores like the user
    np.testing.assert_allclose(model.scores({10: 1.0, 20: 1.0, 99: 5.0}), model.scores(1))


def test_alpha_raises_each_transition_probability():
    """α = 2 squares P: P_ui u1 (¼, ¼, 0), u2 (0, ¼, ¼), u3 (0, 1, 0); P_iu b → each 1/9.

    Then a (¼, ¼, 0); b 1/9·(¼, 1½, ¼) = (1/36, ⅙, 1/36); c (0, ¼, ¼); β = 0, diagonal 0.
    """
    W = RP3beta(alpha=2.0, beta=0.0).fit(TINY).W_.toarray()
    np.testing.assert_allclose(W, [[0, 0.25, 0], [1 / 36, 0, 1 / 36], [0, 0.25, 0]], atol=1e-12)


def test_each_row_keeps_its_k_largest():
    X = sp.random(80, 30, density=0.2, random_state=4, format="csr")
    X.data[:] = 1.0
    full = rp3beta_weights(X, alpha=0.8, beta=0.3, n_neighbours=30).toarray()
    assert np.all(np.diag(full) == 0)
    cut = rp3beta_weights(X, alpha=0.8, beta=0.3, n_neighbours=5).toarray()
    for row_full, row_cut in zip(full, cut, strict=True):
        kept = np.flatnonzero(row_cut)
        assert len(kept) == min(5, np.count_nonzero(row_full))
        np.testing.assert_allclose(row_cut[kept], row_full[kept])
        assert row_full[kept].min() >= np.sort(row_full)[-5] - 1e-15


def test_beta_pulls_popular_movies_down():
    X = sp.random(200, 40, density=0.15, random_state=5, format="csr")
    X.data[:] = 1.0
    popularity = np.asarray(X.sum(axis=0)).ravel()
    mass = [rp3beta_weights(X, beta=b, n_neighbours=40).toarray().sum(axis=0) for b in (0, 1)]
    # share of the walk that ends on each movie: with β = 1 it no longer follows popularity
    share0, share1 = (m / m.sum() for m in mass)
    assert np.corrcoef(share0, popularity)[0, 1] > np.corrcoef(share1, popularity)[0, 1]


def test_bad_knobs_are_refused():
    X = sp.csr_matrix(np.eye(3))
    for kwargs in ({"alpha": 0}, {"beta": -1}, {"n_neighbours": 0}):
        with pytest.raises(ValueError):
            rp3beta_weights(X, **kwargs)


def test_on_ml100k_it_beats_popularity():
    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    from zeerec import data, evaluation, splits
    from zeerec.models.popularity import Popularity

    train, test = splits.stratified_split(data.load(ML100K).ratings, test_size=0.25, seed=42)
    ev = evaluation.evaluate({"RP3beta": RP3beta(), "popularity": Popularity()}, train, test, k=10)
    p = ev.ranking.set_index("model")["precision@10"]
    assert p["RP3beta"] > p["popularity"] + 0.05
