"""Matrix-factorisation fold-in: a new user's bias and taste vector without retraining.

A trained biased MF predicts ``r_ui = mu + b_u + b_i + p_u . q_i``. With the movie side
(``mu``, ``b_i``, ``q_i``) fixed, the best ``(b_u, p_u)`` for a new user's ratings is a
ridge regression — one (f+1)×(f+1) linear system::

    min  sum_j (r_j - mu - b_j - b_u - p . q_j)^2 + reg * |p|^2 + bias_reg * b_u^2

    z_j = [1, q_j],   (Z'Z + diag(bias_reg, reg, ..., reg)) [b_u, p] = Z'(r - mu - b)

which is exactly one step of alternating least squares for that user. Solving it and
scoring every movie (one matrix-vector product) takes well under a millisecond, so a
new user gets MF recommendations immediately, with the model left untouched.

``reg`` must be on the scale of a sum over the user's ratings. A model trained by
SGD/Adam on a *mean* squared error with L2 penalties ``lambda * |p_u|^2`` added per
rating has the per-user objective ``mean(err^2) + lambda * |p_u|^2 ...``; multiplying
by the number of the user's ratings shows the equivalent sum-form ``reg`` grows with
the number of ratings. :meth:`MFFoldIn.calibrate` picks ``reg`` (and ``bias_reg``) so
that folding in existing users reproduces their trained vectors best, which sidesteps
deriving the constant for each way of training.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Profile, Recommender, check_k, top_k


class MissingModelError(FileNotFoundError):
    """No trained MF model where one was expected; the message says how to get one."""


@dataclass(frozen=True)
class FoldedUser:
    """A user's solved bias and factors, and how many of their ratings the model knew."""

    bias: float
    factors: np.ndarray
    n_used: int
    n_unknown: int


