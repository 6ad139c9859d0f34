"""Derived movie features and the small aggregates behind the EDA plots.

Everything here works on the three canonical frames produced by
:mod:`zeerec.data` (movies, users, ratings) and is vectorised, so the same
functions serve the 1M-rating data set and the tiny synthetic sample.

Ranking movies by a plain average is the classic mistake (a film with a
single 5-star vote beats *The Godfather*); :func:`movie_stats` therefore
also reports an IMDb-style Bayesian weighted rating, and :func:`top_rated`
ranks by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
"""The 18 MovieLens-1M genres, in the order of the data set's README."""

RATING_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
"""Whole-star ratings; every star gets a row in :func:`rating_counts`, even when unused."""
HALF_STAR_VALUES: tuple[float, ...] = tuple(k / 2 for k in range(1, 11))
"""Half-star ratings (ML-10M and later): 0.5 to 5.0."""

MIN_RATINGS_DEFAULT = 2
"""``top_rated`` ignores movies with fewer votes unless told otherwise: one vote is an
anecdote, not a ranking, however strong the prior."""

# Anchored at the end so that parentheses inside a title ("Seven (Se7en) (1995)")
# stay in the name; the notebook's rsplit(" ", 1) broke on exactly those titles.
_TITLE_YEAR = r"^(.*?)\s*\((\d{4})\)\s*$"
_TITLE_YEAR_RE = re.compile(_TITLE_YEAR)
_TITLE_YEAR_NAMED = _TITLE_YEAR.replace("(.*?)", "(?P<name>.*?)").replace(
    "(\\d{4})", "(?P<year>\\d{4})"
)  # the same pattern with named groups, for pyarrow

# Periods are spelled "M"/"Q"/"Y" while pandas 3 offsets are "ME"/"QE"/"YE";
# accept both, as people type either.
_PERIOD_ALIASES = {"ME": "M", "MS": "M", "QE": "Q", "QS": "Q", "YE": "Y", "YS": "Y", "A": "Y"}


# --------------------------------------------------------------------------- titles


def split_title(titles: pd.Series) -> pd.DataFrame:
    """Split "Name (YYYY)" into ``name`` and nullable ``year`` (Int16).

    Only a four-digit year in parentheses at the very end counts, so
    "City of Lost Children, The (Cité des enfants perdus, La) (1995)" keeps its
    alternative title in the name. A title without a trailing year keeps its
    stripped text as the name and gets ``<NA>`` as year instead of a guess.

    Titles of printable ASCII (nearly all) are split by pyarrow's regular expressions
    in one vectorised pass (ML-25M's 62,000 titles: milliseconds, where pandas'
    ``str.extract`` takes about 0.3 s, one Python call per title); any other title goes
    through Python's ``re``, whose ``\\s`` and ``\\d`` (and ``str.strip``) also know
    Unicode spaces and digits. Both give the same answer wherever both apply
    (tests/test_features.py).
    """
    if not isinstance(titles, pd.Series):
        titles = pd.Series(titles)
    text_dtype = titles.dtype if isinstance(titles.dtype, pd.StringDtype) else "str"
    text = titles.astype(text_dtype)
    arr = pa.array(text.array)  # no copy for pandas' pyarrow-backed strings
    if isinstance(arr, pa.ChunkedArray):  # e.g. after pd.concat: one array, copied once
        arr = arr.combine_chunks()
    parts = pc.extract_regex(arr, _TITLE_YEAR_NAMED)  # null where no trailing year
    found, year = pc.is_valid(parts), parts.field("year")  # a null row's fields hold ""
    names = pc.if_else(found, parts.field("name"), pc.ascii_trim_whitespace(arr))
    names = np.asarray(names.to_numpy(zero_copy_only=False), dtype=object)
    year = pc.if_else(found, year, pa.scalar(None, year.type))
    years = np.array(pc.cast(year, pa.float64()).to_numpy(zero_copy_only=False))
    plain = pc.fill_null(pc.match_substring_regex(arr, r"^[\x20-\x7e]*$"), True)
    for i in np.flatnonzero(~plain.to_numpy(zero_copy_only=False)):  # Unicode: Python's re
        title = text.iloc[i]
        match = _TITLE_YEAR_RE.match(title)
        names[i] = match.group(1) if match else title.strip()
        years[i] = int(match.group(2)) if match else np.nan
    return pd.DataFrame(
        {
            "name": pd.Series(names, index=titles.index, dtype=text_dtype),
            "year": pd.Series(years, index=titles.index).astype("Int16"),
        },
        index=titles.index,
    )


