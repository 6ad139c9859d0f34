"""EDA figures for the notebooks and the HTML reports.

Each function takes the canonical frames, draws one figure with the
object-oriented API and returns it; nothing is shown, so the same code
serves JupyterLab, papermill runs and tests. The numbers come from
:mod:`zeerec.features`, so a figure and the table next to it never disagree.

Unlike the case-study notebook, user demographics are counted once per
user (not once per rating), and movie rankings use a Bayesian weighted
mean rather than the raw average of a handful of votes.

The seaborn theme is applied inside a context manager around each
function, so importing or calling this module never changes global
matplotlib settings. In a notebook, end the cell with ``;`` or assign the
returned figure, or the inline backend shows it twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from zeerec import features

FIGSIZE: tuple[float, float] = (8.0, 5.0)
"""Every figure starts at this size so report pages line up."""

_STYLE = "whitegrid"
_CONTEXT = "notebook"
_GENDER_LABELS = {"F": "Female", "M": "Male"}
_PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}

P = ParamSpec("P")


def _themed(func: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw inside a seaborn theme that is undone afterwards (no global style leaks)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with sns.axes_style(_STYLE), sns.plotting_context(_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}"


_THOUSANDS = FuncFormatter(_thousands)


def _new_figure(height: float | None = None) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], height or FIGSIZE[1]), layout="constrained")
    return fig, ax


def _color(i: int = 0) -> tuple[float, float, float]:
    return sns.color_palette()[i]


def _share(count: int, total: int) -> str:
    """Percent with one decimal; a non-zero share never reads as "0.0%"."""
    share = count / total
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def _count_bars(
    ax: Axes, labels: list[str], counts: np.ndarray, *, with_share: bool = True
) -> None:
    """Vertical bars labelled with count and share, y axis with thousands separators."""
    counts = np.asarray(counts, dtype=np.int64)
    total = counts.sum()
    bars = ax.bar(labels, counts, color=_color())
    if with_share and total > 0:
        text = [f"{c:,}\n{_share(c, total)}" for c in counts]
    else:
        text = [f"{c:,}" for c in counts]
    ax.bar_label(bars, labels=text, padding=2, fontsize="small")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.margins(y=0.15)
    ax.grid(axis="x", visible=False)


def _hbars(ax: Axes, labels: list[str], values: np.ndarray, text: list[str]) -> None:
    """Horizontal bars, first label on top, value labels at the bar ends."""
    y = np.arange(len(labels))
    bars = ax.barh(y, values, color=_color())
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=text, padding=3, fontsize="small")
    ax.margins(x=0.2)
    ax.grid(axis="y", visible=False)


def _shorten(title: str, width: int = 42) -> str:
    """Trim long titles for tick labels but keep the year, which tells remakes apart."""
    if len(title) <= width:
        return title
    parts = features.split_title(pd.Series([title]))
    name, year = parts["name"].iloc[0], parts["year"].iloc[0]
    suffix = "" if pd.isna(year) else f" ({year})"
    keep = max(width - len(suffix) - 1, 1)
    return f"{name[:keep].rstrip()}…{suffix}"


# --------------------------------------------------------------------------- ratings


@_themed
def rating_distribution(ratings: pd.DataFrame) -> Figure:
    """How generous are the raters? Count and share of each star."""
    counts = features.rating_counts(ratings)
    fig, ax = _new_figure()
    _count_bars(ax, [f"{r}★" for r in counts.index], counts.to_numpy())
    ax.set_title(f"Distribution of ratings ({counts.sum():,} ratings)")
    ax.set_xlabel("Rating (stars)")
    ax.set_ylabel("Number of ratings")
    return fig


# --------------------------------------------------------------------------- users


@_themed
def age_distribution(users: pd.DataFrame) -> Figure:
    """Users per age group, in age order (each user counted once)."""
    counts = users["age_group"].value_counts(sort=False)
    fig, ax = _new_figure()
    _count_bars(ax, [str(c) for c in counts.index], counts.to_numpy())
    ax.set_title(f"Users by age group ({len(users):,} users)")
    ax.set_xlabel("Age group (years)")
    ax.set_ylabel("Number of users")
    return fig


@_themed
def gender_distribution(users: pd.DataFrame) -> Figure:
    """Users per gender with shares (bars, not a pie: lengths compare better than angles)."""
    counts = users["gender"].value_counts(sort=False)
    labels = [_GENDER_LABELS.get(str(g), str(g)) for g in counts.index]
    fig, ax = _new_figure()
    _count_bars(ax, labels, counts.to_numpy())
    ax.set_title(f"Users by gender ({len(users):,} users)")
    ax.set_xlabel("Gender")
    ax.set_ylabel("Number of users")
    return fig


@_themed
def occupation_distribution(users: pd.DataFrame) -> Figure:
    """Users per occupation, most common on top."""
    counts = users["occupation"].value_counts(sort=True)
    total = counts.sum()
    text = [f"{c:,} ({_share(c, total)})" if total else f"{c:,}" for c in counts]
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.28 * len(counts) + 1.2))
    _hbars(ax, [str(c) for c in counts.index], counts.to_numpy(), text)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title(f"Users by occupation ({len(users):,} users)")
    ax.set_xlabel("Number of users")
    ax.set_ylabel("Occupation")
    return fig


# --------------------------------------------------------------------------- movies


@_themed
def release_decade_distribution(
    movies: pd.DataFrame, ratings: pd.DataFrame | None = None
) -> Figure:
    """Movies per release decade, or ratings per decade when ``ratings`` is given.

    The two differ a lot: the catalogue reaches back to the 1910s but the
    ratings pile up on recent films.
    """
    counts = features.decade_counts(movies, ratings)
    what = "movies" if ratings is None else "ratings"
    total = len(movies) if ratings is None else len(ratings)
    missing = total - int(counts.sum())
    fig, ax = _new_figure()
    _count_bars(ax, [str(d) for d in counts.index], counts.to_numpy())
    if len(counts) > 10:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(f"{what.capitalize()} by movie release decade ({total:,} {what})")
    xlabel = "Release decade"
    if missing:
        xlabel += f" ({missing:,} {what} without a release year not shown)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"Number of {what}")
    return fig


def _log_integer_edges(lo: int, hi: int, bins: int) -> np.ndarray:
    """Roughly log-spaced integer bin edges from ``lo`` to ``hi + 1``.

    Integer edges give each small count (1, 2, 3 votes) a whole bin instead of
    the empty slivers float edges leave between integers, and never-shrinking
    widths avoid a comb where bins alternately hold one and two integers.
    """
    raw = np.unique(np.geomspace(lo, hi + 1, bins + 1).astype(np.int64))
    if len(raw) < 2:
        return np.array([lo, hi + 1])
    widths = np.maximum.accumulate(np.diff(raw))
    edges = lo + np.concatenate([[0], np.cumsum(widths)])
    edges = edges[edges <= hi]
    if len(edges) > 1 and hi + 1 - edges[-1] < (edges[-1] - edges[-2]) / 2:
        edges = edges[:-1]  # fold a sliver of a last bin into its neighbour
    return np.append(edges, hi + 1)


def _long_tail(counts: pd.Series, who: str, bins: int) -> Figure:
    """Histogram of per-entity rating counts on log-spaced integer bins."""
    values = counts.to_numpy(dtype=np.int64)
    if len(values) == 0:
        raise ValueError("no ratings to plot")
    fig, ax = _new_figure()
    lo, hi = int(values.min()), int(values.max())
    edges = _log_integer_edges(lo, hi, bins)
    ax.hist(values, bins=edges, color=_color(), edgecolor="white", linewidth=0.5)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    median = float(np.median(values))
    ax.axvline(median, color=_color(1), linestyle="--", label=f"median = {median:,.0f} ratings")
    ax.axvline(hi, color=_color(3), linestyle=":", label=f"max = {hi:,} ratings")
    ax.legend(loc="upper right", frameon=True)
    ax.set_xlabel("Number of ratings (log scale)")
    ax.set_ylabel(f"Number of {who}")
    return fig


@_themed
def ratings_per_user(ratings: pd.DataFrame, bins: int = 40) -> Figure:
    """How active are users? Most rate a few dozen movies, a few rate hundreds."""
    per_user = features.activity(ratings).per_user
    fig = _long_tail(per_user, "users", bins)
    fig.axes[0].set_title(f"Ratings per user: a long tail ({len(per_user):,} users)")
    return fig


@_themed
def ratings_per_movie(ratings: pd.DataFrame, bins: int = 40) -> Figure:
    """How concentrated is attention? Blockbusters get hundreds, most movies a few."""
    per_movie = features.activity(ratings).per_movie
    fig = _long_tail(per_movie, "movies", bins)
    fig.axes[0].set_title(f"Ratings per movie: a long tail ({len(per_movie):,} rated movies)")
    return fig


@_themed
def ratings_over_time(ratings: pd.DataFrame, freq: str = "W") -> Figure:
    """Ratings per week (or other period): when the data was collected."""
    counts = features.ratings_per_period(ratings, freq)
    if len(counts) == 0:
        raise ValueError("no ratings to plot")
    periods = counts.index
    edges = periods.start_time.append(pd.DatetimeIndex([(periods[-1] + 1).start_time]))
    period = _PERIOD_NAMES.get(periods.freqstr.split("-")[0], periods.freqstr)
    fig, ax = _new_figure()
    ax.stairs(counts.to_numpy(), edges.to_numpy(), fill=True, color=_color(), alpha=0.8)
    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Ratings per {period} ({counts.sum():,} ratings)")
    ax.set_xlabel(f"Date ({period} of rating)")
    ax.set_ylabel(f"Number of ratings per {period}")
    return fig


@_themed
def genre_popularity(movies: pd.DataFrame, ratings: pd.DataFrame) -> Figure:
    """Ratings per genre with the genre's mean rating; popular is not the same as liked."""
    stats = features.genre_stats(ratings, movies).sort_values(
        "n_ratings", ascending=False, kind="stable"
    )
    text = [
        f"{n:,} · mean {m:.2f}★" if n else "0"
        for n, m in zip(stats["n_ratings"], stats["mean_rating"], strict=True)
    ]
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.3 * len(stats) + 1.2))
    _hbars(ax, list(stats.index), stats["n_ratings"].to_numpy(), text)
    ax.margins(x=0.4)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title("Ratings per genre, with mean rating\n(a movie counts once in each of its genres)")
    ax.set_xlabel("Number of ratings")
    ax.set_ylabel("Genre")
    return fig


