"""Figures of matrix factorisation (notebook 05): training, predictions, embeddings."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from zeerec.plots.base import (
    FIGSIZE,
    _color,
    _new_figure,
    _shorten,
    _themed,
)


@_themed
def training_curves(
    histories: dict[str, dict[str, list[float]]], best_epochs: dict[str, int] | None = None
) -> Figure:
    """Train vs validation RMSE per epoch, one panel per model (Keras ``history``).

    A validation curve that turns up while the training curve keeps falling is
    overfitting; the dashed line marks the epoch whose weights were kept.
    """
    best_epochs = best_epochs or {}
    n = len(histories)
    fig, axes = plt.subplots(
        1, n, figsize=(FIGSIZE[0] * (0.75 * n if n > 1 else 1), FIGSIZE[1]), layout="constrained"
    )
    axes = np.atleast_1d(axes)
    for ax, (name, hist) in zip(axes, histories.items(), strict=True):
        curves = [("rmse", "train", 0), ("val_rmse", "validation", 1)]
        ensemble = hist.get("val_ensemble_rmse")
        if ensemble is not None and not np.allclose(ensemble, hist.get("val_rmse", ensemble)):
            curves.append(("val_ensemble_rmse", "validation, members' average", 2))
        for key, label, i in curves:
            values = hist.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, marker="o", ms=3, color=_color(i), label=label)
        if name in best_epochs:
            ax.axvline(best_epochs[name], color="grey", ls="--", lw=1, label="weights kept")
        ax.set_title(name)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("RMSE (stars)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="small")
    fig.suptitle("Training curves: train vs validation RMSE")
    return fig


@_themed
def predicted_vs_actual(
    y_true: np.ndarray, predictions: dict[str, np.ndarray], max_points: int = 50_000, seed: int = 0
) -> Figure:
    """Distribution of the predicted stars for each actual star, one box per model.

    A perfect model puts every box on the diagonal; shrinkage towards the mean shows
    as boxes that are flatter than the diagonal.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    keep = np.arange(len(y_true))
    if len(keep) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(keep), max_points, replace=False))
    stars = np.unique(y_true[keep])  # whole or half stars, as the data has them
    n = len(predictions)
    width = 0.8 / max(n, 1)
    fig, ax = _new_figure()
    for j, (model, pred) in enumerate(predictions.items()):
        pred = np.asarray(pred, dtype=np.float64)[keep]
        boxes = [pred[y_true[keep] == s] for s in stars]
        positions = np.arange(len(stars)) + (j - (n - 1) / 2) * width
        parts = ax.boxplot(
            boxes,
            positions=positions,
            widths=width * 0.9,
            showfliers=False,
            patch_artist=True,
            manage_ticks=False,
        )
        for box in parts["boxes"]:
            box.set(facecolor=_color(j), alpha=0.8)
        for median in parts["medians"]:
            median.set(color="black")
        ax.plot([], [], color=_color(j), lw=8, label=model)
    ax.set_xticks(np.arange(len(stars)), [f"{s:g}★" for s in stars])
    ax.plot(np.arange(len(stars)), stars, color="black", ls="--", lw=1, label="perfect")
    ax.set_title(f"Predicted vs actual stars ({len(keep):,} ratings)")
    ax.set_xlabel("Actual rating (stars)")
    ax.set_ylabel("Predicted rating (stars)")
    ax.legend(fontsize="small")
    return fig


@_themed
def embedding_map(
    coords: np.ndarray,
    groups: list[str] | np.ndarray,
    labels: dict[int, str] | None = None,
    explained: tuple[float, float] | None = None,
    title: str = "Movie embeddings",
) -> Figure:
    """A 2-D map of embeddings (e.g. the first two principal components), one colour per group.

    ``labels`` maps row positions to text written next to those points (e.g. titles).
    """
    coords = np.asarray(coords, dtype=np.float64)
    groups = np.asarray(groups, dtype=object)
    order = pd.Series(groups).value_counts().index.tolist()
    if "Other" in order:
        order = [g for g in order if g != "Other"] + ["Other"]
    palette = sns.color_palette("tab10", n_colors=max(len(order), 1))
    fig, ax = _new_figure(height=FIGSIZE[1] * 1.3)
    for i, group in enumerate(order):
        mask = groups == group
        grey = group == "Other"
        ax.scatter(
            coords[mask, 0],
            coords[mask, 1],
            s=10 if grey else 14,
            alpha=0.35 if grey else 0.75,
            color="lightgrey" if grey else palette[i % len(palette)],
            label=f"{group} ({mask.sum():,})",
            linewidths=0,
        )
    for pos, text in (labels or {}).items():
        ax.annotate(
            _shorten(text, 30),
            coords[pos],
            xytext=(4, 4),
            textcoords="offset points",
            fontsize="x-small",
            arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5},
        )
        ax.scatter(*coords[pos], s=30, facecolors="none", edgecolors="black", linewidths=0.8)
    x_label, y_label = "Component 1", "Component 2"
    if explained is not None:
        x_label += f" ({explained[0]:.0%} of variance)"
        y_label += f" ({explained[1]:.0%} of variance)"
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.legend(title="Main genre", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig
