"""The reading view of an executed notebook: what zeerec's report template is given.

:func:`reading_view` takes the notebook papermill executed and returns the cells a
reviewer reads (the parameters cells replaced by a table, the title and question moved
to the header, figures numbered and captioned, logs marked for folding) and the header's
context: findings, provenance and parameters. :mod:`zeerec.pages` renders it.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeerec import provenance

LOG_TAG = "log"  # a code cell whose printout is a log: folded in the report
FOLD_LINES = 25  # any printout longer than this is folded too
CAPTION_KEY = "caption"  # cell metadata: the caption of the figure the cell draws
FINDINGS_KEY = "findings"  # cell metadata: the recorded values the header shows
MAIN_FIGURE_TAG = "main-figure"  # the figure index.html shows (default: the first)
DROPPED_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag"}
FIND_LIMIT = 5
SEED = re.compile(r"seed|\w+_seed|random_state")  # parameters that seed a random step


@dataclass
class ReadingView:
    notebook: Any  # the nbformat notebook to render
    context: dict  # resources.zeerec for the template
    thumbnail: str | None = None
    thumbnail_caption: str = ""


def title_and_question(nb, fallback: str) -> tuple[str, str]:
    """The first ``# `` heading and the markdown that follows it in the same cell."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            for i, line in enumerate(lines):
                if line.startswith("# "):
                    return line[2:].strip(), "\n".join(lines[i + 1 :]).strip()
    return fallback, ""


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


# --------------------------------------------------------------------------- parameters


def declared_parameters(source: str) -> list[dict[str, str]]:
    """``name = value  # comment`` lines of a parameters cell, in order."""
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        rest = lines[node.end_lineno - 1][node.end_col_offset :].strip()
        found.append(
            {
                "name": node.targets[0].id,
                "default": ast.get_source_segment(source, node.value) or "",
                "comment": rest.lstrip("#").strip(),
            }
        )
    return found


def _shown_value(value: Any, root: Path) -> str:
    if isinstance(value, str) and ("/" in value or "\\" in value):
        return repr(provenance.short_path(value, root))
    return repr(value)


def parameter_rows(nb, root: Path) -> list[dict[str, Any]]:
    """Every declared parameter with its value in this run, as shown (paths relative to
    ``root``), and whether the run set it."""
    injected = dict(nb.metadata.get("papermill", {}).get("parameters", {}))
    cell = next((c for c in nb.cells if "parameters" in _tags(c)), None)
    rows = declared_parameters(cell.source) if cell is not None else []
    for row in rows:
        row["set"] = row["name"] in injected
        row["value"] = _shown_value(injected[row["name"]], root) if row["set"] else row["default"]
    return rows


# --------------------------------------------------------------------------- findings


def format_value(value: Any, percent: bool = False) -> str | None:
    """A recorded value as a reader wants it: counts with thousands separators, other
    numbers to four significant digits, a share (``percent``) as a percentage."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and percent:
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:#.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(value[:3]) + (", …" if len(value) > 3 else "")
    return None


def findings(nb, recorded: dict) -> list[dict[str, str]]:
    """The recorded values named by the findings cell's metadata, labelled and formatted."""
    specs: list[str] = []
    for cell in nb.cells:
        specs = specs or list(cell.get("metadata", {}).get(FINDINGS_KEY, []))
    return pick_findings(recorded, specs)


def pick_findings(recorded: dict, specs: list[str] | None = None) -> list[dict[str, str]]:
    """``specs``' values from ``recorded``, labelled and formatted (at most FIND_LIMIT);
    without specs, the first scalar values recorded."""
    keys = specs or [k for k, v in recorded.items() if isinstance(v, int | float | str)]
    rows = []
    for spec in keys:  # "key", "key:%" (a share), either with "=label"
        left, _, label = spec.partition("=")
        key, _, how = left.partition(":")
        shown = format_value(recorded.get(key), how == "%") if key in recorded else None
        if shown is not None:
            rows.append({"label": label or key.replace("_", " "), "value": shown})
    return rows[:FIND_LIMIT]


# --------------------------------------------------------------------------- provenance


def _when(text: str | None) -> str:
    if not text:
        return "unknown"
    stamp = dt.datetime.fromisoformat(text)
    return stamp.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _files_row(label: str, folder: str | None, root: Path) -> dict[str, Any] | None:
    files = provenance.input_files(folder)
    if not files:
        return None
    return {
        "label": label,
        "value": provenance.short_path(folder, root),
        "files": [{"name": f.path.name, "size": f"{f.size:,}", "sha256": f.sha256} for f in files],
    }