def decade(years: pd.Series | Iterable[Any]) -> pd.Series:
    """Label release years by decade ("1910s" … "2000s") as an ordered categorical.

    The categories run without gaps from the earliest to the latest decade
    present, so a plot of counts per decade shows empty decades as zero bars
    rather than silently skipping them. Missing years stay ``<NA>``.
    """
    series = years if isinstance(years, pd.Series) else pd.Series(list(years))
    as_int = pd.to_numeric(series).astype("Int64")
    starts = (as_int // 10) * 10
    if starts.notna().any():
        lo, hi = int(starts.min()), int(starts.max())
        categories = [f"{d}s" for d in range(lo, hi + 10, 10)]
    else:
        categories = []
    labels = starts.astype("string") + "s"
    cat = pd.Categorical(labels, categories=categories, ordered=True)
    return pd.Series(cat, index=series.index, name="decade")


# --------------------------------------------------------------------------- genres


def _as_genre_list(value: Any) -> list[str]:
    """Normalise one ``genres`` cell: lists, tuples and numpy arrays (after parquet)."""
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeError(
            f"genres must be list-like, got the string {value!r}; "
            "split the pipe-separated field when loading"
        )
    if isinstance(value, Iterable):
        return list(value)
    if pd.isna(value):
        return []
    raise TypeError(f"genres must be list-like, got {type(value).__name__}: {value!r}")


def explode_genres(movies: pd.DataFrame) -> pd.DataFrame:
    """One row per (movie_id, genre): the long form that groupbys and merges want.

    ``genre`` is a categorical over :data:`GENRES` so every consumer sees the
    same order; a movie without genres contributes no rows. An unknown genre
    is an error naming the movie, not a silently dropped value.
    """
    lists = [_as_genre_list(v) for v in movies["genres"]]
    long = pd.DataFrame(
        {"movie_id": movies["movie_id"].to_numpy(dtype=np.int32), "genre": lists}
    ).explode("genre")
    long = long[long["genre"].notna()]
    unknown = ~long["genre"].isin(GENRES)
    if unknown.any():
        bad = long[unknown].iloc[0]
        raise ValueError(
            f"unknown genre {bad['genre']!r} for movie_id {bad['movie_id']} "
            f"({int(unknown.sum())} unknown genre value(s) in total); expected one of {GENRES}"
        )
    long = long.drop_duplicates()
    return pd.DataFrame(
        {
            "movie_id": long["movie_id"].to_numpy(dtype=np.int32),
            "genre": pd.Categorical(long["genre"].to_numpy(), categories=list(GENRES)),
        }
    )


def genre_matrix(movies: pd.DataFrame) -> pd.DataFrame:
    """Multi-hot genre flags (index movie_id, one int8 column per genre in GENRES order).

    The content-based recommender and per-genre aggregates both need the
    matrix form; a movie without genres is an all-zero row, not missing.
    """
    _check_unique_movies(movies)
    movie_ids = movies["movie_id"].to_numpy(dtype=np.int32)
    long = explode_genres(movies)
    rows = pd.Index(movie_ids).get_indexer(long["movie_id"])
    flags = np.zeros((len(movie_ids), len(GENRES)), dtype=np.int8)
    flags[rows, long["genre"].cat.codes.to_numpy()] = 1
    index = pd.Index(movie_ids, name="movie_id")
    return pd.DataFrame(flags, index=index, columns=pd.Index(GENRES, name="genre"))


# --------------------------------------------------------------------------- ratings


def _check_unique_movies(movies: pd.DataFrame) -> None:
    """A duplicated movie_id would make every per-movie lookup ambiguous."""
    dup = movies["movie_id"].duplicated()
    if dup.any():
        ids = sorted(pd.unique(movies.loc[dup, "movie_id"]))
        raise ValueError(f"movies has duplicated movie_id(s), e.g. {ids[:5]}")


def _check_known_movies(ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    """Ratings for movies absent from the catalogue would vanish from every aggregate."""
    unknown = ~ratings["movie_id"].isin(movies["movie_id"])
    if unknown.any():
        ids = sorted(pd.unique(ratings.loc[unknown, "movie_id"]))
        raise ValueError(
            f"{int(unknown.sum())} rating(s) refer to {len(ids)} movie_id(s) not in movies, "
            f"e.g. {ids[:5]}"
        )


def rating_counts(ratings: pd.DataFrame) -> pd.Series:
    """Number of ratings per star, unused stars included as 0: 1 to 5, or 0.5 to 5.0 in
    half stars for the releases that have them (stored as floats, ML-10M and later)."""
    counts = ratings["rating"].value_counts()
    half = ratings["rating"].dtype.kind == "f"
    values = HALF_STAR_VALUES if half else RATING_VALUES
    outside = counts.index.difference(values)
    if len(outside):
        raise ValueError(f"ratings outside {values[0]}..{values[-1]}: {sorted(outside.tolist())}")
    counts = counts.reindex(values, fill_value=0).astype(np.int64)
    counts.index.name = "rating"
    return counts.rename("n_ratings")


def default_prior_votes(n_ratings: pd.Series) -> float:
    """Median number of ratings per rated movie: the default prior strength ``m``.

    IMDb uses the vote threshold of its chart; here ``m`` is the weight of the
    global mean in every movie's score. The median means a typical movie's
    own votes and the prior count equally, so a movie needs more votes than
    half the catalogue before its own average dominates. It adapts to the
    data size (about 120 on ML-1M, a handful on a small sample), which a
    fixed number would not.
    """
    if len(n_ratings) == 0:
        raise ValueError("no rated movies: cannot choose a prior")
    return float(np.median(n_ratings))


def weighted_rating(
    n_ratings: pd.Series | np.ndarray | float,
    mean_rating: pd.Series | np.ndarray | float,
    prior_votes: float,
    prior_mean: float,
) -> Any:
    """IMDb / Bayesian weighted rating ``v/(v+m)·R + m/(v+m)·C``.

    Equivalent to adding ``m`` phantom votes at the global mean ``C``: few
    votes pull a movie towards ``C``, many votes let its own mean ``R`` speak.
    """
    v = n_ratings
    m = prior_votes
    # One division, so a movie whose mean equals C scores exactly C and ties stay ties.
    return (v * mean_rating + m * prior_mean) / (v + m)


def movie_stats(
    ratings: pd.DataFrame, movies: pd.DataFrame, prior_votes: float | None = None
) -> pd.DataFrame:
    """Per rated movie: title, n_ratings, mean_rating and weighted_rating.

    ``weighted_rating`` shrinks each mean towards the global mean rating ``C``
    with strength ``m = prior_votes`` (default :func:`default_prior_votes`,
    the median votes per rated movie). Only movies with at least one rating
    appear. The ``m`` and ``C`` used are kept in ``.attrs["prior_votes"]`` and
    ``.attrs["global_mean"]`` so plots and reports can state the method.
    """
    if len(ratings) == 0:
        raise ValueError("ratings is empty")
    _check_unique_movies(movies)
    _check_known_movies(ratings, movies)
    stats = ratings.groupby("movie_id", sort=True)["rating"].agg(
        n_ratings="size", mean_rating="mean"
    )
    stats["n_ratings"] = stats["n_ratings"].astype(np.int64)
    stats["mean_rating"] = stats["mean_rating"].astype(np.float64)
    global_mean = float(ratings["rating"].mean())
    m = default_prior_votes(stats["n_ratings"]) if prior_votes is None else float(prior_votes)
    if not np.isfinite(m) or m < 0:
        raise ValueError(f"prior_votes must be a finite number >= 0, got {prior_votes!r}")
    stats["weighted_rating"] = weighted_rating(
        stats["n_ratings"], stats["mean_rating"], m, global_mean
    )
    titles = movies.set_index("movie_id")["title"]
    stats.insert(0, "title", titles.reindex(stats.index).to_numpy())
    stats.index = stats.index.astype(np.int32)
    stats.index.name = "movie_id"
    stats.attrs = {"prior_votes": m, "global_mean": global_mean}
    return stats


def top_rated(
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    n: int = 10,
    min_ratings: int | None = None,
    prior_votes: float | None = None,
) -> pd.DataFrame:
    """The ``n`` best movies by weighted rating, ties broken by number of ratings.

    Movies with fewer than ``min_ratings`` votes are left out (default
    :data:`MIN_RATINGS_DEFAULT`, i.e. single-vote movies never rank, even on a
    tiny sample where the prior is weak); pass ``min_ratings=1`` to keep them.
    Remaining ties fall back to movie_id so the order is deterministic.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    floor = MIN_RATINGS_DEFAULT if min_ratings is None else min_ratings
    stats = movie_stats(ratings, movies, prior_votes=prior_votes)
    eligible = stats[stats["n_ratings"] >= floor]
    ranked = eligible.sort_values(
        ["weighted_rating", "n_ratings"], ascending=[False, False], kind="stable"
    )
    out = ranked.head(n)
    out.attrs = {**stats.attrs, "min_ratings": floor}
    return out


def most_rated(ratings: pd.DataFrame, movies: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` movies with the most ratings (popularity, not quality)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    stats = movie_stats(ratings, movies)
    ranked = stats.sort_values(
        ["n_ratings", "weighted_rating"], ascending=[False, False], kind="stable"
    )
    return ranked.head(n)


class Activity(NamedTuple):
    """Rating counts per user and per movie (unpack as ``per_user, per_movie``)."""

    per_user: pd.Series
    per_movie: pd.Series


def activity(ratings: pd.DataFrame) -> Activity:
    """How many ratings each user gave and each movie received: the long tails."""
    per_user = ratings.groupby("user_id", sort=True).size().astype(np.int64)
    per_movie = ratings.groupby("movie_id", sort=True).size().astype(np.int64)
    return Activity(per_user.rename("n_ratings"), per_movie.rename("n_ratings"))


def genre_stats(ratings: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """Per genre: n_movies in the catalogue, n_ratings received and their mean_rating.

    A rating of a movie with three genres counts once for each of them, so
    ``n_ratings`` sums to more than the number of ratings. Genres nobody rated
    get ``n_ratings`` 0 and ``mean_rating`` NaN.
    """
    _check_known_movies(ratings, movies)
    flags = genre_matrix(movies)
    per_movie = ratings.groupby("movie_id")["rating"].agg(["size", "sum"])
    per_movie = per_movie.reindex(flags.index, fill_value=0)
    g = flags.to_numpy(dtype=np.int64).T
    n = g @ per_movie["size"].to_numpy(dtype=np.int64)
    total = g @ per_movie["sum"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "n_movies": flags.sum(axis=0).to_numpy(dtype=np.int64),
            "n_ratings": n,
            "mean_rating": mean,
        },
        index=pd.Index(GENRES, name="genre"),
    )


def decade_counts(movies: pd.DataFrame, ratings: pd.DataFrame | None = None) -> pd.Series:
    """Movies per release decade, or, when ``ratings`` is given, ratings per decade.

    Movies without a year are not counted; callers compare the total with
    ``len(movies)`` / ``len(ratings)`` to report how many were left out.
    """
    decades = decade(movies["year"])
    if ratings is None:
        weights = pd.Series(1, index=movies.index, dtype=np.int64)
    else:
        _check_known_movies(ratings, movies)
        per_movie = ratings["movie_id"].value_counts()
        weights = pd.Series(
            per_movie.reindex(movies["movie_id"], fill_value=0).to_numpy(dtype=np.int64),
            index=movies.index,
        )
    counts = weights.groupby(decades, observed=False).sum().astype(np.int64)
    counts.index.name = "decade"
    return counts.rename("n_ratings" if ratings is not None else "n_movies")


def ratings_per_period(ratings: pd.DataFrame, freq: str = "W") -> pd.Series:
    """Number of ratings per calendar period, indexed by a PeriodIndex.

    ``freq`` is a period alias ("D", "W", "M", "Q", "Y"; the offset spellings
    "ME", "QE", "YE" are accepted too). A period rather than a timestamp
    index keeps "the week of 4 Dec" from being mistaken for an instant, and
    empty periods appear as 0 so gaps in activity show up in a time plot.
    """
    freq = _PERIOD_ALIASES.get(freq, freq)
    periods = ratings["timestamp"].dt.to_period(freq)
    if len(periods) == 0:
        index = pd.PeriodIndex([], freq=freq)
    else:
        index = pd.period_range(periods.min(), periods.max(), freq=freq)
    counts = periods.value_counts().reindex(index, fill_value=0).astype(np.int64)
    counts.index.name = "period"
    return counts.rename("n_ratings")
