"""The Spark pipeline headless: ``python -m zeerec.spark.job --data DIR --master local[2]``.

The same code as notebook 08 (:func:`zeerec.spark.pipeline.run`); it writes the same
``08_spark_als`` section into a metrics.json (``--out``, merged with what is there), so
a cluster run and a notebook run read the same way. On a cluster, submit this file:

    spark-submit --master yarn --num-executors 20 --executor-cores 4 \\
        --executor-memory 8g --conf spark.sql.shuffle.partitions=400 \\
        src/zeerec/spark/job.py --data hdfs:///ml-25m --checkpoint-dir hdfs:///tmp/als

(without ``--master`` the job takes spark-submit's). The spark-submit that PySpark's wheel
installs runs from an activated environment; otherwise set ``SPARK_HOME`` to the pyspark
package folder and ``PYSPARK_PYTHON`` to the environment's python. ``--ranks 10 --regs
0.1`` (one value each) fixes a setting and skips its validation search.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m zeerec.spark.job", description=__doc__.split("\n")[0]
    )
    p.add_argument("--data", required=True, help="a MovieLens folder zeerec reads")
    p.add_argument("--master", default=None, help="e.g. local[2]; default: spark-submit's")
    p.add_argument("--split", default="stratified", choices=("stratified", "temporal"))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--max-iter", type=int, default=10, help="ALS sweeps")
    p.add_argument("--ranks", type=_ints, default=(10, 20), help="explicit ALS ranks to try")
    p.add_argument("--regs", type=_floats, default=(0.05, 0.1, 0.2), help="explicit regParams")
    p.add_argument("--implicit-ranks", type=_ints, default=(20, 50))
    p.add_argument("--implicit-regs", type=_floats, default=(0.1, 1.0))
    p.add_argument("--alphas", type=_floats, default=(1.0, 10.0))
    p.add_argument("--rank-users", type=int, default=None, help="judge lists of N test users")
    p.add_argument("--shuffle-partitions", type=int, default=4)
    p.add_argument("--driver-memory", default="4g")
    p.add_argument("--checkpoint-dir", default=None, help="cuts ALS lineage (cluster: HDFS/S3)")
    p.add_argument("--out", default="reports/metrics.json", help="metrics.json to write into")
    return p.parse_args(argv)


def write_section(out: Path, values: dict, parameters: dict, wall: float) -> None:
    """Merge the 08_spark_als section into ``out`` (created when missing), atomically."""
    from zeerec.files import atomic_write
    from zeerec.spark.pipeline import SECTION

    current = json.loads(out.read_text()) if out.is_file() else {}
    current.setdefault("notebooks", {})[SECTION] = {
        "title": "Spark ALS (headless job)",
        "status": "ok",
        "wall_time_s": round(wall, 2),
        "parameters": parameters,
        "metrics": {k: None if isinstance(v, float) and v != v else v for k, v in values.items()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, json.dumps(current, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from zeerec.spark import pipeline
    from zeerec.spark.session import get_session, unavailable_reason

    reason = unavailable_reason()
    if reason:
        print(f"Spark cannot run here: {reason}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    from pyspark.sql import SparkSession

    ours = SparkSession.getActiveSession() is None  # a caller's session is left running
    spark = get_session(
        args.master,
        shuffle_partitions=args.shuffle_partitions,
        driver_memory=args.driver_memory,
        app_name="zeerec-spark-job",
        checkpoint_dir=args.checkpoint_dir,
    )
    result = pipeline.run(
        spark,
        args.data,
        kind=args.split,
        seed=args.seed,
        k=args.k,
        max_iter=args.max_iter,
        star_grid={"rank": args.ranks, "reg": args.regs},
        implicit_grid={
            "rank": args.implicit_ranks,
            "reg": args.implicit_regs,
            "alpha": args.alphas,
        },
        n_rank_users=args.rank_users,
    )
    wall = time.perf_counter() - start
    parameters = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(args).items()}
    write_section(Path(args.out), result.values, parameters, wall)
    for key, value in result.values.items():
        print(f"{key}: {value}")
    print(f"wrote the {pipeline.SECTION} section of {args.out} in {wall:.1f} s")
    if ours:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
