"""The data-quality table: bad rows are recorded (or fatal in strict mode), never coerced."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.tables import DataFormatError

COLUMNS = ["file", "problem", "rows", "action", "example_lines", "example_value"]


class _Problems:
    """Collects bad rows per (file, problem); in strict mode the first bad line is fatal.

    Strict mode still runs every check of a file before raising, so that the error
    names the first bad line of the file whichever check caught it (a wrong field count
    is found before a non-integer, but may sit further down the file).
    """

    def __init__(self, strict: bool, native: str = "iso8859-1"):
        self.strict = strict
        self.native = native  # the release's own encoding: detecting it is not news
        self.rows: list[dict] = []
        self.encodings: dict[str, str] = {}  # file name -> the encoding it was read with
        self._fatal: list[tuple[int, Path, str, object]] = []

    def add(
        self,
        path: Path,
        problem: str,
        lines: Sequence[int],
        values: Sequence[object],
        action: str = "dropped",
        fatal: bool = True,
    ) -> None:
        if len(lines) == 0:
            return
        if self.strict and fatal:
            self._fatal.append((int(lines[0]), Path(path), problem, values[0]))
            return
        self.rows.append(
            {
                "file": path.name,
                "problem": problem,
                "rows": len(lines),
                "action": action,
                "example_lines": ", ".join(str(int(n)) for n in list(lines)[:5]),
                "example_value": str(values[0])[:80],
            }
        )

    def note(self, path: Path, problem: str, action: str, line: int | None = None) -> None:
        """A fact about a whole file (its encoding, a byte-order mark), never fatal."""
        self.add(path, problem, [line or 0], [""], action=action, fatal=False)
        self.rows[-1]["rows"] = 0  # no row is dropped or changed
        if line is None:
            self.rows[-1]["example_lines"] = ""

    def raise_first(self, path: Path) -> None:
        """In strict mode, raise for the first bad line of ``path`` once all its checks ran."""
        hits = [f for f in self._fatal if f[1] == Path(path)]
        if hits:
            line, where, problem, value = min(hits, key=lambda f: f[0])
            raise DataFormatError(where, line, problem, value)

    def nothing_left(self, path: Path, layout: str) -> DataFormatError:
        """The error for a file none of whose records passed the checks."""
        self.raise_first(path)
        mine = [r for r in self.rows if r["file"] == Path(path).name and r["action"] == "dropped"]
        why = "; ".join(
            f"{r['rows']} × {r['problem']} (first at line {r['example_lines'].split(',')[0]}: "
            f"{r['example_value']!r})"
            for r in mine
        )
        return DataFormatError(
            path,
            None,
            f"no valid record left, every line was dropped: {why or 'no records'}",
            hint=f"Each line should read {layout}: check that this is the right file and "
            "that it belongs with the other files of the folder.",
        )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)


def _drop(
    df: pd.DataFrame,
    mask: np.ndarray,
    problems: _Problems,
    path: Path,
    problem: str,
    value: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Drop rows flagged by ``mask`` after recording them (strict mode: see :class:`_Problems`).

    The line numbers are the ``line`` column or, where there is none (the CSV fast
    path), the index, which is then kept as it is.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return df
    hit = df.loc[mask]
    lines = hit["line"].to_numpy() if "line" in df.columns else hit.index.to_numpy()
    problems.add(path, problem, lines, value(hit).astype(str).to_numpy())
    kept = df.loc[~mask]
    return kept.reset_index(drop=True) if "line" in df.columns else kept
