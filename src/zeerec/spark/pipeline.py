"""The whole Spark run, shared by notebook 08 and ``python -m zeerec.spark.job``.

Load and check the ratings, split them as zeerec.splits does, carve a validation part
from the training split the same way, choose explicit ALS's (rank, regParam) by
validation RMSE and implicit ALS's (rank, regParam, alpha) by validation NDCG@k, refit
each choice on the whole training split and judge it once on test. RMSE is over the
test ratings whose user and movie are in training, as zeerec.evaluation counts it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from zeerec.spark.als import (
    choose_implicit,
    choose_stars,
    fit_implicit,
    fit_stars,
    grid,
    predict_stars,
    top_n,
)
from zeerec.spark.load import SparkRatings, load_ratings
from zeerec.spark.metrics import catalogue_coverage, ranking_metrics, rmse
from zeerec.spark.splits import make_split

STAR_GRID = {"rank": (10, 20), "reg": (0.05, 0.1, 0.2)}
IMPLICIT_GRID = {"rank": (20, 50), "reg": (0.1, 1.0), "alpha": (1.0, 10.0)}
SECTION = "08_spark_als"
"""The name of the metrics.json section notebook 08 and the job write."""


@dataclass
class SparkRun:
    values: dict
    star_validation: pd.DataFrame
    implicit_validation: pd.DataFrame
    loaded: SparkRatings
    train: DataFrame
    test: DataFrame


def known_pairs(test: DataFrame, train: DataFrame) -> DataFrame:
    """Test ratings whose user and movie are both in training (those a model can score)."""
    users = train.select("user_id").distinct()
    movies = train.select("movie_id").distinct()
    return test.join(users, "user_id").join(movies, "movie_id")


def split_pair(ratings: DataFrame, kind: str, seed: int, test_size: float, n_test: int):
    train, test = make_split(ratings, kind, seed=seed, test_size=test_size, n_test=n_test)
    return train.cache(), test.cache()


def _sample_users(test: DataFrame, n_users: int | None, seed: int) -> DataFrame:
    users = test.select("user_id").distinct()
    if n_users is None:
        return users
    key = F.hash(F.lit(int(seed)), F.col("user_id").cast("int"))  # seeded, any cluster size
    return users.orderBy(key, "user_id").limit(n_users)


def _fixed(knobs: dict, metric: str) -> list[dict]:
    """One value per knob: the setting is given, nothing to choose on validation."""
    settings = grid(**knobs)
    return [{**settings[0], metric: float("nan")}] if len(settings) == 1 else []


def _stars(train, fit_part, valid, star_grid, max_iter, seed, scale, test) -> dict:
    """Explicit ALS: (rank, reg) by validation RMSE, refit on train, test RMSE once."""
    knobs = star_grid or STAR_GRID
    rows = _fixed(knobs, "rmse") or choose_stars(
        fit_part,
        known_pairs(valid, fit_part),
        grid(**knobs),
        max_iter=max_iter,
        seed=seed,
        scale=scale,
    )
    best = {key: rows[0][key] for key in knobs}
    model = fit_stars(train, **best, max_iter=max_iter, seed=seed, scale=scale)
    return {
        "rows": rows,
        "als_rank": best["rank"],
        "als_reg": best["reg"],
        "als_validation_rmse": rows[0]["rmse"],
        "als_rmse": rmse(predict_stars(model, known_pairs(test, train))),
        "als_fit_s": model.fit_s,
    }


def _implicit(train, fit_part, valid, implicit_grid, max_iter, seed, test, k, n_users) -> dict:
    """Implicit ALS: (rank, reg, alpha) by validation NDCG@k, refit, test lists once."""
    knobs = implicit_grid or IMPLICIT_GRID
    rows = _fixed(knobs, f"ndcg@{k}") or choose_implicit(
        fit_part, valid, grid(**knobs), k=k, max_iter=max_iter, seed=seed
    )
    best = {key: rows[0][key] for key in knobs}
    begin = time.perf_counter()
    model = fit_implicit(train, **best, max_iter=max_iter, seed=seed)
    fit_s = time.perf_counter() - begin
    users = _sample_users(test, n_users, seed)
    lists = top_n(model, train, users, k).cache()
    ranking = ranking_metrics(lists, test.join(users, "user_id"), k)
    return {
        "rows": rows,
        "ials_rank": best["rank"],
        "ials_reg": best["reg"],
        "ials_alpha": best["alpha"],
        f"ials_validation_ndcg@{k}": rows[0][f"ndcg@{k}"],
        **{f"ials_{name}@{k}": ranking[name] for name in ("precision", "recall", "ndcg", "map")},
        "ials_coverage": catalogue_coverage(lists, train.select("movie_id").distinct(), k),
        "ials_judged_users": ranking["n_users"],
        "ials_fit_s": fit_s,
    }


def run(
    spark,
    data_dir: str | os.PathLike,
    kind: str = "stratified",
    seed: int = 42,
    test_size: float = 0.25,
    n_test: int = 10,
    validation_size: float = 0.25,
    k: int = 10,
    max_iter: int = 10,
    star_grid: dict | None = None,
    implicit_grid: dict | None = None,
    n_rank_users: int | None = None,
) -> SparkRun:
    """Every step on ``spark``; ``n_rank_users`` judges the top-N lists of a seeded
    sample of test users (None: all). The validation part is carved from training the
    way test was carved from the ratings, with seed + 1."""
    start = time.perf_counter()
    loaded = load_ratings(spark, data_dir)
    load_s = time.perf_counter() - start
    scale = (loaded.rating_scale.low, loaded.rating_scale.high)
    train, test = split_pair(loaded.ratings, kind, seed, test_size, n_test)
    fit_part, valid = split_pair(train, kind, seed + 1, validation_size, n_test)
    stars = _stars(train, fit_part, valid, star_grid, max_iter, seed, scale, test)
    implicit = _implicit(
        train, fit_part, valid, implicit_grid, max_iter, seed, test, k, n_rank_users
    )
    values = {
        "spark_version": spark.version,
        "master": spark.sparkContext.master,
        "format": loaded.info["format"],
        "ratings": loaded.info["n_ratings"],
        "bad_rows_dropped": int(loaded.quality.query("action == 'dropped'")["rows"].sum()),
        "split": kind,
        "seed": seed,
        "train_ratings": train.count(),
        "test_ratings": test.count(),
        **{key: v for key, v in stars.items() if key != "rows"},
        **{key: v for key, v in implicit.items() if key != "rows"},
        "load_s": round(load_s, 2),
        "total_s": round(time.perf_counter() - start, 2),
    }
    return SparkRun(
        values, pd.DataFrame(stars["rows"]), pd.DataFrame(implicit["rows"]), loaded, train, test
    )
