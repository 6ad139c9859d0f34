"""Most-popular baseline: recommend what the most people have rated.

It knows nothing about the user, so every personalised model should beat it; on
MovieLens it is a surprisingly hard bar (microsoft/recommenders reports about
P@10 0.23 on ML-100K), because people do watch popular movies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender, Target


class Popularity(Recommender):
    """Score = number of training ratings of the movie (the stars are ignored).

    Attributes:
        counts_: training ratings per movie, in column order.
    """

    name = "popularity"
    ranking_score = "number of ratings"

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.counts_ = self.ratings_.ratings_per_movie()

    def _score(self, target: Target) -> np.ndarray:
        return self.counts_.copy()

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts_, (len(rows), len(self.counts_))).copy()
