"""The ratings of any MovieLens layout zeerec reads, as a Spark DataFrame, checked.

The movies and users files are small: they are read on the driver by
:mod:`zeerec.data`'s own parsers (same checks, same quality rows). The ratings file is
the big one: Spark reads it line by line and applies the rules of
:func:`zeerec.data.load` in the same order, each bad row counted under zeerec's own
problem name in the quality table (the row count, the first lines, a value), never
dropped silently: a line with the wrong number of fields or binary data, a field that
is not a number, a rating off the scale or off its step, a repeated (user, movie) pair
(the first, by line, is kept), a user or movie its file does not know. The file's
byte-order mark, Windows line ends and blank lines at its end are not data problems,
as in zeerec.data. The result: (user_id int, movie_id int, rating double, timestamp
long: seconds since 1970), one row per pair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from zeerec.data import HALF_STARS, WHOLE_STARS, RatingScale, detect_format, find_files
from zeerec.data.locate import release_files, require_ml100k
from zeerec.data.ml1m import _parse_movies, _parse_users
from zeerec.data.ml100k import _movies as _ml100k_movies
from zeerec.data.ml100k import _users as _ml100k_users
from zeerec.data.quality import COLUMNS, _Problems
from zeerec.data.releases import RATINGS_HEADER, _csv_movies, _dat_movies
from zeerec.data.tables import DataFormatError

FIELDS = ["user_id", "movie_id", "rating", "timestamp"]
_INTEGER = r"^\s*[+-]?\d{1,18}\s*$"  # as zeerec.data.reader
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


@dataclass
class SparkRatings:
    """The checked ratings, what was dropped, and the small tables read on the driver."""

    ratings: DataFrame
    quality: pd.DataFrame
    movies: pd.DataFrame
    users: pd.DataFrame | None
    rating_scale: RatingScale
    info: dict = field(default_factory=dict)


@dataclass
class _Layout:
    path: Path
    sep: str
    header: bool
    scale: RatingScale
    movies: pd.DataFrame
    users: pd.DataFrame | None
    fmt: str


def _layout(folder: Path, problems: _Problems) -> _Layout:
    fmt, where = detect_format(folder)
    if fmt == "ml-1m":
        files = find_files(folder)
        movies = _parse_movies(files["movies"], problems)
        users = _parse_users(files["users"], problems)
        return _Layout(files["ratings"], "::", False, WHOLE_STARS, movies, users, fmt)
    if fmt == "ml-100k":
        require_ml100k(folder)
        movies, users = (
            _ml100k_movies(folder / "u.item", problems, None),
            _ml100k_users(folder, problems, None),
        )
        return _Layout(folder / "u.data", "\t", False, WHOLE_STARS, movies, users, fmt)
    files = release_files(where, fmt)
    if fmt == "ml-10m":
        movies = _dat_movies(files["movies"], problems, None)
        return _Layout(files["ratings"], "::", False, HALF_STARS, movies, None, fmt)
    movies = _csv_movies(files["movies"], problems, None)
    return _Layout(files["ratings"], ",", True, HALF_STARS, movies, None, fmt)


def _blank():
    """A line Python's str.strip() empties: blank, as zeerec.data counts it."""
    return F.col("text").rlike(r"^\s*$")


def _lines(spark, path: Path, header: bool) -> DataFrame:
    """(line, text): 1-based line numbers in file order; CR, a BOM and the header gone.

    Numbered without a pass through Python: each partition's rows are counted (a tiny
    result), then a row's line is the rows before its partition plus its place in it.
    """
    raw = spark.read.text(str(path)).select(
        F.spark_partition_id().alias("_pid"),
        F.monotonically_increasing_id().alias("_mid"),
        F.regexp_replace(F.regexp_replace("value", "\r$", ""), "^\ufeff", "").alias("text"),
    )
    counts = sorted((r["_pid"], r["count"]) for r in raw.groupBy("_pid").count().collect())
    before, offsets = 0, []
    for pid, n in counts:
        offsets.append((pid, before))
        before += n
    starts = spark.createDataFrame(offsets or [(0, 0)], "_pid int, _before long")
    within = F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33)
    lines = raw.join(F.broadcast(starts), "_pid").select(
        (F.col("_before") + within + 1).alias("line"), "text"
    )
    if header:
        first = lines.filter(F.col("line") == 1).first()
        found = "" if first is None else first["text"]
        if found.replace(" ", "").lower() != RATINGS_HEADER.lower():
            raise DataFormatError(
                path, 1, f"the first line is not the header {RATINGS_HEADER!r}", found[:80]
            )
        lines = lines.filter(F.col("line") > 1)
    last = lines.filter(~_blank()).agg(F.max("line")).first()[0] or 0
    return lines.filter(F.col("line") <= last)  # blank lines at the end are not data


def _rules(lay: _Layout) -> list[tuple[str, object, str]]:
    """(problem, Column flagging a bad row, Column shown as its value), zeerec's order."""
    sep, scale = lay.sep, lay.scale
    n_fields = F.size(F.split("text", _re_escape(sep), -1))
    wrong = f"wrong number of fields (expected 4, separated by {sep!r})"
    rules = [
        ("blank line", _blank(), "text"),
        ("binary data in the line", F.col("text").rlike("[\\x00\\x1f]"), "text"),
        (wrong, n_fields != 4, "text"),
    ]
    ints = ["user_id", "movie_id", "timestamp"]
    ints += [] if lay.fmt in ("ml-10m", "csv") else ["rating"]
    for col in FIELDS:
        pattern = _INTEGER if col in ints else _NUMBER
        label = f"{col} is not an integer" if col in ints else f"{col} is not a number"
        rules.append((label, ~F.col(f"_{col}").rlike(pattern), f"_{col}"))
    low, high = scale.low, scale.high
    rating = F.col("_rating").cast("double")
    rules.append(
        (f"rating outside {scale.label().split(' ')[0]}", ~rating.between(low, high), "_rating")
    )
    steps = (rating - F.lit(low)) / F.lit(scale.step)
    off = steps != F.round(steps)
    rules.append((f"rating is not a multiple of {scale.step:g} stars", off, "_rating"))
    return rules


