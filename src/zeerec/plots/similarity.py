"""Figures of item-item similarity (notebook 03)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from zeerec.plots.base import (
    FIGSIZE,
    _shorten,
    _themed,
)


@_themed
def similarity_heatmap(
    scores: pd.DataFrame,
    n_common: pd.DataFrame | None = None,
    title: str = "Pairwise similarity",
    label: str = "similarity",
) -> Figure:
    """Pairwise similarity among a few movies, each cell with its score and evidence.

    ``scores`` (and ``n_common``, the users who rated both movies) are square frames
    labelled by title. The diagonal, a movie with itself, is left blank so that it does
    not set the colour scale; colours are centred at zero (red: alike, blue: opposite).
    Grey cells have no score (too few common raters).
    """
    values = scores.to_numpy(dtype=np.float64)
    size = len(values)
    off = ~np.eye(size, dtype=bool)
    finite = values[off & np.isfinite(values)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    text = np.full(values.shape, "", dtype=object)
    for i, j in zip(*np.nonzero(off), strict=True):
        v = values[i, j]
        score = "–" if np.isnan(v) else f"{v:.2f}"
        text[i, j] = score if n_common is None else f"{score}\nn={int(n_common.iat[i, j]):,}"
    side = max(FIGSIZE[0], 0.75 * size + 3.5)
    fig, ax = plt.subplots(figsize=(side, side * 0.85), layout="constrained")
    ax.set_facecolor("0.88")
    labels = [_shorten(str(t), 34) for t in scores.index]
    sns.heatmap(
        pd.DataFrame(values, index=labels, columns=labels),
        mask=~off,
        annot=text,
        fmt="",
        annot_kws={"fontsize": "x-small"},
        cmap="RdBu_r",
        center=0.0,
        vmin=-top,
        vmax=top,
        square=True,
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": label, "shrink": 0.7},
        ax=ax,
    )
    if n_common is not None:  # seaborn leaves cells without a score unlabelled
        for i, j in zip(*np.nonzero(off & np.isnan(values)), strict=True):
            ax.text(j + 0.5, i + 0.5, text[i, j], ha="center", va="center", fontsize="x-small")
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel("Movie")
    ax.set_ylabel("Movie")
    ax.tick_params(axis="x", labelrotation=60)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    return fig