class MFFoldIn(Recommender):
    """Recommend for any profile from a trained MF model's movie arrays (no retraining)."""

    name = "MF fold-in"

    def __init__(
        self,
        movie_ids: np.ndarray,
        item_factors: np.ndarray,
        item_bias: np.ndarray | None,
        global_mean: float,
        reg: float = 1.0,
        bias_reg: float | None = None,
        reg_per_rating: bool = False,
    ):
        """``reg_per_rating``: multiply the penalties by the number of ratings folded in
        (the equivalent of a per-rating L2 penalty in a mean-squared-error loss)."""
        movie_ids = np.asarray(movie_ids, dtype=np.int64)
        q = np.ascontiguousarray(item_factors, dtype=np.float64)
        if q.ndim != 2 or len(q) != len(movie_ids):
            raise ValueError(
                f"item_factors must be (n_movies, n_factors) with n_movies={len(movie_ids)}, "
                f"got shape {q.shape}"
            )
        order = np.argsort(movie_ids, kind="stable")
        if np.any(np.diff(movie_ids[order]) == 0):
            raise ValueError("movie_ids has duplicates")
        self.movie_ids = movie_ids[order]
        self.q = q[order]
        self.biased = item_bias is not None
        b = np.zeros(len(movie_ids)) if item_bias is None else np.asarray(item_bias, float)
        if b.shape != (len(movie_ids),):
            raise ValueError(f"item_bias must have one value per movie, got shape {b.shape}")
        self.b = b[order]
        self.global_mean = float(global_mean)
        if reg < 0 or (bias_reg is not None and bias_reg < 0):
            raise ValueError("reg and bias_reg must be >= 0")
        self.reg = float(reg)
        self.bias_reg = float(reg if bias_reg is None else bias_reg)
        self.reg_per_rating = bool(reg_per_rating)
        self._ids = set(self.movie_ids.tolist())
        # Unfitted use (pure new users): the model's movies, no rating history.
        empty = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})
        self.R = RatingMatrix.from_ratings(empty.astype("int64"), movie_ids=self.movie_ids)

    def fit(self, ratings: pd.DataFrame) -> Self:
        """Attach the rating history (for existing users and for what they have seen).

        Nothing is trained: the movie arrays come from the MF model. Ratings of movies
        the MF model does not know are left out.
        """
        known = ratings[ratings["movie_id"].isin(self.movie_ids)]
        self.R = RatingMatrix.from_ratings(known, movie_ids=self.movie_ids)
        return self

    # ------------------------------------------------------------------ the solve

    def _pairs(self, user: int | Profile) -> tuple[np.ndarray, np.ndarray, int]:
        if isinstance(user, Mapping):
            if not user:
                raise ValueError("the profile is empty: rate at least one movie")
            ids = np.fromiter(user.keys(), dtype=np.int64, count=len(user))
            stars = np.fromiter(user.values(), dtype=np.float64, count=len(user))
            pos = np.searchsorted(self.movie_ids, ids)
            ok = (pos < len(self.movie_ids)) & (
                self.movie_ids[np.minimum(pos, len(self.movie_ids) - 1)] == ids
            )
            return pos[ok], stars[ok], int((~ok).sum())
        row = int(self.R.user_index(user)[0])
        m = self.R.matrix
        sl = slice(m.indptr[row], m.indptr[row + 1])
        return m.indices[sl], m.data[sl], 0

    def fold_in(self, user: int | Profile) -> FoldedUser:
        """Solve the user's bias and factors from their ratings (the ridge system above)."""
        cols, stars, unknown = self._pairs(user)
        f = self.q.shape[1]
        if len(cols) == 0:
            return FoldedUser(0.0, np.zeros(f), 0, unknown)
        y = stars - self.global_mean - self.b[cols]
        qs = self.q[cols]
        scale = len(cols) if self.reg_per_rating else 1.0
        if self.biased:
            z = np.empty((len(cols), f + 1))
            z[:, 0] = 1.0
            z[:, 1:] = qs
            penalty = np.full(f + 1, self.reg * scale)
            penalty[0] = self.bias_reg * scale
        else:
            z = qs
            penalty = np.full(f, self.reg * scale)
        a = z.T @ z
        a[np.diag_indices_from(a)] += penalty
        x = np.linalg.solve(a, z.T @ y) if penalty.min() > 0 else np.linalg.lstsq(a, z.T @ y)[0]
        if self.biased:
            return FoldedUser(float(x[0]), x[1:], len(cols), unknown)
        return FoldedUser(0.0, x, len(cols), unknown)

    def scores(self, user: int | Profile) -> np.ndarray:
        """Predicted stars (unclipped) for every movie the MF model knows."""
        u = self.fold_in(user)
        return self.global_mean + u.bias + self.b + self.q @ u.factors

    def recommend(
        self, user: int | Profile, k: int = 10, exclude_seen: bool = True
    ) -> pd.DataFrame:
        """Top-k by predicted stars, split into the movie's bias and the taste match."""
        check_k(k, len(self.movie_ids))
        u = self.fold_in(user)
        taste = self.q @ u.factors
        s = self.global_mean + u.bias + self.b + taste
        if exclude_seen:
            s = s.copy()
            s[self._seen(user)] = -np.inf
        top = top_k(s, k)
        out = pd.DataFrame(
            {
                "movie_id": self.movie_ids[top],
                "score": s[top],
                "predicted": np.clip(s[top], 1.0, 5.0),
                "movie_bias": self.b[top],
                "taste_match": taste[top],
            }
        )
        out.attrs.update(user_bias=u.bias, n_used=u.n_used, n_unknown=u.n_unknown)
        return out

    def _seen(self, user: int | Profile) -> np.ndarray:
        if isinstance(user, Mapping):
            return self._pairs(user)[0]
        return self.seen(user)

    def predict(self, users, movies) -> np.ndarray:
        """Predicted stars (clipped to 1-5) for aligned pairs; users are folded in once each.

        Unknown users get the global mean plus the movie's bias; movies the MF model
        does not know get the user's bias-adjusted global mean.
        """
        users, movies = np.asarray(users), np.asarray(movies)
        if users.shape != movies.shape:
            raise ValueError(f"{users.size} users but {movies.size} movies: pass aligned arrays")
        pos = np.searchsorted(self.movie_ids, movies)
        ok = (pos < len(self.movie_ids)) & (
            self.movie_ids[np.minimum(pos, len(self.movie_ids) - 1)] == movies
        )
        out = np.full(users.shape, self.global_mean)
        out[ok] += self.b[pos[ok]]
        known = set(self.R.user_ids.tolist())
        for u in pd.unique(users):
            if int(u) not in known:
                continue
            idx = np.flatnonzero(users == u)
            f = self.fold_in(int(u))
            vals = np.full(len(idx), self.global_mean + f.bias)
            sel = ok[idx]
            p = pos[idx][sel]
            vals[sel] += self.b[p] + self.q[p] @ f.factors
            out[idx] = vals
        return np.clip(out, 1.0, 5.0)

    # ------------------------------------------------------------------ calibration

    def calibrate(
        self,
        user_ids: Iterable[int],
        trained_bias: np.ndarray | None,
        trained_factors: np.ndarray,
        grid: Iterable[float] = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30),
        per_rating: Iterable[bool] = (False, True),
    ) -> pd.DataFrame:
        """Choose ``reg`` so folded-in existing users match their trained predictions.

        For each candidate (reg, per-rating or not), fold in the given users from the
        attached ratings and compare the predicted scores over all movies with those
        of the trained vectors (RMSE in stars). Sets the best setting on the model and
        returns the table, best first.
        """
        users = list(user_ids)
        trained = (
            self.global_mean
            + (0 if trained_bias is None else np.asarray(trained_bias)[:, None])
            + self.b[None, :]
            + np.asarray(trained_factors) @ self.q.T
        )
        rows = []
        saved = (self.reg, self.bias_reg, self.reg_per_rating)
        for pr in per_rating:
            for reg in grid:
                self.reg = self.bias_reg = float(reg)
                self.reg_per_rating = pr
                folded = np.vstack([self.scores(u) for u in users])
                rows.append(
                    {
                        "reg": reg,
                        "per_rating": pr,
                        "rmse_vs_trained": float(np.sqrt(np.mean((folded - trained) ** 2))),
                    }
                )
        self.reg, self.bias_reg, self.reg_per_rating = saved
        table = pd.DataFrame(rows).sort_values("rmse_vs_trained", kind="stable")
        best = table.iloc[0]
        self.reg = self.bias_reg = float(best["reg"])
        self.reg_per_rating = bool(best["per_rating"])
        return table.reset_index(drop=True)


HOW_TO_TRAIN = (
    "Notebook 05 trains the improved MF model and saves it there: run `make report` "
    "(or `zeerec report --only 01 05` for just those two notebooks)."
)


def load_foldin(model_dir: str | os.PathLike, ratings: pd.DataFrame | None = None) -> MFFoldIn:
    """Fold-in over the MF model notebook 05 saved in ``model_dir``, or a clear error."""
    import importlib.util

    if importlib.util.find_spec("zeerec.models.mf") is None:  # until the MF model lands
        raise MissingModelError("The MF model code (zeerec.models.mf) is not available yet.")
    raise MissingModelError(f"No trained MF model in {model_dir}. {HOW_TO_TRAIN}")
