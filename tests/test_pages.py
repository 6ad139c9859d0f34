"""The reading view, on a hand-made executed notebook (no kernel): what the header says,
what is folded, how figures are numbered, and the index cards."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from zeerec import pages, provenance, reading

# a 1 x 1 PNG: enough for the page to carry a figure
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()
PARAMETERS = (
    'data_dir = "../data/raw"  # where the three .dat files are\n'
    "seed = 42  # one seed for everything\n"
    'movie = "Liar # Liar"  # a hash inside a string is not a comment\n'
    "top_n = 10\n"
)
LOG = "".join(f"Epoch {i}/60 - loss: 0.9{i:02d} - val_rmse: 0.8{i:02d}\n" for i in range(1, 61))


def _code(source: str, outputs=(), **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    cell.outputs = list(outputs)
    return cell


def _figure() -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Fig>"})


def _executed(project: Path, data: Path, failed: bool = False) -> Path:
    """An executed notebook as papermill leaves it, its source in ``project/notebooks``."""
    source = project / "notebooks" / "09_demo.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · A demo\n\n**Question:** does the demo work?"),
        _code(PARAMETERS, tags=["parameters"]),
        _code(f'data_dir = "{data}"\ntop_n = 5\n', tags=["injected-parameters"]),
        _code("fit()", [nbformat.v4.new_output("stream", name="stdout", text=LOG)], tags=["log"]),
        nbformat.v4.new_markdown_cell("## First look\n\nSome words."),
        _code("plot()", [_figure()], caption="Ratings per star."),
        nbformat.v4.new_markdown_cell("## Second look"),
        _code("plot()", [_figure()], tags=["main-figure"]),
        _code("warn()", [nbformat.v4.new_output("stream", name="stderr", text="W: slow\n")]),
        nbformat.v4.new_markdown_cell("## Key findings"),
        _code("key = record(...)", findings=["rmse=RMSE (stars)", "gain:%=better by", "n"]),
    ]
    if failed:
        nb.cells[7].metadata["papermill"] = {"exception": True}
        nb.cells[7].execution_count = 6
        nb.cells[7].outputs = [
            nbformat.v4.new_output("error", ename="ValueError", evalue="planted", traceback=[])
        ]
    nb.metadata["papermill"] = {
        "parameters": {"data_dir": str(data), "top_n": 5},
        "input_path": str(source),
        "duration": 12.5,
        "start_time": "2026-01-02T10:00:00.000000+00:00",
        "end_time": "2026-01-02T10:00:12.500000+00:00",
        "exception": failed or None,
    }
    executed = project / "staging" / source.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    return executed


@pytest.fixture
def project(tmp_path) -> SimpleNamespace:
    """A git checkout with a notebooks folder, a data folder and recorded findings."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "tracked.txt").write_text("one\n")
    data = root / "data" / "raw"
    data.mkdir(parents=True)
    (data / "zee-ratings.dat").write_bytes(b"1::1::5::978300760\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "tracked.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    recorded = root / "recorded.json"
    recorded.write_text(json.dumps({"rmse": 0.87654, "gain": 0.1234, "n": 1234567}))
    return SimpleNamespace(root=root, data=data, commit=commit, recorded=recorded)


def _render(project, monkeypatch, failed: bool = False) -> str:
    monkeypatch.delenv(pages.METRICS_ENV, raising=False)  # the file is passed, not inherited
    executed = _executed(project.root, project.data, failed)
    target = project.root / "reports" / "09_demo.html"
    pages.render_html(executed, target, banner="<div>BANNER</div>", recorded=project.recorded)
    return target.read_text()


def test_header_has_question_findings_and_provenance(project, monkeypatch):
    page = _render(project, monkeypatch)
    header = page.split("</header>")[0]
    assert "<h1>09 · A demo</h1>" in header and "does the demo work?" in header
    assert page.index("BANNER") < page.index("<h1>")
    # the recorded findings, labelled and formatted; the percentage as a percentage
    assert "RMSE (stars)</span> <b>0.8765</b>" in header
    assert "better by</span> <b>12.3%</b>" in header
    assert "n</span> <b>1,234,567</b>" in header
    digest = hashlib.sha256((project.data / "zee-ratings.dat").read_bytes()).hexdigest()
    assert f"sha256 {digest}" in header and "data/raw" in header
    assert project.commit[:10] in header and "uncommitted" not in header
    assert "12.5 s" in header and "seed = 42" in header
    for library in ("numpy", "pandas", "scikit-learn", "tensorflow", "keras", "papermill"):
        assert f"{library} " in header


def test_dirty_tree_is_said(project, monkeypatch):
    (project.root / "tracked.txt").write_text("two\n")
    header = _render(project, monkeypatch).split("</header>")[0]
    assert f"{project.commit[:10]} + uncommitted changes" in header


def test_parameters_become_one_table(project, monkeypatch):
    page = _render(project, monkeypatch)
    body = page.split("</header>")[1]
    assert "injected" not in page.lower() and str(project.data) not in page
    assert "data_dir =" not in body  # neither parameters cell is shown as code
    table = page.split('<details class="zr-params">')[1].split("</details>")[0]
    assert "4 knobs, set for this run: data_dir, top_n" in table
    assert "<code>'data/raw'</code>" in table  # the machine's path, shortened
    assert "where the three .dat files are" in table
    assert html.escape("'Liar # Liar'") in table or "Liar # Liar" in table
    assert "a hash inside a string is not a comment" in table


def test_code_folded_prompts_hidden_logs_folded(project, monkeypatch):
    page = _render(project, monkeypatch)
    body = page.split("</header>")[1]
    codes = body.count('<details class="zr-code">')
    assert codes == body.count("jp-CodeCell ") == 5  # the two parameters cells are gone
    assert "In&nbsp;[" not in body and "Out[" not in body
    log = body.split('<details class="zr-log">')[1].split("</details>")[0]
    assert "log (60 lines): show" in log and "Epoch 60/60" in log
    assert body.count("Epoch ") == 60  # the log only once, folded
    assert '<details class="zr-log zr-stderr">' in body


def test_figures_numbered_with_captions_and_contents(project, monkeypatch):
    page = _render(project, monkeypatch)
    assert "<b>Figure 1.</b> Ratings per star." in page
    assert "<b>Figure 2.</b> Second look" in page  # no caption: the section's heading
    toc = page.split('class="zr-toc">')[1].split("</nav>")[0]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert len(anchors) == 3
    for anchor in anchors:
        assert f'id="{anchor}"' in page


def test_nothing_is_fetched_from_the_network(project, monkeypatch):
    page = _render(project, monkeypatch)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "require.js" not in page and "mathjax" not in page.lower()


def test_index_cards(project, monkeypatch):
    _render(project, monkeypatch)
    metrics = {
        "generated": "2026-01-02T10:00:13",
        "notebooks": {
            "09_demo": {
                "title": "09 · A demo",
                "status": "ok",
                "wall_time_s": 12.5,
                "metrics": {"rmse": 0.87654},
            },
            "10_other": {
                "title": "10 · Other",
                "status": "failed",
                "wall_time_s": 3.0,
                "error": " in cell [4]: KeyError: 'x'",
                "metrics": {"answer": 42},
            },
        },
    }
    data = SimpleNamespace(synthetic=True, how="synthetic sample", folder=project.data)
    index = pages.index_html(metrics, data)
    demo = index.split("id='card-09_demo'")[1].split("</a>")[0]
    assert "href='09_demo.html'" in index and "12.5 s" in demo and ">ok<" in demo
    assert "RMSE (stars): <b>0.8765</b>" in demo  # the page's findings
    assert f"data:image/png;base64,{PNG}" in demo  # the main figure, not the first
    other = index.split("id='card-10_other'")[1].split("</a>")[0]
    assert "zr-card zr-failed' id='card-10_other'" in index
    assert "failed in cell [4]: KeyError: &#x27;x&#x27;" in other
    assert "answer: <b>42</b>" in other and "no figure" in other
    assert "SYNTHETIC DATA" in index


def test_failed_notebook_says_where(project, monkeypatch):
    page = _render(project, monkeypatch, failed=True)
    assert "This notebook <b>failed</b> in cell [6]: ValueError: planted" in page
    assert re.search(r'<details class="zr-code" id="failed-cell" open', page)  # code shown


def test_declared_parameters_read_comments_and_values():
    rows = reading.declared_parameters(PARAMETERS)
    assert [r["name"] for r in rows] == ["data_dir", "seed", "movie", "top_n"]
    assert rows[2] == {
        "name": "movie",
        "default": '"Liar # Liar"',
        "comment": "a hash inside a string is not a comment",
    }
    assert rows[3]["comment"] == ""


def test_short_path_and_missing_facts(tmp_path):
    assert provenance.short_path(tmp_path / "a" / "b", tmp_path) == "a/b"
    assert provenance.short_path("/elsewhere/x", tmp_path) == "/elsewhere/x"
    assert provenance.input_files(tmp_path / "missing") == []
    assert provenance.git_state(tmp_path)["commit"] is None


def test_a_failure_is_published_beside_the_last_good_reports(project, monkeypatch):
    reports = project.root / "reports"
    (reports / "failed").mkdir(parents=True)
    good = {"title": "01 · Good", "status": "ok", "wall_time_s": 2.0, "metrics": {"n": 5}}
    metrics = {"generated": "2026-01-01T00:00:00", "notebooks": {"01_good": good}}
    (reports / "metrics.json").write_text(json.dumps(metrics))
    kept = reports / "failed" / "09_demo.ipynb"
    kept.write_bytes(_executed(project.root, project.data, failed=True).read_bytes())
    data = SimpleNamespace(synthetic=False, how="files", folder=project.data)
    source = project.root / "notebooks" / "09_demo.ipynb"
    nbformat.write(nbformat.read(kept, as_version=4), source)
    where = " in cell [6]: ValueError: planted"
    pages.publish_failure([(source, kept, where, project.recorded)], reports, data, banner="")
    index = (reports / "index.html").read_text()
    card = index.split("id='card-09_demo'")[1].split("</a>")[0]
    assert "zr-card zr-failed' id='card-09_demo'" in index
    assert "failed in cell [6]: ValueError: planted" in card
    assert "href='failed/09_demo.html'" in index and (reports / "failed" / "09_demo.html").is_file()
    assert "id='card-01_good'" in index and "n: <b>5</b>" in index  # the last good run
    assert json.loads((reports / "metrics.json").read_text()) == metrics  # untouched
