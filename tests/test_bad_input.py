"""Bad input, tried as a careless user would (issue 13).

A table of variants of a small valid data set, each an edit real files get, with its
outcome in default and strict mode, through ``data.load``, the command line and
``zeerec report --only 01``: it loads (bad rows dropped and counted) or is refused with
exit status 2 and a message naming the file, the line and what to do; no traceback.
The parser's property tests (hypothesis) follow the table.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeerec import cli
from zeerec import data as zd
from zeerec.data.ml1m import parse_ratings
from zeerec.data.quality import _Problems

MOVIES = """\
1::Toy Story (1995)::Animation|Children's|Comedy
2::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi
3::Liar Liar (1997)::Comedy
4::Night Run: The Return (1994)::Action|Thriller
5::Life Is Beautiful (La Vita è bella) (1997)::Comedy|Drama
6::Jumanji (1995)::Adventure|Children's|Fantasy
"""
USERS = """\
1::F::1::10::48067
2::M::56::16::70072
3::M::25::15::55117
4::F::45::7::02460
5::M::35::1::55455
"""
RATINGS = "".join(
    f"{u}::{m}::{(u + m) % 5 + 1}::97830{u}{m:03d}\n"
    for u in range(1, 6)
    for m in range(1, 7)
    if (u + m) % 3
)
N_RATINGS = RATINGS.count("\n")
TITLES = [line.split("::")[1] for line in MOVIES.splitlines()]

# MovieLens-100K's native layout: tab-separated ratings, |-separated items and users.
ML100K_ITEMS = "".join(
    f"{m}|{title}|01-Jan-1995||http://example.org/{m}|0|{'|'.join('1' if g == m else '0' for g in range(18))}\n"  # noqa: E501
    for m, title in enumerate(TITLES, 1)
)
ML100K_USERS = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n"
ML100K_RATINGS = "".join(
    f"{u}\t{m}\t{(u * m) % 5 + 1}\t88125{u}{m:03d}\n" for u in (1, 2, 3) for m in range(1, 7)
)


def write_base(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, text in (("movies", MOVIES), ("users", USERS), ("ratings", RATINGS)):
        (folder / f"zee-{kind}.dat").write_bytes(text.encode("iso-8859-1"))
    return folder


def edit(files: dict | None = None):
    """An edit of the base folder: each file named becomes ``fn(its bytes)`` (None removes
    it; ``*`` names every .dat file)."""
    files = files or {}

    def apply(folder: Path) -> None:
        for key, fn in files.items():
            names = [p.name for p in folder.glob("*.dat")] if key == "*" else [key]
            for name in names:
                path = folder / name
                new = fn(path.read_bytes() if path.is_file() else b"")
                path.unlink(missing_ok=True) if new is None else path.write_bytes(new)

    return apply


def insert(line: str, at: int = 3):
    """Put ``line`` at 1-based line ``at``."""

    def fn(raw: bytes) -> bytes:
        lines = raw.splitlines(keepends=True)
        return b"".join([*lines[: at - 1], line.encode("latin-1") + b"\n", *lines[at - 1 :]])

    return fn


def recode(encoding: str, bom: bytes = b""):
    return lambda raw: bom + raw.decode("iso-8859-1").encode(encoding)


def ml100k(extra_rating: str = ""):
    """The base as MovieLens-100K's native files (and no .dat files)."""
    texts = ("*", None), ("u.data", ML100K_RATINGS + extra_rating), ("u.item", ML100K_ITEMS)
    texts += ("u.user", ML100K_USERS), ("u.occupation", "other\ntechnician\nwriter\n")
    return edit({n: lambda _, t=t: t and t.encode("latin-1") for n, t in texts})


@dataclass(frozen=True)
class Loads:
    """The variant loads: ``ratings`` rows kept, ``dropped`` counted, ``note`` in the table."""

    ratings: int = N_RATINGS
    dropped: int = 0
    note: str | None = None


