"""Figures of the model comparison (notebook 07): quality, error, cost, activity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from zeerec.plots.base import (
    FIGSIZE,
    _color,
    _new_figure,
    _themed,
)


def _grouped_hbars(
    ax: Axes, table: pd.DataFrame, fmt: str = "{:.3f}", intervals: pd.DataFrame | None = None
) -> None:
    """One group of horizontal bars per row of ``table`` (a model), one bar per column;
    ``intervals`` (model, metric, lo, hi; metric named like the column) adds error bars."""
    n_rows, n_cols = table.shape
    height = 0.8 / n_cols
    y = np.arange(n_rows)
    for j, col in enumerate(table.columns):
        values = table[col].to_numpy(dtype=np.float64)
        bars = ax.barh(
            y + (j - (n_cols - 1) / 2) * height,
            values,
            height,
            color=_color(j),
            label=col,
            xerr=_error_bars(intervals, table.index, col, values),
            error_kw={"elinewidth": 0.8, "capsize": 1.5, "ecolor": "0.25"},
        )
        ax.bar_label(
            bars,
            labels=["" if np.isnan(v) else fmt.format(v) for v in values],
            padding=2,
            fontsize="x-small",
        )
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.margins(x=0.15)
    ax.grid(axis="y", visible=False)


def _error_bars(intervals, models, col, values) -> np.ndarray | None:
    """2 × models distances from each bar's end to its interval (None: no interval)."""
    if intervals is None:
        return None
    part = intervals[intervals["metric"] == col].set_index("model").reindex(list(models))
    if part[["lo", "hi"]].isna().all().all():
        return None
    lo, hi = part["lo"].to_numpy(np.float64), part["hi"].to_numpy(np.float64)
    return np.nan_to_num(np.vstack([values - lo, hi - values]), nan=0.0).clip(min=0)


def _model_bars(
    table: pd.DataFrame,
    height: float,
    title: str,
    xlabel: str,
    intervals: pd.DataFrame | None = None,
) -> Figure:
    """A figure of grouped bars, one group per model (row of ``table``), legend outside."""
    fig, ax = _new_figure(height=height)
    _grouped_hbars(ax, table, intervals=intervals)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Model")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig


@_themed
def ranking_metrics(
    ranking: pd.DataFrame, k: int = 10, intervals: pd.DataFrame | None = None
) -> Figure:
    """Top-k quality per model: precision, recall, NDCG and MAP side by side, best first;
    with ``intervals`` (:func:`zeerec.evaluation.metric_intervals`), 95 % error bars."""
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}"]
    table = ranking.set_index("model")[cols].sort_values(f"ndcg@{k}", ascending=False)
    label = f"map@{k} (÷ min(k, relevant))"  # the legend says which MAP it is
    table = table.rename(columns={f"map@{k}": label})
    if intervals is not None:
        intervals = intervals.replace({"metric": {f"map@{k}": label}})
    return _model_bars(
        table,
        max(FIGSIZE[1], 0.9 * len(table) + 1.5),
        f"Top-{k} quality on the judged test users (higher is better)",
        "Score (mean over the judged test users)"
        + ("; bars: 95 % interval" if intervals is not None else ""),
        intervals,
    )


@_themed
def rating_metrics(rating: pd.DataFrame, rmse_intervals: pd.DataFrame | None = None) -> Figure:
    """Rating accuracy per model: RMSE and MAE in stars, best first; with
    ``rmse_intervals`` (:func:`zeerec.evaluation.rmse_intervals`), 95 % error bars on RMSE."""
    table = rating.set_index("model")[["rmse", "mae"]].sort_values("rmse")
    table.columns = ["RMSE", "MAE"]
    intervals = None if rmse_intervals is None else rmse_intervals.assign(metric="RMSE")
    return _model_bars(
        table,
        max(4.0, 0.7 * len(table) + 1.5),
        "Error of the predicted stars on the judged test users (lower is better)",
        "Error (stars)" + ("; bars: 95 % interval of RMSE" if intervals is not None else ""),
        intervals,
    )


@_themed
def evaluation_cost(ranking: pd.DataFrame) -> Figure:
    """What each model costs: fit time and time to recommend for one user (log scales)."""
    table = ranking.set_index("model")[["fit_s", "recommend_ms_per_user"]]
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(FIGSIZE[0] * 1.4, max(FIGSIZE[1], 0.45 * len(table) + 1.5)),
        layout="constrained",
        sharey=True,
    )
    for ax, col, label, unit, i in (
        (axes[0], "fit_s", "Fit time", "s", 0),
        (axes[1], "recommend_ms_per_user", "Recommend time per user", "ms", 1),
    ):
        values = table[col].to_numpy(dtype=np.float64)
        y = np.arange(len(table))
        bars = ax.barh(y, np.where(np.isnan(values), 0, values), color=_color(i))
        ax.bar_label(
            bars,
            labels=["n/a" if np.isnan(v) else f"{v:,.3g} {unit}" for v in values],
            padding=3,
            fontsize="small",
        )
        ax.set_yticks(y, [str(m) for m in table.index])
        ax.set_xscale("log")
        ax.margins(x=0.35)
        ax.set_title(label)
        ax.set_xlabel(f"{unit} (log scale)")
        ax.grid(axis="y", visible=False)
    axes[0].invert_yaxis()
    fig.suptitle("Cost of each model")
    return fig


@_themed
def metric_by_activity(
    by_activity: pd.DataFrame,
    metric: str = "ndcg@10",
    models: list[str] | None = None,
    intervals: pd.DataFrame | None = None,
) -> Figure:
    """One metric per model within each user-activity bucket (cold → heavy users).

    ``models`` sets the order top to bottom (default: as in the table); ``intervals``
    (model, activity, lo, hi: each bucket's 95 % interval of ``metric``) adds error bars.
    """
    table = by_activity.pivot(index="model", columns="activity", values=metric)
    order = list(dict.fromkeys(by_activity["activity"]))  # keep cold → heavy
    models = list(dict.fromkeys(by_activity["model"])) if models is None else list(models)
    table = table.reindex(index=models, columns=order)
    counts = by_activity.drop_duplicates("activity").set_index("activity")["n_users"]
    labels = {a: f"{a} — {counts[a]:,} users" for a in order}
    table.columns = [labels[a] for a in order]
    bars = None
    if intervals is not None:
        bars = intervals.assign(metric=intervals["activity"].astype(str).map(labels))
    return _model_bars(
        table,
        max(FIGSIZE[1], 0.8 * len(table) + 1.5),
        f"{metric} by user activity (training ratings per user)",
        metric + ("; bars: 95 % interval within the bucket" if bars is not None else ""),
        bars,
    )
