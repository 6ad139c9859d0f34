"""EASE: the closed-form item-item model of Steck (2019), a strong top-N recommender.

"Embarrassingly Shallow Autoencoders for Sparse Data" learns one item × item weight
matrix B that reconstructs each user's binary row from the user's other movies:

    minimise ‖X − X·B‖² + λ‖B‖²   subject to diag(B) = 0

with the closed-form solution

    P = (XᵀX + λI)⁻¹,    B = I − P · diag(1 / diag(P))   (so B_ij = −P_ij / P_jj, B_jj = 0).

X is the binary user × movie matrix (who rated what; the stars are ignored, which is
what the top-N task asks: will the user watch it?). A user's scores are x_u · B. The
zero diagonal stops the trivial "recommend what you have seen" solution; the negative
weights B may hold (unlike kNN similarities) let one movie argue *against* another.

Cost: one dense items × items inverse — 1,682² on ML-100K (< 1 s), ~3,700² on
ML-1M (a few seconds) — and no iterations, no learning rate, one knob: λ, tuned on a
validation split carved from the training data (a few hundred on ML-100K). The inverse
grows with the cube of the catalogue (ML-25M's 59,000 rated movies would need a 28 GB
matrix), so above ``max_movies`` EASE learns on the most-rated movies only and never
recommends the others; ``left_out_`` says how many movies and ratings that leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender, Target
from zeerec.ranking import check_n, top_n

MAX_MOVIES = 12_000
"""Default cap on EASE's catalogue: a 12,000² float64 Gram matrix is 1.15 GB and its
Cholesky inverse takes about a minute on two cores; every MovieLens release up to ML-10M
(10,681 movies) fits under it whole."""


def ease_weights(X, lam: float) -> np.ndarray:
    """B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, for a (sparse) users × items X."""
    if not np.isfinite(lam) or lam <= 0:
        raise ValueError(f"lam must be a positive number, got {lam!r}")
    gram = X.T @ X
    gram = gram.toarray() if hasattr(gram, "toarray") else np.array(gram, dtype=np.float64)
    gram = np.asarray(gram, dtype=np.float64)
    gram[np.diag_indices_from(gram)] += lam
    # XᵀX + λI is symmetric positive definite: a Cholesky-based inverse is cheaper than LU.
    # gram.T is the same matrix in Fortran order, so LAPACK works in place without a copy.
    factor, info = scipy.linalg.lapack.dpotrf(gram.T, lower=False, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky factorisation failed (info={info})")
    P, info = scipy.linalg.lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverse from the Cholesky factor failed (info={info})")
    lower = np.tril_indices(P.shape[0], -1)
    P[lower] = P.T[lower]  # dpotri fills the upper triangle only
    P /= -np.diag(P)[np.newaxis, :]  # B_ij = -P_ij / P_jj ...
    np.fill_diagonal(P, 0.0)  # ... and B_jj = 0
    B = P
    return B


class EASE(Recommender):
    """Steck's EASE on the binary interaction matrix.

    Args:
        lam: the L2 penalty λ on B (tuned on validation carved from training; larger
            values trust co-occurrence less and lean towards popular movies).
        max_movies: learn on at most this many movies, the most rated (ties: lower
            movie_id); None: every movie.

    Attributes:
        X_: the binary users × kept movies matrix (sparse); B_: kept × kept weights.
        kept_: column positions (into ``ratings_.movie_ids``) of the movies EASE learnt
            on, or None when it kept them all.
        left_out_: ``{"movies": …, "ratings": …, "share_of_ratings": …}`` of the movies
            the cap left out (zeros when none).
    """

    name = "EASE"
    has_similar_movies = True
    ranking_score = "x·B over who-rated-what"

    def __init__(self, lam: float = 500.0, max_movies: int | None = MAX_MOVIES):
        self.lam = float(lam)
        if max_movies is not None:
            check_n(max_movies, what="max_movies")
        self.max_movies = max_movies

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        X = self.ratings_.binary().tocsr()
        raters = np.bincount(X.indices, minlength=X.shape[1])
        self.kept_ = None
        self.left_out_ = {"movies": 0, "ratings": 0, "share_of_ratings": 0.0}
        if self.max_movies is not None and X.shape[1] > self.max_movies:
            self.kept_ = np.sort(np.argsort(-raters, kind="stable")[: self.max_movies])
            out = int(raters.sum() - raters[self.kept_].sum())
            self.left_out_ = {
                "movies": int(X.shape[1] - len(self.kept_)),
                "ratings": out,
                "share_of_ratings": out / max(int(raters.sum()), 1),
            }
            X = X[:, self.kept_].tocsr()
        self.X_ = X
        self.B_ = ease_weights(self.X_, self.lam)

    def _full(self, scores: np.ndarray) -> np.ndarray:
        """Scores over the kept movies spread to every movie (NaN: never recommended)."""
        if self.kept_ is None:
            return scores
        out = np.full((*scores.shape[:-1], len(self.ratings_.movie_ids)), np.nan)
        out[..., self.kept_] = scores
        return out

    def _score(self, target: Target) -> np.ndarray:
        if target.row is not None:
            return self._rows(np.array([target.row]))[0]
        x = np.zeros(len(self.ratings_.movie_ids))
        x[target.cols] = 1.0
        if self.kept_ is not None:
            x = x[self.kept_]
            if not x.any():
                raise ValueError(
                    f"none of the profile's movies is among the {len(self.kept_):,} most-rated "
                    f"movies EASE learnt on (max_movies={self.max_movies}), so it has nothing "
                    "to go on: add some more widely seen movies to the profile, or fit EASE "
                    "with a larger max_movies"
                )
        return self._full(x @ self.B_)

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self._rows(rows)

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """Users none of whose movies EASE kept get NaN: no list rather than an arbitrary one."""
        x = self.X_[rows]
        out = self._full(np.asarray(x @ self.B_))
        out[np.diff(x.indptr) == 0] = np.nan
        return out

    def _similar(self, col: int, n: int) -> pd.DataFrame:
        """Movies whose score rises most when a user has seen the movie (its row of B)."""
        pos = col
        if self.kept_ is not None:
            pos = int(np.searchsorted(self.kept_, col))
            if pos >= len(self.kept_) or self.kept_[pos] != col:
                raise ValueError(
                    f"movie_id {int(self.ratings_.movie_ids[col])} is not among the "
                    f"{len(self.kept_):,} most-rated movies EASE learnt on (max_movies="
                    f"{self.max_movies}), so it has no weights; ask about a more rated movie"
                )
        w = self._full(self.B_[pos].copy())
        w[col] = -np.inf
        top = top_n(w, n)  # NaN (not kept) never makes the list
        return pd.DataFrame({"movie_id": self.ratings_.movie_ids[top], "weight": w[top]})
