"""The canonical MovieLens tables, the codes they are decoded with, and the data errors.

:class:`MovieLens` is the one in-memory shape every notebook and model works on; its
tables and dtypes are described in :mod:`zeerec.data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

KINDS = ("movies", "ratings", "users")
SYNTHETIC_MARKER = "zeerec-synthetic.json"

AGE_GROUPS: dict[int, str] = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}

OCCUPATIONS: dict[int, str] = {
    0: "other or not specified",
    1: "academic/educator",
    2: "artist",
    3: "clerical/admin",
    4: "college/grad student",
    5: "customer service",
    6: "doctor/health care",
    7: "executive/managerial",
    8: "farmer",
    9: "homemaker",
    10: "K-12 student",
    11: "lawyer",
    12: "programmer",
    13: "retired",
    14: "sales/marketing",
    15: "scientist",
    16: "self-employed",
    17: "technician/engineer",
    18: "tradesman/craftsman",
    19: "unemployed",
    20: "writer",
}

HOW_TO_GET_DATA = (
    "Put zee-movies.dat, zee-ratings.dat and zee-users.dat (or the GroupLens names "
    "movies.dat, ratings.dat, users.dat) into data/raw/, run `make data` to download "
    "MovieLens-1M from GroupLens (`make data DATASET=ml-25m` for a larger release, then "
    "DATA=data/raw/ml-25m), or use the synthetic sample: `make report DATA=sample`."
)


STRICT_HINT = (
    "Fix or remove the line, or load with strict=False to drop such rows and count them "
    "in the data-quality table."
)

GENDER_DTYPE = pd.CategoricalDtype(["F", "M"])
AGE_GROUP_DTYPE = pd.CategoricalDtype(list(AGE_GROUPS.values()), ordered=True)


def users_table(
    user_id: pd.Series,
    gender: pd.Series,
    age: pd.Series,
    occupation_id: pd.Series,
    occupation: pd.Series,
    zip_code: pd.Series,
) -> pd.DataFrame:
    """The canonical users table; ``age`` holds ML-1M age codes, ``occupation`` a category."""
    return pd.DataFrame(
        {
            "user_id": user_id.astype("int32"),
            "gender": gender.astype(GENDER_DTYPE),
            "age": age.astype("int8"),
            "age_group": age.map(AGE_GROUPS).astype(AGE_GROUP_DTYPE),
            "occupation_id": occupation_id.astype("int8"),
            "occupation": occupation,
            "zip": zip_code.astype("string"),
        }
    )


@dataclass(frozen=True)
class RatingScale:
    """The stars a release allows: ``low`` to ``high`` in steps of ``step``.

    ML-1M and ML-100K rate in whole stars (1-5); ML-10M and the CSV releases in half
    stars (0.5-5.0). Models clip predictions to ``low``..``high``; the new-user profile
    accepts the same steps.
    """

    low: float = 1.0
    high: float = 5.0
    step: float = 1.0

    @property
    def whole(self) -> bool:
        return float(self.step).is_integer()

    @property
    def values(self) -> tuple[float, ...]:
        """Every allowed rating, lowest first (ints for whole stars)."""
        n = round((self.high - self.low) / self.step) + 1
        stars = [self.low + i * self.step for i in range(n)]
        return tuple(int(s) for s in stars) if self.whole else tuple(stars)

    @property
    def dtype(self) -> str:
        """int8 for whole stars (as ML-1M always had), float32 for half stars (exact)."""
        return "int8" if self.whole and float(self.low).is_integer() else "float32"

    def label(self) -> str:
        if self.whole:
            return f"{self.low:g}..{self.high:g}"
        return f"{self.low:g}..{self.high:.1f} in steps of {self.step:g}"

    def off_step(self, rating: np.ndarray) -> np.ndarray:
        """True where ``rating`` is not ``low`` plus a whole number of steps."""
        k = (np.asarray(rating, dtype=np.float64) - self.low) / self.step
        return k != np.trunc(k)

    def as_list(self) -> list[float]:
        return [self.low, self.high, self.step]


WHOLE_STARS = RatingScale(1.0, 5.0, 1.0)
HALF_STARS = RatingScale(0.5, 5.0, 0.5)


def ratings_table(
    user_id: pd.Series,
    movie_id: pd.Series,
    rating: pd.Series,
    timestamp: pd.Series,
    scale: RatingScale = WHOLE_STARS,
) -> pd.DataFrame:
    """The canonical ratings table; ``timestamp`` in seconds since 1970 (UTC).

    Each column stays a block of its own: at 25M ratings, copying the two id columns
    into one shared block took about a second. The index is 0, 1, ... whatever the
    inputs' (the CSV fast path indexes its rows by line). ``timestamp``: whole seconds,
    or already datetime64[s] (the CSV fast path: then not copied).
    """
    if timestamp.dtype != "datetime64[s]":
        timestamp = timestamp.to_numpy().astype("datetime64[s]")
    return pd.DataFrame(
        {
            "user_id": user_id.astype("int32"),
            "movie_id": movie_id.astype("int32"),
            "rating": rating.astype(scale.dtype),
            "timestamp": timestamp,
        },
        copy=False,
    ).reset_index(drop=True)


def derived_users(user_ids: pd.Series) -> pd.DataFrame:
    """A users table for a release without a users file: the ids that rated, nothing more."""
    values = user_ids.to_numpy()
    if len(values) and 0 <= values.min() and values.max() < 100_000_000:
        seen = np.zeros(int(values.max()) + 1, dtype=bool)  # O(n), no sort
        for i in range(0, len(values), 1 << 20):  # a block at a time: no int64 copy
            seen[values[i : i + (1 << 20)]] = True
        ids = np.flatnonzero(seen).astype("int32")
    else:
        ids = np.unique(values).astype("int32")
    return pd.DataFrame({"user_id": ids})


class DataError(Exception):
    """Base class for every problem with the input data."""


class MissingDataError(DataError, FileNotFoundError):
    """A data folder or one of the three files is not where it was expected."""


class DataFormatError(DataError, ValueError):
    """A data file cannot be read as it is: a line in strict mode, or the file as a whole.

    The message names the file, the line (where there is one) and the value, and ends
    with ``hint``: what to do about it (by default, for one bad line in strict mode).
    """

    def __init__(
        self,
        path: Path,
        line: int | None,
        problem: str,
        value: object = None,
        hint: str = STRICT_HINT,
    ):
        self.path, self.line, self.problem, self.value = Path(path), line, problem, value
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        shown = "" if value is None else f": {value!r}"
        super().__init__(f"{where}: {problem}{shown}. {hint}")


class DataConflictError(DataError, ValueError):
    """A folder holds two different files for the same table; zeerec will not pick one."""


@dataclass
class MovieLens:
    """The three canonical tables plus what was found wrong while reading them."""

    movies: pd.DataFrame
    users: pd.DataFrame
    ratings: pd.DataFrame
    quality: pd.DataFrame
    source: str = ""
    synthetic: bool = False
    info: dict = field(default_factory=dict)
    rating_scale: RatingScale = WHOLE_STARS

    @property
    def has_demographics(self) -> bool:
        """False for releases without a users file (ML-10M and later): ids only."""
        return "gender" in self.users.columns

    def summary(self) -> dict[str, int]:
        """Counts a reader checks first: is this the data I think it is?"""
        return {
            "movies": len(self.movies),
            "users": len(self.users),
            "ratings": len(self.ratings),
            "rated_movies": int(self.ratings["movie_id"].nunique()),
            "active_users": int(self.ratings["user_id"].nunique()),
            "titles_without_year": int(self.movies["year"].isna().sum()),
        }

    def column_types(self) -> pd.DataFrame:
        """Column × table grid of dtypes: the quick proof that nothing is left as raw text."""
        rows = [
            {"table": name, "column": col, "dtype": str(dtype)}
            for name in ("movies", "users", "ratings")
            for col, dtype in getattr(self, name).dtypes.items()
        ]
        grid = pd.DataFrame(rows).pivot_table(
            index="column", columns="table", values="dtype", aggfunc="first"
        )
        return grid.fillna("")

    def merged(self) -> pd.DataFrame:
        """One row per rating with the movie's and the user's attributes (the seed's ``data``)."""
        return self.ratings.merge(self.movies, on="movie_id", how="left", validate="m:1").merge(
            self.users, on="user_id", how="left", validate="m:1"
        )
