"""Where the three files of a data folder are: zee names, GroupLens names, an ml-1m/ subfolder."""

from __future__ import annotations

import os
from pathlib import Path

from zeerec.data.tables import HOW_TO_GET_DATA, KINDS, SYNTHETIC_MARKER, MissingDataError


def find_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Map each kind to its file, accepting zee names, GroupLens names and an ml-1m/ subfolder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingDataError(f"Data folder {folder} does not exist. {HOW_TO_GET_DATA}")
    found: dict[str, Path] = {}
    missing = []
    for kind in KINDS:
        candidates = [
            d / name
            for d in (folder, folder / "ml-1m")
            for name in (f"zee-{kind}.dat", f"{kind}.dat")
        ]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(f"zee-{kind}.dat (or {kind}.dat)")
        else:
            found[kind] = hit
    if missing:
        raise MissingDataError(
            f"Expected {', '.join(missing)} in {folder.resolve()}, not found. {HOW_TO_GET_DATA}"
        )
    return found


def has_data(folder: str | os.PathLike) -> bool:
    try:
        find_files(folder)
    except MissingDataError:
        return False
    return True


def is_synthetic(folder: str | os.PathLike) -> bool:
    """Synthetic samples carry a marker file written by zeerec.synthetic."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()
