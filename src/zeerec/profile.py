"""A new user's ratings, ``{title or movie id: stars}``, checked before any model sees them.

Every recommender takes a :data:`~zeerec.models.base.Profile` (``{movie_id: stars}``);
this module turns what a person types into one, or says exactly what is wrong:

- titles resolve through :mod:`zeerec.lookup`, the same lookup notebook 03 uses, so an
  unknown title is an error with "did you mean" suggestions;
- movie ids must be in the catalogue;
- stars are on the data's scale (``MovieLens.rating_scale``): whole numbers from 1 to 5
  for ML-1M and ML-100K, 0.5 to 5.0 in half stars for ML-10M and later ("Heat=4.5");
- at least one rating, and no movie twice once titles and ids are resolved.

All problems are collected and reported together, one line per offending entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from zeerec.data.tables import HALF_STARS, WHOLE_STARS, RatingScale

SEED_PROFILE: dict[str, int] = {
    "Mrs. Doubtfire": 3,
    "Dumb & Dumber": 4,
    "Ace Ventura: Pet Detective": 5,
    "Home Alone": 5,
}
"""The four movies the seed analysis asked its new user to rate, with the stars given."""

STAND_IN_GENRE = "Comedy"

Entries = Mapping[Any, Any] | Iterable[tuple[Any, Any]]


class ProfileError(ValueError):
    """A new user's ratings cannot be used; the message names every offending entry."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(problems) == 1:
            text = problems[0]
        else:
            text = f"{len(problems)} problems with the ratings:\n" + "\n".join(
                f"  - {p}" for p in problems
            )
        super().__init__(text)


# --------------------------------------------------------------------------- parsing


class _Malformed(str):
    """A ``--rate`` text that is not TITLE=STARS; its value is the problem to report."""


_ID = re.compile(r"id:\s*(.*)", flags=re.IGNORECASE)


def _split(text: str) -> tuple[Any, Any]:
    """``(title or id, stars)`` from TITLE=STARS; stars stay text unless a number."""
    name, sep, stars_text = str(text).rpartition("=")
    name, stars_text = name.strip(), stars_text.strip()
    if not sep or not name:
        return _Malformed(f'{text!r} is not of the form TITLE=STARS, e.g. "Home Alone=5"'), None
    stars: Any = stars_text
    if re.fullmatch(r"[+-]?\d+", stars_text):
        stars = int(stars_text)
    elif re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)", stars_text):
        stars = float(stars_text)
    id_match = _ID.fullmatch(name)
    if not id_match:
        return name, stars
    if not id_match.group(1).strip().isdigit():
        return _Malformed(
            f'{name!r} is not a movie id: write id: and a whole number, e.g. "id:1485=4"'
        ), None
    return int(id_match.group(1)), stars


def parse_rating(text: str, scale: RatingScale = WHOLE_STARS) -> tuple[str | int, int | float]:
    """``"Home Alone=5"`` → ``("Home Alone", 5)``; ``"id:586=5"`` → ``(586, 5)``;
    ``"Heat=4.5"`` → ``("Heat", 4.5)`` where ``scale`` has half stars.

    The stars follow the last ``=``. A bare number is a title (there is a movie called
    "1941"); write ``id:NNN`` to give a movie id. :func:`ratings_from_text` checks many
    at once and reports every problem.
    """
    key, stars = _split(text)
    if isinstance(key, _Malformed):
        raise ProfileError([str(key)])
    value = float(stars) if isinstance(stars, int | float) else float("nan")
    if not np.isfinite(value) or bool(scale.off_step(np.array([value]))[0]):
        raise ProfileError([f"{key!r}: stars must be {_stars_rule(scale)}, got {stars!r}"])
    return key, int(value) if value.is_integer() else value  # range: validate_profile


def ratings_from_text(
    texts: Iterable[str], movies: pd.DataFrame, scale: RatingScale = WHOLE_STARS
) -> dict[int, int | float]:
    """The command line's ``TITLE=STARS`` texts as a profile, every problem listed at once.

    A title that names no movie is advised in the same syntax: ``"id:1485=4"``.
    ``scale``: the data's (``MovieLens.rating_scale``), so half stars where it has them.
    """
    return validate_profile([_split(t) for t in texts], movies, as_text=True, scale=scale)


