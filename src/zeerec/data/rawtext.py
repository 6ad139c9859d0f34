"""A data file's bytes made ready for the parser: encoding, byte-order mark, line endings.

Files get re-saved by editors and spreadsheet tools: as UTF-8 instead of ISO-8859-1,
with a byte-order mark, with Windows or old-Mac line endings, with blank lines at the
end. None of that is a data problem. It is handled here, and the quality table says so
wherever it changes how a file is read. What cannot be read as text is refused.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from zeerec.data.quality import _Problems
from zeerec.data.tables import DataFormatError

LATIN1 = "iso8859-1"  # MovieLens's own encoding; codecs' name for ISO-8859-1
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_WINDOWS_ONLY = re.compile(rb"[\x80-\x9f]")  # quotes and dashes in Windows-1252, controls in 8859-1
_BINARY_PROBE = 8192  # a NUL byte this early means a binary file (as git decides)
SAVE_AS_TEXT = (
    "Check that it is the MovieLens .dat file itself (not a zip archive or a spreadsheet "
    "saved under its name), or save it again as plain text (UTF-8 or ISO-8859-1)."
)


def line_of(raw: bytes, offset: int) -> int:
    """The 1-based line of the byte at ``offset``."""
    return raw.count(b"\n", 0, offset) + 1


def prepare(path: Path, problems: _Problems, encoding: str | None = None) -> tuple[bytes, str]:
    """The file's bytes with ``\\n`` line ends, no byte-order mark and no trailing blank
    lines, and the encoding to decode its fields with (``encoding``, else detected)."""
    raw = path.read_bytes()
    if raw.startswith(_UTF16_BOMS) or b"\x00" in raw[:_BINARY_PROBE]:
        what = "UTF-16 text" if raw.startswith(_UTF16_BOMS) else "binary data, not text"
        raise DataFormatError(path, None, f"the file holds {what}", hint=SAVE_AS_TEXT)
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
        problems.note(path, "UTF-8 byte-order mark at the start of the file", "removed", line=1)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
        if b"\n" not in raw:  # old Mac line ends
            raw = raw.replace(b"\r", b"\n")
    if not (len(raw) > 1 and raw.endswith(b"\n") and not raw[-2:-1].isspace()):
        raw = _cut_blank_end(path, raw)  # else one line end and no blank line: no copy
    if encoding is not None:
        codec = _asked_encoding(path, raw, encoding, problems)
    else:
        codec = _detected_encoding(path, raw, problems)
    problems.encodings[path.name] = codec
    return raw, codec


def _cut_blank_end(path: Path, raw: bytes) -> bytes:
    """``raw`` ending in one ``\\n`` after its last non-blank line; empty files refused."""
    body = raw.rstrip()  # ASCII whitespace: what the parser calls a blank line
    if not body:
        raise DataFormatError(
            path,
            None,
            "the file is empty" if not raw else "the file holds only blank lines",
            hint="Replace it with the complete file (copy it again from the MovieLens data "
            "or regenerate the sample).",
        )
    end = raw.find(b"\n", len(body))  # blank lines at the end are not data: cut them
    return raw[: end + 1] if end >= 0 else raw + b"\n"


def _detected_encoding(path: Path, raw: bytes, problems: _Problems) -> str:
    """UTF-8 when the bytes decode as UTF-8 and hold multi-byte sequences, else 8859-1.

    A byte-order mark does not decide it: tools put one in front of 8859-1 text too.
    """
    if raw.isascii():
        return LATIN1
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        codec = _latin_or_windows(path, raw, problems)
        if problems.native == "utf-8" and codec == LATIN1:
            problems.note(path, "the file is not UTF-8", "decoded as ISO-8859-1 (detected)")
        return codec
    if problems.native != "utf-8":  # the later releases are UTF-8: nothing to say
        problems.note(path, "the file is UTF-8, not ISO-8859-1", "decoded as UTF-8 (detected)")
    return "utf-8"


def _latin_or_windows(path: Path, raw: bytes, problems: _Problems) -> str:
    """Bytes 0x80-0x9F are control codes in ISO-8859-1 but quotes and dashes in Windows-1252."""
    if not _WINDOWS_ONLY.search(raw):
        return LATIN1
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return LATIN1
    problems.note(
        path,
        "the file is Windows-1252, not ISO-8859-1 (it holds bytes 0x80-0x9F)",
        "decoded as Windows-1252 (detected)",
    )
    return "cp1252"


def _asked_encoding(path: Path, raw: bytes, encoding: str, problems: _Problems) -> str:
    """The caller's ``encoding``, checked: it must read the separators and every byte."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"encoding={encoding!r} is not an encoding Python knows: use 'utf-8' or "
            "'latin-1', or encoding=None to detect it."
        ) from None
    if "::|\t\n".encode(name, errors="replace") != b"::|\t\n":
        raise ValueError(
            f"encoding={encoding!r} cannot be read line by line: use an ASCII-compatible "
            "encoding such as 'utf-8', 'latin-1' or 'cp1252'."
        )
    try:
        raw.decode(name)
    except UnicodeDecodeError as err:
        raise DataFormatError(
            path,
            line_of(raw, err.start),
            f"byte 0x{raw[err.start]:02X} is not valid {name} (encoding={encoding!r})",
            hint="Load with encoding=None to let zeerec detect the encoding, or name the "
            "file's real encoding.",
        ) from None
    if name != LATIN1:
        problems.note(path, f"the file is read as {name}", f"decoded as {name} ({encoding=})")
    return name
