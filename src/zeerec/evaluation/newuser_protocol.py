"""The new-user protocol: how good is a list built from a new user's first few ratings?

Notebook 06 shows what each method makes of four ratings; this module scores them:

1. users with at least ``min_ratings`` ratings are eligible; ``n_users`` of them,
   drawn with a seed, are **held out entirely** — no model ever sees any of their
   ratings while learning (:func:`new_user_split`);
2. every model learns from everybody else;
3. each held-out user's first ``n_profile`` ratings by timestamp (with their stars) are
   the profile a model gets, through ``model.recommend(profile, n=k)``, exactly as
   ``zeerec recommend`` and notebook 06 ask it;
4. every later rating of theirs is relevant, whatever its stars (the harness's
   convention); the top k comes from movies not in the profile;
5. P@k and NDCG@k per user (:func:`zeerec.metrics.per_user_metrics`), catalogue
   coverage and novelty (:mod:`zeerec.metrics`), with 95 % bootstrap intervals over the
   held-out users and paired differences of the best method against the runner-up, and
   of the best method other than popularity against popularity
   (:mod:`zeerec.evaluation.intervals`).

Contenders are every registry model that ranks and takes a profile
(``accepts_profiles``), read from the registry at run time, plus the four methods of
:mod:`zeerec.newuser` (MF fold-in against a small BiasedMF trained on the training
users only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeerec import metrics, newuser
from zeerec.evaluation.harness import check_not_trained_on
from zeerec.evaluation.intervals import bootstrap_means, paired_difference
from zeerec.models.base import Recommender

BASELINE = "popularity"
METRICS = ("precision", "ndcg")


@dataclass(frozen=True)
class NewUserSplit:
    """Held-out users, their profiles and later ratings, and everybody else's ratings.

    ``profiles[u]`` is ``{movie_id: stars}`` of user u's first ``n_profile`` ratings by
    timestamp (ties by movie id); ``relevant[u]`` the movies u rated afterwards;
    ``later`` those ratings as rows (to check that no model learned from them).
    """

    train: pd.DataFrame
    users: np.ndarray
    profiles: dict[int, dict[int, int]]
    relevant: dict[int, set[int]]
    later: pd.DataFrame
    n_profile: int
    n_eligible: int


def held_out_users(
    ratings: pd.DataFrame, n_users: int = 500, min_ratings: int = 30, seed: int = 42
) -> tuple[np.ndarray, int]:
    """(held-out users sorted, number eligible): a seeded draw among users with
    ``min_ratings`` ratings or more; all of them when fewer than ``n_users`` are.

    The draw is the first ``n_users`` of one seeded shuffle of the eligible users, so
    with one seed a smaller draw is part of a larger one: notebook 06's 100 users are
    among the benchmarks' 500, and validation users carved from outside the 500
    (:func:`validation_scorer`) are outside every smaller draw too."""
    counts = ratings.groupby("user_id").size()
    eligible = np.sort(counts.index[counts >= min_ratings].to_numpy())
    if n_users >= len(eligible):
        return eligible, len(eligible)
    order = np.random.default_rng(seed).permutation(eligible)
    return np.sort(order[:n_users]), len(eligible)


def new_user_split(
    ratings: pd.DataFrame,
    n_profile: int = 4,
    n_users: int = 500,
    min_ratings: int = 30,
    seed: int = 42,
) -> NewUserSplit:
    """Hold ``n_users`` users out entirely; their first ``n_profile`` ratings are the
    profile and the rest relevant. The held-out users depend on the seed, not on
    ``n_profile``, so N = 4 and N = 10 judge the same people."""
    if not 1 <= n_profile < min_ratings:
        raise ValueError(
            f"n_profile must be from 1 to min_ratings - 1 = {min_ratings - 1}, got {n_profile}"
        )
    users, n_eligible = held_out_users(ratings, n_users, min_ratings, seed)
    if len(users) == 0:
        raise ValueError(f"no user has {min_ratings} ratings or more: nobody to hold out")
    out = ratings["user_id"].isin(users).to_numpy()
    train = ratings.loc[~out].reset_index(drop=True)
    if train.empty:
        raise ValueError("every user would be held out: nobody is left to learn from")
    held = ratings.loc[out].sort_values(["user_id", "timestamp", "movie_id"], kind="stable")
    first = held.groupby("user_id").cumcount().to_numpy() < n_profile
    profiles = {
        int(u): dict(zip(g["movie_id"].tolist(), g["rating"].tolist(), strict=True))
        for u, g in held[first].groupby("user_id")
    }
    later = held[~first].reset_index(drop=True)
    relevant = {int(u): set(g.tolist()) for u, g in later.groupby("user_id")["movie_id"]}
    return NewUserSplit(train, users, profiles, relevant, later, n_profile, n_eligible)


@dataclass
class ProtocolResult:
    """What :func:`protocol` measured.

    ``table``: one row per (n_profile, model) — P@k and NDCG@k with their intervals,
    coverage, novelty, fit seconds and milliseconds per list; ``per_user``: one row per
    (n_profile, model, user); ``versus``: paired differences of the best model against
    the runner-up and of the best model other than popularity against popularity, per
    n_profile and metric; ``skipped``:
    ``{name: reason}`` for contenders left out; ``info``: the split's figures.
    """

    k: int
    table: pd.DataFrame
    per_user: pd.DataFrame
    versus: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def best(self, n_profile: int, metric: str = "ndcg") -> str:
        """The model with the highest mean ``metric`` for profiles of ``n_profile``."""
        t = self.table[self.table["n_profile"] == n_profile]
        return str(t.set_index("model")[f"{metric}@{self.k}"].idxmax())


@dataclass
class _Contender:
    """A fitted model under its table name, the name ``zeerec recommend --method`` takes."""

    method: str
    model: Recommender
    fit_s: float


def _newuser_contenders(
    train: pd.DataFrame,
    movies: pd.DataFrame | None,
    methods: Sequence[str],
    settings: Mapping[str, Any],
    mf_settings: Mapping[str, Any] | None,
    seed: int,
) -> tuple[dict[str, _Contender], dict[str, str]]:
    """Notebook 06's methods fitted on ``train``, under their labels (MF: a small BiasedMF
    trained on ``train`` now, folded in; skipped when ``mf_settings`` is None)."""
    if not methods:
        return {}, {}
    if movies is None:
        return {}, {newuser.LABELS[m]: "needs the movies table" for m in methods}
    start = time.perf_counter()
    fitted = newuser.fit_models(train, movies, **settings)
    shared_s = time.perf_counter() - start  # user-kNN and content, which the hybrid reuses
    out, skipped = {}, {}
    for m in methods:
        label, fit_s = newuser.LABELS[m], shared_s
        if m == "mf":
            if mf_settings is None:
                skipped[label] = "not run (mf_settings=None)"
                continue
            fitted.mf, _, fit_s = newuser.train_small_foldin(train, seed=seed, **mf_settings)
        out[label] = _Contender(m, fitted.get(m), fit_s)
    return out, skipped


def _registry_contenders(
    train: pd.DataFrame,
    movies: pd.DataFrame | None,
    models: Sequence[str] | Mapping[str, Recommender] | None,
    taken: set[str],
    seed: int,
    say: Callable[[str], None],
) -> tuple[dict[str, _Contender], dict[str, str]]:
    """Registry models (or the caller's unfitted ones) fitted on ``train``; a name that a
    notebook-06 label already holds gets " (registry)" after it."""
    if isinstance(models, Mapping):
        chosen, skipped = dict(models), {}
    else:
        chosen, skipped = newuser.profile_models(models, movies, seed)
    out = {}
    for name, model in chosen.items():
        say(f"{name}: fitting on {len(train):,} ratings")
        start = time.perf_counter()
        model.fit(train)
        shown = f"{name} (registry)" if name in taken else name
        out[shown] = _Contender(name, model, time.perf_counter() - start)
    return out, skipped


def _lists(model: Recommender, split: NewUserSplit, k: int) -> tuple[dict[int, list], float]:
    """Each held-out user's top k from their profile, and the milliseconds per list."""
    kk = min(k, len(model.ratings_.movie_ids))
    start = time.perf_counter()
    lists = {}
    for u in split.users.tolist():
        profile = split.profiles[u]
        recs = model.recommend(profile, n=kk)["movie_id"].tolist()
        if set(recs) & set(profile):
            raise ValueError(f"{model.name} recommended a profile movie to held-out user {u}")
        lists[u] = recs
    return lists, 1000 * (time.perf_counter() - start) / len(split.users)


def _judge(name: str, c: _Contender, split: NewUserSplit, k: int) -> tuple[dict, pd.DataFrame]:
    """One contender's row (means, coverage, novelty, cost) and its per-user metrics."""
    check_not_trained_on(c.model, split.later, name)
    lists, ms = _lists(c.model, split, k)
    hits, n_relevant, users = metrics.hits_matrix(lists, split.relevant, k)
    per_user = metrics.per_user_metrics(hits, n_relevant)
    recommended = np.array([m for u in users for m in lists[u]], dtype=np.int64)
    train = split.train
    popularity = train.drop_duplicates(["user_id", "movie_id"]).groupby("movie_id").size()
    row = {
        "n_profile": split.n_profile,
        "model": name,
        "method": c.method,
        "coverage": metrics.catalogue_coverage(recommended, popularity.index, outside_ok=True),
        "novelty": metrics.novelty(recommended, popularity),
        "fit_s": c.fit_s,
        "ms_per_list": ms,
    }
    frame = pd.DataFrame({"n_profile": split.n_profile, "model": name, "user_id": users})
    for metric in METRICS:
        frame[metric] = per_user[metric]
    return row, frame


def _intervals(per_user: pd.DataFrame, k: int, resamples: int, seed: int) -> pd.DataFrame:
    """Mean and bootstrap interval of each metric, per (n_profile, model)."""
    parts = []
    for n, group in per_user.groupby("n_profile", sort=True):
        wide = None
        for metric in METRICS:
            b = bootstrap_means(group, metric, resamples=resamples, seed=seed)
            b = b.rename(
                columns={"mean": f"{metric}@{k}", "lo": f"{metric}_lo", "hi": f"{metric}_hi"}
            )
            wide = b if wide is None else wide.merge(b.drop(columns="n_users"), on="model")
        parts.append(wide.assign(n_profile=n))
    return pd.concat(parts, ignore_index=True)


def _versus(
    table: pd.DataFrame, per_user: pd.DataFrame, k: int, resamples: int, seed: int
) -> pd.DataFrame:
    """Per n_profile and metric: the best model against the runner-up, and the best model
    other than popularity against popularity (paired bootstrap; ``relative`` =
    difference / the other's mean)."""
    rows = []
    for n, group in per_user.groupby("n_profile", sort=True):
        t = table[table["n_profile"] == n].set_index("model")
        for metric in METRICS:
            order = list(t[f"{metric}@{k}"].sort_values(ascending=False, kind="stable").index)
            pairs = {"runner-up": tuple(order[:2])}
            rest = [m for m in order if m != BASELINE]
            if BASELINE in order and rest:
                pairs["popularity"] = (rest[0], BASELINE)
            for against, pair in pairs.items():
                if len(pair) < 2:
                    continue
                d = paired_difference(group, metric, *pair, resamples=resamples, seed=seed)
                mean_b = t.loc[pair[1], f"{metric}@{k}"]
                rel = d["difference"] / mean_b if mean_b > 0 else np.nan
                rows.append(
                    {"n_profile": n, "metric": metric, "against": against, **d, "relative": rel}
                )
    return pd.DataFrame(rows)


MF_SETTINGS: dict[str, Any] = {"epochs": 8, "factors": 32}


def protocol(
    ratings: pd.DataFrame,
    movies: pd.DataFrame | None = None,
    n_profiles: Sequence[int] = (4, 10),
    n_users: int = 500,
    min_ratings: int = 30,
    k: int = 10,
    models: Sequence[str] | Mapping[str, Recommender] | None = None,
    methods: Sequence[str] = newuser.METHODS,
    newuser_settings: Mapping[str, Any] | None = None,
    mf_settings: Mapping[str, Any] | None = MF_SETTINGS,
    seed: int = 42,
    resamples: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> ProtocolResult:
    """Score every contender on the same held-out users (see the module docstring).

    ``models``: registry names (None: every registry model that ranks and takes a
    profile; popularity is always added, as the reference) or ``{name: unfitted
    model}``; ``methods``: notebook 06's methods to add (``newuser.METHODS``), fitted
    with ``newuser_settings`` (``fit_models``'s knobs); ``mf_settings`` the small
    BiasedMF behind MF fold-in (None skips it). Every model learns once, from the users
    not held out; each profile size then asks it for one list per held-out user.
    """
    say = progress or (lambda _msg: None)
    splits = [new_user_split(ratings, n, n_users, min_ratings, seed) for n in n_profiles]
    train = splits[0].train
    if models is not None and not isinstance(models, Mapping) and BASELINE not in models:
        models = [*models, BASELINE]
    say(f"notebook 06's methods: fitting on {len(train):,} ratings")
    contenders, skipped = _newuser_contenders(
        train, movies, methods, dict(newuser_settings or {}), mf_settings, seed
    )
    more, more_skipped = _registry_contenders(train, movies, models, set(contenders), seed, say)
    contenders.update(more)
    skipped.update(more_skipped)
    rows, frames = [], []
    for split in splits:
        for name, c in contenders.items():
            say(f"{name}: lists for {len(split.users):,} held-out users, {split.n_profile} ratings")
            row, frame = _judge(name, c, split, k)
            rows.append(row)
            frames.append(frame)
    per_user = pd.concat(frames, ignore_index=True)
    table = _intervals(per_user, k, resamples, seed).merge(
        pd.DataFrame(rows), on=["n_profile", "model"]
    )
    info = {
        "n_held_out": len(splits[0].users),
        "n_eligible": splits[0].n_eligible,
        "min_ratings": min_ratings,
        "n_train_ratings": len(train),
        "n_train_users": int(train["user_id"].nunique()),
        "seed": seed,
    }
    versus = _versus(table, per_user, k, resamples, seed)
    return ProtocolResult(k, table, per_user, versus, skipped, info)


def validation_scorer(
    train: pd.DataFrame,
    n_profiles: Sequence[int] = (4, 10),
    n_users: int = 300,
    min_ratings: int = 30,
    k: int = 10,
    seed: int = 43,
    repeats: int = 1,
) -> Callable[[Callable[..., Recommender], Mapping[str, Any]], dict[str, float]]:
    """A score function for the tuners (``coordinate_search(..., scorer=...)``) that
    judges a setting the way :func:`protocol` judges a model, on validation users.

    ``train`` is the protocol's training part (its held-out users are not in it): from
    it, ``n_users`` validation users are held out the same way (seeded, at least
    ``min_ratings`` ratings, first N by time as the profile, the rest relevant); the
    model learns from the others once and makes a list for each validation user and
    each profile size. ``repeats`` draws of validation users (seeds ``seed``,
    ``seed + 1``, ...) each fit their own model, and their per-user scores are pooled:
    more judged users without holding more of them out at once. The scores are NDCG@k
    and P@k per profile size (``ndcg@10 N=4``, ...), their mean over the sizes
    (``ndcg@10``, the column the tuners maximise), and ``fit_s`` (mean per draw).
    """
    draws = [
        [new_user_split(train, n, n_users, min_ratings, seed + r) for n in n_profiles]
        for r in range(repeats)
    ]

    def score(make_model: Callable[..., Recommender], params: Mapping[str, Any]) -> dict:
        frames: dict[int, list[pd.DataFrame]] = {n: [] for n in n_profiles}
        fit_s = []
        for splits in draws:
            model = make_model(**params)
            start = time.perf_counter()
            model.fit(splits[0].train)
            c = _Contender(model.name, model, time.perf_counter() - start)
            fit_s.append(c.fit_s)
            for split in splits:
                frames[split.n_profile].append(_judge(model.name, c, split, k)[1])
        out: dict[str, float] = {}
        for n, parts in frames.items():
            pooled = pd.concat(parts, ignore_index=True)
            for metric in METRICS:
                out[f"{metric}@{k} N={n}"] = float(pooled[metric].mean())
        for metric in METRICS:
            out[f"{metric}@{k}"] = float(np.mean([out[f"{metric}@{k} N={n}"] for n in n_profiles]))
        out["fit_s"] = float(np.mean(fit_s))
        return out

    return score


def standing(
    result: ProtocolResult,
    n_profile: int,
    metric: str = "ndcg",
    among: Sequence[str] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Which list to believe: the best of ``among`` (every model by default) on ``metric``
    for profiles of ``n_profile``, and each other model's paired difference from it.

    Returns ``best``, ``tied`` (models whose 95 % interval of the difference covers 0:
    no better-supported choice than ``best``, in table order), ``behind`` (those the
    best beats) and ``differences`` (best minus each other model, with intervals).
    """
    col = f"{metric}@{result.k}"
    t = result.table[result.table["n_profile"] == n_profile].set_index("model")[col]
    if among is not None:
        t = t[t.index.isin(among)]
    if t.empty:
        raise ValueError(f"no scored model among {among} for profiles of {n_profile}")
    order = list(t.sort_values(ascending=False, kind="stable").index)
    group = result.per_user[result.per_user["n_profile"] == n_profile]
    rows = [
        paired_difference(group, metric, order[0], other, resamples=resamples, seed=seed)
        for other in order[1:]
    ]
    diffs = pd.DataFrame(rows, columns=["a", "b", "difference", "lo", "hi", "verdict", "n_users"])
    tied = diffs.loc[diffs["verdict"] == "tied", "b"].tolist()
    return {
        "best": order[0],
        "mean": float(t[order[0]]),
        "tied": tied,
        "behind": [m for m in order[1:] if m not in tied],
        "differences": diffs,
    }
