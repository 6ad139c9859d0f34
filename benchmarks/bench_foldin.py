"""Recommendations for one new user at ML-1M size: MF fold-in, user-kNN, content, hybrid.

Run: .venv/bin/python benchmarks/bench_foldin.py [--data DIR] [--repeat 200]
(writes nothing; paste the tables into BENCHMARKS.md).

Data: by default the synthetic sample at ML-1M size (6,040 users, 3,883 movies,
1,000,209 ratings), since the full ML-1M is not on these machines; ``--data`` runs on
any folder with the .dat files (e.g. the real ML-1M slice). A :class:`BiasedMF` is
trained on it with notebook 05's defaults, then:

1. fold-in timings: solve + ranking of every movie for profiles of 4 to 500 ratings
   (real users' histories, treated as new users);
2. agreement: existing users folded in from their own ratings vs. the trained model,
   with the penalty derived from the model and with a quarter / four times it;
3. one-user timings of user-kNN, content and hybrid on the same data.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from zeerec import data
from zeerec.models.content import ContentBased
from zeerec.models.foldin import MFFoldIn, agreement
from zeerec.models.hybrid import Hybrid
from zeerec.models.mf import BiasedMF
from zeerec.models.userknn import UserKNN
from zeerec.synthetic import generate

PROFILE_SIZES = (4, 20, 100, 500)


def timings(fn, repeat: int) -> tuple[float, float, float]:
    """Best, median and 95th percentile in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[0], statistics.median(times), times[int(0.95 * (len(times) - 1))]


def profiles(ratings, sizes, seed: int = 0) -> dict[int, dict[int, int]]:
    """For each size, the first `size` ratings of a random user who has at least that many."""
    rng = np.random.default_rng(seed)
    counts = ratings.groupby("user_id").size()
    out = {}
    for size in sizes:
        user = int(rng.choice(counts[counts >= size].index.to_numpy()))
        rows = ratings[ratings["user_id"] == user].head(size)
        out[size] = dict(zip(rows["movie_id"].tolist(), rows["rating"].tolist(), strict=True))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder with the .dat files")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--agreement-users", type=int, default=300)
    args = parser.parse_args()

    if args.data:
        ml = data.load(args.data)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            ml = data.load(generate(Path(tmp), scale=1.0, seed=42))
    ratings = ml.ratings
    print(
        f"{ml.source}: {len(ratings):,} ratings, {ratings['user_id'].nunique():,} users, "
        f"{ratings['movie_id'].nunique():,} rated movies"
    )
    model = BiasedMF(seed=42).fit(ratings)
    print(
        f"BiasedMF ({model.factors} factors x {model.n_members} members = "
        f"{model.movie_factors.shape[1]} factor columns): best epoch {model.best_epoch_}, "
        f"validation RMSE {model.validation_rmse_:.3f}, trained in {model.fit_seconds_:.0f} s"
    )
    foldin = MFFoldIn.from_model(model)
    by_size = profiles(ratings, PROFILE_SIZES)

    print("\n| ratings in profile | fold-in solve (ms) | solve + top-10 (ms) best / median / p95 |")
    print("|---|---|---|")
    for size, profile in by_size.items():
        solve = timings(lambda p=profile: foldin.fold_in(p), args.repeat)
        full = timings(lambda p=profile: foldin.recommend(p, n=10), args.repeat)
        print(f"| {size} | {solve[1]:.2f} | {full[0]:.2f} / {full[1]:.2f} / {full[2]:.2f} |")

    print("\n| penalty | median RMSE vs trained (stars) | median user part | top-10 shared |")
    print("|---|---|---|---|")
    for factor in (0.25, 1.0, 4.0):
        other = MFFoldIn.from_model(model)
        other.reg, other.bias_reg = foldin.reg * factor, foldin.bias_reg * factor
        table = agreement(other, model, n_users=args.agreement_users)
        label = "derived from the model" if factor == 1 else f"{factor:g} × derived"
        print(
            f"| {label} | {table['rmse_vs_trained'].median():.3f} | "
            f"{table['user_part'].median():.3f} | {table['top10_shared'].median():.0f} / 10 |"
        )

    start = time.perf_counter()
    knn = UserKNN(n_neighbours=30, min_common=2).fit(ratings)
    content = ContentBased(ml.movies).fit(ratings)
    hybrid = Hybrid.from_fitted(knn, content)
    fit_s = time.perf_counter() - start
    print(f"\nFitting user-kNN + content (sparse matrices, features): {fit_s:.2f} s once.")
    print("\n| method | ratings in profile | top-10 (ms) best / median / p95 |")
    print("|---|---|---|")
    for name, rec in (("user-kNN", knn), ("content", content), ("hybrid", hybrid)):
        for size in (4, 100):
            t = timings(lambda m=rec, p=by_size[size]: m.recommend(p, n=10), 30)
            print(f"| {name} | {size} | {t[0]:.1f} / {t[1]:.1f} / {t[2]:.1f} |")


if __name__ == "__main__":
    main()
