from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import MOVIES, RATINGS, USERS, write_dataset

from zeerec import data as zd


def test_tiny_dataset_types_and_values(tiny):
    ml = zd.load(tiny)
    assert ml.quality.empty
    assert ml.summary()["ratings"] == 6
    assert str(ml.ratings["timestamp"].dtype) == "datetime64[s]"
    assert ml.ratings["rating"].dtype == "int8"
    assert ml.ratings["user_id"].dtype == "int32"
    assert ml.ratings["timestamp"].iloc[0] == pd.Timestamp(978300760, unit="s")
    movie = ml.movies.set_index("movie_id").loc[2]
    assert movie["name"] == "City of Lost Children, The (Cité des enfants perdus, La)"
    assert movie["year"] == 1995
    assert movie["genres"] == ["Adventure", "Sci-Fi"]
    assert ml.movies.set_index("movie_id").loc[4, "name"] == "Night Run: The Return"
    user = ml.users.set_index("user_id").loc[2]
    assert (user["age"], user["age_group"]) == (56, "56+")
    assert (user["occupation_id"], user["occupation"]) == (16, "self-employed")
    assert user["zip"] == "70072"
    assert not ml.synthetic


def test_grouplens_names_and_subfolder(tmp_path):
    write_dataset(tmp_path / "a", prefix="")
    write_dataset(tmp_path / "b" / "ml-1m", prefix="")
    assert zd.load(tmp_path / "a").summary()["ratings"] == 6
    assert zd.load(tmp_path / "b").summary()["ratings"] == 6


def test_missing_folder_and_file_say_where_and_how(tmp_path):
    with pytest.raises(zd.MissingDataError, match="does not exist.*make data"):
        zd.load(tmp_path / "nowhere")
    folder = write_dataset(tmp_path / "d")
    (folder / "zee-users.dat").unlink()
    with pytest.raises(zd.MissingDataError, match=r"zee-users\.dat \(or users\.dat\).*DATA=sample"):
        zd.load(folder)


def test_empty_file_is_an_error(tmp_path):
    folder = write_dataset(tmp_path / "e", ratings="")
    with pytest.raises(zd.DataFormatError, match="zee-ratings.dat: the file is empty"):
        zd.load(folder)


BAD_RATINGS = (
    RATINGS
    + "1::3::4\n"  # line 7: three fields
    + "2::4::x::978300000\n"  # line 8: non-integer rating
    + "2::4::7::978300000\n"  # line 9: rating out of range
    + "1::1::4::978300999\n"  # line 10: duplicate of line 1
    + "9::1::4::978300000\n"  # line 11: unknown user
    + "\n"  # line 12: blank
    + "3::99::4::978300000\n"  # line 13: unknown movie
    + "3::2::4.5::978300000\n"  # line 14: non-integer rating
)

EXPECTED = {
    "wrong number of fields (expected 4, separated by '::')": (1, "7"),
    "rating is not an integer": (2, "8, 14"),
    "rating outside 1..5": (1, "9"),
    "duplicate rating of the same movie by the same user (first kept)": (1, "10"),
    "user id not in the users file": (1, "11"),
    "blank line": (1, "12"),
    "movie id not in the movies file": (1, "13"),
}


def test_bad_lines_are_dropped_and_counted(tmp_path):
    ml = zd.load(write_dataset(tmp_path / "bad", ratings=BAD_RATINGS))
    assert len(ml.ratings) == 6
    table = ml.quality.set_index("problem")
    for problem, (rows, lines) in EXPECTED.items():
        assert table.loc[problem, "rows"] == rows, problem
        assert table.loc[problem, "example_lines"] == lines, problem
        assert table.loc[problem, "file"] == "zee-ratings.dat"
        assert table.loc[problem, "action"] == "dropped"
    assert table["rows"].sum() == 8


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1::3::4", "line 7: wrong number of fields"),
        ("2::4::x::978300000", "line 7: rating is not an integer: 'x'"),
        ("2::4::7::978300000", "line 7: rating outside 1..5: '7'"),
        ("1::1::4::978300999", "line 7: duplicate rating"),
        ("9::1::4::978300000", "line 7: user id not in the users file: '9'"),
        ("3::99::4::978300000", "line 7: movie id not in the movies file: '99'"),
    ],
)
def test_strict_mode_names_file_line_and_value(tmp_path, line, problem):
    folder = write_dataset(tmp_path / "s", ratings=RATINGS + line + "\n")
    with pytest.raises(zd.DataFormatError, match="zee-ratings.dat, " + problem) as err:
        zd.load(folder, strict=True)
    assert err.value.line == 7


