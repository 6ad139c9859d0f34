"""The HTML a reviewer reads: each executed notebook as a reading view, the banner, the index.

A report is the executed notebook rendered with zeerec's own nbconvert template
(``templates/zeerec_reading``): a header with the question, the findings the notebook
recorded and the provenance (input files and their SHA-256, commit, library versions,
seeds, wall time), then the narrative with every code cell folded behind "show code",
long logs folded, and numbered figures with captions. Nothing is fetched from the
network: the page works offline.

What the notebooks say for the reading view, in cell metadata (jupytext: ``# %% tags=...``):

- tag ``log``: the cell's printout is a log (training epochs), folded in the report;
- ``caption="..."``: the caption of the figure the cell draws (else its section heading);
- ``findings=["key=label", "key:%=label", ...]``: on the "Key findings" cell, the recorded
  values the header and the index show (3-5; ``:%`` shows a share as a percentage);
- tag ``main-figure``: the figure index.html shows (else the first).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zeerec import reading
from zeerec.files import atomic_write

HEADLINE_KEY = "headline_table"  # a recorded table under this key is shown on index.html
TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE = "zeerec_reading"
METRICS_ENV = "ZEEREC_METRICS_FILE"  # where the runner has a notebook record its findings
TOC_MARK = "<!--zeerec:toc-->"


@dataclass
class PageSummary:
    """What index.html shows of a rendered report beside the runner's metrics."""

    findings: list[dict[str, str]] = field(default_factory=list)
    thumbnail: str | None = None  # data: URI of the main figure
    caption: str = ""
    failure: str = ""


_RENDERED: dict[str, PageSummary] = {}  # stem -> summary, filled by render_html


def notebook_title(path: Path) -> str:
    """The first markdown heading of a notebook, else its file name."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return reading.title_and_question(nb, path.stem)[0]


def banner_html(data: Any) -> str:
    """The SYNTHETIC DATA banner for a :class:`zeerec.report.DataChoice` (empty for real data)."""
    if not data.synthetic:
        return ""
    return (
        '<div class="zr-banner" role="note" style="background:#fff3cd;border:3px solid #d39e00;'
        "color:#533f03;padding:12px 18px;margin:12px auto;max-width:1100px;"
        'font:600 16px/1.4 sans-serif">'
        "&#9888; SYNTHETIC DATA &mdash; every figure in this report comes from zeerec's "
        "generated sample, not from MovieLens. "
        f"<span style='font-weight:400'>Source: {html.escape(data.how)}. For real results run "
        "<code>make report DATA=/path/to/ml-1m</code>.</span></div>"
    )


def _recorded(path: Path | None) -> dict:
    """The values the notebook recorded in ``path`` (the runner's per-notebook file)."""
    import json

    try:
        return json.loads(Path(path).read_text()) if path else {}
    except (OSError, ValueError):
        return {}


def _export(nb, context: dict) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": context["title"]}, "zeerec": context}
    )
    return body


_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def with_contents(body: str) -> str:
    """Fill the header's table of contents from the section headings of the notebook."""
    items = []
    for level, anchor, inner in _HEADING.findall(body):
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        if level == "2" and text:
            items.append(f'<li><a href="#{anchor}">{html.escape(text)}</a></li>')
    return body.replace(TOC_MARK, f"<ol>{''.join(items)}</ol>" if items else "", 1)


def render_html(notebook: Path, target: Path, banner: str, recorded: Path | None = None) -> None:
    """Render an executed notebook as a reading view, the banner first thing on the page;
    ``recorded``: the file its findings were recorded in (the header's findings box)."""
    import nbformat

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    view = reading.reading_view(nb, notebook, _recorded(recorded))
    view.context["banner"] = banner
    body = with_contents(_export(view.notebook, view.context))
    atomic_write(target, body)
    _RENDERED[notebook.stem] = PageSummary(
        findings=view.context["findings"],
        thumbnail=view.thumbnail,
        caption=view.thumbnail_caption,
        failure=view.context["failure"],
    )


