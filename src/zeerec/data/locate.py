"""Where the files of a data folder are, and which MovieLens release they are.

By the files present: ML-1M (zee or GroupLens names, users.dat, an ml-1m/ subfolder),
ML-100K (u.data, u.item, u.user, u.occupation), ML-10M (ratings.dat and movies.dat
without users.dat; an ml-10M100K/ subfolder) and the CSV releases (ratings.csv and
movies.csv: ML-20M, 25M, 32M, ml-latest and ml-latest-small, or their subfolder).
"""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

from zeerec.data.tables import (
    HOW_TO_GET_DATA,
    KINDS,
    SYNTHETIC_MARKER,
    DataConflictError,
    MissingDataError,
)

ML100K_FILES = ("u.data", "u.item", "u.user", "u.occupation")
ML10M_DIRS = ("ml-10M100K", "ml-10m")
CSV_DIRS = ("ml-32m", "ml-25m", "ml-20m", "ml-latest", "ml-latest-small")
RELEASE_FILES = {
    "ml-10m": ("ratings", "movies", "tags"),
    "csv": ("ratings", "movies", "tags", "links"),
}
FORMATS = ("ml-1m", "ml-100k", "ml-10m", "csv")


def _copies(folder: Path, kind: str) -> list[Path]:
    """Every file that could hold ``kind``, in the order they are preferred."""
    return [
        d / name
        for d in (folder, folder / "ml-1m")
        for name in (f"zee-{kind}.dat", f"{kind}.dat")
        if (d / name).is_file()
    ]


def _refuse_different(copies: list[Path]) -> None:
    """Two names for one table are fine only when the files are the same bytes."""
    first = copies[0]
    for other in copies[1:]:
        if not filecmp.cmp(first, other, shallow=False):
            raise DataConflictError(
                f"{first.parent.resolve()} holds two different {other.stem.removeprefix('zee-')} "
                f"files: {first} ({first.stat().st_size:,} bytes) and {other} "
                f"({other.stat().st_size:,} bytes). zeerec will not guess which one you mean: "
                "move or rename the one you do not want (e.g. to "
                f"{other.name}.old) and run again."
            )


def find_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Map each kind to its file, accepting zee names, GroupLens names and an ml-1m/ subfolder.

    Where one table has two files (``zee-movies.dat`` and ``movies.dat``) they must be
    identical (the zee name is read, and :func:`other_copies` lists the rest); two
    different files are a :class:`DataConflictError`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingDataError(f"Data folder {folder} does not exist. {HOW_TO_GET_DATA}")
    found: dict[str, Path] = {}
    missing = []
    for kind in KINDS:
        copies = _copies(folder, kind)
        if not copies:
            missing.append(f"zee-{kind}.dat (or {kind}.dat)")
            continue
        _refuse_different(copies)
        found[kind] = copies[0]
    if missing:
        raise MissingDataError(
            f"Expected {', '.join(missing)} in {folder.resolve()}, not found. {HOW_TO_GET_DATA}"
        )
    return found


def other_copies(folder: str | os.PathLike) -> dict[str, list[Path]]:
    """For each table read from ``folder``, the identical files under its other names."""
    copies = {kind: _copies(Path(folder), kind) for kind in KINDS}
    return {kind: found[1:] for kind, found in copies.items() if len(found) > 1}


def _is_ml1m(folder: Path) -> bool:
    """Any zee- file, or a users.dat: the ML-1M layout (whose users file is required)."""
    return any(
        (d / name).is_file()
        for d in (folder, folder / "ml-1m")
        for name in (*(f"zee-{k}.dat" for k in KINDS), "users.dat")
    )


def _release_dir(folder: Path, marker: str, subfolders: tuple[str, ...]) -> Path | None:
    """``folder`` or its first subfolder of ``subfolders`` that holds ``marker``."""
    for d in (folder, *(folder / sub for sub in subfolders)):
        if (d / marker).is_file():
            return d
    return None


def detect_format(folder: str | os.PathLike) -> tuple[str, Path]:
    """The release in ``folder`` (one of :data:`FORMATS`) and the folder holding its files.

    ML-1M wins where its files are present (a users file or zee names), as it always
    has; ML-100K by u.data; ML-10M by ratings.dat without a users file; the CSV
    releases by ratings.csv. Nothing recognised: "ml-1m", so that the error names
    its files.
    """
    folder = Path(folder)
    if _is_ml1m(folder):
        return "ml-1m", folder
    if (folder / "u.data").is_file():
        return "ml-100k", folder
    found = _release_dir(folder, "ratings.dat", ML10M_DIRS)
    if found is not None:
        return "ml-10m", found
    found = _release_dir(folder, "ratings.csv", CSV_DIRS)
    if found is not None:
        return "csv", found
    return "ml-1m", folder


def release_files(folder: str | os.PathLike, fmt: str) -> dict[str, Path]:
    """ML-10M's or a CSV release's files in ``folder``: ratings and movies required, tags
    and links read where present (a :class:`MissingDataError` names what is missing)."""
    folder = Path(folder)
    ext = ".dat" if fmt == "ml-10m" else ".csv"
    found = {
        k: folder / f"{k}{ext}" for k in RELEASE_FILES[fmt] if (folder / f"{k}{ext}").is_file()
    }
    missing = [f"{k}{ext}" for k in ("ratings", "movies") if k not in found]
    if missing:
        what = "MovieLens-10M" if fmt == "ml-10m" else "a MovieLens CSV release"
        raise MissingDataError(
            f"Expected {' and '.join(missing)} in {folder.resolve()} ({what}), not found. "
            f"{HOW_TO_GET_DATA}"
        )
    return found


def is_ml100k(folder: str | os.PathLike) -> bool:
    """MovieLens-100K's native files (u.data, ...) and no ML-1M ones."""
    folder = Path(folder)
    return (folder / "u.data").is_file() and not any(_copies(folder, k) for k in KINDS)


def require_data(folder: str | os.PathLike) -> None:
    """A :class:`MissingDataError` naming each missing file, unless ``folder`` holds a
    complete set of files of one release (:func:`detect_format`)."""
    fmt, where = detect_format(folder)
    if fmt == "ml-100k":
        require_ml100k(folder)
    elif fmt == "ml-1m":
        find_files(folder)
    else:
        release_files(where, fmt)


def require_ml100k(folder: str | os.PathLike) -> None:
    """A :class:`MissingDataError` naming each of ML-100K's files missing from ``folder``."""
    folder = Path(folder)
    missing = [name for name in ML100K_FILES if not (folder / name).is_file()]
    if missing:
        raise MissingDataError(
            f"Expected {', '.join(missing)} in {folder.resolve()} (MovieLens-100K), not found."
        )


def has_data(folder: str | os.PathLike) -> bool:
    """A complete set of files of one release is in ``folder``."""
    try:
        require_data(folder)
    except MissingDataError:
        return False
    return True


def is_synthetic(folder: str | os.PathLike) -> bool:
    """Synthetic samples carry a marker file written by zeerec.synthetic."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()