def test_bad_users_and_movies(tmp_path):
    users = USERS + "3::M::25::15::55117\n" + "4::X::25::15::11111\n" + "5::F::33::15::11111\n"
    movies = MOVIES + "5::Untitled Project::Drama\n" + "6::Odd (1990)::Drama|Space Opera\n"
    ml = zd.load(write_dataset(tmp_path / "u", users=users, movies=movies))
    table = ml.quality.set_index("problem")
    assert table.loc["duplicate user id (first kept)", "example_lines"] == "4"
    assert table.loc["gender is not F or M", "example_lines"] == "5"
    assert table.loc["age is not one of the documented codes", "example_value"] == "33"
    assert table.loc["title without a (YYYY) year", "action"] == "kept, year missing"
    assert table.loc["unknown genre", "rows"] == 1
    assert len(ml.users) == 3
    assert ml.movies.set_index("movie_id").loc[5, "year"] is pd.NA
    assert ml.summary()["titles_without_year"] == 1
    # A title without a year is not an error in strict mode: it is valid MovieLens syntax.
    with pytest.raises(zd.DataFormatError, match="zee-users.dat, line 4: duplicate user id"):
        zd.load(write_dataset(tmp_path / "u2", users=users), strict=True)


def test_windows_line_endings_and_no_final_newline(tmp_path):
    folder = write_dataset(tmp_path / "w", ratings=RATINGS.replace("\n", "\r\n").rstrip("\r\n"))
    ml = zd.load(folder)
    assert ml.quality.empty
    assert len(ml.ratings) == 6


def test_processed_round_trip(tiny, tmp_path):
    ml = zd.load(tiny)
    zd.save_processed(ml, tmp_path / "processed")
    back = zd.load_processed(tmp_path / "processed")
    for name in ("movies", "users", "ratings"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(ml, name))
    assert back.source == ml.source
    with pytest.raises(zd.MissingDataError, match="run notebook 01_load_clean first"):
        zd.load_processed(tmp_path / "empty")


def test_real_slice_parses_completely(real_slice):
    ml = zd.load(real_slice, strict=True)
    assert ml.summary() == {
        "movies": 3883,
        "users": 6040,
        "ratings": 200042,
        "rated_movies": 3511,
        "active_users": 1783,
        "titles_without_year": 0,
    }
    assert ml.quality.empty
    movies = ml.movies.set_index("movie_id")
    assert movies["year"].between(1919, 2000).all()
    assert not movies["name"].str.contains(r"\(\d{4}\)$").any()
    # Parentheses of the title's own survive; only the trailing year is split off.
    indian = movies.loc[641]
    assert indian["name"] == "Little Indian, Big City (Un indien dans la ville)"
    assert indian["year"] == 1994
    assert movies.loc[3472, "name"] == "Horror Hotel (a.k.a. The City of the Dead)"
    assert set(ml.users["age_group"].astype(str)) == set(zd.AGE_GROUPS.values())


def test_corrupted_copy_of_real_ratings(real_slice, tmp_path):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for kind in ("movies", "users"):
        (folder / f"zee-{kind}.dat").write_bytes((real_slice / f"zee-{kind}.dat").read_bytes())
    lines = (real_slice / "zee-ratings.dat").read_bytes().split(b"\n")
    lines.insert(1000, b"17::1193::five::978300760")
    (folder / "zee-ratings.dat").write_bytes(b"\n".join(lines))
    with pytest.raises(zd.DataFormatError, match="line 1001: rating is not an integer: 'five'"):
        zd.load(folder, strict=True)
    ml = zd.load(folder)
    assert len(ml.ratings) == 200042
    row = ml.quality.iloc[0]
    assert (row["problem"], row["rows"], row["example_lines"]) == (
        "rating is not an integer",
        1,
        "1001",
    )


def test_ml100k_native_format():
    from conftest import ML100K

    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    ml = zd.load(ML100K)
    assert ml.summary()["ratings"] == 100_000
    assert (len(ml.users), len(ml.movies)) == (943, 1682)
    assert ml.ratings["rating"].between(1, 5).all()
    toy = ml.movies.set_index("movie_id").loc[1]
    assert (toy["name"], toy["year"], toy["genres"]) == (
        "Toy Story",
        1995,
        ["Animation", "Children's", "Comedy"],
    )
    # Titles with a trailing "(V)" take the year from the release date instead.
    assert ml.movies.set_index("movie_id").loc[1412, "year"] == 1995
    assert ml.summary()["titles_without_year"] == 1  # movie 267 is literally "unknown"
    user = ml.users.set_index("user_id").loc[1]
    assert (user["age"], user["age_group"], user["occupation"]) == (18, "18-24", "technician")


# --------------------------------------------------------------------------- issue 13


