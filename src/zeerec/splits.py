"""Train/test splits of the canonical ratings table, all seeded.

Every split returns ``(train, test)`` as two DataFrames holding disjoint rows of the
input, so no (user, movie) pair can appear on both sides (the ratings table has one
row per pair). The same input and seed always give the same split.

- :func:`random_split` — a uniform share of all ratings (the seed's 80/20); a user
  may land entirely on one side.
- :func:`stratified_split` — each user's ratings split 75/25 at random, the protocol
  of microsoft/recommenders' MovieLens benchmark; every user with ≥ 2 ratings is on
  both sides, so every test user can be recommended to. The random draw is a hash of
  (seed, user, movie) (:func:`split_key`), so the split does not depend on the row
  order and Spark (:mod:`zeerec.spark.splits`) draws exactly the same one.
- :func:`temporal_split` — each user's latest ``n_test`` ratings held out: "what did
  they watch next?", with no peeking at the future of that user.

:func:`working_set` takes what the notebooks' models learn from when the table is larger
than they can train on in minutes (the larger MovieLens releases): the most-rated movies
and a seeded sample of whole users. At ML-1M's size it is the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPLIT_KINDS = ("stratified", "temporal", "random")

_HASH_SEED = 42  # Spark's hash() starts from 42
_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _murmur3_int(values: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Murmur3_x86_32 of one 4-byte integer per row, as Spark's ``hash()`` does it."""
    k1 = _rotl(values.astype(np.int64).astype(np.uint32) * _C1, 15) * _C2
    h1 = _rotl(seed ^ k1, 13) * np.uint32(5) + np.uint32(0xE6546B64)
    h1 ^= np.uint32(4)
    h1 ^= h1 >> np.uint32(16)
    h1 *= np.uint32(0x85EBCA6B)
    h1 ^= h1 >> np.uint32(13)
    h1 *= np.uint32(0xC2B2AE35)
    return h1 ^ (h1 >> np.uint32(16))


def split_key(users: np.ndarray, movies: np.ndarray, seed: int) -> np.ndarray:
    """A pseudo-random int32 per (user, movie), from the seed: the stratified draw.

    It is Spark's ``hash(seed, user_id, movie_id)`` on int columns (Murmur3, 32 bits,
    each column hashed with the previous result as its seed), so
    :mod:`zeerec.spark.splits` computes the same key inside Spark. Ids and the seed
    must fit in int32.
    """
    for name, v in (("user ids", users), ("movie ids", movies), ("seed", np.asarray(seed))):
        v = np.asarray(v)
        if v.size and (v.min() < -(2**31) or v.max() >= 2**31):
            raise ValueError(f"{name} must fit in 32 bits for the split key")
    with np.errstate(over="ignore"):
        h = np.full(len(users), _HASH_SEED, dtype=np.uint32)
        for column in (np.full(len(users), seed, dtype=np.int64), users, movies):
            h = _murmur3_int(np.asarray(column), h)
    return h.view(np.int32)


