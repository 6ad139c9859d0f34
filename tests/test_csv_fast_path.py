"""The CSV releases' ratings.csv: the fast path (pyarrow, issue 14) and the careful path
it falls back to must load the same tables, report the same rows at the same lines and
stop at the same line in strict mode. Fixtures are written here, never MovieLens data."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_formats import MOVIES_CSV, RATINGS_CSV, write_csv_release

from zeerec import data as zd
from zeerec.data import reader, releases
from zeerec.data.releases import _IDS, _INTS, RATING_COLUMNS, RATINGS_HEADER


def _fast(path: Path) -> pd.DataFrame | None:
    return reader._fast_csv(path, RATING_COLUMNS, _INTS, b",", RATINGS_HEADER, _IDS)


def _load_careful(folder: Path, strict: bool = False) -> zd.MovieLens:
    """data.load with the fast path switched off: the careful path of issue 2."""
    with (
        mock.patch.object(reader, "_fast_csv", return_value=None),
        mock.patch.object(releases, "_fast_csv", return_value=None),
    ):
        return zd.load(folder, strict=strict)


def _outcome(load, folder: Path, strict: bool):
    """The tables, or the error's message."""
    try:
        ml = load(folder, strict=strict)
    except zd.DataFormatError as err:
        return str(err)
    return ml.ratings, ml.quality, ml.users, ml.info["encodings"]


def _same(folder: Path) -> None:
    for strict in (False, True):
        fast, careful = _outcome(zd.load, folder, strict), _outcome(_load_careful, folder, strict)
        assert type(fast) is type(careful)
        if isinstance(fast, str):
            assert fast == careful
            continue
        for got, expected in zip(fast[:3], careful[:3], strict=True):
            pd.testing.assert_frame_equal(got, expected)
        assert fast[3] == careful[3]


def test_clean_file_takes_the_fast_path(tmp_path):
    folder = write_csv_release(tmp_path / "r")
    rows = _fast(folder / "ratings.csv")
    assert rows is not None
    assert rows.index.tolist() == [2, 3, 4, 5, 6, 7]  # the line numbers
    assert rows["rating"].tolist() == [4.0, 4.5, 0.5, 5.0, 3.5, 2.0]
    assert rows["timestamp"].dtype == "int64" and rows["user_id"].dtype == "int32"
    _same(folder)


def test_each_path_runs_where_expected(tmp_path):
    """The comparisons below compare two different paths: the careful one reads the
    ratings' bytes itself, the fast one does not."""
    folder = write_csv_release(tmp_path / "r")
    ratings = folder / "ratings.csv"
    for load, careful in ((zd.load, False), (_load_careful, True)):
        with mock.patch.object(reader, "prepare", wraps=reader.prepare) as prepare:
            load(folder)
        assert (ratings in [c.args[0] for c in prepare.call_args_list]) is careful


def test_windows_line_ends_take_the_fast_path(tmp_path):
    folder = write_csv_release(tmp_path / "w", ratings=RATINGS_CSV.replace("\n", "\r\n"))
    assert _fast(folder / "ratings.csv") is not None
    plain = zd.load(write_csv_release(tmp_path / "p"))
    pd.testing.assert_frame_equal(zd.load(folder).ratings, plain.ratings)
    _same(folder)


# Numbers only, each line four fields: the fast path reads them and the table's checks
# (half-star grid, range, duplicate pairs, known movies) find the bad rows.
CHECKED_ON_FAST_PATH = RATINGS_CSV + (
    "3,1,4.25,964982703\n"  # line 8: not on the half-star grid
    "3,2,5.5,964982703\n"  # line 9: above 5
    "1,1,3.0,964982999\n"  # line 10: duplicate of line 2
    "3,99,4.0,964982703\n"  # line 11: unknown movie
    "3,1,0.0,964982703\n"  # line 12: below 0.5
    "1,2,1.0,964982999\n"  # line 13: duplicate of line 3, out of order
)


def test_bad_ratings_are_caught_on_the_fast_path(tmp_path):
    folder = write_csv_release(tmp_path / "c", ratings=CHECKED_ON_FAST_PATH)
    assert _fast(folder / "ratings.csv") is not None
    ml = zd.load(folder)
    table = ml.quality.set_index("problem")
    dup = "duplicate rating of the same movie by the same user (first kept)"
    assert table.loc["rating is not a multiple of 0.5 stars", "example_lines"] == "8"
    assert table.loc["rating outside 0.5..5.0", "example_lines"] == "9, 12"
    assert table.loc[dup, "example_lines"] == "10, 13"
    assert table.loc[dup, "example_value"] == "1::1"
    assert table.loc["movie id not in the movies file", "example_lines"] == "11"
    assert len(ml.ratings) == 6
    with pytest.raises(zd.DataFormatError, match=r"ratings.csv, line 8: rating is not a mult"):
        zd.load(folder, strict=True)
    _same(folder)


WRONG = "wrong number of fields (expected 4, separated by ',')"


