"""The one sparse user × movie rating matrix, with explicit id ↔ row/column maps.

Every similarity and model builds on :class:`RatingMatrix`; none builds its own
pivot. Rows are users, columns are movies, stored values are the ratings (a stored
zero never occurs because ratings are 1..5, so "not rated" is "not stored").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class RatingMatrix:
    matrix: sp.csr_matrix  # users × movies, float64 ratings
    user_ids: np.ndarray  # row i is user user_ids[i]
    movie_ids: np.ndarray  # column j is movie movie_ids[j]

    @classmethod
    def from_ratings(
        cls,
        ratings: pd.DataFrame,
        user_ids: np.ndarray | None = None,
        movie_ids: np.ndarray | None = None,
    ) -> RatingMatrix:
        """Build from the canonical ratings table; ids default to those that have ratings.

        Pass ``movie_ids`` (e.g. the whole catalogue) to keep columns for unrated movies.
        """
        users = np.unique(ratings["user_id"] if user_ids is None else user_ids)
        movies = np.unique(ratings["movie_id"] if movie_ids is None else movie_ids)
        rows = _positions(users, ratings["user_id"].to_numpy(), "user")
        cols = _positions(movies, ratings["movie_id"].to_numpy(), "movie")
        m = sp.csr_matrix(
            (ratings["rating"].to_numpy(dtype=np.float64), (rows, cols)),
            shape=(len(users), len(movies)),
        )
        m.sum_duplicates()
        return cls(m, users.astype(np.int64), movies.astype(np.int64))

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def density(self) -> float:
        n_users, n_movies = self.shape
        return self.matrix.nnz / max(1, n_users * n_movies)

    def movie_index(self, movie_ids) -> np.ndarray:
        """Column positions of ``movie_ids``; an unknown id is a KeyError naming it."""
        return _positions(self.movie_ids, np.atleast_1d(movie_ids), "movie")

    def user_index(self, user_ids) -> np.ndarray:
        return _positions(self.user_ids, np.atleast_1d(user_ids), "user")

    def ratings_per_movie(self) -> np.ndarray:
        """How many users rated each movie (column order), as float64."""
        return np.bincount(self.matrix.indices, minlength=self.shape[1]).astype(np.float64)

    def binary(self) -> sp.csr_matrix:
        """1 where a rating exists: who rated what, ignoring the stars."""
        b = self.matrix.copy()
        b.data = np.ones_like(b.data)
        return b

    def to_frame(self) -> pd.DataFrame:
        """Dense zero-filled pivot (users × movies) — the seed's ``mat``, small data only."""
        return pd.DataFrame(
            self.matrix.toarray(),
            index=pd.Index(self.user_ids, name="user_id"),
            columns=pd.Index(self.movie_ids, name="movie_id"),
        )


def locate(known: np.ndarray, ids) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``ids`` in the sorted array ``known``, and a mask of which are there.

    Both have the shape of ``ids``. Unknown ids get position 0 (use the mask); this is
    the lookup behind every "predict for any ids, fall back for the unknown ones" in
    the models.
    """
    ids = np.asarray(ids)
    if len(known) == 0:
        return np.zeros(ids.shape, dtype=np.int64), np.zeros(ids.shape, dtype=bool)
    pos = np.searchsorted(known, ids)
    clipped = np.minimum(pos, len(known) - 1)
    ok = (pos < len(known)) & (known[clipped] == ids)
    return np.where(ok, clipped, 0), ok


def _positions(known: np.ndarray, ids: np.ndarray, what: str) -> np.ndarray:
    """Map ids to positions in the sorted array ``known``; unknown ids raise KeyError."""
    pos, ok = locate(known, ids)
    if not np.all(ok):
        missing = np.asarray(ids)[~ok][:5].tolist()
        raise KeyError(f"unknown {what} id(s) {missing}: not in the rating matrix")
    return pos
