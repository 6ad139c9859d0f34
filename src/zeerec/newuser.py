"""Recommendations for a new user, four ways, shared by notebook 06 and ``zeerec recommend``.

- ``user``: user-based CF (:class:`~zeerec.models.userknn.UserKNN`) — people who rated
  your movies like you did;
- ``mf``: matrix-factorisation fold-in (:class:`~zeerec.models.foldin.MFFoldIn`) —
  your taste vector solved against the trained model's movie factors;
- ``content``: content-based (:class:`~zeerec.models.content.ContentBased`) — movies
  whose genres and decade match what you rated highly;
- ``hybrid``: :class:`~zeerec.models.hybrid.Hybrid` — CF where neighbours vouch for a
  movie, content elsewhere, content only when you overlap with too few people.

:func:`zeerec.display.evidence_table` turns each model's output into a titled table
whose evidence columns say why each movie is there; :data:`LABELS` names the methods
in tables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from zeerec.display import evidence_table, timed, titles_of
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.models.content import ContentBased
from zeerec.models.foldin import (
    MFFoldIn,
    MissingModelError,
    check_same_data,
    load_mf,
    quiet_native_stderr,
)
from zeerec.models.hybrid import Hybrid
from zeerec.models.userknn import UserKNN

METHODS: tuple[str, ...] = ("user", "mf", "content", "hybrid")
LABELS: dict[str, str] = {
    "user": "user-based CF",
    "mf": "MF fold-in",
    "content": "content-based",
    "hybrid": "hybrid",
}

# ``zeerec recommend``'s default, from the new-user protocol on the ML-1M slice with four
# ratings (benchmarks/bench_newuser.py, 500 held-out users; BENCHMARKS.md, "New-user
# protocol (issue 11)"). The ranking blend scores highest and only Mult-VAE is tied with
# it; the hybrid is 0.020 NDCG@10 behind, tied with implicit ALS, and is the default
# because it fits in a tenth of a second where the blend fits three models, a Keras
# Mult-VAE among them, on every call (`zeerec recommend` took 57 s on the slice).
DEFAULT_METHOD = "hybrid"
DEFAULT_METHOD_EVIDENCE = (
    "the quick choice: for a user who rated four movies on the ML-1M slice (new-user "
    "protocol, 500 held-out users, BENCHMARKS.md) its NDCG@10 is 0.341, tied with "
    "implicit ALS (0.354) and below the ranking blend (0.361, the highest; their paired "
    "95-percent interval excludes 0); the hybrid fits user-kNN and genre "
    "profiles in a tenth of a second, the ranking blend fits three models, Mult-VAE "
    "among them, on every call (about a minute on the slice, longer on more data): --method "
    "'ranking blend' for the best list"
)


@dataclass
class NewUserModels:
    """The fitted models behind the four methods (``mf`` is None without a trained MF)."""

    user: UserKNN
    content: ContentBased
    hybrid: Hybrid
    mf: MFFoldIn | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, method: str):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        model = getattr(self, method)
        if model is None:
            raise ValueError(f"no model for {method!r}: " + " ".join(self.notes))
        return model


def fit_models(
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    n_neighbours: int = 60,
    min_common: int = 2,
    min_support: int = 1,
    mf: MFFoldIn | None = None,
    hybrid_cf_weight: float = 0.5,
) -> NewUserModels:
    """Fit user-kNN (its own similarity and ranking rule: cosine neighbours, a weighted
    vote) and content once; the hybrid blends those two fitted models."""
    user = UserKNN(n_neighbours=n_neighbours, min_common=min_common, min_support=min_support).fit(
        ratings
    )
    content = ContentBased(movies).fit(ratings)
    hybrid = Hybrid.from_fitted(user, content, cf_weight=hybrid_cf_weight)
    return NewUserModels(user=user, content=content, hybrid=hybrid, mf=mf)


def profile_models(
    names: Sequence[str] | None = None, movies: pd.DataFrame | None = None, seed: int = 42
) -> tuple[dict[str, Recommender], dict[str, str]]:
    """Unfitted registry models that rank and take a new user's profile, by name, with
    the knob values chosen for profiles (``ModelSpec.for_profiles``), and
    ``{name: reason}`` for the others (``names`` None: the whole registry, read now).

    Building a Keras model's line imports TensorFlow: a few seconds, the first time.
    """
    models, skipped = {}, {}
    for name in registry.MODELS if names is None else names:
        try:
            model = registry.create(name, movies, seed, profiles=True)
        except (ImportError, LookupError) as err:
            skipped[name] = str(err)
            continue
        if not model.ranks:
            skipped[name] = model.not_ranking_reason or "does not rank"
        elif not model.accepts_profiles:
            skipped[name] = model.no_profile_reason or "cannot score a new user's profile"
        else:
            models[name] = model
    return models, skipped


def profile_model(name: str, movies: pd.DataFrame | None = None, seed: int = 42) -> Recommender:
    """The registry model ``name``, unfitted, or a ValueError when it cannot recommend
    for a new user (saying why and which models can)."""
    models, skipped = profile_models([name], movies, seed)
    if name in models:
        return models[name]
    able = list(METHODS) + list(profile_models(None, movies, seed)[0])
    raise ValueError(
        f"{name} cannot recommend for a new user: {skipped[name]}. Choose from " + ", ".join(able)
    )


def recommend(
    models: NewUserModels, method: str, profile: Mapping[int, int], n: int = 10
) -> pd.DataFrame:
    """The model's own top-n frame (movie_id, score and its evidence columns)."""
    return models.get(method).recommend(dict(profile), n=n)


