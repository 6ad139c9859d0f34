"""The report runner: execute the notebooks in order, render HTML, collect metrics.

``make report`` calls :func:`run_report` through the command line. Each notebook is
executed by papermill on the project's kernel into a staging folder, rendered with
nbconvert, and only when every notebook succeeded are the reports moved into
``reports/`` — a failed run leaves the previous good reports untouched and keeps
the partial notebook in ``reports/failed/`` for inspection.

Notebooks record their key figures with :func:`record`; the runner points each one
at its own JSON file through the ``ZEEREC_METRICS_FILE`` environment variable and
merges them into ``reports/metrics.json``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zeerec.files import atomic_write
from zeerec.pages import HEADLINE_KEY as HEADLINE_KEY  # notebooks record their headline under it
from zeerec.pages import banner_html, index_html, notebook_title, render_html

METRICS_ENV = "ZEEREC_METRICS_FILE"
RUNNER_PARAMETERS = ("data_dir", "processed_dir", "model_dir")
DEFAULT_SAMPLE_SCALE = 1.0
DEFAULT_SEED = 42


class ReportError(RuntimeError):
    """The report run could not start or a notebook failed; the message says which and why."""


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
    rows = [(k, v) for k, v in values.items() if not isinstance(v, list | dict)]
    frame = pd.DataFrame(rows, columns=["finding", "value"]).set_index("finding")
    return frame


# --------------------------------------------------------------------------- data choice


@dataclass
class DataChoice:
    folder: Path
    synthetic: bool
    how: str


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
    from zeerec.data import find_files, has_data, is_synthetic
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
    find_files(folder)  # raises a MissingDataError that says what is missing and where
    return DataChoice(folder, is_synthetic(folder), f"files in {folder}")


# --------------------------------------------------------------------------- running


def _default_kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "zeerec" in specs:
        return "zeerec"
    _say("note: Jupyter kernel 'zeerec' is not registered (run `make setup`); using python3.")
    return "python3"


def _parse_value(text: str) -> Any:
    import ast

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
            raise ReportError(f"Parameter {pair!r} is not of the form name=value (e.g. k=20).")
        params[name.strip()] = _parse_value(value.strip())
    return params


def _kernel_transport() -> dict:
    """Talk to the notebook kernels over local Unix sockets where there are any.

    Over TCP, ipykernel 7 warns once per notebook that traffic is unencrypted; IPC
    sockets live in Jupyter's runtime folder, are removed with the kernel and open no
    port. Windows has no IPC transport in ZeroMQ, so there the default (TCP) stays.
    """
    if os.name != "posix":
        return {}
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

    return {"kernel_manager_class": IPCKernelManager}


def _notebooks(folder: Path, only: list[str] | None) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks in order (those starting with ``only``'s prefixes)."""
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        notebooks = [nb for nb in notebooks if any(nb.stem.startswith(o) for o in only)]
    if not notebooks:
        raise ReportError(f"No notebooks NN_*.ipynb found in {folder}.")
    return notebooks


def _declared_parameters(notebooks: list[Path], parameters: Mapping[str, Any]) -> dict:
    """Each notebook's declared parameters; a parameter no notebook declares is an error."""
    import papermill as pm

    declared = {nb: pm.inspect_notebook(str(nb)) for nb in notebooks}
    unused = set(parameters) - {p for d in declared.values() for p in d}
    if unused:
        known = sorted({p for d in declared.values() for p in d} - set(RUNNER_PARAMETERS))
        raise ReportError(
            f"Parameter(s) {', '.join(sorted(unused))} are not used by any notebook. "
            f"Known parameters: {', '.join(known)}."
        )
    return declared


