"""ML-10M and the CSV releases (ML-20M/25M/32M, ml-latest): fixtures written here, never
MovieLens content; the same checks and quality table as ML-1M's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_dataset

from zeerec import data as zd

MOVIES_CSV = """\
movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"Shawshank Redemption, The (1994)",Crime|Drama
3,"Movie ""Quoted"" Here, A (2001)",Comedy
10,Untitled Short (2019),(no genres listed)
11,"Escape, The ""Great"" (1963)",IMAX
"""
RATINGS_CSV = """\
userId,movieId,rating,timestamp
1,1,4.0,964982703
1,2,4.5,964981247
1,3,0.5,964982224
2,1,5.0,964983815
2,10,3.5,964982931
7,11,2.0,964982400
"""


def write_csv_release(folder: Path, movies: str = MOVIES_CSV, ratings: str = RATINGS_CSV) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.csv").write_text(movies, encoding="utf-8")
    (folder / "ratings.csv").write_text(ratings, encoding="utf-8")
    return folder


MOVIES_10M = """\
1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy
2::Misérables, Les (1995)::Drama|War
3::Nikita (Femme Nikita, La) (1990)::Action|Crime|Romance|Thriller
"""
RATINGS_10M = """\
1::1::5::838985046
1::2::4.5::838983525
5::3::0.5::838983392
"""


def write_10m(folder: Path, ratings: str = RATINGS_10M) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.dat").write_text(MOVIES_10M, encoding="utf-8")
    (folder / "ratings.dat").write_text(ratings, encoding="utf-8")
    (folder / "tags.dat").write_text("1::1::pixar::1139045764\n", encoding="utf-8")
    return folder


def test_csv_release_titles_with_commas_and_quotes(tmp_path):
    ml = zd.load(write_csv_release(tmp_path / "ml-latest-small"))
    assert ml.quality.empty
    movies = ml.movies.set_index("movie_id")
    assert movies.loc[2, "title"] == "Shawshank Redemption, The (1994)"
    assert movies.loc[2, "name"] == "Shawshank Redemption, The"
    assert movies.loc[3, "title"] == 'Movie "Quoted" Here, A (2001)'
    assert movies.loc[3, "year"] == 2001
    assert movies.loc[11, "title"] == 'Escape, The "Great" (1963)'
    assert movies.loc[11, "year"] == 1963
    assert movies.loc[1, "genres"] == ["Adventure", "Animation", "Children's", "Comedy", "Fantasy"]
    assert movies.loc[10, "genres"] == []
    assert movies.loc[11, "genres"] == ["IMAX"]


def test_csv_release_half_stars_and_no_users_file(tmp_path):
    ml = zd.load(write_csv_release(tmp_path / "r"))
    assert ml.rating_scale == zd.HALF_STARS
    assert ml.ratings["rating"].dtype == "float32"
    assert ml.ratings["rating"].tolist() == [4.0, 4.5, 0.5, 5.0, 3.5, 2.0]
    assert ml.ratings["user_id"].dtype == "int32"
    assert ml.ratings["timestamp"].iloc[0] == pd.Timestamp(964982703, unit="s")
    assert ml.users["user_id"].tolist() == [1, 2, 7]  # derived from the ratings
    assert not ml.has_demographics
    assert ml.info["format"] == "csv" and ml.info["users_file"] is False
    assert len(ml.merged()) == 6
    assert ml.summary()["users"] == 3


BAD_CSV = RATINGS_CSV + (
    "3,1,4.25,964982703\n"  # line 8: not on the half-star grid
    "3,2,5.5,964982703\n"  # line 9: above 5
    "3,3,x,964982703\n"  # line 10: not a number
    "3,3,4\n"  # line 11: three fields
    "\n"  # line 12: blank
    "1,1,3.0,964982999\n"  # line 13: duplicate of line 2
    "3,99,4.0,964982703\n"  # line 14: unknown movie
    "3,1.5,4.0,964982703\n"  # line 15: movie id not an integer
    "3,1,0.0,964982703\n"  # line 16: below 0.5
)

BAD_EXPECTED = {
    "rating is not a multiple of 0.5 stars": (1, "8"),
    "rating outside 0.5..5.0": (2, "9, 16"),
    "rating is not a number": (1, "10"),
    "wrong number of fields (expected 4, separated by ',')": (1, "11"),
    "blank line": (1, "12"),
    "duplicate rating of the same movie by the same user (first kept)": (1, "13"),
    "movie id not in the movies file": (1, "14"),
    "movie_id is not an integer": (1, "15"),
}


def test_csv_bad_rows_are_dropped_and_counted(tmp_path):
    ml = zd.load(write_csv_release(tmp_path / "bad", ratings=BAD_CSV))
    assert len(ml.ratings) == 6
    table = ml.quality.set_index("problem")
    for problem, (rows, lines) in BAD_EXPECTED.items():
        assert table.loc[problem, "rows"] == rows, problem
        assert table.loc[problem, "example_lines"] == lines, problem
        assert table.loc[problem, "file"] == "ratings.csv"
    assert table["rows"].sum() == 9


def test_csv_strict_mode_names_the_line(tmp_path):
    folder = write_csv_release(tmp_path / "s", ratings=RATINGS_CSV + "3,1,4.25,964982703\n")
    with pytest.raises(zd.DataFormatError, match=r"ratings.csv, line 8: rating is not a mult"):
        zd.load(folder, strict=True)


def test_csv_header_is_checked(tmp_path):
    folder = write_csv_release(tmp_path / "h", ratings=RATINGS_CSV.split("\n", 1)[1])
    with pytest.raises(zd.DataFormatError, match="ratings.csv, line 1: the first line is not"):
        zd.load(folder)


def test_csv_bad_movie_lines(tmp_path):
    movies = (
        MOVIES_CSV + '12,"Two\nLines",Drama\n13,"Broken, no genres (1999)"\n14,B (1999),Drama\n'
    )
    ml = zd.load(write_csv_release(tmp_path / "m", movies=movies))
    table = ml.quality.set_index("problem")
    wrong = "wrong number of fields (expected 3, separated by ',')"
    # movie 12's quoted line break makes it lines 7 and 8, so movie 13 is on line 9
    assert table.loc[wrong, "example_lines"] == "9"
    assert table.loc["title without a (YYYY) year", "example_lines"] == "7"
    assert ml.movies["movie_id"].tolist()[-2:] == [12, 14]


def test_clean_file_reads_the_same_on_both_paths(tmp_path):
    """A trailing blank line sends the file to the careful path: same tables as the fast one."""
    fast = zd.load(write_csv_release(tmp_path / "fast"))
    careful = zd.load(write_csv_release(tmp_path / "careful", ratings=RATINGS_CSV + "\n\n"))
    pd.testing.assert_frame_equal(fast.ratings, careful.ratings)
    assert careful.quality.empty


def test_ml10m_layout_in_its_subfolder(tmp_path):
    write_10m(tmp_path / "raw" / "ml-10M100K")
    assert zd.detect_format(tmp_path / "raw") == ("ml-10m", tmp_path / "raw" / "ml-10M100K")
    assert zd.has_data(tmp_path / "raw")
    ml = zd.load(tmp_path / "raw")
    assert ml.quality.empty
    assert ml.rating_scale == zd.HALF_STARS
    assert ml.ratings["rating"].tolist() == [5.0, 4.5, 0.5]
    assert ml.movies.set_index("movie_id").loc[2, "name"] == "Misérables, Les"
    assert ml.users["user_id"].tolist() == [1, 5]
    assert "tags" in ml.info and ml.info["format"] == "ml-10m"


def test_ml10m_bad_stars(tmp_path):
    folder = write_10m(tmp_path / "t", ratings=RATINGS_10M + "5::1::4.75::838983392\n")
    table = zd.load(folder).quality.set_index("problem")
    assert table.loc["rating is not a multiple of 0.5 stars", "example_lines"] == "4"


def test_formats_are_told_apart(tmp_path):
    assert zd.detect_format(write_dataset(tmp_path / "a"))[0] == "ml-1m"
    assert zd.detect_format(write_csv_release(tmp_path / "b" / "ml-25m")) == (
        "csv",
        tmp_path / "b" / "ml-25m",
    )
    assert zd.detect_format(tmp_path / "b")[0] == "csv"
    assert zd.detect_format(tmp_path / "empty")[0] == "ml-1m"  # the error names ML-1M's files
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "ratings.csv").write_text(RATINGS_CSV)
    with pytest.raises(zd.MissingDataError, match=r"movies\.csv .*CSV release"):
        zd.load(tmp_path / "c")


def test_ml1m_keeps_whole_stars(tiny):
    ml = zd.load(tiny)
    assert ml.rating_scale == zd.WHOLE_STARS
    assert ml.rating_scale.values == (1, 2, 3, 4, 5)
    assert ml.has_demographics


def test_rating_scale_survives_the_processed_round_trip(tmp_path):
    ml = zd.load(write_csv_release(tmp_path / "r"))
    zd.save_processed(ml, tmp_path / "p")
    back = zd.load_processed(tmp_path / "p")
    assert back.rating_scale == zd.HALF_STARS
    pd.testing.assert_frame_equal(back.ratings, ml.ratings)
    pd.testing.assert_frame_equal(back.users, ml.users)


def test_half_star_scale():
    scale = zd.HALF_STARS
    assert scale.values[:3] == (0.5, 1.0, 1.5) and len(scale.values) == 10
    assert scale.off_step(np.array([0.5, 4.5, 4.25, 5.0])).tolist() == [False, False, True, False]


@pytest.mark.parametrize("first", ["1::2::3::4::5", "1::1::5::978300760::"])
def test_extra_fields_on_the_first_line_are_not_an_index(tmp_path, first):
    """pandas reads a first line with one field too many as an index column: refused."""
    ratings = first + "\n" + "1::1::5::978300760\n"
    ml = zd.load(write_dataset(tmp_path / "x", ratings=ratings))
    assert ml.ratings[["user_id", "movie_id"]].values.tolist() == [[1, 1]]
    assert (
        ml.quality.set_index("problem").loc[
            "wrong number of fields (expected 4, separated by '::')", "example_lines"
        ]
        == "1"
    )


def test_a_lone_carriage_return_does_not_end_a_line(tmp_path):
    """pandas' parser ends a line at a lone \\r; the line count does not: such a line is
    one line with a field too many, not two ratings (it was read as two)."""
    ratings = "1::1::5::978300760\n1::2::3::978302109\r2::1::4::978301968\n2::3::2::978300275\n"
    ml = zd.load(write_dataset(tmp_path / "x", ratings=ratings))
    assert ml.ratings[["user_id", "movie_id"]].values.tolist() == [[1, 1], [2, 3]]
    wrong = "wrong number of fields (expected 4, separated by '::')"
    assert ml.quality.set_index("problem").loc[wrong, "example_lines"] == "2"
