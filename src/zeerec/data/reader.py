"""One separated-values data file as string/int columns, every line checked.

Used for ML-1M's ``::`` files, ML-100K's tab- and ``|``-separated ones and the CSV
releases' ratings. A clean numbers-only file is read in one pass (pyarrow's
multi-threaded CSV reader for the CSV releases, pandas' C reader for the rest); any
doubt sends it to the careful path, where field counts and integers are checked on the
raw bytes first, so only the lines that fail a check are looked at in Python. Every
problem goes to the data-quality table (:mod:`zeerec.data.quality`).
"""

from __future__ import annotations

import csv
import io
import mmap
import warnings
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from zeerec.data.quality import _Problems
from zeerec.data.rawtext import _BINARY_PROBE, _UTF16_BOMS, LATIN1, UTF8_BOM, prepare
from zeerec.data.tables import DataFormatError

EMPTY = "Replace it with the complete file (copy it again from the MovieLens data)."

_SEP = b"\x1f"  # ASCII unit separator: never part of a MovieLens field, safe for the C parser
_INTEGER = r"\s*[+-]?\d{1,18}\s*"  # fits int64; spaces around as the C parser allows


def _read_dat(
    path: Path,
    names: Sequence[str],
    int_fields: Sequence[str],
    problems: _Problems,
    sep: bytes = b"::",
    encoding: str | None = None,
    header: str | None = None,
    float_fields: Sequence[str] = (),
    fast: Callable[[], pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """Parse one file into string/number columns plus a 1-based ``line`` column.

    ``encoding`` None detects it (:func:`zeerec.data.rawtext.prepare`). ``header``: the
    first line the file must start with (the CSV releases), not data. ``float_fields``
    are numbers that may have a fraction (half stars). ``fast``: the fast path's result
    (a clean numbers-only file), when the caller started it already. A file none of
    whose lines is valid is an error whatever the mode.
    """
    if encoding is None and set(names) == {*int_fields, *float_fields}:
        if fast is not None:
            df = fast()
        elif header is not None and len(sep) == 1:  # the CSV releases
            df = _fast_csv(path, names, int_fields, sep, header)
        else:
            df = _fast_numeric(path, names, int_fields, sep, header)
        if df is not None:
            problems.encodings[path.name] = LATIN1  # numbers only: ASCII
            return df
    raw, codec = prepare(path, problems, encoding)
    first = 1
    if header is not None:
        raw, first = _after_header(raw, header, path, codec), 2
    layout = sep.decode().join(names)
    body, line_no = _good_lines(raw, len(names), sep, path, problems, codec, first)
    if len(line_no) == 0:
        raise problems.nothing_left(path, layout)
    if len(sep) > 1:
        body = body.replace(sep, _SEP)
    numeric = [*int_fields, *float_fields]
    df = _parse(body, names, numeric, codec, sep)
    as_text = [c for c in int_fields if not pd.api.types.is_signed_integer_dtype(df[c].dtype)]
    as_text += [c for c in float_fields if not pd.api.types.is_numeric_dtype(df[c].dtype)]
    if as_text:  # "4.5" makes a column float ("1" -> 1.0): read it again as text to check it
        df = _parse(body, names, set(numeric) - set(as_text), codec, sep)
    df.insert(0, "line", line_no)
    df = _integers(df, int_fields, path, problems)
    return _floats(df, float_fields, path, problems)


def _after_header(raw: bytes, header: str, path: Path, codec: str) -> bytes:
    """The lines after the header line, which must read ``header`` (spaces aside)."""
    end = raw.find(b"\n")
    found = raw[:end].decode(codec, errors="replace")
    if found.replace(" ", "").lower() != header.lower():
        raise DataFormatError(
            path,
            1,
            f"the first line is not the header {header!r}",
            found[:80],
            hint="The CSV releases of MovieLens start with that header line: check that "
            "this is the right file and that its first line was not removed or edited.",
        )
    body = raw[end + 1 :]
    if not body.strip():
        raise DataFormatError(path, None, "the file holds only its header line", hint=EMPTY)
    return body


def _fast_numeric(
    path: Path, names: Sequence[str], int_fields: Sequence[str], sep: bytes, header: str | None
) -> pd.DataFrame | None:
    """A clean numbers-only file in one pass of pandas' C parser, or None when any line
    needs a closer look (the careful path then finds and reports it).

    Any text, blank line, missing or extra field, byte-order mark or header that is not
    ``header`` sends the file to the careful path, so a file read here is one the
    careful path would have read without a single problem.
    """
    with path.open("rb") as f:
        head = f.read(_BINARY_PROBE)
    if head.startswith((UTF8_BOM, *_UTF16_BOMS)) or b"\x00" in head:
        return None
    if header is not None and head.split(b"\n", 1)[0].strip() != header.encode():
        return None
    raw = path.read_bytes()
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return None  # a lone \r: pandas would end a line there, the careful path does not
    # A separator at the end of a line is a field too many, which index_col=False (below)
    # would drop without a word; a unit separator is binary data to the careful path.
    end = raw[-len(sep) - 2 :].rstrip(b"\r\n")  # the tail only: no copy of the file
    if sep + b"\n" in raw or sep + b"\r\n" in raw or end.endswith(sep):
        return None
    source: Path | io.BytesIO = path  # pandas reads a path faster than a BytesIO
    if len(sep) > 1:  # the C parser takes one-byte separators: swap in the unit separator
        if _SEP in raw:
            return None
        source = io.BytesIO(raw.replace(sep, _SEP))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # mixed: the careful path
            # More fields on the first line than names: pandas would take the first as an
            # index (index_col=False), or drop the extra ones with this warning: refuse it.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                source,
                sep=(_SEP if len(sep) > 1 else sep).decode(),
                header=None,
                skiprows=1 if header is not None else 0,
                names=list(names),
                quoting=csv.QUOTE_NONE,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):  # extra fields, not UTF-8
        return None
    if df.empty or not df.index.equals(pd.RangeIndex(len(df))):
        return None
    for col in names:
        kind = df[col].dtype.kind
        if kind not in "if" or (col in int_fields and kind != "i"):
            return None  # text, or a blank or missing field (NaN)
        if kind == "f" and not np.isfinite(df[col].to_numpy()).all():
            return None
    first = 2 if header is not None else 1
    df.insert(0, "line", np.arange(first, first + len(df)))
    return df


def _fast_csv(
    path: Path,
    names: Sequence[str],
    int_fields: Sequence[str],
    sep: bytes,
    header: str,
    narrow: Collection[str] = (),
    seconds: Collection[str] = (),
) -> pd.DataFrame | None:
    """A clean numbers-only CSV file in one pass of pyarrow's multi-threaded reader, or
    None when any line needs a closer look (the careful path then finds and reports it).

    The reader is told every column's type (int64, float64; int32 for ``narrow``) and
    to accept nothing else: a missing, extra or empty field, a blank line, text, a
    quote or a value that does not fit its type stops it, so a file read here is one
    the careful path would have read without a single problem, each row on its own
    line. The line numbers are the index (2, 3, ...), not a ``line`` column: 200 MB
    fewer at 25M rows, and :func:`zeerec.data.quality._drop` reads either. Integer
    fields in ``seconds`` come as datetime64[s], the same array seen as times (a copy
    fewer than converting later).
    """
    with path.open("rb") as f:
        head = f.read(_BINARY_PROBE)
        if head.startswith((UTF8_BOM, *_UTF16_BOMS)) or b"\x00" in head:
            return None
        if head.split(b"\n", 1)[0].strip() != header.encode():
            return None
        if not _line_ends_agree(f):
            return None
    types = {c: pa.float64() for c in names}
    types.update({c: pa.int32() if c in narrow else pa.int64() for c in int_fields})
    try:
        table = pa_csv.read_csv(
            str(path),
            read_options=pa_csv.ReadOptions(column_names=list(names), skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep.decode(),
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            # pyarrow's default pool (mimalloc) left numpy's next large arrays several
            # times slower to fill (0.5 s instead of 0.04 s for 25M floats): use malloc's
            memory_pool=pa.system_memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0 or any(table.column(c).null_count for c in names):
        return None
    columns = {}
    for c in names:
        values = table.column(c).to_numpy()  # chunks joined into an array of numpy's own
        if not values.flags.writeable:  # one chunk only (a small file): lent by pyarrow
            values = values.copy()
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            return None  # nan or inf: "not a number" on the careful path
        columns[c] = values.view("datetime64[s]") if c in seconds else values
    return pd.DataFrame(columns, index=pd.RangeIndex(2, table.num_rows + 2), copy=False)


def _line_ends_agree(f: io.BufferedReader) -> bool:
    """False when the open file holds a ``\\r`` that is not part of a ``\\r\\n``: pyarrow
    ends a line there, the careful path does not. Looked for in a memory map, without
    reading the file into memory (``\\r\\n`` files, rarer, cost one scan more)."""
    if f.seek(0, io.SEEK_END) == 0:
        return True
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        if mapped.find(b"\r") < 0:
            return True
        buf = np.frombuffer(mapped, dtype=np.uint8)
        cr = np.flatnonzero(buf == 13)
        agree = bool(cr[-1] + 1 < len(buf) and (buf[cr + 1] == 10).all())
        del buf  # the map cannot close while an array looks into it
    return agree


def _parse(
    body: bytes, names: Sequence[str], numeric: Collection[str], codec: str, sep: bytes
) -> pd.DataFrame:
    """pandas' C parser on the checked lines; columns not in ``numeric`` stay text.

    Lines end at ``\\n`` only, as :func:`_good_lines` counted them: a ``\\r`` left in a
    line (Windows line ends are gone by now) is a character of its field, not a line
    end that would shift every row after it (it used to crash the line count).
    """
    return pd.read_csv(
        io.BytesIO(body),
        sep=(_SEP if len(sep) > 1 else sep).decode(),
        lineterminator="\n",
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
    raw: bytes,
    n_fields: int,
    sep: bytes,
    path: Path,
    problems: _Problems,
    codec: str,
    first: int = 1,
) -> tuple[bytes, np.ndarray]:
    """The lines with ``n_fields`` fields, and their numbers (``first`` for the first line
    of ``raw``); the rest are recorded."""
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
        found[problem].append((i + first, text.decode(codec, errors="replace")))
    for problem, hits in found.items():
        problems.add(path, problem, [n for n, _ in hits], [v for _, v in hits])
    line_no = np.flatnonzero(keep) + first
    if keep.all():
        return raw, line_no
    return b"\n".join(raw[starts[i] : ends[i]] for i in line_no - first) + b"\n", line_no


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


def _floats(
    df: pd.DataFrame, float_fields: Sequence[str], path: Path, problems: _Problems
) -> pd.DataFrame:
    """``float_fields`` as float64; rows where one is not a finite number are dropped."""
    bad = np.zeros(len(df), dtype=bool)
    for col in float_fields:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s.dtype):
            value = s.to_numpy(dtype=np.float64)
            text = s.astype(str).to_numpy()
        else:
            text = s.astype("string").to_numpy()
            value = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(value)
        idx = np.flatnonzero(~ok & ~bad)
        problems.add(path, f"{col} is not a number", df["line"].to_numpy()[idx], text[idx])
        bad |= ~ok
        df[col] = value
    if bad.any():
        df = df.loc[~bad].reset_index(drop=True)
    return df