@contextlib.contextmanager
def _kernel_environment() -> Iterator[None]:
    """Figures must reach the HTML whatever backend the caller's shell asks for (CI sets
    MPLBACKEND=Agg, under which plt.show() in a kernel draws nothing); the metrics file
    variable is set per notebook. Both are restored afterwards."""
    saved = {name: os.environ.get(name) for name in (METRICS_ENV, "MPLBACKEND")}
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _execute(
    nb: Path, executed: Path, params: dict, kernel: str, reports_dir: Path, transport: dict
) -> float:
    """Run one notebook with papermill; its wall time, or a ReportError naming the cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb),
            str(executed),
            parameters=params,
            kernel_name=kernel,
            cwd=str(nb.parent),
            progress_bar=False,
            log_output=False,
            **transport,
        )
    except PapermillExecutionError as err:
        failed = reports_dir / "failed"
        failed.mkdir(exist_ok=True)
        kept = failed / nb.name
        if executed.exists():
            shutil.copyfile(executed, kept)
        raise ReportError(
            f"Notebook {nb.name} failed in cell {err.exec_count} "
            f"(cell index {err.cell_index}): {err.ename}: {err.evalue}\n"
            f"The partial executed notebook is kept at {kept}; the previous reports "
            f"in {reports_dir} are unchanged."
        ) from err
    return time.perf_counter() - start


def _publish(staging: Path, reports_dir: Path, notebooks, metrics: dict, data, only) -> None:
    """Write metrics.json and index.html, then move every page into place (atomic renames)."""
    if only and (reports_dir / "metrics.json").is_file():
        previous = json.loads((reports_dir / "metrics.json").read_text())
        merged = {**previous.get("notebooks", {}), **metrics["notebooks"]}
        metrics["notebooks"] = dict(sorted(merged.items()))
    atomic_write(staging / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
    atomic_write(staging / "index.html", index_html(metrics, data))
    for nb in notebooks:
        os.replace(staging / f"{nb.stem}.html", reports_dir / f"{nb.stem}.html")
    os.replace(staging / "metrics.json", reports_dir / "metrics.json")
    os.replace(staging / "index.html", reports_dir / "index.html")
    shutil.rmtree(reports_dir / "failed", ignore_errors=True)


def run_report(
    data: DataChoice,
    parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | os.PathLike = "notebooks",
    reports_dir: str | os.PathLike = "reports",
    processed_dir: str | os.PathLike = "data/processed",
    model_dir: str | os.PathLike = "data/models",
    kernel: str | None = None,
    only: list[str] | None = None,
) -> dict:
    """Execute every ``NN_*.ipynb`` in order; on success replace the reports, else raise."""
    notebooks_dir, reports_dir = Path(notebooks_dir).resolve(), Path(reports_dir).resolve()
    notebooks = _notebooks(notebooks_dir, only)
    parameters = dict(parameters or {})
    declared = _declared_parameters(notebooks, parameters)
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
    transport = _kernel_transport()
    _say(f"Running {len(notebooks)} notebook(s) on {data.how} with kernel '{kernel}'.")
    try:
        with _kernel_environment():
            for i, nb in enumerate(notebooks, 1):
                metrics_file = staging / "metrics" / f"{nb.stem}.json"
                os.environ[METRICS_ENV] = str(metrics_file)
                params = {
                    k: v for k, v in {**runner_values, **parameters}.items() if k in declared[nb]
                }
                _say(f"[{i}/{len(notebooks)}] {nb.stem} ...")
                wall = _execute(nb, staging / nb.name, params, kernel, reports_dir, transport)
                render_html(staging / nb.name, staging / f"{nb.stem}.html", banner)
                _say(f"[{i}/{len(notebooks)}] {nb.stem} done in {wall:.1f} s")
                values = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
                metrics["notebooks"][nb.stem] = {
                    "title": notebook_title(nb),
                    "status": "ok",
                    "wall_time_s": round(wall, 2),
                    "parameters": _jsonable(params),
                    "metrics": values,
                }
        _publish(staging, reports_dir, notebooks, metrics, data, only)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    total = sum(e["wall_time_s"] for e in metrics["notebooks"].values())
    _say(f"Reports written to {reports_dir} (notebooks took {total:.1f} s).")
    return metrics
