"""MovieLens-10M and the CSV releases (ML-20M, 25M, 32M, ml-latest, ml-latest-small).

Both rate in half stars (0.5-5.0) and ship no users file: the users table holds the ids
that rated, nothing more (no demographics). ML-10M's files are ``::``-separated like
ML-1M's; the CSV releases have a header line, UTF-8 text and quoted titles that may
hold commas and doubled quotes (``"Shawshank Redemption, The (1994)"``). tags and
links files are optional and not read (their paths go to ``MovieLens.info``). Every
line is checked as ML-1M's are, and bad rows go to the same data-quality table.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.locate import release_files
from zeerec.data.ml1m import checked_ratings, movies_table
from zeerec.data.quality import _Problems
from zeerec.data.rawtext import prepare
from zeerec.data.reader import _after_header, _fast_csv, _integers, _read_dat
from zeerec.data.tables import HALF_STARS, MovieLens, derived_users

RATINGS_HEADER = "userId,movieId,rating,timestamp"
MOVIES_HEADER = "movieId,title,genres"
RATING_COLUMNS = ["user_id", "movie_id", "rating", "timestamp"]
_INTS = ["user_id", "movie_id", "timestamp"]
_IDS = ("user_id", "movie_id")  # int32 on the fast path, as they are kept
_TIME = ("timestamp",)  # datetime64[s] on the fast path, as it is kept


def load_release(
    folder: Path, fmt: str, strict: bool = False, encoding: str | None = None
) -> MovieLens:
    """ML-10M (``fmt="ml-10m"``) or a CSV release (``"csv"``) in ``folder`` as the
    canonical tables; ``strict`` and ``encoding`` as in :func:`zeerec.data.load`."""
    files = release_files(folder, fmt)
    problems = _Problems(strict, native="utf-8")
    path = files["ratings"]
    if fmt == "ml-10m":
        movies = _dat_movies(files["movies"], problems, encoding)
        rows = _read_dat(path, RATING_COLUMNS, _INTS, problems, b"::", encoding, None, ["rating"])
        layout = "::".join(RATING_COLUMNS)
    else:
        # pyarrow parses ratings.csv on its own threads, without the GIL, while movies.csv
        # is read here; the fast path records nothing, so the quality table keeps its order.
        with ThreadPoolExecutor(max_workers=1) as pool:
            parsing = None  # a given encoding: the careful path
            if encoding is None:
                parsing = pool.submit(
                    _fast_csv, path, RATING_COLUMNS, _INTS, b",", RATINGS_HEADER, _IDS, _TIME
                )
            movies = _csv_movies(files["movies"], problems, encoding)
            rows = _read_dat(
                path, RATING_COLUMNS, _INTS, problems, b",", encoding, RATINGS_HEADER,
                float_fields=["rating"], fast=parsing.result if parsing else None,
            )  # fmt: skip
        layout = RATINGS_HEADER
    ratings = checked_ratings(
        rows, path, problems, None, movies["movie_id"], layout=layout, scale=HALF_STARS
    )
    info: dict = {kind: str(p) for kind, p in files.items()}
    info.update(format=fmt, users_file=False, encodings=problems.encodings)
    return MovieLens(
        movies=movies,
        users=derived_users(ratings["user_id"]),
        ratings=ratings,
        quality=problems.table(),
        source=str(Path(folder).resolve()),
        info=info,
        rating_scale=HALF_STARS,
    )


def _dat_movies(path: Path, problems: _Problems, encoding: str | None) -> pd.DataFrame:
    df = _read_dat(path, ["movie_id", "title", "genres"], ["movie_id"], problems, encoding=encoding)
    return movies_table(df, path, problems, "movie_id::title::genres", release=True)


def _csv_movies(path: Path, problems: _Problems, encoding: str | None) -> pd.DataFrame:
    """movies.csv through the csv module: quoted titles with commas and doubled quotes,
    and a line count that follows a quoted line break."""
    raw, codec = prepare(path, problems, encoding)
    body = _after_header(raw, MOVIES_HEADER, path, codec)
    text = body.decode(codec)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if text.count("\n") == len(records):  # no line break inside quotes: record i is line i+2
        lines = np.arange(2, len(records) + 2)
    else:
        lines = _record_lines(text)
    sizes = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    blank = np.zeros(len(records), dtype=bool)
    for i in np.flatnonzero(sizes != 3):  # only the odd records are looked at again
        blank[i] = not "".join(records[i]).strip()
    found = {
        "blank line": np.flatnonzero(blank),
        "wrong number of fields (expected 3, separated by ',')": np.flatnonzero(
            (sizes != 3) & ~blank
        ),
    }
    for problem, idx in found.items():
        values = [",".join(records[i]) for i in idx[:1]]
        problems.add(path, problem, lines[idx], values * len(idx))
    good = np.flatnonzero(sizes == 3)
    if len(good) == 0:
        raise problems.nothing_left(path, MOVIES_HEADER)
    if len(good) < len(records):
        records = [records[i] for i in good]
    ids, titles, genres = zip(*records, strict=True)
    df = pd.DataFrame(
        {
            "line": lines[good],
            "movie_id": pd.array(ids, dtype="string"),
            "title": pd.array(titles, dtype="string"),
            "genres": pd.array(genres, dtype="string"),
        }
    )
    df["title"] = df["title"].str.strip()
    try:  # clean ids convert in one call; else every one is checked and reported
        df["movie_id"] = np.asarray(ids if len(good) == len(lines) else df["movie_id"], np.int64)
    except (ValueError, OverflowError):
        df = _integers(df, ["movie_id"], path, problems)
    return movies_table(df, path, problems, MOVIES_HEADER, release=True)


def _record_lines(text: str) -> np.ndarray:
    """The line each CSV record starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, last = [], 1  # line 1 is the header
    for _ in reader:
        starts.append(last + 1)
        last = reader.line_num + 1
    return np.asarray(starts, dtype=np.int64)
