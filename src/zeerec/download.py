"""Fetch a MovieLens archive from GroupLens, check it and extract it safely.

The rest of zeerec never needs the network: it reads the data files from a folder. This module
is the one optional way to fill that folder, so every failure here ends in a `DownloadError`
that says what went wrong and the two ways forward that need no download at all.

MovieLens-1M (the default) is checked against the MD5 pinned here; the larger releases
(:data:`RELEASES`: ML-10M, 20M, 25M, 32M, ml-latest-small) against the MD5 GroupLens
publishes beside each archive (``<name>.zip.md5``), fetched first.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import posixpath
import re
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

__all__ = [
    "DATASETS",
    "GROUPLENS",
    "ML1M_FILES",
    "RELEASES",
    "ML1M_MD5",
    "ML1M_URL",
    "DownloadError",
    "fetch",
    "fetch_ml1m",
    "fetch_release",
    "safe_extract",
]

GROUPLENS = "https://files.grouplens.org/datasets/movielens"
ML1M_URL = f"{GROUPLENS}/ml-1m.zip"
ML1M_MD5 = "c4d9eecfca2ab87c1945afe126590906"
ML1M_FILES = ("movies.dat", "ratings.dat", "users.dat")
_CSV = (("ratings.csv", "movies.csv"), ("tags.csv", "links.csv", "README.txt"))
RELEASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ml-10m": (("ratings.dat", "movies.dat"), ("tags.dat", "README.html")),
    "ml-20m": _CSV,
    "ml-25m": _CSV,
    "ml-32m": _CSV,
    "ml-latest-small": _CSV,
}
"""Each release's archive name: (files it must hold, files extracted when present)."""
DATASETS = ("ml-1m", *RELEASES)
_MD5 = re.compile(r"\b[0-9a-fA-F]{32}\b")

_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


class DownloadError(RuntimeError):
    """The data could not be fetched or extracted; the message names both alternatives."""


_ML1M_HINT = "movies.dat, ratings.dat, users.dat (or the zee-*.dat files)"


def _fail(what: str, dest: str | os.PathLike[str], files: str = _ML1M_HINT) -> DownloadError:
    """Build the error so every failure offers the same two ways forward."""
    return DownloadError(
        f"{what}. Alternatives: (1) place {files} into {os.fspath(dest)} yourself, or "
        "(2) use the synthetic sample: make report DATA=sample"
    )


def _present(dest: Path) -> bool:
    """True when every file exists under its GroupLens or its zee- name."""
    return all((dest / name).is_file() or (dest / f"zee-{name}").is_file() for name in ML1M_FILES)


def _open_within(url: str, timeout: float) -> http.client.HTTPResponse:
    """Open `url`, giving up after `timeout` seconds in total.

    urlopen's timeout covers the connect and each read but not the DNS lookup, which on a
    machine with a silent resolver can hang for half a minute; so the whole open (lookup,
    connect, TLS, response headers) runs in a daemon thread we stop waiting for.
    """
    done = threading.Event()
    lock = threading.Lock()
    state: dict[str, object] = {"abandoned": False}

    def work() -> None:
        try:
            response = urllib.request.urlopen(url, timeout=timeout)
        except BaseException as exc:  # handed over to the caller below
            state["error"] = exc
        else:
            with lock:
                if state["abandoned"]:
                    response.close()
                else:
                    state["response"] = response
        finally:
            done.set()

    threading.Thread(target=work, name="zeerec-download-open", daemon=True).start()
    if not done.wait(timeout):
        with lock:
            if "response" not in state:
                state["abandoned"] = True
                raise TimeoutError(f"no response within {timeout:g} s")
    if "error" in state:
        raise state["error"]  # type: ignore[misc]
    return state["response"]  # type: ignore[return-value]


