"""The runner and notebook 08: left out with the reason where Spark cannot run or was
not asked for, and (with Spark) run on a small sample with its figures asserted."""

from __future__ import annotations

import json
import os

import pytest
from conftest import run_notebooks, write_notebook

from zeerec import report
from zeerec.spark.session import unavailable_reason
from zeerec.synthetic import generate


@pytest.mark.notebooks
def test_spark_notebook_not_run_is_listed_with_the_reason(tmp_path, monkeypatch):
    books = tmp_path / "notebooks"
    books.mkdir()
    write_notebook(books / "01_ok.ipynb", "from zeerec.report import record\nrecord(answer=42)")
    write_notebook(books / "08_spark_als.ipynb", "raise RuntimeError('must not run')")
    sample = generate(tmp_path / "sample", scale=0.02, seed=1)
    monkeypatch.setenv(report.SPARK_ENV, "0")
    reports = tmp_path / "reports"
    got = report.run_report(
        report.resolve_data(str(sample)), notebooks_dir=books, reports_dir=reports,
        kernel="python3",
    )  # fmt: skip
    entry = got["notebooks"]["08_spark_als"]
    assert entry["status"] == "not run" and "ZEEREC_SPARK=0" in entry["reason"]
    assert got["notebooks"]["01_ok"]["status"] == "ok"
    index = (reports / "index.html").read_text()
    card = index[index.index("id='card-08_spark_als'") :]
    assert "not run: not asked for" in card[: card.index("</a>")]
    assert not (reports / "08_spark_als.html").exists()
    on_disk = json.loads((reports / "metrics.json").read_text())
    assert on_disk["notebooks"]["08_spark_als"]["status"] == "not run"


def test_without_spark_the_reason_names_what_is_missing(monkeypatch):
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = unavailable_reason()
    assert reason is not None
    assert "Java" in reason or "PySpark" in reason


@pytest.mark.notebooks
@pytest.mark.skipif(
    unavailable_reason() is not None and os.environ.get("ZEEREC_REQUIRE_SPARK") != "1",
    reason=f"Spark tests skipped: {unavailable_reason()}",
)
def test_notebook_08_on_a_small_sample(tmp_path, monkeypatch):
    monkeypatch.setenv(report.SPARK_ENV, "1")
    sample = generate(tmp_path / "sample", scale=0.05, seed=3)
    params = {
        "top_n": 5,
        "max_iter": 5,
        "ranks": [4, 8],
        "regs": [0.1],
        "implicit_ranks": [8],
        "implicit_regs": [1.0],
        "alphas": [1.0, 10.0],
        "mf_epochs": 2,
        "time_masters": None,
    }
    got = run_notebooks(sample, tmp_path / "out", params, ["08"])["notebooks"]["08_spark_als"]
    m = got["metrics"]
    assert got["status"] == "ok"
    assert m["same_split_as_zeerec"] is True
    assert m["als_rank"] in (4, 8) and len(m["star_validation"]) == 2
    assert 0.5 < m["als_rmse"] < 1.3  # stars 1-5: far better than guessing
    assert 0 < m["ials_precision"] <= 1 and 0 < m["ease_precision"] <= 1
