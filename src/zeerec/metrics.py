"""Accuracy metrics: rating errors and top-k ranking quality.

Rating metrics (:func:`rmse`, :func:`mae`, :func:`mape`) compare predicted with true
stars. Ranking metrics judge a top-k list per user against the set of that user's
relevant (held-out) movies; all follow the usual definitions, as in
microsoft/recommenders:

- the mean is taken over users with at least one relevant movie (users without any
  cannot be judged and are left out, not counted as zero);
- a list shorter than ``k`` is judged as if padded with misses, and precision still
  divides by ``k``;
- relevance is binary (a movie is relevant or not; the stars do not matter).

Two ways in, giving the same numbers:

- plain Python inputs, easy to check by hand: ``recommended`` maps a user to the
  ordered list of recommended movie ids, ``relevant`` maps a user to the collection
  of relevant movie ids, e.g. ``precision_at_k({1: [10, 20]}, {1: {20}}, k=2) == 0.5``;
- a boolean ``hits`` array (users × k; ``hits[u, i]`` is True when the movie at rank
  ``i + 1`` of user ``u``'s list is relevant) with each user's number of relevant
  movies, which is what the evaluation harness builds for thousands of users at once
  (:func:`per_user_metrics`).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from zeerec.ranking import check_n

Recommended = Mapping[Hashable, Sequence[Hashable]]
Relevant = Mapping[Hashable, Collection[Hashable]]

RANKING_METRICS = ("precision", "recall", "ndcg", "map", "map_ref", "hit_rate")


# --------------------------------------------------------------------------- ratings


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} values but y_pred has {p.size}")
    if t.size == 0:
        raise ValueError("no ratings to evaluate")
    return t, p


def rmse(y_true, y_pred) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true, y_pred) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error as a fraction (0.29 = 29 %), like scikit-learn's."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p) / np.abs(t)))


# --------------------------------------------------------------------------- ranking core


def hits_matrix(
    recommended: Recommended, relevant: Relevant, k: int
) -> tuple[np.ndarray, np.ndarray, list]:
    """``(hits, n_relevant, users)`` for the users with at least one relevant movie.

    A user missing from ``recommended`` got an empty list (k misses). A list that
    names the same movie twice is an error: it would count one relevant movie twice.
    """
    k = check_n(k, what="k")
    users = [u for u, rel in relevant.items() if len(rel) > 0]
    hits = np.zeros((len(users), k), dtype=bool)
    n_relevant = np.zeros(len(users), dtype=np.int64)
    for i, user in enumerate(users):
        rel = set(relevant[user])
        recs = list(recommended.get(user, ()))[:k]
        if len(set(recs)) != len(recs):
            raise ValueError(f"the list for user {user!r} recommends a movie twice: {recs}")
        hits[i, : len(recs)] = [m in rel for m in recs]
        n_relevant[i] = len(rel)
    return hits, n_relevant, users


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def per_user_metrics(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Each ranking metric per user (rows of ``hits``); k is ``hits.shape[1]``.

    - precision@k = hits in the top k / k;
    - recall@k = hits in the top k / number of relevant movies;
    - NDCG@k = DCG / ideal DCG with binary gains and a log2 discount:
      DCG = Σ_i rel_i / log2(i + 1) over ranks i = 1..k, and the ideal DCG puts
      min(k, n_relevant) hits at the top;
    - AP@k = Σ_i precision@i · rel_i / min(k, n_relevant) (MAP@k is its mean): the
      usual normalisation, so a list that puts every reachable hit first scores 1;
    - ``map_ref``: the same sum divided by n_relevant, as microsoft/recommenders'
      ``map`` (its published tables' "MAP"); a user with more relevant movies than k
      cannot reach 1, so it reads lower than MAP@k;
    - hit rate@k = 1 if the top k holds at least one relevant movie, else 0.

    Users with no relevant movie get NaN (they cannot be judged).
    """
    hits = np.asarray(hits, dtype=bool)
    if hits.ndim != 2:
        raise ValueError(f"hits must be a users x k array, got shape {hits.shape}")
    n_relevant = np.asarray(n_relevant, dtype=np.int64)
    if n_relevant.shape != (hits.shape[0],):
        raise ValueError(f"n_relevant has shape {n_relevant.shape}, expected ({hits.shape[0]},)")
    if np.any(hits.sum(axis=1) > n_relevant):
        raise ValueError("a user has more hits than relevant movies")
    k = hits.shape[1]
    if k == 0:
        raise ValueError("hits has no columns: k must be at least 1")
    judged = n_relevant > 0
    denom_rel = np.where(judged, n_relevant, 1)
    n_hits = hits.sum(axis=1)
    disc = _discounts(k)
    ideal = np.cumsum(disc)[np.clip(np.minimum(n_relevant, k), 1, None) - 1]
    # Σ_i precision@i · rel_i, which both MAPs divide: by min(k, n_relevant) or n_relevant
    precision_sum = (np.cumsum(hits, axis=1) / np.arange(1, k + 1) * hits).sum(axis=1)
    out = {
        "precision": n_hits / k,
        "recall": n_hits / denom_rel,
        "ndcg": (hits * disc).sum(axis=1) / ideal,
        "map": precision_sum / np.minimum(denom_rel, k),
        "map_ref": precision_sum / denom_rel,
        "hit_rate": (n_hits > 0).astype(np.float64),
    }
    return {name: np.where(judged, values, np.nan) for name, values in out.items()}


