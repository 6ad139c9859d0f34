"""Matrix-factorisation benchmark (issue 4): zeerec's Keras models vs scikit-surprise.

Run: .venv/bin/python benchmarks/bench_mf.py [--dry-run] [--skip-synthetic]
(needs the benchmark extra: ``pip install -e '.[bench]'`` for scikit-surprise)

Writes the "## Matrix factorisation (issue 4)" section of BENCHMARKS.md (and only that
section; ``--dry-run`` prints it instead). In one run, on identical splits
(``zeerec.splits.random_split(ratings, 0.2, seed=42)``; Surprise gets exactly the same
training rows through ``Dataset.load_from_df(train).build_full_trainset()`` and is
tested on the same test rows):

1. ML-100K (../shared/data/ml-100k) and the ML-1M slice (../shared/data/ml-1m-slice):
   RMSE, MAE and fit time of the global mean, zeerec's bias baseline, the seed's Keras
   model as published, zeerec's improved ``BiasedMF`` (default settings, chosen on
   validation splits carved from the training data), and Surprise's BaselineOnly, SVD,
   SVD++ and KNNBaseline (item-based, pearson_baseline); then the ablation (one model
   per added ingredient) on a validation carving of the same training ratings;
2. the synthetic sample at ML-1M size (6,040 users, ~1M ratings): seconds per epoch and
   total training time.

The test rows are used once per model, for the tables; nothing is tuned on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import SHARED, log, markdown_table, publish, run_surprise, surprise_models

from zeerec import data
from zeerec.display import timed
from zeerec.evaluation import rating_table
from zeerec.metrics import rmse
from zeerec.mf_analysis import ablation, training_summary
from zeerec.models import mf
from zeerec.models.baseline import BiasBaseline, GlobalMean
from zeerec.models.mf import tf_setup
from zeerec.splits import random_split
from zeerec.synthetic import generate

SECTION = "## Matrix factorisation (issue 4)"
SEED = 42
TARGETS = {"ML-100K": 0.915, "ML-1M slice": 0.865}


def fmt(frame: pd.DataFrame) -> str:
    return markdown_table(frame, digits=4, seconds_digits=1)


def run_zeerec(train: pd.DataFrame, test: pd.DataFrame) -> tuple[list[dict], mf.BiasedMF]:
    seed_batch = mf.seed_plan(len(train)).batch_size
    factories = {
        "zeerec global mean": lambda: GlobalMean(),
        "zeerec bias baseline": lambda: BiasBaseline(),
        f"seed MF as published (batch {seed_batch})": lambda: mf.SeedMF(
            batch_size=seed_batch, seed=SEED
        ),
        "**zeerec improved MF** (BiasedMF defaults)": lambda: mf.BiasedMF(seed=SEED),
    }
    models, fit_seconds = {}, {}
    for name, make in factories.items():
        log(f"  {name}")
        models[name] = make()
        with timed() as t:
            models[name].fit(train)
        fit_seconds[name] = t.seconds
    # the seed model has no embedding for unseen ids: it is scored on the pairs it knows
    table = rating_table(models, test, fit_seconds)
    rows = []
    for name, row in table.iterrows():
        n, label = int(row["n_scored"]), name
        if n < len(test):
            label += f" (scored on the {n:,} of {len(test):,} test ratings it knows)"
        rows.append({"model": label, "rmse": row["rmse"], "mae": row["mae"], "fit_s": row["fit_s"]})
    improved = next(m for m in models.values() if isinstance(m, mf.BiasedMF))
    return rows, improved


def bench_dataset(folder: Path, label: str) -> tuple[list[str], dict]:
    ml = data.load(folder)
    train, test = random_split(ml.ratings, 0.2, seed=SEED)
    log(f"{label}: {len(train):,} training / {len(test):,} test ratings")
    ours, improved = run_zeerec(train, test)
    theirs = run_surprise(train, test, surprise_models(SEED))
    table = pd.DataFrame(ours + theirs[["model", "rmse", "mae", "fit_s"]].to_dict("records"))
    log(f"{label}: ablation, on a validation carving of the training ratings")
    fit_part, valid = random_split(train, 0.1, seed=SEED)
    steps = ablation(fit_part, valid, implicit=True)
    best = table.loc[table["model"].str.contains("improved"), "rmse"].iloc[0]
    surprise_best = table.loc[table["model"].str.startswith("Surprise"), "rmse"].min()
    target = TARGETS[label]
    run = training_summary(improved)
    verdict = (
        f"Improved MF RMSE **{best:.4f}** (target ≤ {target}): "
        + ("met" if best <= target else "**not met**")
        + f"; best Surprise model {surprise_best:.4f} — "
        + ("zeerec is lower than every Surprise model." if best < surprise_best else "**not**")
    )
    lines = [
        f"### {label}: {len(train):,} training / {len(test):,} test ratings, random 80/20, "
        f"seed {SEED}",
        "",
        fmt(table.rename(columns={"fit_s": "fit (s)"})),
        "",
        verdict,
        f"The improved model stopped at epoch {run['best_epoch']} (validation RMSE "
        f"{run['validation_rmse']:.4f} on the 10 % it carved from the training ratings), "
        f"refit on all of them; taste stretch {run['taste_stretch']:.2f}; "
        f"{run['seconds_per_epoch']:.2f} s per epoch.",
        "",
        "What each ingredient buys, on validation data (each model learns from 90 % of the "
        f"training ratings and is scored on the other {len(valid):,}; the test rows are not "
        "used): cumulative, each row adds one ingredient to the row above and is a fresh "
        "model; `gain` = RMSE of the row it builds on minus its own; the SVD++ row branches "
        "off the one-member model:",
        "",
        fmt(steps.rename(columns={"fit_s": "fit (s)", "rmse_gain": "gain"})),
    ]
    return lines, {"table": table, "ablation": steps}


def bench_synthetic() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / "sample", scale=1.0, seed=SEED)
        ml = data.load(folder)
    train, test = random_split(ml.ratings, 0.2, seed=SEED)
    log(f"synthetic: {len(train):,} training ratings")
    table = pd.DataFrame(biased_timings(train, test) + seed_timings(train))
    return [
        f"### Synthetic sample at ML-1M size: {len(train):,} training ratings "
        f"(of {len(ml.ratings):,}), {ml.ratings['user_id'].nunique():,} users",
        "",
        "Per-epoch times include the validation pass (and, with members, the members' "
        "average on the validation set); the refit epochs have no validation; the slowest "
        "epoch is the first, which includes XLA's compilation (models training on at least "
        f"{tf_setup.XLA_MIN_RATINGS:,} ratings, `zeerec.models.mf.tf_setup.XLA_MIN_RATINGS`). "
        f"Seed-model rows time three epochs over {mf.seed_plan(len(train)).n_fit:,} ratings; "
        "total = first epoch + 19 × the median of the other two.",
        "",
        fmt(table),
    ]


def biased_timings(train: pd.DataFrame, test: pd.DataFrame) -> list[dict]:
    """BiasedMF's epoch and fit times (and test RMSE) in a few variants, XLA on and off."""
    rows = []
    variants = {
        "BiasedMF defaults (32 factors × 4 members, batch 2048)": {},
        "BiasedMF defaults, XLA off": {"xla": False},
        "BiasedMF, 1 member": {"n_members": 1},
        "BiasedMF, 4 members, batch 4096, Adam 1e-2": {"batch_size": 4096, "learning_rate": 1e-2},
    }
    threshold = tf_setup.XLA_MIN_RATINGS  # use_xla reads it from tf_setup
    for name, settings in variants.items():
        log(f"  {name}")
        settings = dict(settings)
        tf_setup.XLA_MIN_RATINGS = threshold if settings.pop("xla", True) else None
        try:
            model = mf.BiasedMF(seed=SEED, **settings).fit(train)
        finally:
            tf_setup.XLA_MIN_RATINGS = threshold
        secs = np.asarray(model.epoch_seconds_)
        n_val = len(model.history_["loss"])
        rows.append(
            {
                "model": name,
                "epochs (validated + refit)": f"{n_val} + {len(secs) - n_val}",
                "s per epoch (median)": float(np.median(secs)),
                "s per epoch (max)": float(secs.max()),
                "total fit (s)": model.fit_seconds_,
                "test RMSE": rmse(test["rating"], model.predict(test["user_id"], test["movie_id"])),
            }
        )
    return rows


