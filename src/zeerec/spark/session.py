"""Whether Spark can run here, and the one SparkSession zeerec uses."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

JAVA_HINT = "install Java 17 (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)"
PYSPARK_HINT = "install the extra: pip install -e '.[spark]' (or requirements-spark-lock.txt)"


def java_path() -> str | None:
    """The java executable Spark will start: $JAVA_HOME/bin/java, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _import_pyspark() -> None:
    """Import PySpark's SQL module without its warning that pandas 3 is newer than the
    pandas it was tested with: zeerec hands it plain rows, not pandas frames."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas")
        import pyspark.sql  # noqa: F401


def unavailable_reason() -> str | None:
    """None when PySpark and Java are both present, else why Spark cannot run."""
    try:
        _import_pyspark()
    except ImportError:
        return f"PySpark is not installed: {PYSPARK_HINT}"
    if java_path() is None:
        return f"Java is not installed (no java on PATH or in JAVA_HOME): {JAVA_HINT}"
    return None


def get_session(
    master: str | None = "local[2]",
    shuffle_partitions: int = 4,
    driver_memory: str = "2g",
    app_name: str = "zeerec",
    checkpoint_dir: str | None = None,
):
    """The active SparkSession if it runs on ``master``, else a new one (the old stopped).

    ``master`` None takes the one spark-submit was given (``--master``).

    Small shuffle partitions suit one machine (Spark's default 200 is for clusters);
    the console progress bar and the web UI are off so notebooks and logs stay clean.
    ``checkpoint_dir`` lets ALS cut its lineage every few iterations (on a cluster: a
    shared file system such as HDFS or S3).
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(f"Spark cannot run here: {reason}")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if master is None or active.sparkContext.master == master:
            return active
        active.stop()
    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    spark = (
        builder.appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    if checkpoint_dir:
        spark.sparkContext.setCheckpointDir(checkpoint_dir)
    return spark
