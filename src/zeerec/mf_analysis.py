"""Reading the Keras MF models: what each ingredient buys, and what the embeddings learned.

Notebook 05's analyses, as tested functions: the ablation (one model per added
ingredient), the training run in a few numbers, the movie map and how much the genres
explain of it, the background cosine a similar movie must stand out from, and genre
overlaps of neighbour and top-n lists. The models themselves are in
:mod:`zeerec.models.mf`; their test errors side by side come from
:func:`zeerec.evaluation.rating_table`.

Importing this module does not import TensorFlow; :func:`ablation` does, when called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zeerec.lookup import TitleIndex
from zeerec.metrics import mae, rmse
from zeerec.ranking import top_n

if TYPE_CHECKING:
    from zeerec.models.foldin import MFFoldIn
    from zeerec.models.mf import BiasedMF, SeedMF

# --------------------------------------------------------------------------- what each step buys

ABLATION_STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "biases + dot product, Adam at scale, early stopping (no L2)",
        {"reg": 0.0, "bias_reg": 0.0, "reg_exponent": 1.0, "refit": False, "calibrate": False,
         "n_members": 1},
    ),
    ("+ per-batch L2 on the rows looked up", {"reg": None, "bias_reg": None}),
    ("+ penalty growing as n^0.5 per row (not n)", {"reg_exponent": None}),
    ("+ refit on all training ratings", {"refit": True}),
    ("+ taste stretch fitted on the validation set", {"calibrate": True}),
    ("+ co-trained members, averaged (the full model)", {"n_members": None}),
)  # fmt: skip
"""Cumulative steps from a plain biased MF to :class:`~zeerec.models.mf.BiasedMF`;
``None`` = the full model's value."""

ABLATION_COLUMNS = ("step", "rmse", "mae", "rmse_gain", "epochs", "fit_s")
"""The columns of :func:`ablation`'s table (an empty table has them too)."""


def ablation(
    train: pd.DataFrame,
    test: pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    implicit: bool = False,
) -> pd.DataFrame:
    """Fit one model per step of :data:`ABLATION_STEPS` and score each on ``test``.

    Every step switches one more ingredient on, so ``rmse_gain`` between rows is what
    each ingredient buys.

    Args:
        train: the ratings every step trains on (it carves its own validation set).
        test: the ratings every step is scored on (RMSE and MAE, :mod:`zeerec.metrics`).
        settings: the full model's ``BiasedMF`` arguments (its defaults otherwise).
        implicit: also fit the one-member model (the row before the members) with the
            SVD++ implicit term, as a side branch: its gain is measured against that
            row. (With all members it costs n_members × the gathers per step.)

    Returns:
        One row per step, columns :data:`ABLATION_COLUMNS`: ``rmse_gain`` is the RMSE of
        the row it builds on minus its own (NaN on the first row), ``epochs`` those of
        the validated run, ``fit_s`` the whole fit's seconds.
    """
    from zeerec.models.mf import BiasedMF

    final = BiasedMF(**dict(settings or {})).settings
    current = dict(final)
    truth = test["rating"].to_numpy(dtype=np.float64)
    rows = []

    def run(label: str, config: dict[str, Any], against: int) -> None:
        model = BiasedMF(**config).fit(train)
        pred = model.predict(test["user_id"], test["movie_id"])
        err = rmse(truth, pred)
        rows.append(
            {
                "step": label,
                "rmse": err,
                "mae": mae(truth, pred),
                "rmse_gain": rows[against]["rmse"] - err if against >= 0 else np.nan,
                "epochs": len(model.history_["loss"]),
                "fit_s": model.fit_seconds_,
            }
        )

    single = None
    for i, (label, change) in enumerate(ABLATION_STEPS):
        current.update({k: final[k] if v is None else v for k, v in change.items()})
        run(label, dict(current), i - 1)
        if current["n_members"] == 1:
            single = (i, dict(current))
    if implicit and single is not None:
        i, config = single
        run(f"row {i + 1} + implicit feedback term (SVD++)", {**config, "implicit": True}, i)
    return pd.DataFrame(rows, columns=list(ABLATION_COLUMNS))


