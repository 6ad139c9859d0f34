"""The report runner: execute the notebooks, render HTML, collect metrics.

``make report`` calls :func:`run_report` through the command line. Notebook 01 runs
first; the others run up to ``jobs`` (2) at a time, each once the notebooks it reads
from have finished (:data:`READS_FROM`: 06 loads the model 05 saves). Each notebook is
executed by papermill on the project's kernel into a staging folder, rendered with
nbconvert, and only when every notebook succeeded are the reports moved into
``reports/``. A failed run leaves the previous good pages untouched, keeps the partial
notebook and its page in ``reports/failed/``, and rewrites ``index.html`` only to show
the failure (cell and error) beside the last good reports.

Notebooks record their key figures with :func:`record`; the runner points each one
at its own JSON file through the ``ZEEREC_METRICS_FILE`` variable of its kernel's
environment and merges them into ``reports/metrics.json``.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zeerec.files import atomic_write
from zeerec.kernels import quiet_transport
from zeerec.pages import HEADLINE_KEY as HEADLINE_KEY  # notebooks record their headline under it
from zeerec.pages import (
    METRICS_ENV,
    banner_html,
    index_html,
    notebook_title,
    publish_failure,
    render_html,
)
from zeerec.reading import format_value

RUNNER_PARAMETERS = {"data_dir": "--data", "processed_dir": "--processed", "model_dir": "--models"}
"""Set by the runner from its own options (one source of truth), never by ``-p``."""
INPUT_ERRORS = set(
    "DataError DataFormatError DataConflictError MissingDataError ProfileError MovieLookupError "
    "UnknownMovieError AmbiguousMovieError".split()
)
"""Errors a notebook raises about its input: the run stops as for any bad input."""
SPARK_ENV = "ZEEREC_SPARK"
"""1: run the Spark notebooks; 0: never; unset: when PySpark and Java are here (make SPARK=)"""
SPARK_NOTEBOOKS = ("08_spark_als",)
READS_FROM: dict[str, tuple[str, ...]] = {
    "01_load_clean": (),
    "02_eda": ("01_load_clean",),
    "03_item_similarity": ("01_load_clean",),
    "04_knn": ("01_load_clean",),
    "05_matrix_factorization": ("01_load_clean",),
    "06_user_based": ("01_load_clean", "05_matrix_factorization"),
    "07_evaluation": ("01_load_clean",),
    "08_spark_als": ("01_load_clean",),
}
"""What each notebook reads that another notebook writes: 01's processed tables (all of
them) and the MF model 05 saves (06). With more than one job a notebook starts once the
notebooks of this run it reads from have finished; one not listed here waits for every
notebook before it. Pages, metrics and index keep the notebooks' order."""
DEFAULT_JOBS = 2
"""Notebooks run side by side by default. Two: each kernel's numerical libraries already
use every core, so more would only share the same cores (and add a kernel's memory)."""
NOTEBOOK_ENV = "ZEEREC_NOTEBOOK"
"""Set in each kernel's environment to its notebook's name, for tools that watch kernels."""
DEFAULT_SAMPLE_SCALE = 1.0
DEFAULT_SEED = 42


class ReportError(RuntimeError):
    """The report run could not start or a notebook failed; the message says which and why."""


class ReportInputError(ReportError):
    """The run was given bad input (a parameter, the data): the command line exits 2."""


# --------------------------------------------------------------------------- metrics


def _jsonable(value: Any) -> Any:
    """Turn numpy/pandas values into plain JSON so metrics.json is readable anywhere."""
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not np.isfinite(value) else round(value, 6)
    if value is pd.NA or value is None:
        return None
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return value


def record(**values: Any) -> dict[str, Any]:
    """Record a notebook's key figures for metrics.json, the index page and the tests.

    Outside the runner (e.g. in JupyterLab) nothing is written; the values are
    returned so the "Key findings" cell can still show them.
    """
    clean = {k: _jsonable(v) for k, v in values.items()}
    target = os.environ.get(METRICS_ENV)
    if target:
        path = Path(target)
        current = json.loads(path.read_text()) if path.is_file() else {}
        current.update(clean)
        atomic_write(path, json.dumps(current, indent=2, ensure_ascii=False))
    return clean


