"""MovieLens-100K in its native format (u.data, u.item, u.user), as the canonical tables.

Every line is checked as ML-1M's are (:mod:`zeerec.data.reader`): a careless edit of a
100K file is dropped and counted, or fatal with ``strict=True``, exactly like one of an
ML-1M file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.locate import require_ml100k
from zeerec.data.ml1m import _checked, _unique_ids, checked_ratings
from zeerec.data.quality import _drop, _Problems
from zeerec.data.reader import _read_dat
from zeerec.data.tables import AGE_GROUPS, MovieLens, users_table
from zeerec.features import GENRES, split_title

MAX_AGE = 120


def _age_code(age_years: pd.Series) -> pd.Series:
    """ML-1M's age code (the group's lower bound) for an age in years, as ML-100K gives it."""
    bounds = np.array(sorted(AGE_GROUPS))
    return pd.Series(bounds[np.searchsorted(bounds, age_years.to_numpy(), side="right") - 1])


def load_ml100k(
    folder: str | os.PathLike, strict: bool = False, encoding: str | None = None
) -> MovieLens:
    """MovieLens-100K in its native format (u.data, u.item, u.user) as canonical tables.

    Published results exist for 100K, so it is where zeerec's models meet their peers
    on identical data. Ages in years are mapped to ML-1M's age groups; occupations keep
    100K's own labels. ``strict`` and ``encoding`` work as in :func:`zeerec.data.load`.
    """
    folder = Path(folder)
    require_ml100k(folder)
    problems = _Problems(strict)
    movies = _movies(folder / "u.item", problems, encoding)
    users = _users(folder, problems, encoding)
    cols = ["user_id", "movie_id", "rating", "timestamp"]
    path = folder / "u.data"
    rows = _read_dat(path, cols, cols, problems, sep=b"\t", encoding=encoding)
    ratings = checked_ratings(
        rows, path, problems, users["user_id"], movies["movie_id"], layout="\t".join(cols)
    )
    info = {"format": "ml-100k", "encodings": problems.encodings}
    return MovieLens(
        movies, users, ratings, problems.table(), source=str(folder.resolve()), info=info
    )


def _movies(path: Path, problems: _Problems, encoding: str | None) -> pd.DataFrame:
    """u.item: title, release date and one 0/1 column per genre; the year from the title."""
    flags = ["unknown", *GENRES]
    cols = ["movie_id", "title", "release", "video", "url", *flags]
    df = _read_dat(path, cols, ["movie_id", *flags], problems, sep=b"|", encoding=encoding)
    df = _unique_ids(df, "movie_id", path, problems, "movie id")
    not_flag = ~df[flags].isin([0, 1]).all(axis=1).to_numpy()
    df = _drop(
        df, not_flag, problems, path, "genre flag is not 0 or 1", lambda d: d[flags].max(axis=1)
    )
    df = _checked(df, path, problems, "|".join(cols))
    title = df["title"].str.strip()
    parts = split_title(title)
    released = pd.to_datetime(df["release"], format="%d-%b-%Y", errors="coerce").dt.year
    year = parts["year"].fillna(released.astype("Int16"))
    no_year = year.isna().to_numpy()
    problems.add(
        path,
        "title without a year",
        df.loc[no_year, "line"].to_numpy(),
        title[no_year].to_numpy(),
        action="kept, year missing",
        fatal=False,
    )
    on = df[list(GENRES)].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "movie_id": df["movie_id"].astype("int32"),
            "title": title.astype("string"),
            "name": parts["name"].astype("string"),
            "year": year.astype("Int16"),
            "genres": pd.Series(
                [[g for g, f in zip(GENRES, row, strict=True) if f] for row in on], dtype=object
            ),
        }
    )


def _users(folder: Path, problems: _Problems, encoding: str | None) -> pd.DataFrame:
    """u.user: ages in years become ML-1M age codes; occupations keep 100K's own labels."""
    occupations = (folder / "u.occupation").read_text(encoding="latin-1").split()
    path = folder / "u.user"
    cols = ["user_id", "age_years", "gender", "occupation", "zip"]
    df = _read_dat(path, cols, ["user_id", "age_years"], problems, sep=b"|", encoding=encoding)
    df = _unique_ids(df, "user_id", path, problems, "user id")
    for mask, label, col in (
        (lambda d: ~d["gender"].isin(["F", "M"]), "gender is not F or M", "gender"),
        (
            lambda d: ~d["age_years"].between(1, MAX_AGE),
            f"age outside 1..{MAX_AGE} years",
            "age_years",
        ),
        (
            lambda d: ~d["occupation"].isin(occupations),
            "occupation not in u.occupation",
            "occupation",
        ),
    ):
        df = _drop(df, mask(df).to_numpy(), problems, path, label, lambda d, c=col: d[c])
    df = _checked(df, path, problems, "|".join(cols))
    return users_table(
        df["user_id"],
        df["gender"],
        _age_code(df["age_years"]),
        df["occupation"].map(occupations.index),
        df["occupation"].astype(pd.CategoricalDtype(occupations)),
        df["zip"],
    )