def train_small_foldin(
    ratings: pd.DataFrame, epochs: int = 8, factors: int = 32, seed: int = 42
) -> tuple[MFFoldIn, Any, float]:
    """``(fold-in, model, seconds)``: a one-member BiasedMF trained on ``ratings`` now.

    Used where notebook 05's saved model must not be: it was trained on every user, so
    the new-user protocol (which holds users out) trains its own on the others.
    """
    with timed() as t, quiet_native_stderr():
        model = registry.create(
            "improved MF", seed=seed, epochs=epochs, factors=factors, n_members=1
        ).fit(ratings)
    return MFFoldIn.from_model(model), model, t.seconds


def check_method(name: str) -> str:
    """``name`` if it is one of :data:`METHODS` or a registry name, else a ValueError."""
    if name in METHODS or name in registry.MODELS:
        return name
    raise ValueError(
        f"invalid choice: {name!r} (choose from {', '.join(METHODS)}, or a registry model "
        "that takes a new user's ratings: the 'new users' column of `zeerec models`)"
    )


def recommend_with(
    method: str,
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    profile: Mapping[int, int],
    n: int = 10,
    settings: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One top-n list by any profile method, fitted on ``ratings`` now: notebook 06's four
    (``settings`` are :func:`fit_models`'s) or a registry model with the values chosen
    for new users (``ModelSpec.for_profiles``, over its ``tuned`` values)."""
    if check_method(method) in METHODS:
        models = fit_models(ratings, movies, **dict(settings or {}))
        return recommend(models, method, profile, n=n)
    return profile_model(method, movies).fit(ratings).recommend(dict(profile), n=n)


def list_notes(method: str, rec: pd.DataFrame, mf: MFFoldIn | None = None) -> list[str]:
    """What to say above a list: the fold-in's bias, or that the hybrid fell back."""
    notes = []
    if method == "mf" and mf is not None:
        notes.append(
            f"your bias: {rec.attrs['user_bias']:+.2f} stars; predicted = mean "
            f"{mf.global_mean:.2f} + your bias + movie bias + taste match"
        )
    if method == "hybrid" and rec.attrs.get("mode", "blend") != "blend":
        notes.append(f"{rec.attrs['mode']}: too little overlap with other users for CF")
    return notes


def list_table(method: str, rec: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """The list for reading: the evidence table of notebook 06's four methods, title and
    the model's own columns (score, ...) for a registry model."""
    if method in METHODS:
        return evidence_table(rec, method, movies)
    table = rec.drop(columns="movie_id")
    table.insert(0, "title", titles_of(rec["movie_id"], movies))
    if "because" in table:  # item-kNN's reasons: rated movie ids, shown by title
        table["because"] = ["; ".join(titles_of(list(ids), movies)) for ids in table["because"]]
    return table.round(3)


def load_or_train_foldin(
    model_dir: str | os.PathLike,
    ratings: pd.DataFrame,
    fallback_epochs: int = 8,
    fallback_factors: int = 32,
    seed: int = 42,
):
    """``(fold-in, MF model, note)``: notebook 05's saved model, else a small one trained now.

    Notebook 06 run on its own (without 05 before it) still shows MF fold-in: it trains
    a :class:`~zeerec.models.mf.BiasedMF` with few epochs and says so in ``note``
    (None when the saved model was used). The small model is not saved, so it never
    stands in for notebook 05's anywhere else. A saved model that knows movies the
    catalogue does not was trained on other data: that is an error, not a fallback.
    """
    try:
        model = load_mf(model_dir)
    except MissingModelError as err:
        foldin, model, seconds = train_small_foldin(
            ratings, epochs=fallback_epochs, factors=fallback_factors, seed=seed
        )
        note = (
            f"{err.args[0].split('. ')[0]}: notebook 05 has not run before this one. A small "
            f"BiasedMF ({fallback_factors} factors, one member, at most {fallback_epochs} "
            "epochs, "
            f"validation RMSE {model.validation_rmse_:.3f}) was trained here in "
            f"{seconds:.0f} s and not saved; the MF results below are "
            "that model's, not notebook 05's."
        )
        return foldin, model, note
    check_same_data(model, ratings, model_dir)
    return MFFoldIn.from_model(model), model, None
