"""Picking the best n of a score vector, and checking n: the one place both are done.

Every list in zeerec — a model's recommendations, the most similar movies, the
evaluation's top-n block — is cut from scores by these functions, so ties are broken
the same way everywhere: by a model's own tie-break key when it has one, then by
column position (columns are sorted by id, so the lower id wins).
"""

from __future__ import annotations

import numpy as np


def check_n(n: int, available: int | None = None, what: str = "n") -> int:
    """A list length must be a positive whole number, and not more than there is to list."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ValueError(f"{what} must be a positive whole number, got {n!r}")
    if available is not None and n > available:
        raise ValueError(f"{what}={n} is larger than the {available} movies the model knows")
    return int(n)


def top_n(scores: np.ndarray, n: int, tie_break: np.ndarray | None = None) -> np.ndarray:
    """Positions of the n largest finite scores, best first.

    Ties go to the larger ``tie_break`` value when one is given, then to the lower
    position (stable). NaN and ±inf never make the list, so it can be shorter than n.
    """
    finite = np.flatnonzero(np.isfinite(scores))
    n = min(n, len(finite))
    if n == 0:
        return finite[:0]
    if tie_break is not None:
        order = np.lexsort((finite, -tie_break[finite], -scores[finite]))
        return finite[order[:n]]
    part = finite[np.argpartition(-scores[finite], n - 1)[:n]] if n < len(finite) else finite
    order = np.lexsort((part, -scores[part]))
    return part[order]


def top_n_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Column positions of each row's n best finite scores, best first; -1 pads short rows.

    Ties are broken by column position, as in :func:`top_n`.
    """
    rows, cols = scores.shape
    scores = np.where(np.isnan(scores), -np.inf, scores)
    nn = min(n, cols)
    if nn < cols:
        part = np.argpartition(-scores, nn - 1, axis=1)[:, :nn]
    else:
        part = np.broadcast_to(np.arange(cols), (rows, cols)).copy()
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top[~np.isfinite(np.take_along_axis(vals, order, axis=1))] = -1
    if nn < n:
        top = np.hstack([top, np.full((rows, n - nn), -1)])
    return top


def top_k_mask(block: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``block``, which entries are its ``k`` largest positive ones; ties at the
    k-th value go to the lower column, as in :func:`top_n`. Non-positive entries and NaN
    are never in."""
    keep = block > 0
    m = block.shape[1]
    if k >= m:
        return keep
    nth = np.partition(block, m - k, axis=1)[:, m - k, None]
    keep &= block >= nth  # every tie at the k-th value is in: too many in a few rows
    for r in np.flatnonzero(np.count_nonzero(keep, axis=1) > k):
        tied = np.flatnonzero(block[r] == nth[r, 0])
        room = k - int(np.count_nonzero(block[r] > nth[r, 0]))
        keep[r, tied[room:]] = False  # the lower columns keep their place
    return keep
