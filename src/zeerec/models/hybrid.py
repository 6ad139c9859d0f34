"""Hybrid: user-based CF where neighbours vouch for a movie, content-based everywhere,
popularity where asked.

A weighted hybrid of :class:`UserKNN`, :class:`ContentBased` and popularity, per movie *j*::

    cf_j      = vote_j                                    (user-kNN rank_by="vote")
              = (pred_j - user_mean) * n_j / (n_j + shrink)   (rank_by="resnick")
    score_j   = cf_weight * cf_j / sd(cf) + (1 - cf_weight) * cosine_j / sd(cosine)
                + popularity_weight * log(1 + count_j) / sd(log(1 + count))

- ``cf_j`` is the user-kNN's own ranking score: the neighbours' weighted vote for *j*
  (its default), or how many stars above the user's mean the neighbours predict,
  shrunk towards 0 ("no opinion") when few of them rated *j* (``n_j`` of them). A
  movie no neighbour rated gets exactly 0, so it can rank only on its content.
- Every part is divided by its spread over the catalogue, so none dominates because of
  its units (stars, a cosine, a count); 0 keeps its meaning on each side.
- ``count_j`` is the movie's number of training ratings (what the popularity model ranks
  by), on a log scale so that the few most-rated movies do not swamp the rest. With
  ``popularity_weight`` 0 (the default) it plays no part. It was searched on the
  new-user protocol's validation users (``benchmarks/tune_newuser.py``, BENCHMARKS.md
  "Knobs for new users"): ML-100K kept 0 and the ML-1M slice chose 0.5, so no value is
  written into the registry; a caller may still set one.
- **Fallback**: when the user has fewer than ``min_neighbours`` neighbours at all (too
  little overlap with anyone — e.g. a new user who rated only obscure movies), CF is
  left out and the ranking is the content-based one (plus the popularity part, if
  weighted); ``.attrs["mode"]`` says which case applied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zeerec.models.base import Profile, Recommender, Target
from zeerec.models.content import ContentBased
from zeerec.models.userknn import UserKNN


class Hybrid(Recommender):
    """Confidence-weighted blend of :class:`UserKNN` and :class:`ContentBased` (and,
    weighted, the movies' popularity).

    Args:
        cf, content: the two models (fitted together by :meth:`fit`, or already fitted
            on the same ratings: :meth:`from_fitted`).
        cf_weight: share of the CF part in the blend (0..1).
        shrink: with a Resnick user-kNN, the neighbours at which CF's opinion of a movie
            counts half (unused with the vote rule, whose sum already grows with support).
        min_neighbours: below this many neighbours, the CF part is left out.
        popularity_weight: weight (>= 0) of the movie's log number of training ratings,
            added to the blend; 0 leaves popularity out.
    """

    name = "hybrid"
    ranks_by_score = False  # ties go to the better-rated movie, as in content-based
    predicts_ratings = False

    @property
    def ranking_score(self) -> str:  # type: ignore[override]
        extra = " and log popularity" if self.popularity_weight else ""
        return f"user-kNN and content scores{extra}, blended"

    def __init__(
        self,
        cf: UserKNN,
        content: ContentBased,
        cf_weight: float = 0.5,
        shrink: float = 5.0,
        min_neighbours: int = 5,
        popularity_weight: float = 0.0,
    ):
        if not 0 <= cf_weight <= 1:
            raise ValueError(f"cf_weight must be between 0 and 1, got {cf_weight!r}")
        if not shrink > 0:
            raise ValueError(f"shrink must be > 0, got {shrink!r}")
        if not isinstance(min_neighbours, int | np.integer) or min_neighbours < 1:
            raise ValueError(f"min_neighbours must be a whole number >= 1, got {min_neighbours!r}")
        if not (np.isfinite(popularity_weight) and popularity_weight >= 0):
            raise ValueError(f"popularity_weight must be >= 0, got {popularity_weight!r}")
        self.cf, self.content = cf, content
        self.cf_weight, self.shrink, self.min_neighbours = cf_weight, shrink, int(min_neighbours)
        self.popularity_weight = float(popularity_weight)

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.cf.fit(ratings)
        self.content.fit(ratings)
        self._attach()

    @classmethod
    def from_fitted(cls, cf: UserKNN, content: ContentBased, **kwargs) -> Hybrid:
        """Blend two models already fitted on the same ratings (no refitting)."""
        model = cls(cf, content, **kwargs)
        model._attach()
        return model

    def _attach(self) -> None:
        self.ratings_ = self.content.ratings_  # the whole catalogue: content scores every movie
        self._cf_cols = self.ratings_.movie_index(self.cf.ratings_.movie_ids)
        self._popularity = _scaled(np.log1p(self.ratings_.ratings_per_movie()))

    def explain(self, user: int | Profile) -> pd.DataFrame:
        """Per catalogue movie: the inputs, their weighted parts and the blended score."""
        return self._explain(self.target(user))

    def _explain(self, target: Target) -> pd.DataFrame:
        user = target.user
        cf_target = self.cf.target(user)
        e = self.cf._explain(cf_target)
        n_cols = len(self.ratings_.movie_ids)
        n = np.zeros(n_cols, np.int64)
        n[self._cf_cols] = e.n_neighbours
        pred = np.full(n_cols, np.nan)
        pred[self._cf_cols] = np.where(e.n_neighbours > 0, e.prediction, np.nan)
        mean = self.cf.mean_of(cf_target)
        if self.cf.rank_by == "vote":
            cf = np.zeros(n_cols)
            cf[self._cf_cols] = np.where(e.n_neighbours > 0, np.nan_to_num(e.vote), 0.0)
        else:
            shrunk = (np.nan_to_num(pred, nan=mean) - mean) * n / (n + self.shrink)
            cf = np.where(n > 0, shrunk, 0.0)
        cosine = self.content._score(target)  # same catalogue, so the same target
        fallback = len(e.neighbours) < self.min_neighbours
        cf_part = np.zeros(n_cols) if fallback else self.cf_weight * _scaled(cf)
        content_part = (1.0 if fallback else 1 - self.cf_weight) * _scaled(cosine)
        popularity_part = self.popularity_weight * self._popularity
        frame = pd.DataFrame(
            {
                "movie_id": self.ratings_.movie_ids,
                "score": cf_part + content_part + popularity_part,
                "cf_part": cf_part,
                "content_part": content_part,
                "popularity_part": popularity_part,
                "cf_predicted": self.clip_stars(pred),
                "n_neighbours": n,
                "content_cosine": cosine,
            }
        )
        frame.attrs["n_neighbours_used"] = len(e.neighbours)
        frame.attrs["mode"] = (
            f"content{' and popularity' if self.popularity_weight else ''} only: "
            f"{len(e.neighbours)} neighbour(s) < min_neighbours={self.min_neighbours}"
            if fallback
            else "blend"
        )
        return frame

    # ------------------------------------------------------------------ the hooks

    def _score(self, target: Target) -> np.ndarray:
        frame = self._explain(target)
        self._explained = (target, frame)  # recommend's evidence reuses it
        return frame["score"].to_numpy()

    def _rank_key(self, scores: np.ndarray) -> np.ndarray:
        return np.round(scores, 12)

    def _tie_break(self) -> np.ndarray:
        return self.content._tie_break()

    def _evidence(
        self, target: Target, top: np.ndarray, scores: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both sides' evidence: the parts, CF's prediction and support, the cosine."""
        cached = getattr(self, "_explained", None)
        frame = cached[1] if cached is not None and cached[0] is target else self._explain(target)
        rows = frame.iloc[top]
        columns = {c: rows[c].to_numpy() for c in frame.columns if c not in ("movie_id", "score")}
        return columns, dict(frame.attrs)


def _scaled(values: np.ndarray) -> np.ndarray:
    """Divide by the spread (standard deviation) over the catalogue; all-equal gives zeros."""
    sd = float(np.std(values))
    return values / sd if sd > 1e-12 else np.zeros_like(values)
