"""RP3beta: a three-step random walk with a popularity penalty (Paudel et al. 2017).

"Updatable, Accurate, Diverse, and Scalable Recommendations for Interactive Applications"
ranks movies by the probability that a random walk user → movie → user → movie on the
who-rated-what graph ends there, and divides by the end movie's popularity to the
power β. As in Dacrema et al.'s reference implementation ("Are We Really Making Much
Progress?", 2019), it is an item-item model:

    P_ui = x_ui / deg_u     (users → movies, rows sum to 1),
    P_iu = x_ui / deg_i     (movies → users, rows sum to 1),
    W_ij = Σ_u P_iu^α · P_uj^α  /  deg_j^β,    W_ii = 0,

where x is the binary user × movie matrix (the stars are ignored), deg_i the movie's
number of ratings, and each row of W keeps only its ``n_neighbours`` largest entries.
α = 1, β = 0 is the plain walk P³ (Cooper et al.'s P³α with α = 1); α sharpens or
flattens the transition probabilities, β > 0 pulls the popular movies down.

A user's scores are x_u·W: the walk from each movie they rated, summed (the first
step's 1/deg_u^α is the same for every candidate, so it is left out). A new user's
profile scores the same way from its movies. Similar movies are a row of W.

Cost: one sparse product per block of movies (dense blocks of ≤ ~4M cells), then
n_neighbours × movies weights kept (sparse). The defaults (α = 0.75, β = 0.6, 400
neighbours) were chosen on a validation carving of ML-100K's seed-42 training split
(``benchmarks/bench_implicit.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender, Target
from zeerec.ranking import top_n

_BLOCK_CELLS = 1 << 22  # movies × movies cells per dense block while building W


def _row_stochastic(X: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """Rows divided by their sums (empty rows stay empty), then raised to the power α."""
    sums = np.asarray(X.sum(axis=1)).ravel()
    P = sp.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)) @ X
    P = P.tocsr()
    if alpha != 1.0:
        P.data **= alpha
    return P


def _top_per_row(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions and values of each row's k largest positive entries (unsorted)."""
    if k >= block.shape[1]:
        cols = np.broadcast_to(np.arange(block.shape[1]), block.shape)
    else:
        cols = np.argpartition(-block, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(block, cols, axis=1)
    return cols, vals


def rp3beta_weights(
    X: sp.csr_matrix, alpha: float = 1.0, beta: float = 0.5, n_neighbours: int = 200
) -> sp.csr_matrix:
    """W of the module docstring (movies × movies, sparse) for a binary users × movies X."""
    if alpha <= 0 or beta < 0 or not np.isfinite(alpha + beta):
        raise ValueError(f"need alpha > 0 and beta >= 0, got alpha={alpha!r}, beta={beta!r}")
    if int(n_neighbours) < 1:
        raise ValueError(f"n_neighbours must be at least 1, got {n_neighbours!r}")
    n_items = X.shape[1]
    P_ui = _row_stochastic(X, alpha)
    P_iu = _row_stochastic(X.T.tocsr(), alpha)
    degree = np.asarray(X.sum(axis=0)).ravel()
    penalty = np.power(degree, -beta, out=np.zeros_like(degree), where=degree > 0)
    step = max(1, _BLOCK_CELLS // max(1, n_items))
    rows, cols, vals = [], [], []
    for start in range(0, n_items, step):
        stop = min(start + step, n_items)
        block = (P_iu[start:stop] @ P_ui).toarray() * penalty[np.newaxis, :]
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        c, v = _top_per_row(block, int(n_neighbours))
        keep = v > 0
        rows.append(np.nonzero(keep)[0] + start)
        cols.append(c[keep])
        vals.append(v[keep])
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_items, n_items))


class RP3beta(Recommender):
    """Paudel et al.'s RP3beta item-item walk, as Dacrema et al. implement it.

    Args:
        alpha: the exponent on every transition probability (1: the plain walk).
        beta: the popularity penalty: W's column j is divided by deg_j^β.
        n_neighbours: entries kept per row of W (the k most likely end movies).

    Attributes:
        X_: the binary users × movies matrix (sparse); W_: movies × movies (sparse).
    """

    name = "RP3beta"
    ranking_score = "summed random-walk similarity to the user's movies"
    has_similar_movies = True

    def __init__(self, alpha: float = 0.75, beta: float = 0.6, n_neighbours: int = 400):
        self.alpha, self.beta, self.n_neighbours = float(alpha), float(beta), int(n_neighbours)

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.X_ = self.ratings_.binary().tocsr()
        self.W_ = rp3beta_weights(self.X_, self.alpha, self.beta, self.n_neighbours)

    def _score(self, target: Target) -> np.ndarray:
        if target.row is not None:
            return self._score_rows(np.array([target.row]))[0]
        x = np.zeros(len(self.ratings_.movie_ids))
        x[target.cols] = 1.0
        return np.asarray(self.W_.T @ x).ravel()

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return (self.X_[rows] @ self.W_).toarray()

    def _similar(self, col: int, n: int) -> pd.DataFrame:
        """Where the walk from this movie most likely ends (its row of W)."""
        w = self.W_[col].toarray().ravel()
        w[w <= 0] = -np.inf
        top = top_n(w, n)
        return pd.DataFrame({"movie_id": self.ratings_.movie_ids[top], "weight": w[top]})