def _slice_copy(real_slice, tmp_path, **edits) -> Path:
    """A copy of the real slice with ``edits`` (kind -> bytes -> bytes) applied."""
    folder = tmp_path / "copy"
    folder.mkdir()
    for kind in ("movies", "users", "ratings"):
        raw = (real_slice / f"zee-{kind}.dat").read_bytes()
        (folder / f"zee-{kind}.dat").write_bytes(edits.get(kind, lambda b: b)(raw))
    return folder


def test_utf8_movies_file_keeps_its_titles(real_slice, tmp_path):
    clean = zd.load(real_slice).movies
    folder = _slice_copy(real_slice, tmp_path, movies=lambda b: b.decode("latin-1").encode("utf-8"))
    for strict in (False, True):
        ml = zd.load(folder, strict=strict)
        pd.testing.assert_frame_equal(ml.movies, clean)
        row = ml.quality.set_index("problem").loc["the file is UTF-8, not ISO-8859-1"]
        assert (row["file"], row["action"]) == ("zee-movies.dat", "decoded as UTF-8 (detected)")
        assert ml.info["encodings"]["zee-movies.dat"] == "utf-8"
    title = ml.movies.set_index("movie_id").loc[2324, "title"]
    assert title == "Life Is Beautiful (La Vita è bella) (1997)"


def test_encoding_can_be_forced(real_slice, tmp_path):
    folder = _slice_copy(real_slice, tmp_path, movies=lambda b: b.decode("latin-1").encode("utf-8"))
    forced = zd.load(folder, encoding="latin-1").movies.set_index("movie_id")
    assert forced.loc[2324, "title"] == "Life Is Beautiful (La Vita Ã¨ bella) (1997)"  # as asked
    utf8 = zd.load(folder, encoding="utf-8")
    assert "decoded as utf-8 (encoding='utf-8')" in utf8.quality["action"].tolist()
    # The original file is ISO-8859-1: forcing UTF-8 names the first line it cannot read.
    with pytest.raises(zd.DataFormatError, match=r"zee-movies.dat, line \d+: byte 0x") as err:
        zd.load(real_slice, encoding="utf-8")
    assert "encoding=None to let zeerec detect" in str(err.value)
    with pytest.raises(ValueError, match="not an encoding Python knows"):
        zd.load(real_slice, encoding="klingon")
    with pytest.raises(ValueError, match="ASCII-compatible"):
        zd.load(real_slice, encoding="utf-16")


def test_windows_1252_quotes_are_read_as_quotes(tmp_path):
    movies = MOVIES.replace("Liar Liar (1997)", "Liar’s Liar (1997)")
    folder = write_dataset(tmp_path / "w")
    (folder / "zee-movies.dat").write_bytes(movies.encode("cp1252"))
    ml = zd.load(folder, strict=True)
    assert ml.movies.set_index("movie_id").loc[3, "title"] == "Liar’s Liar (1997)"
    assert "decoded as Windows-1252 (detected)" in ml.quality["action"].tolist()


def test_byte_order_mark_is_removed(real_slice, tmp_path):
    folder = _slice_copy(real_slice, tmp_path, movies=lambda b: b"\xef\xbb\xbf" + b)
    clean = zd.load(real_slice)
    for strict in (False, True):
        ml = zd.load(folder, strict=strict)
        pd.testing.assert_frame_equal(ml.movies, clean.movies)
        pd.testing.assert_frame_equal(ml.ratings, clean.ratings)  # Toy Story's 327 kept
        assert (ml.ratings["movie_id"] == 1).sum() == 327
        row = ml.quality.iloc[0]
        assert (row["problem"], row["action"], row["rows"]) == (
            "UTF-8 byte-order mark at the start of the file",
            "removed",
            0,
        )


def test_trailing_blank_lines_are_not_data(real_slice, tmp_path):
    folder = _slice_copy(real_slice, tmp_path, ratings=lambda b: b + b"\n\n  \n\r\n")
    for strict in (False, True):
        ml = zd.load(folder, strict=strict)
        assert len(ml.ratings) == 200042 and ml.quality.empty
    # A blank line inside the file is still one.
    blank = write_dataset(tmp_path / "b", ratings=RATINGS.replace("\n", "\n\n", 1))
    assert zd.load(blank).quality.set_index("problem").loc["blank line", "example_lines"] == "2"


