"""Matrix-factorisation fold-in: a new user's bias and taste vector without retraining.

A trained biased MF predicts ``r_ui = mu + b_u + b_i + t_u . q_i`` (``t_u`` the user's
taste vector). With the movie side (``mu``, ``b_i``, ``q_i``) fixed, the best
``(b_u, t_u)`` for a new user's ratings ``r_j`` is a ridge regression — one
(f+1)×(f+1) linear system::

    min  sum_j (r_j - mu - b_j - b_u - t . q_j)^2 + lam * |t|^2 + lam_b * b_u^2

    z_j = [1, q_j],   (Z'Z + diag(lam_b, lam, ..., lam)) [b_u, t] = Z'(r - mu - b)

which is exactly one step of alternating least squares for that user. Solving it and
scoring every movie (one matrix-vector product) takes well under a millisecond, so a
new user gets MF recommendations immediately, with the model left untouched.

**The penalty must be the one training used.** :class:`~zeerec.models.mf.BiasedMF`
minimises the batch mean of ``err^2 + reg * w_u * |t_u|^2 + bias_reg * w_u * b_u^2``
with ``w_u = n_u ** (reg_exponent - 1) / c`` for a user with ``n_u`` training ratings.
Summed over one user's ratings that is the ridge problem above with
``lam = reg * n ** reg_exponent / c`` (and ``bias_reg`` likewise), so a new user with
``n`` ratings is penalised as a trained user with ``n`` ratings was:
:meth:`MFFoldIn.from_model` reads ``reg``, ``bias_reg``, ``reg_exponent`` and ``c``
from the model. With SVD++'s implicit term the penalty is on the whole taste vector
``p_u + implicit_u``, so solving for ``t`` directly is the same problem. A model that
stretched its taste match after training (``taste_scale_``) is folded in the same way:
solve against the factors as training penalised them, then stretch. Several co-trained
members averaged into one model are folded in as that one model (exact when the members
agree, an approximation otherwise; :func:`agreement` measures it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Pairs, Profile, Recommender, Target

_BLAS = None


def _one_blas_thread(method):
    """Run on one BLAS thread: a 129×129 solve and a movies×factors product are far too
    small to share, and on busy cores (or next to TensorFlow's thread pools) handing
    them to several BLAS threads turned 0.3 ms into 20-300 ms spikes."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        global _BLAS
        if _BLAS is None:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        with _BLAS.limit(limits=1, user_api="blas"):
            return method(*args, **kwargs)

    return wrapper


class MissingModelError(FileNotFoundError):
    """No usable trained MF model where one was expected (the message says where)."""


@dataclass(frozen=True)
class FoldedUser:
    """A user's solved bias and factors, and how many of their ratings the model knew."""

    bias: float
    factors: np.ndarray
    n_used: int
    n_unknown: int


class MFFoldIn(Recommender):
    """Recommend for any profile from a trained MF model's movie arrays (no retraining).

    Built from a trained model's movie side, a fold-in is fitted from the start (its
    ``ratings_`` covers the model's movies with no history); :meth:`fit` only attaches
    a rating history, so existing users can be folded in and their seen movies left out.
    :meth:`from_model` does both from a :class:`~zeerec.models.mf.BiasedMF`.

    Args:
        movie_ids, item_factors, item_bias, global_mean: the model's movie side
            (``item_bias`` None for a model without biases).
        reg, bias_reg: the factor and bias penalties (``bias_reg`` defaults to ``reg``).
        reg_exponent: None for a fixed penalty ``reg``; else the penalty for ``n``
            ratings is ``reg * n ** reg_exponent / reg_scale`` (1 = a per-rating L2
            penalty in a mean-squared-error loss), as the model was trained with.
        reg_scale: see ``reg_exponent``.
        taste_scale: the stretch a model applied to its taste match after training (per
            factor column; ``item_factors`` are the stretched ones): fold-in solves
            against the unstretched factors, as training did, then stretches the same way.
    """

    name = "MF fold-in"
    predicts_ratings = True

    def __init__(
        self,
        movie_ids: np.ndarray,
        item_factors: np.ndarray,
        item_bias: np.ndarray | None,
        global_mean: float,
        reg: float = 1.0,
        bias_reg: float | None = None,
        reg_exponent: float | None = None,
        reg_scale: float = 1.0,
        taste_scale: np.ndarray | float | None = None,
    ):
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
        if reg < 0 or (bias_reg is not None and bias_reg < 0) or not reg_scale > 0:
            raise ValueError("reg and bias_reg must be >= 0 and reg_scale > 0")
        self.reg = float(reg)
        self.bias_reg = float(reg if bias_reg is None else bias_reg)
        self.reg_exponent = None if reg_exponent is None else float(reg_exponent)
        self.reg_scale = float(reg_scale)
        stretch = np.ones(q.shape[1]) if taste_scale is None else np.asarray(taste_scale, float)
        stretch = np.broadcast_to(stretch, (q.shape[1],)).copy()
        if not np.all(stretch > 0):
            raise ValueError("taste_scale must be > 0")
        self.taste_scale = stretch
        self._root = np.sqrt(stretch)
        self._q_fit = self.q / self._root  # the factors as training penalised them
        # Fitted from the start (pure new users): the model's movies, no rating history.
        empty = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})
        self.ratings_ = RatingMatrix.from_ratings(empty.astype("int64"), movie_ids=self.movie_ids)

    @classmethod
    def from_model(cls, model) -> MFFoldIn:
        """Fold-in against a trained :class:`~zeerec.models.mf.BiasedMF` (same penalty).

        The model's rating matrix comes along, so existing users can be folded in from
        their training ratings and "already seen" is known.
        """
        a = model.arrays()
        counts = np.diff(model.ratings_.matrix.tocsr().indptr).astype(np.float64)
        e = float(model.reg_exponent)
        n = np.maximum(counts, 1.0)
        scale = float(np.sum(counts * n ** (e - 1.0)) / max(np.sum(counts), 1.0))
        stretch = getattr(model, "taste_scale_", None)
        if stretch is not None:  # one stretch per member; members' factor blocks side by side
            members = len(stretch)
            stretch = np.repeat(np.asarray(stretch, float), a["movie_factors"].shape[1] // members)
        obj = cls(
            a["movie_ids"],
            a["movie_factors"],
            a["movie_bias"],
            a["global_mean"],
            reg=float(model.reg),
            bias_reg=float(model.bias_reg),
            reg_exponent=e,
            reg_scale=scale,
            taste_scale=stretch,
        )
        obj.ratings_ = model.ratings_
        return obj

    def penalties(self, n: int) -> tuple[float, float]:
        """(factor penalty, bias penalty) of the ridge system for ``n`` ratings."""
        scale = 1.0 if self.reg_exponent is None else n**self.reg_exponent / self.reg_scale
        return self.reg * scale, self.bias_reg * scale

    def _fit(self, ratings: pd.DataFrame) -> None:
        """Attach the rating history (for existing users and for what they have seen).

        Nothing is trained: the movie arrays come from the MF model. Ratings of movies
        the MF model does not know are left out.
        """
        known = ratings[ratings["movie_id"].isin(self.movie_ids)]
        self.ratings_ = RatingMatrix.from_ratings(known, movie_ids=self.movie_ids)

    # ------------------------------------------------------------------ the solve

    @_one_blas_thread
    def fold_in(self, user: int | Profile | Target) -> FoldedUser:
        """Solve the user's bias and factors from their ratings (the ridge system above)."""
        t = user if isinstance(user, Target) else self.target(user)
        cols, stars, unknown = t.cols, t.stars, len(t.unknown)
        f = self.q.shape[1]
        if len(cols) == 0:
            return FoldedUser(0.0, np.zeros(f), 0, unknown)
        y = stars - self.global_mean - self.b[cols]
        qs = self._q_fit[cols]
        lam, lam_b = self.penalties(len(cols))
        if self.biased:
            z = np.empty((len(cols), f + 1))
            z[:, 0] = 1.0
            z[:, 1:] = qs
            penalty = np.full(f + 1, lam)
            penalty[0] = lam_b
        else:
            z = qs
            penalty = np.full(f, lam)
        a = z.T @ z
        a[np.diag_indices_from(a)] += penalty
        x = np.linalg.solve(a, z.T @ y) if penalty.min() > 0 else np.linalg.lstsq(a, z.T @ y)[0]
        # Stretch like the model: scores = q @ factors = sum(q_fit * t * stretch).
        if self.biased:
            return FoldedUser(float(x[0]), x[1:] * self._root, len(cols), unknown)
        return FoldedUser(0.0, x * self._root, len(cols), unknown)

    # ------------------------------------------------------------------ the hooks

    @_one_blas_thread
    def _score(self, target: Target) -> np.ndarray:
        """Predicted stars (unclipped) for every movie the MF model knows."""
        u = self.fold_in(target)
        self._folded = (target, u)  # recommend's evidence reuses it
        return self.global_mean + u.bias + self.b + self.q @ u.factors

    @_one_blas_thread
    def _evidence(
        self, target: Target, top: np.ndarray, scores: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The prediction split into the movie's bias and the taste match."""
        cached = getattr(self, "_folded", None)
        u = cached[1] if cached is not None and cached[0] is target else self.fold_in(target)
        columns = {
            "predicted": self.clip_stars(scores[top]),
            "movie_bias": self.b[top],
            "taste_match": (self.q @ u.factors)[top],
        }
        return columns, {"user_bias": u.bias, "n_used": u.n_used, "n_unknown": u.n_unknown}

    @_one_blas_thread
    def _estimate(self, pairs: Pairs) -> np.ndarray:
        """Users are folded in once each. Unknown users get the global mean plus the
        movie's bias; movies the MF model does not know get the user's bias-adjusted
        global mean."""
        pos, ok = pairs.movie_pos, pairs.movie_known
        out = np.full(pairs.users.shape, self.global_mean)
        out[ok] += self.b[pos[ok]]
        for row in pd.unique(pairs.user_pos[pairs.user_known]):
            idx = np.flatnonzero(pairs.user_known & (pairs.user_pos == row))
            f = self.fold_in(int(self.ratings_.user_ids[row]))
            vals = np.full(len(idx), self.global_mean + f.bias)
            sel = ok[idx]
            p = pos[idx][sel]
            vals[sel] += self.b[p] + self.q[p] @ f.factors
            out[idx] = vals
        return out


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence file descriptor 2 meanwhile: TensorFlow's C++ start-up chatter (CUDA probes,
    oneDNN notes) bypasses Python's logging and would land in reports and terminals.
    Python exceptions still propagate normally."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _mf_module():
    with quiet_native_stderr():
        from zeerec.models import mf
    return mf


def load_mf(model_dir: str | os.PathLike):
    """The improved MF model notebook 05 saved in ``model_dir``, or a clear error."""
    mf = _mf_module()
    path = Path(model_dir) / mf.DEFAULT_NAME
    if not (path / mf.META_FILE).is_file():
        raise MissingModelError(f"No trained MF model in {path}.")
    with quiet_native_stderr():
        model = mf.load(path)
    if not isinstance(model, mf.BiasedMF):
        raise MissingModelError(
            f"{path} holds a {type(model).__name__}; fold-in needs the improved BiasedMF "
            "(global mean, biases, factors)."
        )
    return model


def load_foldin(model_dir: str | os.PathLike, ratings: pd.DataFrame | None = None) -> MFFoldIn:
    """Fold-in over the MF model notebook 05 saved in ``model_dir``, or a clear error.

    With ``ratings``, a model that knows movies these ratings do not have (trained on
    other data) is refused.
    """
    model = load_mf(model_dir)
    if ratings is not None:
        check_same_data(model, ratings, model_dir)
    return MFFoldIn.from_model(model)


def check_same_data(model, ratings: pd.DataFrame, model_dir) -> None:
    unknown = np.setdiff1d(model.ratings_.movie_ids, ratings["movie_id"].unique())
    if len(unknown):
        raise MissingModelError(
            f"The MF model in {model_dir} knows {len(unknown)} movie(s) that are not in these "
            f"ratings (e.g. {unknown[:3].tolist()}): it was trained on other data."
        )