@pytest.mark.parametrize(
    "line, problem",
    [
        ("3,3,4", WRONG),
        ("3,3,4.0,964982703,", WRONG),
        ("", "blank line"),
        ("  ", "blank line"),
        ("3,3,x,964982703", "rating is not a number"),
        ("3,3,,964982703", "rating is not a number"),
        ("3,3,nan,964982703", "rating is not a number"),
        ("3,3,inf,964982703", "rating is not a number"),
        ('3,3,"4.0",964982703', "rating is not a number"),
        ("3,1.5,4.0,964982703", "movie_id is not an integer"),
        ("3,99999999999999999999,4.0,964982703", "movie_id is not an integer"),
        ("3,3,4.0,964982703\x1f", "binary data in the line"),
        ("3,3,4.0,9649827\r03", "timestamp is not an integer"),
        ("3,3,4.0,964982703\r3,2,4.0,964982703", WRONG),
    ],
)
def test_a_bad_line_falls_back_and_is_named(tmp_path, line, problem):
    """Line 8 is bad: the fast path gives up, the careful path names the line."""
    ratings = RATINGS_CSV + line + "\n" + "3,10,4.0,964982703\n"
    folder = write_csv_release(tmp_path / "b", ratings=ratings)
    assert _fast(folder / "ratings.csv") is None
    table = zd.load(folder).quality.set_index("problem")
    assert table.loc[problem, "example_lines"] == "8"
    with pytest.raises(zd.DataFormatError, match=r"ratings.csv, line 8: " + problem[:20]):
        zd.load(folder, strict=True)


@pytest.mark.parametrize(
    "ratings",
    [
        "\ufeff" + RATINGS_CSV,  # byte-order mark: noted in the quality table
        RATINGS_CSV.replace("userId", "UserId"),  # header the careful path accepts
        RATINGS_CSV + "\n\n",  # blank lines at the end: not data
        RATINGS_CSV.rstrip("\n"),  # no line end after the last line
        RATINGS_CSV.split("\n", 1)[0] + "\n",  # header only
        RATINGS_CSV.replace(",", ", "),  # spaces around the numbers
        RATINGS_CSV + "3000000000,1,4.0,964982703\n",  # past int32: the careful path
    ],
)
def test_odd_but_valid_files_load_the_same_on_both_paths(tmp_path, ratings):
    _same(write_csv_release(tmp_path / "o", ratings=ratings))


def test_quoted_titles_with_commas_and_doubled_quotes(tmp_path):
    ml = zd.load(write_csv_release(tmp_path / "q"))
    titles = ml.movies.set_index("movie_id")["title"]
    assert titles[2] == "Shawshank Redemption, The (1994)"
    assert titles[3] == 'Movie "Quoted" Here, A (2001)'
    assert ml.quality.empty


VALID = st.builds(
    "{},{},{},964982703".format,
    st.integers(1, 3),
    st.sampled_from([1, 2, 3, 10, 11, 99]),  # 99: not in the movies file
    st.sampled_from(["4.0", "4.5", "0.5", "5", "1e0", ".5", "4.25", "5.5", "0.0", "-1"]),
)
GARBAGE = st.sampled_from(
    [
        "",
        " ",
        "1,2,3",
        "1,2,3.0,4,5",
        "1,1,4.0,964982703,",
        ",,,",
        "1,1,x,964982703",
        "1,1,,964982703",
        "1,1,nan,964982703",
        "1,1,-inf,964982703",
        '1,1,"4.0",964982703',
        "+1,1,4.0,964982703",
        " 2 , 3 ,4.0 , 964982703 ",
        "1,1,4.0,964982703\r2,2,3.0,964982703",
        "1,2.0,4.0,964982703",
        "1,1,4.0,99999999999999999999",
        "1,1,4.0,\x1f964982703",
    ]
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    lines=st.lists(st.one_of(VALID, VALID, GARBAGE), min_size=1, max_size=12),
    newline=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
)
def test_both_paths_agree_on_any_file(lines, newline, final):
    """Whatever the lines, the fast path and the careful one load the same tables and
    raise the same error for the same line."""
    body = RATINGS_HEADER + newline + newline.join(lines) + (newline if final else "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "movies.csv").write_text(MOVIES_CSV, encoding="utf-8")
        (folder / "ratings.csv").write_bytes(body.encode("utf-8"))
        _same(folder)


def test_loaded_ratings_can_be_changed_in_place(tmp_path):
    """The fast path hands pyarrow's arrays over without copies: they must be numpy's own,
    writable, as the careful path's are."""
    ratings = zd.load(write_csv_release(tmp_path / "r")).ratings
    ratings.loc[0, "timestamp"] = pd.Timestamp(0)
    ratings.iloc[1, 0] = 9
    ratings.loc[2, "rating"] = 1.0
    assert ratings["timestamp"].iloc[0] == pd.Timestamp(0) and ratings["user_id"].iloc[1] == 9
