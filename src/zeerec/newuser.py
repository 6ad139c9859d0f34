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

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from zeerec.models.content import ContentBased
from zeerec.models.foldin import MFFoldIn
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
    k: int = 30,
    min_common: int = 2,
    min_support: int = 3,
    mf: MFFoldIn | None = None,
    hybrid_cf_weight: float = 0.5,
) -> NewUserModels:
    """Fit user-kNN and content once; the hybrid blends those two fitted models."""
    user = UserKNN(k=k, min_common=min_common, min_support=min_support).fit(ratings)
    content = ContentBased(movies).fit(ratings)
    hybrid = Hybrid.from_fitted(user, content, cf_weight=hybrid_cf_weight)
    return NewUserModels(user=user, content=content, hybrid=hybrid, mf=mf)


def recommend(
    models: NewUserModels, method: str, profile: Mapping[int, int], n: int = 10
) -> pd.DataFrame:
    """The model's own top-n frame (movie_id, score and its evidence columns)."""
    return models.get(method).recommend(dict(profile), k=n)


# cli.py (not part of the display refactor) still calls newuser.display_table.
from zeerec.display import evidence_table as display_table  # noqa: E402, F401
