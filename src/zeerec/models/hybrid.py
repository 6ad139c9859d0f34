"""Hybrid: user-based CF where neighbours vouch for a movie, content-based everywhere.

A weighted hybrid of :class:`UserKNN` and :class:`ContentBased`, per movie *j*::

    cf_j      = (pred_j - user_mean) * n_j / (n_j + shrink)
    score_j   = cf_weight * cf_j / sd(cf) + (1 - cf_weight) * cosine_j / sd(cosine)

- ``cf_j`` is how many stars above the user's mean the neighbours predict, shrunk
  towards 0 ("no opinion") when few of them rated *j* (``n_j`` of them); a movie no
  neighbour rated gets exactly 0, so it can rank only on its content.
- Both parts are divided by their spread over the catalogue, so neither dominates
  because of its units (stars vs. a cosine); 0 keeps its meaning on both sides.
- **Fallback**: when the user has fewer than ``min_neighbours`` neighbours at all (too
  little overlap with anyone — e.g. a new user who rated only obscure movies), CF is
  left out and the ranking is the content-based one; ``.attrs["mode"]`` says which
  case applied.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from zeerec.models.base import Profile, Recommender, check_k
from zeerec.models.content import ContentBased
from zeerec.models.userknn import UserKNN


class Hybrid(Recommender):
    """Confidence-weighted blend of :class:`UserKNN` and :class:`ContentBased`."""

    name = "hybrid"
    predicts_ratings = False

    def __init__(
        self,
        cf: UserKNN,
        content: ContentBased,
        cf_weight: float = 0.5,
        shrink: float = 5.0,
        min_neighbours: int = 5,
    ):
        if not 0 <= cf_weight <= 1:
            raise ValueError(f"cf_weight must be between 0 and 1, got {cf_weight!r}")
        if not shrink > 0:
            raise ValueError(f"shrink must be > 0, got {shrink!r}")
        if not isinstance(min_neighbours, int | np.integer) or min_neighbours < 1:
            raise ValueError(f"min_neighbours must be a whole number >= 1, got {min_neighbours!r}")
        self.cf, self.content = cf, content
        self.cf_weight, self.shrink, self.min_neighbours = cf_weight, shrink, int(min_neighbours)

    def fit(self, ratings: pd.DataFrame) -> Self:
        self.cf.fit(ratings)
        self.content.fit(ratings)
        return self._attach()

    @classmethod
    def from_fitted(cls, cf: UserKNN, content: ContentBased, **kwargs) -> Hybrid:
        """Blend two models already fitted on the same ratings (no refitting)."""
        return cls(cf, content, **kwargs)._attach()

    def _attach(self) -> Self:
        self.ratings_ = self.content.ratings_  # the whole catalogue: content can score every movie
        self._cf_cols = self.ratings_.movie_index(self.cf.ratings_.movie_ids)
        return self

    def explain(self, user: int | Profile) -> pd.DataFrame:
        """Per catalogue movie: both inputs, their weighted parts and the blended score."""
        e = self.cf.explain(user)
        n_cols = len(self.ratings_.movie_ids)
        n = np.zeros(n_cols, np.int64)
        n[self._cf_cols] = e.n_neighbours
        pred = np.full(n_cols, np.nan)
        pred[self._cf_cols] = np.where(e.n_neighbours > 0, e.prediction, np.nan)
        mean = self.cf.target(user).mean
        cf = np.where(n > 0, (np.nan_to_num(pred, nan=mean) - mean) * n / (n + self.shrink), 0.0)
        cosine = self.content.scores(user)
        fallback = len(e.neighbours) < self.min_neighbours
        cf_part = np.zeros(n_cols) if fallback else self.cf_weight * _scaled(cf)
        content_part = (1.0 if fallback else 1 - self.cf_weight) * _scaled(cosine)
        frame = pd.DataFrame(
            {
                "movie_id": self.ratings_.movie_ids,
                "score": cf_part + content_part,
                "cf_part": cf_part,
                "content_part": content_part,
                "cf_predicted": np.clip(pred, 1.0, 5.0),
                "n_neighbours": n,
                "content_cosine": cosine,
            }
        )
        frame.attrs["n_neighbours_used"] = len(e.neighbours)
        frame.attrs["mode"] = (
            f"content only: {len(e.neighbours)} neighbour(s) < min_neighbours={self.min_neighbours}"
            if fallback
            else "blend"
        )
        return frame

    def scores(self, user: int | Profile) -> np.ndarray:
        return self.explain(user)["score"].to_numpy()

    def recommend(
        self, user: int | Profile, k: int = 10, exclude_seen: bool = True
    ) -> pd.DataFrame:
        """Top-k by blended score (ties by weighted rating), with both sides' evidence."""
        check_k(k, len(self.ratings_.movie_ids))
        frame = self.explain(user)
        key = np.round(frame["score"].to_numpy(), 12)
        if exclude_seen:
            key[self.seen(user)] = -np.inf
        order = np.lexsort((np.arange(len(key)), -self.content.tie_break, -key))
        top = order[np.isfinite(key[order])][:k]
        out = frame.iloc[top].reset_index(drop=True)
        out.attrs = dict(frame.attrs)
        return out


def _scaled(values: np.ndarray) -> np.ndarray:
    """Divide by the spread (standard deviation) over the catalogue; all-equal gives zeros."""
    sd = float(np.std(values))
    return values / sd if sd > 1e-12 else np.zeros_like(values)
