"""The interface every recommender offers, so that comparing them is one loop.

Learned from scikit-surprise: ``fit`` once, then the same calls on every model.

- ``fit(ratings)`` — the canonical ratings table (user_id, movie_id, rating, ...).
- ``predict(users, movies)`` — predicted stars for aligned id arrays (rating models).
- ``recommend(user, k)`` — top-k unseen movies for an existing user id or for a
  :data:`Profile` (a new user's ``{movie_id: stars}``), as a DataFrame with
  ``movie_id``, ``score`` and model-specific evidence columns.
- ``similar_movies(movie_id, k)`` — where the model has a notion of item similarity.

Models that cannot do one of these raise ``NotImplementedError`` with a sentence
saying why (e.g. popularity has no per-user rating prediction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.ranking import check_n, top_n

Profile = Mapping[int, float]  # a new user's ratings: {movie_id: stars}


class Recommender:
    name: str = "recommender"
    predicts_ratings: bool = True
    predicts_unknown: bool = True  # False: predict() needs ids seen in training

    R: RatingMatrix  # set by fit

    def fit(self, ratings: pd.DataFrame) -> Self:
        raise NotImplementedError

    def predict(self, users, movies) -> np.ndarray:
        raise NotImplementedError(f"{self.name} does not predict ratings")

    def scores(self, user: int | Profile) -> np.ndarray:
        """A score for every column of ``self.ratings_`` (higher = recommend first)."""
        raise NotImplementedError

    def recommend(
        self, user: int | Profile, k: int = 10, exclude_seen: bool = True
    ) -> pd.DataFrame:
        check_k(k, len(self.ratings_.movie_ids))
        s = np.asarray(self.scores(user), dtype=np.float64).copy()
        if exclude_seen:
            s[self.seen(user)] = -np.inf
        top = top_k(s, k)
        return pd.DataFrame({"movie_id": self.ratings_.movie_ids[top], "score": s[top]})

    def similar_movies(self, movie_id: int, k: int = 10) -> pd.DataFrame:
        raise NotImplementedError(f"{self.name} has no movie-to-movie similarity")

    def knows(self, users, movies) -> np.ndarray:
        """For aligned id arrays: True where both the user and the movie were in training."""
        users, movies = np.asarray(users).ravel(), np.asarray(movies).ravel()
        if users.shape != movies.shape:
            raise ValueError(f"{users.size} users but {movies.size} movies: pass aligned arrays")
        return np.isin(users, self.ratings_.user_ids) & np.isin(movies, self.ratings_.movie_ids)

    # helpers shared by the models ---------------------------------------------------

    def seen(self, user: int | Profile) -> np.ndarray:
        """Column positions the user has already rated."""
        if isinstance(user, Mapping):
            known = [m for m in user if m in set(self.ratings_.movie_ids.tolist())]
            return self.ratings_.movie_index(known) if known else np.array([], dtype=np.int64)
        row = self.ratings_.user_index(user)[0]
        m = self.ratings_.matrix
        return m.indices[m.indptr[row] : m.indptr[row + 1]]


check_k = check_n  # temporary aliases while the models move to the new base
top_k = top_n
