"""What produced a report: input files and their SHA-256, the commit, the library versions.

A reviewer who reads a number in a report should be able to tell which data, which code
and which libraries made it; :mod:`zeerec.pages` prints these facts in every report's
header. Everything here reads the machine as it is and never fails: a fact that cannot
be found (no git, a missing folder) is reported as such.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

# the libraries whose versions can move a report's numbers, in the order shown
KEY_LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "tensorflow",
    "keras",
    "papermill",
    "nbconvert",
)
INPUT_SUFFIXES = (".dat", ".parquet", ".json", ".data", ".item", ".user")
_CHUNK = 1 << 20  # hash files a MiB at a time


@dataclass(frozen=True)
class InputFile:
    path: Path
    size: int
    sha256: str


@functools.lru_cache(maxsize=256)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:  # size, mtime: the cache key
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def input_files(folder: str | os.PathLike | None) -> list[InputFile]:
    """The data files directly in ``folder`` with their SHA-256 (empty if there is none)."""
    if not folder or not Path(folder).is_dir():
        return []
    found = []
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix in INPUT_SUFFIXES and not path.name.startswith("."):
            stat = path.stat()
            found.append(
                InputFile(path, stat.st_size, _sha256(path, stat.st_size, stat.st_mtime_ns))
            )
    return found


def source_of(processed_dir: str | os.PathLike | None) -> str | None:
    """The raw-data folder notebook 01 read, as it wrote it in ``source.json``."""
    if not processed_dir:
        return None
    path = Path(processed_dir) / "source.json"
    try:
        return str(json.loads(path.read_text())["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_state(folder: str | os.PathLike) -> dict[str, str | bool | None]:
    """Commit, short commit and whether the work tree has uncommitted changes."""
    folder = Path(folder)
    commit = _git(folder, "rev-parse", "HEAD")
    if not commit:
        return {"commit": None, "short": None, "dirty": None}
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "short": commit[:10], "dirty": bool(status)}


def versions(names: tuple[str, ...] = KEY_LIBRARIES) -> dict[str, str]:
    """Python and the key libraries' installed versions (``"not installed"`` if absent)."""
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def short_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """A path as a reader wants it: relative to ``root`` when inside it, ``~`` for home."""
    path = Path(path)
    if root is not None:
        try:
            return str(path.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if home != "/" and text.startswith(home + os.sep) else text
