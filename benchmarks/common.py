"""What the benchmark scripts share: logging, markdown tables, BENCHMARKS.md sections, Surprise.

The scripts run as ``python benchmarks/bench_*.py``, so this folder is on ``sys.path``
and they import it as ``common``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.files import atomic_write
from zeerec.metrics import mae, mape, rmse

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"


def log(msg: str) -> None:
    """Progress on stderr, so ``--dry-run`` output on stdout stays a clean section."""
    print(msg, file=sys.stderr, flush=True)


def markdown_table(frame: pd.DataFrame, digits: int = 3, seconds_digits: int | None = None) -> str:
    """A DataFrame as a GitHub markdown table: floats rounded, integers with separators.

    ``seconds_digits`` rounds the time columns (names ending in ``_s`` or ``(s)``)
    differently from the rest; NaN shows as an en dash.
    """
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for i in range(len(frame)):
        cells = []
        for c in cols:
            v = frame[c].iloc[i]
            if isinstance(v, float | np.floating):
                timed = str(c).endswith(("_s", "(s)")) and seconds_digits is not None
                d = seconds_digits if timed else digits
                cells.append("–" if np.isnan(v) else f"{v:,.{d}f}")
            elif isinstance(v, int | np.integer):
                cells.append(f"{v:,}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(section: str, text: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the ``section`` heading's part of BENCHMARKS.md (or append it); keep the rest.

    The heading must match a whole line: "## X on ml-1m" is not the section "## X on
    ml-1m-slice", nor "## X" the section "## X: a subset".
    """
    current = path.read_text(encoding="utf-8") if path.is_file() else "# zeerec benchmarks\n"
    found = re.search(rf"^{re.escape(section)}[ \t]*$", current, flags=re.MULTILINE)
    start = -1 if found is None else found.start()
    if start == -1:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        nxt = current.find("\n## ", start + len(section))
        tail = "" if nxt == -1 else current[nxt:]
        new = current[:start] + text.rstrip("\n") + "\n" + tail
    atomic_write(path, new if new.endswith("\n") else new + "\n")


def over_seeds(doc: str, one_run) -> tuple[argparse.Namespace, list[dict]]:
    """The command line and loop of a benchmark run per data set and split seed:
    ``--seeds``, ``--data``, ``--write``; ``one_run(folder, seed)`` gives each row."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44, 45, 46])
    parser.add_argument("--data", nargs="+", default=["ml-100k", "ml-1m-slice"])
    parser.add_argument("--write", action="store_true", help="replace the BENCHMARKS.md section")
    args = parser.parse_args()
    rows = []
    for name in args.data:
        for seed in args.seeds:
            log(f"{name}, seed {seed}")
            rows.append(one_run(SHARED / name, seed))
            log(str(rows[-1]))
    return args, rows


def seed_tables(rows: list[dict], text_columns: list[str]) -> str:
    """Per-seed rows (each with "data" and "seed") as a table, then each data set's mean
    and standard deviation of every other numeric column, in markdown."""
    table = pd.DataFrame(rows)
    numeric = table.drop(columns=["seed", *text_columns]).groupby("data", sort=False)
    summary = numeric.agg(["mean", "std"])
    summary.columns = [f"{a} {b}" for a, b in summary.columns]
    return (
        "Per seed:\n\n" + markdown_table(table, digits=4, seconds_digits=0)
        + "\n\nMean and standard deviation over the seeds:\n\n"
        + markdown_table(summary.reset_index(), digits=4, seconds_digits=0) + "\n"
    )  # fmt: skip


def keep(results: Path, data_name: str, row: dict) -> dict:
    """Store ``row`` in the JSON file ``results`` under (data set, ``row["model"]``),
    replacing an older one; returns every stored row."""
    kept = json.loads(results.read_text()) if results.is_file() else {}
    kept.setdefault(data_name, {})[row["model"]] = row
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps(kept, indent=1, default=str) + "\n")
    return kept


def publish(section: str, lines: list[str], dry_run: bool = False) -> None:
    """Write ``lines`` as the ``section`` of BENCHMARKS.md, or print them (``dry_run``)."""
    text = "\n".join(lines) + "\n"
    if dry_run:
        print(text)
    else:
        write_section(section, text)
        log(f"wrote the '{section}' section of BENCHMARKS.md")


def surprise_models(seed: int, svdpp: bool = True) -> dict:
    """scikit-surprise's classic rating models (needs the ``bench`` extra)."""
    from surprise import SVD, BaselineOnly, KNNBaseline, SVDpp

    models = {
        "Surprise BaselineOnly": BaselineOnly(verbose=False),
        "Surprise SVD": SVD(random_state=seed),
        "Surprise SVD++": SVDpp(random_state=seed, cache_ratings=True),
        "Surprise KNNBaseline (item, pearson_baseline)": KNNBaseline(
            sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False
        ),
    }
    if not svdpp:
        del models["Surprise SVD++"]
    return models


def run_surprise(train: pd.DataFrame, test: pd.DataFrame, models: dict) -> pd.DataFrame:
    """Surprise's ``models`` fitted on exactly our training rows, scored on exactly our test rows.

    One row per model: RMSE, MAE, MAPE, the number of test ratings, fit and predict seconds.
    """
    from surprise import Dataset, Reader

    frame = train[["user_id", "movie_id", "rating"]].astype({"rating": float})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
    truth = test["rating"].to_numpy(dtype=float)
    pairs = list(zip(test["user_id"].tolist(), test["movie_id"].tolist(), truth, strict=True))
    rows = []
    for name, algo in models.items():
        log(f"  {name}")
        start = time.perf_counter()
        algo.fit(trainset)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        pred = np.array([p.est for p in algo.test(pairs)])
        rows.append(
            {
                "model": name,
                "rmse": rmse(truth, pred),
                "mae": mae(truth, pred),
                "mape": mape(truth, pred),
                "n_ratings": len(truth),
                "fit_s": fit_s,
                "predict_s": time.perf_counter() - start,
            }
        )
    return pd.DataFrame(rows)
