"""New-user profile validation: every error names the offending entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec import data
from zeerec.profile import (
    SEED_PROFILE,
    ProfileError,
    parse_rating,
    profile_for,
    profile_table,
    ratings_from_text,
    stand_in_profile,
    validate_profile,
)

MOVIES = pd.DataFrame(
    {
        "movie_id": [231, 344, 500, 586, 1707, 2953, 19, 1485],
        "title": [
            "Dumb & Dumber (1994)",
            "Ace Ventura: Pet Detective (1994)",
            "Mrs. Doubtfire (1993)",
            "Home Alone (1990)",
            "Home Alone 3 (1997)",
            "Home Alone 2: Lost in New York (1992)",
            "Ace Ventura: When Nature Calls (1995)",
            "Liar Liar (1997)",
        ],
        "genres": [["Comedy"]] * 3 + [["Children's", "Comedy"]] * 3 + [["Comedy"]] * 2,
    }
)


def test_the_seeds_profile_resolves_in_order():
    assert validate_profile(SEED_PROFILE, MOVIES) == {500: 3, 231: 4, 344: 5, 586: 5}


def test_titles_ids_and_spellings_mix():
    got = validate_profile({"home alone (1990)": 5, 1485: 2, "Dumb and Dumber": 4}, MOVIES)
    assert got == {586: 5, 1485: 2, 231: 4}


def test_unknown_title_suggests_close_matches():
    with pytest.raises(ProfileError) as err:
        validate_profile({"Home Alon": 5}, MOVIES)
    message = str(err.value)
    assert message.startswith("'Home Alon':")
    assert "Home Alone (1990)" in message


def test_unknown_id_is_named():
    with pytest.raises(ProfileError, match="99999"):
        validate_profile({99999: 3}, MOVIES)


@pytest.mark.parametrize(
    ("stars", "expected"),
    [
        (6, "from 1 to 5, got 6"),
        (0, "from 1 to 5, got 0"),
        (4.5, "whole number from 1 to 5, got 4.5"),
        ("5", "whole number from 1 to 5, got '5'"),
        (True, "whole number"),
        (None, "whole number"),
        (float("nan"), "whole number"),
    ],
)
def test_stars_must_be_whole_numbers_1_to_5(stars, expected):
    with pytest.raises(ProfileError) as err:
        validate_profile({"Liar Liar": stars}, MOVIES)
    assert "'Liar Liar'" in str(err.value) and expected in str(err.value)


def test_integral_floats_are_whole_numbers():
    assert validate_profile({"Liar Liar": 4.0}, MOVIES) == {1485: 4}


def test_empty_profile_is_refused():
    with pytest.raises(ProfileError, match="at least one movie"):
        validate_profile({}, MOVIES)
    with pytest.raises(ProfileError, match="at least one movie"):
        validate_profile([], MOVIES)


def test_duplicates_after_resolution_name_both_entries():
    with pytest.raises(ProfileError) as err:
        validate_profile({"Home Alone": 5, 586: 4}, MOVIES)
    assert "'Home Alone' and 586 are the same movie (Home Alone (1990)" in str(err.value)
    with pytest.raises(ProfileError, match="same movie"):
        validate_profile([("Liar Liar", 5), ("liar liar", 5)], MOVIES)


def test_all_problems_are_reported_together():
    with pytest.raises(ProfileError) as err:
        validate_profile({"Home Alon": 5, "Liar Liar": 9, "": 3, 2.5: 1}, MOVIES)
    problems = err.value.problems
    assert len(problems) == 4
    assert str(err.value).startswith("4 problems with the ratings:")
    assert any("empty title" in p for p in problems)
    assert any(p.startswith("2.5: expected a movie title or a movie id") for p in problems)


def test_ambiguous_title_asks_for_the_year():
    movies = pd.DataFrame(
        {
            "movie_id": [1, 2],
            "title": ["101 Dalmatians (1961)", "101 Dalmatians (1996)"],
            "genres": [["Animation"], ["Comedy"]],
        }
    )
    with pytest.raises(ProfileError, match="year"):
        validate_profile({"101 Dalmatians": 4}, movies)
    assert validate_profile({"101 Dalmatians (1996)": 4}, movies) == {2: 4}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Home Alone=5", ("Home Alone", 5)),
        ("  Mrs. Doubtfire = 3 ", ("Mrs. Doubtfire", 3)),
        ("id:586=5", (586, 5)),
        ("1941=2", ("1941", 2)),  # a bare number is a title: there is a movie called 1941
        ("Home Alone=9", ("Home Alone", 9)),  # range is checked by validate_profile
    ],
)
def test_parse_rating(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Home Alone", "TITLE=STARS"), ("=4", "TITLE=STARS"), ("Home Alone=4.5", "whole number")],
)
def test_parse_rating_errors(text, expected):
    with pytest.raises(ProfileError, match=expected):
        parse_rating(text)


def test_tables_show_titles():
    table = profile_table({586: 5, 500: 3}, MOVIES)
    assert table["title"].tolist() == ["Home Alone (1990)", "Mrs. Doubtfire (1993)"]
    assert table["stars"].tolist() == [5, 3]
    assert table.loc[0, "genres"] == "Children's|Comedy"


def test_stand_in_profile_on_synthetic_data(tiny):
    ml = data.load(tiny)
    # Comedies in the tiny set: 1 (Toy Story, 3 ratings) and 3 (Liar Liar, 1 rating).
    assert stand_in_profile(ml.movies, ml.ratings, stars=(4, 2)) == {1: 4, 3: 2}
    with pytest.raises(ProfileError, match="only 2 rated Comedy"):
        stand_in_profile(ml.movies, ml.ratings)


def test_profile_for_falls_back_only_on_synthetic_data(tiny):
    ml = data.load(tiny)
    wanted = {"Home Alone": 5, "Toy Story": 4}
    with pytest.raises(ProfileError, match="Home Alone"):
        profile_for(wanted, ml.movies, ml.ratings, synthetic=False)
    profile, note = profile_for({"Toy Story": 4}, ml.movies, ml.ratings, synthetic=True)
    assert profile == {1: 4} and note is None
    movies = pd.concat(
        [
            ml.movies,
            pd.DataFrame(
                {
                    "movie_id": [5, 6],
                    "title": ["A (1990)", "B (1991)"],
                    "genres": [["Comedy"], ["Comedy"]],
                }
            ),
        ]
    )
    extra = pd.DataFrame({"user_id": [1, 2, 1], "movie_id": [5, 5, 6], "rating": [4, 4, 3]})
    ratings = pd.concat([ml.ratings[["user_id", "movie_id", "rating"]], extra])
    profile, note = profile_for(wanted, movies, ratings, synthetic=True)
    assert profile == {1: 3, 5: 4, 3: 5, 6: 5}  # most-rated comedies, the seed's stars
    assert "SYNTHETIC" in note and "Home Alone" in note


# --------------------------------------------------------------------------- issue 13


def test_text_ratings_list_every_problem_in_input_order():
    texts = ["liar lair=4", "Home Alone=five", "Mrs. Doubtfire", "id:abc=3", "Dumb & Dumber=4"]
    with pytest.raises(ProfileError) as err:
        ratings_from_text(texts, MOVIES)
    problems = err.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("'liar lair': No movie is titled")
    assert 'rate by movie id: "id:1485=4"' in problems[0]
    assert problems[1] == "'Home Alone': stars must be a whole number from 1 to 5, got 'five'"
    assert "TITLE=STARS" in problems[2]
    assert problems[3].startswith("'id:abc' is not a movie id")


def test_text_ratings_resolve_like_validate_profile():
    texts = ["Home Alone=5", "id:1485=2", "  Dumb and Dumber = 4 "]
    assert ratings_from_text(texts, MOVIES) == {586: 5, 1485: 2, 231: 4}


def test_a_number_that_is_no_title_suggests_the_id_form():
    with pytest.raises(ProfileError, match='If 1485 is a movie id, write "id:1485=3"'):
        ratings_from_text(["1485=3"], MOVIES)


# --------------------------------------------------------------------------- half stars


def test_half_stars_where_the_data_has_them():
    from zeerec.data import HALF_STARS

    assert parse_rating("Heat=4.5", scale=HALF_STARS) == ("Heat", 4.5)
    assert parse_rating("Heat=4", scale=HALF_STARS) == ("Heat", 4)
    with pytest.raises(ProfileError, match=r"from 0.5 to 5.0 in steps of 0.5, got 4.25"):
        parse_rating("Heat=4.25", scale=HALF_STARS)
    profile = validate_profile({586: 4.5, 500: 0.5}, MOVIES, scale=HALF_STARS)
    assert profile == {586: 4.5, 500: 0.5}
    with pytest.raises(ProfileError, match="from 0.5 to 5, got 5.5"):
        validate_profile({586: 5.5}, MOVIES, scale=HALF_STARS)
    with pytest.raises(ProfileError, match="whole number from 1 to 5, got 4.5"):
        validate_profile({586: 4.5}, MOVIES)  # ML-1M: whole stars only


def test_profile_for_reads_the_scale_from_the_ratings():
    from zeerec.profile import profile_for, scale_of

    half = pd.DataFrame({"user_id": [1], "movie_id": [586], "rating": np.float32([3.5])})
    whole = half.assign(rating=np.int8([3]))
    assert scale_of(half).step == 0.5 and scale_of(whole).step == 1
    assert profile_for({586: 4.5}, MOVIES, half, synthetic=False) == ({586: 4.5}, None)
    with pytest.raises(ProfileError, match="whole number"):
        profile_for({586: 4.5}, MOVIES, whole, synthetic=False)