def seed_timings(train: pd.DataFrame) -> list[dict]:
    """The seed model's 20 published epochs, extrapolated from 3 (the first pays the compile)."""
    rows = []
    for label, batch in (("seed MF, published batch 128", 128), ("seed MF, batch 1024", 1024)):
        log(f"  {label}")
        model = mf.SeedMF(epochs=3, batch_size=batch, seed=SEED).fit(train)
        secs = np.asarray(model.epoch_seconds_)
        steady = float(np.median(secs[1:]))
        rows.append(
            {
                "model": f"{label} (3 epochs timed; 20 published)",
                "epochs (validated + refit)": "3",
                "s per epoch (median)": steady,
                "s per epoch (max)": float(secs.max()),
                "total fit (s)": float(secs[0] + 19 * steady),
                "test RMSE": np.nan,
            }
        )
    return rows


def summary(results: dict[str, dict]) -> list[str]:
    """The ablation's gains side by side, and what Surprise gets on these splits."""
    gains = pd.DataFrame(
        {label: r["ablation"].set_index("step")["rmse_gain"] for label, r in results.items()}
    ).reset_index()
    surprise = {
        label: r["table"].set_index("model")["rmse"].filter(like="Surprise")
        for label, r in results.items()
    }
    notes = [
        "### What each ingredient buys, both data sets",
        "",
        fmt(gains.rename(columns={"step": "ingredient (RMSE gain)"})),
        "",
        "The per-batch L2 penalty is by far the largest step: without it the dot product "
        "memorises the training ratings and only early stopping holds it back. The other "
        "steps each buy a few thousandths of RMSE, consistently on both data sets; the "
        "SVD++ implicit term buys about a thousandth at 2-8x the training time, so "
        "`BiasedMF` leaves it off (`implicit=True` switches it on).",
        "",
        "Surprise on these splits (for the record; the issue quoted SVD 0.941 / KNNBaseline "
        "0.922 on ML-100K and SVD 0.894 / KNNBaseline 0.876 on the slice from an earlier "
        "measurement): "
        + "; ".join(
            f"{label}: " + ", ".join(f"{k.split(' (')[0]} {v:.4f}" for k, v in s.items())
            for label, s in surprise.items()
        )
        + ".",
    ]
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument("--skip-synthetic", action="store_true", help="no ML-1M-size timing")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    body = [
        SECTION,
        "",
        f"`benchmarks/bench_mf.py`, {dt.date.today().isoformat()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, CPU only. Every table below comes from one run.",
        "",
        "Protocol: `random_split(ratings, 0.2, seed=42)`; every model, zeerec's and "
        "Surprise's, trains on exactly the same 80 % and is scored on exactly the same 20 %. "
        "zeerec's Keras models carve their own validation set (10 % of the training ratings, "
        "seeded) for early stopping and the taste stretch; the settings of `BiasedMF` were "
        "chosen on validation splits carved from the training data, and the test rows are "
        "used once, for these tables. Surprise runs with its defaults (SVD: 100 factors, "
        "20 epochs; KNNBaseline: k = 40, item-based, pearson_baseline similarity).",
        "",
        "The improved model, `zeerec.models.mf.BiasedMF`: `mu + b_u + b_i + p_u · q_i` in "
        "Keras; per-batch L2 on the embedding rows looked up in each batch, weighted so a "
        "row with n training ratings is penalised ∝ n^0.5 in total; Adam, batch 2048, "
        "learning rate 5e-3 halved whenever the validation RMSE improves by less than 1e-3; "
        "early stopping (patience 3) with the best weights restored, then a refit on all "
        "training ratings for that many epochs with the same learning-rate schedule; the "
        "dot product stretched by a factor fitted by least squares on the validation set "
        "(L2 shrinks both of its factors); 4 independent members of 32 factors trained "
        "side by side in one Keras model, each in its own data order, and averaged (their "
        "average is one MF model with 128 factors); predictions clipped to 1–5. Training "
        "steps are XLA-compiled from 200,000 training ratings on (`XLA_MIN_RATINGS`): the "
        "last table shows what that buys at ML-1M size.",
        "",
    ]
    results = {}
    for folder, label in ((SHARED / "ml-100k", "ML-100K"), (SHARED / "ml-1m-slice", "ML-1M slice")):
        lines, results[label] = bench_dataset(folder, label)
        body += [*lines, ""]
    body += [*summary(results), ""]
    if not args.skip_synthetic:
        body += [*bench_synthetic(), ""]
    body += [f"Whole benchmark: {time.perf_counter() - start:.0f} s."]
    publish(SECTION, body, dry_run=args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