@pytest.mark.parametrize(
    ("ratings", "problem", "advice"),
    [
        ("", "zee-ratings.dat: the file is empty.", "Replace it with the complete file"),
        ("\n\n", "holds only blank lines", "Replace it with the complete file"),
        (
            "1,1,5,978300760\n2,1,4,978300761\n",
            "no valid record left, every line was dropped: 2 × wrong number of fields",
            "Each line should read user_id::movie_id::rating::timestamp",
        ),
        (
            "9::1::5::978300760\n",
            "no valid record left, every line was dropped: 1 × user id not in the users file",
            "belongs with the other files",
        ),
    ],
)
def test_a_file_with_nothing_to_load_gets_advice_that_fits(tmp_path, ratings, problem, advice):
    folder = write_dataset(tmp_path / "e", ratings=ratings)
    with pytest.raises(zd.DataFormatError) as err:
        zd.load(folder)
    message = str(err.value)
    assert problem in message and advice in message
    assert "strict=False" not in message and "Fix or remove the line" not in message


def test_ml100k_strict_mode_and_checks(tmp_path):
    from conftest import ML100K

    if not (ML100K / "u.data").is_file():
        pytest.skip("../shared/data/ml-100k is not present on this machine")
    folder = tmp_path / "100k"
    folder.mkdir()
    for name in ("u.item", "u.user", "u.occupation"):
        (folder / name).write_bytes((ML100K / name).read_bytes())
    lines = (ML100K / "u.data").read_bytes().splitlines(keepends=True)
    lines[9] = b"196\t242\t9\t881250949\n"  # line 10: a rating of 9
    (folder / "u.data").write_bytes(b"".join(lines))
    with pytest.raises(zd.DataFormatError, match=r"u.data, line 10: rating outside 1..5: '9'"):
        zd.load(folder, strict=True)
    ml = zd.load(folder)
    assert len(ml.ratings) == 99_999
    assert ml.quality.set_index("problem").loc["rating outside 1..5", "example_lines"] == "10"


def test_ids_must_be_positive(tmp_path):
    users = USERS + "-4::F::1::10::48067\n" + "0::F::1::10::48067\n"
    movies = MOVIES + "-5::Negative (1990)::Drama\n" + "99999999999::Too Big (1990)::Drama\n"
    ml = zd.load(write_dataset(tmp_path / "n", users=users, movies=movies))
    table = ml.quality.set_index("problem")
    assert table.loc["user id outside 1..2147483647", "example_lines"] == "4, 5"
    assert table.loc["movie id outside 1..2147483647", "example_lines"] == "5, 6"
    assert (ml.users["user_id"] > 0).all() and (ml.movies["movie_id"] > 0).all()
    assert len(ml.movies) == 4  # 99999999999 is not wrapped into an int32 id
    with pytest.raises(zd.DataFormatError, match="zee-movies.dat, line 5: movie id outside"):
        zd.load(write_dataset(tmp_path / "s", users=users, movies=movies), strict=True)


def test_both_name_sets(tmp_path):
    folder = write_dataset(tmp_path / "b")
    write_dataset(folder, prefix="")  # identical copies under the GroupLens names
    ml = zd.load(folder)
    row = ml.quality.set_index("file").loc["zee-movies.dat"]
    assert (row["problem"], row["action"]) == (
        "movies.dat in the folder too, identical",
        "read zee-movies.dat",
    )
    (folder / "ratings.dat").write_bytes(RATINGS.encode() + b"1::3::4::978300000\n")
    with pytest.raises(zd.DataConflictError, match="two different ratings files") as err:
        zd.load(folder)
    assert "zee-ratings.dat" in str(err.value) and "move or rename" in str(err.value)


def test_strict_mode_names_the_first_bad_line_of_the_file(tmp_path):
    ratings = RATINGS + "2::4::x::978300000\n" + "1::3::4\n"  # line 7 non-integer, 8 fields
    folder = write_dataset(tmp_path / "o", ratings=ratings)
    with pytest.raises(zd.DataFormatError) as err:
        zd.load(folder, strict=True)
    assert (err.value.line, err.value.problem) == (7, "rating is not an integer")


def test_a_fractional_rating_drops_only_its_line(tmp_path):
    folder = write_dataset(tmp_path / "f", ratings=RATINGS + "3::2::4.5::978300000\n")
    ml = zd.load(folder)
    assert len(ml.ratings) == 6
    shown = ml.quality[["problem", "rows", "example_value"]].to_numpy().tolist()
    assert shown == [["rating is not an integer", 1, "4.5"]]


def test_processed_folder_with_a_missing_or_broken_table(tiny, tmp_path):
    zd.save_processed(zd.load(tiny), tmp_path / "p")
    (tmp_path / "p" / "users.parquet").unlink()
    with pytest.raises(zd.MissingDataError, match=r"users.parquet is missing.*notebook 01"):
        zd.load_processed(tmp_path / "p")
    (tmp_path / "p" / "users.parquet").write_text("not parquet")
    with pytest.raises(zd.DataFormatError, match=r"users.parquet: cannot be read"):
        zd.load_processed(tmp_path / "p")
