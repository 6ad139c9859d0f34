"""Neighbourhood recommenders. :class:`ItemKNN`: "because you liked X".

Item-based collaborative filtering (Sarwar et al. 2001, as in scikit-surprise's
``KNNWithMeans(user_based=False)``): two movies are neighbours when the same users rate
them alike (see :mod:`zeerec.similarity`). For a user and a candidate movie ``j``, the
neighbourhood is the ``k`` movies the user rated that are most similar to ``j``
(positive similarity only). From it:

- ``predict``: ``μ_j + Σ s_ij (r_ui − μ_i) / Σ s_ij`` — the movie's mean, moved by how
  the user rated its neighbours relative to *their* means;
- ``recommend``: ranks unseen movies by ``Σ s_ij (r_ui − b_u)``, where ``b_u`` is the
  user's mean rating shrunk towards the global mean. The sum is not normalised on
  purpose: a movie close to several movies the user liked beats one that is close to a
  single one, which a normalised prediction would rank just as high. The rated movies
  with the largest positive terms are the "because you liked" reasons.

The seed's tool, scikit-learn's ``NearestNeighbors(metric="cosine")`` on the item
vectors, stays available as :func:`seed_nearest_neighbors`; its distances are
``1 − cosine`` of :class:`~zeerec.similarity.ItemSimilarity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from zeerec.matrix import RatingMatrix, locate
from zeerec.models.base import Profile, Recommender, check_k, top_k
from zeerec.similarity import METHODS, ItemSimilarity

DEFAULT_NEIGHBORS = 40
"""Neighbourhood size (scikit-surprise's default k)."""


class ItemKNN(Recommender):
    """Item-based kNN: predictions, top-k recommendations with reasons, similar movies.

    ``k`` is the neighbourhood size (as in scikit-surprise and
    :class:`~zeerec.models.userknn.UserKNN`); ``method``, ``min_common`` and
    ``shrinkage`` choose the similarity (see :class:`~zeerec.similarity.ItemSimilarity`);
    ``user_prior`` is the number of phantom ratings at the global mean that a user's own
    mean is shrunk with, so a profile of one 5-star movie counts as "liked" rather than
    "average for this user".
    """

    name = "item-kNN"
    predicts_ratings = True

    def __init__(
        self,
        k: int = DEFAULT_NEIGHBORS,
        method: str = "adjusted_cosine",
        min_common: int = 5,
        shrinkage: float = 25.0,
        user_prior: float = 5.0,
        reasons: int = 3,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown similarity method {method!r}; choose one of {METHODS}")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0:
            raise ValueError(f"k (neighbours) must be a positive whole number, got {k!r}")
        if user_prior < 0 or reasons < 0:
            raise ValueError("user_prior and reasons must be >= 0")
        self.k = int(k)
        self.method = method
        self.min_common = min_common
        self.shrinkage = shrinkage
        self.user_prior = float(user_prior)
        self.reasons = int(reasons)

    def __repr__(self) -> str:
        return (
            f"ItemKNN(k={self.k}, method={self.method!r}, "
            f"min_common={self.min_common}, shrinkage={self.shrinkage})"
        )

    # ------------------------------------------------------------------ fitting

    def fit(self, ratings: pd.DataFrame) -> Self:
        """Build the rating matrix and the item × item similarity (the whole cost)."""
        if len(ratings) == 0:
            raise ValueError("cannot fit item-kNN on an empty ratings table")
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.similarity = ItemSimilarity(self.ratings_)
        S = self.similarity.matrix(self.method, self.min_common, self.shrinkage)
        np.fill_diagonal(S, 0.0)
        S[~(S > 0)] = 0.0  # only positive similarities make neighbours (NaN: no evidence)
        self._S = S
        X = self.ratings_.matrix
        counts = np.bincount(X.indices, minlength=X.shape[1])
        self._item_mean = np.bincount(X.indices, X.data, minlength=X.shape[1]) / np.maximum(
            counts, 1
        )
        self.global_mean = float(X.data.mean())
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "_S"):
            raise RuntimeError(f"{self.name} is not fitted: call fit(ratings) first")

    # ------------------------------------------------------------------ neighbourhoods

    def _profile(self, user: int | Profile) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Column positions and stars of what the user rated (columns ascending), and the
        profile's movie ids the model cannot use because nobody rated them in training."""
        self._fitted()
        if isinstance(user, Mapping):
            if not user:
                raise ValueError("the profile is empty: rate at least one movie")
            ids = np.array([int(m) for m in user], dtype=np.int64)
            stars = np.array([float(user[m]) for m in user], dtype=np.float64)
            if not np.all(np.isfinite(stars)):
                raise ValueError("profile ratings must be finite numbers of stars")
            known = np.isin(ids, self.ratings_.movie_ids)
            if not known.any():
                raise ValueError(
                    f"none of the profile's movies {ids[:5].tolist()} has ratings in the data "
                    f"{self.name} was fitted on, so none has neighbours"
                )
            cols = self.ratings_.movie_index(ids[known])
            order = np.argsort(cols, kind="stable")
            return cols[order], stars[known][order], ids[~known].tolist()
        row = self.ratings_.user_index(user)[0]
        m = self.ratings_.matrix
        lo, hi = m.indptr[row], m.indptr[row + 1]
        cols = m.indices[lo:hi].astype(np.int64)
        order = np.argsort(cols, kind="stable")
        return cols[order], m.data[lo:hi][order], []

    def _neighbourhood(
        self, rated: np.ndarray, targets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each target column: positions (into ``rated``) and similarities of its
        ``k`` most similar rated movies, best first; ties to the lower movie_id.
        Zero similarity marks an empty slot."""
        block = self._S[np.ix_(targets, rated)]
        k = min(self.k, len(rated))
        order = np.argsort(-block, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(block, order, axis=1)

    def baseline(self, user: int | Profile) -> float:
        """The rating the user's stars are compared with: "liked" means above this."""
        return self._baseline(self._profile(user)[1])

    def _baseline(self, stars: np.ndarray) -> float:
        """The user's mean rating shrunk towards the global mean by ``user_prior`` ratings."""
        return float(
            (stars.sum() + self.user_prior * self.global_mean) / (len(stars) + self.user_prior)
        )

    # ------------------------------------------------------------------ the interface

    def predict(self, users, movies) -> np.ndarray:
        """Predicted stars for aligned (user_id, movie_id) arrays.

        A pair without a usable neighbour gets the movie's mean; a movie unknown to
        the model gets the global mean. Predictions are clipped to 1..5.
        """
        self._fitted()
        users = np.asarray(users, dtype=np.int64).ravel()
        movies = np.asarray(movies, dtype=np.int64).ravel()
        if users.shape != movies.shape:
            raise ValueError(f"{len(users)} users but {len(movies)} movies: pass aligned arrays")
        out = np.full(len(users), self.global_mean)
        mpos, known_movie = locate(self.ratings_.movie_ids, movies)
        out[known_movie] = self._item_mean[mpos[known_movie]]
        uids = self.ratings_.user_ids
        upos, known_user = locate(uids, users)
        known = known_movie & known_user
        pairs = np.flatnonzero(known)
        pairs = pairs[np.argsort(upos[pairs], kind="stable")]
        rows, starts = np.unique(upos[pairs], return_index=True)
        groups = np.split(pairs, starts[1:]) if len(pairs) else []
        for row, sel in zip(rows, groups, strict=True):
            rated, stars, _ = self._profile(int(uids[row]))
            order, sims = self._neighbourhood(rated, mpos[sel])
            dev = (stars - self._item_mean[rated])[order]
            weight = sims.sum(axis=1)
            ok = weight > 0
            adjust = np.zeros(len(sel))
            adjust[ok] = (sims * dev).sum(axis=1)[ok] / weight[ok]
            out[sel] = self._item_mean[mpos[sel]] + adjust
        return np.clip(out, 1.0, 5.0)

    def scores(self, user: int | Profile) -> np.ndarray:
        """Ranking score of every movie for the user; NaN where no rated movie is a neighbour."""
        rated, stars, _ = self._profile(user)
        return self._scores(rated, stars, np.arange(len(self.ratings_.movie_ids)))[0]

    def _scores(
        self, rated: np.ndarray, stars: np.ndarray, targets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order, sims = self._neighbourhood(rated, targets)
        terms = sims * (stars - self._baseline(stars))[order]
        score = terms.sum(axis=1)
        score[~(sims > 0).any(axis=1)] = np.nan
        return score, order, terms

    def recommend(
        self, user: int | Profile, k: int = 10, exclude_seen: bool = True
    ) -> pd.DataFrame:
        """Top-k movies for a user id or a profile, each with the rated movies behind it.

        Columns: movie_id, score, ``because`` (up to ``reasons`` rated movie ids with the
        largest positive contribution, strongest first) and ``n_neighbours`` (rated movies
        in its neighbourhood). Profile movies nobody rated in training cannot count;
        their ids are listed in ``.attrs["ignored"]``. Only movies with a positive score
        are recommended, so the list can be shorter than ``k``; ties go to the lower
        movie_id.
        """
        self._fitted()
        check_k(k, len(self.ratings_.movie_ids))
        rated, stars, ignored = self._profile(user)
        targets = np.arange(len(self.ratings_.movie_ids))
        if exclude_seen:
            targets = np.setdiff1d(targets, rated)
        score, order, terms = self._scores(rated, stars, targets)
        score[~(score > 0)] = np.nan
        best = top_k(score, k)
        because, n_nb = [], []
        for b in best:
            rank = np.argsort(-terms[b], kind="stable")
            rank = rank[terms[b][rank] > 0][: self.reasons]
            because.append(tuple(int(m) for m in self.ratings_.movie_ids[rated[order[b][rank]]]))
            n_nb.append(int(np.count_nonzero(terms[b])))
        out = pd.DataFrame(
            {
                "movie_id": self.ratings_.movie_ids[targets[best]],
                "score": score[best],
                "because": because,
                "n_neighbours": np.array(n_nb, dtype=np.int64),
            },
            index=pd.RangeIndex(1, len(best) + 1, name="rank"),
        )
        out.attrs = {
            "baseline": self._baseline(stars),
            "n_rated": len(rated),
            "ignored": ignored,  # profile movies nobody rated in training: no neighbours
        }
        return out

    def rated(self, user: int | Profile) -> pd.Series:
        """The user's ratings the model can use (stars indexed by movie_id), best first."""
        rated, stars, _ = self._profile(user)
        out = pd.Series(stars, index=pd.Index(self.ratings_.movie_ids[rated], name="movie_id"))
        return out.sort_index().sort_values(ascending=False, kind="stable").rename("rating")

    def explain(self, user: int | Profile, movie_id: int) -> pd.DataFrame:
        """The rated movies behind one movie's score: rating, similarity, contribution."""
        rated, stars, _ = self._profile(user)
        target = self.ratings_.movie_index(movie_id)
        _, order, terms = self._scores(rated, stars, target)
        keep = terms[0] != 0
        cols = order[0][keep]
        out = pd.DataFrame(
            {
                "movie_id": self.ratings_.movie_ids[rated[cols]],
                "rating": stars[cols],
                "similarity": self._S[target[0], rated[cols]],
                "contribution": terms[0][keep],
            }
        )
        return out.sort_values(
            ["contribution", "movie_id"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)

    def similar_movies(self, movie_id: int, k: int = 10) -> pd.DataFrame:
        """The k most similar movies under the model's similarity: movie_id, score, n_common."""
        self._fitted()
        return self.similarity.most_similar(
            movie_id, k, self.method, self.min_common, self.shrinkage
        )


def seed_nearest_neighbors(ratings: RatingMatrix, movie_id: int, k: int = 10) -> pd.DataFrame:
    """The seed's method: scikit-learn ``NearestNeighbors(metric="cosine")`` on item vectors.

    Fits on the sparse movies × users matrix (the seed's ``csr_matrix(mat.T.values)``
    without the dense detour) and returns the ``k`` nearest other movies with their
    cosine distances, nearest first.
    """
    check_k(k, len(ratings.movie_ids) - 1)
    items = ratings.matrix.T.tocsr()
    col = ratings.movie_index(movie_id)[0]
    if items[col].nnz == 0:
        raise ValueError(f"nobody rated movie_id {movie_id}: it has no neighbours")
    knn = NearestNeighbors(metric="cosine", algorithm="brute").fit(items)
    distances, indices = knn.kneighbors(items[col], n_neighbors=k + 1)
    found = pd.DataFrame({"movie_id": ratings.movie_ids[indices[0]], "distance": distances[0]})
    found = found[found["movie_id"] != movie_id].head(k)
    return found.set_index(pd.RangeIndex(1, len(found) + 1, name="rank"))
