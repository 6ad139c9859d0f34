"""Fetch the real MovieLens-1M archive from GroupLens and extract it safely.

The rest of zeerec never needs the network: it reads `.dat` files from a folder. This module is
the one optional way to fill that folder, so every failure here ends in a `DownloadError` that
says what went wrong and the two ways forward that need no download at all.
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
    "ML1M_FILES",
    "ML1M_MD5",
    "ML1M_URL",
    "DownloadError",
    "fetch_ml1m",
    "safe_extract",
]

ML1M_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
ML1M_MD5 = "c4d9eecfca2ab87c1945afe126590906"
ML1M_FILES = ("movies.dat", "ratings.dat", "users.dat")

_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


class DownloadError(RuntimeError):
    """The data could not be fetched or extracted; the message names both alternatives."""


def _fail(what: str, dest: str | os.PathLike[str]) -> DownloadError:
    """Build the error so every failure offers the same two ways forward."""
    return DownloadError(
        f"{what}. Alternatives: (1) place movies.dat, ratings.dat, users.dat "
        f"(or the zee-*.dat files) into {os.fspath(dest)} yourself, or "
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
    parent = Path(os.path.abspath(dest_path)).parent
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".ml-1m-", suffix=".zip.part", dir=parent)
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
        safe_extract(tmp_zip, dest_path)
    finally:
        tmp_zip.unlink(missing_ok=True)
    return dest_path


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
) -> list[Path]:
    """Extract the files named `members` from `zip_path` flat into `dest`, all or nothing.

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
        chosen = _choose_members(archive, zip_path, members, dest)
        _extract_all(archive, dict(zip(members, chosen, strict=True)), zip_path, dest)
    return [Path(dest) / name for name in members]


def _choose_members(
    archive: zipfile.ZipFile,
    zip_path: str | os.PathLike[str],
    members: tuple[str, ...],
    dest: str | os.PathLike[str],
) -> list[zipfile.ZipInfo]:
    """The archive entry of each member (by base name), once every entry name is vetted."""
    infos = archive.infolist()
    for info in infos:
        problem = _unsafe(info.filename)
        if problem:
            raise _fail(
                f"refusing to extract {os.fspath(zip_path)}: member {info.filename!r} {problem}",
                dest,
            )
    chosen: list[zipfile.ZipInfo] = []
    for name in members:
        matches = [
            info
            for info in infos
            if not info.is_dir()
            and posixpath.basename(posixpath.normpath(info.filename.replace("\\", "/"))) == name
        ]
        if not matches:
            raise _fail(f"cannot extract {os.fspath(zip_path)}: {name} is missing", dest)
        if len(matches) > 1:
            found = ", ".join(repr(info.filename) for info in matches)
            raise _fail(
                f"cannot extract {os.fspath(zip_path)}: {name} appears more than once ({found})",
                dest,
            )
        chosen.append(matches[0])
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
    scratch = Path(tempfile.mkdtemp(prefix=".ml-1m-extract-", dir=parent))
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
