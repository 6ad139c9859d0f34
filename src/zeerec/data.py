"""Loading and validating the MovieLens-1M files ("zee" or GroupLens names).

The three files are ``::``-separated and ISO-8859-1 encoded. Everything downstream
works on one canonical shape, a :class:`MovieLens` holding three tidy DataFrames:

- ``movies``: movie_id int32, title string (as in the file), name string (title
  without the year), year Int16, genres (list of str);
- ``users``: user_id int32, gender category, age int8 (the code), age_group
  ordered category, occupation_id int8, occupation category, zip string;
- ``ratings``: user_id int32, movie_id int32, rating int8, timestamp datetime64[s].

Bad rows are either fatal (``strict=True``: the error names file, line and value)
or dropped and counted in ``MovieLens.quality``; nothing is coerced silently.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zeerec.features import GENRES, split_title
from zeerec.files import atomic_write

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
    "MovieLens-1M from GroupLens, or use the synthetic sample: `make report DATA=sample`."
)


class DataError(Exception):
    """Base class for every problem with the input data."""


class MissingDataError(DataError, FileNotFoundError):
    """A data folder or one of the three files is not where it was expected."""


class DataFormatError(DataError, ValueError):
    """A line of a data file is invalid; raised in strict mode or when nothing usable is left."""

    def __init__(self, path: Path, line: int | None, problem: str, value: object = None):
        self.path, self.line, self.problem, self.value = Path(path), line, problem, value
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        shown = "" if value is None else f": {value!r}"
        super().__init__(
            f"{where}: {problem}{shown}. Fix or remove the line, or load with strict=False "
            "to drop such rows and count them in the data-quality table."
        )


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


# --------------------------------------------------------------------------- locating


def find_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Map each kind to its file, accepting zee names, GroupLens names and an ml-1m/ subfolder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingDataError(f"Data folder {folder} does not exist. {HOW_TO_GET_DATA}")
    found: dict[str, Path] = {}
    missing = []
    for kind in KINDS:
        candidates = [
            d / name
            for d in (folder, folder / "ml-1m")
            for name in (f"zee-{kind}.dat", f"{kind}.dat")
        ]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(f"zee-{kind}.dat (or {kind}.dat)")
        else:
            found[kind] = hit
    if missing:
        raise MissingDataError(
            f"Expected {', '.join(missing)} in {folder.resolve()}, not found. {HOW_TO_GET_DATA}"
        )
    return found


def has_data(folder: str | os.PathLike) -> bool:
    try:
        find_files(folder)
    except MissingDataError:
        return False
    return True


def is_synthetic(folder: str | os.PathLike) -> bool:
    """Synthetic samples carry a marker file written by zeerec.synthetic."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()


# --------------------------------------------------------------------------- parsing

_SEP = b"\x1f"  # ASCII unit separator: never part of a MovieLens field, safe for the C parser


