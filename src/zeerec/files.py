"""Atomic file writes: a crash or a full disk never leaves half a file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike, content: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``content`` to a temporary file beside ``path``, then rename it into place.

    ``content`` is bytes, text (UTF-8) or a function that writes to the path it is given
    (e.g. ``lambda p: frame.to_parquet(p)``). The old file, if any, stays intact until
    the rename, and the temporary file is removed on failure.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, str):
                fh.write(content.encode("utf-8"))
            elif isinstance(content, bytes | bytearray):
                fh.write(content)
        if callable(content):
            content(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide reports and data from colleagues
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
