"""The interface every recommender offers, written once: models write only their formula.

Learned from scikit-surprise's ``AlgoBase`` and LensKit's components. The public calls
live here and nowhere else:

- ``fit(ratings)`` — the canonical ratings table (user_id, movie_id, rating, ...);
- ``predict(users, movies)`` — predicted stars for aligned id arrays (star models);
- ``scores(user)`` / ``scores_many(users)`` — one ranking score per known movie;
- ``recommend(user, n)`` — the top-n unseen movies for a user id or a new user's
  :data:`Profile` (``{movie_id: stars}``), with the model's evidence columns;
- ``similar_movies(movie_id, n)`` — where the model has a notion of item similarity.

The base owns everything that is not a model's own idea: the fitted check, turning a
user id or a profile into rated columns (:class:`Target`), aligned-array and ``n``
checks, id lookup for predictions (:class:`Pairs`), clipping stars to the scale,
excluding seen movies, cutting the list and a default batch path. A model implements
private hooks — ``_fit``, ``_score`` (and ``_score_rows`` when it has a faster batch
path), ``_estimate`` for star models, ``_similar`` — and declares what it can do in
class attributes that the evaluation, the CLI and the notebooks read:

``predicts_ratings``
    ``predict`` answers "how many stars?" (``_estimate``);
``predicts_unknown``
    ``predict`` has a fallback for ids not seen in training;
``clips_predictions``
    ``predict`` is clipped to the 1-5 star scale (False only for the seed's model,
    reproduced as published);
``ranks``
    ``scores``/``recommend`` give a ranking (False for the global mean);
``ranks_by_score``
    the top-n is the highest ``scores`` with ties by column, so a block of users can
    be ranked from ``scores_many``; False when ``recommend`` filters or breaks ties its
    own way (then the evaluation asks ``recommend`` user by user);
``accepts_profiles``
    a new user's profile can be scored without refitting;
``has_similar_movies``
    ``similar_movies`` is defined;
``ranking_score``
    what the top-n is sorted by, in a few words (:data:`PREDICTED_STARS` for models
    that rank by their star predictions); notebook 07 groups models by it.

Fitted attributes end in ``_``; ``ratings_`` (the training :class:`RatingMatrix`) is
the one every model has, and its presence is what "fitted" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix, locate
from zeerec.ranking import check_n, top_n

Profile = Mapping[int, float]  # a new user's ratings: {movie_id: stars}
STAR_SCALE = (1.0, 5.0)
HALF_STAR_SCALE = (0.5, 5.0)  # ML-10M and later: half stars from 0.5
PREDICTED_STARS = "predicted stars"
"""The ``ranking_score`` of a model whose top-n is its highest star predictions."""


class NotFittedError(RuntimeError):
    """A model was asked for results before ``fit``."""


@dataclass(frozen=True)
class Target:
    """A user as a model sees them: the rated columns it knows and their stars.

    ``cols``/``stars`` are in the user's own order (an existing user's row in column
    order, a profile in the order it was given); ``row`` is the existing user's row
    (None for a profile); ``unknown`` lists profile movie ids the model never saw;
    ``all_stars`` holds every star the user gave, known movie or not; ``user`` is the id
    or profile as it was passed, for models that delegate to other models.
    """

    cols: np.ndarray
    stars: np.ndarray
    row: int | None
    unknown: tuple[int, ...]
    all_stars: np.ndarray
    user: Any


@dataclass(frozen=True)
class Pairs:
    """Aligned (user, movie) ids and where the model has each: positions and known flags."""

    users: np.ndarray
    movies: np.ndarray
    user_pos: np.ndarray
    user_known: np.ndarray
    movie_pos: np.ndarray
    movie_known: np.ndarray

    @property
    def both_known(self) -> np.ndarray:
        return self.user_known & self.movie_known


def star_scale(ratings: pd.DataFrame) -> tuple[float, float]:
    """The lowest and highest star of a ratings table's scale: 0.5-5 when it has half
    stars (ML-10M and later), else 1-5."""
    half = bool((np.asarray(ratings["rating"], dtype=np.float64) % 1).any())
    return HALF_STAR_SCALE if half else STAR_SCALE


def aligned(users, movies) -> tuple[np.ndarray, np.ndarray]:
    """Two id arrays of the same length, flattened, or a ValueError saying they differ."""
    users, movies = np.asarray(users).ravel(), np.asarray(movies).ravel()
    if users.shape != movies.shape:
        raise ValueError(f"{users.size} users but {movies.size} movies: pass aligned arrays")
    return users, movies


def same_settings(a: Recommender, b: Recommender) -> bool:
    """Whether two models are of one class and built with equal settings (models inside
    the settings, as the hybrid's, compared the same way; arrays and frames by value)."""
    return type(a) is type(b) and _equal(a.init_settings(), b.init_settings())


def _equal(x: Any, y: Any) -> bool:
    if isinstance(x, Recommender) or isinstance(y, Recommender):
        return isinstance(x, Recommender) and isinstance(y, Recommender) and same_settings(x, y)
    if isinstance(x, Mapping) and isinstance(y, Mapping):
        return x.keys() == y.keys() and all(_equal(x[key], y[key]) for key in x)
    if isinstance(x, pd.DataFrame | pd.Series) or isinstance(y, pd.DataFrame | pd.Series):
        return type(x) is type(y) and x.equals(y)
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(x, y)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return type(x) is type(y) and len(x) == len(y) and all(map(_equal, x, y))
    return bool(x == y)


class Recommender:
    """Base of every model; see the module docstring for the hooks and capabilities."""

    name: ClassVar[str] = "recommender"
    predicts_ratings: ClassVar[bool] = False
    predicts_unknown: ClassVar[bool] = True
    clips_predictions: ClassVar[bool] = True
    ranks: ClassVar[bool] = True
    ranks_by_score: ClassVar[bool] = True
    accepts_profiles: ClassVar[bool] = True
    has_similar_movies: ClassVar[bool] = False
    not_ranking_reason: ClassVar[str] = ""  # said when asked to rank (ranks False)
    no_profile_reason: ClassVar[str] = ""  # said when given a profile (accepts_profiles False)

    ratings_: RatingMatrix

    @property
    def ranking_score(self) -> str:
        """What ``recommend`` sorts by, in a few words (a model may say more precisely)."""
        return PREDICTED_STARS if self.predicts_ratings else f"{self.name}'s own score"

    # ------------------------------------------------------------------ fitting

    def fit(self, ratings: pd.DataFrame) -> Self:
        """Learn from the ratings table; returns the model, so ``Model().fit(r)`` chains."""
        if len(ratings) == 0:
            raise ValueError(f"cannot fit {self.name} on an empty ratings table")
        self._fit(ratings)
        self.star_range_ = star_scale(ratings)  # the data's scale
        return self

    def offer_fitted(self, fitted: Mapping[str, Recommender]) -> None:
        """Models already fitted on the ratings this model is about to be fitted on, by
        registry name (the evaluation harness offers what it fitted on the same split).

        A model built from other models (the rating blend) may use them instead of
        fitting its own; every other model ignores the offer.
        """

    def init_settings(self) -> dict[str, Any]:
        """What the model was built with: its attributes that are neither private nor
        fitted (fitted ones end in ``_``). Two models of one class with equal settings
        learn the same thing from the same ratings."""
        return {
            key: value
            for key, value in vars(self).items()
            if not key.startswith("_") and not key.endswith("_")
        }

    def clip_stars(self, values) -> np.ndarray:
        """``values`` clipped to the star scale of the ratings the model learnt from."""
        low, high = getattr(self, "star_range_", STAR_SCALE)  # a loaded model: whole stars
        return np.clip(np.asarray(values, dtype=np.float64), low, high)

    def _fit(self, ratings: pd.DataFrame) -> None:
        raise NotImplementedError

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "ratings_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted: call fit(ratings) first")

    # ------------------------------------------------------------------ stars

    def predict(self, users, movies) -> np.ndarray:
        """Predicted stars for aligned id arrays, clipped to the data's star scale (1-5 on
        ML-1M and 100K, 0.5-5 when the training ratings have half stars)."""
        self._check_fitted()
        if not self.predicts_ratings:
            raise NotImplementedError(f"{self.name} does not predict ratings")
        est = np.asarray(self._estimate(self.pairs(users, movies)), dtype=np.float64)
        return self.clip_stars(est) if self.clips_predictions else est

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        raise NotImplementedError

    def pairs(self, users, movies) -> Pairs:
        """Resolve aligned ids to the model's rows and columns (with known flags)."""
        users, movies = aligned(users, movies)
        upos, uok = locate(self.ratings_.user_ids, users)
        mpos, mok = locate(self.ratings_.movie_ids, movies)
        return Pairs(users, movies, upos, uok, mpos, mok)

    def knows(self, users, movies) -> np.ndarray:
        """For aligned id arrays: True where both the user and the movie were in training."""
        self._check_fitted()
        return self.pairs(users, movies).both_known

    # ------------------------------------------------------------------ ranking

    def target(self, user: int | Profile) -> Target:
        """An existing user id or a ``{movie_id: stars}`` profile as rated columns."""
        self._check_fitted()
        if isinstance(user, Mapping):
            if not self.accepts_profiles:
                raise NotImplementedError(
                    self.no_profile_reason or f"{self.name} cannot score a new user's profile"
                )
            if not user:
                raise ValueError("the profile is empty: rate at least one movie")
            ids = np.array([int(m) for m in user], dtype=np.int64)
            stars = np.array([float(user[m]) for m in user], dtype=np.float64)
            if not np.all(np.isfinite(stars)):
                raise ValueError("profile ratings must be finite numbers of stars")
            pos, ok = locate(self.ratings_.movie_ids, ids)
            return Target(pos[ok], stars[ok], None, tuple(ids[~ok].tolist()), stars, user)
        row = int(self.ratings_.user_index(user)[0])
        m = self.ratings_.matrix
        sl = slice(m.indptr[row], m.indptr[row + 1])
        cols, stars = m.indices[sl].astype(np.int64), m.data[sl]
        return Target(cols, stars, row, (), stars, user)

    def scores(self, user: int | Profile) -> np.ndarray:
        """One score per movie of :attr:`movie_ids` (higher = recommend first; NaN = never)."""
        self._check_ranks()
        return np.asarray(self._score(self.target(user)), dtype=np.float64)

    def scores_many(self, users) -> np.ndarray:
        """Scores of many existing users at once (users × movies); row i is ``scores(users[i])``."""
        self._check_ranks()
        rows = self.ratings_.user_index(users)
        return np.asarray(self._score_rows(rows), dtype=np.float64)

    def _score(self, target: Target) -> np.ndarray:
        raise NotImplementedError

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        """Scores for existing users' rows; a model with a faster batch path overrides this."""
        ids = self.ratings_.user_ids[rows]
        if len(ids) == 0:
            return np.empty((0, len(self.ratings_.movie_ids)))
        return np.vstack([self._score(self.target(int(u))) for u in ids])

    def _check_ranks(self) -> None:
        self._check_fitted()
        if not self.ranks:
            raise NotImplementedError(self.not_ranking_reason or f"{self.name} does not rank")

    def recommend(
        self, user: int | Profile, n: int = 10, exclude_seen: bool = True
    ) -> pd.DataFrame:
        """The top-n movies for a user id or a profile: movie_id, score, evidence columns.

        The index is the rank (1 = best). Movies the user rated are left out unless
        ``exclude_seen`` is False; movies with no finite ranking score never appear, so
        the list can be shorter than ``n``.
        """
        self._check_ranks()
        check_n(n, len(self.ratings_.movie_ids))
        target = self.target(user)
        scores = np.array(self._score(target), dtype=np.float64)
        key = self._rank_key(scores)
        if exclude_seen:
            key[target.cols] = -np.inf
        top = top_n(key, n, self._tie_break())
        out = pd.DataFrame({"movie_id": self.ratings_.movie_ids[top], "score": scores[top]})
        columns, attrs = self._evidence(target, top, scores)
        for name, values in columns.items():
            out[name] = values
        out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
        out.attrs.update(attrs)
        return out

    def _rank_key(self, scores: np.ndarray) -> np.ndarray:
        """What the list is sorted by (a copy of ``scores`` unless the model filters)."""
        return scores.copy()

    def _tie_break(self) -> np.ndarray | None:
        """Per column, what decides between equal keys (larger first); None: column order."""
        return None

    def _evidence(
        self, target: Target, top: np.ndarray, scores: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Extra columns for the top-n rows and ``attrs`` for the frame (none by default)."""
        return {}, {}

    def seen(self, user: int | Profile) -> np.ndarray:
        """Column positions the user has already rated (profile movies the model knows)."""
        return self.target(user).cols

    # ------------------------------------------------------------------ similar movies

    def similar_movies(self, movie_id: int, n: int = 10, **options: Any) -> pd.DataFrame:
        """The n movies most like ``movie_id`` under the model's own notion of similarity;
        ``options`` are the model's own (e.g. the MF models' ``min_ratings``)."""
        self._check_fitted()
        if not self.has_similar_movies:
            raise NotImplementedError(f"{self.name} has no movie-to-movie similarity")
        check_n(n, len(self.ratings_.movie_ids) - 1)
        col = int(self.ratings_.movie_index(movie_id)[0])
        out = self._similar(col, n, **options)
        out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
        return out

    def _similar(self, col: int, n: int, **options: Any) -> pd.DataFrame:
        raise NotImplementedError
