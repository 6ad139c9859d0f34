"""Seeded generator of synthetic MovieLens-like data sets, at any size from a test fixture to 32M.

The real MovieLens files may not be redistributed, so tests, CI and first-time users run on data
this module invents: same file layout, similar marginal shapes (activity, popularity, star shares,
demographics, time span) and a latent taste structure tied to genres, so that similarity and
recommender notebooks find something real to recover. No MovieLens content is copied: titles are
assembled from word lists, and only aggregate figures (e.g. "34.7% of users are 25-34", "ML-25M
has 162,541 users") are used.

A sample takes the shape of the MovieLens release nearest to it in number of ratings (on a log
scale; :data:`SHAPES`), scaled to the ratings asked for: ``scale`` is the number of ratings in
millions (ML-1M's 1,000,209 at 1.0). Up to scale ~3 that is ML-1M (the "zee" files, whole stars,
a users file); 5 and 10 take ML-10M's (``ratings.dat``/``movies.dat``, half stars, no users file,
about 7 users per movie); 20, 25 and 32 those of the CSV releases (``ratings.csv``/``movies.csv``
with quoted titles, half stars, no users file). ``shape=`` picks one explicitly.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import os
import pathlib
from dataclasses import dataclass

import numpy as np

from zeerec.data import SYNTHETIC_MARKER
from zeerec.features import GENRES
from zeerec.files import atomic_write
from zeerec.synthetic_titles import make_titles

__all__ = [
    "GENRES", "SHAPES", "SYNTHETIC_MARKER", "Shape", "ensure_sample", "generate", "shape_for"
]  # fmt: skip

MOVIES_FILE = "zee-movies.dat"
USERS_FILE = "zee-users.dat"
RATINGS_FILE = "zee-ratings.dat"
ENCODING = "ISO-8859-1"

# --- Shapes at scale 1.0 (aggregate ML-1M figures, rounded) ---------------------------------------
FULL_RATINGS = 1_000_209
MIN_USERS = 10
MIN_MOVIES = 40  # a user needs >= 20 distinct movies; below ~40 every user would rate them all
MIN_RATINGS_PER_USER = 20
MAX_DENSITY = 0.2  # small samples cannot keep 166 ratings/user on ~200 movies; cap the density
MAX_USER_SHARE = 0.6  # the most active ML-1M user rated ~62% of the rated movies

STAR_SHARES = np.array([0.056, 0.108, 0.261, 0.349, 0.226])
# 0.5, 1.0, ..., 5.0 stars in the half-star releases (ML-25M's aggregate shares, rounded).
HALF_STAR_SHARES = np.array([0.016, 0.031, 0.016, 0.066, 0.050, 0.196, 0.127, 0.266, 0.087, 0.145])
AGE_CODES = np.array([1, 18, 25, 35, 45, 50, 56])
AGE_SHARES = np.array([0.037, 0.183, 0.347, 0.197, 0.091, 0.082, 0.063])
MALE_SHARE = 0.717
OCCUPATION_SHARES = np.array([
    0.118, 0.087, 0.044, 0.029, 0.126, 0.019, 0.039, 0.112, 0.003, 0.015, 0.032,
    0.021, 0.064, 0.024, 0.050, 0.024, 0.040, 0.083, 0.012, 0.012, 0.047,
])  # fmt: skip
# Relative genre frequency among movies and the number of genres a movie carries.
GENRE_WEIGHTS = np.array([
    503, 283, 105, 251, 1200, 211, 127, 1603, 68, 44, 343, 114, 106, 471, 276, 492, 143, 68,
], dtype=float)  # fmt: skip
N_GENRE_SHARES = np.array([0.52, 0.34, 0.11, 0.026, 0.0036, 0.0004])
# Release years: ML-1M is dominated by the 1990s, with a thin tail back to 1919.
YEAR_EDGES = np.array([1919, 1930, 1940, 1950, 1960, 1970, 1980, 1990, 1995, 2001])
YEAR_WEIGHTS = np.array([37, 77, 126, 168, 191, 247, 598, 661, 1778], dtype=float)

DAY = 86_400


@dataclass(frozen=True)
class Shape:
    """A MovieLens release's size and layout: the counts are the release's own (GroupLens
    READMEs), which a sample of another size scales in proportion."""

    name: str
    users: int
    movies: int
    max_id: int
    ratings: int
    unrated: float  # share of the movies table nobody rated
    layout: str  # "zee": ML-1M's zee-*.dat with users; "dat": ML-10M; "csv": ML-20M and later
    first: tuple[int, int, int]  # (year, month, day) of the first and last rating
    last: tuple[int, int, int]

    @property
    def half_stars(self) -> bool:
        return self.layout != "zee"

    @property
    def files(self) -> tuple[str, ...]:
        return {
            "zee": (MOVIES_FILE, USERS_FILE, RATINGS_FILE),
            "dat": ("movies.dat", "ratings.dat"),
            "csv": ("movies.csv", "ratings.csv"),
        }[self.layout]


SHAPES: dict[str, Shape] = {
    s.name: s
    for s in (
        Shape("ml-1m", 6040, 3883, 3952, 1000209, 0.04, "zee", (2000, 4, 25), (2003, 2, 28)),
        Shape("ml-10m", 69878, 10681, 65133, 10000054, 0.01, "dat", (1996, 1, 29), (2009, 1, 5)),
        Shape("ml-20m", 138493, 27278, 131262, 20000263, 0.02, "csv", (1995, 1, 9), (2015, 3, 31)),
        Shape("ml-25m", 162541, 62423, 209171, 25000095, 0.05, "csv", (1995, 1, 9), (2019, 11, 21)),
        Shape("ml-32m", 200948, 87585, 292757, 32000204, 0.04, "csv", (1995, 1, 9), (2023, 10, 12)),
    )
}  # fmt: skip
"""The releases a sample can take the shape of, by name (``generate(..., shape="ml-25m")``)."""


def shape_for(scale: float) -> Shape:
    """The release nearest to ``scale`` million ratings on a log scale (ML-1M up to ~3.2M,
    ML-10M up to ~14M, then ML-20M, ML-25M, ML-32M)."""
    _check_scale(scale)
    wanted = np.log(scale * FULL_RATINGS)
    return min(SHAPES.values(), key=lambda s: (abs(wanted - np.log(s.ratings)), s.ratings))


def _check_scale(scale: float) -> None:
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")


# --- Latent taste model knobs (in "star" units before quantile mapping) ---------------------------
N_FREE_DIMS = 4  # taste dimensions not tied to any genre (tone, pace, ...)
USER_BIAS_SD = 0.45
ITEM_BIAS_SD = 0.45
ITEM_POP_EFFECT = 0.25  # popular movies are somewhat better liked
TASTE_SD = 0.8  # sd of <p_u, q_i>
NOISE_SD = 0.6
SELECTION_TILT = 1.2  # how strongly users pick movies they will like (log-odds per taste sd)
POPULARITY_SD = 1.35  # lognormal spread of movie popularity


@dataclass(frozen=True)
class _Movies:
    ids: np.ndarray
    years: np.ndarray
    genres: np.ndarray  # bool, (n_movies, 18)
    titles: list[str]


@dataclass(frozen=True)
class _Users:
    ids: np.ndarray
    gender: np.ndarray  # "M"/"F"
    age: np.ndarray
    occupation: np.ndarray
    zipcode: np.ndarray


# --- Movies and users ---------------------------------------------------------------------------
def _make_movies(rng: np.random.Generator, n_movies: int, max_id: int) -> _Movies:
    ids = np.sort(rng.choice(max_id, size=n_movies, replace=False) + 1)
    year_bin = rng.choice(len(YEAR_WEIGHTS), size=n_movies, p=YEAR_WEIGHTS / YEAR_WEIGHTS.sum())
    years = rng.integers(YEAR_EDGES[year_bin], YEAR_EDGES[year_bin + 1])
    # Genres: weighted sampling without replacement via the Gumbel-top-k trick.
    n_genres = rng.choice(
        len(N_GENRE_SHARES), size=n_movies, p=N_GENRE_SHARES / N_GENRE_SHARES.sum()
    )
    keys = np.log(GENRE_WEIGHTS)[None, :] + rng.gumbel(size=(n_movies, len(GENRES)))
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    genres = rank <= n_genres[:, None]
    titles = make_titles(rng, years)
    return _Movies(ids=ids, years=years, genres=genres, titles=titles)


def _make_users(rng: np.random.Generator, n_users: int) -> _Users:
    gender = np.where(rng.random(n_users) < MALE_SHARE, "M", "F")
    age = AGE_CODES[rng.choice(len(AGE_CODES), size=n_users, p=AGE_SHARES / AGE_SHARES.sum())]
    occupation = rng.choice(
        len(OCCUPATION_SHARES), size=n_users, p=OCCUPATION_SHARES / OCCUPATION_SHARES.sum()
    )
    zipcode = np.array([f"{z:05d}" for z in rng.integers(0, 100_000, size=n_users)])
    return _Users(
        ids=np.arange(1, n_users + 1),
        gender=gender,
        age=age,
        occupation=occupation,
        zipcode=zipcode,
    )


def _genre_offsets(users: _Users) -> np.ndarray:
    """Mild demographic tilt of genre tastes, so demographic breakdowns show something."""
    g = {name: i for i, name in enumerate(GENRES)}
    off = np.zeros((len(users.ids), len(GENRES)))
    female = users.gender == "F"
    for name, delta in (
        ("Romance", 0.5),
        ("Musical", 0.4),
        ("Drama", 0.3),
        ("Action", -0.4),
        ("Sci-Fi", -0.4),
        ("War", -0.4),
        ("Horror", -0.3),
    ):
        off[female, g[name]] += delta
    young = users.age <= 18
    older = users.age >= 45
    for name, delta in (
        ("Animation", 0.5),
        ("Children's", 0.4),
        ("Horror", 0.4),
        ("Comedy", 0.3),
        ("Film-Noir", -0.5),
        ("Western", -0.4),
    ):
        off[young, g[name]] += delta
        off[older, g[name]] -= delta
    return off


# --- Ratings ------------------------------------------------------------------------------------
def _user_counts(rng: np.random.Generator, n_users: int, target: int, cap: int) -> np.ndarray:
    """Long-tailed activity: 20 + k * lognormal, with k solved so the total hits the target."""
    raw = np.maximum(rng.lognormal(mean=0.0, sigma=1.15, size=n_users) - 0.1, 0.0)
    lo, hi = 0.0, float(cap)

    def total(k: float) -> int:
        return int(np.minimum(MIN_RATINGS_PER_USER + np.floor(k * raw), cap).sum())

    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) < target else (lo, mid)
    return np.minimum(MIN_RATINGS_PER_USER + np.floor(hi * raw), cap).astype(np.int64)


def _make_ratings(
    rng: np.random.Generator, users: _Users, movies: _Movies, target: int, shape: Shape
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Who rated what, with how many stars and when: (user, movie, stars, timestamp) arrays."""
    n_users = len(users.ids)
    p, q = _tastes(rng, users, movies)
    p_mean_taste = (p[: min(n_users, 500)] @ q.T).mean()
    log_pop, b_item = _popularity(rng, movies, shape.unrated)
    b_user = USER_BIAS_SD * rng.standard_normal(n_users)

    n_ratable = int(np.isfinite(log_pop).sum())
    cap = max(MIN_RATINGS_PER_USER, int(MAX_USER_SHARE * n_ratable))
    target = min(target, round(MAX_DENSITY * n_users * n_ratable))
    target = max(target, MIN_RATINGS_PER_USER * n_users)
    counts = _user_counts(rng, n_users, target, cap)

    u, m, taste = _choose_movies(rng, p, q, p_mean_taste, log_pop, counts)
    score = b_user[u] + b_item[m] + taste + NOISE_SD * rng.standard_normal(len(u))
    # Stars by quantile thresholds: overall shares match the release's.
    shares = HALF_STAR_SHARES if shape.half_stars else STAR_SHARES
    cuts = np.quantile(score, np.cumsum(shares / shares.sum())[:-1])
    stars = np.searchsorted(cuts, score, side="right") + 1
    if shape.half_stars:
        stars = stars / 2

    ts = _timestamps(rng, counts, u, shape)
    if shape.layout == "zee":  # ML-1M's files run by user, then time
        order = np.lexsort((movies.ids[m], ts, u))
    else:  # the later releases' by user, then movie
        order = np.lexsort((movies.ids[m], u))
    return users.ids[u][order], movies.ids[m][order], stars[order], ts[order]