def _stars_rule(scale: RatingScale) -> str:
    if scale.whole:
        return f"a whole number from {scale.low:g} to {scale.high:g}"
    return f"a number from {scale.low:g} to {scale.high:.1f} in steps of {scale.step:g}"


def _check_stars(
    label: str, stars: Any, scale: RatingScale = WHOLE_STARS
) -> tuple[int | float | None, str | None]:
    """The stars as an int (a whole star) or a float (a half star), or the problem."""
    rule = f"{label}: stars must be {_stars_rule(scale)}, got {stars!r}"
    if isinstance(stars, bool | np.bool_) or not isinstance(stars, int | float | np.number):
        return None, rule
    value = float(stars)
    if not np.isfinite(value) or bool(scale.off_step(np.array([value]))[0]):
        return None, rule
    if not scale.low <= value <= scale.high:
        shown = int(value) if value.is_integer() else value
        return None, f"{label}: stars must be from {scale.low:g} to {scale.high:g}, got {shown}"
    return (int(value) if value.is_integer() else value), None


# --------------------------------------------------------------------------- validation


def validate_profile(
    entries: Entries,
    movies: pd.DataFrame,
    resolve: Callable[[str | int], int] | None = None,
    as_text: bool = False,
    scale: RatingScale = WHOLE_STARS,
) -> dict[int, int | float]:
    """Check a new user's ratings and return them as ``{movie_id: stars}`` in input order.

    ``entries`` is a mapping ``{title or movie id: stars}`` or a sequence of pairs (the
    command line's repeated ``--rate``, where the same title may appear twice).
    ``resolve`` maps a title or id to a movie id, raising a ``LookupError`` with
    suggestions when it cannot (default: :meth:`zeerec.lookup.TitleIndex.find`, the
    lookup of notebook 03). ``as_text``: the entries came from TITLE=STARS texts
    (:func:`ratings_from_text`), so advice is given in that syntax. ``scale``: the
    data's star scale (``MovieLens.rating_scale``); whole stars 1-5 by default.
    """
    pairs = list(entries.items()) if isinstance(entries, Mapping) else list(entries)
    if not pairs:
        raise ProfileError(['no ratings given: rate at least one movie, e.g. {"Home Alone": 5}'])
    if resolve is None:
        from zeerec.lookup import TitleIndex

        resolve = TitleIndex(movies).find
    titles = movies.set_index("movie_id")["title"]
    problems: list[str] = []
    resolved: dict[int, int | float] = {}
    given_as: dict[int, str] = {}
    for key, stars in pairs:
        if isinstance(key, _Malformed):
            problems.append(str(key))
            continue
        label = repr(key)
        movie_id, problem = _resolve(key, stars, resolve, as_text)
        value, stars_problem = _check_stars(label, stars, scale)
        problems += [p for p in (problem, stars_problem) if p]
        if movie_id is None:
            continue
        if movie_id in given_as:
            title = titles.get(movie_id, movie_id)
            problems.append(
                f"{given_as[movie_id]} and {label} are the same movie ({title}, id "
                f"{movie_id}): rate each movie once"
            )
            continue
        given_as[movie_id] = label
        if value is not None:
            resolved[movie_id] = value
    if problems:
        raise ProfileError(problems)
    return resolved


def _resolve(
    key: Any, stars: Any, resolve: Callable[[str | int], int], as_text: bool
) -> tuple[int | None, str | None]:
    """The movie id ``key`` names, or the problem with it (advised as TITLE=STARS text
    when ``as_text``)."""
    from zeerec.lookup import MovieLookupError

    label = repr(key)
    if isinstance(key, bool | np.bool_) or not isinstance(key, str | int | np.integer):
        return None, f"{label}: expected a movie title or a movie id"
    if isinstance(key, str) and not key.strip():
        return None, "an empty title: give the movie's name, e.g. 'Home Alone'"
    try:
        return int(resolve(key)), None
    except MovieLookupError as err:
        if not as_text or not err.suggested_ids:
            return None, f"{label}: {err}"
        shown = stars if isinstance(stars, int) and 1 <= stars <= 5 else 5
        advice = f'Copy a title, or rate by movie id: "id:{err.suggested_ids[0]}={shown}".'
        if isinstance(key, str) and key.strip().isdigit():
            advice = f'If {key.strip()} is a movie id, write "id:{key.strip()}={shown}".'
        return None, f"{label}: {err.detail} {advice}"
    except (LookupError, ValueError, TypeError) as err:
        return None, f"{label}: {_message(err)}"


