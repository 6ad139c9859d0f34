"""The stratified and temporal splits of :mod:`zeerec.splits`, done in Spark.

Row for row the same split: the stratified draw orders each user's ratings by
Spark's ``hash(seed, user_id, movie_id)``, which is :func:`zeerec.splits.split_key`, ties
by movie id, and keeps floor(0.75·n) in training (at least one rating on each side from
two ratings on); the temporal split holds out each user's latest ``n_test`` ratings,
ties by movie id. A window per user replaces numpy's sort: the shuffle moves each
user's ratings to one task, nothing reaches the driver.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


def split_key(seed: int) -> Column:
    """The stratified draw, as in :func:`zeerec.splits.split_key`."""
    return F.hash(
        F.lit(int(seed)).cast("int"), F.col("user_id").cast("int"), F.col("movie_id").cast("int")
    )


def _by_rank(ratings: DataFrame, order: list[Column], n_train: Column):
    """(train, test): rows ranked ``>= n_train`` within their user by ``order`` go to test."""
    user = Window.partitionBy("user_id")
    labelled = (
        ratings.withColumn("_rank", F.row_number().over(user.orderBy(*order)) - 1)
        .withColumn("_count", F.count(F.lit(1)).over(user))
        .withColumn("_test", F.col("_rank") >= n_train)
        .drop("_rank", "_count")
    )
    cols = ratings.columns
    return (
        labelled.filter(~F.col("_test")).select(*cols),
        labelled.filter(F.col("_test")).select(*cols),
    )


def stratified_split(
    ratings: DataFrame, test_size: float = 0.25, seed: int = 42
) -> tuple[DataFrame, DataFrame]:
    """Per user, a ``test_size`` share of their ratings to test, as zeerec.splits does."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    count = F.col("_count")
    n_train = F.floor(F.lit(1.0 - test_size) * count + F.lit(1e-9))
    n_train = F.greatest(n_train, F.lit(1))
    n_train = F.when(count >= 2, F.least(n_train, count - 1)).otherwise(count)
    movie = F.col("movie_id").cast("int")
    return _by_rank(ratings, [split_key(seed).asc(), movie.asc()], n_train)


def temporal_split(ratings: DataFrame, n_test: int = 10) -> tuple[DataFrame, DataFrame]:
    """Each user's latest ``n_test`` ratings (ties by movie id) held out; one stays in
    training for a user with ``n_test`` ratings or fewer."""
    if not isinstance(n_test, int) or n_test < 1:
        raise ValueError(f"n_test must be a positive whole number, got {n_test!r}")
    n_train = F.greatest(F.col("_count") - F.lit(n_test), F.lit(1))
    order = [F.col("timestamp").asc(), F.col("movie_id").asc()]
    return _by_rank(ratings, order, n_train)


def make_split(
    ratings: DataFrame,
    kind: str = "stratified",
    seed: int = 42,
    test_size: float = 0.25,
    n_test: int = 10,
) -> tuple[DataFrame, DataFrame]:
    """``kind`` "stratified" or "temporal" (zeerec.splits' random split is not here: its
    draw is a permutation of row positions, which a distributed table does not have)."""
    if kind == "stratified":
        return stratified_split(ratings, test_size=test_size, seed=seed)
    if kind == "temporal":
        return temporal_split(ratings, n_test=n_test)
    raise ValueError(f"unknown split kind {kind!r} for Spark; choose stratified or temporal")