def _re_escape(sep: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in sep)


def _first_problem(rules) -> tuple[object, object]:
    """(problem, value) Columns: the first rule a row breaks, or null for a good row."""
    problem = F.coalesce(*(F.when(bad, F.lit(label)) for label, bad, _ in rules))
    value = F.coalesce(*(F.when(bad, F.col(v).cast("string")) for _, bad, v in rules))
    return problem, value


def _fields(lines: DataFrame, sep: str) -> DataFrame:
    parts = F.split("text", _re_escape(sep), -1)
    return lines.select(
        "line", "text", *(F.get(parts, i).alias(f"_{c}") for i, c in enumerate(FIELDS))
    )


def _id_checks(rows: DataFrame, lay: _Layout) -> DataFrame:
    """Duplicate pairs (first by line kept), then ids unknown to the users/movies file."""
    spark = rows.sparkSession
    pair = Window.partitionBy("user_id", "movie_id").orderBy("line")
    rows = rows.withColumn("_nth", F.row_number().over(pair))
    dup = "duplicate rating of the same movie by the same user (first kept)"
    flags = [(dup, F.col("_nth") > 1, F.concat_ws("::", "user_id", "movie_id"))]
    known = spark.createDataFrame([(int(m),) for m in lay.movies["movie_id"]], "_known_movie int")
    rows = rows.join(F.broadcast(known), rows.movie_id == known._known_movie, "left")
    if lay.users is not None:
        users = spark.createDataFrame([(int(u),) for u in lay.users["user_id"]], "_known_user int")
        rows = rows.join(F.broadcast(users), rows.user_id == users._known_user, "left")
        flags.append(("user id not in the users file", F.col("_known_user").isNull(), "user_id"))
    flags.append(("movie id not in the movies file", F.col("_known_movie").isNull(), "movie_id"))
    problem = F.coalesce(*(F.when(bad, F.lit(label)) for label, bad, _ in flags))
    value = F.coalesce(
        *(
            F.when(bad, v if not isinstance(v, str) else F.col(v).cast("string"))
            for _, bad, v in flags
        )
    )
    return rows.withColumn("problem", problem).withColumn("value", value)


def _quality_rows(bad: DataFrame, path: Path) -> list[dict]:
    """One quality-table row per problem: count, first five lines, first value."""
    counts = {r["problem"]: r["count"] for r in bad.groupBy("problem").count().collect()}
    first = Window.partitionBy("problem").orderBy("line")
    examples = bad.withColumn("_n", F.row_number().over(first)).filter(F.col("_n") <= 5).collect()
    rows = []
    for problem, n in counts.items():
        mine = sorted((r for r in examples if r["problem"] == problem), key=lambda r: r["line"])
        rows.append(
            {
                "file": path.name,
                "problem": problem,
                "rows": int(n),
                "action": "dropped",
                "example_lines": ", ".join(str(r["line"]) for r in mine),
                "example_value": str(mine[0]["value"])[:80],
                "_first": mine[0]["line"],
            }
        )
    return [
        {k: v for k, v in r.items() if k != "_first"}
        for r in sorted(rows, key=lambda r: r["_first"])
    ]


def load_ratings(spark, folder: str | os.PathLike) -> SparkRatings:
    """The checked ratings of the MovieLens folder ``folder`` (any layout zeerec reads).

    The returned DataFrame is cached: it is read once, then split and scored many times.
    """
    folder = Path(folder)
    problems = _Problems(strict=False)
    lay = _layout(folder, problems)
    lines = _lines(spark, lay.path, lay.header)
    parsed = _fields(lines, lay.sep)
    problem, value = _first_problem(_rules(lay))
    parsed = parsed.withColumn("problem", problem).withColumn("value", value).cache()
    good = parsed.filter(F.col("problem").isNull()).select(
        "line",
        F.expr("try_cast(trim(_user_id) AS INT)").alias("user_id"),  # too big: null, unknown
        F.expr("try_cast(trim(_movie_id) AS INT)").alias("movie_id"),
        F.trim("_rating").cast("double").alias("rating"),
        F.trim("_timestamp").cast("long").alias("timestamp"),
    )
    checked = _id_checks(good, lay).cache()
    bad = parsed.filter(F.col("problem").isNotNull()).select("line", "problem", "value")
    bad = bad.unionByName(
        checked.filter(F.col("problem").isNotNull()).select("line", "problem", "value")
    )
    rows = _quality_rows(bad, lay.path)
    ratings = checked.filter(F.col("problem").isNull()).select(*FIELDS).cache()
    n = ratings.count()
    parsed.unpersist()
    checked.unpersist()
    if n == 0:
        raise problems.nothing_left(lay.path, lay.sep.join(FIELDS))
    quality = pd.DataFrame([*problems.table().to_dict("records"), *rows], columns=COLUMNS)
    info = {"format": lay.fmt, "ratings_file": str(lay.path), "n_ratings": n}
    return SparkRatings(ratings, quality, lay.movies, lay.users, lay.scale, info)
