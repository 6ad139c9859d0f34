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

from collections.abc import Mapping
from typing import Self

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix, locate
from zeerec.models.base import Profile, Recommender


def _aligned(users, movies) -> tuple[np.ndarray, np.ndarray]:
    users, movies = np.asarray(users).ravel(), np.asarray(movies).ravel()
    if users.shape != movies.shape:
        raise ValueError(f"{users.size} users but {movies.size} movies: pass aligned arrays")
    return users, movies


class GlobalMean(Recommender):
    """Every rating is predicted as the mean of the training ratings."""

    name = "global mean"

    def fit(self, ratings: pd.DataFrame) -> Self:
        if len(ratings) == 0:
            raise ValueError("no ratings to fit")
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.global_mean = float(ratings["rating"].mean())
        return self

    def predict(self, users, movies) -> np.ndarray:
        users, _ = _aligned(users, movies)
        return np.full(len(users), self.global_mean)

    def scores(self, user: int | Profile) -> np.ndarray:
        raise NotImplementedError(
            "the global mean gives every movie the same score: there is nothing to rank"
        )


class BiasBaseline(Recommender):
    """Regularised user + movie biases (Surprise's BaselineOnly with ALS)."""

    name = "bias baseline"

    def __init__(self, reg_user: float = 15.0, reg_movie: float = 10.0, n_epochs: int = 10):
        if reg_user < 0 or reg_movie < 0:
            raise ValueError("reg_user and reg_movie must be >= 0")
        if n_epochs < 1:
            raise ValueError(f"n_epochs must be at least 1, got {n_epochs}")
        self.reg_user, self.reg_movie, self.n_epochs = float(reg_user), float(reg_movie), n_epochs

    def fit(self, ratings: pd.DataFrame) -> Self:
        if len(ratings) == 0:
            raise ValueError("no ratings to fit")
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        m = self.ratings_.matrix.tocoo()
        rows, cols, r = m.row, m.col, m.data
        n_users, n_movies = self.ratings_.shape
        self.global_mean = float(r.mean())
        n_u = np.bincount(rows, minlength=n_users)
        n_i = np.bincount(cols, minlength=n_movies)
        bu, bi = np.zeros(n_users), np.zeros(n_movies)
        dev = r - self.global_mean
        for _ in range(self.n_epochs):
            bi = np.bincount(cols, dev - bu[rows], n_movies) / (self.reg_movie + n_i)
            bu = np.bincount(rows, dev - bi[cols], n_users) / (self.reg_user + n_u)
        self.user_bias, self.movie_bias = bu, bi
        return self

    def user_bias_for(self, profile: Profile) -> float:
        """A new user's bias from their ratings, with the movie biases held fixed."""
        ids = np.fromiter(profile.keys(), dtype=np.int64, count=len(profile))
        stars = np.fromiter(profile.values(), dtype=np.float64, count=len(profile))
        pos, ok = locate(self.ratings_.movie_ids, ids)
        dev = stars[ok] - self.global_mean - self.movie_bias[pos[ok]]
        return float(dev.sum() / (self.reg_user + ok.sum()))

    def predict(self, users, movies) -> np.ndarray:
        """``mu + b_u + b_i``, clipped to 1-5; unknown ids contribute no bias."""
        users, movies = _aligned(users, movies)
        upos, uok = locate(self.ratings_.user_ids, users)
        mpos, mok = locate(self.ratings_.movie_ids, movies)
        est = self.global_mean + np.where(uok, self.user_bias[upos], 0.0)
        est = est + np.where(mok, self.movie_bias[mpos], 0.0)
        return np.clip(est, 1.0, 5.0)

    def scores(self, user: int | Profile) -> np.ndarray:
        """Predicted stars for every movie: the user's bias shifts all, so movie bias ranks."""
        if isinstance(user, Mapping):
            return self.global_mean + self.user_bias_for(user) + self.movie_bias
        return self.scores_many([user])[0]

    def scores_many(self, users) -> np.ndarray:
        """Scores of many known users at once (users × movies); :meth:`scores` is one row."""
        bu = self.user_bias[self.ratings_.user_index(users)]
        return self.global_mean + bu[:, None] + self.movie_bias[None, :]