def publish_failure(
    failures: Sequence[tuple[Path, Path, str, Path | None]], reports_dir: Path, data, banner
) -> None:
    """After notebooks failed — each ``(nb, kept, where, recorded)``: its partial run kept
    at ``kept``, ``where`` the cell and error, ``recorded`` its findings file — their
    partial reports beside ``kept`` and an index.html that shows them as failed next to
    the last good reports, which stay as they were."""
    import datetime as dt
    import json

    previous = Path(reports_dir) / "metrics.json"
    shown = json.loads(previous.read_text()) if previous.is_file() else {}
    shown.setdefault("generated", dt.datetime.now().isoformat(timespec="seconds"))
    shown.pop("jobs", None)  # the last good run's timing no longer describes these cards
    shown.pop("elapsed_s", None)
    for nb, kept, where, recorded in failures:
        page = Path(kept).with_suffix(".html")
        if Path(kept).is_file():
            render_html(Path(kept), page, banner, recorded)
        shown.setdefault("notebooks", {})[Path(nb).stem] = {
            "title": notebook_title(Path(nb)),
            "status": "failed",
            "wall_time_s": 0.0,
            "error": where,
            "page": f"{page.parent.name}/{page.name}",
            "metrics": {},
        }
    atomic_write(Path(reports_dir) / "index.html", index_html(shown, data))


# --------------------------------------------------------------------------- index.html


def _card(name: str, entry: Mapping[str, Any]) -> str:
    page = _RENDERED.get(name, PageSummary())
    status = entry.get("status", "ok")
    findings = page.findings or reading.pick_findings(entry.get("metrics", {}))
    items = "".join(
        f"<li>{html.escape(f['label'])}: <b>{html.escape(f['value'])}</b></li>" for f in findings
    )
    failure = entry.get("error") or page.failure
    problem = (
        f"<p class='zr-card-failure'>failed{html.escape(str(failure))}</p>"
        if status == "failed"
        else ""
    )
    css = status.replace(" ", "-")
    if status == "not run":  # an optional notebook (Spark) left out: say why, no page
        problem = f"<p class='zr-card-failure'>not run: {html.escape(entry['reason'])}</p>"
        entry = {**entry, "page": f"#card-{name}"}
    thumb = (
        f"<img src='{page.thumbnail}' alt='{html.escape(page.caption)}'>"
        if page.thumbnail
        else "<div class='zr-no-figure'>no figure</div>"
    )
    return (
        f"<a class='zr-card zr-{html.escape(css)}' id='card-{html.escape(name)}' "
        f"href='{html.escape(entry.get('page', name + '.html'))}'>{thumb}<div class='zr-card-text'>"
        f"<h2>{html.escape(entry.get('title', name))}</h2>"
        f"<p class='zr-status'><span class='zr-badge'>{html.escape(status)}</span> "
        f"{float(entry.get('wall_time_s', 0)):.1f} s</p>{problem}<ul>{items}</ul></div></a>"
    )


def _headline_tables(metrics: Mapping[str, Any]) -> str:
    return "".join(
        f"<h2>{html.escape(entry['title'])}</h2>"
        + pd.DataFrame(entry["metrics"][HEADLINE_KEY]).to_html(
            index=False, float_format=lambda v: f"{v:.3f}", border=0
        )
        for entry in metrics["notebooks"].values()
        if entry.get("metrics", {}).get(HEADLINE_KEY)
    )


def index_html(metrics: dict, data: Any) -> str:
    """The front page: a card per notebook (status, wall time, findings, main figure), then
    the headline tables (``data``: the run's :class:`zeerec.report.DataChoice`)."""
    cards = "".join(_card(name, entry) for name, entry in metrics["notebooks"].items())
    total = sum(e.get("wall_time_s", 0) for e in metrics["notebooks"].values())
    jobs = metrics.get("jobs", 1)
    took = (
        f"the run took {metrics['elapsed_s']:.1f} s with up to {jobs} notebooks side by side "
        f"(their own times add up to {total:.1f} s)"
        if jobs > 1 and "elapsed_s" in metrics
        else f"all notebooks ran in {total:.1f} s"
    )
    css = (TEMPLATE_DIR / TEMPLATE / "static" / "front.css").read_text()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>zeerec reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>
{css}
</style></head><body>
{banner_html(data)}
<h1>zeerec reports</h1>
<p>Generated {html.escape(metrics["generated"])} from <b>{html.escape(data.how)}</b>
({html.escape(str(data.folder))}); {took}.
Every figure below is also in <a href="metrics.json">metrics.json</a>.
Each notebook makes its own split of the ratings (05: a random 80/20 split as in the
case study; 07: each user's ratings split 75/25), so the same model can score
differently on two cards.</p>
<div class="zr-cards">{cards}</div>
{_headline_tables(metrics)}
</body></html>
"""
