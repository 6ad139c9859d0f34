"""Loading: zeerec.data.load (parse + every check) against plain pandas.read_csv.

Run: .venv/bin/python benchmarks/bench_load.py [--rows 5000000] [--only csv|dat]
(writes nothing; paste the tables into BENCHMARKS.md's Loading section).

Two cases. ``dat``: a full-size ML-1M ``zee-ratings.dat`` from the synthetic sample
(1,000,209 lines), against the seed-style python-engine reader. ``csv``: a generated
ML-25M-style release (``ratings.csv`` with ``--rows`` half-star ratings sorted by user
then movie as GroupLens ships them, ``movies.csv`` with 62,000 quoted titles holding
commas and doubled quotes), against ``pandas.read_csv`` of the same two files with
its defaults. Files are written to a temporary folder and deleted afterwards, or with
``--cache DIR`` to ``DIR/csv-ROWS`` once and reused by later runs (25M rows take minutes
to generate).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec import data
from zeerec.synthetic import generate

N_USERS, N_MOVIES = 162_000, 62_000  # ML-25M's shape


def best_of(fn, repeat: int) -> tuple[float, float, float]:
    """Best and median wall time, and the best CPU time of the process (all its threads:
    pandas 3.1's read_csv and pyarrow's CSV reader both use every core, so on a quiet
    machine wall time is what a user waits, and CPU time the work done)."""
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu)


def write_release(folder: Path, rows: int, seed: int = 0) -> Path:
    """ratings.csv and movies.csv shaped like ML-25M's (no MovieLens content)."""
    rng = np.random.default_rng(seed)
    per_user = rng.multinomial(rows - 20 * N_USERS, np.full(N_USERS, 1 / N_USERS)) + 20
    users = np.repeat(np.arange(1, N_USERS + 1), per_user)
    movies = np.concatenate(
        [np.sort(rng.choice(N_MOVIES, size=k, replace=False)) + 1 for k in per_user]
    )
    stars = rng.integers(1, 11, size=rows) / 2
    ts = rng.integers(789_652_009, 1_574_327_703, size=rows)
    frame = pd.DataFrame({"userId": users, "movieId": movies, "rating": stars, "timestamp": ts})
    frame.to_csv(folder / "ratings.csv", index=False)
    titles = [f'Movie "{i}", The ({1900 + i % 120})' for i in range(1, N_MOVIES + 1)]
    pd.DataFrame(
        {"movieId": np.arange(1, N_MOVIES + 1), "title": titles, "genres": "Comedy|Drama"}
    ).to_csv(folder / "movies.csv", index=False)
    return folder


def cached_release(cache: Path, rows: int) -> Path:
    """The generated release in ``cache/csv-ROWS``, written on first use."""
    folder = cache / f"csv-{rows}"
    if not (folder / "done").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_release(folder, rows)
        (folder / "done").write_text("written by benchmarks/bench_load.py\n")
    return folder


def bench_csv(rows: int, repeat: int, cache: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_release(Path(tmp), rows) if cache is None else cached_release(cache, rows)
        ratings = folder / "ratings.csv"
        print(
            f"\nratings.csv: {rows:,} rows, {ratings.stat().st_size / 1e6:.0f} MB; "
            f"movies.csv: {N_MOVIES:,} rows"
        )

        def pandas_both():
            return pd.read_csv(ratings), pd.read_csv(folder / "movies.csv")

        def zeerec_ratings_only():
            problems = data._Problems(strict=False)
            cols = ["user_id", "movie_id", "rating", "timestamp"]
            return data._read_dat(
                ratings, cols, ["user_id", "movie_id", "timestamp"], problems, b",",
                header="userId,movieId,rating,timestamp", float_fields=["rating"],
            )  # fmt: skip

        cases = [
            ("pandas `read_csv(ratings.csv)`, defaults", lambda: pd.read_csv(ratings)),
            ("pandas `read_csv` of ratings.csv and movies.csv", pandas_both),
            ("zeerec parse of ratings.csv (header, field counts, numbers)", zeerec_ratings_only),
            (
                "`zeerec.data.load`: both files, typed and fully validated",
                lambda: data.load(folder),
            ),
        ]
        table(cases, repeat)


def bench_dat(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp), scale=1.0, seed=42)
        ratings = folder / "zee-ratings.dat"
        n = sum(1 for _ in ratings.open("rb"))
        print(f"\nzee-ratings.dat: {n:,} lines, {ratings.stat().st_size / 1e6:.1f} MB")

        def seed_reader():
            return pd.read_csv(
                ratings, sep="::", engine="python", header=None, encoding="ISO-8859-1"
            )

        def zeerec_ratings_only():
            problems = data._Problems(strict=False)
            cols = ["user_id", "movie_id", "rating", "timestamp"]
            return data._read_dat(ratings, cols, cols, problems)

        cases = [
            ("pandas `read_csv(sep='::', engine='python')`, ratings only", seed_reader),
            ("zeerec parse of ratings (no cross-file checks)", zeerec_ratings_only),
            (
                "`zeerec.data.load`: all three files, typed + fully validated",
                lambda: data.load(folder),
            ),
        ]
        table(cases, repeat)


def table(cases, repeat: int) -> None:
    print("| reader | best (s) | median (s) | best CPU (s) |\n|---|---|---|---|")
    for label, fn in cases:
        fn()  # warm: the file is in the page cache for every reader alike
        best, median, cpu = best_of(fn, repeat)
        print(f"| {label} | {best:.2f} | {median:.2f} | {cpu:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["csv", "dat"])
    parser.add_argument("--cache", type=Path, help="keep the generated CSV release here")
    args = parser.parse_args()
    if args.only != "dat":
        bench_csv(args.rows, args.repeat, args.cache)
    if args.only != "csv":
        bench_dat(args.repeat)


if __name__ == "__main__":
    main()
