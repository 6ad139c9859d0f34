"""RMSE and the ranking metrics of :mod:`zeerec.metrics`, computed in Spark.

The definitions are zeerec.metrics' (microsoft/recommenders' conventions): the mean is
over users with at least one relevant movie; a list shorter than k counts as padded
with misses and precision still divides by k; relevance is binary; NDCG has a log2
discount and an ideal DCG over min(k, relevant) hits; AP@k divides by min(k, relevant).
Every per-user figure is an aggregation over a join of the lists with the relevant
movies: only the k-row table of ideal DCGs goes out from the driver and only the
means come back.

``recommended``: a DataFrame (user_id, movie_id, rank) with rank 1 for the first of a
user's list; ``relevant``: (user_id, movie_id).
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from zeerec.metrics import RANKING_METRICS


def rmse(predictions: DataFrame, truth: str = "rating", pred: str = "prediction") -> float:
    """Root mean squared error over every row (a missing prediction is an error)."""
    row = predictions.agg(
        F.sqrt(F.avg((F.col(truth) - F.col(pred)) ** 2)).alias("rmse"),
        F.count(F.when(F.col(pred).isNull() | F.isnan(pred), 1)).alias("missing"),
        F.count(F.lit(1)).alias("n"),
    ).first()
    if row["n"] == 0:
        raise ValueError("no ratings to evaluate")
    if row["missing"]:
        raise ValueError(f"{row['missing']} of {row['n']} predictions are missing")
    return float(row["rmse"])


def _ideal_dcg(spark, k: int) -> DataFrame:
    """(m, idcg) for m = 1..k: the DCG of m hits at the top, as zeerec.metrics sums it."""
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    rows = [(m, float(ideal[m - 1])) for m in range(1, k + 1)]
    return spark.createDataFrame(rows, "m int, idcg double")


def _check_lists(top: DataFrame) -> None:
    twice = top.groupBy("user_id", "movie_id").count().filter(F.col("count") > 1)
    first = twice.first()
    if first is not None:
        raise ValueError(
            f"the list for user {first['user_id']} recommends movie {first['movie_id']} twice"
        )


def per_user_metrics(recommended: DataFrame, relevant: DataFrame, k: int = 10) -> DataFrame:
    """One row per judged user: precision, recall, ndcg, map, map_ref, hit_rate at ``k``."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    spark = recommended.sparkSession
    top = recommended.filter(F.col("rank") <= k).select("user_id", "movie_id", "rank")
    _check_lists(top)
    judged = (
        relevant.select("user_id", "movie_id")
        .distinct()
        .groupBy("user_id")
        .agg(F.count(F.lit(1)).alias("n_rel"))
    )
    hits = top.join(relevant.select("user_id", "movie_id").distinct(), ["user_id", "movie_id"])
    by_rank = Window.partitionBy("user_id").orderBy("rank")
    hits = hits.withColumn("n_so_far", F.row_number().over(by_rank))
    agg = hits.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("n_hits"),
        F.sum(1.0 / F.log2(F.col("rank") + 1.0)).alias("dcg"),
        F.sum(F.col("n_so_far") / F.col("rank")).alias("ap_sum"),
    )
    out = judged.join(agg, "user_id", "left").fillna(0, ["n_hits", "dcg", "ap_sum"])
    out = out.withColumn("m", F.least(F.col("n_rel"), F.lit(k)).cast("int"))
    out = out.join(F.broadcast(_ideal_dcg(spark, k)), "m")
    return out.select(
        "user_id",
        (F.col("n_hits") / F.lit(float(k))).alias("precision"),
        (F.col("n_hits") / F.col("n_rel")).alias("recall"),
        (F.col("dcg") / F.col("idcg")).alias("ndcg"),
        (F.col("ap_sum") / F.col("m")).alias("map"),
        (F.col("ap_sum") / F.col("n_rel")).alias("map_ref"),
        (F.col("n_hits") > 0).cast("double").alias("hit_rate"),
    )


def ranking_metrics(recommended: DataFrame, relevant: DataFrame, k: int = 10) -> dict:
    """The ranking metrics' means over the judged users, plus ``n_users``."""
    per_user = per_user_metrics(recommended, relevant, k)
    row = per_user.agg(
        *(F.avg(name).alias(name) for name in RANKING_METRICS),
        F.count(F.lit(1)).alias("n_users"),
    ).first()
    if row["n_users"] == 0:
        raise ValueError("no user has a relevant movie: nothing to evaluate")
    return {**{name: float(row[name]) for name in RANKING_METRICS}, "n_users": row["n_users"]}


def catalogue_coverage(recommended: DataFrame, catalogue: DataFrame, k: int = 10) -> float:
    """Distinct movies in the top-k lists / movies in ``catalogue`` (a movie_id column)."""
    top = recommended.filter(F.col("rank") <= k).select("movie_id").distinct()
    size = catalogue.select("movie_id").distinct().count()
    if size == 0:
        raise ValueError("the catalogue is empty")
    outside = top.join(catalogue.select("movie_id"), "movie_id", "left_anti").first()
    if outside is not None:
        raise ValueError(f"recommended movie {outside['movie_id']} is not in the catalogue")
    return top.count() / size
