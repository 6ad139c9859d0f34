"""Most-popular baseline: recommend what the most people have rated.

It knows nothing about the user, so every personalised model should beat it; on
MovieLens it is a surprisingly hard bar (microsoft/recommenders reports about
P@10 0.23 on ML-100K), because people do watch popular movies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Profile, Recommender


class Popularity(Recommender):
    """Score = number of training ratings of the movie (the stars are ignored)."""

    name = "popularity"
    predicts_ratings = False

    def fit(self, ratings: pd.DataFrame) -> Self:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.counts_ = np.asarray(self.ratings_.binary().sum(axis=0), dtype=np.float64).ravel()
        return self

    def scores(self, user: int | Profile) -> np.ndarray:
        if not isinstance(user, Mapping):
            self.ratings_.user_index(user)  # an unknown user id is an error, as for other models
        return self.counts_.copy()

    def scores_many(self, users: Sequence[int] | np.ndarray) -> np.ndarray:
        """Scores for many known users at once (users × movies), for the evaluation."""
        rows = self.ratings_.user_index(users)
        return np.broadcast_to(self.counts_, (len(rows), len(self.counts_))).copy()

    def similar_movies(self, movie_id: int, k: int = 10) -> pd.DataFrame:
        raise NotImplementedError(
            "popularity has no movie-to-movie similarity: it ranks every movie the same "
            "way for everyone"
        )