def _tastes(
    rng: np.random.Generator, users: _Users, movies: _Movies
) -> tuple[np.ndarray, np.ndarray]:
    """User taste vectors p and movie factors q, scaled so that <p_u, q_i> has sd TASTE_SD."""
    n_users, n_movies = len(users.ids), len(movies.ids)
    n_genre_dims = len(GENRES)
    # Movie factors: normalised genre indicator + noise, plus genre-free dimensions.
    g = movies.genres / np.sqrt(movies.genres.sum(axis=1, keepdims=True))
    q = np.hstack(
        [
            g + 0.15 * rng.standard_normal((n_movies, n_genre_dims)),
            0.35 * rng.standard_normal((n_movies, N_FREE_DIMS)),
        ]
    )
    # User tastes: genre preferences (with a demographic tilt) plus free dimensions.
    p = np.hstack(
        [
            rng.standard_normal((n_users, n_genre_dims)) + _genre_offsets(users),
            rng.standard_normal((n_users, N_FREE_DIMS)),
        ]
    )
    # The sd is estimated on a fixed subsample of users: deterministic.
    probe = (p[: min(n_users, 500)] @ q.T).ravel()
    p *= TASTE_SD / probe.std()
    return p, q


def _popularity(
    rng: np.random.Generator, movies: _Movies, unrated_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log popularity (-inf: never rated) and item bias of each movie.

    Popularity is lognormal, newer movies a little more watched, some movies never rated;
    popular movies are somewhat better liked.
    """
    n_movies = len(movies.ids)
    log_pop = POPULARITY_SD * rng.standard_normal(n_movies) + 0.6 * (movies.years >= 1990)
    n_unrated = int(round(unrated_share * n_movies))
    n_unrated = min(n_unrated, max(0, n_movies - MIN_MOVIES))
    unrated = rng.choice(n_movies, size=n_unrated, replace=False)
    log_pop[unrated] = -np.inf
    z_pop = (log_pop[np.isfinite(log_pop)] - log_pop[np.isfinite(log_pop)].mean()) / POPULARITY_SD
    b_item = ITEM_BIAS_SD * rng.standard_normal(n_movies)
    b_item[np.isfinite(log_pop)] += ITEM_POP_EFFECT * z_pop
    return log_pop, b_item


def _choose_movies(
    rng: np.random.Generator,
    p: np.ndarray,
    q: np.ndarray,
    p_mean_taste: float,
    log_pop: np.ndarray,
    counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which movies each user rates: (user row, movie column, taste) per rating.

    Plackett-Luce sampling without replacement (Gumbel-top-k) on popularity + taste
    tilt, one chunk of users at a time to bound memory.
    """
    n_users, n_movies = len(p), len(q)
    user_idx, movie_idx, taste = [], [], []
    chunk = max(1, 4_000_000 // n_movies)
    for start in range(0, n_users, chunk):
        stop = min(start + chunk, n_users)
        aff = p[start:stop] @ q.T - p_mean_taste
        keys = log_pop[None, :] + (SELECTION_TILT / TASTE_SD) * aff
        keys += rng.gumbel(size=keys.shape)
        # The n_u largest keys of each row; a per-user argpartition is O(n_movies) and cheap.
        n_u = counts[start:stop]
        cols = np.concatenate(
            [np.argpartition(row, -k)[-k:] for row, k in zip(keys, n_u, strict=True)]
        )
        rows = np.repeat(np.arange(stop - start), n_u)
        user_idx.append(rows + start)
        movie_idx.append(cols)
        taste.append(aff[rows, cols])
    return np.concatenate(user_idx), np.concatenate(movie_idx), np.concatenate(taste)


def _timestamps(
    rng: np.random.Generator, counts: np.ndarray, u: np.ndarray, shape: Shape
) -> np.ndarray:
    """Each user is active for a period, a few keep rating for years. ML-1M's users mostly
    joined in its first year (2000); the later releases gained users all along."""
    n_users = len(counts)
    ts_min = calendar.timegm((*shape.first, 0, 0, 0))
    span = calendar.timegm((*shape.last, 23, 59, 59)) - ts_min
    if shape.layout == "zee":
        join = np.minimum(rng.exponential(100 * DAY, n_users), 300 * DAY)
    else:
        join = 0.95 * span * rng.random(n_users)
    activity_z = (np.log(counts) - np.log(counts).mean()) / max(np.log(counts).std(), 1e-9)
    duration = np.exp(np.log(4 * DAY) + 2.6 * rng.standard_normal(n_users) + 1.0 * activity_z)
    duration = np.minimum(duration, span - join)
    offset = join[u] + duration[u] * rng.random(len(u)) ** 1.5
    return (ts_min + np.floor(offset)).astype(np.int64)


# --- Writing ------------------------------------------------------------------------------------
def _lines(fmt: str, columns: list[np.ndarray], encoding: str = ENCODING) -> bytes:
    n = len(columns[0])
    if n == 0:
        return b""
    flat = np.column_stack([np.asarray(c, dtype=object) for c in columns]).ravel().tolist()
    return ((fmt + "\n") * n % tuple(flat)).encode(encoding)


def _chunked_lines(fmt: str, columns: list[np.ndarray], encoding: str, chunk: int = 1_000_000):
    """The same bytes as :func:`_lines`, a million rows at a time (a 25M-row file through one
    list of Python objects would take gigabytes)."""
    n = len(columns[0])
    return b"".join(
        _lines(fmt, [c[i : i + chunk] for c in columns], encoding) for i in range(0, n, chunk)
    )


def _csv_text(header: list[str], rows: list[list[object]]) -> bytes:
    """CSV as the releases write it: quotes only where a field needs them (commas, quotes)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _sizes(scale: float, shape: Shape) -> tuple[int, int, int, int]:
    """Users, movies, largest movie id and target ratings: the shape's, in proportion."""
    _check_scale(scale)
    f = scale * (FULL_RATINGS / shape.ratings)  # exactly scale for ML-1M's shape
    n_users = max(MIN_USERS, round(shape.users * f))
    n_movies = max(MIN_MOVIES, round(shape.movies * f))
    max_id = max(n_movies, round(shape.max_id * f))
    return n_users, n_movies, max_id, round(shape.ratings * f)


def _write(folder: pathlib.Path, shape: Shape, movies: _Movies, users: _Users, ratings) -> None:
    r_user, r_movie, r_star, r_ts = ratings
    genre_names = np.array(GENRES, dtype=object)
    genre_str = ["|".join(genre_names[row]) for row in movies.genres]
    titles = np.array(movies.titles, dtype=object)
    if shape.layout == "zee":
        atomic_write(
            folder / MOVIES_FILE,
            _lines("%d::%s::%s", [movies.ids, titles, np.array(genre_str, dtype=object)]),
        )
        atomic_write(
            folder / USERS_FILE,
            _lines(
                "%d::%s::%d::%d::%s",
                [users.ids, users.gender, users.age, users.occupation, users.zipcode],
            ),
        )
        atomic_write(
            folder / RATINGS_FILE,
            _chunked_lines("%d::%d::%d::%d", [r_user, r_movie, r_star, r_ts], ENCODING),
        )
        return
    genre_str = [g.replace("Children's", "Children") for g in genre_str]
    if shape.layout == "dat":  # ML-10M: UTF-8, "::", stars as 4 or 4.5
        atomic_write(
            folder / "movies.dat",
            _lines("%d::%s::%s", [movies.ids, titles, np.array(genre_str, dtype=object)], "utf-8"),
        )
        atomic_write(
            folder / "ratings.dat",
            _chunked_lines("%d::%d::%g::%d", [r_user, r_movie, r_star, r_ts], "utf-8"),
        )
        return
    rows = [list(r) for r in zip(movies.ids.tolist(), movies.titles, genre_str, strict=True)]
    atomic_write(folder / "movies.csv", _csv_text(["movieId", "title", "genres"], rows))
    atomic_write(
        folder / "ratings.csv",
        b"userId,movieId,rating,timestamp\n"
        + _chunked_lines("%d,%d,%.1f,%d", [r_user, r_movie, r_star, r_ts], "utf-8"),
    )


def _generator_files() -> set[str]:
    return {f for shape in SHAPES.values() for f in shape.files}


def generate(
    folder: str | os.PathLike[str], scale: float = 1.0, seed: int = 42, shape: str | None = None
) -> pathlib.Path:
    """Write a synthetic sample of ``scale`` million ratings and its marker into ``folder``.

    The files and their layout are those of ``shape`` (a key of :data:`SHAPES`; default: the
    release nearest in size, :func:`shape_for`). Same (scale, seed, shape) gives byte-identical
    files. The marker is removed first and written last, so its presence means the data files
    belong to it; files an earlier sample of another layout left in the folder are removed.
    """
    scale, seed = float(scale), int(seed)
    release = _shape(scale, shape)
    n_users, n_movies, max_id, target = _sizes(scale, release)
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker_path = folder / SYNTHETIC_MARKER
    if marker_path.is_file():  # a generator folder: another layout's files are ours to remove
        for name in _generator_files() - set(release.files):
            (folder / name).unlink(missing_ok=True)
    marker_path.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)

    movies = _make_movies(rng, n_movies, max_id)
    users = _make_users(rng, n_users)  # demographics tilt tastes even where no file is written
    ratings = _make_ratings(rng, users, movies, target, release)
    _write(folder, release, movies, users, ratings)
    marker = {
        "generator": "zeerec.synthetic",
        "scale": scale,
        "seed": seed,
        "shape": release.name,
        "n_users": n_users,
        "n_movies": n_movies,
        "n_ratings": len(ratings[0]),
    }
    atomic_write(marker_path, (json.dumps(marker, indent=2) + "\n").encode())
    return folder


def _shape(scale: float, shape: str | None) -> Shape:
    if shape is None:
        return shape_for(scale)
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {sorted(SHAPES)}")
    return SHAPES[shape]


def ensure_sample(
    folder: str | os.PathLike[str], scale: float = 1.0, seed: int = 42, shape: str | None = None
) -> pathlib.Path:
    """Generate only if the marker is missing or stale (other scale/seed/shape) or a file is gone.

    Lets ``make report`` reuse the sample instead of regenerating it on every run.
    """
    folder = pathlib.Path(folder)
    release = _shape(float(scale), shape)
    try:
        marker = json.loads((folder / SYNTHETIC_MARKER).read_text())
        current = (
            marker.get("generator") == "zeerec.synthetic"
            and float(marker.get("scale")) == float(scale)
            and int(marker.get("seed")) == int(seed)
            and marker.get("shape", "ml-1m") == release.name
            and all((folder / f).is_file() for f in release.files)
        )
    except (OSError, ValueError, TypeError, AttributeError):
        current = False
    return folder if current else generate(folder, scale=scale, seed=seed, shape=release.name)