def _check_columns(ratings: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings has no column(s) {missing}; got {list(ratings.columns)}")


def _by_mask(ratings: pd.DataFrame, test: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        ratings.loc[~test].reset_index(drop=True),
        ratings.loc[test].reset_index(drop=True),
    )


def random_split(
    ratings: pd.DataFrame, test_size: float = 0.2, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Uniformly random hold-out of ``test_size`` of all ratings (the seed's 80/20)."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    rng = np.random.default_rng(seed)
    n_test = int(round(len(ratings) * test_size))
    test_mask = np.zeros(len(ratings), dtype=bool)
    test_mask[rng.permutation(len(ratings))[:n_test]] = True
    return _by_mask(ratings, test_mask)


def _rank_within_user(users: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position of each row within its user, the user's row count).

    Rows are ordered within a user by ``keys``, the last key major (as in np.lexsort).
    """
    order = np.lexsort((*keys, users))
    sorted_users = users[order]
    starts = np.flatnonzero(np.r_[True, sorted_users[1:] != sorted_users[:-1]])
    sizes = np.diff(np.r_[starts, len(users)])
    pos_sorted = np.arange(len(users)) - np.repeat(starts, sizes)
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = pos_sorted
    count = np.empty(len(users), dtype=np.int64)
    count[order] = np.repeat(sizes, sizes)
    return rank, count


def stratified_split(
    ratings: pd.DataFrame, test_size: float = 0.25, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, a random ``test_size`` share of their ratings goes to test.

    As in microsoft/recommenders' ``python_stratified_split(ratio=0.75)``, a user with
    n ratings keeps floor(0.75·n) in training and the rest, ceil(0.25·n), is held out
    (20 ratings → 15 + 5) — except that every user with ≥ 2 ratings keeps at least one
    rating on each side. A user with a single rating cannot be on both sides; that
    rating stays in training (the user is never a test user). Within a user, ratings
    are ordered by :func:`split_key` (ties by movie id) and the first ``n_train`` go
    to training: the same pairs and seed give the same split in any row order, here
    and in Spark.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    _check_columns(ratings, ("user_id", "movie_id"))
    users = ratings["user_id"].to_numpy()
    movies = ratings["movie_id"].to_numpy().astype(np.int64)
    key = split_key(users, movies, seed)
    rank, count = _rank_within_user(users, movies, key)  # by key, then movie id
    # 1e-9 guards against 0.75 * n landing a hair below an integer in floating point
    n_train = np.floor((1.0 - test_size) * count + 1e-9).astype(np.int64)
    n_train = np.clip(n_train, 1, None)
    n_train = np.where(count >= 2, np.minimum(n_train, count - 1), count)
    return _by_mask(ratings, rank >= n_train)


def temporal_split(ratings: pd.DataFrame, n_test: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest ``n_test`` ratings (by timestamp) are held out.

    Ratings with the same timestamp are ordered by movie id, so the split is fully
    deterministic (no seed is needed). A user with ``n_test`` ratings or fewer keeps
    the earliest one in training and has the rest held out, so every user with ≥ 2
    ratings is on both sides; a user with one rating stays in training only.
    """
    if not isinstance(n_test, int | np.integer) or n_test < 1:
        raise ValueError(f"n_test must be a positive whole number, got {n_test!r}")
    _check_columns(ratings, ("user_id", "movie_id", "timestamp"))
    users = ratings["user_id"].to_numpy()
    ts = ratings["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    movies = ratings["movie_id"].to_numpy().astype(np.int64)
    rank, count = _rank_within_user(users, movies, ts)  # by timestamp, then movie id
    n_train = np.maximum(count - n_test, 1)
    return _by_mask(ratings, rank >= n_train)


def make_split(
    ratings: pd.DataFrame,
    kind: str = "stratified",
    seed: int = 42,
    test_size: float = 0.25,
    n_test: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One entry point for notebooks: ``kind`` is "stratified", "temporal" or "random"."""
    if kind == "stratified":
        return stratified_split(ratings, test_size=test_size, seed=seed)
    if kind == "temporal":
        return temporal_split(ratings, n_test=n_test)
    if kind == "random":
        return random_split(ratings, test_size=test_size, seed=seed)
    raise ValueError(f"unknown split kind {kind!r}; choose one of {', '.join(SPLIT_KINDS)}")


def split_summary(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Ratings, users and movies on each side of a split, and the pairs on both sides.

    ``attrs``: ``shared_users`` (users on both sides, the ones a list can be judged for)
    and ``shared_pairs`` ((user, movie) pairs on both sides: 0 for a sound split).
    """
    table = pd.DataFrame(
        {
            "ratings": [len(train), len(test)],
            "users": [train["user_id"].nunique(), test["user_id"].nunique()],
            "movies": [train["movie_id"].nunique(), test["movie_id"].nunique()],
        },
        index=pd.Index(["train", "test"], name="side"),
    )
    table.attrs["shared_users"] = len(set(train["user_id"]) & set(test["user_id"]))
    table.attrs["shared_pairs"] = len(train.merge(test, on=["user_id", "movie_id"]))
    return table


@dataclass(frozen=True)
class WorkingSet:
    """The ratings a notebook's models learn from, and how they were taken from the table.

    ``ratings`` is the input itself when neither limit was reached (:attr:`whole`).
    """

    ratings: pd.DataFrame
    users: int
    all_users: int
    raters: int  # users who rated the kept movies: the pool the sample is drawn from
    kept_movies: int  # movies the movie limit kept (the most rated)
    movies: int  # of those, movies the sampled users rated
    all_movies: int
    n_ratings: int
    all_ratings: int
    max_users: int | None
    max_movies: int | None

    @property
    def whole(self) -> bool:
        return self.n_ratings == self.all_ratings

    def sentence(self) -> str:
        """What the working set is, in one sentence for the notebook."""
        limits = f"max_users = {self.max_users}, max_movies = {self.max_movies}"
        if self.whole:
            return (
                f"The working set is all {self.all_ratings:,} ratings ({limits}); the split "
                "below decides which of them the models learn from."
            )
        movies = (
            f"the {self.kept_movies:,} most-rated of the {self.all_movies:,} rated movies"
            if self.kept_movies < self.all_movies
            else f"all {self.all_movies:,} rated movies"
        )
        users = (
            f"a seeded sample of {self.users:,} of the {self.raters:,} users who rated them"
            if self.users < self.raters
            else f"the {self.users:,} users who rated them"
        )
        return (
            f"The models learn from a working set: {movies} and {users}"
            + (
                f" (whose ratings touch {self.movies:,} of those movies)"
                if self.movies < self.kept_movies
                else ""
            )
            + f" — {self.n_ratings:,} of the {self.all_ratings:,} ratings "
            f"({self.n_ratings / self.all_ratings:.1%}), "
            f"so that every model here trains in minutes on two cores ({limits}; None lifts "
            "a limit). Every figure below is about this working set."
        )


def working_set(
    ratings: pd.DataFrame,
    max_users: int | None = None,
    max_movies: int | None = None,
    seed: int = 42,
) -> WorkingSet:
    """At most ``max_movies`` movies (the most rated; ties: lower movie_id) and
    ``max_users`` of the users who rated them (a seeded sample), each with all their
    ratings of those movies.

    Users are whole, so per-user splits, activity buckets and profiles stay those of real
    users. The same table and seed give the same set; a table within both limits comes
    back unchanged.
    """
    _check_columns(ratings, ("user_id", "movie_id"))
    for name, value in (("max_users", max_users), ("max_movies", max_movies)):
        if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1 or None, got {value!r}")
    raters = ratings["movie_id"].value_counts(sort=False)
    all_users, all_movies = int(ratings["user_id"].nunique()), len(raters)
    out = ratings
    if max_movies is not None and all_movies > max_movies:
        ranked = raters.sort_index().sort_values(ascending=False, kind="stable")
        out = out[out["movie_id"].isin(ranked.index[: int(max_movies)])]
    users = np.unique(out["user_id"].to_numpy())
    if max_users is not None and len(users) > max_users:
        chosen = np.random.default_rng(seed).choice(users, size=int(max_users), replace=False)
        out = out[out["user_id"].isin(chosen)]
    return WorkingSet(
        ratings=out,
        users=int(out["user_id"].nunique()),
        all_users=all_users,
        raters=len(users),
        kept_movies=min(all_movies, all_movies if max_movies is None else int(max_movies)),
        movies=int(out["movie_id"].nunique()),
        all_movies=all_movies,
        n_ratings=len(out),
        all_ratings=len(ratings),
        max_users=max_users,
        max_movies=max_movies,
    )