def _reason(exc: BaseException, timeout: float) -> str:
    """A short human reason for a network failure."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        if not isinstance(exc.reason, BaseException):
            return str(exc.reason)
        exc = exc.reason
    text = str(exc)
    if isinstance(exc, TimeoutError) and text in ("", "timed out"):
        return f"timed out after {timeout:g} s"
    return text or type(exc).__name__


def _download(url: str, target: Path, *, timeout: float, progress: bool) -> str:
    """Stream `url` into `target`; return the MD5 hex digest of what was written."""
    digest = hashlib.md5(usedforsecurity=False)
    response = _open_within(url, timeout)
    with response, open(target, "wb") as out:
        length_header = response.headers.get("Content-Length")
        total = int(length_header) if length_header and length_header.isdigit() else None
        received = 0
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=posixpath.basename(url) or "download",
            disable=not progress or total is None,
        ) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if total is not None and received != total:
            raise http.client.IncompleteRead(b"", total - received)
    return digest.hexdigest()


def fetch_ml1m(
    dest: str | os.PathLike[str],
    url: str = ML1M_URL,
    md5: str = ML1M_MD5,
    *,
    timeout: float = 10.0,
    progress: bool = True,
) -> Path:
    """Make sure `dest` holds the three MovieLens-1M files, downloading them if needed.

    One attempt, no retries, and `timeout` bounds both opening the connection and each read, so
    a machine without network fails fast with a message saying what to do instead. The archive
    is checked against `md5` before anything is extracted.
    """
    dest_path = Path(dest)
    if _present(dest_path):
        return dest_path
    _fetch_zip(url, md5, dest_path, ML1M_FILES, (), timeout=timeout, progress=progress)
    return dest_path


def _fetch_zip(
    url: str,
    md5: str,
    dest: Path,
    members: tuple[str, ...],
    optional: tuple[str, ...],
    *,
    timeout: float,
    progress: bool,
) -> None:
    """Download `url` beside `dest`, check its MD5, extract `members` (and `optional` where
    the archive has them) flat into `dest`; the partial download never stays behind."""
    parent = Path(os.path.abspath(dest)).parent
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}-", suffix=".zip.part", dir=parent)
    os.close(fd)
    tmp_zip = Path(tmp_name)
    try:
        try:
            actual = _download(url, tmp_zip, timeout=timeout, progress=progress)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            raise _fail(f"the download from {url} failed ({_reason(exc, timeout)})", dest) from exc
        if actual.lower() != md5.lower():
            raise _fail(
                f"the download from {url} failed (checksum mismatch: expected MD5 {md5}, "
                f"got {actual})",
                dest,
            )
        safe_extract(tmp_zip, dest, members, optional)
    finally:
        tmp_zip.unlink(missing_ok=True)


def fetch_release(
    name: str,
    dest: str | os.PathLike[str],
    base_url: str = GROUPLENS,
    *,
    timeout: float = 10.0,
    progress: bool = True,
) -> Path:
    """Make sure `dest`/`name` holds release `name` (a key of :data:`RELEASES`), downloading
    `base_url`/`name`.zip if needed and checking it against the MD5 GroupLens publishes
    beside it (`name`.zip.md5). Returns the folder, which `zeerec.data.load` reads."""
    if name not in RELEASES:
        raise ValueError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}")
    members, optional = RELEASES[name]
    folder = Path(dest) / name
    if all((folder / m).is_file() for m in members):
        return folder
    hint = " and ".join(members) + f" (from {name}.zip)"
    try:
        md5 = _published_md5(f"{base_url}/{name}.zip.md5", folder, timeout)
        _fetch_zip(
            f"{base_url}/{name}.zip", md5, folder, members, optional,
            timeout=timeout, progress=progress,
        )  # fmt: skip
    except DownloadError as err:
        raise DownloadError(str(err).replace(_ML1M_HINT, hint)) from err.__cause__
    return folder


def _published_md5(url: str, dest: Path, timeout: float) -> str:
    """The MD5 in GroupLens's checksum file (``MD5 (x.zip) = <hex>`` or ``<hex>  x.zip``)."""
    try:
        with _open_within(url, timeout) as response:
            text = response.read(4096).decode("ascii", errors="replace")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()
        raise _fail(
            f"cannot fetch the checksum GroupLens publishes at {url} ({_reason(exc, timeout)})",
            dest,
        ) from exc
    found = _MD5.search(text)
    if found is None:
        raise _fail(f"no MD5 checksum in {url} (it reads {text[:60]!r})", dest)
    return found.group(0).lower()


