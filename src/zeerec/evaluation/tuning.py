"""Choosing knobs on validation data carved from the training split, never from test."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from zeerec.evaluation.harness import evaluate
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.splits import make_split


def grid_search(
    make_model: Callable[..., Recommender],
    grid: Mapping[str, Iterable[Any]],
    train: pd.DataFrame,
    k: int = 10,
    metric: str = "ndcg",
    validation_size: float = 0.25,
    seed: int = 42,
    repeats: int = 1,
    n_users: int | None = None,
    split_kind: str = "stratified",
    n_test: int = 10,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Tune on validation splits carved from ``train`` (never from test).

    The training ratings are split again the way the test split was made
    (``split_kind``, :func:`zeerec.splits.make_split`): per user ``1 − validation_size``
    / ``validation_size`` for "stratified" and "random" (seeds ``seed``, ``seed + 1``, …
    for ``repeats`` carvings), each user's latest ``n_test`` training ratings for
    "temporal" (one carving: there is nothing to redraw). Every parameter combination
    is fitted on the first part and ranked on the second, and the metrics are averaged
    over the carvings (more repeats, a steadier choice). Returns the best parameters by
    ``metric``@k and the whole table, so the choice can be shown, not just made.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    names = list(grid)
    combos = [
        dict(zip(names, v, strict=True)) for v in itertools.product(*map(list, grid.values()))
    ]
    if not combos:
        raise ValueError("the grid is empty")
    rows = []
    for r in range(1 if split_kind == "temporal" else repeats):
        fit_part, valid = make_split(
            train, kind=split_kind, seed=seed + r, test_size=validation_size, n_test=n_test
        )
        for i, params in enumerate(combos):
            result = evaluate(
                {"candidate": make_model(**params)},
                fit_part,
                valid,
                k=k,
                n_users=n_users,
                seed=seed,
            )
            row = result.ranking.iloc[0]
            scores = {c: row[c] for c in result.ranking.columns if "@" in c}
            rows.append({"_combo": i, **params, **scores, "fit_s": row["fit_s"]})
    scores = pd.DataFrame(rows).drop(columns=names).groupby("_combo", sort=True).mean()
    table = pd.concat([pd.DataFrame(combos), scores.reset_index(drop=True)], axis=1)
    best = combos[int(table[f"{metric}@{k}"].to_numpy().argmax())]
    return best, table


def tune(
    name: str,
    train: pd.DataFrame,
    knobs: Mapping[str, Iterable[Any]] | None = None,
    movies: pd.DataFrame | None = None,
    **kwargs: Any,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`grid_search` over a registry model's knobs (its declared search space unless
    ``knobs`` narrows it), on validation carved from ``train``; ``kwargs`` go to
    :func:`grid_search` (k, metric, seed, repeats, n_users, ...)."""
    spec = registry.spec(name)
    grid = dict(spec.knobs if knobs is None else knobs)
    return grid_search(lambda **kw: spec.create(movies=movies, **kw), grid, train, **kwargs)
