"""What every figure shares: its size, a seaborn theme that does not leak, bar helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from zeerec import features

FIGSIZE: tuple[float, float] = (8.0, 5.0)
"""Every figure starts at this size so report pages line up."""

_STYLE = "whitegrid"
_CONTEXT = "notebook"

P = ParamSpec("P")


def _themed(func: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw inside a seaborn theme that is undone afterwards (no global style leaks)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with sns.axes_style(_STYLE), sns.plotting_context(_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}"


_THOUSANDS = FuncFormatter(_thousands)


def _new_figure(height: float | None = None) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], height or FIGSIZE[1]), layout="constrained")
    return fig, ax


def _color(i: int = 0) -> tuple[float, float, float]:
    return sns.color_palette()[i]


def _share(count: int, total: int) -> str:
    """Percent with one decimal; a non-zero share never reads as "0.0%"."""
    share = count / total
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def _count_bars(
    ax: Axes, labels: list[str], counts: np.ndarray, *, with_share: bool = True
) -> None:
    """Vertical bars labelled with count and share, y axis with thousands separators."""
    counts = np.asarray(counts, dtype=np.int64)
    total = counts.sum()
    bars = ax.bar(labels, counts, color=_color())
    if with_share and total > 0:
        text = [f"{c:,}\n{_share(c, total)}" for c in counts]
    else:
        text = [f"{c:,}" for c in counts]
    ax.bar_label(bars, labels=text, padding=2, fontsize="small")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.margins(y=0.15)
    ax.grid(axis="x", visible=False)


def _hbars(ax: Axes, labels: list[str], values: np.ndarray, text: list[str]) -> None:
    """Horizontal bars, first label on top, value labels at the bar ends."""
    y = np.arange(len(labels))
    bars = ax.barh(y, values, color=_color())
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=text, padding=3, fontsize="small")
    ax.margins(x=0.2)
    ax.grid(axis="y", visible=False)


def _shorten(title: str, width: int = 42) -> str:
    """Trim long titles for tick labels but keep the year, which tells remakes apart."""
    if len(title) <= width:
        return title
    parts = features.split_title(pd.Series([title]))
    name, year = parts["name"].iloc[0], parts["year"].iloc[0]
    suffix = "" if pd.isna(year) else f" ({year})"
    keep = max(width - len(suffix) - 1, 1)
    return f"{name[:keep].rstrip()}…{suffix}"
