"""zeerec.spark: the same checks, split and metric definitions as zeerec, inside Spark.

Without PySpark or Java these tests skip, saying which is missing, unless
``ZEEREC_REQUIRE_SPARK=1`` (set by .ci/run), where a missing Spark fails. They share one
local[2] session with four shuffle partitions and keep the data small.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import RATINGS, SLICE, write_dataset

from zeerec import data, metrics, splits
from zeerec.spark.session import unavailable_reason

REQUIRE_ENV = "ZEEREC_REQUIRE_SPARK"
_REASON = unavailable_reason()
if _REASON and os.environ.get(REQUIRE_ENV) == "1":
    raise RuntimeError(f"{REQUIRE_ENV}=1 but Spark cannot run: {_REASON}")
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"Spark tests skipped: {_REASON}")


@pytest.fixture(scope="session")
def spark():
    from zeerec.spark.session import get_session

    session = get_session("local[2]", shuffle_partitions=4, driver_memory="1g")
    yield session
    session.stop()


def _to_spark(spark, ratings: pd.DataFrame):
    """zeerec's canonical ratings as the Spark loader's columns (timestamp in seconds)."""
    df = pd.DataFrame(
        {
            "user_id": ratings["user_id"].to_numpy(np.int32),
            "movie_id": ratings["movie_id"].to_numpy(np.int32),
            "rating": ratings["rating"].to_numpy(np.float64),
            "timestamp": ratings["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64),
        }
    )
    schema = "user_id int, movie_id int, rating double, timestamp long"
    return spark.createDataFrame(list(df.itertuples(index=False, name=None)), schema)


def _pairs(df) -> set[tuple[int, int]]:
    if not isinstance(df, pd.DataFrame):
        return {(r["user_id"], r["movie_id"]) for r in df.select("user_id", "movie_id").collect()}
    return set(zip(df["user_id"].astype(int), df["movie_id"].astype(int), strict=True))


BAD = RATINGS + (
    "1::1::4::978300761\n"  # a repeat of line 1's pair
    "not a rating\n\n"
    "2::3::7::978300000\n"
    "2::x::3::978300000\n"
    "9::1::3::978300000\n"
    "1::99::3::978300000\n"
    "3::3::3.5::978300000\n\n\n"
)


def test_bad_rows_are_counted_as_zeerec_data_counts_them(spark, tmp_path: Path):
    from zeerec.spark.load import load_ratings

    folder = write_dataset(tmp_path / "bad", ratings=BAD.replace("\n", "\r\n"))
    got = load_ratings(spark, folder)
    want = data.load(folder)
    cols = ["file", "problem", "rows", "example_lines"]
    key = lambda q: sorted(map(tuple, q[cols].astype(str).to_numpy().tolist()))  # noqa: E731
    assert key(got.quality) == key(want.quality)
    assert len(got.quality) >= 8  # every kind of bad line above, none dropped silently
    assert _pairs(got.ratings) == _pairs(want.ratings)


def test_ml100k_layout_and_csv_header(spark, tmp_path: Path):
    from zeerec.data.tables import DataFormatError
    from zeerec.spark.load import load_ratings

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Comedy\n")
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.5,1\n2,1,4.3,1\n")
    got = load_ratings(spark, folder)
    assert got.ratings.count() == 1 and got.rating_scale.step == 0.5
    assert got.quality["problem"].str.contains("multiple of 0.5").any()
    (folder / "ratings.csv").write_text("user,movie\n1,1,4.5,1\n")
    with pytest.raises(DataFormatError, match="header"):
        load_ratings(spark, folder)


@pytest.fixture(scope="module")
def slice_ratings():
    if not (SLICE / "zee-ratings.dat").is_file():
        pytest.skip("../shared/data/ml-1m-slice is not present on this machine")
    return data.load(SLICE).ratings


def test_spark_splits_are_zeerecs_on_the_slice(spark, slice_ratings):
    from zeerec.spark import splits as spark_splits

    sdf = _to_spark(spark, slice_ratings).cache()
    for seed in (42, 7):
        _, test = splits.stratified_split(slice_ratings, test_size=0.25, seed=seed)
        assert _pairs(spark_splits.stratified_split(sdf, 0.25, seed)[1]) == _pairs(test)
    _, test = splits.temporal_split(slice_ratings, n_test=10)
    assert _pairs(spark_splits.temporal_split(sdf, 10)[1]) == _pairs(test)


def _random_lists(seed: int = 0, n_users: int = 60, k: int = 10):
    """Lists of 0..k movies (some users missing, some short) and 0..8 relevant movies."""
    rng = np.random.default_rng(seed)
    recommended, relevant = {}, {}
    for u in range(1, n_users + 1):
        if rng.random() < 0.9:
            recommended[u] = list(rng.choice(40, size=rng.integers(0, k + 3), replace=False))
        relevant[u] = set(rng.choice(40, size=rng.integers(0, 9), replace=False).tolist())
    return recommended, relevant


def test_ranking_metrics_match_zeerec_metrics(spark):
    from zeerec.spark import metrics as spark_metrics

    recommended, relevant = _random_lists()
    recs = spark.createDataFrame(
        [(u, int(m), i + 1) for u, ms in recommended.items() for i, m in enumerate(ms)],
        "user_id int, movie_id int, rank int",
    )
    rel = spark.createDataFrame(
        [(u, int(m)) for u, ms in relevant.items() for m in ms], "user_id int, movie_id int"
    )
    for k in (1, 5, 10):
        want = metrics.ranking_metrics(recommended, relevant, k=k)
        got = spark_metrics.ranking_metrics(recs, rel, k=k)
        assert got["n_users"] == want["n_users"]
        for name in ("precision", "recall", "ndcg", "map", "map_ref", "hit_rate"):
            assert abs(got[name] - want[name]) < 1e-9, (name, k)
    catalogue = spark.createDataFrame([(m,) for m in range(40)], "movie_id int")
    top = {u: ms[:10] for u, ms in recommended.items()}
    want_cov = metrics.catalogue_coverage(top, range(40))
    assert abs(spark_metrics.catalogue_coverage(recs, catalogue, 10) - want_cov) < 1e-9
    twice = spark.createDataFrame([(1, 3, 1), (1, 3, 2)], "user_id int, movie_id int, rank int")
    with pytest.raises(ValueError, match="twice"):
        spark_metrics.ranking_metrics(twice, rel, k=2)


def test_als_learns_the_slice_and_lists_exclude_seen_movies(spark, slice_ratings):
    from zeerec.spark import als
    from zeerec.spark.metrics import rmse
    from zeerec.spark.pipeline import known_pairs
    from zeerec.spark.splits import stratified_split

    few = slice_ratings[slice_ratings["user_id"] <= 300]
    train, test = (d.cache() for d in stratified_split(_to_spark(spark, few), 0.25, 42))
    mean = train.agg({"rating": "avg"}).first()[0]
    pairs = known_pairs(test, train)
    baseline = rmse(pairs.withColumn("prediction", pairs["rating"] * 0 + mean))
    model = als.fit_stars(train, rank=8, reg=0.1, max_iter=5)
    assert rmse(als.predict_stars(model, pairs)) < baseline - 0.03
    implicit = als.fit_implicit(train, rank=8, reg=0.1, alpha=5.0, max_iter=5)
    users = test.select("user_id").distinct()
    lists = als.top_n(implicit, train, users, n=5)
    assert lists.join(train, ["user_id", "movie_id"]).count() == 0
    assert lists.groupBy("user_id").count().agg({"count": "max"}).first()[0] == 5


def test_the_job_writes_the_notebooks_metrics_section(spark, tmp_path: Path):
    import json

    from zeerec.spark import job
    from zeerec.synthetic import generate

    sample = generate(tmp_path / "sample", scale=0.02, seed=5)
    out = tmp_path / "reports" / "metrics.json"
    out.parent.mkdir()
    out.write_text(json.dumps({"notebooks": {"07_evaluation": {"status": "ok"}}}))
    fixed = ["--ranks", "4", "--regs", "0.1", "--implicit-ranks", "4", "--implicit-regs", "1"]
    args = ["--data", str(sample), "--master", "local[2]", "--max-iter", "3", "--k", "5"]
    assert job.main([*args, *fixed, "--alphas", "5", "--out", str(out)]) == 0
    written = json.loads(out.read_text())["notebooks"]
    assert written["07_evaluation"] == {"status": "ok"}  # merged, not replaced
    m = written["08_spark_als"]["metrics"]
    assert m["als_rank"] == 4 and m["ials_alpha"] == 5.0 and m["format"] == "ml-1m"
    assert 0.5 < m["als_rmse"] < 1.5 and 0 <= m["ials_precision@5"] <= 1
    assert spark.sparkContext._jsc is not None  # the shared session still runs
