"""One separated-values data file as string/int columns, every line checked.

Used for ML-1M's ``::`` files and ML-100K's tab- and ``|``-separated ones. Each file is
parsed on pandas' fast C reader; field counts and integers are checked on the raw bytes
first, so only the lines that fail a check are looked at in Python. Every problem goes
to the data-quality table (:mod:`zeerec.data.quality`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.quality import _Problems
from zeerec.data.rawtext import prepare

_SEP = b"\x1f"  # ASCII unit separator: never part of a MovieLens field, safe for the C parser
_INTEGER = r"\s*[+-]?\d{1,18}\s*"  # fits int64; spaces around as the C parser allows


def _read_dat(
    path: Path,
    names: Sequence[str],
    int_fields: Sequence[str],
    problems: _Problems,
    sep: bytes = b"::",
    encoding: str | None = None,
) -> pd.DataFrame:
    """Parse one file into string/int columns plus a 1-based ``line`` column.

    ``encoding`` None detects it (:func:`zeerec.data.rawtext.prepare`). A file none of
    whose lines is valid is an error whatever the mode.
    """
    raw, codec = prepare(path, problems, encoding)
    body, line_no = _good_lines(raw, len(names), sep, path, problems, codec)
    if len(line_no) == 0:
        raise problems.nothing_left(path, sep.decode().join(names))
    body = body.replace(sep, _SEP)
    df = _parse(body, names, int_fields, codec)
    as_text = [c for c in int_fields if not pd.api.types.is_signed_integer_dtype(df[c].dtype)]
    if as_text:  # "4.5" makes a column float ("1" -> 1.0): read it again as text to check it
        df = _parse(body, names, set(int_fields) - set(as_text), codec)
    df.insert(0, "line", line_no)
    return _integers(df, int_fields, path, problems)


def _parse(body: bytes, names: Sequence[str], numeric: Collection[str], codec: str) -> pd.DataFrame:
    """pandas' C parser on the checked lines; columns not in ``numeric`` stay text."""
    return pd.read_csv(
        io.BytesIO(body),
        sep=_SEP.decode(),
        header=None,
        names=list(names),
        dtype={c: "string" for c in names if c not in numeric},
        quoting=csv.QUOTE_NONE,
        encoding=codec,
        na_filter=False,
        low_memory=False,
        engine="c",
    )


def _separators(buf: np.ndarray, sep: bytes) -> np.ndarray:
    """Positions where ``sep`` (one or two bytes) starts."""
    if len(sep) == 1:
        return np.flatnonzero(buf == sep[0])
    return np.flatnonzero((buf[:-1] == sep[0]) & (buf[1:] == sep[1]))


def _good_lines(
    raw: bytes, n_fields: int, sep: bytes, path: Path, problems: _Problems, codec: str
) -> tuple[bytes, np.ndarray]:
    """The lines with ``n_fields`` fields, and their 1-based numbers; the rest are recorded."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    pair = _separators(buf, sep)
    seps = np.searchsorted(pair, ends) - np.searchsorted(pair, starts)
    unit = np.flatnonzero((buf == _SEP[0]) | (buf == 0))
    has_unit = np.searchsorted(unit, ends) > np.searchsorted(unit, starts)
    suspicious = np.flatnonzero((seps != n_fields - 1) | (ends == starts) | has_unit)

    keep = np.ones(len(ends), dtype=bool)
    found: dict[str, list[tuple[int, str]]] = {"blank line": [], "binary data in the line": []}
    wrong = f"wrong number of fields (expected {n_fields}, separated by {sep.decode()!r})"
    found[wrong] = []
    for i in suspicious:
        text = raw[starts[i] : ends[i]]
        if not text.strip():
            problem = "blank line"
        elif _SEP in text or b"\x00" in text:
            problem = "binary data in the line"
        elif len(text.split(sep)) != n_fields:
            problem = wrong
        else:
            continue
        keep[i] = False
        found[problem].append((i + 1, text.decode(codec, errors="replace")))
    for problem, hits in found.items():
        problems.add(path, problem, [n for n, _ in hits], [v for _, v in hits])
    line_no = np.flatnonzero(keep) + 1
    if keep.all():
        return raw, line_no
    return b"\n".join(raw[starts[i] : ends[i]] for i in line_no - 1) + b"\n", line_no


def _integers(
    df: pd.DataFrame, int_fields: Sequence[str], path: Path, problems: _Problems
) -> pd.DataFrame:
    """``int_fields`` as int64; rows where one is not a whole number are recorded and dropped."""
    bad = np.zeros(len(df), dtype=bool)
    for col in int_fields:
        s = df[col]
        if pd.api.types.is_signed_integer_dtype(s.dtype):
            continue
        text = s.astype("string")
        ok = text.str.fullmatch(_INTEGER).fillna(False).to_numpy(dtype=bool)
        idx = np.flatnonzero(~ok & ~bad)
        problems.add(
            path, f"{col} is not an integer", df["line"].to_numpy()[idx], text.to_numpy()[idx]
        )
        bad |= ~ok
        df[col] = pd.to_numeric(text.where(ok, "0"))
    if bad.any():
        df = df.loc[~bad].reset_index(drop=True)
    for col in int_fields:
        df[col] = df[col].astype("int64")
    return df
