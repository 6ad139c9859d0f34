"""Compare recommenders through the one interface: rating accuracy, top-k quality, cost.

:func:`evaluate` takes a train/test split and a ``{name: model}`` dict and returns
tidy tables (an :class:`Evaluation`):

- ``rating`` — RMSE, MAE, MAPE on the held-out ratings, for models that predict stars
  (``predicts_ratings``), with fit and predict times;
- ``ranking`` — Precision, Recall, NDCG, MAP and HitRate at k, catalogue coverage and
  novelty for every model, with fit time and recommend time per user;
- ``by_activity`` — the same metrics per user-activity bucket (cold / medium / heavy
  users by their number of training ratings);
- ``per_user`` — one row per (model, user) for any further cut.

The ranking protocol is the usual one (microsoft/recommenders' MovieLens benchmark):
for each test user the model ranks every movie it knows that is **not** in the user's
training ratings; the relevant movies are **all** of the user's test movies, whatever
their stars (a held-out movie the model cannot know, e.g. one with no training rating,
still counts as relevant and is simply never hit). Ranking uses the model's
``scores``, exactly as ``Recommender.recommend`` does, a block of users at a time
(``scores_many``), which keeps 6,040 users fast; a model that filters or breaks ties
its own way (``ranks_by_score`` False) is asked for its lists one user at a time, so
the harness judges the lists a user would really see. ``info["global_mean_rmse"]`` is
the reference every star model should beat: always predicting the mean training
rating, on the same rating pairs.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeerec import metrics
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.ranking import check_n, top_n_rows
from zeerec.splits import stratified_split

DEFAULT_ACTIVITY_EDGES = (30, 150)
RATING_COLUMNS = ["model", "rmse", "mae", "mape", "n_ratings", "fit_s", "predict_s"]


@dataclass
class Evaluation:
    """The tables :func:`evaluate` returns; every one is a plain DataFrame."""

    k: int
    rating: pd.DataFrame
    ranking: pd.DataFrame
    by_activity: pd.DataFrame
    per_user: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    def best(self, metric: str | None = None) -> str:
        """Name of the model with the highest ranking ``metric`` (default NDCG@k)."""
        metric = metric or f"ndcg@{self.k}"
        return str(self.ranking.set_index("model")[metric].idxmax())


# --------------------------------------------------------------------------- helpers


def activity_bucket(
    n_train: np.ndarray | pd.Series, edges: Sequence[int] = DEFAULT_ACTIVITY_EDGES
) -> pd.Categorical:
    """Label users by their number of training ratings: cold ≤ e0 < medium ≤ e1 < heavy.

    Fixed edges (not quantiles) keep the buckets comparable across data sets and
    splits; the default 30/150 puts ML-1M's 20-rating minimum users (15 training
    ratings under a 75/25 split) in "cold".
    """
    lo, hi = edges
    if not 0 < lo < hi:
        raise ValueError(f"activity edges must be increasing positive counts, got {edges}")
    labels = [f"cold (≤{lo})", f"medium ({lo + 1}–{hi})", f"heavy (>{hi})"]
    cat = pd.cut(np.asarray(n_train), bins=[-np.inf, lo, hi, np.inf], labels=labels, right=True)
    return pd.Categorical(cat, categories=labels, ordered=True)


def _pair_keys(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
    return users.astype(np.int64) * (1 << 32) + movies.astype(np.int64)


def scores_in_blocks(model: Recommender) -> bool:
    """True when the model scores a block of users in one computation (a matrix product)
    rather than one user after another: it implements the base class's batch hook."""
    return model.ranks and type(model)._score_rows is not Recommender._score_rows


def recommend_top_k(
    model: Recommender,
    users: np.ndarray,
    train: pd.DataFrame,
    k: int,
    batch_size: int = 1000,
) -> np.ndarray:
    """users × k movie ids (−1 where fewer than k movies were left), training movies excluded."""
    users = np.asarray(users)
    if not model.ranks_by_score:
        return _own_lists(model, users, train, k)
    movie_ids = np.asarray(model.ratings_.movie_ids)
    col = pd.Series(np.arange(len(movie_ids)), index=movie_ids)
    row_of = pd.Series(np.arange(len(users)), index=users)
    seen = train[train["user_id"].isin(users) & train["movie_id"].isin(movie_ids)]
    seen_rows = row_of[seen["user_id"].to_numpy()].to_numpy()
    seen_cols = col[seen["movie_id"].to_numpy()].to_numpy()
    out = np.full((len(users), k), -1, dtype=np.int64)
    order = np.argsort(seen_rows, kind="stable")
    seen_rows, seen_cols = seen_rows[order], seen_cols[order]
    for start in range(0, len(users), batch_size):
        stop = min(start + batch_size, len(users))
        S = model.scores_many(users[start:stop]).copy()  # a copy: seen movies get -inf
        if S.shape != (stop - start, len(movie_ids)):
            raise ValueError(
                f"{model.name}: scores have shape {S.shape}, expected "
                f"({stop - start}, {len(movie_ids)}) (users × the model's movies)"
            )
        lo, hi = np.searchsorted(seen_rows, [start, stop])
        S[seen_rows[lo:hi] - start, seen_cols[lo:hi]] = -np.inf
        top = top_n_rows(S, k)
        out[start:stop] = np.where(top >= 0, movie_ids[np.maximum(top, 0)], -1)
    return out


