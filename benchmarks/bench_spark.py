"""Spark benchmark (issue 15): MLlib ALS next to zeerec's models, and Spark's speed-up.

Run: .venv/bin/python benchmarks/bench_spark.py --part zeerec | --part spark --data NAME
     | --part scale --scale F, then .venv/bin/python benchmarks/bench_spark.py [--dry-run]

1. accuracy (parts zeerec and spark) — on ML-100K and the ML-1M slice, one per-user
   stratified 75/25 split (seed 42, the same split in Spark and in zeerec.splits):
   Spark's explicit ALS (rank and regParam chosen on a validation carving of training;
   spark-submit local[2]) against zeerec's biased MF ("improved MF") by test RMSE,
   and implicit ALS (rank, regParam, alpha chosen on validation NDCG@10) against EASE
   by P@10 and NDCG@10;
2. scale — ``spark-submit --master local[1]`` then ``local[2]`` running
   ``zeerec.spark.job`` with fixed settings on the synthetic sample at ``--scale``
   (10: 10M ratings), top-10 lists judged for 2,000 seeded test users.

Writes the "## Spark (issue 15)" section of BENCHMARKS.md (``--dry-run`` prints it).
Each part keeps its results in ``benchmarks/results/bench_spark.json`` (one entry per
part, and per data set for ``spark``), so a part can be rerun alone; ``--part write``
(default) writes the section from them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from common import ROOT, SHARED, log, markdown_table, write_section

SECTION = "## Spark (issue 15)"
K = 10
RESULTS = Path(__file__).resolve().parent / "results" / "bench_spark.json"


def zeerec_side(folder: Path, seed: int = 42) -> dict:
    """zeerec's improved MF and EASE on zeerec.splits' stratified split of ``folder``."""
    from zeerec import data, evaluation, splits
    from zeerec.models import registry

    ml = data.load(folder)
    train, test = splits.stratified_split(ml.ratings, test_size=0.25, seed=seed)
    models = {
        "improved MF": registry.create("improved MF", movies=ml.movies, seed=seed),
        "EASE": registry.create("EASE", movies=ml.movies, seed=seed),
    }
    ev = evaluation.evaluate(models, train, test, k=K, seed=seed)
    rating, ranking = ev.rating.set_index("model"), ev.ranking.set_index("model")
    return {
        "mf_rmse": float(rating.loc["improved MF", "rmse"]),
        "mf_fit_s": float(rating.loc["improved MF", "fit_s"]),
        "ease_precision": float(ranking.loc["EASE", f"precision@{K}"]),
        "ease_ndcg": float(ranking.loc["EASE", f"ndcg@{K}"]),
    }


DATA = {"ML-100K": SHARED / "ml-100k", "ML-1M slice": SHARED / "ml-1m-slice"}
GRID = ["--ranks", "10,20", "--regs", "0.05,0.1", "--implicit-ranks", "20",
        "--implicit-regs", "1", "--alphas", "1,10"]  # fmt: skip
FIXED = ["--ranks", "10", "--regs", "0.1", "--implicit-ranks", "20", "--implicit-regs", "1",
         "--alphas", "10"]  # fmt: skip


def spark_env() -> dict:
    """spark-submit finds PySpark's own Spark and runs this environment's Python."""
    import pyspark

    return {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def submit(folder: Path, master: str, settings: list[str], extra: tuple[str, ...] = ()) -> dict:
    """``spark-submit --master MASTER job.py`` on ``folder``: its metrics and wall time."""
    tag = re.sub(r"\W", "", f"{folder.name}{master}")
    target = Path(f"/tmp/zeerec-spark-{tag}.json")
    target.unlink(missing_ok=True)
    submit_bin = Path(sys.executable).with_name("spark-submit")
    cmd = [str(submit_bin), "--master", master, "--driver-memory", "6g",
           str(ROOT / "src" / "zeerec" / "spark" / "job.py"), "--data", str(folder),
           *settings, *extra, "--out", str(target)]  # fmt: skip
    log(" ".join(cmd))
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=spark_env())
    wall = time.perf_counter() - start
    values = json.loads(target.read_text())["notebooks"]["08_spark_als"]["metrics"]
    log(f"{folder.name} on {master}: {wall:.0f} s")
    # the 1-minute load average just before and at the end: ~1 per busy core of the run
    # itself, more when other work shared the machine
    return {"wall_s": wall, "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0],
            **values}  # fmt: skip


def scale(factor: float, masters: tuple[str, ...]) -> dict:
    from zeerec.synthetic import ensure_sample

    folder = Path(f"/tmp/zeerec-synth{factor:g}")
    start = time.perf_counter()
    ensure_sample(folder, scale=factor, seed=42)
    log(f"synthetic sample at scale {factor:g} ready in {time.perf_counter() - start:.0f} s")
    extra = ("--rank-users", "2000", "--shuffle-partitions", "8")
    runs = {m: submit(folder, m, FIXED, extra) for m in masters}
    return {"scale": factor, "runs": runs}


NOTE = [
    "**Closing note.** *Same split, same metrics:* tests/test_spark.py shows the Spark",
    "split equal to zeerec.splits' on the slice and the Spark ranking metrics equal to",
    "zeerec.metrics' to 1e-9. *RMSE:* Spark's ALS trails zeerec's biased MF by about",
    "0.026 stars on ML-100K and 0.020 on the slice. ALS does not learn biases with the",
    "factors: the damped baseline is fixed first and ALS fits its residual, while the",
    "biased MF learns biases and factors together. Validation chose regParam 0.1, the",
    "largest value of the grid; a follow-up job on ML-100K (rank 20, regParam {0.1, 0.2,",
    "0.3}) chose 0.2 (validation RMSE 0.928 against 0.948) but moved test RMSE only to",
    "0.929, so the regularisation is not what separates the two.",
    "*Lists:* implicit ALS (rank 20, regParam 1, alpha 1 on validation, both data",
    "sets) reaches 86 % (ML-100K) and 77 % (slice) of EASE's P@10. *Scale:* on the 10M",
    "synthetic sample, run one after the other on an otherwise idle machine (2026-11-29;",
    "a few seconds of unit tests ran beside local[1]), a second core takes the whole job",
    "from 503 s to 320 s (1.57×); loading and splitting gain the most, the ALS sweeps",
    "less (table). Both runs give the same RMSE and P@10: same split, same seeds. The",
    "0.5M-rating figures of an earlier session, measured while other jobs loaded the",
    "machine (load average 15-20), are withdrawn. *On a cluster:* the same",
    "job file under spark-submit --master yarn/k8s; executors of 4-5 cores, shuffle",
    "partitions at 2-3 per core, executor memory for the cached ratings and factor",
    "blocks, a checkpoint directory on HDFS/S3 to cut ALS's lineage; the load, split,",
    "ALS and metrics steps are all DataFrame operations, so only the driver's small",
    "movies/users parse and the means come back to one machine.",
    "",
]


def section(results: dict) -> str:
    lines = [SECTION, ""]
    acc = {n: {**z, "spark": results["spark"][n]} for n, z in results["zeerec"].items()
           if n in results.get("spark", {})}  # fmt: skip
    if acc:
        rows = []
        for name, r in acc.items():
            s = r["spark"]
            rows.append(
                {
                    "data": name,
                    "ALS rank / reg": f"{s['als_rank']} / {s['als_reg']:g}",
                    "ALS RMSE": s["als_rmse"],
                    "biased MF RMSE": r["mf_rmse"],
                    "gap": s["als_rmse"] - r["mf_rmse"],
                    "iALS rank / reg / alpha": f"{s['ials_rank']} / {s['ials_reg']:g} / "
                    f"{s['ials_alpha']:g}",
                    f"iALS P@{K}": s[f"ials_precision@{K}"],
                    f"EASE P@{K}": r["ease_precision"],
                    f"iALS NDCG@{K}": s[f"ials_ndcg@{K}"],
                    f"EASE NDCG@{K}": r["ease_ndcg"],
                }
            )
        lines += [
            "Per-user stratified 75/25 split, seed 42 — the same (user, movie) pairs in Spark",
            "and in zeerec.splits (tests/test_spark.py checks it on the slice). ALS settings",
            "chosen on a stratified validation carving of the training split (seed 43): rank",
            "{10, 20} × regParam {0.05, 0.1} by RMSE; implicit rank 20, regParam 1, alpha",
            "{1, 10} by NDCG@10 (a small grid: see the closing note). Explicit ALS learns the",
            "residual of a damped bias baseline (plain ALS has no biases). RMSE over test",
            "ratings whose user and movie are in training (both sides); lists exclude training",
            "movies (both sides).",
            "zeerec's models at their registry defaults. spark-submit --master local[2] of",
            "zeerec.spark.job, 4 shuffle partitions, 10 ALS sweeps.",
            "",
            markdown_table(pd.DataFrame(rows), digits=4),
            "",
        ]
    sc = results.get("scale") or None
    if sc:
        rows = [
            {"master": m, "wall (s)": r["wall_s"], "load (s)": r["load_s"],
             "explicit ALS fit (s)": r["als_fit_s"], "implicit ALS fit (s)": r["ials_fit_s"],
             "ALS RMSE": r["als_rmse"], f"iALS P@{K}": r[f"ials_precision@{K}"]}
            for m, r in sc["runs"].items()
        ]  # fmt: skip
        runs = list(sc["runs"].values())
        first = runs[0]

        def speed(key: str) -> str:
            return f"{runs[0][key] / runs[-1][key]:.2f}×"

        lines += [
            f"### spark-submit on the synthetic sample, scale {sc['scale']:g} "
            f"({first['ratings']:,} ratings)",
            "",
            "`spark-submit --master local[N] src/zeerec/spark/job.py` with fixed settings",
            "(ALS rank 10, regParam 0.1; implicit rank 20, regParam 1, alpha 10; 10 sweeps),",
            "8 shuffle partitions, lists judged for 2,000 seeded test users, run one after the",
            "other, driver memory 6 GB.",
            "",
            markdown_table(pd.DataFrame(rows), digits=4, seconds_digits=0),
            "",
            f"Speed-up local[1] → local[2]: {speed('wall_s')} (whole job), {speed('load_s')} "
            f"(load), {speed('als_fit_s')} (explicit ALS fit), {speed('ials_fit_s')} "
            "(implicit ALS fit).",
            "",
        ]
        if all("loadavg_before" in r for r in sc["runs"].values()):
            lines += [
                "One-minute load average just before each run: "
                + ", ".join(f"{r['loadavg_before']:.2f} ({m})" for m, r in sc["runs"].items())
                + "; at its end: "
                + ", ".join(f"{r['loadavg_after']:.2f} ({m})" for m, r in sc["runs"].items())
                + " (a run keeps about as many cores busy as its master's N).",
                "",
            ]
        else:
            lines += [
                "The machine's two cores were shared with other sessions' jobs, so the times",
                "are upper bounds and the speed-up is rough.",
                "",
            ]
    lines += NOTE
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--part", default="write", choices=("zeerec", "spark", "scale", "write"))
    p.add_argument("--data", default="ML-100K", choices=tuple(DATA))
    p.add_argument("--scale", type=float, default=10.0)
    p.add_argument("--dry-run", action="store_true")
    args = p.parse_args()
    if args.part == "zeerec":
        found = {name: zeerec_side(folder) for name, folder in DATA.items()}
    elif args.part == "spark":
        found = {args.data: submit(DATA[args.data], "local[2]", GRID)}
    elif args.part == "scale":
        found = scale(args.scale, ("local[1]", "local[2]"))
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.part != "write":
        if args.part == "spark":
            results.setdefault("spark", {}).update(found)
        else:
            results[args.part] = found
        RESULTS.write_text(json.dumps(results, indent=1, default=float) + "\n")
        return
    for part in ("zeerec", "spark", "scale"):
        results.setdefault(part, {})
    text = section(results)
    print(text) if args.dry_run else write_section(SECTION, text)


if __name__ == "__main__":
    main()
