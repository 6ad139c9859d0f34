"""The report runner, end to end on a small synthetic sample (the notebook smoke test)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import run_notebooks, write_notebook

from zeerec import cli, report
from zeerec.download import DownloadError
from zeerec.synthetic import SYNTHETIC_MARKER, generate

SCALE = 0.05


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("sample"), scale=SCALE, seed=7)


@pytest.fixture(scope="module")
def run(sample, tmp_path_factory):
    """Run notebooks 01-02 once through the same runner `make report` uses."""
    out = tmp_path_factory.mktemp("run")
    metrics = run_notebooks(sample, out, {"top_n": 5}, ["01", "02"])
    return out, metrics, json.loads((sample / SYNTHETIC_MARKER).read_text())


@pytest.mark.notebooks
def test_load_clean_records_the_sample_counts(run):
    out, metrics, marker = run
    m = metrics["notebooks"]["01_load_clean"]["metrics"]
    assert m["ratings"] == marker["n_ratings"]
    assert m["users"] == marker["n_users"]
    assert m["movies"] == marker["n_movies"]
    assert m["titles_without_year"] == 0
    assert m["dropped_rows"] == 0
    assert m["synthetic"] is True
    assert 1919 <= m["first_year"] <= m["last_year"] <= 2000
    assert 3.0 < m["mean_rating"] < 4.2  # ML-1M's star shares give a mean of about 3.6
    on_disk = json.loads((out / "reports" / "metrics.json").read_text())
    assert on_disk["notebooks"]["01_load_clean"]["metrics"] == m
    assert on_disk["data"]["synthetic"] is True


@pytest.mark.notebooks
def test_eda_ranks_honestly(run):
    _, metrics, marker = run
    m = metrics["notebooks"]["02_eda"]["metrics"]
    assert m["n_ratings"] == marker["n_ratings"]
    assert len(m["top_rated"]) == 5  # the top_n parameter reached the notebook
    # The naive mean is topped by movies with very few votes; the weighted list is not.
    assert m["top_rated_min_votes"] > m["naive_top_min_votes"]
    assert m["max_ratings_per_user"] > 3 * m["median_ratings_per_user"]


@pytest.mark.notebooks
def test_reports_render_every_figure_with_banner(run):
    out, metrics, _ = run
    reports = out / "reports"
    index = (reports / "index.html").read_text()
    assert "SYNTHETIC DATA" in index
    for name in ("01_load_clean", "02_eda"):
        page = (reports / f"{name}.html").read_text()
        assert "SYNTHETIC DATA" in page
        assert page.index("SYNTHETIC DATA") < page.index("<h1")
        assert f"{name}.html" in index
        assert "Traceback" not in page and "Error" not in page.split("</style>")[-1]
    eda = (reports / "02_eda.html").read_text()
    assert eda.count("data:image/png;base64") >= 12
    assert not list(reports.glob(".staging-*"))
    assert metrics["notebooks"]["02_eda"]["wall_time_s"] > 0


@pytest.mark.notebooks
def test_failing_notebook_keeps_previous_reports(sample, tmp_path):
    books = tmp_path / "notebooks"
    books.mkdir()
    write_notebook(
        books / "01_ok.ipynb",
        "from zeerec.report import record\n"
        "record(answer=42, headline_table=[{'model': 'EASE', 'ndcg': 0.51234}])",
    )
    reports = tmp_path / "reports"
    data = report.resolve_data(str(sample))
    good = report.run_report(data, notebooks_dir=books, reports_dir=reports, kernel="python3")
    assert good["notebooks"]["01_ok"]["metrics"]["answer"] == 42
    index = (reports / "index.html").read_text()
    assert "answer: <b>42</b>" in index
    assert "<td>EASE</td>" in index and "<td>0.512</td>" in index  # the headline table
    before = {p.name: p.read_bytes() for p in reports.iterdir() if p.is_file()}

    write_notebook(books / "02_bad.ipynb", "y = 2", "raise ValueError('planted failure')")
    with pytest.raises(report.ReportError) as err:
        report.run_report(data, notebooks_dir=books, reports_dir=reports, kernel="python3")
    message = str(err.value)
    assert "02_bad.ipynb" in message and "ValueError: planted failure" in message
    assert "cell index 3" in message
    assert (reports / "failed" / "02_bad.ipynb").is_file()
    assert (reports / "failed" / "02_bad.html").is_file()
    after = {p.name: p.read_bytes() for p in reports.iterdir() if p.is_file()}
    changed = {name for name in before if after.get(name) != before[name]}
    assert set(after) == set(before) and changed == {"index.html"}  # good pages untouched
    index = (reports / "index.html").read_text()
    card = index[index.index("id='card-02_bad'") :]
    assert "failed in cell [3]: ValueError: planted failure" in card[: card.index("</a>")]
    assert "href='failed/02_bad.html'" in index
    assert "answer: <b>42</b>" in index  # the last good findings stay on the front page
    assert not list(reports.glob(".staging-*"))


@pytest.mark.notebooks
@pytest.mark.skipif(os.name != "posix", reason="ZeroMQ has no IPC transport on Windows")
def test_kernels_run_over_ipc_without_the_tcp_warning(sample, tmp_path, capfd):
    metrics = run_notebooks(sample, tmp_path, {}, ["01"])
    assert metrics["notebooks"]["01_load_clean"]["status"] == "ok"
    out, err = capfd.readouterr()
    assert "01_load_clean done" in out + err
    assert "without encryption" not in out + err


def test_unknown_parameter_is_refused(tmp_path, sample):
    books = tmp_path / "notebooks"
    books.mkdir()
    write_notebook(books / "01_a.ipynb", params="movie = 'x'")
    with pytest.raises(report.ReportError, match="moive.*not used by any notebook.*movie"):
        report.run_report(
            report.resolve_data(str(sample)),
            {"moive": "Liar Liar"},
            notebooks_dir=books,
            reports_dir=tmp_path / "r",
        )


def test_parse_parameters():
    assert report.parse_parameters(["movie=Liar Liar", "k=20", "x=0.5", "s='a b'"]) == {
        "movie": "Liar Liar",
        "k": 20,
        "x": 0.5,
        "s": "a b",
    }
    with pytest.raises(report.ReportError, match="name=value"):
        report.parse_parameters(["oops"])


def test_auto_falls_back_to_sample_loudly(tmp_path, monkeypatch, capsys):
    def offline(dest, **_):
        raise DownloadError("the download failed (offline)")

    monkeypatch.setattr("zeerec.download.fetch_ml1m", offline)
    choice = report.resolve_data(
        "auto", raw_dir=tmp_path / "raw", sample_dir=tmp_path / "sample", scale=0.02
    )
    assert choice.synthetic and (tmp_path / "sample" / SYNTHETIC_MARKER).is_file()
    assert "SYNTHETIC sample" in capsys.readouterr().err


def test_auto_prefers_files_in_raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    generate(tmp_path / "gen", scale=0.02)
    for name in ("zee-movies.dat", "zee-users.dat", "zee-ratings.dat"):
        shutil.copy(tmp_path / "gen" / name, raw / name)
    choice = report.resolve_data("auto", raw_dir=raw, sample_dir=tmp_path / "sample")
    assert choice.folder == raw and not choice.synthetic


def test_record_outside_runner_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(report.METRICS_ENV, raising=False)
    assert report.record(a=1.23456789, b=[1, 2]) == {"a": 1.234568, "b": [1, 2]}
    target = tmp_path / "m.json"
    monkeypatch.setenv(report.METRICS_ENV, str(target))
    report.record(a=1)
    report.record(b=2)
    assert json.loads(target.read_text()) == {"a": 1, "b": 2}


def test_cli_reports_missing_data_with_exit_2(tmp_path, capsys):
    code = cli.main(["report", "--data", str(tmp_path / "none")])
    assert code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "make data" in err


def test_notebooks_wait_for_what_they_read():
    books = [Path(f"{name}.ipynb") for name in report.READS_FROM] + [Path("09_mine.ipynb")]
    waits = report._waits_for(books)
    by = {nb.stem: {w.stem for w in before} for nb, before in waits.items()}
    assert by["01_load_clean"] == set()
    assert by["06_user_based"] == {"01_load_clean", "05_matrix_factorization"}
    assert by["07_evaluation"] == {"01_load_clean"}
    assert by["09_mine"] == set(report.READS_FROM)  # not listed: after every earlier one
    two = [nb.stem for nb in report._start_order(books, waits, jobs=2)]
    assert two[:2] == ["01_load_clean", "05_matrix_factorization"]  # 06 waits on 05
    one = [nb.stem for nb in report._start_order(books, waits, jobs=1)]
    assert one == [nb.stem for nb in books]
    only = [Path("05_matrix_factorization.ipynb"), Path("06_user_based.ipynb")]
    assert {w.stem for w in report._waits_for(only)[only[1]]} == {"05_matrix_factorization"}


@pytest.mark.notebooks
def test_notebooks_run_side_by_side_each_with_its_own_metrics(sample, tmp_path):
    """05 and 07 run at the same time once 01 is done, 06 only after 05; each kernel is
    told its own metrics file and runs in the notebooks' folder; each page's header shows
    its own findings; metrics.json keeps the notebooks' order and says how it ran."""
    books = tmp_path / "notebooks"
    books.mkdir()
    body = (
        "import os, time\n"
        "from zeerec.report import record\n"
        "start = time.time(); time.sleep(3)\n"
        "record(name=os.environ['ZEEREC_NOTEBOOK'], cwd=os.getcwd(), start=start,"
        " end=time.time())"
    )
    names = ["01_load_clean", "05_matrix_factorization", "06_user_based", "07_evaluation"]
    for name in names:
        write_notebook(books / f"{name}.ipynb", body)
        nb = nbformat.read(books / f"{name}.ipynb", as_version=4)
        nb.cells[-1].metadata["findings"] = ["name=the notebook that ran"]
        nbformat.write(nb, books / f"{name}.ipynb")
    data = report.resolve_data(str(sample))
    reports = tmp_path / "reports"
    here = os.getcwd()
    out = report.run_report(data, notebooks_dir=books, reports_dir=reports, kernel="python3")
    assert os.getcwd() == here  # the runner's own folder never moved
    assert list(out["notebooks"]) == names
    assert out["jobs"] == report.DEFAULT_JOBS == 2 and out["elapsed_s"] > 0
    m = {name: out["notebooks"][name]["metrics"] for name in names}
    for name in names:
        assert m[name]["name"] == name and m[name]["cwd"] == str(books)
        header = (reports / f"{name}.html").read_text().split("</header>")[0]
        assert f"the notebook that ran</span> <b>{name}</b>" in header
    assert m["05_matrix_factorization"]["start"] >= m["01_load_clean"]["end"]
    assert m["07_evaluation"]["start"] >= m["01_load_clean"]["end"]
    assert m["06_user_based"]["start"] >= m["05_matrix_factorization"]["end"]
    assert m["07_evaluation"]["start"] < m["05_matrix_factorization"]["end"]  # side by side
    assert m["05_matrix_factorization"]["start"] < m["07_evaluation"]["end"]
    index = (reports / "index.html").read_text()
    assert f"the run took {out['elapsed_s']:.1f} s with up to 2 notebooks side by side" in index


