"""Where the improved MF's defaults come from: its knobs chosen on validation only (issue 12).

On each data set, the test split of ``bench_mf.py`` (random 80/20, seed 42) is set
aside untouched; the training ratings are carved again (random 90/10, seed 42) and
every setting of the grid learns from the 90 % (with its own early-stopping carving
inside, as always) and is scored on the 10 %. The grid is the neighbourhood of the
defaults: L2 penalty ``reg``, number of factors, learning rate; one member each (the
members' average is a separate ingredient, measured by the ablation), no refit.

Run: .venv/bin/python benchmarks/tune_mf.py [--write]
"""

from __future__ import annotations

import argparse
import itertools
import time

import pandas as pd
from common import SHARED, log, markdown_table, publish

from zeerec import data
from zeerec.metrics import rmse
from zeerec.models.mf import BiasedMF
from zeerec.splits import random_split

SECTION = "## Improved MF: defaults chosen on validation (issue 12)"
GRID = {"reg": (0.05, 0.13, 0.3), "factors": (32, 64), "learning_rate": (2e-3, 5e-3)}
SEED = 42


def tune(name: str) -> pd.DataFrame:
    ml = data.load(SHARED / name)
    train, _test = random_split(ml.ratings, 0.2, seed=SEED)  # the test split stays unread
    fit_part, valid = random_split(train, 0.1, seed=SEED)
    rows = []
    for values in itertools.product(*GRID.values()):
        knobs = dict(zip(GRID, values, strict=True))
        start = time.perf_counter()
        model = BiasedMF(n_members=1, refit=False, seed=SEED, **knobs).fit(fit_part)
        pred = model.predict(valid["user_id"], valid["movie_id"])
        rows.append(
            {**knobs, "validation RMSE": rmse(valid["rating"], pred),
             "fit_s": time.perf_counter() - start}
        )  # fmt: skip
        log(f"{name} {rows[-1]}")
    return pd.DataFrame(rows).sort_values("validation RMSE").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["ml-100k", "ml-1m-slice"])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    parts = [
        f"{SECTION}\n\n`benchmarks/tune_mf.py`, {time.strftime('%Y-%m-%d')}. Test split of "
        "bench_mf.py (random 80/20, seed 42) never read; each setting learns from 90 % of "
        "the training ratings and is scored on the other 10 %; one member, no refit. "
        "Best first.\n"
    ]
    for name in args.data:
        table = tune(name)
        parts += [f"\n### {name}\n", markdown_table(table, digits=4, seconds_digits=0)]
    publish(SECTION, parts, dry_run=not args.write)


if __name__ == "__main__":
    main()