def findings(values: Mapping[str, Any]) -> pd.DataFrame:
    """A two-column table of scalar findings, for the closing cell of a notebook."""
    rows = [
        (k, "–" if v is None else format_value(v))
        for k, v in values.items()
        if not isinstance(v, list | dict)
    ]
    return pd.DataFrame(rows, columns=["finding", "value"]).set_index("finding")


# --------------------------------------------------------------------------- data choice


@dataclass
class DataChoice:
    folder: Path
    synthetic: bool
    how: str


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")  # one write: two notebooks' lines never interleave
    sys.stderr.flush()


def resolve_data(
    choice: str,
    raw_dir: str | os.PathLike = "data/raw",
    sample_dir: str | os.PathLike = "data/sample",
    scale: float = DEFAULT_SAMPLE_SCALE,
    seed: int = DEFAULT_SEED,
) -> DataChoice:
    """Decide which data the notebooks get: ``auto``, ``sample``, ``download`` or a folder.

    ``auto`` prefers real data (already in ``raw_dir``, else downloaded) and falls
    back to the synthetic sample, saying so loudly.
    """
    from zeerec.data import has_data, is_synthetic, require_data
    from zeerec.download import DownloadError, fetch_ml1m
    from zeerec.synthetic import ensure_sample

    raw_dir, sample_dir = Path(raw_dir), Path(sample_dir)

    def sample() -> DataChoice:
        folder = ensure_sample(sample_dir, scale=scale, seed=seed)
        return DataChoice(Path(folder), True, f"synthetic sample (scale {scale}, seed {seed})")

    if choice == "sample":
        return sample()
    if choice in ("auto", "download"):
        if has_data(raw_dir):
            return DataChoice(raw_dir, is_synthetic(raw_dir), f"files in {raw_dir}")
        try:
            fetch_ml1m(raw_dir)
            return DataChoice(raw_dir, False, "MovieLens-1M downloaded from GroupLens")
        except DownloadError as err:
            if choice == "download":
                raise
            bar = "!" * 78
            _say(
                f"\n{bar}\n!! NO REAL DATA: {err}\n!! Falling back to the SYNTHETIC sample. "
                "Every report will carry a 'synthetic data' banner.\n"
                f"!! For real results: put the zee files in {raw_dir}/ or run "
                "`make report DATA=/path/to/ml-1m`.\n"
                f"{bar}\n"
            )
            return sample()
    folder = Path(choice).expanduser()
    require_data(folder)  # raises a MissingDataError that says what is missing and where
    return DataChoice(folder, is_synthetic(folder), f"files in {folder}")


def _data_read(data: DataChoice, declared: Mapping[Path, Any], processed: Path) -> DataChoice:
    """The data the notebooks will read: ``data`` when one of them reads the raw files
    (notebook 01, which writes ``processed``), else what an earlier notebook 01 wrote."""
    meta_path = processed / "source.json"
    if any("data_dir" in specs for specs in declared.values()) or not meta_path.is_file():
        return data
    meta = json.loads(meta_path.read_text())
    how = f"notebook 01's output in {processed} (read from {meta['source']})"
    if bool(meta["synthetic"]) != data.synthetic or Path(meta["source"]) != data.folder.resolve():
        _say(f"note: these notebooks read {how}, not {data.how}; the reports say so.")
    return DataChoice(Path(meta["source"]), bool(meta["synthetic"]), how)


def _say_quality(values: Mapping[str, Any], page: Path) -> None:
    """What notebook 01 noticed while loading: how files were read (an encoding, a second
    name for a file), and one line when it dropped bad rows."""
    for row in values.get("problems") or []:
        if row.get("rows") == 0:
            _say(f"    note: {row['file']}: {row['problem']}; {row['action']}")
    dropped = values.get("dropped_rows") or 0
    if dropped:
        rows = "row" if dropped == 1 else "rows"
        _say(f"    {dropped:,} bad {rows} dropped: see the data-quality table in {page}.html")


