"""Lists side by side, titles on a list, and timing: what the notebooks show, in one place.

Nothing here computes a recommendation or a similarity; these functions turn finished
lists (frames with a ``movie_id`` column, best first) into tables a reader can scan,
compare lists with each other, and time the calls that produce them. Wherever a table
needs titles, ``titles`` is a :class:`~zeerec.lookup.TitleIndex`, the movies table, or
any mapping movie_id → title.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd

from zeerec.features import movie_stats
from zeerec.lookup import TitleIndex

Titles = TitleIndex | pd.DataFrame | Mapping[int, str]
"""Where titles come from: a TitleIndex, the movies table, or a movie_id → title mapping."""

# --------------------------------------------------------------------------- timing


class Timer:
    """Wall time of a ``with timed() as t:`` block, in seconds (``t.seconds``) and ms."""

    seconds: float = float("nan")

    @property
    def ms(self) -> float:
        return self.seconds * 1000.0


@contextmanager
def timed() -> Iterator[Timer]:
    """Time a block: ``with timed() as t: model.fit(train)`` then ``t.seconds``."""
    timer = Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


def median_seconds(call: Callable[[], object], repeat: int = 20) -> float:
    """Median wall time of ``repeat`` calls, for a call too short to time once."""
    runs = []
    for _ in range(repeat):
        with timed() as t:
            call()
        runs.append(t.seconds)
    return float(np.median(runs))


# --------------------------------------------------------------------------- titles


def _title_map(titles: Titles) -> Mapping[int, str]:
    if isinstance(titles, TitleIndex):
        return titles.series
    if isinstance(titles, pd.DataFrame):
        return titles.set_index("movie_id")["title"]
    return titles


def titles_of(movie_ids: Iterable, titles: Titles) -> list[str]:
    """The title of each id; a missing id (NaN) reads "" and an unknown one its number."""
    lookup = _title_map(titles)
    ids = pd.Series(movie_ids).tolist()
    return ["" if pd.isna(m) else str(lookup.get(int(m), int(m))) for m in ids]


def with_titles(frame: pd.DataFrame, titles: Titles, column: str = "movie_id") -> pd.DataFrame:
    """``frame`` with a ``title`` column first, looked up from its ``column`` of ids."""
    out = frame.copy()
    out.insert(0, "title", titles_of(out[column], titles))
    return out


def titled(top: pd.DataFrame, titles: Titles) -> pd.DataFrame:
    """A list for reading: titles instead of movie ids, numbered from 1 ("rank")."""
    out = with_titles(top.reset_index(drop=True), titles).drop(columns="movie_id")
    return out.set_axis(pd.RangeIndex(1, len(out) + 1, name="rank"))


def readable(recs: pd.DataFrame, titles: TitleIndex, rated: pd.Series) -> pd.DataFrame:
    """Recommendations for reading: title, score, "because you liked" with the user's stars."""
    because = [
        ", ".join(f"{titles.title(m)} ({rated[m]:g}★)" for m in ids) for ids in recs["because"]
    ]
    return pd.DataFrame(
        {
            "title": titles.titles(recs["movie_id"]),
            "score": recs["score"].to_numpy(),
            "because you liked": because,
            "n_neighbours": recs["n_neighbours"].to_numpy(),
        },
        index=recs.index,
    )


# --------------------------------------------------------------------------- comparing lists


def side_by_side(
    lists: Mapping[str, pd.DataFrame], titles: Titles, digits: int | None = None
) -> pd.DataFrame:
    """Top lists next to each other: one column per list, one row per rank.

    A cell is the title, or "title (score)" with the score rounded to ``digits`` when
    ``digits`` is given; shorter lists are padded with "".
    """
    columns = {}
    for label, top in lists.items():
        shown = titles_of(top["movie_id"], titles)
        if digits is not None:
            shown = [f"{t} ({s:.{digits}f})" for t, s in zip(shown, top["score"], strict=True)]
        columns[label] = shown
    length = max((len(c) for c in columns.values()), default=0)
    return pd.DataFrame(
        {k: v + [""] * (length - len(v)) for k, v in columns.items()},
        index=pd.RangeIndex(1, length + 1, name="rank"),
    )


