"""Lists side by side, titles on a list, and timing: what the notebooks show, in one place.

Nothing here computes a recommendation; these functions turn model output (movie ids and
scores) into tables a reader can scan, and time the calls that produce them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from zeerec.lookup import TitleIndex


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
