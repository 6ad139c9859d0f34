"""How sure is a ranking of models? Paired bootstrap intervals over the judged users.

Every model in one :func:`~zeerec.evaluation.evaluate` run is judged on the same users,
so two models are compared *paired*: each bootstrap resample draws users with
replacement and takes the difference of the two models' means over the same draw. The
user-to-user spread that both models share (some users are easy to recommend for,
some hard) cancels out of the difference, which makes the paired interval much
narrower than two separate intervals would suggest.

Resamples are drawn once per call as a (resamples × users) count matrix, so all models
and all metrics come from the same draws and a table of intervals costs one matrix
product. Percentile intervals, seeded: the same inputs give the same interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95


def _draws(n_users: int, resamples: int, seed: int) -> np.ndarray:
    """resamples × users: how often each user is drawn in each bootstrap resample."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n_users, size=(resamples, n_users))
    flat = (picks + np.arange(resamples)[:, None] * n_users).ravel()
    counts = np.bincount(flat, minlength=resamples * n_users)
    return counts.reshape(resamples, n_users).astype(np.float64)


def _wide(per_user: pd.DataFrame, metric: str, models: Sequence[str] | None) -> pd.DataFrame:
    """users × models table of one metric; users missing a value for any model are left
    out (a paired comparison needs both values)."""
    if metric not in per_user.columns:
        raise ValueError(f"no per-user metric {metric!r}; have {list(per_user.columns)}")
    wide = per_user.pivot(index="user_id", columns="model", values=metric)
    if models is not None:
        missing = [m for m in models if m not in wide.columns]
        if missing:
            raise ValueError(f"no per-user results for model(s) {missing}")
        wide = wide[list(models)]
    return wide.dropna()


def bootstrap_means(
    per_user: pd.DataFrame,
    metric: str,
    models: Sequence[str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean of ``metric`` per model with its bootstrap interval: model, mean, lo, hi, n_users.

    ``per_user`` is :attr:`Evaluation.per_user` (one row per model and user).
    """
    wide = _wide(per_user, metric, models)
    x = wide.to_numpy(dtype=np.float64)
    means = _draws(len(x), resamples, seed) @ x / len(x)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame(
        {
            "model": list(wide.columns),
            "mean": x.mean(axis=0),
            "lo": lo,
            "hi": hi,
            "n_users": len(x),
        }
    )


def paired_difference(
    per_user: pd.DataFrame,
    metric: str,
    a: str,
    b: str,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> dict[str, float | str]:
    """Mean of ``metric`` for model ``a`` minus model ``b`` over the same users, with its
    paired bootstrap interval, and the verdict: ``a`` or ``b`` when the interval
    excludes 0, ``"tied"`` when it covers 0."""
    wide = _wide(per_user, metric, [a, b])
    d = (wide[a] - wide[b]).to_numpy(dtype=np.float64)
    means = _draws(len(d), resamples, seed) @ d / len(d)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    verdict = a if lo > 0 else b if hi < 0 else "tied"
    return {
        "a": a,
        "b": b,
        "difference": float(d.mean()),
        "lo": float(lo),
        "hi": float(hi),
        "verdict": verdict,
        "n_users": len(d),
    }


def metric_intervals(
    per_user: pd.DataFrame,
    k: int,
    metrics: Sequence[str] = ("precision", "recall", "ndcg", "map", "hit_rate"),
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Every model's mean of each top-k metric with its bootstrap interval, one row per
    (model, metric): model, metric (``"ndcg@10"``), mean, lo, hi, n_users. All metrics
    share the same resamples of users."""
    frames = [
        bootstrap_means(per_user, m, resamples=resamples, level=level, seed=seed).assign(
            metric=f"{m}@{k}"
        )
        for m in metrics
    ]
    out = pd.concat(frames, ignore_index=True)
    return out[["model", "metric", "mean", "lo", "hi", "n_users"]]


def _rmse_boot(
    rating_per_user: pd.DataFrame, models: Sequence[str], resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Each model's RMSE on all judged users, its RMSE in every bootstrap resample of
    users (resamples × models), and the number of users."""
    sse = rating_per_user.pivot(index="user_id", columns="model", values="sse")[list(models)]
    n = rating_per_user.groupby("user_id")["n"].first().reindex(sse.index).to_numpy(np.float64)
    sse = sse.to_numpy(dtype=np.float64)
    draws = _draws(len(n), resamples, seed)
    boot = np.sqrt(draws @ sse / (draws @ n)[:, None])
    return np.sqrt(sse.sum(axis=0) / n.sum()), boot, len(n)


def rmse_intervals(
    rating_per_user: pd.DataFrame,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """RMSE per model with its bootstrap interval over users (a drawn user brings all
    their held-out ratings): model, mean (the RMSE), lo, hi, n_users.

    ``rating_per_user`` is :attr:`Evaluation.rating_per_user` (model, user_id, sse, n).
    """
    models = list(dict.fromkeys(rating_per_user["model"]))
    rmse, boot, n_users = _rmse_boot(rating_per_user, models, resamples, seed)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({"model": models, "mean": rmse, "lo": lo, "hi": hi, "n_users": n_users})


def rmse_difference(
    rating_per_user: pd.DataFrame,
    a: str,
    b: str,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> dict[str, float | str]:
    """RMSE of ``a`` minus RMSE of ``b`` on the same ratings, with its paired bootstrap
    interval over users; the verdict names the model with the *lower* RMSE when the
    interval excludes 0, else ``"tied"``."""
    whole, boot, n_users = _rmse_boot(rating_per_user, [a, b], resamples, seed)
    d = boot[:, 0] - boot[:, 1]
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    verdict = b if lo > 0 else a if hi < 0 else "tied"
    return {
        "a": a,
        "b": b,
        "difference": float(whole[0] - whole[1]),
        "lo": float(lo),
        "hi": float(hi),
        "verdict": verdict,
        "n_users": n_users,
    }