def fetch(
    dataset: str,
    dest: str | os.PathLike[str],
    base_url: str = GROUPLENS,
    *,
    timeout: float = 10.0,
    progress: bool = True,
) -> Path:
    """`make data DATASET=...`: ML-1M flat into `dest` (as always), a larger release into
    `dest`/`dataset`. Returns the folder to pass as ``make report DATA=...``."""
    if dataset == "ml-1m":
        url = f"{base_url}/ml-1m.zip"
        return fetch_ml1m(dest, url=url, timeout=timeout, progress=progress)
    return fetch_release(dataset, dest, base_url, timeout=timeout, progress=progress)


def _unsafe(name: str) -> str | None:
    """Why a zip member name would write outside the target folder, or None if it is safe."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        return "has an absolute path"
    normal = posixpath.normpath(posix)
    if normal == ".." or normal.startswith("../"):
        return "escapes the target folder"
    return None


def safe_extract(
    zip_path: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    members: tuple[str, ...] = ML1M_FILES,
    optional: tuple[str, ...] = (),
) -> list[Path]:
    """Extract the files named `members` from `zip_path` flat into `dest`, all or nothing;
    `optional` ones too where the archive holds them.

    Every member name is vetted before a byte is written, since a hostile or broken archive
    may point outside the folder. Files are written to a scratch folder beside `dest` and only
    moved in once all of them are complete, so a failure never leaves half a data set behind.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(
            f"cannot extract {os.fspath(zip_path)}: not a zip archive ({exc})", dest
        ) from exc
    with archive:
        chosen = _choose_members(archive, zip_path, members, optional, dest)
        _extract_all(archive, chosen, zip_path, dest)
    return [Path(dest) / name for name in chosen]


def _choose_members(
    archive: zipfile.ZipFile,
    zip_path: str | os.PathLike[str],
    members: tuple[str, ...],
    optional: tuple[str, ...],
    dest: str | os.PathLike[str],
) -> dict[str, zipfile.ZipInfo]:
    """The archive entry of each member (by base name), once every entry name is vetted."""
    infos = archive.infolist()
    for info in infos:
        problem = _unsafe(info.filename)
        if problem:
            raise _fail(
                f"refusing to extract {os.fspath(zip_path)}: member {info.filename!r} {problem}",
                dest,
            )
    chosen: dict[str, zipfile.ZipInfo] = {}
    for name in (*members, *optional):
        matches = [
            info
            for info in infos
            if not info.is_dir()
            and posixpath.basename(posixpath.normpath(info.filename.replace("\\", "/"))) == name
        ]
        if not matches and name in optional:
            continue
        if not matches:
            raise _fail(f"cannot extract {os.fspath(zip_path)}: {name} is missing", dest)
        if len(matches) > 1:
            found = ", ".join(repr(info.filename) for info in matches)
            raise _fail(
                f"cannot extract {os.fspath(zip_path)}: {name} appears more than once ({found})",
                dest,
            )
        chosen[name] = matches[0]
    return chosen


def _extract_all(
    archive: zipfile.ZipFile,
    chosen: dict[str, zipfile.ZipInfo],
    zip_path: str | os.PathLike[str],
    dest: str | os.PathLike[str],
) -> None:
    """Write each chosen entry to a scratch folder beside `dest`, then move them all in."""
    dest_path = Path(dest)
    parent = Path(os.path.abspath(dest_path)).parent
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest_path.name}-extract-", dir=parent))
    moved: list[Path] = []
    try:
        try:
            for name, info in chosen.items():
                with archive.open(info) as src, open(scratch / name, "wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _fail(f"cannot extract {os.fspath(zip_path)}: {exc}", dest) from exc
        dest_path.mkdir(parents=True, exist_ok=True)
        try:
            for name in chosen:
                os.replace(scratch / name, dest_path / name)
                moved.append(dest_path / name)
        except OSError as exc:
            for path in moved:
                path.unlink(missing_ok=True)
            raise _fail(f"cannot move extracted files into {dest_path}: {exc}", dest) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