@pytest.mark.notebooks
def test_two_failures_side_by_side_are_both_shown(sample, tmp_path):
    books = tmp_path / "notebooks"
    books.mkdir()
    write_notebook(books / "01_load_clean.ipynb", "y = 1")
    for name in ("05_matrix_factorization", "07_evaluation"):
        write_notebook(books / f"{name}.ipynb", f"raise ValueError('{name} planted')")
    data = report.resolve_data(str(sample))
    reports = tmp_path / "reports"
    with pytest.raises(report.ReportError) as err:
        report.run_report(data, notebooks_dir=books, reports_dir=reports, kernel="python3")
    assert "05_matrix_factorization planted" in str(err.value)  # the first in their order
    index = (reports / "index.html").read_text()
    for name in ("05_matrix_factorization", "07_evaluation"):
        card = index.split(f"id='card-{name}'")[1].split("</a>")[0]
        assert f"ValueError: {name} planted" in card
        assert (reports / "failed" / f"{name}.html").is_file()


@pytest.mark.notebooks
def test_a_kernel_that_dies_is_a_report_error_with_its_card(sample, tmp_path):
    books = tmp_path / "notebooks"
    books.mkdir()
    write_notebook(books / "01_load_clean.ipynb", "y = 1")
    write_notebook(books / "05_matrix_factorization.ipynb", "import os\nos._exit(1)")
    write_notebook(books / "07_evaluation.ipynb", "z = 3")
    data = report.resolve_data(str(sample))
    reports = tmp_path / "reports"
    with pytest.raises(report.ReportError) as err:
        report.run_report(data, notebooks_dir=books, reports_dir=reports, kernel="python3")
    assert "05_matrix_factorization.ipynb failed: its kernel died" in str(err.value)
    assert "JOBS=1" in str(err.value)
    card = (reports / "index.html").read_text().split("id='card-05_matrix_factorization'")[1]
    assert "failed: the kernel died" in card.split("</a>")[0]
