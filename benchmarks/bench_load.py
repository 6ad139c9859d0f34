"""Loading a full-size zee-ratings.dat: zeerec.data.load vs the seed-style pandas reader.

Run: .venv/bin/python benchmarks/bench_load.py  (writes nothing; paste the table into
BENCHMARKS.md). Uses the synthetic sample at ML-1M size, since the real full file is
not on these machines.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from zeerec import data
from zeerec.synthetic import generate


def best_of(fn, repeat: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp), scale=1.0, seed=42)
        ratings = folder / "zee-ratings.dat"
        n = sum(1 for _ in ratings.open("rb"))
        print(f"zee-ratings.dat: {n:,} lines, {ratings.stat().st_size / 1e6:.1f} MB")

        def seed_reader():
            return pd.read_csv(
                ratings, sep="::", engine="python", header=None, encoding="ISO-8859-1"
            )

        def zeerec_all():
            return data.load(folder)

        def zeerec_ratings_only():
            problems = data._Problems(strict=False)
            cols = ["user_id", "movie_id", "rating", "timestamp"]
            return data._read_dat(ratings, cols, cols, problems)

        rows = [
            ("pandas read_csv(sep='::', engine='python'), ratings only", seed_reader, 3),
            ("zeerec parse of ratings (no cross-file checks)", zeerec_ratings_only, 5),
            ("zeerec.data.load: all three files, typed + fully validated", zeerec_all, 5),
        ]
        print("| reader | best (s) | median (s) |\n|---|---|---|")
        for label, fn, repeat in rows:
            best, median = best_of(fn, repeat)
            print(f"| {label} | {best:.2f} | {median:.2f} |")


if __name__ == "__main__":
    main()
