"""The two baselines every rating model must beat: the global mean and user + movie biases.

``BiasBaseline`` is scikit-surprise's ``BaselineOnly`` (ALS variant): it predicts

    r_ui = mu + b_u + b_i

and fits the biases by a few rounds of closed-form updates, movies first::

    b_i = sum_u (r_ui - mu - b_u) / (reg_movie + n_i)
    b_u = sum_i (r_ui - mu - b_i) / (reg_user + n_u)

The ``reg`` terms shrink the bias of a movie (user) with few ratings towards zero: a
movie rated once at 5 stars is not assumed to be a masterpiece. With Surprise's
defaults (10 rounds, reg 10 for movies and 15 for users) the two give the same numbers.

Unknown ids at predict time fall back to what is known: an unknown user gets
``mu + b_i``, an unknown movie ``mu + b_u``, both unknown ``mu``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Pairs, Recommender, Target


class GlobalMean(Recommender):
    """Every rating is predicted as the mean of the training ratings.

    Attributes:
        global_mean_: the mean of the training stars.
    """

    name = "global mean"
    predicts_ratings = True
    ranks = False
    not_ranking_reason = (
        "the global mean gives every movie the same score: there is nothing to rank"
    )

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.global_mean_ = float(ratings["rating"].mean())

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        return np.full(len(pairs.users), self.global_mean_)


class BiasBaseline(Recommender):
    """Regularised user + movie biases (Surprise's BaselineOnly with ALS).

    Args:
        reg_user: shrinkage of a user's bias towards 0, in phantom ratings (Surprise: 15).
        reg_movie: the same for a movie's bias (Surprise: 10).
        n_epochs: rounds of the alternating closed-form updates (Surprise: 10).

    Attributes:
        global_mean_, user_bias_, movie_bias_: ``mu``, ``b_u`` and ``b_i`` in row and
            column order of ``ratings_``.
    """

    name = "bias baseline"
    predicts_ratings = True

    def __init__(self, reg_user: float = 15.0, reg_movie: float = 10.0, n_epochs: int = 10):
        if reg_user < 0 or reg_movie < 0:
            raise ValueError("reg_user and reg_movie must be >= 0")
        if n_epochs < 1:
            raise ValueError(f"n_epochs must be at least 1, got {n_epochs}")
        self.reg_user, self.reg_movie, self.n_epochs = float(reg_user), float(reg_movie), n_epochs

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        m = self.ratings_.matrix.tocoo()
        rows, cols, r = m.row, m.col, m.data
        n_users, n_movies = self.ratings_.shape
        self.global_mean_ = float(r.mean())
        n_u = np.bincount(rows, minlength=n_users)
        n_i = np.bincount(cols, minlength=n_movies)
        bu, bi = np.zeros(n_users), np.zeros(n_movies)
        dev = r - self.global_mean_
        for _ in range(self.n_epochs):
            bi = np.bincount(cols, dev - bu[rows], n_movies) / (self.reg_movie + n_i)
            bu = np.bincount(rows, dev - bi[cols], n_users) / (self.reg_user + n_u)
        self.user_bias_, self.movie_bias_ = bu, bi

    def user_bias_for(self, target: Target) -> float:
        """A user's bias from their ratings, with the movie biases held fixed (new users)."""
        dev = target.stars - self.global_mean_ - self.movie_bias_[target.cols]
        return float(dev.sum() / (self.reg_user + len(target.cols)))

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        """``mu + b_u + b_i``; an unknown id contributes no bias."""
        est = self.global_mean_ + np.where(pairs.user_known, self.user_bias_[pairs.user_pos], 0.0)
        return est + np.where(pairs.movie_known, self.movie_bias_[pairs.movie_pos], 0.0)

    def _score(self, target: Target) -> np.ndarray:
        """Predicted stars for every movie: the user's bias shifts all, so movie bias ranks."""
        if target.row is None:
            return self.global_mean_ + self.user_bias_for(target) + self.movie_bias_
        return self._score_rows(np.array([target.row]))[0]

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        bu = self.user_bias_[rows]
        return self.global_mean_ + bu[:, None] + self.movie_bias_[None, :]
