"""Finding the movie (or user) a notebook or a person is talking about.

People type "liar liar", "Liar Liar", "Liar Liar (1997)" or "The Mask" for the catalogue's
"Mask, The (1994)"; all of these resolve. A title that matches nothing, or several movies
(remakes: "101 Dalmatians" is 1961 and 1996), raises an error listing the closest titles,
so the fix is one copy-paste away. Integer movie ids are accepted too.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from zeerec.features import split_title

SUGGESTIONS = 5
"""How many close titles an unknown or ambiguous title's error lists."""

# Trailing articles as MovieLens writes them: "Mask, The", "Cité des enfants perdus, La".
_ARTICLES = r"the|a|an|la|le|les|el|il|lo|der|die|das|los|las|det|den"
_TRAILING_ARTICLE = re.compile(rf"^(.*), ({_ARTICLES})$")
_ALTERNATIVE = re.compile(r"^(.*?) \((.+)\)$")  # "City of Lost Children, The (Cité des …)"


class MovieLookupError(LookupError):
    """A title or id does not name exactly one movie; ``suggestions`` holds close titles.

    ``detail`` is the message without its closing advice, and ``suggested_ids`` the
    movie ids of ``suggestions``, so that a caller with its own syntax for ids (the
    command line's ``--id`` or ``id:NNN``) can advise in that syntax instead.
    """

    def __init__(
        self,
        message: str,
        query: object,
        suggestions: list[str],
        suggested_ids: list[int] | None = None,
        advice: str = "",
    ):
        super().__init__(f"{message} {advice}".strip())
        self.query = query
        self.suggestions = suggestions
        self.suggested_ids = list(suggested_ids or [])
        self.detail = message


class UnknownMovieError(MovieLookupError):
    """No movie has that title or id."""


class AmbiguousMovieError(MovieLookupError):
    """Several movies share that title; add the year."""


