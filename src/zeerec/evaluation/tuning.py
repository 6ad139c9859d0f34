"""Choosing knobs on validation data carved from the training split, never from test.

Two searches share one scorer: :func:`grid_search` tries every combination of a grid;
:func:`coordinate_search` starts from a model's own defaults and changes one knob at a
time (every value of that knob, the others held at the best so far), pass after pass,
so that a model with five knobs costs the sum of their sizes, not the product. Both
fit on a carving of ``train`` made the way the test split was made and judge on the
carved-off part; a ranking metric is maximised, a rating metric (``rmse``, ``mae``)
minimised. :func:`tune` runs either over a registry model's declared search space.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from zeerec.evaluation.harness import evaluate
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.splits import make_split

RATING_METRICS = ("rmse", "mae")


def _carvings(
    train: pd.DataFrame,
    split_kind: str,
    validation_size: float,
    n_test: int,
    seed: int,
    repeats: int,
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(fit part, validation part) pairs carved from ``train`` like the test split."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    return [
        make_split(train, kind=split_kind, seed=seed + r, test_size=validation_size, n_test=n_test)
        for r in range(1 if split_kind == "temporal" else repeats)
    ]


def _column(metric: str, k: int) -> str:
    return metric if metric in RATING_METRICS else f"{metric}@{k}"


def _scorer(make_model, carvings, k: int, n_users: int | None, seed: int):
    """params → the validation scores, averaged over the carvings."""

    def score(params: Mapping[str, Any]) -> dict[str, float]:
        rows = []
        for fit_part, valid in carvings:
            result = evaluate(
                {"candidate": make_model(**params)},
                fit_part,
                valid,
                k=k,
                n_users=n_users,
                seed=seed,
            )
            row = result.ranking.iloc[0] if len(result.ranking) else pd.Series(dtype=float)
            scores = {c: float(row[c]) for c in row.index if "@" in c}
            if len(result.rating):
                scores |= {m: float(result.rating.iloc[0][m]) for m in RATING_METRICS}
            scores["fit_s"] = float(
                result.rating.iloc[0]["fit_s"] if len(result.rating) else row["fit_s"]
            )
            rows.append(scores)
        return pd.DataFrame(rows).mean().to_dict()

    return score


def _hashable(value: Any) -> Any:
    """``value`` as a dict key: 500 and 500.0 are one setting, a list is its repr."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _best_index(table: pd.DataFrame, metric: str, k: int) -> int:
    column = _column(metric, k)
    if column not in table:
        raise ValueError(
            f"the candidates were not scored by {column!r} (a rating metric needs a model "
            f"that predicts stars, a ranking metric one that ranks); scored: "
            f"{[c for c in table.columns if '@' in c or c in RATING_METRICS]}"
        )
    values = table[column].to_numpy(dtype=float)
    return int(np.nanargmin(values) if metric in RATING_METRICS else np.nanargmax(values))


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
    is fitted on the first part and judged on the second, and the metrics are averaged
    over the carvings (more repeats, a steadier choice). Returns the best parameters by
    ``metric`` (``metric``@k for a ranking metric; ``rmse``/``mae``, lowest best) and the
    whole table, so the choice can be shown, not just made.
    """
    carvings = _carvings(train, split_kind, validation_size, n_test, seed, repeats)
    names = list(grid)
    combos = [
        dict(zip(names, v, strict=True)) for v in itertools.product(*map(list, grid.values()))
    ]
    if not combos:
        raise ValueError("the grid is empty")
    score = _scorer(make_model, carvings, k, n_users, seed)
    table = pd.DataFrame([{**params, **score(params)} for params in combos])
    return combos[_best_index(table, metric, k)], table


def coordinate_search(
    make_model: Callable[..., Recommender],
    space: Mapping[str, Iterable[Any]],
    start: Mapping[str, Any],
    train: pd.DataFrame,
    k: int = 10,
    metric: str = "ndcg",
    passes: int = 2,
    validation_size: float = 0.25,
    seed: int = 42,
    repeats: int = 1,
    n_users: int | None = None,
    split_kind: str = "stratified",
    n_test: int = 10,
    scorer: Callable[[Callable[..., Recommender], Mapping[str, Any]], dict] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """One knob at a time, from ``start`` (the model's defaults), on validation carvings.

    Each pass goes through the knobs of ``space`` in order; for each it scores every
    value with the other knobs at the best found so far and keeps the best. A pass that
    changes nothing ends the search (at most ``passes``). Every setting is fitted once
    (a repeat is looked up), so the cost is at most the sum of the knobs' sizes per
    pass. Carving and scoring as in :func:`grid_search`. Returns the best setting and
    one row per setting tried, in the order tried, with ``step`` (``"start"`` or the
    knob being varied) and ``pass``. ``scorer(make_model, params)`` replaces the
    carving and scoring for another task (the new-user protocol's
    :func:`~zeerec.evaluation.newuser_protocol.validation_scorer`); ``train`` is then
    not read.
    """
    if passes < 1:
        raise ValueError(f"passes must be at least 1, got {passes}")
    missing = sorted(set(space) - set(start))
    if missing:
        raise ValueError(f"no starting value for knobs {missing}")
    if scorer is None:
        carvings = _carvings(train, split_kind, validation_size, n_test, seed, repeats)
        score = _scorer(make_model, carvings, k, n_users, seed)
    else:

        def score(params: Mapping[str, Any]) -> dict[str, float]:
            return scorer(make_model, params)

    seen: dict[tuple, int] = {}
    rows: list[dict[str, Any]] = []

    def tried(params: dict[str, Any], step: str, n_pass: int) -> dict[str, Any]:
        key = tuple(sorted((name, _hashable(value)) for name, value in params.items()))
        if key not in seen:
            seen[key] = len(rows)
            rows.append({"step": step, "pass": n_pass, **params, **score(params)})
        return rows[seen[key]]

    best = dict(start)
    tried(best, "start", 0)
    for n_pass in range(1, passes + 1):
        before = dict(best)
        for knob, values in space.items():
            candidates = [tried({**best, knob: v}, knob, n_pass) for v in values]
            pick = _best_index(pd.DataFrame([tried(best, knob, n_pass), *candidates]), metric, k)
            if pick > 0:
                best = {**best, knob: candidates[pick - 1][knob]}
        if best == before:
            break
    return best, pd.DataFrame(rows)


def defaults(name: str, movies: pd.DataFrame | None = None) -> dict[str, Any]:
    """A registry model's own value for each of its knobs (what it uses untuned)."""
    line = registry.spec(name)
    model = line.create(movies=movies)
    return {knob: getattr(model, knob) for knob in line.knobs}


def tune(
    name: str,
    train: pd.DataFrame,
    knobs: Mapping[str, Iterable[Any]] | None = None,
    movies: pd.DataFrame | None = None,
    search: str = "grid",
    **kwargs: Any,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`grid_search` (``search="grid"``) or :func:`coordinate_search` from the
    model's defaults (``search="coordinate"``) over a registry model's knobs (its
    declared search space unless ``knobs`` narrows it), on validation carved from
    ``train``; ``kwargs`` go to the search (k, metric, seed, repeats, n_users, ...)."""
    line = registry.spec(name)
    grid = dict(line.knobs if knobs is None else knobs)

    def make(**kw: Any) -> Recommender:
        return line.create(movies=movies, **kw)

    if search == "grid":
        return grid_search(make, grid, train, **kwargs)
    if search == "coordinate":
        start = {knob: v for knob, v in defaults(name, movies).items() if knob in grid}
        return coordinate_search(make, grid, start, train, **kwargs)
    raise ValueError(f"search must be 'grid' or 'coordinate', got {search!r}")
