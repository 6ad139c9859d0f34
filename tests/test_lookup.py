"""Title lookup: common spellings resolve; unknown or ambiguous titles suggest the closest."""

from __future__ import annotations

import pandas as pd
import pytest

from zeerec import data
from zeerec.lookup import (
    AmbiguousMovieError,
    MovieLookupError,
    TitleIndex,
    UnknownMovieError,
    find_movie,
    most_rated_movie,
    normalise_title,
    pick_movie,
    typical_user,
)

TITLES = {
    1: "Toy Story (1995)",
    29: "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
    231: "Dumb & Dumber (1994)",
    367: "Mask, The (1994)",
    500: "Mrs. Doubtfire (1993)",
    1411: "Hamlet (1996)",
    1485: "Liar Liar (1997)",
    2882: "Jakob the Liar (1999)",
    3598: "Hamlet (2000)",
    3000: "Liar's Moon (1982)",
}


def movies_table(titles=TITLES) -> pd.DataFrame:
    return pd.DataFrame(
        {"movie_id": list(titles), "title": pd.array(list(titles.values()), dtype="string")}
    )


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex(movies_table())


@pytest.mark.parametrize(
    "query",
    ["Liar Liar", "liar liar", "Liar Liar (1997)", "  LIAR   liar ", "liar, liar", 1485],
)
def test_spellings_of_liar_liar_resolve(index, query):
    assert index.find(query) == 1485


@pytest.mark.parametrize(
    ("query", "movie_id"),
    [
        ("The Mask", 367),
        ("Mask, The (1994)", 367),
        ("mask", 367),
        ("Dumb and Dumber", 231),
        ("city of lost children", 29),
        ("La Cite des enfants perdus", 29),
        ("Hamlet (2000)", 3598),
    ],
)
def test_articles_accents_and_years(index, query, movie_id):
    assert index.find(query) == movie_id


def test_title_of_an_id(index):
    assert index.title(1485) == "Liar Liar (1997)"
    assert index.titles([500, 231]) == ["Mrs. Doubtfire (1993)", "Dumb & Dumber (1994)"]
    assert 1485 in index and 4 not in index and "Liar Liar" not in index


def test_unknown_title_lists_the_five_closest(index):
    with pytest.raises(UnknownMovieError) as err:
        index.find("Liar Lair")
    assert len(err.value.suggestions) == 5
    assert err.value.suggestions[0] == "Liar Liar (1997)"
    message = str(err.value)
    assert 'No movie is titled "Liar Lair"' in message
    assert '"Liar Liar (1997)"' in message and "movie_id" in message
    assert isinstance(err.value, LookupError)  # callers may catch the standard exception


def test_word_matches_rank_before_spelling_matches(index):
    with pytest.raises(UnknownMovieError) as err:
        index.find("liar")
    assert err.value.suggestions[0] == "Liar Liar (1997)"
    assert set(err.value.suggestions[:3]) == {
        "Liar Liar (1997)",
        "Liar's Moon (1982)",
        "Jakob the Liar (1999)",
    }


def test_wrong_year_is_unknown_and_suggests_the_right_one(index):
    with pytest.raises(UnknownMovieError) as err:
        index.find("Liar Liar (1998)")
    assert err.value.suggestions[0] == "Liar Liar (1997)"


def test_ambiguous_title_lists_the_candidates(index):
    with pytest.raises(AmbiguousMovieError) as err:
        index.find("hamlet")
    assert err.value.suggestions == ["Hamlet (1996)", "Hamlet (2000)"]
    assert "matches 2 movies" in str(err.value) and "year" in str(err.value)
    assert isinstance(err.value, MovieLookupError)


def test_ids_and_types(index):
    with pytest.raises(UnknownMovieError, match="no movie with movie_id 4 "):
        index.find(4)
    for bad in (True, 1485.0, None, ["Liar Liar"]):
        with pytest.raises(TypeError):
            index.find(bad)
    assert find_movie(movies_table(), "toy story") == 1


def test_normalise_title():
    assert normalise_title("Mask, The") == "the mask"
    assert normalise_title("  Dumb & Dumber ") == "dumb and dumber"
    assert normalise_title("Cité des enfants perdus, La") == "la cite des enfants perdus"


def _ml(synthetic: bool) -> data.MovieLens:
    ratings = pd.DataFrame(
        {"user_id": [1, 1, 2, 2, 3, 3, 3], "movie_id": [500, 231, 500, 231, 1, 500, 231]}
    )
    ratings["rating"] = 4
    return data.MovieLens(
        movies=movies_table(),
        users=pd.DataFrame({"user_id": [1, 2, 3]}),
        ratings=ratings,
        quality=pd.DataFrame(),
        synthetic=synthetic,
    )


def test_pick_movie_falls_back_only_on_synthetic_data():
    assert pick_movie(_ml(False), "liar liar") == (1485, None)
    with pytest.raises(UnknownMovieError):
        pick_movie(_ml(False), "Titanic")
    movie, note = pick_movie(_ml(True), "Titanic")
    assert movie == 231  # 500 and 231 both have 3 ratings: the lower id wins
    assert "synthetic" in note and "Dumb & Dumber (1994)" in note
    with pytest.raises(AmbiguousMovieError):  # a real ambiguity is still the user's to fix
        pick_movie(_ml(True), "Hamlet")


def test_most_rated_movie_and_typical_user():
    ml = _ml(False)
    assert most_rated_movie(ml.ratings) == 231
    assert typical_user(ml.ratings) == 1  # 2, 2, 3 ratings: the median is 2, lowest id
    with pytest.raises(ValueError):
        most_rated_movie(ml.ratings.iloc[:0])


def test_real_slice_titles(real_slice):
    ml = data.load(real_slice)
    index = TitleIndex(ml.movies)
    assert index.find("Liar Liar") == index.find("liar liar (1997)") == 1485
    with pytest.raises(AmbiguousMovieError, match="101 Dalmatians"):
        index.find("101 Dalmatians")
    with pytest.raises(UnknownMovieError) as err:
        index.find("Star Wars")
    assert all(t.startswith("Star Wars") for t in err.value.suggestions[:4])


def test_suggestions_carry_their_ids_and_advice_can_be_rephrased(index):
    """Callers with their own syntax for ids (the command line) advise from ``detail``
    and ``suggested_ids`` instead of parsing the message (issue 13)."""
    with pytest.raises(UnknownMovieError) as err:
        index.find("Liar Lair")
    assert err.value.suggested_ids[0] == 1485
    assert len(err.value.suggested_ids) == len(err.value.suggestions)
    assert '"Liar Liar (1997)" (id 1485)' in err.value.detail
    assert "pass its movie_id" in str(err.value) and "pass its movie_id" not in err.value.detail
    with pytest.raises(AmbiguousMovieError) as err:
        index.find("hamlet")
    assert err.value.suggested_ids == [1411, 3598]
    assert index.suggest_ids("liar")[0] == 1485
