"""The HTML a reviewer reads: each executed notebook rendered, the banner, the index page."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from zeerec.files import atomic_write

HEADLINE_KEY = "headline_table"  # a recorded table under this key is shown on index.html


def notebook_title(path: Path) -> str:
    """The first markdown heading of a notebook, else its file name."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def banner_html(data: Any) -> str:
    """The SYNTHETIC DATA banner for a :class:`zeerec.report.DataChoice` (empty for real data)."""
    if not data.synthetic:
        return ""
    return (
        '<div style="background:#fff3cd;border:3px solid #d39e00;color:#533f03;'
        'padding:12px 18px;margin:12px auto;max-width:1100px;font:600 16px/1.4 sans-serif">'
        "&#9888; SYNTHETIC DATA &mdash; every figure in this report comes from zeerec's "
        "generated sample, not from MovieLens. "
        f"<span style='font-weight:400'>Source: {html.escape(data.how)}. For real results run "
        "<code>make report DATA=/path/to/ml-1m</code>.</span></div>"
    )


def render_html(notebook: Path, target: Path, banner: str) -> None:
    """Render an executed notebook to standalone HTML, the banner first thing on the page."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_filename(
        str(notebook), resources={"metadata": {"name": notebook_title(notebook)}}
    )
    if banner:
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, body, count=1)
    atomic_write(target, body)


def _headline(values: Mapping[str, Any], limit: int = 6) -> str:
    parts = []
    for key, value in values.items():
        if key == HEADLINE_KEY:
            continue
        if isinstance(value, bool) or isinstance(value, list | dict) or value is None:
            continue
        if isinstance(value, float):
            shown = f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        parts.append(f"{html.escape(key.replace('_', ' '))}: <b>{html.escape(shown)}</b>")
        if len(parts) == limit:
            break
    return "; ".join(parts)


def index_html(metrics: dict, data: Any) -> str:
    """The front page: one row per notebook, then the headline tables (``data``: the run's
    :class:`zeerec.report.DataChoice`)."""
    rows = []
    for name, entry in metrics["notebooks"].items():
        rows.append(
            "<tr>"
            f"<td><a href='{html.escape(name)}.html'>{html.escape(entry['title'])}</a></td>"
            f"<td>{html.escape(entry['status'])}</td>"
            f"<td style='text-align:right'>{entry['wall_time_s']:.1f} s</td>"
            f"<td>{_headline(entry['metrics'])}</td>"
            "</tr>"
        )
    total = sum(e["wall_time_s"] for e in metrics["notebooks"].values())
    headlines = "".join(
        f"<h2>{html.escape(entry['title'])}</h2>"
        + pd.DataFrame(entry["metrics"][HEADLINE_KEY]).to_html(
            index=False, float_format=lambda v: f"{v:.3f}", border=0
        )
        for entry in metrics["notebooks"].values()
        if entry["metrics"].get(HEADLINE_KEY)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>zeerec reports</title>
<style>
body {{ font: 15px/1.5 sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 10px; vertical-align: top;
          text-align: left; }}
th {{ background: #f4f4f4; }}
</style></head><body>
{banner_html(data)}
<h1>zeerec reports</h1>
<p>Generated {html.escape(metrics["generated"])} from <b>{html.escape(data.how)}</b>
({html.escape(str(data.folder))}); all notebooks ran in {total:.1f} s.
Every figure below is also in <a href="metrics.json">metrics.json</a>.
Key figures are the first values each notebook records; its report explains them.
Each notebook makes its own split of the ratings (05: a random 80/20 split as in the
case study; 07: each user's ratings split 75/25), so the same model can score
differently on two lines.</p>
<table><tr><th>Report</th><th>Status</th><th>Wall time</th><th>Key figures</th></tr>
{"".join(rows)}
</table>
{headlines}
</body></html>
"""
