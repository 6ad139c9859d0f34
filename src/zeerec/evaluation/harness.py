"""The harness: fit every model on one split and judge it (see :mod:`zeerec.evaluation`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeerec import metrics
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.ranking import check_n, top_n_rows

DEFAULT_ACTIVITY_EDGES = (30, 150)
RATING_COLUMNS = ["model", "rmse", "mae", "mape", "n_ratings", "fit_s", "predict_s"]
SHORT_TIMING_S, TIMING_REPEATS = 0.25, 5
"""A model's lists for every judged user that take less than SHORT_TIMING_S are made
again, up to TIMING_REPEATS times in all, and the fastest run is its time (as timeit
does): one run of a few tens of milliseconds moved 2-3x between reports on the same
data and code, which decided report 07's "cheapest to serve". The lists are the same
each time; a slower model is timed once."""


@dataclass
class Evaluation:
    """The tables :func:`evaluate` returns; every one is a plain DataFrame."""

    k: int
    rating: pd.DataFrame
    ranking: pd.DataFrame
    by_activity: pd.DataFrame
    per_user: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    rating_per_user: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per star model and judged user: summed squared error and held-out ratings
    (model, user_id, sse, n), for the RMSE intervals."""

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


@dataclass(frozen=True)
class _Judged:
    """What every model is judged against: the users, their held-out movies, the pairs."""

    users: np.ndarray  # judged test users, sorted
    n_test_users: int  # test users who are in training (before any sampling)
    n_train: pd.Series  # training ratings per user
    n_relevant: np.ndarray  # held-out movies per judged user
    relevant_keys: np.ndarray  # sorted (user, movie) keys of the held-out movies
    bucket: pd.Categorical  # activity bucket per judged user
    pairs: pd.DataFrame  # held-out ratings of judged users on movies seen in training
    movie_pop: pd.Series  # training raters per movie: novelty, and coverage's catalogue


def _judged(train, test, n_users, seed, activity_edges) -> _Judged:
    train_users = pd.Index(train["user_id"].unique())
    n_train = train.groupby("user_id").size()
    test_users = np.sort(test.loc[test["user_id"].isin(train_users), "user_id"].unique())
    users = test_users
    if n_users is not None and n_users < len(test_users):
        rng = np.random.default_rng(seed)
        users = np.sort(rng.choice(test_users, size=n_users, replace=False))
    rel = test[test["user_id"].isin(users)].drop_duplicates(["user_id", "movie_id"])
    return _Judged(
        users=users,
        n_test_users=len(test_users),
        n_train=n_train,
        n_relevant=rel.groupby("user_id").size().reindex(users).to_numpy(),
        relevant_keys=np.sort(_pair_keys(rel["user_id"].to_numpy(), rel["movie_id"].to_numpy())),
        bucket=activity_bucket(n_train.reindex(users).to_numpy(), activity_edges),
        pairs=test[test["user_id"].isin(users) & test["movie_id"].isin(train["movie_id"])],
        movie_pop=train.drop_duplicates(["user_id", "movie_id"]).groupby("movie_id").size(),
    )


