from __future__ import annotations

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
    "wrong number of fields (expected 4)": (1, "7"),
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
