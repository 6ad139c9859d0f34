"""MLlib ALS, explicit (stars, RMSE) and implicit (who rated what, top-N lists).

Explicit ALS here learns the residual of a damped bias baseline (global mean + user
bias + movie bias, as zeerec's BiasedMF has them) when ``biases`` is True: plain ALS
has no bias terms, and without them it trails a biased factor model by several
hundredths of RMSE. A movie or user seen only in test gets the baseline (its own
missing bias counted as 0), and every prediction is clipped to the star scale, as
zeerec's models do. Implicit ALS reads a rating as a confidence 1 + alpha·stars
(Hu, Koren & Volinsky); its lists exclude the movies the user rated in training.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.ml.recommendation import ALS, ALSModel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from zeerec.spark.metrics import ranking_metrics, rmse

BIAS_DAMPING = 10.0  # ratings' worth of pull towards 0 for a bias from few ratings


@dataclass
class StarModel:
    """Explicit ALS on the baseline residual, with what predicting needs."""

    als: ALSModel
    mean: float
    user_bias: DataFrame | None
    movie_bias: DataFrame | None
    low: float
    high: float
    fit_s: float


def _als(rank: int, reg: float, max_iter: int, seed: int, implicit: bool, alpha: float = 1.0):
    return ALS(
        rank=rank,
        regParam=reg,
        maxIter=max_iter,
        seed=seed,
        implicitPrefs=implicit,
        alpha=alpha,
        userCol="user_id",
        itemCol="movie_id",
        ratingCol="target" if not implicit else "rating",
        coldStartStrategy="nan",
        nonnegative=False,
        checkpointInterval=5,  # used only where the session has a checkpoint directory
    )


def _biases(train: DataFrame, mean: float) -> tuple[DataFrame, DataFrame]:
    """Damped movie biases, then user biases on what the movie biases leave."""
    movie = train.groupBy("movie_id").agg(
        (F.sum(F.col("rating") - mean) / (F.count(F.lit(1)) + BIAS_DAMPING)).alias("b_movie")
    )
    user = (
        train.join(movie, "movie_id")
        .groupBy("user_id")
        .agg(
            (
                F.sum(F.col("rating") - mean - F.col("b_movie"))
                / (F.count(F.lit(1)) + BIAS_DAMPING)
            ).alias("b_user")
        )
    )
    return user.cache(), movie.cache()


def _with_baseline(df: DataFrame, model: StarModel) -> DataFrame:
    if model.user_bias is None:
        return df.withColumn("base", F.lit(model.mean))
    out = df.join(model.user_bias, "user_id", "left").join(model.movie_bias, "movie_id", "left")
    base = F.lit(model.mean) + F.coalesce("b_user", F.lit(0.0)) + F.coalesce("b_movie", F.lit(0.0))
    return out.withColumn("base", base).drop("b_user", "b_movie")


def fit_stars(
    train: DataFrame,
    rank: int = 10,
    reg: float = 0.1,
    max_iter: int = 10,
    seed: int = 42,
    biases: bool = True,
    scale: tuple[float, float] = (1.0, 5.0),
) -> StarModel:
    """Explicit ALS (on the bias residual when ``biases``); ``scale``: (low, high) stars."""
    start = time.perf_counter()
    mean = float(train.agg(F.avg("rating")).first()[0])
    model = StarModel(None, mean, None, None, scale[0], scale[1], 0.0)
    if biases:
        model.user_bias, model.movie_bias = _biases(train, mean)
    data = _with_baseline(train, model).withColumn("target", F.col("rating") - F.col("base"))
    model.als = _als(rank, reg, max_iter, seed, implicit=False).fit(data)
    model.fit_s = time.perf_counter() - start
    return model


def predict_stars(model: StarModel, pairs: DataFrame) -> DataFrame:
    """``pairs`` with a ``prediction`` column: baseline + ALS, clipped to the scale."""
    scored = model.als.transform(_with_baseline(pairs, model))
    raw = F.col("base") + F.coalesce(F.nanvl("prediction", F.lit(0.0)), F.lit(0.0))
    clipped = F.least(F.greatest(raw, F.lit(model.low)), F.lit(model.high))
    return scored.withColumn("prediction", clipped).drop("base")


def fit_implicit(
    train: DataFrame,
    rank: int = 50,
    reg: float = 0.1,
    alpha: float = 10.0,
    max_iter: int = 10,
    seed: int = 42,
) -> ALSModel:
    """Implicit ALS on (user, movie, stars): confidence 1 + alpha·stars."""
    return _als(rank, reg, max_iter, seed, implicit=True, alpha=alpha).fit(train)


def top_n(model: ALSModel, train: DataFrame, users: DataFrame, n: int = 10) -> DataFrame:
    """(user_id, movie_id, rank) — each user's ``n`` best movies not rated in training.

    MLlib ranks every movie for the users in blocks; asking it for ``n`` plus the most
    movies any of these users rated is enough for ``n`` unseen ones each.
    """
    seen = train.join(users.select("user_id").distinct(), "user_id")
    most = seen.groupBy("user_id").count().agg(F.max("count")).first()[0] or 0
    n_items = model.itemFactors.count()
    recs = model.recommendForUserSubset(users, min(n + most, n_items))
    flat = recs.select("user_id", F.explode("recommendations").alias("r")).select(
        "user_id", F.col("r.movie_id").alias("movie_id"), F.col("r.rating").alias("score")
    )
    unseen = flat.join(seen.select("user_id", "movie_id"), ["user_id", "movie_id"], "left_anti")
    order = Window.partitionBy("user_id").orderBy(F.desc("score"), F.asc("movie_id"))
    ranked = unseen.withColumn("rank", F.row_number().over(order))
    return ranked.filter(F.col("rank") <= n).select("user_id", "movie_id", "rank")


def grid(**knobs: Iterable) -> list[dict]:
    """Every combination of the knobs' values, as keyword dictionaries."""
    names = list(knobs)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*knobs.values())]


def choose_stars(
    fit_part: DataFrame, valid: DataFrame, settings: list[dict], **fixed
) -> list[dict]:
    """Validation RMSE of each explicit setting, best first (test is never read here)."""
    rows = []
    for s in settings:
        model = fit_stars(fit_part, **s, **fixed)
        rows.append({**s, "rmse": rmse(predict_stars(model, valid)), "fit_s": model.fit_s})
    return sorted(rows, key=lambda r: r["rmse"])


def choose_implicit(
    fit_part: DataFrame, valid: DataFrame, settings: list[dict], k: int = 10, **fixed
) -> list[dict]:
    """Validation P@k and NDCG@k of each implicit setting, best NDCG first."""
    rows = []
    users = valid.select("user_id").distinct()
    for s in settings:
        start = time.perf_counter()
        model = fit_implicit(fit_part, **s, **fixed)
        fit_s = time.perf_counter() - start
        found = ranking_metrics(top_n(model, fit_part, users, k), valid, k)
        rows.append(
            {**s, f"precision@{k}": found["precision"], f"ndcg@{k}": found["ndcg"], "fit_s": fit_s}
        )
    return sorted(rows, key=lambda r: -r[f"ndcg@{k}"])