def ablation_sample(train: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A seeded random sample of ``n`` training ratings (all of them if there are fewer)."""
    return train.sample(n=min(n, len(train)), random_state=seed)


def ablation_gains(table: pd.DataFrame) -> pd.Series:
    """What each step after the first bought: ``rmse_gain`` by step (positive = helped)."""
    return table.iloc[1:].set_index("step")["rmse_gain"]


# --------------------------------------------------------------------------- a training run


def training_summary(model: BiasedMF) -> dict[str, float | int]:
    """A fitted :class:`~zeerec.models.mf.BiasedMF`'s run in the numbers a reader wants.

    Returns:
        ``epochs_run`` (epochs of the validated run), ``best_epoch``,
        ``validation_rmse``, ``taste_stretch`` (the members' mean stretch),
        ``fit_seconds``, ``seconds_per_epoch`` (median over every epoch, refit
        included) and ``n_train`` (ratings of the final run).
    """
    return {
        "epochs_run": len(model.history_["loss"]),
        "best_epoch": int(model.best_epoch_),
        "validation_rmse": float(model.validation_rmse_),
        "taste_stretch": float(np.mean(model.taste_scale_)),
        "fit_seconds": float(model.fit_seconds_),
        "seconds_per_epoch": float(np.median(model.epoch_seconds_)),
        "n_train": int(model.n_train_),
    }


def still_falling(curve: Sequence[float], tol: float = 1e-3) -> bool:
    """Whether a loss curve's last epoch still improved on the one before by more than ``tol``.

    A single epoch counts as still falling: nothing shows it levelled off.
    """
    return len(curve) < 2 or curve[-1] < curve[-2] - tol


def cold_pairs(train: pd.DataFrame, test: pd.DataFrame) -> pd.Series:
    """Per test rating: True when its user or its movie has no training rating."""
    return ~(test["user_id"].isin(train["user_id"]) & test["movie_id"].isin(train["movie_id"]))


def mean_prediction_at(
    truth: Iterable[float], pred: Iterable[float], stars: Sequence[int] = (1, 5)
) -> tuple[float, ...]:
    """A model's mean prediction over the ratings of each of ``stars`` (NaN if none).

    How far apart the means sit says how much a model spreads its predictions, not
    whether it orders them right: see :func:`pair_order_share` for that.
    """
    means = pd.Series(np.asarray(pred)).groupby(np.asarray(truth)).mean()
    return tuple(float(means.get(s, np.nan)) for s in stars)


def pair_order_share(
    truth: Iterable[float], pred: Iterable[float], low: float = 1, high: float = 5
) -> float:
    """Share of (``low``★, ``high``★) rating pairs the model predicts in the right order
    (a tie counts half): the area under the ROC curve of telling the two apart, 0.5 for
    a model that cannot, 1 for one that always can. NaN without both kinds."""
    from sklearn.metrics import roc_auc_score

    truth, pred = np.asarray(truth, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    keep = (truth == low) | (truth == high)
    if len(np.unique(truth[keep])) < 2:
        return float("nan")
    return float(roc_auc_score(truth[keep] == high, pred[keep]))


def movie_bias_percentile(model, movie_ids: Iterable[int]) -> np.ndarray:
    """Where each movie's bias b_i ranks among all the model's movies (100 = highest):
    a movie near the top is one everybody rates above its prediction from taste."""
    bias = pd.Series(model.movie_bias, index=model.ratings_.movie_ids)
    return bias.rank(pct=True).reindex(list(movie_ids)).to_numpy() * 100


# --------------------------------------------------------------------------- reading the embeddings


def main_genres(movies: pd.DataFrame, keep: int = 8) -> pd.Series:
    """One genre per movie: its most specific (least common) genre; rare ones become "Other".

    MovieLens lists genres alphabetically, so the first listed one says little; the
    least common of a movie's genres ("Animation" rather than "Comedy") says most.

    Args:
        movies: the movies table (``movie_id``, ``genres`` as lists).
        keep: how many of the most frequent main genres keep their name.

    Returns:
        ``main_genre`` by movie id.
    """
    lists = movies.set_index("movie_id")["genres"].map(lambda g: list(g) if len(g) else [])
    counts = pd.Series([g for gs in lists for g in gs]).value_counts()
    main = lists.map(lambda gs: min(gs, key=lambda g: (counts[g], g)) if gs else "Other")
    top = main[main != "Other"].value_counts().index[:keep]
    return main.where(main.isin(top), "Other").rename("main_genre")


def movie_map(
    model: BiasedMF | SeedMF, movies: pd.DataFrame, min_ratings: int = 50, keep: int = 8
) -> pd.DataFrame:
    """Movie embeddings projected on their first two principal components.

    Args:
        model: a fitted MF model (its ``movie_factors``).
        movies: the movies table, for each movie's :func:`main_genres`.
        min_ratings: only movies with this many training ratings are placed: the
            embeddings of rarely rated movies are mostly their regularisation prior.
        keep: genres named in ``main_genre`` (see :func:`main_genres`).

    Returns:
        ``movie_id``, ``x``, ``y``, ``main_genre``, ``n_ratings``;
        ``attrs["explained"]`` holds the share of variance of the two components.
    """
    counts = np.bincount(model.ratings_.matrix.tocoo().col, minlength=model.ratings_.shape[1])
    cols = np.flatnonzero(counts >= min_ratings)
    if len(cols) < 3:
        raise ValueError(f"fewer than 3 movies have {min_ratings}+ ratings: lower min_ratings")
    q = model.movie_factors[cols]
    centred = q - q.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    variance = s**2 / np.sum(s**2)
    ids = model.ratings_.movie_ids[cols]
    genre = main_genres(movies, keep=keep).reindex(ids).fillna("Other")
    out = pd.DataFrame(
        {
            "movie_id": ids,
            "x": coords[:, 0],
            "y": coords[:, 1],
            "main_genre": genre.to_numpy(),
            "n_ratings": counts[cols],
        }
    )
    out.attrs["explained"] = (float(variance[0]), float(variance[1]))
    return out


def genre_share_of_spread(mapped: pd.DataFrame) -> float:
    """How much of the spread of a :func:`movie_map` the main genre accounts for.

    One minus the squared distances to each genre's centre over the squared distances
    to the overall centre: 0 = genres mixed at random, 1 = each genre on one point.
    """
    xy = mapped[["x", "y"]].to_numpy()
    centres = mapped.groupby("main_genre")[["x", "y"]].transform("mean").to_numpy()
    return float(1 - ((xy - centres) ** 2).sum() / ((xy - xy.mean(axis=0)) ** 2).sum())


def genre_centres(mapped: pd.DataFrame) -> pd.DataFrame:
    """Each main genre's centre on a :func:`movie_map` and its number of movies, largest first."""
    return (
        mapped.groupby("main_genre")[["x", "y"]]
        .mean()
        .assign(movies=mapped["main_genre"].value_counts())
        .sort_values("movies", ascending=False)
    )


def median_cosine(model: BiasedMF | SeedMF, movie_id: int) -> float:
    """The median cosine between ``movie_id``'s embedding and every movie's (itself included).

    The background a similar movie has to stand out from: when every movie vector points
    roughly the same way, a cosine near 1 says little. An all-zero vector counts as 0.
    """
    factors = model.movie_factors
    q = factors / np.linalg.norm(factors, axis=1, keepdims=True).clip(1e-12)
    return float(np.median(q @ q[model.ratings_.movie_index(movie_id)[0]]))


def neighbours_table(
    similar: pd.DataFrame, titles: TitleIndex, train: pd.DataFrame
) -> pd.DataFrame:
    """A ``similar_movies`` result for reading: title, cosine and training ratings, by rank."""
    counts = train.groupby("movie_id").size()
    return pd.DataFrame(
        {
            "title": titles.titles(similar["movie_id"]),
            "cosine": similar["similarity"].to_numpy(),
            "ratings": counts.reindex(similar["movie_id"]).fillna(0).astype(int).to_numpy(),
        },
        index=pd.RangeIndex(1, len(similar) + 1, name="rank"),
    )


def genre_overlap(movies: pd.DataFrame, ids: Iterable[int], reference: Iterable[int]) -> float:
    """Share of the movies ``ids`` that have a genre in common with any movie of ``reference``.

    NaN when ``ids`` is empty.
    """
    genre_sets = movies.set_index("movie_id")["genres"].map(set)
    wanted = set().union(*genre_sets.reindex(list(reference)))
    shared = [bool(genre_sets[i] & wanted) for i in ids]
    return float(np.mean(shared)) if shared else float("nan")


def user_ratings(train: pd.DataFrame, user: int) -> pd.DataFrame:
    """A user's training ratings, favourites first (most stars, then lowest movie id)."""
    mine = train[train["user_id"] == user]
    return mine.sort_values(["rating", "movie_id"], ascending=[False, True])


def top_list_table(
    recs: pd.DataFrame,
    titles: TitleIndex,
    movies: pd.DataFrame,
    star_range: tuple[float, float] = (1.0, 5.0),
    **extra: Any,
) -> pd.DataFrame:
    """A star model's recommendations for reading: title, predicted stars (clipped to
    ``star_range``, the model's ``star_range_``; the list itself is ranked by the
    unclipped score), genres and any ``extra`` columns, by rank."""
    genres = movies.set_index("movie_id")["genres"].map(", ".join)
    return pd.DataFrame(
        {
            "title": titles.titles(recs["movie_id"]),
            "predicted stars": np.clip(recs["score"].to_numpy(), *star_range),
            "genres": genres.reindex(recs["movie_id"]).to_numpy(),
            **extra,
        },
        index=pd.RangeIndex(1, len(recs) + 1, name="rank"),
    )


def agreement(foldin: MFFoldIn, model, n_users: int = 200, seed: int = 0) -> pd.DataFrame:
    """Fold in existing users' ratings and compare with the trained model, user by user.

    For a seeded sample of trained users: ``rmse_vs_trained`` between the fold-in's and
    the model's predicted stars over every trained movie; ``user_part``, the size of
    what the model predicts for this user beyond ``mu + b_i`` (the scale against which
    the disagreement should be small); ``top10_shared`` movies in common between the
    two top-10 lists of unseen movies; and both user biases.
    """
    trained_users = np.flatnonzero(model.trained_users_)
    rng = np.random.default_rng(seed)
    rows = rng.choice(trained_users, min(n_users, len(trained_users)), replace=False)
    movies = model.trained_movies_
    anonymous = model.global_mean + model.movie_bias  # the prediction for nobody in particular
    out = []
    for row in np.sort(rows):
        user = int(model.ratings_.user_ids[row])
        folded, trained = foldin.scores(user), model.scores(user)
        seen = foldin.seen(user)
        a, b = folded.copy(), trained.copy()
        a[seen] = b[seen] = -np.inf
        a[~movies] = b[~movies] = -np.inf
        out.append(
            {
                "user_id": user,
                "n_ratings": len(seen),
                "rmse_vs_trained": float(np.sqrt(np.mean((folded - trained)[movies] ** 2))),
                "user_part": float(np.sqrt(np.mean((trained - anonymous)[movies] ** 2))),
                "top10_shared": len(set(top_n(a, 10)) & set(top_n(b, 10))),
                "bias_trained": float(model.user_bias[row]),
                "bias_folded": foldin.fold_in(user).bias,
            }
        )
    return pd.DataFrame(out)