@dataclass(frozen=True)
class Refused:
    """The variant is refused: the message names ``file``, ``line`` and says ``todo``."""

    file: str
    line: int | None
    problem: str
    todo: str


STRICT = "Fix or remove the line, or load with strict=False"
R, M = "zee-ratings.dat", "zee-movies.dat"
BOM = b"\xef\xbb\xbf"
TWICE = object()  # the same outcome in strict mode as by default
SAME_MOVIES = MOVIES.encode("latin-1")

# name: (edit, outcome by default, outcome with strict=True)
VARIANTS = {
    "clean": (edit(), Loads(), TWICE),
    "crlf": (edit({"*": lambda b: b.replace(b"\n", b"\r\n")}), Loads(), TWICE),
    "old Mac line ends": (edit({R: lambda b: b.replace(b"\n", b"\r")}), Loads(), TWICE),
    "BOM": (edit({M: lambda b: BOM + b}), Loads(note="byte-order mark"), TWICE),
    "UTF-8": (edit({M: recode("utf-8")}), Loads(note="the file is UTF-8"), TWICE),
    "UTF-8 with BOM": (edit({M: recode("utf-8", BOM)}), Loads(note="the file is UTF-8"), TWICE),
    "trailing blank lines": (edit({R: lambda b: b + b"\n  \n\n"}), Loads(), TWICE),
    "bad lines in two checks": (  # line 3 fails the integer check, line 6 the field count
        edit({R: lambda b: insert("2::3::x::9783")(insert("1::3::4", at=5)(b))}),
        Loads(dropped=2),
        Refused(R, 3, "rating is not an integer", STRICT),
    ),
    "every line bad": (
        edit({R: lambda _: b"1,1,5,978300760\n2,1,4,978300761\n"}),
        Refused(R, None, "no valid record left", "Each line should read user_id::movie_id"),
        Refused(R, 1, "wrong number of fields", STRICT),
    ),
    "empty file": (
        edit({R: lambda _: b""}),
        Refused(R, None, "the file is empty", "Replace it with the complete file"),
        TWICE,
    ),
    "only blank lines": (
        edit({R: lambda _: b"\n\n\r\n"}),
        Refused(R, None, "holds only blank lines", "Replace it with the complete file"),
        TWICE,
    ),
    "missing file": (
        edit({"zee-users.dat": lambda _: None}),
        Refused("zee-users.dat", None, "not found", "Put zee-movies.dat"),
        TWICE,
    ),
    "binary garbage": (
        edit({R: lambda b: gzip.compress(b, mtime=0)}),
        Refused(R, None, "binary data, not text", "not a zip archive"),
        TWICE,
    ),
    "UTF-16": (
        edit({M: recode("utf-16")}),
        Refused("zee-movies.dat", None, "UTF-16 text", "save it again as plain text"),
        TWICE,
    ),
    "both name sets, identical": (
        edit({"movies.dat": lambda _: SAME_MOVIES}),
        Loads(note="movies.dat in the folder too, identical"),
        TWICE,
    ),
    "both name sets, different": (
        edit({"movies.dat": lambda _: SAME_MOVIES.replace(b"Jumanji", b"Jumanj")}),
        Refused("movies.dat", None, "two different movies files", "move or rename the one"),
        TWICE,
    ),
    "ML-100K": (ml100k(), Loads(ratings=18), TWICE),
    "ML-100K, rating 9": (
        ml100k("3\t1\t9\t881250949\n"),
        Loads(ratings=18, dropped=1),
        Refused("u.data", 19, "rating outside 1..5: '9'", STRICT),
    ),
}
# One bad line each: (file, line number, the line, the problem named in strict mode).
ONE_BAD_LINE = {
    "blank line inside": (R, 3, "", "blank line"),
    "wrong field count": (R, 3, "1::3::4", "wrong number of fields (expected 4"),
    "non-integer": (R, 3, "2::3::five::978300000", "rating is not an integer: 'five'"),
    "out of range": (R, 3, "2::3::9::978300000", "rating outside 1..5: '9'"),
    "duplicate": (R, 3, RATINGS.splitlines()[0], "duplicate rating of the same movie"),
    "unknown id": (R, 3, "99::1::4::978300000", "user id not in the users file: '99'"),
    "negative id": ("zee-users.dat", 6, "-6::F::1::10::48067", "user id outside 1..2147483647"),
}
for _name, (_file, _at, _line, _problem) in ONE_BAD_LINE.items():
    VARIANTS[_name] = (
        edit({_file: insert(_line, _at)}),
        Loads(dropped=1),
        Refused(_file, _at, _problem, STRICT),
    )