def _message(err: BaseException) -> str:
    """A KeyError's str() is its repr; show the sentence instead."""
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


# --------------------------------------------------------------------------- display


def profile_table(profile: Mapping[int, int], movies: pd.DataFrame) -> pd.DataFrame:
    """The profile as a table a person recognises: movie_id, title, genres, stars."""
    ids = list(profile)
    info = movies.set_index("movie_id").reindex(ids)
    return pd.DataFrame(
        {
            "movie_id": ids,
            "title": info["title"].to_numpy(),
            "genres": ["|".join(g) if isinstance(g, list | tuple) else "" for g in info["genres"]],
            "stars": [profile[m] for m in ids],
        }
    )


# --------------------------------------------------------------------------- synthetic data


def stand_in_profile(
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    stars: Iterable[int] = tuple(SEED_PROFILE.values()),
    genre: str = STAND_IN_GENRE,
) -> dict[int, int]:
    """The seed's profile transposed to a catalogue without its titles (synthetic data).

    The seed's user rated four popular comedies; the stand-in takes the most-rated
    movies of ``genre`` (ties by movie id), as many as there are ``stars``, and gives
    them the seed's stars in the seed's order (3, 4, 5, 5). Deterministic for a given
    data set, and built only from what the catalogue and ratings contain.
    """
    stars = list(stars)
    has_genre = movies["genres"].map(lambda g: genre in list(g) if g is not None else False)
    candidates = movies.loc[has_genre.to_numpy(dtype=bool), "movie_id"]
    counts = ratings[ratings["movie_id"].isin(candidates)].groupby("movie_id").size()
    if len(counts) < len(stars):
        raise ProfileError(
            [
                f"only {len(counts)} rated {genre} movie(s): cannot build a {len(stars)}-movie "
                "stand-in profile"
            ]
        )
    frame = counts.rename("n").reset_index().sort_values(["n", "movie_id"], ascending=[False, True])
    chosen = frame["movie_id"].head(len(stars)).astype(np.int64).tolist()
    return dict(zip(chosen, stars, strict=True))


def scale_of(ratings: pd.DataFrame) -> RatingScale:
    """The star scale of a canonical ratings table: half stars are stored as floats."""
    return HALF_STARS if ratings["rating"].dtype.kind == "f" else WHOLE_STARS


def profile_for(
    entries: Entries,
    movies: pd.DataFrame,
    ratings: pd.DataFrame,
    synthetic: bool,
    scale: RatingScale | None = None,
) -> tuple[dict[int, int | float], str | None]:
    """Validate ``entries``; on synthetic data only, fall back to :func:`stand_in_profile`.

    Returns the profile and a note to print when the stand-in was used (else None).
    On real data a problem is always a :class:`ProfileError`. ``scale`` None: the
    ratings' own (:func:`scale_of`), so "Heat=4.5" is accepted on half-star data.
    """
    try:
        return validate_profile(entries, movies, scale=scale or scale_of(ratings)), None
    except ProfileError as err:
        if not synthetic:
            raise
        profile = stand_in_profile(movies, ratings)
        names = ", ".join(
            f"{t} ({s}★)"
            for t, s in zip(
                movies.set_index("movie_id")["title"].reindex(list(profile)),
                profile.values(),
                strict=True,
            )
        )
        note = (
            "These ratings do not fit the SYNTHETIC sample, whose titles are invented "
            f"({err.problems[0]}). Standing in for them: the {len(profile)} most-rated "
            f"{STAND_IN_GENRE.lower()}s of the sample with the same stars — {names}."
        )
        return profile, note
