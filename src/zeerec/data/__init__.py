"""Loading and validating MovieLens: ML-1M ("zee" or GroupLens names), ML-100K, ML-10M
and the CSV releases (ML-20M, 25M, 32M, ml-latest), recognised by the files present.

ML-1M's three files are ``::``-separated and ISO-8859-1 encoded. Everything downstream
works on one canonical shape, a :class:`MovieLens` holding three tidy DataFrames:

- ``movies``: movie_id int32, title string (as in the file), name string (title
  without the year), year Int16, genres (list of str);
- ``users``: user_id int32, gender category, age int8 (the code), age_group
  ordered category, occupation_id int8, occupation category, zip string;
- ``ratings``: user_id int32, movie_id int32, rating int8 (whole stars) or float32
  (half stars), timestamp datetime64[s].

``MovieLens.rating_scale`` is the release's star scale (1-5 whole stars for ML-1M and
ML-100K, 0.5-5.0 in half stars for ML-10M and later). Releases without a users file
(ML-10M and later) get a users table of ids only: ``MovieLens.has_demographics`` is
False.

Bad rows are either fatal (``strict=True``: the error names file, line and value)
or dropped and counted in ``MovieLens.quality``; nothing is coerced silently. How a
file was re-saved (UTF-8 or Windows-1252 instead of ISO-8859-1, a byte-order mark,
Windows or old-Mac line ends, blank lines at the end) is not a data problem: it is
read as meant, and the quality table says so where the encoding is not ISO-8859-1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from zeerec.data.locate import (
    FORMATS,
    detect_format,
    find_files,
    has_data,
    is_ml100k,
    is_synthetic,
    other_copies,
    require_data,
)
from zeerec.data.ml1m import parse_files
from zeerec.data.ml100k import load_ml100k
from zeerec.data.processed import load_processed, save_processed
from zeerec.data.quality import _Problems
from zeerec.data.reader import _read_dat
from zeerec.data.releases import load_release
from zeerec.data.tables import (
    AGE_GROUPS,
    HALF_STARS,
    HOW_TO_GET_DATA,
    KINDS,
    OCCUPATIONS,
    SYNTHETIC_MARKER,
    WHOLE_STARS,
    DataConflictError,
    DataError,
    DataFormatError,
    MissingDataError,
    MovieLens,
    RatingScale,
)

__all__ = [
    "AGE_GROUPS",
    "FORMATS",
    "HALF_STARS",
    "WHOLE_STARS",
    "RatingScale",
    "detect_format",
    "HOW_TO_GET_DATA",
    "KINDS",
    "OCCUPATIONS",
    "SYNTHETIC_MARKER",
    "DataConflictError",
    "DataError",
    "DataFormatError",
    "MissingDataError",
    "MovieLens",
    "_Problems",  # benchmarks/bench_load.py times the parser on its own
    "_read_dat",
    "find_files",
    "has_data",
    "is_ml100k",
    "is_synthetic",
    "load",
    "load_ml100k",
    "load_processed",
    "other_copies",
    "require_data",
    "save_processed",
]


def load(folder: str | os.PathLike, strict: bool = False, encoding: str | None = None) -> MovieLens:
    """Read, validate and decode the three files found in ``folder``.

    ``strict=True`` raises :class:`DataFormatError` at the first invalid line of a file;
    the default drops such rows and lists them in ``MovieLens.quality``. ``encoding``
    None detects each file's (UTF-8 when its bytes are UTF-8 with multi-byte sequences,
    else ISO-8859-1); give it to force one. The release is recognised by the files
    present (:func:`detect_format`): MovieLens-100K's native ``u.data`` is read by
    :func:`load_ml100k`, ML-10M and the CSV releases by :func:`load_release`, with the
    same checks.
    """
    fmt, where = detect_format(folder)
    if fmt == "ml-100k":
        return load_ml100k(folder, strict=strict, encoding=encoding)
    if fmt != "ml-1m":
        return _marked(load_release(where, fmt, strict=strict, encoding=encoding), folder)
    files = find_files(folder)
    problems = _Problems(strict)
    for kind, copies in other_copies(folder).items():
        names = ", ".join(p.name for p in copies)
        problems.note(
            files[kind],
            f"{names} in the folder too, identical",
            f"read {files[kind].name}",
        )
    movies, users, ratings = parse_files(files, problems, encoding)
    info: dict = {kind: str(p) for kind, p in files.items()}
    info["encodings"] = problems.encodings
    ml = MovieLens(
        movies=movies,
        users=users,
        ratings=ratings,
        quality=problems.table(),
        source=str(Path(folder).resolve()),
        info=info,
    )
    return _marked(ml, folder)


def _marked(ml: MovieLens, folder: str | os.PathLike) -> MovieLens:
    """A synthetic sample says so: its marker file's content goes to ``info``."""
    marker = Path(folder) / SYNTHETIC_MARKER
    if marker.is_file():
        ml.info["synthetic"] = json.loads(marker.read_text())
        ml.synthetic = True
    return ml