@_themed
def most_rated_movies(ratings: pd.DataFrame, movies: pd.DataFrame, n: int = 15) -> Figure:
    """The most rated movies: popularity, which the recommenders must not confuse with quality."""
    top = features.most_rated(ratings, movies, n=n)
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.32 * len(top) + 1.2))
    _hbars(
        ax,
        [_shorten(str(t)) for t in top["title"]],
        top["n_ratings"].to_numpy(),
        [f"{c:,}" for c in top["n_ratings"]],
    )
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title(f"Top {len(top)} most rated movies")
    ax.set_xlabel("Number of ratings")
    ax.set_ylabel("Movie")
    return fig


@_themed
def top_rated_movies(
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    n: int = 15,
    prior_votes: float | None = None,
    min_ratings: int | None = None,
) -> Figure:
    """Best movies by Bayesian weighted rating; the raw mean is drawn too, to show the shrinkage.

    A dot plot rather than bars: all scores sit between 4 and 5, and bars
    starting at zero would hide the differences.
    """
    top = features.top_rated(ratings, movies, n=n, min_ratings=min_ratings, prior_votes=prior_votes)
    m, c = top.attrs["prior_votes"], top.attrs["global_mean"]
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.32 * len(top) + 1.5))
    y = np.arange(len(top))
    weighted = top["weighted_rating"].to_numpy()
    raw = top["mean_rating"].to_numpy()
    ax.hlines(y, np.minimum(weighted, raw), np.maximum(weighted, raw), color="0.7", zorder=1)
    ax.scatter(raw, y, facecolors="white", edgecolors=_color(1), zorder=2, label="raw mean")
    ax.scatter(weighted, y, color=_color(), zorder=3, label="weighted rating")
    for yi, w, r, v in zip(y, weighted, raw, top["n_ratings"], strict=True):
        ax.annotate(
            f"{w:.2f} (n = {v:,})",
            (max(w, r), yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_yticks(y, [_shorten(str(t)) for t in top["title"]])
    ax.invert_yaxis()
    if len(top):
        lo = min(weighted.min(), raw.min(), c)
        ax.set_xlim(max(1.0, lo - 0.1), 5.45)
    ax.axvline(c, color="0.5", linestyle="--", linewidth=1, label=f"global mean C = {c:.2f}")
    left, right = ax.get_xlim()
    ax.set_xticks([t for t in ax.get_xticks() if max(1, left) <= t <= 5])
    ax.set_xlim(left, right)
    fig.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    ax.grid(axis="y", visible=False)
    ax.set_title(
        f"Top {len(top)} movies by Bayesian weighted rating\n"
        f"(shrunk towards C = {c:.2f} by m = {m:,.0f} votes)",
        fontsize="medium",
    )
    ax.set_xlabel(f"Rating (stars, 1–5); movies with ≥ {top.attrs['min_ratings']:,} ratings")
    ax.set_ylabel("Movie")
    return fig


# --------------------------------------------------------------------------- similarity


@_themed
def similarity_heatmap(
    scores: pd.DataFrame,
    n_common: pd.DataFrame | None = None,
    title: str = "Pairwise similarity",
    label: str = "similarity",
) -> Figure:
    """Pairwise similarity among a few movies, each cell with its score and evidence.

    ``scores`` (and ``n_common``, the users who rated both movies) are square frames
    labelled by title. The diagonal, a movie with itself, is left blank so that it does
    not set the colour scale; colours are centred at zero (red: alike, blue: opposite).
    Grey cells have no score (too few common raters).
    """
    values = scores.to_numpy(dtype=np.float64)
    size = len(values)
    off = ~np.eye(size, dtype=bool)
    finite = values[off & np.isfinite(values)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    text = np.full(values.shape, "", dtype=object)
    for i, j in zip(*np.nonzero(off), strict=True):
        v = values[i, j]
        score = "–" if np.isnan(v) else f"{v:.2f}"
        text[i, j] = score if n_common is None else f"{score}\nn={int(n_common.iat[i, j]):,}"
    side = max(FIGSIZE[0], 0.75 * size + 3.5)
    fig, ax = plt.subplots(figsize=(side, side * 0.85), layout="constrained")
    ax.set_facecolor("0.88")
    labels = [_shorten(str(t), 34) for t in scores.index]
    sns.heatmap(
        pd.DataFrame(values, index=labels, columns=labels),
        mask=~off,
        annot=text,
        fmt="",
        annot_kws={"fontsize": "x-small"},
        cmap="RdBu_r",
        center=0.0,
        vmin=-top,
        vmax=top,
        square=True,
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": label, "shrink": 0.7},
        ax=ax,
    )
    if n_common is not None:  # seaborn leaves cells without a score unlabelled
        for i, j in zip(*np.nonzero(off & np.isnan(values)), strict=True):
            ax.text(j + 0.5, i + 0.5, text[i, j], ha="center", va="center", fontsize="x-small")
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel("Movie")
    ax.set_ylabel("Movie")
    ax.tick_params(axis="x", labelrotation=60)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    return fig


# --------------------------------------------------------------------------- evaluation


def _grouped_hbars(ax: Axes, table: pd.DataFrame, fmt: str = "{:.3f}") -> None:
    """One group of horizontal bars per row of ``table`` (a model), one bar per column."""
    n_rows, n_cols = table.shape
    height = 0.8 / n_cols
    y = np.arange(n_rows)
    for j, col in enumerate(table.columns):
        values = table[col].to_numpy(dtype=np.float64)
        bars = ax.barh(
            y + (j - (n_cols - 1) / 2) * height, values, height, color=_color(j), label=col
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


@_themed
def ranking_metrics(ranking: pd.DataFrame, k: int = 10) -> Figure:
    """Top-k quality per model: precision, recall, NDCG and MAP side by side, best first."""
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}"]
    table = ranking.set_index("model")[cols].sort_values(f"ndcg@{k}", ascending=False)
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.9 * len(table) + 1.5))
    _grouped_hbars(ax, table)
    ax.set_title(f"Top-{k} quality on the test set (higher is better)")
    ax.set_xlabel("Score (mean over test users)")
    ax.set_ylabel("Model")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig


@_themed
def rating_metrics(rating: pd.DataFrame) -> Figure:
    """Rating accuracy per model: RMSE and MAE in stars, best first."""
    table = rating.set_index("model")[["rmse", "mae"]].sort_values("rmse")
    table.columns = ["RMSE", "MAE"]
    fig, ax = _new_figure(height=max(4.0, 0.7 * len(table) + 1.5))
    _grouped_hbars(ax, table)
    ax.set_title("Error of the predicted stars on the test set (lower is better)")
    ax.set_xlabel("Error (stars)")
    ax.set_ylabel("Model")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig


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
    by_activity: pd.DataFrame, metric: str = "ndcg@10", models: list[str] | None = None
) -> Figure:
    """One metric per model within each user-activity bucket (cold → heavy users).

    ``models`` sets the order top to bottom (default: as in the table).
    """
    table = by_activity.pivot(index="model", columns="activity", values=metric)
    order = list(dict.fromkeys(by_activity["activity"]))  # keep cold → heavy
    models = list(dict.fromkeys(by_activity["model"])) if models is None else list(models)
    table = table.reindex(index=models, columns=order)
    counts = by_activity.drop_duplicates("activity").set_index("activity")["n_users"]
    table.columns = [f"{a} — {counts[a]:,} users" for a in order]
    fig, ax = _new_figure(height=max(FIGSIZE[1], 0.8 * len(table) + 1.5))
    _grouped_hbars(ax, table)
    ax.set_title(f"{metric} by user activity (training ratings per user)")
    ax.set_xlabel(metric)
    ax.set_ylabel("Model")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig


# --------------------------------------------------------------------------- matrix factorisation


@_themed
def training_curves(
    histories: dict[str, dict[str, list[float]]], best_epochs: dict[str, int] | None = None
) -> Figure:
    """Train vs validation RMSE per epoch, one panel per model (Keras ``history``).

    A validation curve that turns up while the training curve keeps falling is
    overfitting; the dashed line marks the epoch whose weights were kept.
    """
    best_epochs = best_epochs or {}
    n = len(histories)
    fig, axes = plt.subplots(
        1, n, figsize=(FIGSIZE[0] * (0.75 * n if n > 1 else 1), FIGSIZE[1]), layout="constrained"
    )
    axes = np.atleast_1d(axes)
    for ax, (name, hist) in zip(axes, histories.items(), strict=True):
        curves = [("rmse", "train", 0), ("val_rmse", "validation", 1)]
        ensemble = hist.get("val_ensemble_rmse")
        if ensemble is not None and not np.allclose(ensemble, hist.get("val_rmse", ensemble)):
            curves.append(("val_ensemble_rmse", "validation, members' average", 2))
        for key, label, i in curves:
            values = hist.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, marker="o", ms=3, color=_color(i), label=label)
        if name in best_epochs:
            ax.axvline(best_epochs[name], color="grey", ls="--", lw=1, label="weights kept")
        ax.set_title(name)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("RMSE (stars)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="small")
    fig.suptitle("Training curves: train vs validation RMSE")
    return fig


@_themed
def predicted_vs_actual(
    y_true: np.ndarray, predictions: dict[str, np.ndarray], max_points: int = 50_000, seed: int = 0
) -> Figure:
    """Distribution of the predicted stars for each actual star, one box per model.

    A perfect model puts every box on the diagonal; shrinkage towards the mean shows
    as boxes that are flatter than the diagonal.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    keep = np.arange(len(y_true))
    if len(keep) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(keep), max_points, replace=False))
    stars = np.unique(y_true[keep]).astype(int)
    n = len(predictions)
    width = 0.8 / max(n, 1)
    fig, ax = _new_figure()
    for j, (model, pred) in enumerate(predictions.items()):
        pred = np.asarray(pred, dtype=np.float64)[keep]
        boxes = [pred[y_true[keep] == s] for s in stars]
        positions = np.arange(len(stars)) + (j - (n - 1) / 2) * width
        parts = ax.boxplot(
            boxes,
            positions=positions,
            widths=width * 0.9,
            showfliers=False,
            patch_artist=True,
            manage_ticks=False,
        )
        for box in parts["boxes"]:
            box.set(facecolor=_color(j), alpha=0.8)
        for median in parts["medians"]:
            median.set(color="black")
        ax.plot([], [], color=_color(j), lw=8, label=model)
    ax.set_xticks(np.arange(len(stars)), [f"{s}★" for s in stars])
    ax.plot(np.arange(len(stars)), stars, color="black", ls="--", lw=1, label="perfect")
    ax.set_title(f"Predicted vs actual stars ({len(keep):,} ratings)")
    ax.set_xlabel("Actual rating (stars)")
    ax.set_ylabel("Predicted rating (stars)")
    ax.legend(fontsize="small")
    return fig


@_themed
def embedding_map(
    coords: np.ndarray,
    groups: list[str] | np.ndarray,
    labels: dict[int, str] | None = None,
    explained: tuple[float, float] | None = None,
    title: str = "Movie embeddings",
) -> Figure:
    """A 2-D map of embeddings (e.g. the first two principal components), one colour per group.

    ``labels`` maps row positions to text written next to those points (e.g. titles).
    """
    coords = np.asarray(coords, dtype=np.float64)
    groups = np.asarray(groups, dtype=object)
    order = pd.Series(groups).value_counts().index.tolist()
    if "Other" in order:
        order = [g for g in order if g != "Other"] + ["Other"]
    palette = sns.color_palette("tab10", n_colors=max(len(order), 1))
    fig, ax = _new_figure(height=FIGSIZE[1] * 1.3)
    for i, group in enumerate(order):
        mask = groups == group
        grey = group == "Other"
        ax.scatter(
            coords[mask, 0],
            coords[mask, 1],
            s=10 if grey else 14,
            alpha=0.35 if grey else 0.75,
            color="lightgrey" if grey else palette[i % len(palette)],
            label=f"{group} ({mask.sum():,})",
            linewidths=0,
        )
    for pos, text in (labels or {}).items():
        ax.annotate(
            _shorten(text, 30),
            coords[pos],
            xytext=(4, 4),
            textcoords="offset points",
            fontsize="x-small",
            arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5},
        )
        ax.scatter(*coords[pos], s=30, facecolors="none", edgecolors="black", linewidths=0.8)
    x_label, y_label = "Component 1", "Component 2"
    if explained is not None:
        x_label += f" ({explained[0]:.0%} of variance)"
        y_label += f" ({explained[1]:.0%} of variance)"
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.legend(title="Main genre", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig
