"""Content-based recommendations: movies that look like the ones you rated highly.

A movie is described by what the catalogue knows about it — its genres and its release
decade — not by who rated it, so this works for a user with one rating and for movies
nobody has rated yet. The price is coarseness: many movies share the same genres and
decade, and content alone cannot tell a good comedy from a bad one.

- **Movie features** (:func:`content_features`): the multi-hot genre flags, optionally
  TF-IDF weighted (a rare genre such as Film-Noir says more than Comedy or Drama),
  scaled to unit length; plus the one-hot release decade scaled to ``decade_weight``
  (0 = genres only); each row then scaled to unit length.
- **User profile**: the sum of the rated movies' features weighted by the user's
  mean-centred stars, so movies rated above the user's average pull the profile
  towards their genres and those rated below push it away. The "user's average" is
  shrunk towards the catalogue's mean rating with ``prior_ratings`` phantom ratings
  (the weighted-rating idea of notebook 02 applied to users): with a long history it
  is the user's own mean, but with four ratings that are all comedies, centring on
  their own mean would cancel exactly what they have in common — the comedy — and
  leave only their differences. ``prior_ratings=0`` centres on the plain user mean.
  When every centred star is zero anyway, the stars are centred on the catalogue's
  mean, so one 5-star rating still means "more like this".
- **Score**: the cosine between the profile and each movie. Ties (movies with the very
  same genres and decade) are broken by the weighted rating of notebook 02 (movies
  nobody rated come after every rated one), then by movie id, so the list is
  deterministic and leans towards movies people liked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zeerec.features import GENRES, decade, genre_matrix, movie_stats
from zeerec.matrix import RatingMatrix
from zeerec.models.base import Profile, Recommender, Target


def content_features(
    movies: pd.DataFrame, tfidf: bool = True, decade_weight: float = 0.5
) -> pd.DataFrame:
    """One unit-length row per movie: genre part (optionally TF-IDF) + release decade part.

    ``decade_weight`` is the length of the decade part relative to the genre part
    (0 drops it; 1 makes "same decade" count as much as "same genres"). A movie with
    neither genres nor year is an all-zero row (it scores 0 against every profile).
    """
    if not np.isfinite(decade_weight) or decade_weight < 0:
        raise ValueError(f"decade_weight must be a number >= 0, got {decade_weight!r}")
    g = genre_matrix(movies).to_numpy(dtype=np.float64)
    if tfidf:
        n = len(g)
        df = g.sum(axis=0)
        g = g * (np.log((1 + n) / (1 + df)) + 1.0)  # smoothed idf, as scikit-learn's
    g = _unit_rows(g)
    parts = [g]
    columns = list(GENRES)
    if decade_weight > 0:
        dec = decade(movies["year"].reset_index(drop=True))
        onehot = pd.get_dummies(dec).to_numpy(dtype=np.float64)
        parts.append(onehot * decade_weight)
        columns += [str(c) for c in dec.cat.categories]
    x = _unit_rows(np.hstack(parts))
    return pd.DataFrame(
        x,
        index=pd.Index(movies["movie_id"].to_numpy(dtype=np.int64), name="movie_id"),
        columns=columns,
    )


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


class ContentBased(Recommender):
    """Rank movies by cosine between their genre/decade features and the user's profile.

    Args:
        movies: the movies table (genres, year); every movie in it can be recommended,
            rated or not.
        tfidf: weight genres by rarity (see :func:`content_features`).
        decade_weight: length of the decade part relative to the genre part.
        prior_ratings: phantom ratings at the catalogue mean that a user's mean is
            shrunk with before centring their stars (see the module docstring).

    Attributes:
        features_: one unit-length feature row per movie of ``ratings_``.
        quality_: notebook 02's weighted rating per movie (NaN: nobody rated it),
            the tie-break between equal cosines; n_ratings_: training ratings per movie.
    """

    name = "content"
    ranking_score = "cosine of genres/decade with the user's taste"
    ranks_by_score = False  # ties between equal cosines go to the better-rated movie
    has_similar_movies = True

    def __init__(
        self,
        movies: pd.DataFrame,
        tfidf: bool = True,
        decade_weight: float = 0.5,
        prior_ratings: float = 5.0,
    ):
        if not np.isfinite(prior_ratings) or prior_ratings < 0:
            raise ValueError(f"prior_ratings must be a number >= 0, got {prior_ratings!r}")
        self.movies = movies
        self.tfidf, self.decade_weight = tfidf, decade_weight
        self.prior_ratings = float(prior_ratings)

    def _fit(self, ratings: pd.DataFrame) -> None:
        catalogue = np.union1d(
            self.movies["movie_id"].to_numpy(dtype=np.int64),
            ratings["movie_id"].to_numpy(dtype=np.int64),
        )
        self.ratings_ = RatingMatrix.from_ratings(ratings, movie_ids=catalogue)
        feats = content_features(self.movies, self.tfidf, self.decade_weight)
        self.features_ = feats.reindex(self.ratings_.movie_ids, fill_value=0.0)
        self._f = self.features_.to_numpy()
        self.global_mean_ = float(ratings["rating"].mean())
        stats = movie_stats(ratings, self.movies)
        ids = self.ratings_.movie_ids
        self.quality_ = stats["weighted_rating"].reindex(ids).to_numpy(np.float64)
        self.n_ratings_ = stats["n_ratings"].reindex(ids).fillna(0).to_numpy(dtype=np.int64)
        info = self.movies.drop_duplicates("movie_id").set_index("movie_id").reindex(ids)
        self._genres = np.array(
            ["|".join(g) if isinstance(g, list | tuple) else "" for g in info["genres"]],
            dtype=object,
        )
        self._decades = decade(pd.Series(info["year"].to_numpy())).astype("string").to_numpy()

    # ------------------------------------------------------------------ profile

    def weights(self, target: Target) -> np.ndarray:
        """The target's centred stars: the profile's weights (see the module docstring)."""
        stars = target.stars
        if len(stars) == 0:
            return stars
        n = len(stars)
        prior = self.prior_ratings * self.global_mean_
        w = stars - (stars.sum() + prior) / (n + self.prior_ratings)
        if np.allclose(w, 0):
            w = stars - self.global_mean_
        return w

    def profile_vector(self, user: int | Profile) -> pd.Series:
        """The user's taste in feature space (genre and decade weights, unnormalised)."""
        target = self.target(user)
        v = self.weights(target) @ self._f[target.cols]
        return pd.Series(v, index=self.features_.columns, name="weight")

    # ------------------------------------------------------------------ the hooks

    def _score(self, target: Target) -> np.ndarray:
        """Cosine between the profile and every movie (0 for an all-zero profile)."""
        w = self.weights(target)
        v = w @ self._f[target.cols] if len(target.cols) else np.zeros(self._f.shape[1])
        norm = np.linalg.norm(v)
        if norm == 0:
            return np.zeros(len(self._f))
        return self._f @ (v / norm)  # feature rows are unit length already

    def _rank_key(self, scores: np.ndarray) -> np.ndarray:
        return np.round(scores, 9)  # exact feature ties must compare equal

    def _tie_break(self) -> np.ndarray:
        """Better weighted rating first; movies nobody rated after every rated one."""
        return np.nan_to_num(self.quality_, nan=-np.inf)

    def _evidence(
        self, target: Target, top: np.ndarray, scores: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Genres, decade, the closest movie the user liked, weighted rating, ratings."""
        liked = target.cols[self.weights(target) > 0]
        because = pd.array([pd.NA] * len(top), dtype="Int64")
        if len(liked):
            sim = self._f[top] @ self._f[liked].T
            because = pd.array(self.ratings_.movie_ids[liked[np.argmax(sim, axis=1)]], "Int64")
        columns = {
            "genres": self._genres[top],
            "decade": self._decades[top],
            "closest_liked": because,
            "weighted_rating": self.quality_[top],
            "n_ratings": self.n_ratings_[top],
        }
        return columns, {}

    def _similar(self, col: int, n: int) -> pd.DataFrame:
        """Movies with the most similar genres and decade (ties by weighted rating)."""
        s = self._f @ self._f[col]
        key = np.round(s, 9)
        key[col] = -np.inf
        order = np.lexsort((np.arange(len(s)), -self._tie_break(), -key))[:n]
        return pd.DataFrame({"movie_id": self.ratings_.movie_ids[order], "score": s[order]})
