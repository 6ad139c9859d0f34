"""Parsing and validating MovieLens-1M's three ``::``-separated, ISO-8859-1 files.

The lines are read by :mod:`zeerec.data.reader`; here each table's own checks run (ids,
codes, duplicates, ratings that name a known user and movie). Every problem goes to the
data-quality table (:mod:`zeerec.data.quality`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.quality import _drop, _Problems
from zeerec.data.reader import _read_dat
from zeerec.data.tables import (
    AGE_GROUPS,
    OCCUPATIONS,
    WHOLE_STARS,
    RatingScale,
    ratings_table,
    users_table,
)
from zeerec.features import GENRES, split_title

MAX_ID = 2**31 - 1  # ids are stored as int32


def _unique_ids(
    df: pd.DataFrame, col: str, path: Path, problems: _Problems, what: str
) -> pd.DataFrame:
    """Ids are whole numbers from 1 up, each once: 0, negative, oversized and repeated
    ids are dropped (of a repeated one, the first is kept)."""
    df = _drop(
        df,
        ~df[col].between(1, MAX_ID).to_numpy(),
        problems,
        path,
        f"{what} outside 1..{MAX_ID}",
        lambda d: d[col],
    )
    return _drop(
        df,
        df[col].duplicated().to_numpy(),
        problems,
        path,
        f"duplicate {what} (first kept)",
        lambda d: d[col],
    )


def _checked(df: pd.DataFrame, path: Path, problems: _Problems, layout: str) -> pd.DataFrame:
    """Every check of ``path`` has run: strict mode raises for its first bad line, and a
    file with no valid record left is an error in either mode."""
    problems.raise_first(path)
    if df.empty:
        raise problems.nothing_left(path, layout)
    return df


def _parse_movies(path: Path, problems: _Problems, encoding: str | None = None) -> pd.DataFrame:
    df = _read_dat(path, ["movie_id", "title", "genres"], ["movie_id"], problems, encoding=encoding)
    return movies_table(df, path, problems, "movie_id::title::genres")


# How the later releases name what ML-1M calls a genre, and the genre ML-1M did not have.
RELEASE_GENRES = {"Children": "Children's", "(no genres listed)": None}
EXTRA_GENRES = ("IMAX",)


def _release_genres(genres: list[str]) -> list[str]:
    renamed = (RELEASE_GENRES.get(g, g) for g in genres)
    return [g for g in renamed if g is not None]


def movies_table(
    df: pd.DataFrame, path: Path, problems: _Problems, layout: str, release: bool = False
) -> pd.DataFrame:
    """The canonical movies from parsed ``movie_id``, ``title``, ``genres`` and ``line``:
    unique ids, the year split off the title, genres as a list. ``release``: ML-10M or
    a CSV release, whose "Children" is ML-1M's "Children's", "(no genres listed)" an
    empty list and IMAX a genre."""
    df = _unique_ids(df, "movie_id", path, problems, "movie id")
    df = _checked(df, path, problems, layout)
    parts = split_title(df["title"])
    no_year = parts["year"].isna().to_numpy()
    problems.add(
        path,
        "title without a (YYYY) year",
        df.loc[no_year, "line"].to_numpy(),
        df.loc[no_year, "title"].to_numpy(),
        action="kept, year missing",
        fatal=False,
    )
    known = set(GENRES) | (set(EXTRA_GENRES) if release else set())
    lists, unknown = {}, set()
    for text in df["genres"].unique():  # a few hundred combinations, not one per movie
        genres = [x for x in str(text).split("|") if x]
        lists[text] = _release_genres(genres) if release else genres
        if any(x not in known for x in lists[text]):
            unknown.add(text)
    genres = pd.Series([lists[t] for t in df["genres"].tolist()], index=df.index, dtype=object)
    unknown = df["genres"].isin(unknown).to_numpy(dtype=bool)
    problems.add(
        path,
        "unknown genre",
        df.loc[unknown, "line"].to_numpy(),
        df.loc[unknown, "genres"].to_numpy(),
        action="kept as written",
        fatal=False,
    )
    return pd.DataFrame(
        {
            "movie_id": df["movie_id"].astype("int32"),
            "title": df["title"].astype("string"),
            "name": parts["name"].astype("string"),
            "year": parts["year"].astype("Int16"),
            "genres": genres.astype(object),
        }
    )


def _parse_users(path: Path, problems: _Problems, encoding: str | None = None) -> pd.DataFrame:
    cols = ["user_id", "gender", "age", "occupation_id", "zip"]
    df = _read_dat(path, cols, ["user_id", "age", "occupation_id"], problems, encoding=encoding)
    df = _unique_ids(df, "user_id", path, problems, "user id")
    for col, allowed, label in (
        ("gender", {"F", "M"}, "gender is not F or M"),
        ("age", set(AGE_GROUPS), "age is not one of the documented codes"),
        ("occupation_id", set(OCCUPATIONS), "occupation is not a documented code (0-20)"),
    ):
        df = _drop(
            df, ~df[col].isin(allowed).to_numpy(), problems, path, label, lambda d, c=col: d[c]
        )
    df = _checked(df, path, problems, "user_id::gender::age::occupation_id::zip")
    occupation = df["occupation_id"].map(OCCUPATIONS)
    return users_table(
        df["user_id"],
        df["gender"],
        df["age"],
        df["occupation_id"],
        occupation.astype(pd.CategoricalDtype(list(OCCUPATIONS.values()))),
        df["zip"],
    )


def checked_ratings(
    df: pd.DataFrame,
    path: Path,
    problems: _Problems,
    user_ids: pd.Series | None,
    movie_ids: pd.Series,
    layout: str = "user_id::movie_id::rating::timestamp",
    scale: RatingScale = WHOLE_STARS,
) -> pd.DataFrame:
    """The canonical ratings from parsed rows: stars on ``scale``, one per user and movie,
    and only movies (and users, where there is a users file) their files know."""
    checks = [
        (
            lambda d: _blockwise(
                lambda r: ~((r >= scale.low) & (r <= scale.high)), d["rating"].to_numpy()
            ),
            f"rating outside {scale.label().split(' ')[0]}",
        ),
        (
            lambda d: _blockwise(scale.off_step, d["rating"].to_numpy()),
            f"rating is not a multiple of {scale.step:g} stars",
        ),
        (
            lambda d: _duplicated_pairs(d),
            "duplicate rating of the same movie by the same user (first kept)",
        ),
        (lambda d: ~_known(d["user_id"], user_ids), "user id not in the users file"),
        (lambda d: ~_known(d["movie_id"], movie_ids), "movie id not in the movies file"),
    ]
    values = {
        "duplicate rating of the same movie by the same user (first kept)": lambda d: (
            d["user_id"].astype(str) + "::" + d["movie_id"].astype(str)
        ),
        "user id not in the users file": lambda d: d["user_id"],
        "movie id not in the movies file": lambda d: d["movie_id"],
    }
    for mask, problem in checks:
        if problem.startswith("user id") and user_ids is None:
            continue
        value = values.get(problem, lambda d: d["rating"].map("{:g}".format))
        df = _drop(df, np.asarray(mask(df), dtype=bool), problems, path, problem, value)
    df = _checked(df, path, problems, layout)
    return ratings_table(df["user_id"], df["movie_id"], df["rating"], df["timestamp"], scale)


_BLOCK = 1 << 20  # rows at a time in the checks: temporaries of a few MB, not 200 MB


def _blockwise(check: Callable[..., np.ndarray], *columns: np.ndarray) -> np.ndarray:
    """``check``'s boolean result over ``columns``, a block of rows at a time. At 25M
    rows, whole-column temporaries cost more in fresh memory than in arithmetic."""
    out = np.empty(len(columns[0]), dtype=bool)
    for i in range(0, len(out), _BLOCK):
        out[i : i + _BLOCK] = check(*(c[i : i + _BLOCK] for c in columns))
    return out


def _pair_key(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
    return (users.astype(np.int64) << 32) | movies.astype(np.int64)


def _duplicated_pairs(df: pd.DataFrame) -> np.ndarray:
    """Repeated (user, movie) pairs after their first; one pass when the file is sorted."""
    users, movies = df["user_id"].to_numpy(), df["movie_id"].to_numpy()
    rising = True  # the releases are sorted by user, then movie: checked a block at a time
    for i in range(0, len(users) - 1, _BLOCK):
        key = _pair_key(users[i : i + _BLOCK + 1], movies[i : i + _BLOCK + 1])
        if not (key[1:] > key[:-1]).all():
            rising = False
            break
    if rising:
        return np.zeros(len(users), dtype=bool)
    key = _pair_key(users, movies)
    order = np.argsort(key, kind="stable")  # equal keys stay in file order: first kept
    ordered = key[order]
    repeated = np.zeros(len(key), dtype=bool)
    repeated[order[1:][ordered[1:] == ordered[:-1]]] = True
    return repeated


def _known(ids: pd.Series, known: pd.Series | None) -> np.ndarray:
    """Which ``ids`` are among ``known``: a lookup table for the usual small ids."""
    values = ids.to_numpy()
    if known is None:
        return np.ones(len(values), dtype=bool)
    allowed = known.to_numpy(np.int64)
    top = int(allowed.max()) if len(allowed) else 0
    if top > 50_000_000:
        return ids.isin(known).to_numpy()
    table = np.zeros(top + 2, dtype=bool)
    table[allowed[allowed >= 0]] = True
    return _blockwise(lambda v: table[np.clip(v.astype(np.int64), -1, top + 1)] & (v >= 0), values)


def parse_ratings(
    path: Path,
    problems: _Problems,
    user_ids: pd.Series,
    movie_ids: pd.Series,
    encoding: str | None = None,
) -> pd.DataFrame:
    """The ratings file, every line checked; ratings must name a known user and movie."""
    cols = ["user_id", "movie_id", "rating", "timestamp"]
    rows = _read_dat(path, cols, cols, problems, encoding=encoding)
    return checked_ratings(rows, path, problems, user_ids, movie_ids)


def parse_files(
    files: dict[str, Path], problems: _Problems, encoding: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Movies, users and ratings from their files; ratings must name a known user and movie."""
    movies = _parse_movies(files["movies"], problems, encoding)
    users = _parse_users(files["users"], problems, encoding)
    ratings = parse_ratings(
        files["ratings"], problems, users["user_id"], movies["movie_id"], encoding
    )
    return movies, users, ratings
