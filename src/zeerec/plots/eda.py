"""Figures of the exploratory analysis (notebook 02): ratings, users, movies."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from zeerec import features
from zeerec.plots.base import (
    _THOUSANDS,
    FIGSIZE,
    _color,
    _count_bars,
    _hbars,
    _new_figure,
    _share,
    _shorten,
    _themed,
)

_GENDER_LABELS = {"F": "Female", "M": "Male"}
_PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _count_figure(
    labels: list[str], counts: np.ndarray, title: str, xlabel: str, ylabel: str
) -> Figure:
    """One bar per label with its count and share, titled and labelled."""
    fig, ax = _new_figure()
    _count_bars(ax, labels, counts)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


# --------------------------------------------------------------------------- ratings


@_themed
def rating_distribution(ratings: pd.DataFrame) -> Figure:
    """How generous are the raters? Count and share of each star."""
    counts = features.rating_counts(ratings)
    return _count_figure(
        [f"{r}★" for r in counts.index],
        counts.to_numpy(),
        f"Distribution of ratings ({counts.sum():,} ratings)",
        "Rating (stars)",
        "Number of ratings",
    )


# --------------------------------------------------------------------------- users


@_themed
def age_distribution(users: pd.DataFrame) -> Figure:
    """Users per age group, in age order (each user counted once)."""
    counts = users["age_group"].value_counts(sort=False)
    return _count_figure(
        [str(c) for c in counts.index],
        counts.to_numpy(),
        f"Users by age group ({len(users):,} users)",
        "Age group (years)",
        "Number of users",
    )


@_themed
def gender_distribution(users: pd.DataFrame) -> Figure:
    """Users per gender with shares (bars, not a pie: lengths compare better than angles)."""
    counts = users["gender"].value_counts(sort=False)
    labels = [_GENDER_LABELS.get(str(g), str(g)) for g in counts.index]
    return _count_figure(
        labels,
        counts.to_numpy(),
        f"Users by gender ({len(users):,} users)",
        "Gender",
        "Number of users",
    )


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
