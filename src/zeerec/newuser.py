"""Recommendations for a new user, four ways, shared by notebook 06 and ``zeerec recommend``.

- ``user``: user-based CF (:class:`~zeerec.models.userknn.UserKNN`) — people who rated
  your movies like you did;
- ``mf``: matrix-factorisation fold-in (:class:`~zeerec.models.foldin.MFFoldIn`) —
  your taste vector solved against the trained model's movie factors;
- ``content``: content-based (:class:`~zeerec.models.content.ContentBased`) — movies
  whose genres and decade match what you rated highly;
- ``hybrid``: :class:`~zeerec.models.hybrid.Hybrid` — CF where neighbours vouch for a
  movie, content elsewhere, content only when you overlap with too few people.

:func:`display_table` turns each model's output into a titled table whose evidence
columns say why each movie is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
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


def display_table(rec: pd.DataFrame, method: str, movies: pd.DataFrame) -> pd.DataFrame:
    """A readable top-n table: rank, title, then the evidence behind each movie."""
    titles = movies.set_index("movie_id")["title"]

    def title_of(ids) -> list[str]:
        return ["" if pd.isna(m) else str(titles.get(int(m), m)) for m in pd.Series(ids).tolist()]

    out = pd.DataFrame({"title": title_of(rec["movie_id"])})
    if method == "user":
        used = rec.attrs.get("n_neighbours_used")
        out["predicted ★ (uncapped)"] = rec["score"].round(2).to_numpy()
        out["lift over your mean ★"] = (rec["score"] - rec.attrs["user_mean"]).round(2).to_numpy()
        out[f"neighbours who rated it (of {used})"] = rec["n_neighbours"].to_numpy()
        out["their mean ★"] = rec["neighbour_mean"].round(2).to_numpy()
    elif method == "mf":
        out["predicted ★ (uncapped)"] = rec["score"].round(2).to_numpy()
        out["movie bias"] = rec["movie_bias"].round(2).to_numpy()
        out["taste match"] = rec["taste_match"].round(2).to_numpy()
    elif method == "content":
        out["cosine"] = rec["score"].round(3).to_numpy()
        out["genres"] = rec["genres"].to_numpy()
        out["decade"] = rec["decade"].to_numpy()
        out["closest liked"] = title_of(rec["closest_liked"])
        out["weighted rating"] = rec["weighted_rating"].round(2).to_numpy()
    elif method == "hybrid":
        out["score"] = rec["score"].round(2).to_numpy()
        out["CF part"] = rec["cf_part"].round(2).to_numpy()
        out["content part"] = rec["content_part"].round(2).to_numpy()
        out["neighbours who rated it"] = rec["n_neighbours"].to_numpy()
        out["cosine"] = rec["content_cosine"].round(3).to_numpy()
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
    return out


def side_by_side(lists: Mapping[str, pd.DataFrame], movies: pd.DataFrame) -> pd.DataFrame:
    """One column of titles per method, rank as the index."""
    titles = movies.set_index("movie_id")["title"]
    n = max((len(v) for v in lists.values()), default=0)
    cols = {}
    for name, rec in lists.items():
        shown = [str(titles.get(int(m), m)) for m in rec["movie_id"]]
        cols[LABELS.get(name, name)] = shown + [""] * (n - len(shown))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="rank"))


def overlap(lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How many movies each pair of top-n lists share (diagonal: the list's length)."""
    names = list(lists)
    sets = {name: set(lists[name]["movie_id"].astype(np.int64).tolist()) for name in names}
    labels = [LABELS.get(n, n) for n in names]
    grid = [[len(sets[a] & sets[b]) for b in names] for a in names]
    return pd.DataFrame(grid, index=labels, columns=labels)


def list_traits(
    lists: Mapping[str, pd.DataFrame],
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    profile: Mapping[int, int],
) -> pd.DataFrame:
    """What kind of movies each list holds: popularity, quality, age, genre match.

    ``median_ratings``: how many ratings a typical listed movie has (popularity);
    ``weighted_rating``: their mean weighted rating (notebook 02's honest quality);
    ``median_year``: how old they are; ``genre_match``: share of listed movies that share
    a genre with a movie the user rated.
    """
    from zeerec.features import movie_stats

    stats = movie_stats(ratings, movies)
    info = movies.set_index("movie_id")
    liked_genres = {g for m in profile for g in list(info.loc[m, "genres"])}
    rows = {}
    for name, rec in lists.items():
        ids = rec["movie_id"].astype(np.int64).to_numpy()
        n = stats["n_ratings"].reindex(ids).fillna(0)
        wr = stats["weighted_rating"].reindex(ids).fillna(stats.attrs["global_mean"])
        years = pd.to_numeric(info["year"].reindex(ids), errors="coerce")
        match = [bool(set(list(g)) & liked_genres) for g in info["genres"].reindex(ids)]
        rows[LABELS.get(name, name)] = {
            "median_ratings": float(n.median()) if len(ids) else np.nan,
            "weighted_rating": float(wr.mean()) if len(ids) else np.nan,
            "median_year": float(years.median()) if len(ids) else np.nan,
            "genre_match": float(np.mean(match)) if len(ids) else np.nan,
        }
    return pd.DataFrame(rows).T
