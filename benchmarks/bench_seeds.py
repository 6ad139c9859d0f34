"""Every registry model over several split seeds: mean ± sd of each metric (issue 12, item 2).

For each data set and split seed (per-user stratified 75/25): EASE's λ is chosen on a
validation carving of that split's training ratings (as notebook 07 does), every other
model runs with its registry defaults (themselves chosen on validation, see the
sections above); every model is fitted once on the training split and judged once on
the test split (all test users), for the top-10 metrics and, for star models, RMSE.
Surprise's rating models run on the same splits when the ``bench`` extra is installed.

Run: .venv/bin/python benchmarks/bench_seeds.py [--seeds 42 43 44 45 46] [--write]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from common import SHARED, log, markdown_table, run_surprise, surprise_models, write_section

from zeerec import data, evaluation, splits
from zeerec.models import registry

SECTION = "## Every model over five split seeds (issue 12)"
RANKING = ["precision@10", "recall@10", "ndcg@10", "map@10", "coverage", "novelty"]


def one_split(ml, seed: int, mf_epochs: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = splits.stratified_split(ml.ratings, test_size=0.25, seed=seed)
    best, _ = evaluation.tune(
        "EASE", train, {"lam": registry.spec("EASE").knobs["lam"]}, k=10, seed=seed, n_users=300
    )
    models, _ = evaluation.build_models(
        movies=ml.movies, ease_lam=best["lam"], mf_epochs=mf_epochs, seed=seed
    )
    ev = evaluation.evaluate(models, train, test, k=10, seed=seed)
    ranking = ev.ranking[["model", *RANKING, "fit_s"]].assign(seed=seed)
    rating = ev.rating[["model", "rmse", "mae"]].assign(seed=seed)
    try:
        extra = run_surprise(train, test, surprise_models(seed, svdpp=False))
        rating = pd.concat([rating, extra[["model", "rmse", "mae"]].assign(seed=seed)])
    except ImportError:
        log("  scikit-surprise not installed (pip install -e '.[bench]'): Surprise left out")
    return ranking, rating


def mean_sd(frame: pd.DataFrame, metrics: list[str], sort: str, ascending: bool) -> pd.DataFrame:
    g = frame.groupby("model", sort=False)[metrics]
    mean, sd = g.mean(), g.std()
    out = pd.DataFrame(
        {m: [f"{a:.4f} ± {b:.4f}" for a, b in zip(mean[m], sd[m], strict=True)] for m in metrics},
        index=mean.index,
    )
    order = mean[sort].sort_values(ascending=ascending).index
    return out.loc[order].reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44, 45, 46])
    parser.add_argument("--data", nargs="+", default=["ml-100k", "ml-1m-slice"])
    parser.add_argument("--mf-epochs", type=int, default=10, help="cap, as in notebook 07")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    parts = [
        f"{SECTION}\n\n`benchmarks/bench_seeds.py`, {time.strftime('%Y-%m-%d')}; split seeds "
        f"{', '.join(map(str, args.seeds))}; per-user stratified 75/25; all test users; "
        f"Keras models capped at {args.mf_epochs} epochs as in notebook 07. Mean ± standard "
        "deviation over the seeds; the test split scored once per model and seed.\n"
    ]
    for name in args.data:
        ml = data.load(SHARED / name)
        rankings, ratings = [], []
        for seed in args.seeds:
            log(f"{name}, seed {seed}")
            start = time.perf_counter()
            r, s = one_split(ml, seed, args.mf_epochs)
            rankings.append(r)
            ratings.append(s)
            log(f"  {time.perf_counter() - start:.0f} s")
        ranking, rating = pd.concat(rankings), pd.concat(ratings)
        parts += [
            f"\n### {name}: top 10\n",
            markdown_table(mean_sd(ranking, [*RANKING, "fit_s"], "ndcg@10", False)),
            f"\n### {name}: predicted stars\n",
            markdown_table(mean_sd(rating, ["rmse", "mae"], "rmse", True)),
        ]
    text = "\n".join(parts) + "\n"
    print(text)
    if args.write:
        write_section(
            f"{SECTION}: {', '.join(args.data)}",
            text.replace(SECTION, f"{SECTION}: {', '.join(args.data)}", 1),
        )


if __name__ == "__main__":
    main()