def summarise(per_user: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Mean of each per-user metric over the users that could be judged."""
    return {
        name: float(np.nanmean(v)) if np.any(~np.isnan(v)) else float("nan")
        for name, v in per_user.items()
    }


def _metric(name: str, recommended: Recommended, relevant: Relevant, k: int) -> float:
    hits, n_relevant, users = hits_matrix(recommended, relevant, k)
    if not users:
        raise ValueError("no user has a relevant movie: nothing to evaluate")
    return summarise({name: per_user_metrics(hits, n_relevant)[name]})[name]


# --------------------------------------------------------------------------- ranking API


def precision_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """Mean share of each top-k list that is relevant (divides by k, even for short lists)."""
    return _metric("precision", recommended, relevant, k)


def recall_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """Mean share of each user's relevant movies found in the top k."""
    return _metric("recall", recommended, relevant, k)


def ndcg_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """Mean NDCG@k: binary gains, log2 discount, ideal DCG over min(k, |relevant|) hits."""
    return _metric("ndcg", recommended, relevant, k)


def map_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """Mean over users of AP@k = Σ_{i≤k} precision@i · rel_i / min(k, |relevant|)."""
    return _metric("map", recommended, relevant, k)


def reference_map_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """microsoft/recommenders' ``map``: Σ_{i≤k} precision@i · rel_i / |relevant|, averaged."""
    return _metric("map_ref", recommended, relevant, k)


def hit_rate_at_k(recommended: Recommended, relevant: Relevant, k: int = 10) -> float:
    """Share of users whose top k holds at least one relevant movie."""
    return _metric("hit_rate", recommended, relevant, k)


def ranking_metrics(recommended: Recommended, relevant: Relevant, k: int = 10) -> dict[str, float]:
    """Every ranking metric at once, plus ``n_users`` (the users judged)."""
    hits, n_relevant, users = hits_matrix(recommended, relevant, k)
    if not users:
        raise ValueError("no user has a relevant movie: nothing to evaluate")
    return {**summarise(per_user_metrics(hits, n_relevant)), "n_users": len(users)}


# --------------------------------------------------------------------------- beyond accuracy


def _all_items(recommended: Recommended | np.ndarray) -> np.ndarray:
    if isinstance(recommended, Mapping):
        lists = [np.asarray(list(v)) for v in recommended.values() if len(v)]
        return np.concatenate(lists) if lists else np.array([])
    return np.asarray(recommended).ravel()


def catalogue_coverage(
    recommended: Recommended | np.ndarray,
    catalogue: Collection[Hashable],
    outside_ok: bool = False,
) -> float:
    """Distinct recommended movies / size of the catalogue.

    ``recommended`` is a ``{user: list}`` mapping or an array of movie ids (e.g. the
    users × k array of the harness). The evaluation passes the *training* movies as the
    catalogue for every model, as microsoft/recommenders' ``catalog_coverage`` does, so
    the figures compare across models; a model that can also recommend movies nobody
    rated in training (content-based) counts them in the numerator (``outside_ok``).
    Otherwise a recommended movie outside the catalogue is an error: the catalogue
    passed is then not the one the model chose from.
    """
    catalogue = pd.Index(np.asarray(list(catalogue))).unique()
    if len(catalogue) == 0:
        raise ValueError("the catalogue is empty")
    distinct = pd.Index(_all_items(recommended)).unique()
    outside = distinct.difference(catalogue)
    if len(outside) and not outside_ok:
        raise ValueError(f"recommended movies {list(outside[:5])} are not in the catalogue")
    return len(distinct) / len(catalogue)


def novelty(
    recommended: Recommended | np.ndarray,
    popularity: Mapping[Hashable, int] | pd.Series,
) -> float:
    """Mean self-information −log2(p_i) of the recommended movies, over every list slot.

    The choice model of Castells, Vargas & Wang (2011), as microsoft/recommenders'
    ``novelty``: p_i = movie i's share of all training interactions (``popularity``
    maps a movie to its number of training ratings; the interactions are their sum).
    A recommended movie with no training rating has no defined novelty: it adds 0 to
    the sum while its slot still counts in the mean, as in the reference. Higher = less
    obvious recommendations; a model that only recommends the most popular movies
    scores lowest.
    """
    items = _all_items(recommended)
    if len(items) == 0:
        raise ValueError("no recommendations to judge")
    return float(_self_information(items, popularity).mean())


def novelty_per_list(top: np.ndarray, popularity: Mapping[Hashable, int] | pd.Series) -> np.ndarray:
    """:func:`novelty` of each list: a row of ``top`` (users × k movie ids, −1 for an
    empty slot), the mean over its filled slots; NaN for a list with none. When every
    list is full their mean is :func:`novelty` of all of them; per user, they let two
    models' novelty be compared with a paired interval like the other metrics."""
    top = np.asarray(top)
    filled = top >= 0
    info = np.zeros(top.shape)
    info[filled] = _self_information(top[filled], popularity)
    n = filled.sum(axis=1)
    out = np.full(len(top), np.nan)
    out[n > 0] = info[n > 0].sum(axis=1) / n[n > 0]
    return out


def _self_information(items: np.ndarray, popularity: Mapping[Hashable, int] | pd.Series):
    """−log2(p_i) per item, p_i its share of the interactions; 0 for an item without any."""
    counts = (
        pd.Series(popularity, dtype="float64")
        if isinstance(popularity, Mapping)
        else (popularity.astype("float64"))
    )
    if (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("popularity must hold non-negative counts, not all zero")
    c = counts.reindex(items).fillna(0.0).to_numpy()
    info = np.zeros(len(c))
    seen = c > 0
    info[seen] = -np.log2(c[seen] / counts.sum())
    return info