class _Problems:
    """Collects bad rows per (file, problem); raises at the first one in strict mode."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.rows: list[dict] = []

    def add(
        self,
        path: Path,
        problem: str,
        lines: Sequence[int],
        values: Sequence[object],
        action: str = "dropped",
        fatal: bool = True,
    ) -> None:
        if len(lines) == 0:
            return
        if self.strict and fatal:
            raise DataFormatError(path, int(lines[0]), problem, values[0])
        self.rows.append(
            {
                "file": path.name,
                "problem": problem,
                "rows": len(lines),
                "action": action,
                "example_lines": ", ".join(str(int(n)) for n in list(lines)[:5]),
                "example_value": str(values[0])[:80],
            }
        )

    def table(self) -> pd.DataFrame:
        cols = ["file", "problem", "rows", "action", "example_lines", "example_value"]
        return pd.DataFrame(self.rows, columns=cols)


def _read_dat(
    path: Path,
    names: Sequence[str],
    int_fields: Sequence[str],
    problems: _Problems,
) -> pd.DataFrame:
    """Parse one ``::`` file into string/int columns plus a 1-based ``line`` column.

    The clean case stays on the fast C parser: field counts are checked with numpy on
    the raw bytes, and only lines that fail a check are looked at in Python.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise DataFormatError(path, None, "the file is empty; expected one record per line")
    raw = raw.replace(b"\r\n", b"\n")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    n_fields = len(names)

    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    pair = np.flatnonzero((buf[:-1] == 58) & (buf[1:] == 58))
    seps = np.searchsorted(pair, ends) - np.searchsorted(pair, starts)
    unit = np.flatnonzero(buf == _SEP[0])
    has_unit = np.searchsorted(unit, ends) > np.searchsorted(unit, starts)
    suspicious = np.flatnonzero((seps != n_fields - 1) | (ends == starts) | has_unit)

    keep = np.ones(len(ends), dtype=bool)
    if len(suspicious):
        wrong, wrong_vals, blank = [], [], []
        for i in suspicious:
            text = raw[starts[i] : ends[i]]
            if not text.strip():
                blank.append(i + 1)
            elif len(text.split(b"::")) != n_fields or _SEP in text:
                wrong.append(i + 1)
                wrong_vals.append(text.decode("latin-1"))
            else:
                continue
            keep[i] = False
        problems.add(path, "blank line", blank, [""] * len(blank))
        problems.add(path, f"wrong number of fields (expected {n_fields})", wrong, wrong_vals)
    line_no = np.flatnonzero(keep) + 1
    if len(line_no) == 0:
        raise DataFormatError(path, None, "no valid record left after dropping bad lines")
    if keep.all():
        body = raw
    else:
        body = b"\n".join(raw[starts[i] : ends[i]] for i in line_no - 1) + b"\n"
    body = body.replace(b"::", _SEP)

    df = pd.read_csv(
        io.BytesIO(body),
        sep=_SEP.decode(),
        header=None,
        names=list(names),
        dtype={c: "string" for c in names if c not in int_fields},
        quoting=csv.QUOTE_NONE,
        encoding="latin-1",
        na_filter=False,
        low_memory=False,
        engine="c",
    )
    df.insert(0, "line", line_no)
    bad = np.zeros(len(df), dtype=bool)
    for col in int_fields:
        s = df[col]
        if pd.api.types.is_integer_dtype(s.dtype):
            continue
        text = s.astype("string")
        ok = text.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(dtype=bool)
        idx = np.flatnonzero(~ok & ~bad)
        problems.add(
            path, f"{col} is not an integer", df["line"].to_numpy()[idx], text.to_numpy()[idx]
        )
        bad |= ~ok
        df[col] = pd.to_numeric(text.where(ok, "0"))
    if bad.any():
        df = df.loc[~bad].reset_index(drop=True)
    for col in int_fields:
        df[col] = df[col].astype("int64")
    return df


