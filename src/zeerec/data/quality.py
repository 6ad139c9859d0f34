"""The data-quality table: bad rows are recorded (or fatal in strict mode), never coerced."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.data.tables import DataFormatError


class _Problems:
    """Collects bad rows per (file, problem); raises at the first one in strict mode."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.rows: list[dict] = []

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
            raise DataFormatError(path, int(lines[0]), problem, values[0])
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

    def table(self) -> pd.DataFrame:
        cols = ["file", "problem", "rows", "action", "example_lines", "example_value"]
        return pd.DataFrame(self.rows, columns=cols)


def _drop(
    df: pd.DataFrame,
    mask: np.ndarray,
    problems: _Problems,
    path: Path,
    problem: str,
    value: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Drop rows flagged by ``mask`` after recording them (or raising in strict mode)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return df
    hit = df.loc[mask]
    problems.add(path, problem, hit["line"].to_numpy(), value(hit).astype(str).to_numpy())
    return df.loc[~mask].reset_index(drop=True)