# --------------------------------------------------------------------------- running


def _default_kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "zeerec" in specs:
        return "zeerec"
    _say("note: Jupyter kernel 'zeerec' is not registered (run `make setup`); using python3.")
    return "python3"


def _parse_value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_parameters(pairs: list[str]) -> dict[str, Any]:
    """``["movie=Liar Liar", "k=20"]`` → ``{"movie": "Liar Liar", "k": 20}``."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ReportInputError(
                f"Parameter {pair!r} is not of the form name=value (e.g. -p top_n=20)."
            )
        params[name.strip()] = _parse_value(value.strip())
    _refuse_runner_parameters(params)
    return params


def _refuse_runner_parameters(parameters: Mapping[str, Any]) -> None:
    """The data, processed and model folders have one source each: the runner's options."""
    for name, option in RUNNER_PARAMETERS.items():
        if name in parameters:
            raise ReportInputError(
                f"-p {name}=... is not a notebook parameter: the runner sets {name} for every "
                f"notebook from {option}, so that the reports, the banner and metrics.json "
                f"name the folder the notebooks read. Use {option} {parameters[name]} instead."
            )


def _check_type(nb: Path, name: str, value: Any, spec: Mapping[str, Any]) -> None:
    """A value of another type than the default is refused (None only if its comment says)."""
    if value is None and "None" in str(spec.get("help") or ""):
        return
    try:
        default = ast.literal_eval(spec.get("default", ""))
    except (ValueError, SyntaxError):
        return
    is_int = isinstance(value, int) and not isinstance(value, bool)
    expected = {
        bool: ("True or False", isinstance(value, bool)),
        int: ("a whole number", is_int),
        float: ("a number", is_int or isinstance(value, float)),
    }.get(type(default))
    if expected and not expected[1]:
        raise ReportInputError(
            f"-p {name}={value!r}: notebook {nb.stem} expects {expected[0]} (its default is "
            f"{spec['default']}), e.g. -p {name}={spec['default']}."
        )


