"""How should the neighbourhood models rank? Their ranking knobs chosen on validation only.

Issue 11 asks item-kNN and user-kNN to rank the way their families do in the literature
(summed similarity; a weighted vote of neighbours) instead of by centred sums and
Resnick's predicted stars. This script makes that choice the way every knob is chosen:
on a validation carving of the training split (each user's training ratings split
75/25 again), never on the test split. The test split is then scored once per chosen
configuration and once for today's default, side by side.

Run: .venv/bin/python benchmarks/tune_neighbours.py [--data DIR] [--seed 42] [--users 300]
"""

from __future__ import annotations

import argparse

import pandas as pd
from common import SHARED, log, markdown_table

from zeerec import data, evaluation, splits
from zeerec.models import registry

GRIDS = {
    "item-kNN cosine": {"rank_by": ("centred", "summed"), "n_neighbours": (20, 40, 80)},
    "user-kNN": {
        "similarity": ("pearson", "cosine"),
        "rank_by": ("resnick", "vote"),
        "n_neighbours": (30, 60),
        "min_support": (1, 3),
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED / "ml-100k"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=300, help="validation users per carving")
    args = parser.parse_args()
    ml = data.load(args.data)
    train, test = splits.stratified_split(ml.ratings, test_size=0.25, seed=args.seed)
    rows = []
    for name, grid in GRIDS.items():
        log(f"{name}: {len(pd.MultiIndex.from_product(grid.values()))} settings on validation")
        best, table = evaluation.tune(
            name, train, grid, movies=ml.movies, k=10, metric="ndcg", seed=args.seed,
            n_users=args.users,
        )  # fmt: skip
        print(f"\n### {name}: validation (NDCG@10 / P@10 on {args.users} users)\n")
        print(markdown_table(table[[*grid, "precision@10", "ndcg@10"]]))
        for label, knobs in (("default", {}), ("tuned", best)):
            model = registry.create(name, movies=ml.movies, **knobs)
            ev = evaluation.evaluate({name: model}, train, test, k=10, seed=args.seed)
            r = ev.ranking.iloc[0]
            rows.append(
                {"model": name, "settings": label, **knobs, "P@10": r["precision@10"],
                 "NDCG@10": r["ndcg@10"]}
            )  # fmt: skip
    print("\n### Test split, scored once per setting\n")
    print(markdown_table(pd.DataFrame(rows).fillna("")))


if __name__ == "__main__":
    main()