def _own_lists(model: Recommender, users: np.ndarray, train: pd.DataFrame, k: int) -> np.ndarray:
    """The model's own ``recommend`` lists; a training movie in a list is a model bug."""
    out = np.full((len(users), k), -1, dtype=np.int64)
    kk = min(k, len(model.ratings_.movie_ids))
    seen = train[train["user_id"].isin(users)].groupby("user_id")["movie_id"].apply(set)
    for i, user in enumerate(users):
        recs = model.recommend(int(user), n=kk)["movie_id"].to_numpy(dtype=np.int64)
        leaked = set(recs.tolist()) & seen.get(user, set())
        if leaked:
            raise ValueError(
                f"{model.name} recommended training movies {sorted(leaked)[:5]} to user {user}"
            )
        out[i, : len(recs)] = recs
    return out


# --------------------------------------------------------------------------- evaluate


def check_not_trained_on(model: Recommender, test: pd.DataFrame, name: str = "") -> None:
    """Refuse a fitted model whose training ratings include any held-out (user, movie) pair.

    A model fitted elsewhere (e.g. loaded from notebook 05's files) may have seen a
    different split; judging it on ratings it learned from would flatter it.
    """
    R = model.ratings_
    known = test["user_id"].isin(R.user_ids) & test["movie_id"].isin(R.movie_ids)
    pairs = test.loc[known]
    if pairs.empty:
        return
    rows = R.user_index(pairs["user_id"].to_numpy())
    cols = R.movie_index(pairs["movie_id"].to_numpy())
    seen = np.asarray(R.matrix[rows, cols]).ravel() != 0
    if seen.any():
        raise ValueError(
            f"{name or model.name} was fitted on {int(seen.sum()):,} of the test ratings "
            "(a different split?): refit it on the training ratings, or pass refit=True"
        )


def _fit(model: Recommender, name: str, train: pd.DataFrame, test, refit: bool) -> float:
    if model.is_fitted and not refit:
        check_not_trained_on(model, test, name)
        return float("nan")  # fitted by the caller: its cost is not ours to measure
    start = time.perf_counter()
    model.fit(train)
    return time.perf_counter() - start


def _rating_row(name, model, pairs, fit_s) -> dict[str, Any]:
    start = time.perf_counter()
    pred = np.asarray(
        model.predict(pairs["user_id"].to_numpy(), pairs["movie_id"].to_numpy()), dtype=float
    )
    predict_s = time.perf_counter() - start
    truth = pairs["rating"].to_numpy(dtype=float)
    return {
        "model": name,
        "rmse": metrics.rmse(truth, pred),
        "mae": metrics.mae(truth, pred),
        "mape": metrics.mape(truth, pred),
        "n_ratings": len(pairs),
        "fit_s": fit_s,
        "predict_s": predict_s,
        "_sq_err": (truth - pred) ** 2,
    }