def _drop(
    df: pd.DataFrame,
    mask: np.ndarray,
    problems: _Problems,
    path: Path,
    problem: str,
    value: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Drop rows flagged by ``mask`` after recording them (or raising in strict mode)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return df
    hit = df.loc[mask]
    problems.add(path, problem, hit["line"].to_numpy(), value(hit).astype(str).to_numpy())
    return df.loc[~mask].reset_index(drop=True)


def _parse_movies(path: Path, problems: _Problems) -> pd.DataFrame:
    df = _read_dat(path, ["movie_id", "title", "genres"], ["movie_id"], problems)
    df = _drop(
        df,
        df["movie_id"].duplicated().to_numpy(),
        problems,
        path,
        "duplicate movie id (first kept)",
        lambda d: d["movie_id"],
    )
    parts = split_title(df["title"])
    no_year = parts["year"].isna().to_numpy()
    problems.add(
        path,
        "title without a (YYYY) year",
        df.loc[no_year, "line"].to_numpy(),
        df.loc[no_year, "title"].to_numpy(),
        action="kept, year missing",
        fatal=False,
    )
    genres = df["genres"].str.split("|").map(lambda g: [x for x in g if x] if g else [])
    known = set(GENRES)
    unknown = genres.map(lambda g: any(x not in known for x in g)).to_numpy(dtype=bool)
    problems.add(
        path,
        "unknown genre",
        df.loc[unknown, "line"].to_numpy(),
        df.loc[unknown, "genres"].to_numpy(),
        action="kept as written",
        fatal=False,
    )
    return pd.DataFrame(
        {
            "movie_id": df["movie_id"].astype("int32"),
            "title": df["title"].astype("string"),
            "name": parts["name"].astype("string"),
            "year": parts["year"].astype("Int16"),
            "genres": genres.astype(object),
        }
    )


def _parse_users(path: Path, problems: _Problems) -> pd.DataFrame:
    cols = ["user_id", "gender", "age", "occupation_id", "zip"]
    df = _read_dat(path, cols, ["user_id", "age", "occupation_id"], problems)
    df = _drop(
        df,
        df["user_id"].duplicated().to_numpy(),
        problems,
        path,
        "duplicate user id (first kept)",
        lambda d: d["user_id"],
    )
    for col, allowed, label in (
        ("gender", {"F", "M"}, "gender is not F or M"),
        ("age", set(AGE_GROUPS), "age is not one of the documented codes"),
        ("occupation_id", set(OCCUPATIONS), "occupation is not a documented code (0-20)"),
    ):
        df = _drop(
            df, ~df[col].isin(allowed).to_numpy(), problems, path, label, lambda d, c=col: d[c]
        )
    age_labels = pd.CategoricalDtype(list(AGE_GROUPS.values()), ordered=True)
    return pd.DataFrame(
        {
            "user_id": df["user_id"].astype("int32"),
            "gender": df["gender"].astype(pd.CategoricalDtype(["F", "M"])),
            "age": df["age"].astype("int8"),
            "age_group": df["age"].map(AGE_GROUPS).astype(age_labels),
            "occupation_id": df["occupation_id"].astype("int8"),
            "occupation": df["occupation_id"]
            .map(OCCUPATIONS)
            .astype(pd.CategoricalDtype(list(OCCUPATIONS.values()))),
            "zip": df["zip"].astype("string"),
        }
    )


def _parse_ratings(
    path: Path, problems: _Problems, user_ids: pd.Series, movie_ids: pd.Series
) -> pd.DataFrame:
    cols = ["user_id", "movie_id", "rating", "timestamp"]
    df = _read_dat(path, cols, cols, problems)
    df = _drop(
        df,
        ~df["rating"].between(1, 5).to_numpy(),
        problems,
        path,
        "rating outside 1..5",
        lambda d: d["rating"],
    )
    df = _drop(
        df,
        df.duplicated(["user_id", "movie_id"]).to_numpy(),
        problems,
        path,
        "duplicate rating of the same movie by the same user (first kept)",
        lambda d: d["user_id"].astype(str) + "::" + d["movie_id"].astype(str),
    )
    df = _drop(
        df,
        ~df["user_id"].isin(user_ids).to_numpy(),
        problems,
        path,
        "user id not in the users file",
        lambda d: d["user_id"],
    )
    df = _drop(
        df,
        ~df["movie_id"].isin(movie_ids).to_numpy(),
        problems,
        path,
        "movie id not in the movies file",
        lambda d: d["movie_id"],
    )
    return pd.DataFrame(
        {
            "user_id": df["user_id"].astype("int32"),
            "movie_id": df["movie_id"].astype("int32"),
            "rating": df["rating"].astype("int8"),
            "timestamp": df["timestamp"].to_numpy().astype("datetime64[s]"),
        }
    )


def load(folder: str | os.PathLike, strict: bool = False) -> MovieLens:
    """Read, validate and decode the three files found in ``folder``.

    ``strict=True`` raises :class:`DataFormatError` at the first invalid line; the
    default drops such rows and lists them in ``MovieLens.quality``. A folder holding
    MovieLens-100K's native ``u.data`` is read by :func:`load_ml100k` instead.
    """
    if (Path(folder) / "u.data").is_file() and not has_data(folder):
        return load_ml100k(folder)
    files = find_files(folder)
    problems = _Problems(strict)
    movies = _parse_movies(files["movies"], problems)
    users = _parse_users(files["users"], problems)
    ratings = _parse_ratings(files["ratings"], problems, users["user_id"], movies["movie_id"])
    info = {kind: str(p) for kind, p in files.items()}
    marker = Path(folder) / SYNTHETIC_MARKER
    if marker.is_file():
        info["synthetic"] = json.loads(marker.read_text())
    return MovieLens(
        movies=movies,
        users=users,
        ratings=ratings,
        quality=problems.table(),
        source=str(Path(folder).resolve()),
        synthetic=marker.is_file(),
        info=info,
    )


def _age_code(age_years: pd.Series) -> pd.Series:
    """ML-1M's age code (the group's lower bound) for an age in years, as ML-100K gives it."""
    bounds = np.array(sorted(AGE_GROUPS))
    return pd.Series(bounds[np.searchsorted(bounds, age_years.to_numpy(), side="right") - 1])


def load_ml100k(folder: str | os.PathLike) -> MovieLens:
    """MovieLens-100K in its native format (u.data, u.item, u.user) as canonical tables.

    Published results exist for 100K, so it is where zeerec's models meet their peers
    on identical data. Ages in years are mapped to ML-1M's age groups; occupations keep
    100K's own labels. ML-100K is clean, so no validation beyond the types is done.
    """
    folder = Path(folder)
    need = [folder / n for n in ("u.data", "u.item", "u.user", "u.occupation")]
    missing = [p.name for p in need if not p.is_file()]
    if missing:
        raise MissingDataError(f"Expected {', '.join(missing)} in {folder} (MovieLens-100K).")
    ratings = pd.read_csv(
        folder / "u.data", sep="\t", header=None, names=["user_id", "movie_id", "rating", "ts"]
    )
    item_cols = ["movie_id", "title", "release", "video", "url", "unknown", *GENRES]
    items = pd.read_csv(
        folder / "u.item",
        sep="|",
        header=None,
        names=item_cols,
        encoding="latin-1",
        quoting=csv.QUOTE_NONE,
        dtype={"title": "string", "release": "string"},
    )
    flags = items[list(GENRES)].to_numpy(dtype=bool)
    parts = split_title(items["title"].str.strip())
    released = pd.to_datetime(items["release"], format="%d-%b-%Y", errors="coerce").dt.year
    year = parts["year"].fillna(released.astype("Int16"))
    movies = pd.DataFrame(
        {
            "movie_id": items["movie_id"].astype("int32"),
            "title": items["title"].str.strip().astype("string"),
            "name": parts["name"].astype("string"),
            "year": year.astype("Int16"),
            "genres": pd.Series(
                [[g for g, f in zip(GENRES, row, strict=True) if f] for row in flags], dtype=object
            ),
        }
    )
    occupations = (folder / "u.occupation").read_text().split()
    raw_users = pd.read_csv(
        folder / "u.user",
        sep="|",
        header=None,
        names=["user_id", "age_years", "gender", "occupation", "zip"],
        dtype={"zip": "string"},
    )
    age = _age_code(raw_users["age_years"])
    users = pd.DataFrame(
        {
            "user_id": raw_users["user_id"].astype("int32"),
            "gender": raw_users["gender"].astype(pd.CategoricalDtype(["F", "M"])),
            "age": age.astype("int8"),
            "age_group": age.map(AGE_GROUPS).astype(
                pd.CategoricalDtype(list(AGE_GROUPS.values()), ordered=True)
            ),
            "occupation_id": raw_users["occupation"].map(occupations.index).astype("int8"),
            "occupation": raw_users["occupation"].astype(pd.CategoricalDtype(occupations)),
            "zip": raw_users["zip"],
        }
    )
    ratings = pd.DataFrame(
        {
            "user_id": ratings["user_id"].astype("int32"),
            "movie_id": ratings["movie_id"].astype("int32"),
            "rating": ratings["rating"].astype("int8"),
            "timestamp": ratings["ts"].to_numpy().astype("datetime64[s]"),
        }
    )
    problems = _Problems(strict=False)
    no_year = movies["year"].isna().to_numpy()
    problems.add(
        folder / "u.item",
        "title without a year",
        np.flatnonzero(no_year) + 1,
        movies.loc[no_year, "title"].to_numpy(),
        action="kept, year missing",
        fatal=False,
    )
    return MovieLens(movies, users, ratings, problems.table(), source=str(folder.resolve()))


# --------------------------------------------------------------------------- processed


def save_processed(ds: MovieLens, folder: str | os.PathLike) -> Path:
    """Write the canonical tables as parquet so later notebooks skip parsing."""
    folder = Path(folder)
    for name in ("movies", "users", "ratings", "quality"):
        frame = getattr(ds, name)
        atomic_write(folder / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
    meta = {"source": ds.source, "synthetic": ds.synthetic, "info": ds.info, **ds.summary()}
    atomic_write(folder / "source.json", json.dumps(meta, indent=2))
    return folder


def load_processed(folder: str | os.PathLike) -> MovieLens:
    """Read what :func:`save_processed` wrote (notebook 01 must have run first)."""
    folder = Path(folder)
    meta_path = folder / "source.json"
    if not meta_path.is_file():
        raise MissingDataError(
            f"No processed data in {folder.resolve()}: run notebook 01_load_clean first "
            "(or `make report`, which runs every notebook in order)."
        )
    meta = json.loads(meta_path.read_text())
    movies = pd.read_parquet(folder / "movies.parquet")
    movies["genres"] = movies["genres"].map(list).astype(object)
    ratings = pd.read_parquet(folder / "ratings.parquet")
    # Parquet has no second resolution; restore the canonical dtype.
    ratings["timestamp"] = ratings["timestamp"].astype("datetime64[s]")
    return MovieLens(
        movies=movies,
        users=pd.read_parquet(folder / "users.parquet"),
        ratings=ratings,
        quality=pd.read_parquet(folder / "quality.parquet"),
        source=meta["source"],
        synthetic=meta["synthetic"],
        info=meta.get("info", {}),
    )