def source_notebook(nb, executed: Path) -> Path:
    """The notebook papermill ran (the executed copy may sit in a staging folder)."""
    given = nb.metadata.get("papermill", {}).get("input_path")
    return Path(given).resolve() if given else Path(executed).resolve()


def provenance_rows(nb, notebook: Path, params: list[dict]) -> list[dict[str, Any]]:
    """Data files and checksums, commit, date, wall time, versions and seeds of a run
    (``notebook``: the source notebook, in the project's ``notebooks/``; ``params``:
    its :func:`parameter_rows`)."""
    root = notebook.parent.parent
    meta = nb.metadata.get("papermill", {})
    given = meta.get("parameters", {})
    raw = given.get("data_dir") or provenance.source_of(given.get("processed_dir"))
    rows = [
        _files_row("data", raw, root),
        _files_row("tables read", given.get("processed_dir"), root)
        if "data_dir" not in given
        else None,
    ]
    seeds = [f"{p['name']} = {p['value']}" for p in params if SEED.fullmatch(p["name"])]
    git = provenance.git_state(notebook.parent)
    commit = "not a git checkout" if git["commit"] is None else str(git["short"])
    if git["dirty"]:
        commit += " + uncommitted changes"
    versions = provenance.versions()
    duration = meta.get("duration")
    rows += [
        {"label": "commit", "value": commit},
        {
            "label": "run",
            "value": f"{_when(meta.get('end_time'))}, wall time "
            + (f"{duration:,.1f} s" if duration is not None else "unknown"),
        },
        {"label": "libraries", "value": ", ".join(f"{k} {v}" for k, v in versions.items())},
        {
            "label": "seeds",
            "value": ", ".join(seeds) or "none declared",
        },
    ]
    return [r for r in rows if r is not None]


# --------------------------------------------------------------------------- cells


def _heading(cell) -> str | None:
    found = re.findall(r"^#{2,3} +(.+)$", cell.source, re.M)
    return found[-1].strip() if found else None


def _failure(nb) -> str:
    for cell in nb.cells:
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            error = next((o for o in cell.outputs if o.output_type == "error"), None)
            what = f": {error.ename}: {error.evalue}" if error is not None else ""
            return f" in cell [{cell.get('execution_count')}]{what}"
    return ""


def reading_cells(nb) -> tuple[list, tuple[str, str] | None]:
    """The cells a reader sees, figures numbered and captioned, logs marked for folding;
    and the main figure (PNG base64, caption) for the index page."""
    cells, figures, section = [], [], ""
    skipped_title = False
    for cell in nb.cells:
        if _tags(cell) & DROPPED_TAGS:
            continue
        if cell.cell_type == "markdown":
            if not skipped_title and cell.source.lstrip().startswith("# "):
                skipped_title = True  # the title and question are in the header
                continue
            section = _heading(cell) or section
        elif cell.cell_type == "code":
            if LOG_TAG in _tags(cell):
                lines = sum(o.get("text", "").count("\n") for o in cell.outputs)
                cell.metadata["zeerec_fold"] = f"log ({lines:,} lines): show"
            for output in cell.outputs:
                if "image/png" not in output.get("data", {}):
                    continue
                caption = cell.metadata.get(CAPTION_KEY) or section
                output.metadata["zeerec_figure"] = {"number": len(figures) + 1, "caption": caption}
                figures.append((output.data["image/png"], caption, MAIN_FIGURE_TAG in _tags(cell)))
        cells.append(cell)
    main = next((f for f in figures if f[2]), figures[0] if figures else None)
    return cells, (main[0], main[1]) if main else None


def reading_view(nb, notebook: Path, recorded: dict) -> ReadingView:
    """Everything the template needs to render ``nb`` (executed from ``notebook``)."""
    notebook = source_notebook(nb, notebook)
    root = notebook.parent.parent
    title, question = title_and_question(nb, notebook.stem)
    params = parameter_rows(nb, root)
    set_here = [p["name"] for p in params if p["set"]]
    failure = _failure(nb)
    context = {
        "name": notebook.stem,
        "title": title,
        "question": question,
        "findings": findings(nb, recorded),
        "provenance": provenance_rows(nb, notebook, params),
        "parameters": params,
        "params_summary": f"{len(params)} knobs, "
        + (f"set for this run: {', '.join(set_here)}" if set_here else "all at their defaults"),
        "status": "failed"
        if failure or nb.metadata.get("papermill", {}).get("exception")
        else "ok",
        "failure": failure,
        "fold_lines": FOLD_LINES,
    }
    nb.cells, main = reading_cells(nb)
    view = ReadingView(nb, context)
    if main:
        view.thumbnail = f"data:image/png;base64,{main[0].strip()}"
        view.thumbnail_caption = main[1]
    return view
