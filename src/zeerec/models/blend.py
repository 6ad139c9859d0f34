"""Blends: of star models for stars (:class:`RatingBlend`, the Netflix Prize lesson) and
of ranking models for top-k lists (:class:`RankingBlend`).

The rating blend. Different rating models make different mistakes, so a weighted sum
of their predictions beats each one (Töscher, Jahrer & Bell 2009; Koren 2009). For a pair
(u, i)::

    pred(u, i) = w_0 + Σ_m (w_m + v_m·s_u + z_m·s_i) · pred_m(u, i) + a·s_u + b·s_i

where ``s_u`` and ``s_i`` are the standardised log of the user's and the movie's
number of training ratings: a model's weight may depend on how much evidence there is
about the pair (the "support" meta-features of the Prize blends), so, say, the
neighbourhood models can count for more on well-known movies.

A component that ranks but predicts no stars (implicit ALS by default) enters as its
score for the pair in standard deviations above the user's mean score over the
catalogue (0 where the model does not know the user or the movie): how strongly a
who-watched-what model expects this user to pick this movie. People rate what they
chose to watch, and choose what they expect to like, so that signal carries
information about the stars the star models, trained on the stars alone, do not use
(Koren 2008's SVD++ argument). Measured on validation only (5-fold cross-validation
within the carving of step 1, split seed 42): the blend's RMSE went 0.9131 → 0.9116 on
ML-100K and 0.8611 → 0.8605 on the ML-1M slice with implicit ALS added; EASE's and
RP3beta's scores added less, and both together no more than ALS alone.

The weights are learned where the models cannot have memorised the answers:

1. each user's training ratings are split again (``1 − validation_size`` /
   ``validation_size``, :func:`zeerec.splits.stratified_split`, seeded);
2. every component is fitted on the larger part and predicts the held-out part;
3. ``w`` is the ridge least-squares fit of the held-out stars on those predictions
   (an intercept, penalty ``ridge`` on the other weights);
4. every component is fitted again on all the training ratings, and the blend
   predicts with those fits and the weights of step 3. A component the caller has
   already fitted on these ratings with the same settings (the evaluation harness
   offers what it fitted on the same split, :meth:`offer_fitted`) is used as it is
   instead of being fitted twice: the same fit, so the same predictions.

The test split is never seen. The rating blend predicts stars only: it does not rank
(a top-k list sorted by predicted stars is what the ranking models are for) and takes
no new-user profile. The ranking blend is described on its class.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from zeerec.models.base import Pairs, Recommender, same_settings, star_scale
from zeerec.splits import stratified_split

DEFAULT_COMPONENTS = (
    "bias baseline",
    "item-kNN pearson",
    "user-kNN",
    "improved MF",
    "implicit ALS",
)
SCORE_BLOCK = 1000
"""Users whose whole score rows a ranking component computes at a time."""


class RatingBlend(Recommender):
    """Weighted sum of star models' predictions, weights from a validation carving.

    Args:
        components: registry names of the models to blend: star models (their predicted
            stars) and ranking models (their score, standardised per user).
        validation_size: share of each user's training ratings the weights are fitted on.
        ridge: L2 penalty on the weights (not on the intercept), in units of validation
            ratings: a few make the weights steady without moving them much.
        seed: the carving's seed and the Keras components' seed.
        mf_epochs: cap on the Keras components' epochs (None: their own settings).

    Attributes:
        weights_: the intercept and every feature's weight (a Series);
        components_: the components fitted on all training ratings;
        reused_: the components of ``components_`` that were offered already fitted
            (their fitting time is not in the blend's). They are the caller's objects:
            refitting one of them later changes the blend's predictions too.
        validation_rmse_: each star component's and the blend's RMSE on the carving.
    """

    name = "rating blend"
    predicts_ratings = True
    ranks = False
    not_ranking_reason = (
        "the rating blend answers 'how many stars?'; its top-k would be sorted by predicted "
        "stars, which the ranking models do better"
    )
    accepts_profiles = False
    no_profile_reason = "the rating blend's components are refitted, not folded in"

    def __init__(
        self,
        components: Sequence[str] = DEFAULT_COMPONENTS,
        validation_size: float = 0.1,
        ridge: float = 5.0,
        seed: int = 42,
        mf_epochs: int | None = None,
    ):
        if not components:
            raise ValueError("a blend needs at least one component")
        if not 0 < validation_size < 1:
            raise ValueError(f"validation_size must be between 0 and 1, got {validation_size!r}")
        if ridge < 0:
            raise ValueError(f"ridge must be >= 0, got {ridge!r}")
        self.components = tuple(components)
        self.validation_size, self.ridge = float(validation_size), float(ridge)
        self.seed, self.mf_epochs = int(seed), mf_epochs
        self._offered: dict[str, Recommender] = {}

    def offer_fitted(self, fitted: Mapping[str, Recommender]) -> None:
        """Components already fitted on the ratings the blend is about to be fitted on;
        each is used in step 4 when its class and settings are the blend's own."""
        self._offered = {name: fitted[name] for name in self.components if name in fitted}

    def _make(self, name: str) -> Recommender:
        from zeerec.models import registry

        settings = {}
        if self.mf_epochs is not None and name == "improved MF":
            settings = {"epochs": self.mf_epochs, "refit": False}
        model = registry.create(name, seed=self.seed, **settings)
        if not (model.predicts_ratings or model.ranks):
            raise ValueError(
                f"{name} neither predicts stars nor ranks movies: it has nothing to blend"
            )
        return model

    def _fit(self, ratings: pd.DataFrame) -> None:
        offered, self._offered = self._offered, {}  # an offer holds for this fit only
        part, valid = stratified_split(ratings, test_size=self.validation_size, seed=self.seed)
        users, movies = valid["user_id"].to_numpy(), valid["movie_id"].to_numpy()
        truth = valid["rating"].to_numpy(np.float64)
        columns, stars = [], []  # each component's feature; which of them are stars
        for j, name in enumerate(self.components):
            model = self._make(name).fit(part)
            columns.append(_column(model, users, movies))
            if model.predicts_ratings:
                stars.append(j)
        preds = np.column_stack(columns)
        self._support = {  # log ratings per user and per movie, and their mean and sd
            key: np.log1p(part.groupby(key).size()) for key in ("user_id", "movie_id")
        }
        X = self._features(preds, users, movies)
        self.weights_ = pd.Series(_ridge_with_intercept(X, truth, self.ridge), index=self._names())
        fitted = X @ self.weights_.to_numpy()[1:] + self.weights_["intercept"]
        rmse = np.sqrt(((preds[:, stars] - truth[:, None]) ** 2).mean(axis=0))
        self.validation_rmse_ = pd.Series(
            [*rmse, np.sqrt(((np.clip(fitted, *star_scale(ratings)) - truth) ** 2).mean())],
            index=[*(self.components[j] for j in stars), "blend"],
        )
        self.components_, self.reused_ = _fitted_components(
            {name: self._make(name) for name in self.components}, offered, ratings
        )
        self.ratings_ = next(iter(self.components_.values())).ratings_

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        preds = np.column_stack(
            [_column(m, pairs.users, pairs.movies) for m in self.components_.values()]
        )
        X = self._features(preds, pairs.users, pairs.movies)
        return X @ self.weights_.to_numpy()[1:] + self.weights_["intercept"]

    def _features(self, preds: np.ndarray, users, movies) -> np.ndarray:
        """The predictions, each times the user's and the movie's support, and the two
        supports (standardised log counts in the carving; unknown ids count 0)."""
        s = []
        for key, ids in (("user_id", users), ("movie_id", movies)):
            logs = self._support[key]
            x = logs.reindex(np.asarray(ids)).fillna(0.0).to_numpy()
            s.append((x - logs.mean()) / max(float(logs.std()), 1e-12))
        s_u, s_i = s
        return np.column_stack([preds, preds * s_u[:, None], preds * s_i[:, None], s_u, s_i])

    def _names(self) -> list[str]:
        names = list(self.components)
        return [
            "intercept",
            *names,
            *(f"{n} × user support" for n in names),
            *(f"{n} × movie support" for n in names),
            "user support",
            "movie support",
        ]


class RankingBlend(Recommender):
    """Top-k lists from a weighted sum of ranking models' scores, each per user standardised.

    For a user ``u`` and a movie ``i``::

        score(u, i) = Σ_m w_m · (s_m(u, i) − mean_j s_m(u, j)) / sd_j s_m(u, j)

    over implicit ALS (weight 1), RP3beta (``rp3beta_weight``), Mult-VAE
    (``vae_weight``) and EASE (``ease_weight``), the mean and sd over every movie the
    component scores for that user (the catalogue, the user's rated movies included).
    Standardising puts scores on different scales (a dot product, a random-walk
    probability, a logit) on one; a weight of 0 leaves that model out (it is not
    fitted). A movie a component scores NaN ("never") is never recommended.

    The default weights were chosen by hand on validation carvings of the training
    split (ML-100K split seeds 42 and 43, the ML-1M slice seed 42; BENCHMARKS.md
    "Ranking blend"); they are declared as registry knobs, so ``tune_all.py`` can
    search them, which has not been done. The components run with their registry
    values, those chosen for new users' profiles when ``for_profiles`` (what
    ``registry.create(..., profiles=True)`` passes). A new user's profile is scored by
    each component (all four take one) and combined the same way.

    Attributes:
        components_: the fitted components by registry name;
        reused_: those that were offered already fitted on the same ratings
            (:meth:`offer_fitted`; their fitting time is not in the blend's).
    """

    name = "ranking blend"
    predicts_ratings = False
    accepts_profiles = True

    def __init__(
        self,
        rp3beta_weight: float = 0.5,
        vae_weight: float = 1.0,
        ease_weight: float = 0.0,
        seed: int = 42,
        for_profiles: bool = False,
    ):
        weights = (rp3beta_weight, vae_weight, ease_weight)
        if not all(np.isfinite(w) and w >= 0 for w in weights):
            raise ValueError(f"the weights must be finite and >= 0, got {weights}")
        self.rp3beta_weight, self.vae_weight = float(rp3beta_weight), float(vae_weight)
        self.ease_weight, self.seed = float(ease_weight), int(seed)
        self.for_profiles = bool(for_profiles)
        self._offered: dict[str, Recommender] = {}

    @property
    def ranking_score(self) -> str:
        """What the top-n is sorted by: the components and their weights."""
        terms = " + ".join(f"{w:g}·{name}" for name, w in self.weights.items())
        return f"{terms}, each score standardised per user"

    @property
    def weights(self) -> dict[str, float]:
        """Each component's weight, the ones left out (weight 0) not listed."""
        every = {
            "implicit ALS": 1.0,
            "RP3beta": self.rp3beta_weight,
            "Mult-VAE": self.vae_weight,
            "EASE": self.ease_weight,
        }
        return {name: w for name, w in every.items() if w > 0}

    def offer_fitted(self, fitted: Mapping[str, Recommender]) -> None:
        """Components already fitted on the ratings about to be fitted on (see
        :meth:`RatingBlend.offer_fitted`)."""
        self._offered = {name: fitted[name] for name in self.weights if name in fitted}

    def _fit(self, ratings: pd.DataFrame) -> None:
        from zeerec.models import registry

        offered, self._offered = self._offered, {}
        fresh = {
            name: registry.create(name, seed=self.seed, profiles=self.for_profiles)
            for name in self.weights
        }
        self.components_, self.reused_ = _fitted_components(fresh, offered, ratings)
        self.ratings_ = next(iter(self.components_.values())).ratings_

    def _combine(self, score_rows: Mapping[str, np.ndarray]) -> np.ndarray:
        total = 0.0
        for name, scores in score_rows.items():
            total = total + self.weights[name] * _standardised_rows(scores)
        return total  # NaN where a component scores NaN ("never")

    def _score(self, target) -> np.ndarray:
        return self._combine(
            {n: m.scores(target.user)[None, :] for n, m in self.components_.items()}
        )[0]

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        ids = self.ratings_.user_ids[rows]
        return self._combine({n: m.scores_many(ids) for n, m in self.components_.items()})


def _fitted_components(
    fresh: Mapping[str, Recommender], offered: Mapping[str, Recommender], ratings: pd.DataFrame
) -> tuple[dict[str, Recommender], list[str]]:
    """Each unfitted model fitted on ``ratings``, or the offered model of that name when
    it has the same class and settings and learnt from these ratings; and the names
    taken from the offer."""
    fitted, reused = {}, []
    for name, model in fresh.items():
        given = offered.get(name)
        if (
            given is not None
            and given.is_fitted
            and same_settings(given, model)
            and _learnt_from(given, ratings)
        ):
            fitted[name] = given
            reused.append(name)
        else:
            fitted[name] = model.fit(ratings)
    return fitted, reused


def _column(model: Recommender, users, movies) -> np.ndarray:
    """A component's feature for aligned pairs: predicted stars, or the standardised score."""
    if model.predicts_ratings:
        return model.predict(users, movies)
    return user_standardised_scores(model, users, movies)


def user_standardised_scores(model: Recommender, users, movies) -> np.ndarray:
    """A ranking model's score of each (user, movie) pair, in standard deviations above
    that user's mean score over every movie the model scores for them (the catalogue,
    rated movies included): 0 where the model knows the user or the movie not, or
    scores the pair NaN ("never")."""
    model._check_ranks()
    pairs = model.pairs(users, movies)
    out = np.zeros(len(pairs.users))
    known = np.flatnonzero(pairs.both_known)
    rows, cols = pairs.user_pos[known], pairs.movie_pos[known]
    distinct, which = np.unique(rows, return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(0, len(distinct) + SCORE_BLOCK, SCORE_BLOCK))
    for b, start in enumerate(range(0, len(distinct), SCORE_BLOCK)):
        block = distinct[start : start + SCORE_BLOCK]
        z = _standardised_rows(model.scores_many(model.ratings_.user_ids[block]))
        take = order[bounds[b] : bounds[b + 1]]
        out[known[take]] = np.nan_to_num(z[which[take] - start, cols[take]], nan=0.0)
    return out


def _standardised_rows(scores: np.ndarray) -> np.ndarray:
    """Each row in standard deviations above its mean over its finite entries; NaN where
    a score is not finite ("never"), 0 across a row whose scores are all equal."""
    scores = np.where(np.isfinite(scores), scores, np.nan)
    with warnings.catch_warnings():  # a row with no finite score at all: NaN throughout
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(scores, axis=1, keepdims=True)
        sd = np.nanstd(scores, axis=1, keepdims=True)
    return (scores - mean) / np.where(sd > 0, sd, np.inf)


def _ridge_with_intercept(X: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """``[w_0, w_1, …]`` minimising ‖y − w_0 − X·w‖² + ridge·‖w‖² (intercept unpenalised)."""
    A = np.column_stack([np.ones(len(X)), X])
    penalty = np.full(A.shape[1], ridge)
    penalty[0] = 0.0
    return np.linalg.solve(A.T @ A + np.diag(penalty), A.T @ y)


def _learnt_from(model: Recommender, ratings: pd.DataFrame) -> bool:
    """Whether ``model`` was fitted on these ratings: the same users, movies, number of
    (user, movie) cells and sum of stars (a cheap check; the harness offers only fits it
    made on the same table)."""
    m = model.ratings_
    return (
        np.array_equal(m.user_ids, np.unique(ratings["user_id"]))
        and np.array_equal(m.movie_ids, np.unique(ratings["movie_id"]))
        and m.matrix.nnz == len(ratings.drop_duplicates(["user_id", "movie_id"]))
        and bool(np.isclose(m.matrix.data.sum(), ratings["rating"].sum()))
    )
