"""Keras implicit model (issue 11): Mult-VAE and BPR chosen on validation, test scored once.

Run: nice .venv/bin/python benchmarks/bench_keras_implicit.py [--data DIR ...]
     [--seeds 42 ...] [--users 300] [--skip-bpr] [--dry-run]

For each data set and split seed: the per-user stratified 75/25 split of
``zeerec.splits.stratified_split``; the training split is carved again 75/25
(``zeerec.evaluation.tune`` / ``grid_search``, the same carving for every candidate)
and each candidate's grid is ranked on ``--users`` validation users by NDCG@10. EASE
(λ = 700, chosen on validation in the evaluation benchmark) and popularity are scored
on the same validation users as references. The candidate with the best validation
NDCG@10 is then fitted on the whole training split and the test split is scored once,
beside EASE and popularity. Writes the "## Keras implicit model (issue 11)" section of
BENCHMARKS.md (``--dry-run`` prints it instead).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bpr_candidate import BPR
from common import SHARED, log, markdown_table, publish

from zeerec import data, evaluation, splits
from zeerec.models import registry
from zeerec.models.ease import EASE
from zeerec.models.popularity import Popularity

SECTION = "## Keras implicit model (issue 11)"
VAE = "Mult-VAE"
VAE_GRID = dict(registry.spec(VAE).knobs)
BPR_GRID = {"epochs": (20, 40), "reg": (1e-4, 1e-3)}  # lr 5e-3, 64 factors
EASE_LAM = 700
TARGETS_P10 = {"ml-100k": 0.40}  # the target, set for ML-100K only
METRICS = ["precision@10", "ndcg@10"]


def validation(train: pd.DataFrame, seed: int, users: int, bpr: bool) -> dict[str, tuple]:
    """Each candidate's (best settings, grid table) on the validation carving of ``train``."""
    kw = {"k": 10, "metric": "ndcg", "seed": seed, "n_users": users}
    out = {}
    log(f"  {VAE}: {np.prod([len(v) for v in VAE_GRID.values()])} settings")
    out[VAE] = evaluation.tune(VAE, train, VAE_GRID, **kw)
    if bpr:
        log(f"  BPR: {np.prod([len(v) for v in BPR_GRID.values()])} settings")
        out["BPR"] = evaluation.grid_search(lambda **k: BPR(seed=seed, **k), BPR_GRID, train, **kw)
    for name, make in (
        (f"EASE (λ {EASE_LAM})", lambda: EASE(lam=EASE_LAM)),
        ("popularity", Popularity),
    ):
        out[name] = evaluation.grid_search(lambda make=make: make(), {}, train, **kw)
    return out


def chosen_model(name: str, best: dict, seed: int):
    if name == VAE:
        return registry.create(VAE, seed=seed, **best)
    return BPR(seed=seed, **best)


def run(path: Path, seed: int, users: int, bpr: bool) -> dict:
    """Validation tables, the choice and the one test evaluation for one data set and seed."""
    ratings = data.load(path).ratings
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=seed)
    log(f"{path.name}, seed {seed}: {len(train):,} training / {len(test):,} test ratings")
    valid = validation(train, seed, users, bpr)
    candidates = [n for n in (VAE, "BPR") if n in valid]
    scores = {n: valid[n][1]["ndcg@10"].max() for n in candidates}
    winner = max(candidates, key=scores.get)
    best = valid[winner][0]
    models = {
        f"{winner} (chosen)": chosen_model(winner, best, seed),
        f"EASE (λ {EASE_LAM})": EASE(lam=EASE_LAM),
        "popularity": Popularity(),
    }
    log(f"  test split: {winner} {best}")
    start = time.perf_counter()
    result = evaluation.evaluate(models, train, test, k=10, seed=seed)
    log(f"  test evaluation {time.perf_counter() - start:.0f} s")
    return {"valid": valid, "winner": winner, "best": best, "test": result.ranking}


def _grid_table(name: str, best: dict, table: pd.DataFrame) -> str:
    knobs = [c for c in table.columns if c not in METRICS and "@" not in c and c != "fit_s"]
    shown = table[[*knobs, *METRICS, "fit_s"]].copy()
    is_best = np.all([shown[k] == v for k, v in best.items()], axis=0) if best else []
    for k in knobs:  # 1e-4 as it was given, not rounded to 0.000
        shown[k] = shown[k].map(str)
    if len(is_best):
        shown.insert(0, "", np.where(is_best, "**chosen**", ""))
    return f"Validation, {name}:\n\n" + markdown_table(shown, digits=3, seconds_digits=1)


def section(results: dict, users: int) -> list[str]:
    """The BENCHMARKS.md section: per data set, validation tables, choice and test."""
    lines = [
        SECTION,
        "",
        f"`benchmarks/bench_keras_implicit.py`, {dt.date.today()}, 2 cores shared with other "
        f"jobs, Python {platform.python_version()}. Per-user stratified 75/25 split; knobs "
        f"chosen on a 75/25 carving of the training split ({users} validation users, "
        "NDCG@10); the test split scored once with the chosen settings. Fit times are wall "
        "times on a busy machine.",
    ]
    for (label, seed), res in results.items():
        lines += ["", f"### {label}, seed {seed}", ""]
        for name, (best, table) in res["valid"].items():
            lines += [_grid_table(name, best, table), ""]
        picks = {n: res["valid"][n][1]["ndcg@10"].max() for n in (VAE, "BPR") if n in res["valid"]}
        said = ", ".join(f"{n} {v:.3f}" for n, v in picks.items())
        lines += [f"Best validation NDCG@10: {said} → **{res['winner']}** with {res['best']}.", ""]
        test = res["test"][["model", *METRICS, "fit_s"]]
        lines += ["Test split, scored once:", "", markdown_table(test, 3, 1), ""]
        p10, target = float(test["precision@10"].iloc[0]), TARGETS_P10.get(label)
        if target is not None:
            verdict = "met" if p10 >= target else "not met"
            lines.append(f"Issue target P@10 ≥ {target:.2f}: {p10:.3f} → **{verdict}**.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(SHARED / "ml-100k")])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42])
    parser.add_argument("--users", type=int, default=300, help="validation users")
    parser.add_argument("--skip-bpr", action="store_true", help="tune Mult-VAE only")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    args = parser.parse_args()
    results = {}
    for folder in map(Path, args.data):
        for seed in args.seeds:
            results[(folder.name, seed)] = run(folder, seed, args.users, not args.skip_bpr)
    publish(SECTION, section(results, args.users), dry_run=args.dry_run)


if __name__ == "__main__":
    main()