CASES = [(name, strict) for name in VARIANTS for strict in (False, True)]
IDS = [f"{name}-{'strict' if strict else 'default'}" for name, strict in CASES]
# Through the runner (a kernel each): strict mode always, default mode where it differs.
REPORT_CASES = [
    pytest.param(*case, id=i)
    for case, i in zip(CASES, IDS, strict=True)
    if case[1] or VARIANTS[case[0]][2] is not TWICE
]


def variant(tmp_path: Path, name: str) -> Path:
    folder = write_base(tmp_path / "data")
    VARIANTS[name][0](folder)
    return folder


def expected(name: str, strict: bool) -> Loads | Refused:
    _, default, in_strict = VARIANTS[name]
    return default if not strict or in_strict is TWICE else in_strict


def check_refusal(message: str, outcome: Refused) -> None:
    """The message names the file, the line (where there is one) and what to do."""
    assert outcome.file in message
    if outcome.line is not None:
        assert f"line {outcome.line}" in message
    assert outcome.problem in message and outcome.todo in message
    assert "Traceback" not in message
    if outcome.todo != STRICT:
        assert "strict=False" not in message  # no advice to do what is already done


@pytest.mark.parametrize(("name", "strict"), CASES, ids=IDS)
def test_through_data_load(tmp_path, name, strict):
    folder = variant(tmp_path, name)
    outcome = expected(name, strict)
    if isinstance(outcome, Refused):
        with pytest.raises(zd.DataError) as err:
            zd.load(folder, strict=strict)
        check_refusal(str(err.value), outcome)
        return
    ml = zd.load(folder, strict=strict)
    assert len(ml.ratings) == outcome.ratings
    dropped = ml.quality.loc[ml.quality["action"] == "dropped", "rows"].sum()
    assert dropped == outcome.dropped
    if outcome.note:
        assert ml.quality["problem"].str.contains(outcome.note, regex=False).any()
    if not name.startswith("ML-100K"):
        assert ml.movies["title"].tolist() == TITLES  # nothing garbled, nothing lost


@pytest.mark.parametrize("name", list(VARIANTS))
def test_through_the_command_line(tmp_path, capsys, name):
    folder = variant(tmp_path, name)
    outcome = expected(name, strict=False)
    code = cli.main(["similar", "Toy Story", "--data", str(folder), "--min-common", "1", "-n", "3"])
    out, err = capsys.readouterr()
    if isinstance(outcome, Refused):
        assert code == 2 and err.startswith("zeerec: ")
        check_refusal(err, outcome)
        return
    assert code == 0, err
    assert "Movies most similar to Toy Story (1995)" in out
    if outcome.dropped:
        assert f"{outcome.dropped} bad row" in err and "--only 01" in err
    else:
        assert "dropped" not in err
    if outcome.note:
        assert outcome.note in err  # what was noticed is said on the terminal too


@pytest.mark.notebooks
@pytest.mark.parametrize(("name", "strict"), REPORT_CASES)
def test_through_report_only_01(tmp_path, capfd, name, strict):
    folder = variant(tmp_path, name)
    outcome = expected(name, strict)
    out_dir = tmp_path / "out"
    argv = ["report", "--data", str(folder), "--only", "01", "--reports", str(out_dir / "r")]
    argv += ["--processed", str(out_dir / "p"), "--models", str(out_dir / "m")]
    code = cli.main(argv + (["-p", "strict=True"] if strict else []))
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    if isinstance(outcome, Refused):
        assert code == 2
        check_refusal(err, outcome)
        return
    assert code == 0, err
    metrics = json.loads((out_dir / "r" / "metrics.json").read_text())
    recorded = metrics["notebooks"]["01_load_clean"]["metrics"]
    assert (recorded["ratings"], recorded["dropped_rows"]) == (outcome.ratings, outcome.dropped)
    assert (f"{outcome.dropped:,} bad row" in err) == bool(outcome.dropped)
    assert outcome.note is None or outcome.note in err  # what was noticed is said too


