"""Does a weighted sum of the best ranking models beat each? Top-10 over split seeds (issue 11).

For each data set and split seed (per-user stratified 75/25, as ``bench_seeds.py``):
implicit ALS, RP3beta, Mult-VAE and the ranking blend
(``zeerec.models.blend.RankingBlend``: their per-user standardised scores, weights
1 / 0.5 / 1, chosen on validation carvings of the training data, see its docstring),
every model with its registry values, fitted once on the training split (the blend
takes the three fits as they are) and judged once on the test split, all test users.
"blend − ALS" is the paired difference over the same users with its 95 % bootstrap
interval (``zeerec.evaluation.paired_difference``, 1,000 resamples).

Run: .venv/bin/python benchmarks/bench_ranking_blend.py [--data ml-100k ml-1m-slice]
         [--seeds 42 43 44 45 46] [--write]
"""

from __future__ import annotations

import time

from common import over_seeds, seed_tables, write_section

from zeerec import data, evaluation, splits
from zeerec.models import registry

SECTION = "## Ranking blend (issue 11)"
MODELS = ("implicit ALS", "RP3beta", "Mult-VAE", "ranking blend")
METRICS = ("precision@10", "ndcg@10")


def one_run(path, seed: int) -> dict:
    ml = data.load(path)
    train, test = splits.stratified_split(ml.ratings, test_size=0.25, seed=seed)
    models = {name: registry.create(name, ml.movies, seed) for name in MODELS}
    start = time.perf_counter()
    ev = evaluation.evaluate(models, train, test, k=10, n_users=None, seed=seed)
    row = {"data": path.name, "seed": seed}
    table = ev.ranking.set_index("model")
    for metric in METRICS:
        for name in MODELS:
            row[f"{name} {metric}"] = float(table.loc[name, metric])
        gap = evaluation.paired_difference(
            ev.per_user, metric.split("@")[0], "ranking blend", "implicit ALS", seed=seed
        )
        row[f"blend − ALS {metric}"] = gap["difference"]
        row[f"{metric} interval"] = f"{gap['lo']:+.4f} to {gap['hi']:+.4f}"
    row["reused"] = ", ".join(models["ranking blend"].reused_)
    row["wall_s"] = time.perf_counter() - start
    return row


def main() -> None:
    args, rows = over_seeds(__doc__, one_run)
    text = (
        f"{SECTION}\n\n`benchmarks/bench_ranking_blend.py`, {time.strftime('%Y-%m-%d')}, "
        f"seeds {', '.join(map(str, args.seeds))}; per-user stratified 75/25; all test "
        "users; registry values; the test split scored once per model and seed.\n\n"
        + seed_tables(rows, ["reused", *(f"{m} interval" for m in METRICS)])
    )
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