def _notebooks(folder: Path, only: list[str] | None) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks in order (those starting with ``only``'s prefixes)."""
    every = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    notebooks = [nb for nb in every if not only or any(nb.stem.startswith(o) for o in only)]
    if every and not notebooks:  # --only names none of them: bad input
        names = ", ".join(nb.stem for nb in every)
        raise ReportInputError(f"--only {' '.join(only or [])} names no notebook of {names}.")
    if not notebooks:
        raise ReportError(f"No notebooks NN_*.ipynb found in {folder}.")
    return notebooks


def _runnable(notebooks: list[Path]) -> tuple[list[Path], dict[Path, str]]:
    """The notebooks to run, and the Spark ones left out of this run with the reason (its
    metrics.json entry: status "not run", the reason, no page)."""
    wanted = os.environ.get(SPARK_ENV, "")
    spark = [nb for nb in notebooks if nb.stem in SPARK_NOTEBOOKS]
    skipped: dict[Path, str] = {}
    if spark and wanted == "0":
        skipped = dict.fromkeys(spark, f"not asked for ({SPARK_ENV}=0)")
    elif spark and wanted != "1":
        from zeerec.spark.session import unavailable_reason

        reason = unavailable_reason()
        if reason is not None:
            skipped = dict.fromkeys(spark, f"{reason}; then make report SPARK=1")
    return [nb for nb in notebooks if nb not in skipped], skipped


def _list_not_run(entries: dict, skipped: dict[Path, str]) -> None:
    for nb, why in skipped.items():  # index.html lists them with the reason
        _say(f"{nb.stem} not run: {why}")
        entry = {"title": notebook_title(nb), "status": "not run", "reason": why}
        entries[nb.stem] = {**entry, "wall_time_s": 0.0, "metrics": {}}


def _declared_parameters(notebooks: list[Path], parameters: Mapping[str, Any]) -> dict:
    """Each notebook's declared parameters; a parameter no notebook declares, one the
    runner sets itself, or a value of the wrong type is an error."""
    import papermill as pm

    _refuse_runner_parameters(parameters)
    declared = {nb: pm.inspect_notebook(str(nb)) for nb in notebooks}
    unused = set(parameters) - {p for d in declared.values() for p in d}
    if unused:
        known = sorted({p for d in declared.values() for p in d} - set(RUNNER_PARAMETERS))
        raise ReportInputError(
            f"Parameter(s) {', '.join(sorted(unused))} are not used by any notebook. "
            f"Known parameters: {', '.join(known)}."
        )
    for nb, specs in declared.items():
        for name in set(parameters) & set(specs):
            _check_type(nb, name, parameters[name], specs[name])
    return declared


def _execute(
    nb: Path,
    executed: Path,
    params: dict,
    kernel: str,
    reports_dir: Path,
    transport: dict,
    progress: bool = True,
) -> float:
    """Run one notebook with papermill; its wall time, or a ReportError naming the cell.
    ``progress``: papermill's bar of cells (off when notebooks run side by side: two bars
    would write over each other)."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb),
            str(executed),
            parameters=params,
            kernel_name=kernel,
            progress_bar=progress and {"desc": f"      {nb.stem}", "delay": 10, "leave": False},
            log_output=False,
            **transport,
        )
    except PapermillExecutionError as err:
        kept = _keep_partial(executed, reports_dir)
        kept_note = (
            f"The partial executed notebook is kept at {kept}; the previous reports "
            f"in {reports_dir} are unchanged."
        )
        if err.ename in INPUT_ERRORS:
            stop: ReportError = ReportInputError(
                f"Notebook {nb.name} stopped on bad input in cell {err.exec_count}: "
                f"{err.evalue}\n{kept_note}"
            )
        else:
            stop = ReportError(
                f"Notebook {nb.name} failed in cell {err.exec_count} "
                f"(cell index {err.cell_index}): {err.ename}: {err.evalue}\n{kept_note}"
            )
        stop.failed = (nb, kept, f" in cell [{err.exec_count}]: {err.ename}: {err.evalue}")
        raise stop from (None if isinstance(stop, ReportInputError) else err)
    except DeadKernelError as err:  # killed: out of memory, a crash in native code, a signal
        kept = _keep_partial(executed, reports_dir)
        stop = ReportError(
            f"Notebook {nb.name} failed: its kernel died ({err}). Out of memory is the usual "
            f"cause on large data: make report JOBS=1 runs one notebook at a time. The partial "
            f"executed notebook is kept at {kept}; the previous reports in {reports_dir} are "
            "unchanged."
        )
        stop.failed = (nb, kept, ": the kernel died")
        raise stop from err
    return time.perf_counter() - start


def _keep_partial(executed: Path, reports_dir: Path) -> Path:
    """Where a failed notebook's partial run is kept (reports/failed/), copied there."""
    kept = reports_dir / "failed" / executed.name
    kept.parent.mkdir(exist_ok=True)
    if executed.exists():
        shutil.copyfile(executed, kept)
    return kept


def _waits_for(notebooks: list[Path]) -> dict[Path, set[Path]]:
    """For each notebook, the notebooks of this run that must finish before it starts."""
    by_stem = {nb.stem: nb for nb in notebooks}
    return {
        nb: (
            {by_stem[s] for s in READS_FROM[nb.stem] if s in by_stem}
            if nb.stem in READS_FROM
            else set(notebooks[:i])
        )
        for i, nb in enumerate(notebooks)
    }


def _start_order(notebooks: list[Path], waits: dict[Path, set[Path]], jobs: int) -> list[Path]:
    """The order notebooks are offered to free jobs: their own order with one job; with
    more, the notebooks others wait on (``waits``) first (05 before 02, so that 06 is not
    left to run alone at the end), then their own order."""
    if jobs == 1:
        return list(notebooks)

    def waiting_on(nb: Path) -> int:  # notebooks that wait for nb, directly or not
        found, todo = set(), [nb]
        while todo:
            cur = todo.pop()
            for other, before in waits.items():
                if cur in before and other not in found:
                    found.add(other)
                    todo.append(other)
        return len(found)

    return sorted(notebooks, key=lambda nb: (-waiting_on(nb), notebooks.index(nb)))


def _run_all(
    order: list[Path], waits: dict[Path, set[Path]], jobs: int, run_one, kernels: dict[str, int]
) -> list[Exception]:
    """``run_one`` on every notebook, up to ``jobs`` at once, each after those it waits
    for; the failures, in the notebooks' order (empty: every notebook ran).

    After a failure no notebook starts and those already running finish. On Ctrl-C the
    running kernels (``kernels``: notebook -> process id, kept while each runs) are
    interrupted, again each second until their notebooks stop in the cell they were in
    (a kernel between two cells ignores SIGINT); a second Ctrl-C kills them. With one
    job Ctrl-C stops the runner at once, and the kernel ends with it."""
    if jobs == 1:
        for nb in order:
            try:
                run_one(nb)
            except Exception as err:  # noqa: BLE001 - the caller publishes and raises it
                return [err]
        return []
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pending, done, running = list(order), set(), {}
    failures: dict[Path, Exception] = {}
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        while running or (pending and not failures):
            if not failures:
                ready = [nb for nb in pending if waits[nb] <= done][: jobs - len(running)]
                for nb in ready:
                    pending.remove(nb)
                    running[pool.submit(run_one, nb)] = nb
            if not running:  # nothing can start: a cycle in READS_FROM
                names = ", ".join(nb.stem for nb in pending)
                raise ReportError(f"Notebooks {names} wait for each other (READS_FROM).")
            if failures:
                _say(f"waiting for {', '.join(nb.stem for nb in running.values())} to finish")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                nb = running.pop(future)
                try:
                    future.result()
                    done.add(nb)
                except Exception as err:  # noqa: BLE001 - the caller publishes and raises it
                    failures[nb] = err
    except KeyboardInterrupt:
        _say("Interrupted: stopping the running notebooks' kernels (Ctrl-C again kills them).")
        try:
            while running:  # a kernel between two cells ignores SIGINT: repeat until done
                _signal(kernels, signal.SIGINT)
                finished, _ = wait(running, timeout=1)
                for future in finished:
                    running.pop(future)
        except KeyboardInterrupt:
            _signal(kernels, signal.SIGKILL)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [failures[nb] for nb in order if nb in failures]


def _signal(kernels: dict[str, int], sig: int) -> None:
    for pid in list(kernels.values()):
        try:
            os.kill(pid, sig)
        except OSError:  # already gone
            pass


def _publish(staging: Path, reports_dir: Path, notebooks, metrics: dict, data, only) -> None:
    """Write metrics.json and index.html, then move every page into place (atomic renames)."""
    if only and (reports_dir / "metrics.json").is_file():
        previous = json.loads((reports_dir / "metrics.json").read_text())
        merged = {**previous.get("notebooks", {}), **metrics["notebooks"]}
        metrics["notebooks"] = dict(sorted(merged.items()))
        metrics.pop("jobs", None)  # this run's, not the merged notebooks': the index sums
        metrics.pop("elapsed_s", None)  # their own times instead
    atomic_write(staging / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
    atomic_write(staging / "index.html", index_html(metrics, data))
    for nb in notebooks:
        os.replace(staging / f"{nb.stem}.html", reports_dir / f"{nb.stem}.html")
    os.replace(staging / "metrics.json", reports_dir / "metrics.json")
    os.replace(staging / "index.html", reports_dir / "index.html")
    shutil.rmtree(reports_dir / "failed", ignore_errors=True)


def _entry(nb: Path, wall: float, params: dict, metrics_file: Path) -> dict:
    """A notebook's line in metrics.json: what it is, how long it took, what it recorded."""
    values = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    return {
        "title": notebook_title(nb),
        "status": "ok",
        "wall_time_s": round(wall, 2),
        "parameters": _jsonable(params),
        "metrics": values,
    }


def run_report(
    data: DataChoice,
    parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | os.PathLike = "notebooks",
    reports_dir: str | os.PathLike = "reports",
    processed_dir: str | os.PathLike = "data/processed",
    model_dir: str | os.PathLike = "data/models",
    kernel: str | None = None,
    only: list[str] | None = None,
    jobs: int = DEFAULT_JOBS,
) -> dict:
    """Execute every ``NN_*.ipynb`` (up to ``jobs`` side by side, each once what it reads
    exists, see :data:`READS_FROM`); on success replace the reports, else raise."""
    notebooks_dir, reports_dir = Path(notebooks_dir).resolve(), Path(reports_dir).resolve()
    notebooks = _notebooks(notebooks_dir, only)
    parameters = dict(parameters or {})
    declared = _declared_parameters(notebooks, parameters)
    data = _data_read(data, declared, Path(processed_dir))
    notebooks, skipped = _runnable(notebooks)
    runner_values = {
        "data_dir": str(Path(data.folder).resolve()),
        "processed_dir": str(Path(processed_dir).resolve()),
        "model_dir": str(Path(model_dir).resolve()),
    }
    kernel = kernel or _default_kernel()
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=reports_dir, prefix=".staging-"))
    metrics: dict[str, Any] = {
        "generated": dt.datetime.now().isoformat(timespec="seconds"),
        "data": {"folder": runner_values["data_dir"], "synthetic": data.synthetic, "how": data.how},
        "notebooks": {},
    }
    banner = banner_html(data)
    stderr_log = reports_dir / "failed" / "kernel-stderr.log"
    jobs = max(1, int(jobs))
    _say(
        f"Running {len(notebooks)} notebook(s) on {data.how} with kernel '{kernel}'"
        + (f", up to {jobs} at a time." if jobs > 1 and len(notebooks) > 1 else ".")
    )
    entries: dict[Path, dict] = {}
    waits = _waits_for(notebooks)
    order = _start_order(notebooks, waits, jobs)
    kernels: dict[str, int] = {}  # running notebook -> its kernel's process id, for Ctrl-C

    def run_one(nb: Path) -> None:
        metrics_file = staging / "metrics" / f"{nb.stem}.json"
        env = {METRICS_ENV: str(metrics_file), NOTEBOOK_ENV: nb.stem}
        params = {k: v for k, v in {**runner_values, **parameters}.items() if k in declared[nb]}
        step = f"[{order.index(nb) + 1}/{len(notebooks)}] {nb.stem}"
        _say(f"{step} ...")

        def launched(pid: int) -> None:
            kernels[nb.stem] = pid

        transport = quiet_transport(stderr_log, env, cwd=nb.parent, on_launch=launched)
        try:
            wall = _execute(
                nb, staging / nb.name, params, kernel, reports_dir, transport, progress=jobs == 1
            )
        except ReportError as err:  # its findings file, for the failed page's header
            err.failed = (*err.failed, metrics_file)
            raise
        finally:
            kernels.pop(nb.stem, None)  # ended, however: never signal its pid again
        render_html(staging / nb.name, staging / f"{nb.stem}.html", banner, metrics_file)
        _say(f"{step} done in {wall:.1f} s")
        entries[nb] = _entry(nb, wall, params, metrics_file)
        _say_quality(entries[nb]["metrics"], reports_dir / nb.stem)

    started = time.perf_counter()
    try:
        failures = _run_all(order, waits, jobs, run_one, kernels)
        if failures:  # index.html shows them beside the last good pages
            failed = [err.failed for err in failures if hasattr(err, "failed")]
            if failed:
                publish_failure(failed, reports_dir, data, banner)
            raise failures[0]
        metrics["notebooks"] = {nb.stem: entries[nb] for nb in notebooks}
        _list_not_run(metrics["notebooks"], skipped)
        metrics["jobs"] = min(jobs, len(notebooks))
        metrics["elapsed_s"] = round(time.perf_counter() - started, 2)
        _publish(staging, reports_dir, notebooks, metrics, data, only)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    total = sum(e["wall_time_s"] for e in metrics["notebooks"].values())
    _say(
        f"Reports written to {reports_dir} in {time.perf_counter() - started:.1f} s"
        + (
            f" (the notebooks' own times add up to {total:.1f} s)."
            if metrics.get("jobs", 1) > 1
            else "."
        )
    )
    return metrics