# --------------------------------------------------------------------------- parameters


BAD_PARAMETERS = {
    "data_dir=/elsewhere": "Use --data /elsewhere instead",
    "processed_dir=/elsewhere": "Use --processed /elsewhere instead",
    "oops": "is not of the form name=value",
    "strict=yes": "expects True or False",
    "moive=Liar Liar": "not used by any notebook",
}


@pytest.mark.parametrize(("param", "message"), BAD_PARAMETERS.items())
def test_bad_parameters_exit_2_before_any_notebook_runs(tmp_path, capfd, param, message):
    folder = write_base(tmp_path / "data")
    argv = ["report", "--data", str(folder), "--only", "01", "--reports", str(tmp_path / "r")]
    code = cli.main([*argv, "-p", param])
    out, err = capfd.readouterr()
    assert code == 2 and message in err
    assert "Running" not in out + err  # refused before any kernel started
    assert "Traceback" not in out + err


# --------------------------------------------------------------------------- properties

VALID_PAIRS = [(u, m) for u in range(1, 6) for m in range(1, 7)]
# Not ÿ: a file starting with ÿþ is UTF-16's byte-order mark, and is refused as such.
_NO_SEPARATOR = st.characters(codec="latin-1", exclude_characters=":\n\r\x1f\x00ÿ")
GARBAGE = st.one_of(
    st.text(_NO_SEPARATOR, max_size=12),  # one field, or a blank line
    st.sampled_from(["1::2::3", "1::2::3::4::5", "::::", "1::1::5::978300760::"]),
    st.builds(
        "{}::{}::{}::978300000".format,
        *[st.integers(1, 5)] * 2,
        st.sampled_from(["x", "4.5", "", "3a", "+"]),
    ),
    st.builds(
        "1::1::{}::978300000".format, st.integers(-10, 200).filter(lambda r: not 1 <= r <= 5)
    ),
    st.builds("{}::1::3::978300000".format, st.integers(6, 10**6)),
    st.builds("1::{}::3::978300000".format, st.integers(7, 10**6)),
)
LINES = st.lists(
    st.one_of(
        st.tuples(st.just("valid"), st.sampled_from(VALID_PAIRS), st.integers(1, 5)),
        st.tuples(st.just("garbage"), GARBAGE, st.just(0)),
    ),
    max_size=25,
)


def _parse(path: Path, strict: bool):
    """The ratings file through data.load's parser, against the base's users and movies."""
    problems = _Problems(strict)
    ids = pd.Series(range(1, 7))
    return parse_ratings(path, problems, ids[:5], ids), problems.table()