def rating_table(
    models: Mapping[str, Recommender],
    test: pd.DataFrame,
    fit_seconds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """RMSE, MAE and MAPE of each fitted model on ``test``, with the rows it could score.

    A model that cannot predict unknown ids (``predicts_unknown`` False: the seed model
    meets a user or movie it never saw) is scored on the pairs it knows; ``n_scored``
    says how many that was. ``fit_seconds`` gives fit times for models that do not time
    themselves (``fit_seconds_``).
    """
    fit_seconds = dict(fit_seconds or {})
    rows = []
    for name, model in models.items():
        pairs = test
        if not model.predicts_unknown:
            pairs = test[model.knows(test["user_id"], test["movie_id"])]
        fit_s = fit_seconds.get(name, getattr(model, "fit_seconds_", np.nan))
        rows.append(_rating_row(name, model, pairs, fit_s))
    table = pd.DataFrame(rows).rename(columns={"n_ratings": "n_scored"})
    return table[["model", "rmse", "mae", "mape", "n_scored", "fit_s"]].set_index("model")


def evaluate(
    models: Mapping[str, Recommender],
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = 10,
    n_users: int | None = None,
    seed: int = 42,
    activity_edges: Sequence[int] = DEFAULT_ACTIVITY_EDGES,
    refit: bool = False,
    batch_size: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Fit (unless already fitted) and judge every model on the same split.

    Rating metrics use every test rating whose user and movie are in training (the
    same pairs for every model, so the numbers compare). ``n_users`` evaluates on a
    seeded sample of that many test users instead of all of them (ranking and rating
    metrics alike) — the way to keep a full-size run with slow models short. Fitted
    models stay fitted in ``models``; a model passed in already fitted is used as it is
    (``refit=True`` refits it), after checking it never saw a test rating.
    """
    check_n(k, what="k")
    if not models:
        raise ValueError("no models to evaluate")
    say = progress or (lambda _msg: None)
    train_users = pd.Index(train["user_id"].unique())
    train_movies = pd.Index(train["movie_id"].unique())
    n_train = train.groupby("user_id").size()
    test_users = np.sort(test.loc[test["user_id"].isin(train_users), "user_id"].unique())
    users = test_users
    if n_users is not None and n_users < len(test_users):
        rng = np.random.default_rng(seed)
        users = np.sort(rng.choice(test_users, size=n_users, replace=False))
    rel = test[test["user_id"].isin(users)].drop_duplicates(["user_id", "movie_id"])
    n_relevant = rel.groupby("user_id").size().reindex(users).to_numpy()
    rel_keys = np.sort(_pair_keys(rel["user_id"].to_numpy(), rel["movie_id"].to_numpy()))
    bucket = activity_bucket(n_train.reindex(users).to_numpy(), activity_edges)
    pairs = test[test["user_id"].isin(users) & test["movie_id"].isin(train_movies)]
    movie_pop = train.drop_duplicates(["user_id", "movie_id"]).groupby("movie_id").size()

    rating_rows, ranking_rows, per_user_frames = [], [], []
    not_ranked: dict[str, str] = {}
    for name, model in models.items():
        say(f"{name}: fitting")
        fit_s = _fit(model, name, train, test, refit)
        if model.predicts_ratings and len(pairs):
            say(f"{name}: predicting {len(pairs):,} test ratings")
            rating_rows.append(_rating_row(name, model, pairs, fit_s))
        say(f"{name}: ranking for {len(users):,} users")
        if not model.ranks:  # e.g. the global mean: every movie scores alike
            not_ranked[name] = model.not_ranking_reason or f"{name} does not rank"
            continue
        start = time.perf_counter()
        top = recommend_top_k(model, users, train, k, batch_size=batch_size)
        rec_s = time.perf_counter() - start
        hits = np.isin(_pair_keys(np.repeat(users, k), top.ravel()), rel_keys).reshape(top.shape)
        hits &= top >= 0
        per_user = metrics.per_user_metrics(hits, n_relevant)
        recommended = top[top >= 0]
        ranking_rows.append(
            {
                "model": name,
                **{f"{m}@{k}": v for m, v in metrics.summarise(per_user).items()},
                "coverage": metrics.catalogue_coverage(recommended, model.ratings_.movie_ids),
                "novelty": metrics.novelty(recommended, movie_pop, len(train_users)),
                "n_users": len(users),
                "fit_s": fit_s,
                "recommend_ms_per_user": 1000 * rec_s / max(1, len(users)),
            }
        )
        per_user_frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "user_id": users,
                    "n_train": n_train.reindex(users).to_numpy(),
                    "activity": bucket,
                    **per_user,
                }
            )
        )

    per_user = pd.concat(per_user_frames, ignore_index=True)
    per_user["model"] = pd.Categorical(
        per_user["model"], categories=[m for m in models if m not in not_ranked], ordered=True
    )
    by_activity = (
        per_user.groupby(["model", "activity"], observed=True)
        .agg(
            n_users=("user_id", "size"),
            **{f"{m}@{k}": (m, "mean") for m in metrics.RANKING_METRICS},
        )
        .reset_index()
    )
    rating = pd.DataFrame(
        [{c: r[c] for c in RATING_COLUMNS} for r in rating_rows], columns=RATING_COLUMNS
    )
    if rating_rows:
        by_activity = by_activity.merge(
            _rmse_by_activity(rating_rows, pairs, n_train, activity_edges),
            on=["model", "activity"],
            how="left",
        )
    else:
        by_activity["rmse"] = np.nan
    by_activity["model"] = by_activity["model"].astype(str)
    by_activity["activity"] = by_activity["activity"].astype(str)
    per_user["model"] = per_user["model"].astype(str)
    info = {
        "not_ranked": not_ranked,
        "k": k,
        "n_train": len(train),
        "n_test": len(test),
        "n_test_users": len(test_users),
        "n_users_ranked": len(users),
        "n_rating_pairs": len(pairs),
        "global_mean_rmse": metrics.rmse(
            pairs["rating"], np.full(len(pairs), train["rating"].mean())
        ),
        "activity_edges": list(activity_edges),
    }
    return Evaluation(k, rating, pd.DataFrame(ranking_rows), by_activity, per_user, info)


def _rmse_by_activity(rows, pairs, n_train, edges) -> pd.DataFrame:
    bucket = activity_bucket(n_train.reindex(pairs["user_id"].to_numpy()).to_numpy(), edges)
    frames = []
    for r in rows:
        err = pd.DataFrame({"activity": bucket, "sq": r["_sq_err"]})
        g = err.groupby("activity", observed=True)["sq"].mean().pow(0.5)
        frames.append(
            pd.DataFrame({"model": r["model"], "activity": g.index, "rmse": g.to_numpy()})
        )
    out = pd.concat(frames, ignore_index=True)
    out["activity"] = out["activity"].astype(str)
    out["model"] = out["model"].astype(str)
    return out


# --------------------------------------------------------------------------- reading


def conclusions(ev: Evaluation, baseline: str = "popularity") -> pd.DataFrame:
    """The best model for each job, with the numbers that say so — read off the tables.

    Jobs: a top-k list for a typical user (highest NDCG@k), predicting stars (lowest
    RMSE), users with the fewest and the most ratings (highest NDCG@k in the coldest
    and the heaviest activity bucket present), less obvious movies (highest novelty among models
    at least as accurate as ``baseline``), and cost (the fastest recommender among those
    that beat ``baseline`` on NDCG@k). A job without a candidate is left out.
    """
    k = ev.k
    nd, pk = f"ndcg@{k}", f"precision@{k}"
    rank = ev.ranking.set_index("model")
    rows = []

    def add(job: str, model: str, evidence: str) -> None:
        rows.append({"job": job, "model": model, "evidence": evidence})

    def runner_up(series: pd.Series, best: str, higher: bool = True) -> str:
        rest = series.drop(best)
        if rest.empty:
            return ""
        other = rest.idxmax() if higher else rest.idxmin()
        return f"; next best {other}: {rest[other]:.3f}"

    base_ndcg = rank[nd].get(baseline, np.nan)
    best = str(rank[nd].idxmax())
    vs_base = "" if np.isnan(base_ndcg) or best == baseline else f", {baseline} {base_ndcg:.3f}"
    add(
        f"top-{k} list for a typical user",
        best,
        f"NDCG@{k} {rank.loc[best, nd]:.3f}, precision@{k} {rank.loc[best, pk]:.3f}"
        f"{runner_up(rank[nd], best)}{vs_base}",
    )
    if not ev.rating.empty:
        r = ev.rating.set_index("model")["rmse"]
        top = str(r.idxmin())
        add("predicting stars", top, f"RMSE {r[top]:.3f}{runner_up(r, top, higher=False)}")
    buckets = list(dict.fromkeys(ev.by_activity["activity"]))  # coldest first
    ends = [("users with the fewest ratings", buckets[0])] if buckets else []
    if len(buckets) > 1:
        ends.append(("users with the most ratings", buckets[-1]))
    for label, bucket in ends:
        part = ev.by_activity[ev.by_activity["activity"] == bucket].set_index("model")[nd]
        top = str(part.idxmax())
        add(
            f"{label}: {bucket}",
            top,
            f"NDCG@{k} {part[top]:.3f} in this bucket{runner_up(part, top)}",
        )
    good = rank[rank[nd] >= base_ndcg] if not np.isnan(base_ndcg) else rank
    good = good.drop(index=baseline, errors="ignore")
    if not good.empty:
        top = str(good["novelty"].idxmax())
        add(
            "less obvious movies (as accurate as popularity or better)",
            top,
            f"novelty {good.loc[top, 'novelty']:.2f} bits, coverage {good.loc[top, 'coverage']:.0%}"
            f" of the catalogue, NDCG@{k} {good.loc[top, nd]:.3f}",
        )
    better = rank[rank[nd] > base_ndcg] if not np.isnan(base_ndcg) else rank
    if not better.empty:
        cost = better["recommend_ms_per_user"]
        top = str(cost.idxmin())
        add(
            f"cheapest to serve (beats {baseline})" if not np.isnan(base_ndcg) else "cheapest",
            top,
            f"{cost[top]:.2f} ms per user, fit {better.loc[top, 'fit_s']:.1f} s, "
            f"NDCG@{k} {better.loc[top, nd]:.3f}",
        )
    return pd.DataFrame(rows, columns=["job", "model", "evidence"])


# --------------------------------------------------------------------------- the models


def build_models(
    which: Sequence[str] | None = None,
    movies: pd.DataFrame | None = None,
    ease_lam: float = 500.0,
    mf_epochs: int | None = None,
    seed: int = 42,
) -> tuple[dict[str, Recommender], dict[str, str]]:
    """Fresh, unfitted models by registry name, for notebooks and benchmarks to loop over.

    ``which`` picks from :data:`zeerec.models.registry.MODELS` (all by default). Returns
    the models and ``{name: reason}`` for those that cannot be built here (e.g.
    content-based without the movies table), so a report can say what it left out
    instead of failing. ``mf_epochs`` caps the training epochs of both Keras models (the
    seed's model then also trains with batches of 1,024 instead of 128, at a matching
    learning rate; the improved model keeps its best validated epoch without the refit
    on all training ratings), so that a full comparison fits a report's time budget;
    None keeps each model's own settings (the seed's as published: 20 epochs, batch 128).
    """
    names = list(registry.MODELS) if which is None else list(which)
    for name in names:
        registry.spec(name)  # an unknown name is an error listing the known ones
    settings: dict[str, dict[str, Any]] = {"EASE": {"lam": ease_lam}}
    if mf_epochs is not None:
        settings["seed MF"] = {"epochs": mf_epochs, "batch_size": 1024, "learning_rate": 1e-3}
        settings["improved MF"] = {"epochs": mf_epochs, "refit": False}
    models, missing = {}, {}
    for name in names:
        try:
            models[name] = registry.create(name, movies, seed, **settings.get(name, {}))
        except (ImportError, LookupError) as err:
            missing[name] = str(err)
    return models, missing


# --------------------------------------------------------------------------- tuning


def grid_search(
    make_model: Callable[..., Recommender],
    grid: Mapping[str, Iterable[Any]],
    train: pd.DataFrame,
    k: int = 10,
    metric: str = "ndcg",
    validation_size: float = 0.25,
    seed: int = 42,
    repeats: int = 1,
    n_users: int | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Tune on validation splits carved from ``train`` (never from test).

    Each user's training ratings are split again ``1 − validation_size`` /
    ``validation_size`` with :func:`stratified_split` (seeds ``seed``, ``seed + 1``, …
    for ``repeats`` carvings); every parameter combination is fitted on the first part
    and ranked on the second, and the metrics are averaged over the carvings (more
    repeats, a steadier choice). Returns the best parameters by ``metric``@k and the
    whole table, so the choice can be shown, not just made.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    names = list(grid)
    combos = [
        dict(zip(names, v, strict=True)) for v in itertools.product(*map(list, grid.values()))
    ]
    if not combos:
        raise ValueError("the grid is empty")
    rows = []
    for r in range(repeats):
        fit_part, valid = stratified_split(train, test_size=validation_size, seed=seed + r)
        for i, params in enumerate(combos):
            result = evaluate(
                {"candidate": make_model(**params)},
                fit_part,
                valid,
                k=k,
                n_users=n_users,
                seed=seed,
            )
            row = result.ranking.iloc[0]
            scores = {c: row[c] for c in result.ranking.columns if "@" in c}
            rows.append({"_combo": i, **params, **scores, "fit_s": row["fit_s"]})
    scores = pd.DataFrame(rows).drop(columns=names).groupby("_combo", sort=True).mean()
    table = pd.concat([pd.DataFrame(combos), scores.reset_index(drop=True)], axis=1)
    best = combos[int(table[f"{metric}@{k}"].to_numpy().argmax())]
    return best, table


def tune(
    name: str,
    train: pd.DataFrame,
    knobs: Mapping[str, Iterable[Any]] | None = None,
    movies: pd.DataFrame | None = None,
    **kwargs: Any,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`grid_search` over a registry model's knobs (its declared search space unless
    ``knobs`` narrows it), on validation carved from ``train``; ``kwargs`` go to
    :func:`grid_search` (k, metric, seed, repeats, n_users, ...)."""
    spec = registry.spec(name)
    grid = dict(spec.knobs if knobs is None else knobs)
    return grid_search(lambda **kw: spec.create(movies=movies, **kw), grid, train, **kwargs)
