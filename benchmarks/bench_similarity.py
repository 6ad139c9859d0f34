"""Item similarity at ML-1M size: the seed's pandas pivot + corrwith vs zeerec, side by side.

Run: .venv/bin/python benchmarks/bench_similarity.py  (writes nothing; paste the tables into
BENCHMARKS.md). Uses the synthetic sample at ML-1M size (scale 1.0, seed 42), since the full
ML-1M is not on these machines. Every zeerec result is checked against the reference it is
timed beside before its time is reported.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics.pairwise import cosine_similarity

from zeerec import data
from zeerec.matrix import RatingMatrix
from zeerec.similarity import SIMILARITIES, ItemSimilarity

QUERY_REPEAT = 50  # one-vs-all queries are milliseconds: take the best of many
MATRIX_REPEAT = 3


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median) wall time in seconds, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), out


def main() -> None:
    from zeerec.synthetic import generate

    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        ml = data.load(generate(Path(tmp), scale=1.0, seed=42))
    ratings = ml.ratings
    counts = ratings["movie_id"].value_counts()
    popular = int(counts.index[0])  # worst case: the most raters
    typical = int(counts.index[len(counts) // 2])  # the median movie
    print(
        f"{len(ratings):,} ratings, {ratings['user_id'].nunique():,} users, "
        f"{len(counts):,} rated movies; queries: movie {popular} ({counts[popular]:,} raters) "
        f"and movie {typical} ({counts[typical]:,} raters)\n"
    )

    # ---------------------------------------------------------------- one against all
    build_pivot, _, mat = timed(
        lambda: pd.pivot_table(
            ratings, index="user_id", columns="movie_id", values="rating"
        ).fillna(0),
        3,
    )
    build_zeerec, _, sim = timed(lambda: ItemSimilarity(RatingMatrix.from_ratings(ratings)), 3)
    rows = []
    for movie in (popular, typical):
        best_pd, med_pd, ref = timed(lambda m=movie: mat.corrwith(mat[m]), 3)
        best_z, med_z, got = timed(
            lambda m=movie: sim.scores(m, "seed_pearson", min_common=0), QUERY_REPEAT
        )
        diff = float(np.max(np.abs(got.to_numpy() - ref.to_numpy())))
        assert diff < 1e-9, diff
        rows.append((movie, counts[movie], best_pd, med_pd, best_z, med_z, diff))
    print("One movie against all, seed-mode Pearson (same numbers, checked):\n")
    print(
        "| query movie | raters | pandas corrwith best / median (ms) "
        "| zeerec best / median (ms) | ratio (best) | max abs difference |"
    )
    print("|---|---|---|---|---|---|")
    for movie, n, bp, mp, bz, mz, diff in rows:
        print(
            f"| {movie} | {n:,} | {bp * 1e3:,.0f} / {mp * 1e3:,.0f} | {bz * 1e3:.1f} / "
            f"{mz * 1e3:.1f} | {bp / bz:,.0f}× | {diff:.1e} |"
        )
    print(
        f"\nOnce per data set: pandas pivot_table + fillna(0) {build_pivot:.2f} s "
        f"(dense {mat.shape[0]:,} × {mat.shape[1]:,}, {mat.to_numpy().nbytes / 1e6:,.0f} MB); "
        f"RatingMatrix + ItemSimilarity {build_zeerec:.2f} s.\n"
    )

    print(
        "zeerec one against all, every method (best / median of "
        f"{QUERY_REPEAT}, ms; top-10 ranking included):\n"
    )
    print("| method | most-rated movie | median movie |")
    print("|---|---|---|")
    for method in SIMILARITIES:
        cells = []
        for movie in (popular, typical):
            best, med, _ = timed(
                lambda m=movie, me=method: sim.most_similar(m, 10, me, min_common=1),
                QUERY_REPEAT,
            )
            cells.append(f"{best * 1e3:.1f} / {med * 1e3:.1f}")
        print(f"| {method} | {cells[0]} | {cells[1]} |")

    # ---------------------------------------------------------------- all pairs
    print(f"\nFull item × item matrix ({len(counts):,}², best / median of {MATRIX_REPEAT}, s):\n")
    print("| computation | best | median |")
    print("|---|---|---|")
    dense = mat.to_numpy()
    best, med, ref = timed(lambda: np.corrcoef(dense, rowvar=False), 1)
    print(f"| numpy corrcoef on the dense zero-filled pivot (reference) | {best:.2f} | {med:.2f} |")
    results = {}
    for method in SIMILARITIES:
        best, med, got = timed(lambda me=method: sim.matrix(me, min_common=1), MATRIX_REPEAT)
        results[method] = got
        print(f"| zeerec `matrix('{method}', min_common=1)` | {best:.2f} | {med:.2f} |")
    best, med, _ = timed(lambda: sim.matrix("cosine", min_common=0), MATRIX_REPEAT)
    print(
        f"| zeerec `matrix('cosine', min_common=0)` (no common-rater count) | {best:.2f} "
        f"| {med:.2f} |"
    )
    best, med, _ = timed(sim.common_raters_matrix, MATRIX_REPEAT)
    print(f"| zeerec `common_raters_matrix()` | {best:.2f} | {med:.2f} |")
    seed = results["seed_pearson"]
    ok = np.isfinite(seed)
    diff = float(np.max(np.abs(seed[ok] - ref[ok])))
    print(
        f"\nseed_pearson vs numpy corrcoef: max abs difference {diff:.1e} over the pairs that "
        "share a rater"
    )
    items = sim.ratings.matrix.T.tocsr()
    best, med, sk = timed(lambda: cosine_similarity(items, dense_output=True), 1)
    cos = results["cosine"]
    ok = np.isfinite(cos)
    diff = float(np.max(np.abs(cos[ok] - sk[ok])))
    print(
        f"cosine vs scikit-learn cosine_similarity on the sparse item vectors ({best:.2f} s): "
        f"max abs difference {diff:.1e}"
    )
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
