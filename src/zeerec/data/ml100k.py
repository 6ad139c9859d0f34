"""MovieLens-100K in its native format (u.data, u.item, u.user), as the canonical tables."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.quality import _Problems
from zeerec.data.tables import (
    AGE_GROUPS,
    MissingDataError,
    MovieLens,
    ratings_table,
    users_table,
)
from zeerec.features import GENRES, split_title


def _age_code(age_years: pd.Series) -> pd.Series:
    """ML-1M's age code (the group's lower bound) for an age in years, as ML-100K gives it."""
    bounds = np.array(sorted(AGE_GROUPS))
    return pd.Series(bounds[np.searchsorted(bounds, age_years.to_numpy(), side="right") - 1])


def load_ml100k(folder: str | os.PathLike) -> MovieLens:
    """MovieLens-100K in its native format (u.data, u.item, u.user) as canonical tables.

    Published results exist for 100K, so it is where zeerec's models meet their peers
    on identical data. Ages in years are mapped to ML-1M's age groups; occupations keep
    100K's own labels. ML-100K is clean, so no validation beyond the types is done.
    """
    folder = Path(folder)
    need = [folder / n for n in ("u.data", "u.item", "u.user", "u.occupation")]
    missing = [p.name for p in need if not p.is_file()]
    if missing:
        raise MissingDataError(f"Expected {', '.join(missing)} in {folder} (MovieLens-100K).")
    movies = _movies(folder)
    problems = _Problems(strict=False)
    no_year = movies["year"].isna().to_numpy()
    problems.add(
        folder / "u.item",
        "title without a year",
        np.flatnonzero(no_year) + 1,
        movies.loc[no_year, "title"].to_numpy(),
        action="kept, year missing",
        fatal=False,
    )
    return MovieLens(
        movies, _users(folder), _ratings(folder), problems.table(), source=str(folder.resolve())
    )


def _ratings(folder: Path) -> pd.DataFrame:
    ratings = pd.read_csv(
        folder / "u.data", sep="\t", header=None, names=["user_id", "movie_id", "rating", "ts"]
    )
    return ratings_table(ratings["user_id"], ratings["movie_id"], ratings["rating"], ratings["ts"])


def _movies(folder: Path) -> pd.DataFrame:
    """u.item: title, release date and one 0/1 column per genre; the year from the title."""
    item_cols = ["movie_id", "title", "release", "video", "url", "unknown", *GENRES]
    items = pd.read_csv(
        folder / "u.item",
        sep="|",
        header=None,
        names=item_cols,
        encoding="latin-1",
        quoting=csv.QUOTE_NONE,
        dtype={"title": "string", "release": "string"},
    )
    flags = items[list(GENRES)].to_numpy(dtype=bool)
    parts = split_title(items["title"].str.strip())
    released = pd.to_datetime(items["release"], format="%d-%b-%Y", errors="coerce").dt.year
    year = parts["year"].fillna(released.astype("Int16"))
    return pd.DataFrame(
        {
            "movie_id": items["movie_id"].astype("int32"),
            "title": items["title"].str.strip().astype("string"),
            "name": parts["name"].astype("string"),
            "year": year.astype("Int16"),
            "genres": pd.Series(
                [[g for g, f in zip(GENRES, row, strict=True) if f] for row in flags], dtype=object
            ),
        }
    )


def _users(folder: Path) -> pd.DataFrame:
    """u.user: ages in years become ML-1M age codes; occupations keep 100K's own labels."""
    occupations = (folder / "u.occupation").read_text().split()
    raw_users = pd.read_csv(
        folder / "u.user",
        sep="|",
        header=None,
        names=["user_id", "age_years", "gender", "occupation", "zip"],
        dtype={"zip": "string"},
    )
    return users_table(
        raw_users["user_id"],
        raw_users["gender"],
        _age_code(raw_users["age_years"]),
        raw_users["occupation"].map(occupations.index),
        raw_users["occupation"].astype(pd.CategoricalDtype(occupations)),
        raw_users["zip"],
    )