def normalise_title(text: str) -> str:
    """Comparable form of a title: no accents, case or punctuation, article in front."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    text = _TRAILING_ARTICLE.sub(r"\2 \1", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_LEADING_ARTICLE = re.compile(rf"^(?:{_ARTICLES}) ")


def _without_article(key: str) -> str:
    return _LEADING_ARTICLE.sub("", key)


def _name_keys(name: str) -> set[str]:
    """Every spelling a name answers to: whole, and each part of "Name (Alternative)"."""
    keys = {normalise_title(name)}
    alt = _ALTERNATIVE.match(str(name))
    if alt:
        keys |= {normalise_title(alt.group(1)), normalise_title(alt.group(2))}
    keys.discard("")
    return keys


class TitleIndex:
    """Title ↔ movie_id lookups over the canonical movies table."""

    def __init__(self, movies: pd.DataFrame) -> None:
        ids = movies["movie_id"].to_numpy(dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("movies has duplicated movie_id values")
        self._title = pd.Series(movies["title"].astype(str).to_numpy(), index=ids)
        parts = split_title(movies["title"].astype(str))
        self._year = pd.Series(parts["year"].to_numpy(), index=ids)
        # Exact spellings first; without a leading article ("city of lost children") second,
        # so that "Mask" finds "Mask (1985)" and not also "Mask, The (1994)".
        self._by_key: dict[str, set[int]] = {}
        self._by_bare_key: dict[str, set[int]] = {}
        for movie_id, name in zip(ids, parts["name"].astype(str), strict=True):
            for key in _name_keys(name):
                self._by_key.setdefault(key, set()).add(int(movie_id))
                self._by_bare_key.setdefault(_without_article(key), set()).add(int(movie_id))
        self._keys = {int(m): normalise_title(n) for m, n in zip(ids, parts["name"], strict=True)}

    def __contains__(self, movie_id: object) -> bool:
        return isinstance(movie_id, int | np.integer) and int(movie_id) in self._title.index

    def title(self, movie_id: int) -> str:
        """The catalogue title of a movie id, e.g. "Liar Liar (1997)"."""
        return self._title.loc[self.find(movie_id)]

    def titles(self, movie_ids: Iterable[int]) -> list[str]:
        return [self.title(int(m)) for m in movie_ids]

    @property
    def series(self) -> pd.Series:
        """movie_id → catalogue title, for lookups that must not raise (see zeerec.display)."""
        return self._title

    def find(self, query: int | str) -> int:
        """The movie_id that ``query`` (a title in any common spelling, or an id) names."""
        if isinstance(query, bool):
            raise TypeError(f"a movie is a title or an integer movie_id, not {query!r}")
        if isinstance(query, int | np.integer):
            if int(query) in self._title.index:
                return int(query)
            ids = self._title.index
            raise UnknownMovieError(
                f"There is no movie with movie_id {int(query)} (ids run from {ids.min()} "
                f"to {ids.max()}, with gaps).",
                query,
                [],
            )
        if not isinstance(query, str):
            raise TypeError(
                f"a movie is a title or an integer movie_id, not {type(query).__name__}"
            )
        parsed = split_title(pd.Series([query.strip()]))
        name, year = parsed["name"].iloc[0], parsed["year"].iloc[0]
        key = normalise_title(name)
        hits: list[int] = []
        for table, k in ((self._by_key, key), (self._by_bare_key, _without_article(key))):
            hits = sorted(table.get(k, ()), key=lambda m: (self._year.loc[m], m))
            if not pd.isna(year):
                hits = [m for m in hits if self._year.loc[m] == year]
            if hits:
                break
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise AmbiguousMovieError(
                f'"{query}" matches {len(hits)} movies: {self._listed(hits)}.',
                query,
                [self._title.loc[m] for m in hits[:SUGGESTIONS]],
                hits[:SUGGESTIONS],
                advice="Give the title with its year, or the movie_id.",
            )
        close = self.suggest_ids(query)
        raise UnknownMovieError(
            f'No movie is titled "{query}". Closest titles: {self._listed(close)}.',
            query,
            [self._title.loc[m] for m in close],
            close,
            advice="Copy one of these, or pass its movie_id (the number after it) instead.",
        )

    def _listed(self, ids: list[int]) -> str:
        """'"Liar Liar (1997)" (id 1485), ...' for the first SUGGESTIONS of ``ids``."""
        return ", ".join(f'"{self._title.loc[m]}" (id {m})' for m in ids[:SUGGESTIONS])

    def suggest(self, query: str, n: int = SUGGESTIONS) -> list[str]:
        """The ``n`` catalogue titles closest to ``query`` (similar spelling or containing it)."""
        return [self._title.loc[m] for m in self.suggest_ids(query, n)]

    def suggest_ids(self, query: str, n: int = SUGGESTIONS) -> list[int]:
        """The movie ids of :meth:`suggest`'s titles, in the same order."""
        name = split_title(pd.Series([str(query).strip()]))["name"].iloc[0]
        q = normalise_title(name)
        scored = []
        for movie_id, key in self._keys.items():
            ratio = difflib.SequenceMatcher(None, q, key, autojunk=False).ratio()
            if q and (f" {q} " in f" {key} "):  # every word of the query, in order
                ratio += 1.0
            scored.append((-ratio, self._title.loc[movie_id], movie_id))
        scored.sort()
        return [movie_id for _, _, movie_id in scored[:n]]


def find_movie(movies: pd.DataFrame, query: int | str) -> int:
    """One-off :meth:`TitleIndex.find`; build a :class:`TitleIndex` for repeated lookups."""
    return TitleIndex(movies).find(query)


def most_rated_movie(ratings: pd.DataFrame) -> int:
    """The movie with the most ratings (ties: the lowest movie_id)."""
    counts = ratings.groupby("movie_id").size()
    if counts.empty:
        raise ValueError("no ratings: there is no most-rated movie")
    return int(counts[counts == counts.max()].index.min())


def pick_movie(ml, query: int | str) -> tuple[int, str | None]:
    """Resolve a notebook's ``movie`` parameter: ``(movie_id, note)``.

    On real data an unknown title is an error with suggestions. The synthetic sample
    has invented titles, so a real title such as "Liar Liar" cannot be in it; there
    the most-rated movie stands in and ``note`` says so, for the notebook to print.
    """
    index = TitleIndex(ml.movies)
    try:
        return index.find(query), None
    except UnknownMovieError:
        if not ml.synthetic:
            raise
    stand_in = most_rated_movie(ml.ratings)
    note = (
        f"{query!r} is not in the synthetic sample (its titles are invented), so the "
        f'most-rated movie, "{index.title(stand_in)}", stands in for it.'
    )
    return stand_in, note


def typical_user(ratings: pd.DataFrame) -> int:
    """The user with the median number of ratings (ties: the lowest user_id).

    A typical user makes a fairer example than the most active one, whose hundreds of
    ratings make any recommender look good.
    """
    counts = ratings.groupby("user_id").size()
    if counts.empty:
        raise ValueError("no ratings: there is no typical user")
    target = counts.median()
    gap = (counts - target).abs()
    return int(gap[gap == gap.min()].index.min())
