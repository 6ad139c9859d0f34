"""User-based collaborative filtering: "people who rated like you also liked ...".

For a target (an existing user or a new user's :data:`~zeerec.models.base.Profile`):

1. **Candidates** are the users who rated at least ``min_common`` of the target's movies.
2. **Similarity** (``similarity=``) is either the cosine between who-rated-what rows
   (the default, ``"cosine"``: two users are alike when they chose the same movies),
   or (``"pearson"``) the Pearson correlation on the co-rated movies (each side centred
   on its mean over those movies, the textbook form), multiplied by the significance
   weight ``min(n_common, significance) / significance`` (Herlocker et al., 1999) so
   that a perfect correlation on two movies does not outrank a strong one on twenty.
3. **Neighbours** are the ``n_neighbours`` candidates with the highest positive weighted similarity
   (negative correlations are too noisy on a few movies to act on).
4. **Prediction** for movie *j* (Resnick's formula)::

       pred_j = mean_target + sum_v w_v (r_vj - mean_v) / sum_v |w_v|

   over the neighbours *v* who rated *j*, with ``mean_v`` each neighbour's overall mean.
   A movie no neighbour rated gets the target's mean. ``predict`` (rating accuracy,
   notebook 07) picks the neighbours per movie instead: the ``n_neighbours`` most similar users
   among those who rated it, as scikit-surprise's ``KNNWithMeans`` does.
5. **Recommendations** (``rank_by=``) rank the unseen movies at least ``min_support``
   neighbours rated by the neighbours' weighted vote ``Σ_v w_v`` over those who rated
   *j* (the default, ``"vote"``), or by ``pred_j`` (``"resnick"``, the rule before
   issue 11, which promotes obscure movies a few neighbours loved). Each comes with its
   evidence: how many neighbours rated the movie and their average stars. The
   defaults (cosine, vote, 60 neighbours, ``min_support=1``) were chosen on a
   validation carving of ML-100K's training split: NDCG@10 0.235 against 0.045 for
   Pearson + Resnick (BENCHMARKS.md, "Neighbourhood ranking rules"); Resnick's RMSE
   moves by 0.003 stars between the two similarities.

Everything is a handful of sparse products against the :class:`RatingMatrix`
columns of the target's movies, so one new user takes milliseconds at ML-1M size.
An existing user is never their own neighbour, so held-out ratings can be evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import PREDICTED_STARS, Pairs, Profile, Recommender, Target
from zeerec.ranking import check_n

ESTIMATE_BLOCK_CELLS = 2_000_000  # predict: users × training users per block of weights


@dataclass(frozen=True)
class Explanation:
    """Per-movie predictions and their evidence, plus the neighbours behind them."""

    prediction: np.ndarray  # one per column of R; the target's mean where nobody rated
    n_neighbours: np.ndarray  # neighbours who rated each movie
    neighbour_mean: np.ndarray  # their average stars (NaN where none)
    neighbours: pd.DataFrame  # user_id, n_common, pearson, weight (best first)
    mean: float  # the target's mean stars, the base of every prediction
    vote: np.ndarray  # summed weight of the neighbours who rated each movie


class UserKNN(Recommender):
    """User-based CF: a weighted vote of the most similar users; Resnick's formula for stars.

    Args:
        n_neighbours: how many of the most similar users vote (60).
        min_common: movies a user must share with the target to be a candidate.
        significance: co-rated movies at which a correlation counts in full; fewer
            scale it down linearly (Herlocker et al.: 50).
        min_support: neighbours who must have rated a movie before it is recommended.
        similarity: ``"pearson"`` on co-rated stars with significance weighting, or
            ``"cosine"`` between who-rated-what (binary) rows.
        rank_by: ``"resnick"`` ranks by predicted stars; ``"vote"`` by the summed
            similarity of the neighbours who rated the movie (a weighted vote).

    Attributes:
        user_mean_: each training user's mean stars; global_mean_: all stars' mean.
    """

    name = "user-kNN"
    predicts_ratings = True

    def __init__(
        self,
        n_neighbours: int = 60,
        min_common: int = 2,
        significance: int = 50,
        min_support: int = 1,
        similarity: str = "cosine",
        rank_by: str = "vote",
    ):
        if similarity not in ("pearson", "cosine"):
            raise ValueError(f"similarity must be 'pearson' or 'cosine', got {similarity!r}")
        if rank_by not in ("resnick", "vote"):
            raise ValueError(f"rank_by must be 'resnick' or 'vote', got {rank_by!r}")
        self.similarity, self.rank_by = similarity, rank_by
        for label, value in (
            ("n_neighbours", n_neighbours),
            ("min_common", min_common),
            ("significance", significance),
            ("min_support", min_support),
        ):
            check_n(value, what=label)
        self.n_neighbours, self.min_common = int(n_neighbours), int(min_common)
        self.significance, self.min_support = int(significance), int(min_support)

    @property
    def ranking_score(self) -> str:  # type: ignore[override]
        return PREDICTED_STARS if self.rank_by == "resnick" else "neighbours' weighted vote"

    # ------------------------------------------------------------------ fitting

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        x = self.ratings_.matrix.tocsr()
        counts = np.diff(x.indptr)
        self.user_mean_ = np.asarray(x.sum(axis=1)).ravel() / np.maximum(counts, 1)
        self.global_mean_ = float(x.data.mean())
        centred = x.copy()
        centred.data = x.data - np.repeat(self.user_mean_, counts)
        self._x = x
        self._centred = centred
        self._binary = self.ratings_.binary()
        # Column slices (the target's movies) are cheap in CSC.
        self._x_csc = x.tocsc()
        self._centred_csc = centred.tocsc()  # same pattern as _x_csc (stored zeros kept)
        self._b_csc = self._binary.tocsc()
        sq = x.copy()
        sq.data = sq.data**2
        self._sq = sq
        self._sq_csc = sq.tocsc()
        self._counts = counts.astype(np.float64)
        self._explained: tuple[Target, Explanation] | None = None

    def mean_of(self, target: Target) -> float:
        """The target's mean stars (a profile's over all its ratings, known movies or not)."""
        if target.row is None:
            return float(target.all_stars.mean())
        return float(self.user_mean_[target.row])

    # ------------------------------------------------------------------ similarity

    def similarities(self, user: int | Profile) -> pd.DataFrame:
        """Every user sharing at least one movie with the target: n_common, pearson, weight.

        ``pearson`` is 0 where it is undefined (fewer than two co-rated movies, or one
        side rated all co-rated movies alike); ``weight`` is the significance-weighted
        value used to choose and weigh neighbours.
        """
        return self._similarities(self.target(user))

    def _similarities(self, t: Target) -> pd.DataFrame:
        if len(t.cols) == 0:
            return _empty_similarities()
        b = self._b_csc[:, t.cols]
        n = np.asarray(b.sum(axis=1)).ravel()
        rows = np.flatnonzero(n > 0)
        if t.row is not None:
            rows = rows[rows != t.row]
        b = b[rows]
        x = self._x_csc[:, t.cols][rows]
        sq = self._sq_csc[:, t.cols][rows]
        y = t.stars
        n = n[rows]
        sx = np.asarray(x.sum(axis=1)).ravel()
        sxx = np.asarray(sq.sum(axis=1)).ravel()
        sy, syy, sxy = b @ y, b @ (y * y), x @ y
        pearson = _pearson(n, sx, sxx, sy, syy, sxy)
        if self.similarity == "cosine":  # who-rated-what rows: overlap / sqrt(sizes)
            weight = n / np.sqrt(len(t.cols) * self._counts[rows])
        else:
            weight = pearson * np.minimum(n, self.significance) / self.significance
        frame = pd.DataFrame(
            {
                "user_id": self.ratings_.user_ids[rows],
                "n_common": n.astype(np.int64),
                "pearson": pearson,
                "weight": weight,
            }
        )
        return frame.sort_values(
            ["weight", "n_common", "user_id"], ascending=[False, False, True], kind="stable"
        ).reset_index(drop=True)

    def neighbours(self, user: int | Profile) -> pd.DataFrame:
        """The top n_neighbours: at least ``min_common`` co-rated movies, positive weight."""
        return self._neighbours(self._similarities(self.target(user)))

    def _neighbours(self, sims: pd.DataFrame) -> pd.DataFrame:
        keep = (sims["n_common"] >= self.min_common) & (sims["weight"] > 0)
        return sims[keep].head(self.n_neighbours).reset_index(drop=True)

    def common_raters(self, user: int | Profile) -> pd.DataFrame:
        """The seed's view: users who rated the target's movies, most movies in common first.

        One row per user with ``n_common`` and their stars for each of the target's
        movies (columns named by movie_id, NaN = not rated). No similarity yet: this is
        what the seed stopped at.
        """
        t = self.target(user)
        if len(t.cols) == 0:
            return pd.DataFrame(columns=["user_id", "n_common"])
        x = self._x_csc[:, t.cols].tocsr()
        n = np.diff(x.indptr)
        rows = np.flatnonzero(n > 0)
        if t.row is not None:
            rows = rows[rows != t.row]
        dense = x[rows].toarray()
        dense[dense == 0] = np.nan
        frame = pd.DataFrame(dense, columns=self.ratings_.movie_ids[t.cols].tolist())
        frame.insert(0, "n_common", n[rows].astype(np.int64))
        frame.insert(0, "user_id", self.ratings_.user_ids[rows])
        return frame.sort_values(
            ["n_common", "user_id"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)

    # ------------------------------------------------------------------ prediction

    def explain(self, user: int | Profile) -> Explanation:
        """Predictions for every movie with their evidence and the neighbours used."""
        return self._explain(self.target(user))

    def _explain(self, t: Target) -> Explanation:
        nb = self._neighbours(self._similarities(t))
        n_cols = self.ratings_.shape[1]
        mean = self.mean_of(t)
        if nb.empty:
            return Explanation(
                np.full(n_cols, mean),
                np.zeros(n_cols, np.int64),
                np.full(n_cols, np.nan),
                nb,
                mean,
                np.zeros(n_cols),
            )
        rows = self.ratings_.user_index(nb["user_id"].to_numpy())
        w = nb["weight"].to_numpy()
        num = self._centred[rows].T @ w
        b = self._binary[rows]
        den = b.T @ np.abs(w)
        count = np.asarray(b.sum(axis=0)).ravel().astype(np.int64)
        total = np.asarray(self._x[rows].sum(axis=0)).ravel()
        rated = den > 0
        pred = np.full(n_cols, mean)
        pred[rated] += num[rated] / den[rated]
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        return Explanation(pred, count, avg, nb, mean, np.asarray(b.T @ w).ravel())

    # ------------------------------------------------------------------ the hooks

    def _score(self, target: Target) -> np.ndarray:
        """Predicted stars (unclipped, so movies above 5 still rank), or the neighbours'
        summed weight with ``rank_by="vote"``; NaN for movies fewer than ``min_support``
        neighbours rated."""
        e = self._explain(target)
        self._explained = (target, e)  # recommend's evidence reuses it
        score = e.vote if self.rank_by == "vote" else e.prediction
        return np.where(e.n_neighbours >= self.min_support, score, np.nan)

    def _evidence(
        self, target: Target, top: np.ndarray, scores: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """How many neighbours rated each movie and their mean stars; the clipped prediction."""
        cached = self._explained
        e = cached[1] if cached is not None and cached[0] is target else self._explain(target)
        columns = {
            "predicted": self.clip_stars(e.prediction[top]),
            "n_neighbours": e.n_neighbours[top],
            "neighbour_mean": e.neighbour_mean[top],
        }
        attrs = {
            "n_neighbours_used": len(e.neighbours),
            "user_mean": e.mean,
            "rank_by": self.rank_by,
        }
        return columns, attrs

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        """Resnick's formula with the neighbours chosen per movie, as scikit-surprise's
        ``KNNWithMeans`` does: the ``n_neighbours`` most similar users (positive weight,
        at least ``min_common`` co-rated movies) *among those who rated that movie*, so
        every prediction rests on up to ``n_neighbours`` ratings (``recommend`` instead
        uses one neighbourhood for all movies, so each movie's evidence comes from the
        same people). Unknown users get the global mean; movies no neighbour rated (or
        unknown ones) get the user's mean. A user is never their own neighbour.
        """
        out = np.full(pairs.users.shape, self.global_mean_, dtype=np.float64)
        known = np.flatnonzero(pairs.user_known)
        order = known[np.argsort(pairs.user_pos[known], kind="stable")]  # pairs by user
        users, starts = np.unique(pairs.user_pos[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        block = max(1, ESTIMATE_BLOCK_CELLS // self.ratings_.shape[0])
        for b in range(0, len(users), block):
            weights = self._weights(users[b : b + block])
            for i, u in enumerate(range(b, min(b + block, len(users)))):
                idx = order[starts[u] : ends[u]]
                out[idx] = self._resnick(idx, pairs, weights[i], float(self.user_mean_[users[u]]))
        return out

    def _weights(self, rows: np.ndarray) -> np.ndarray:
        """Every training user's weight as a neighbour of each user in ``rows`` (training
        rows), 0 where they are not a candidate (fewer than ``min_common`` co-rated movies,
        weight ≤ 0, or the user themself): the values :meth:`similarities` gives, for a
        block of users at once as sparse products (co-rated counts and the Pearson sums
        over the co-rated movies), instead of one user at a time."""
        b, x, sq = self._binary, self._x, self._sq
        b_u = b[rows]
        n = (b_u @ b.T).toarray()
        if self.similarity == "cosine":
            weight = n / np.sqrt(self._counts[rows][:, None] * self._counts[None, :])
        else:
            x_u = x[rows]
            sx, sxx = (b_u @ x.T).toarray(), (b_u @ sq.T).toarray()
            sy, syy = (x_u @ b.T).toarray(), (sq[rows] @ b.T).toarray()
            pearson = _pearson(n, sx, sxx, sy, syy, (x_u @ x.T).toarray())
            weight = pearson * np.minimum(n, self.significance) / self.significance
        keep = (n >= self.min_common) & (weight > 0)
        keep[np.arange(len(rows)), rows] = False  # never their own neighbour
        return np.where(keep, weight, 0.0)

    def _resnick(self, idx: np.ndarray, pairs: Pairs, weight: np.ndarray, mean: float):
        """One user's predictions for the pairs ``idx``, given every user's weight."""
        xc, cc = self._x_csc, self._centred_csc
        vals = np.full(len(idx), mean)
        for n, pos in enumerate(idx):
            if not pairs.movie_known[pos]:
                continue
            j = pairs.movie_pos[pos]
            raters = xc.indices[xc.indptr[j] : xc.indptr[j + 1]]
            w = weight[raters]
            keep = np.flatnonzero(w > 0)
            if len(keep) == 0:
                continue
            if len(keep) > self.n_neighbours:
                keep = keep[np.argpartition(-w[keep], self.n_neighbours - 1)[: self.n_neighbours]]
            dev = cc.data[cc.indptr[j] : cc.indptr[j + 1]][keep]
            vals[n] = mean + np.dot(w[keep], dev) / np.sum(w[keep])
        return vals


def _pearson(n, sx, sxx, sy, syy, sxy) -> np.ndarray:
    """Pearson's correlation from sums over each pair's ``n`` co-rated movies (``sx``,
    ``sxx``: the other user's stars and their squares; ``sy``, ``syy``: the target's;
    ``sxy``: their products), any shape; 0 where it is undefined (fewer than two
    co-rated movies, or one side rated them all alike)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # n == 0: left at 0 below
        cov = sxy - sx * sy / n
        var_x = np.maximum(sxx - sx * sx / n, 0.0)
        var_y = np.maximum(syy - sy * sy / n, 0.0)
        denom = np.sqrt(var_x * var_y)
    ok = (n >= 2) & (denom > 1e-9)
    pearson = np.zeros(np.shape(n))
    pearson[ok] = np.clip(cov[ok] / denom[ok], -1.0, 1.0)
    return pearson


def _empty_similarities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": np.array([], np.int64),
            "n_common": np.array([], np.int64),
            "pearson": np.array([], float),
            "weight": np.array([], float),
        }
    )
