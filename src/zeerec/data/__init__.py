"""Loading and validating the MovieLens-1M files ("zee" or GroupLens names).

The three files are ``::``-separated and ISO-8859-1 encoded. Everything downstream
works on one canonical shape, a :class:`MovieLens` holding three tidy DataFrames:

- ``movies``: movie_id int32, title string (as in the file), name string (title
  without the year), year Int16, genres (list of str);
- ``users``: user_id int32, gender category, age int8 (the code), age_group
  ordered category, occupation_id int8, occupation category, zip string;
- ``ratings``: user_id int32, movie_id int32, rating int8, timestamp datetime64[s].

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
from zeerec.data.tables import (
    AGE_GROUPS,
    HOW_TO_GET_DATA,
    KINDS,
    OCCUPATIONS,
    SYNTHETIC_MARKER,
    DataConflictError,
    DataError,
    DataFormatError,
    MissingDataError,
    MovieLens,
)

__all__ = [
    "AGE_GROUPS",
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
    else ISO-8859-1); give it to force one. A folder holding MovieLens-100K's native
    ``u.data`` is read by :func:`load_ml100k`, with the same checks.
    """
    if is_ml100k(folder):
        return load_ml100k(folder, strict=strict, encoding=encoding)
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
    marker = Path(folder) / SYNTHETIC_MARKER
    if marker.is_file():
        info["synthetic"] = json.loads(marker.read_text())
    return MovieLens(
        movies=movies,
        users=users,
        ratings=ratings,
        quality=problems.table(),
        source=str(Path(folder).resolve()),
        synthetic=marker.is_file(),
        info=info,
    )
