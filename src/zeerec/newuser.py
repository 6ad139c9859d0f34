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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from zeerec.display import timed
from zeerec.models import registry
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
    n_neighbours: int = 30,
    min_common: int = 2,
    min_support: int = 3,
    mf: MFFoldIn | None = None,
    hybrid_cf_weight: float = 0.5,
) -> NewUserModels:
    """Fit user-kNN and content once; the hybrid blends those two fitted models."""
    user = UserKNN(n_neighbours=n_neighbours, min_common=min_common, min_support=min_support).fit(
        ratings
    )
    content = ContentBased(movies).fit(ratings)
    hybrid = Hybrid.from_fitted(user, content, cf_weight=hybrid_cf_weight)
    return NewUserModels(user=user, content=content, hybrid=hybrid, mf=mf)


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