def overlap(lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How many movies each pair of lists shares (the diagonal is each list's length)."""
    sets = {k: set(v["movie_id"].astype(np.int64).tolist()) for k, v in lists.items()}
    names = list(sets)
    return pd.DataFrame(
        [[len(sets[a] & sets[b]) for b in names] for a in names], index=names, columns=names
    )


def popularity_bias(scores: pd.Series, n_common: pd.Series, movie_id: int) -> float:
    """Spearman rank correlation, over all other movies, of score and common raters.

    Near 1, a measure mostly ranks movies by how many raters they share with
    ``movie_id`` (co-popularity), whatever those raters thought of them. Movies without
    a score are left out.
    """
    both = pd.DataFrame({"score": scores, "n": n_common}).drop(index=movie_id).dropna()
    if both["score"].nunique() < 2 or both["n"].nunique() < 2:
        return float("nan")  # a constant has no rank correlation
    return float(both["score"].corr(both["n"], method="spearman"))


def list_evidence(
    lists: Mapping[str, pd.DataFrame], scores: Mapping[str, pd.Series], n_common: pd.Series
) -> pd.DataFrame:
    """Per similarity measure: common raters behind its top list, overlap with the first
    two lists, and how much its scores follow the number of common raters (all movies).

    ``lists`` come from :meth:`~zeerec.similarity.ItemSimilarity.most_similar` for one
    movie; ``scores`` holds each measure's ``scores`` for it, under the same keys.
    """
    names = list(lists)
    movie_id = next(iter(lists.values())).attrs["movie_id"]
    shared = overlap(lists)
    table = pd.DataFrame(
        {
            "median common raters": [int(t["n_common"].median()) for t in lists.values()],
            "fewest common raters": [int(t["n_common"].min()) for t in lists.values()],
        },
        index=names,
    )
    for other in names[:2]:
        table[f"shared with {other}"] = shared[other].to_numpy()
    table["rank corr. of score with common raters"] = [
        popularity_bias(scores[name], n_common, movie_id) for name in names
    ]
    return table


def list_traits(
    lists: Mapping[str, pd.DataFrame],
    ratings: pd.DataFrame,
    movies: pd.DataFrame,
    profile: Mapping[int, int],
) -> pd.DataFrame:
    """What kind of movies each list holds: popularity, quality, age, genre match.

    ``median_ratings``: how many ratings a typical listed movie has (popularity);
    ``weighted_rating``: their mean weighted rating (notebook 02's honest quality);
    ``median_year``: how old they are; ``genre_match``: share of listed movies that share
    a genre with a movie the user rated.
    """
    stats = movie_stats(ratings, movies)
    info = movies.set_index("movie_id")
    liked_genres = {g for m in profile for g in list(info.loc[m, "genres"])}
    rows = {}
    for name, rec in lists.items():
        ids = rec["movie_id"].astype(np.int64).to_numpy()
        n = stats["n_ratings"].reindex(ids).fillna(0)
        wr = stats["weighted_rating"].reindex(ids).fillna(stats.attrs["global_mean"])
        years = pd.to_numeric(info["year"].reindex(ids), errors="coerce")
        match = [bool(set(list(g)) & liked_genres) for g in info["genres"].reindex(ids)]
        rows[name] = {
            "median_ratings": float(n.median()) if len(ids) else np.nan,
            "weighted_rating": float(wr.mean()) if len(ids) else np.nan,
            "median_year": float(years.median()) if len(ids) else np.nan,
            "genre_match": float(np.mean(match)) if len(ids) else np.nan,
        }
    return pd.DataFrame(rows).T


# --------------------------------------------------------------------------- evidence tables


def _user_evidence(rec: pd.DataFrame, out: pd.DataFrame, titles: Titles) -> None:
    used = rec.attrs.get("n_neighbours_used")
    if rec.attrs.get("rank_by") == "vote":  # the list is ranked by the neighbours' vote
        out["vote (summed similarity)"] = rec["score"].round(3).to_numpy()
    else:  # ranked by Resnick's prediction
        out["predicted ★ (uncapped)"] = rec["score"].round(2).to_numpy()
        out["lift over your mean ★"] = (rec["score"] - rec.attrs["user_mean"]).round(2).to_numpy()
    out[f"neighbours who rated it (of {used})"] = rec["n_neighbours"].to_numpy()
    out["their mean ★"] = rec["neighbour_mean"].round(2).to_numpy()


def _mf_evidence(rec: pd.DataFrame, out: pd.DataFrame, titles: Titles) -> None:
    out["predicted ★ (uncapped)"] = rec["score"].round(2).to_numpy()
    out["movie bias"] = rec["movie_bias"].round(2).to_numpy()
    out["taste match"] = rec["taste_match"].round(2).to_numpy()


def _content_evidence(rec: pd.DataFrame, out: pd.DataFrame, titles: Titles) -> None:
    out["cosine"] = rec["score"].round(3).to_numpy()
    out["genres"] = rec["genres"].to_numpy()
    out["decade"] = rec["decade"].to_numpy()
    out["closest liked"] = titles_of(rec["closest_liked"], titles)
    out["weighted rating"] = rec["weighted_rating"].round(2).to_numpy()


def _hybrid_evidence(rec: pd.DataFrame, out: pd.DataFrame, titles: Titles) -> None:
    out["score"] = rec["score"].round(2).to_numpy()
    out["CF part"] = rec["cf_part"].round(2).to_numpy()
    out["content part"] = rec["content_part"].round(2).to_numpy()
    if "popularity_part" in rec and rec["popularity_part"].any():  # only when weighted
        out["popularity part"] = rec["popularity_part"].round(2).to_numpy()
    out["neighbours who rated it"] = rec["n_neighbours"].to_numpy()
    out["cosine"] = rec["content_cosine"].round(3).to_numpy()


_EVIDENCE = {
    "user": _user_evidence,
    "mf": _mf_evidence,
    "content": _content_evidence,
    "hybrid": _hybrid_evidence,
}
"""The evidence columns of each new-user method (:mod:`zeerec.newuser`)."""


def evidence_table(rec: pd.DataFrame, method: str, titles: Titles) -> pd.DataFrame:
    """A new-user top-n list for reading: rank, title, then the evidence behind each movie."""
    if method not in _EVIDENCE:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(_EVIDENCE)}")
    out = pd.DataFrame({"title": titles_of(rec["movie_id"], titles)})
    _EVIDENCE[method](rec, out, titles)
    out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
    return out