@settings(max_examples=200, deadline=None, database=None)
@given(lines=LINES, newline=st.sampled_from(["\n", "\r\n"]), final=st.booleans())
def test_valid_lines_load_exactly_and_the_rest_are_counted(lines, newline, final):
    """Any mix of valid and garbage lines: the valid ones load, in order; every garbage
    line is counted (blank lines at the end are not data); strict mode stops at the
    first garbage line."""
    seen: set[tuple[int, int]] = set()
    texts, valid, bad_lines = [], [], []
    for kind, payload, stars in lines:
        if kind == "valid":
            if payload in seen:
                continue  # a second rating of the same movie would be a duplicate
            seen.add(payload)
            texts.append(f"{payload[0]}::{payload[1]}::{stars}::978300000")
            valid.append((*payload, stars))
        else:
            texts.append(payload)
            bad_lines.append(len(texts))
    last = max((i + 1 for i, t in enumerate(texts) if t.strip(" \t\x0b\x0c")), default=0)
    bad_lines = [n for n in bad_lines if n <= last]  # trailing blank lines are not data
    body = newline.join(texts) + (newline if final else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / R
        path.write_bytes(body.encode("latin-1"))
        if not valid:
            with pytest.raises(zd.DataFormatError, match=R):
                _parse(path, strict=False)
            return
        ratings, quality = _parse(path, strict=False)
        got = list(ratings[["user_id", "movie_id", "rating"]].itertuples(index=False, name=None))
        assert got == valid
        assert quality["rows"].sum() == len(bad_lines)
        if bad_lines:
            with pytest.raises(zd.DataFormatError) as err:
                _parse(path, strict=True)
            assert err.value.line == bad_lines[0]


# Accented letters whose ISO-8859-1 bytes never form UTF-8 (no byte in 0x80-0xBF): a
# file in either encoding reads back the same.
TITLE_CHARS = st.sampled_from(list("abcXYZ019 .,'&!?-()") + list("ÀÉÈÖÜÑÇàéèêöüñçåøæß"))
TITLE = st.text(TITLE_CHARS, min_size=1, max_size=30).map(lambda t: f"{t.strip() or 'x'} (1999)")


@settings(max_examples=60, deadline=None, database=None)
@given(
    titles=st.lists(TITLE, min_size=1, max_size=8),
    encoding=st.sampled_from(["iso-8859-1", "utf-8", "utf-8-sig", "cp1252"]),
)
def test_titles_read_back_in_any_encoding(titles, encoding):
    movies = "".join(f"{i}::{t}::Drama\n" for i, t in enumerate(titles, 1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_base(Path(tmp))
        (folder / "zee-movies.dat").write_bytes(movies.encode(encoding))
        ml = zd.load(folder, strict=False)
        assert ml.movies["title"].tolist() == titles
        assert not re.search("Ã|Â", "".join(ml.movies["title"]))


@pytest.mark.notebooks
def test_banner_follows_the_data_the_notebooks_read(tmp_path):
    """Notebooks after 01 read its output: the banner and metrics.json say what that was,
    whatever --data says (here: real files, while processed/ holds the synthetic sample)."""
    import nbformat

    from zeerec import report
    from zeerec.synthetic import generate

    processed, books = tmp_path / "processed", tmp_path / "notebooks"
    zd.save_processed(zd.load(generate(tmp_path / "sample", scale=0.02, seed=1)), processed)
    books.mkdir()
    cell = nbformat.v4.new_code_cell('processed_dir = "../data/processed"')
    cell.metadata["tags"] = ["parameters"]
    title = nbformat.v4.new_markdown_cell("# 02 reads processed")
    kernel = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Py"}}
    nb = nbformat.v4.new_notebook(cells=[title, cell], metadata=kernel)
    nbformat.write(nb, books / "02_reads.ipynb")
    real = report.resolve_data(str(write_base(tmp_path / "real")))
    reports = tmp_path / "reports"
    metrics = report.run_report(
        real,
        notebooks_dir=books,
        reports_dir=reports,
        **{"processed_dir": processed, "kernel": "python3"},
    )
    assert metrics["data"]["synthetic"] is True
    for page in ("02_reads.html", "index.html"):
        assert "SYNTHETIC DATA" in (reports / page).read_text()


def test_none_is_accepted_only_where_the_notebook_documents_it():
    from pathlib import Path

    from zeerec import report

    nb = Path("07_evaluation.ipynb")
    documented = {"default": "500", "help": "test users judged; None: all"}
    report._check_type(nb, "n_users", None, documented)  # "None: all" is a documented value
    with pytest.raises(report.ReportInputError, match="expects a whole number"):
        report._check_type(nb, "n_users", "all", documented)
    plain = {"default": "False", "help": "True: stop at the first invalid line"}
    with pytest.raises(report.ReportInputError, match="expects True or False"):
        report._check_type(Path("01_load_clean.ipynb"), "strict", None, plain)
