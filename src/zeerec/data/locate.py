"""Where the files of a data folder are: zee names, GroupLens names, an ml-1m/ subfolder, or
MovieLens-100K's native u.data, u.item, u.user and u.occupation."""

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


def is_ml100k(folder: str | os.PathLike) -> bool:
    """MovieLens-100K's native files (u.data, ...) and no ML-1M ones."""
    folder = Path(folder)
    return (folder / "u.data").is_file() and not any(_copies(folder, k) for k in KINDS)


def require_data(folder: str | os.PathLike) -> None:
    """A :class:`MissingDataError` naming each missing file, unless ``folder`` holds a
    complete set of ML-1M files or of ML-100K's native ones."""
    if is_ml100k(folder):
        require_ml100k(folder)
    else:
        find_files(folder)


def require_ml100k(folder: str | os.PathLike) -> None:
    """A :class:`MissingDataError` naming each of ML-100K's files missing from ``folder``."""
    folder = Path(folder)
    missing = [name for name in ML100K_FILES if not (folder / name).is_file()]
    if missing:
        raise MissingDataError(
            f"Expected {', '.join(missing)} in {folder.resolve()} (MovieLens-100K), not found."
        )


def has_data(folder: str | os.PathLike) -> bool:
    """A complete set of ML-1M files or of ML-100K's native ones is in ``folder``."""
    try:
        require_data(folder)
    except MissingDataError:
        return False
    return True


def is_synthetic(folder: str | os.PathLike) -> bool:
    """Synthetic samples carry a marker file written by zeerec.synthetic."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()
