"""zeerec.plots: every figure is labelled and plots exactly the numbers in the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from collections.abc import Iterator  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402

from zeerec import features, plots  # noqa: E402
from zeerec.features import GENRES  # noqa: E402

AGE_GROUPS = ["Under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]
AGE_CODES = [1, 18, 25, 35, 45, 50, 56]
OCCUPATIONS = ["other", "academic/educator", "artist", "clerical/admin", "college/grad student"]


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    """A small random data set in the canonical shapes, with a long-tailed activity."""
    rng = np.random.default_rng(7)
    n_movies, n_users, n_ratings = 120, 80, 3_000

    years = rng.integers(1925, 2001, n_movies).astype(object)
    years[:3] = None  # a few titles without a year
    titles = [
        f"Movie {i} with a Rather Long Title, The (Le film {i}) ({y})"
        if y is not None
        else f"Movie {i}"
        for i, y in enumerate(years, start=1)
    ]
    title = pd.Series(titles, dtype="string")
    parts = features.split_title(title)
    genres = [
        list(rng.choice(GENRES, size=rng.integers(0, 4), replace=False)) for _ in range(n_movies)
    ]
    movies = pd.DataFrame(
        {
            "movie_id": np.arange(1, n_movies + 1, dtype=np.int32),
            "title": title,
            "name": parts["name"].astype("string"),
            "year": parts["year"],
            "genres": pd.Series(genres, dtype=object),
        }
    )

    age = rng.choice(AGE_CODES, n_users).astype(np.int8)
    occupation_id = rng.integers(0, len(OCCUPATIONS), n_users).astype(np.int8)
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1, dtype=np.int32),
            "gender": pd.Categorical(rng.choice(["F", "M"], n_users), categories=["F", "M"]),
            "age": age,
            "age_group": pd.Categorical(
                pd.Series(age).map(dict(zip(AGE_CODES, AGE_GROUPS, strict=True))),
                categories=AGE_GROUPS,
                ordered=True,
            ),
            "occupation_id": occupation_id,
            "occupation": pd.Categorical(
                np.array(OCCUPATIONS)[occupation_id], categories=OCCUPATIONS
            ),
            "zip": pd.Series(
                [f"{z:05d}" for z in rng.integers(0, 99_999, n_users)], dtype="string"
            ),
        }
    )

    # Zipf-ish popularity so the histograms have a tail; duplicates are harmless here.
    user_p = 1 / np.arange(1, n_users + 1)
    movie_p = 1 / np.arange(1, n_movies + 1) ** 0.8
    start = np.datetime64("2000-04-25T00:00:00", "s")
    ratings = pd.DataFrame(
        {
            "user_id": rng.choice(users["user_id"], n_ratings, p=user_p / user_p.sum()),
            "movie_id": rng.choice(movies["movie_id"], n_ratings, p=movie_p / movie_p.sum()),
            "rating": rng.choice([1, 2, 3, 4, 5], n_ratings, p=[0.06, 0.11, 0.26, 0.35, 0.22]),
            "timestamp": start + rng.exponential(60 * 86_400, n_ratings).astype("timedelta64[s]"),
        }
    ).astype({"user_id": np.int32, "movie_id": np.int32, "rating": np.int8})
    return {"movies": movies, "users": users, "ratings": ratings}


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def single_axes(fig: Figure) -> plt.Axes:
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title(), "missing title"
    assert ax.get_xlabel(), "missing x label"
    assert ax.get_ylabel(), "missing y label"
    assert fig.get_size_inches()[0] == pytest.approx(plots.FIGSIZE[0])
    assert fig.get_size_inches()[1] >= plots.FIGSIZE[1]
    fig.canvas.draw()  # layout and formatters must not fail at render time
    return ax


def bar_heights(ax: plt.Axes) -> list[float]:
    return [p.get_height() for p in ax.patches]


def bar_widths(ax: plt.Axes) -> list[float]:
    return [p.get_width() for p in ax.patches]


def tick_texts(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels()]


# --------------------------------------------------------------------------- ratings


def test_rating_distribution(data) -> None:
    ratings = data["ratings"]
    ax = single_axes(plots.rating_distribution(ratings))
    heights = bar_heights(ax)
    assert len(heights) == 5
    assert sum(heights) == len(ratings)
    assert heights == ratings["rating"].value_counts().sort_index().tolist()
    labels = [t.get_text() for t in ax.texts]
    assert any("%" in text for text in labels)  # bars annotated with their share
    assert "," in tick_texts(ax.yaxis)[-1] or max(heights) < 1000  # thousands separators


def test_ratings_per_user_is_a_log_histogram(data) -> None:
    ratings = data["ratings"]
    ax = single_axes(plots.ratings_per_user(ratings))
    assert ax.get_xscale() == "log"
    assert sum(bar_heights(ax)) == ratings["user_id"].nunique()
    per_user = ratings["user_id"].value_counts()
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert f"{per_user.max():,}" in legend
    assert f"{per_user.median():,.0f}" in legend


def test_ratings_per_movie_is_a_log_histogram(data) -> None:
    ratings = data["ratings"]
    ax = single_axes(plots.ratings_per_movie(ratings))
    assert ax.get_xscale() == "log"
    assert sum(bar_heights(ax)) == ratings["movie_id"].nunique()


def test_log_integer_edges_cover_the_range_without_shrinking() -> None:
    for lo, hi in [(1, 617), (20, 2314), (5, 5), (1, 2)]:
        edges = plots.eda._log_integer_edges(lo, hi, 40)
        assert edges[0] == lo and edges[-1] == hi + 1
        widths = np.diff(edges)
        assert (widths >= 1).all()
        assert (np.diff(widths[:-1]) >= 0).all()


def test_ratings_over_time_counts_every_rating(data) -> None:
    ratings = data["ratings"]
    for freq, word in [("W", "week"), ("M", "month")]:
        ax = single_axes(plots.ratings_over_time(ratings, freq=freq))
        (steps,) = [p for p in ax.patches if isinstance(p, StepPatch)]
        assert steps.get_data().values.sum() == len(ratings)
        assert word in ax.get_title()


# --------------------------------------------------------------------------- users


def test_age_distribution_counts_users_once_in_age_order(data) -> None:
    users = data["users"]
    ax = single_axes(plots.age_distribution(users))
    assert sum(bar_heights(ax)) == len(users)
    assert tick_texts(ax.xaxis) == AGE_GROUPS


def test_gender_distribution(data) -> None:
    users = data["users"]
    ax = single_axes(plots.gender_distribution(users))
    assert sum(bar_heights(ax)) == len(users)
    assert bar_heights(ax) == users["gender"].value_counts(sort=False).tolist()
    assert any("%" in t.get_text() for t in ax.texts)


def test_occupation_distribution_is_sorted_horizontal(data) -> None:
    users = data["users"]
    ax = single_axes(plots.occupation_distribution(users))
    widths = bar_widths(ax)
    assert sum(widths) == len(users)
    assert widths == sorted(widths, reverse=True)
    assert set(tick_texts(ax.yaxis)) == set(OCCUPATIONS)


# --------------------------------------------------------------------------- movies


def test_release_decade_distribution_movies_and_ratings(data) -> None:
    movies, ratings = data["movies"], data["ratings"]
    ax = single_axes(plots.release_decade_distribution(movies))
    assert sum(bar_heights(ax)) == movies["year"].notna().sum()
    assert "3 movies without a release year" in ax.get_xlabel()
    labels = tick_texts(ax.xaxis)
    assert labels == sorted(labels) and labels[0] == "1920s"

    ax = single_axes(plots.release_decade_distribution(movies, ratings))
    dated = movies.loc[movies["year"].notna(), "movie_id"]
    assert sum(bar_heights(ax)) == ratings["movie_id"].isin(dated).sum()
    assert "ratings" in ax.get_ylabel().lower()


def test_genre_popularity_counts_each_genre(data) -> None:
    movies, ratings = data["movies"], data["ratings"]
    ax = single_axes(plots.genre_popularity(movies, ratings))
    pairs = ratings.merge(features.explode_genres(movies), on="movie_id")
    widths = bar_widths(ax)
    assert sum(widths) == len(pairs)
    assert widths == sorted(widths, reverse=True)
    assert len(widths) == len(GENRES)
    top_genre = pairs["genre"].value_counts().index[0]
    assert tick_texts(ax.yaxis)[0] == top_genre
    assert any("mean" in t.get_text() for t in ax.texts)


def test_most_rated_movies(data) -> None:
    movies, ratings = data["movies"], data["ratings"]
    ax = single_axes(plots.most_rated_movies(ratings, movies, n=15))
    expected = ratings["movie_id"].value_counts().head(15).tolist()
    assert bar_widths(ax) == expected
    labels = tick_texts(ax.yaxis)
    assert len(labels) == 15
    assert all(len(label) <= 42 for label in labels)  # long titles shortened
    assert all(label.endswith(")") for label in labels if "(" in label)  # year kept


def test_top_rated_movies_plots_weighted_rating(data) -> None:
    movies, ratings = data["movies"], data["ratings"]
    fig = plots.top_rated_movies(ratings, movies, n=10)
    ax = single_axes(fig)
    top = features.top_rated(ratings, movies, n=10)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    plotted = {tuple(np.round(c.get_offsets()[:, 0], 9)) for c in dots}
    assert tuple(np.round(top["weighted_rating"].to_numpy(), 9)) in plotted
    assert "weighted" in ax.get_title().lower()
    assert f"m = {top.attrs['prior_votes']:,.0f}" in ax.get_title()
    annotations = " ".join(t.get_text() for t in ax.texts)
    assert f"n = {top['n_ratings'].iloc[0]:,}" in annotations


def test_top_rated_movies_respects_prior_votes(data) -> None:
    movies, ratings = data["movies"], data["ratings"]
    ax = single_axes(plots.top_rated_movies(ratings, movies, n=5, prior_votes=50))
    assert "m = 50" in ax.get_title()


# --------------------------------------------------------------------------- hygiene


def test_plots_do_not_leak_global_style(data) -> None:
    movies, users, ratings = data["movies"], data["users"], data["ratings"]
    before = dict(matplotlib.rcParams)
    plots.rating_distribution(ratings)
    plots.occupation_distribution(users)
    plots.ratings_per_user(ratings)
    plots.top_rated_movies(ratings, movies, n=5)
    after = dict(matplotlib.rcParams)
    changed = {k for k in before if before[k] != after[k]}
    assert not changed


def test_plots_do_not_show(data, monkeypatch) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", lambda *a, **k: fail())
    plots.gender_distribution(data["users"])
    plots.ratings_over_time(data["ratings"])


def test_model_bars_draw_each_interval_where_the_table_says():
    ranking = pd.DataFrame(
        {"model": ["a", "b"], "precision@3": [0.3, 0.2], "recall@3": [0.2, 0.1],
         "ndcg@3": [0.4, 0.25], "map@3": [0.2, 0.1]}
    )  # fmt: skip
    intervals = pd.DataFrame(
        {"model": ["a", "b"], "metric": "ndcg@3", "lo": [0.35, 0.2], "hi": [0.5, 0.3]}
    )
    fig = plots.ranking_metrics(ranking, k=3, intervals=intervals)
    ax = fig.axes[0]
    ndcg = [c for c in ax.containers if c.get_label() == "ndcg@3"][0]
    segments = ndcg.errorbar.lines[2][0].get_segments()
    assert [tuple(np.round(s[:, 0], 6)) for s in segments] == [(0.35, 0.5), (0.2, 0.3)]
    others = [c for c in ax.containers if c.get_label() == "precision@3"][0]
    assert others.errorbar is None  # no interval given for precision: no bar drawn
    # the legend says which MAP it is, and its interval still finds its bars
    with_map = pd.concat(
        [intervals, pd.DataFrame({"model": ["a"], "metric": "map@3", "lo": [0.1], "hi": [0.3]})]
    )
    ax = plots.ranking_metrics(ranking, k=3, intervals=with_map).axes[0]
    labels = [c.get_label() for c in ax.containers]
    assert "map@3 (÷ min(k, relevant))" in labels and "map@3" not in labels
    map_bars = [c for c in ax.containers if c.get_label().startswith("map@3")][0]
    assert map_bars.errorbar is not None
    rating = pd.DataFrame({"model": ["a"], "rmse": [0.9], "mae": [0.7]})
    rmse = pd.DataFrame({"model": ["a"], "lo": [0.88], "hi": [0.93]})
    ax = plots.rating_metrics(rating, rmse).axes[0]
    bars = [c for c in ax.containers if c.get_label() == "RMSE"][0]
    assert tuple(np.round(bars.errorbar.lines[2][0].get_segments()[0][:, 0], 6)) == (0.88, 0.93)
    plt.close("all")


def test_metric_by_activity_draws_each_buckets_interval():
    by_activity = pd.DataFrame(
        {"model": ["a", "a", "b", "b"], "activity": ["cold", "heavy"] * 2,
         "n_users": [30, 5, 30, 5], "ndcg@3": [0.2, 0.5, 0.1, 0.4]}
    )  # fmt: skip
    intervals = pd.DataFrame(
        {"model": ["a", "b"], "activity": "heavy", "lo": [0.3, 0.2], "hi": [0.7, 0.6]}
    )
    ax = plots.metric_by_activity(by_activity, "ndcg@3", intervals=intervals).axes[0]
    heavy = [c for c in ax.containers if c.get_label() == "heavy — 5 users"][0]
    segments = heavy.errorbar.lines[2][0].get_segments()
    assert [tuple(np.round(s[:, 0], 6)) for s in segments] == [(0.3, 0.7), (0.2, 0.6)]
    cold = [c for c in ax.containers if c.get_label() == "cold — 30 users"][0]
    assert cold.errorbar is None  # no interval given for that bucket
    plt.close("all")
