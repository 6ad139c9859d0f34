"""Parsing and validating MovieLens-1M's three ``::``-separated, ISO-8859-1 files.

Each file is parsed on pandas' fast C reader; field counts and integers are checked on
the raw bytes first, so only the lines that fail a check are looked at in Python. Every
problem goes to the data-quality table (:mod:`zeerec.data.quality`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.quality import _drop, _Problems
from zeerec.data.tables import (
    AGE_GROUPS,
    OCCUPATIONS,
    DataFormatError,
    ratings_table,
    users_table,
)
from zeerec.features import GENRES, split_title

_SEP = b"\x1f"  # ASCII unit separator: never part of a MovieLens field, safe for the C parser


def _read_dat(
    path: Path,
    names: Sequence[str],
    int_fields: Sequence[str],
    problems: _Problems,
) -> pd.DataFrame:
    """Parse one ``::`` file into string/int columns plus a 1-based ``line`` column.

    The clean case stays on the fast C parser: field counts are checked with numpy on
    the raw bytes, and only lines that fail a check are looked at in Python.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise DataFormatError(path, None, "the file is empty; expected one record per line")
    raw = raw.replace(b"\r\n", b"\n")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    body, line_no = _good_lines(raw, len(names), path, problems)
    df = pd.read_csv(
        io.BytesIO(body.replace(b"::", _SEP)),
        sep=_SEP.decode(),
        header=None,
        names=list(names),
        dtype={c: "string" for c in names if c not in int_fields},
        quoting=csv.QUOTE_NONE,
        encoding="latin-1",
        na_filter=False,
        low_memory=False,
        engine="c",
    )
    df.insert(0, "line", line_no)
    return _integers(df, int_fields, path, problems)


def _good_lines(
    raw: bytes, n_fields: int, path: Path, problems: _Problems
) -> tuple[bytes, np.ndarray]:
    """The lines with ``n_fields`` fields, and their 1-based numbers; the rest are recorded."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    pair = np.flatnonzero((buf[:-1] == 58) & (buf[1:] == 58))
    seps = np.searchsorted(pair, ends) - np.searchsorted(pair, starts)
    unit = np.flatnonzero(buf == _SEP[0])
    has_unit = np.searchsorted(unit, ends) > np.searchsorted(unit, starts)
    suspicious = np.flatnonzero((seps != n_fields - 1) | (ends == starts) | has_unit)

    keep = np.ones(len(ends), dtype=bool)
    if len(suspicious):
        wrong, wrong_vals, blank = [], [], []
        for i in suspicious:
            text = raw[starts[i] : ends[i]]
            if not text.strip():
                blank.append(i + 1)
            elif len(text.split(b"::")) != n_fields or _SEP in text:
                wrong.append(i + 1)
                wrong_vals.append(text.decode("latin-1"))
            else:
                continue
            keep[i] = False
        problems.add(path, "blank line", blank, [""] * len(blank))
        problems.add(path, f"wrong number of fields (expected {n_fields})", wrong, wrong_vals)
    line_no = np.flatnonzero(keep) + 1
    if len(line_no) == 0:
        raise DataFormatError(path, None, "no valid record left after dropping bad lines")
    if keep.all():
        return raw, line_no
    return b"\n".join(raw[starts[i] : ends[i]] for i in line_no - 1) + b"\n", line_no


def _integers(
    df: pd.DataFrame, int_fields: Sequence[str], path: Path, problems: _Problems
) -> pd.DataFrame:
    """``int_fields`` as int64; rows where one is not a whole number are recorded and dropped."""
    bad = np.zeros(len(df), dtype=bool)
    for col in int_fields:
        s = df[col]
        if pd.api.types.is_integer_dtype(s.dtype):
            continue
        text = s.astype("string")
        ok = text.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(dtype=bool)
        idx = np.flatnonzero(~ok & ~bad)
        problems.add(
            path, f"{col} is not an integer", df["line"].to_numpy()[idx], text.to_numpy()[idx]
        )
        bad |= ~ok
        df[col] = pd.to_numeric(text.where(ok, "0"))
    if bad.any():
        df = df.loc[~bad].reset_index(drop=True)
    for col in int_fields:
        df[col] = df[col].astype("int64")
    return df


def _parse_movies(path: Path, problems: _Problems) -> pd.DataFrame:
    df = _read_dat(path, ["movie_id", "title", "genres"], ["movie_id"], problems)
    df = _drop(
        df,
        df["movie_id"].duplicated().to_numpy(),
        problems,
        path,
        "duplicate movie id (first kept)",
        lambda d: d["movie_id"],
    )
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
    genres = df["genres"].str.split("|").map(lambda g: [x for x in g if x] if g else [])
    known = set(GENRES)
    unknown = genres.map(lambda g: any(x not in known for x in g)).to_numpy(dtype=bool)
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


def _parse_users(path: Path, problems: _Problems) -> pd.DataFrame:
    cols = ["user_id", "gender", "age", "occupation_id", "zip"]
    df = _read_dat(path, cols, ["user_id", "age", "occupation_id"], problems)
    df = _drop(
        df,
        df["user_id"].duplicated().to_numpy(),
        problems,
        path,
        "duplicate user id (first kept)",
        lambda d: d["user_id"],
    )
    for col, allowed, label in (
        ("gender", {"F", "M"}, "gender is not F or M"),
        ("age", set(AGE_GROUPS), "age is not one of the documented codes"),
        ("occupation_id", set(OCCUPATIONS), "occupation is not a documented code (0-20)"),
    ):
        df = _drop(
            df, ~df[col].isin(allowed).to_numpy(), problems, path, label, lambda d, c=col: d[c]
        )
    occupation = df["occupation_id"].map(OCCUPATIONS)
    return users_table(
        df["user_id"],
        df["gender"],
        df["age"],
        df["occupation_id"],
        occupation.astype(pd.CategoricalDtype(list(OCCUPATIONS.values()))),
        df["zip"],
    )


def _parse_ratings(
    path: Path, problems: _Problems, user_ids: pd.Series, movie_ids: pd.Series
) -> pd.DataFrame:
    cols = ["user_id", "movie_id", "rating", "timestamp"]
    df = _read_dat(path, cols, cols, problems)
    df = _drop(
        df,
        ~df["rating"].between(1, 5).to_numpy(),
        problems,
        path,
        "rating outside 1..5",
        lambda d: d["rating"],
    )
    df = _drop(
        df,
        df.duplicated(["user_id", "movie_id"]).to_numpy(),
        problems,
        path,
        "duplicate rating of the same movie by the same user (first kept)",
        lambda d: d["user_id"].astype(str) + "::" + d["movie_id"].astype(str),
    )
    df = _drop(
        df,
        ~df["user_id"].isin(user_ids).to_numpy(),
        problems,
        path,
        "user id not in the users file",
        lambda d: d["user_id"],
    )
    df = _drop(
        df,
        ~df["movie_id"].isin(movie_ids).to_numpy(),
        problems,
        path,
        "movie id not in the movies file",
        lambda d: d["movie_id"],
    )
    return ratings_table(df["user_id"], df["movie_id"], df["rating"], df["timestamp"])


def parse_files(
    files: dict[str, Path], problems: _Problems
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Movies, users and ratings from their files; ratings must name a known user and movie."""
    movies = _parse_movies(files["movies"], problems)
    users = _parse_users(files["users"], problems)
    ratings = _parse_ratings(files["ratings"], problems, users["user_id"], movies["movie_id"])
    return movies, users, ratings