def _ranking(
    name: str, model: Recommender, j: _Judged, train, k: int, batch_size: int, fit_s: float
) -> tuple[dict[str, Any], pd.DataFrame]:
    """One model's ranking row and its per-user metrics."""
    start = time.perf_counter()
    top = recommend_top_k(model, j.users, train, k, batch_size=batch_size)
    rec_s = time.perf_counter() - start
    for _ in range(TIMING_REPEATS - 1):
        if rec_s >= SHORT_TIMING_S:
            break
        start = time.perf_counter()
        recommend_top_k(model, j.users, train, k, batch_size=batch_size)
        rec_s = min(rec_s, time.perf_counter() - start)
    keys = _pair_keys(np.repeat(j.users, k), top.ravel())
    hits = np.isin(keys, j.relevant_keys).reshape(top.shape) & (top >= 0)
    per_user = metrics.per_user_metrics(hits, j.n_relevant)
    recommended = top[top >= 0]
    row = {
        "model": name,
        **{f"{m}@{k}": v for m, v in metrics.summarise(per_user).items()},
        "coverage": metrics.catalogue_coverage(recommended, j.movie_pop.index, outside_ok=True),
        "novelty": metrics.novelty(recommended, j.movie_pop),
        "n_users": len(j.users),
        "fit_s": fit_s,
        "recommend_ms_per_user": 1000 * rec_s / max(1, len(j.users)),
    }
    frame = pd.DataFrame(
        {
            "model": name,
            "user_id": j.users,
            "n_train": j.n_train.reindex(j.users).to_numpy(),
            "activity": j.bucket,
            **per_user,
            "novelty": metrics.novelty_per_list(top, j.movie_pop),
        }
    )
    return row, frame


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
    (``refit=True`` refits it), after checking it never saw a test rating. Each model is
    offered the ones fitted before it here (:meth:`Recommender.offer_fitted`), so the
    rating blend does not fit its components a second time; its ``fit_s`` then counts
    only what it fitted itself.
    """
    check_n(k, what="k")
    if not models:
        raise ValueError("no models to evaluate")
    say = progress or (lambda _msg: None)
    j = _judged(train, test, n_users, seed, activity_edges)
    rating_rows, ranking_rows, per_user_frames = [], [], []
    not_ranked: dict[str, str] = {}
    fitted_here: dict[str, Recommender] = {}  # fitted on ``train`` by this call
    for name, model in models.items():
        say(f"{name}: fitting")
        fits_here = refit or not model.is_fitted
        if fits_here:
            model.offer_fitted(fitted_here)  # the blend takes its components from here
        fit_s = _fit(model, name, train, test, refit)
        if fits_here:
            fitted_here[name] = model
        if model.predicts_ratings and len(j.pairs):
            say(f"{name}: predicting {len(j.pairs):,} test ratings")
            rating_rows.append(_rating_row(name, model, j.pairs, fit_s))
        say(f"{name}: ranking for {len(j.users):,} users")
        if not model.ranks:  # e.g. the global mean: every movie scores alike
            not_ranked[name] = model.not_ranking_reason or f"{name} does not rank"
            continue
        row, frame = _ranking(name, model, j, train, k, batch_size, fit_s)
        ranking_rows.append(row)
        per_user_frames.append(frame)
    ranked = [m for m in models if m not in not_ranked]
    per_user, by_activity = _per_user_tables(per_user_frames, ranked, k)
    rating = pd.DataFrame(
        [{c: r[c] for c in RATING_COLUMNS} for r in rating_rows], columns=RATING_COLUMNS
    )
    by_activity = _with_rmse(by_activity, rating_rows, j, activity_edges)
    info = _info(j, train, test, k, not_ranked, activity_edges)
    errors = rating_errors_per_user(
        j.pairs["user_id"].to_numpy(), {r["model"]: r["_sq_err"] for r in rating_rows}
    )
    return Evaluation(k, rating, pd.DataFrame(ranking_rows), by_activity, per_user, info, errors)


def rating_errors_per_user(
    users: np.ndarray, squared_errors: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """model, user_id, sse, n: each model's squared errors (one per rating, the rating's
    user in ``users``) summed per user: the input of
    :func:`~zeerec.evaluation.rmse_difference` and :func:`~zeerec.evaluation.rmse_intervals`."""
    users = np.asarray(users)
    frames = [
        pd.DataFrame({"user_id": users, "sq": sq})
        .groupby("user_id")["sq"]
        .agg(sse="sum", n="size")
        .reset_index()
        .assign(model=name)
        for name, sq in squared_errors.items()
    ]
    columns = ["model", "user_id", "sse", "n"]
    return (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )


def _info(j: _Judged, train, test, k, not_ranked, activity_edges) -> dict[str, Any]:
    """What was judged, and the reference RMSE of always predicting the training mean."""
    return {
        "not_ranked": not_ranked,
        "k": k,
        "n_train": len(train),
        "n_test": len(test),
        "n_test_users": j.n_test_users,
        "n_users_ranked": len(j.users),
        "n_rating_pairs": len(j.pairs),
        "global_mean_rmse": metrics.rmse(
            j.pairs["rating"], np.full(len(j.pairs), train["rating"].mean())
        ),
        "activity_edges": list(activity_edges),
    }


def _per_user_tables(frames, ranked: list[str], k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All models' per-user metrics, and their means per activity bucket."""
    per_user = pd.concat(frames, ignore_index=True)
    per_user["model"] = pd.Categorical(per_user["model"], categories=ranked, ordered=True)
    by_activity = (
        per_user.groupby(["model", "activity"], observed=True)
        .agg(
            n_users=("user_id", "size"),
            **{f"{m}@{k}": (m, "mean") for m in metrics.RANKING_METRICS},
        )
        .reset_index()
    )
    per_user["model"] = per_user["model"].astype(str)
    return per_user, by_activity


def _with_rmse(by_activity: pd.DataFrame, rating_rows, j: _Judged, edges) -> pd.DataFrame:
    """The activity table with each star model's RMSE per bucket (NaN for the others)."""
    if rating_rows:
        by_activity = by_activity.merge(
            _rmse_by_activity(rating_rows, j.pairs, j.n_train, edges),
            on=["model", "activity"],
            how="left",
        )
    else:
        by_activity["rmse"] = np.nan
    by_activity["model"] = by_activity["model"].astype(str)
    by_activity["activity"] = by_activity["activity"].astype(str)
    return by_activity


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
        settings["rating blend"] = {"mf_epochs": mf_epochs}
    models, missing = {}, {}
    for name in names:
        try:
            models[name] = registry.create(name, movies, seed, **settings.get(name, {}))
        except (ImportError, LookupError) as err:
            missing[name] = str(err)
    return models, missing
