"""Keras matrix factorisation: the seed's model as published, and a properly built one.

:class:`SeedMF` is the case study's model: a user and a movie embedding (64 factors),
their dot product as the rating, MSE, Adam(1e-4), batch 128, 20 epochs, no biases, no
regularisation. It is kept to show where the seed started.

:class:`BiasedMF` is what a recommender practitioner builds instead::

    r_ui = mu + b_u + b_i + (p_u + |N(u)|^-1/2 * sum_{j in N(u)} y_j) . q_i

- ``mu + b_u + b_i``: the global mean and a bias per user and per movie carry most of
  what can be predicted ("this user rates high", "this movie is liked"); the dot
  product only has to explain what is left.
- ``p_u . q_i``: the taste match, ``factors`` numbers per user and per movie.
- ``y_j`` (``implicit=True``, off by default): SVD++'s implicit-feedback term. A user is
  also described by *which* movies they rated, whatever the stars; ``N(u)`` is the set
  of movies the user rated in the training data. On ML-100K and the ML-1M slice it
  bought 0.001 RMSE or less at 4-8x the training time (BENCHMARKS.md), hence off.
- L2 regularisation on the rows looked up in each batch (never on the whole matrix),
  weighted by how often a row is seen: a user or movie with ``n`` training ratings is
  penalised ``∝ n ** reg_exponent`` in total (1 = plain per-rating L2, 0 = a fixed
  prior per row; 0.5 was best on the validation splits).
- Adam with large batches and a learning rate that converges in tens of epochs; early
  stopping on a validation set carved from the training ratings (never the test set),
  best weights restored; ``refit=True`` then trains once more on all the training
  ratings for the best number of epochs, replaying the learning-rate schedule.
- A stretch ``a`` of the dot product, fitted by least squares on the validation set:
  L2 shrinks both ``p`` and ``q``, so their product is shrunk twice (``a`` ≈ 1.2).
- ``members`` independent models trained side by side in one Keras model, each in its
  own data order, and averaged; the average is again one biased MF.
- Predictions clipped to 1-5. Seeded and deterministic on CPU.

Unknown ids at predict time: :class:`BiasedMF` falls back to what it knows (an unknown
user gets ``mu + b_i``, an unknown movie ``mu + b_u``, both unknown ``mu``);
:class:`SeedMF` has no biases to fall back on and raises a ``KeyError`` naming the ids.

The learned arrays are plain numpy attributes after ``fit``/``load`` (``global_mean``,
``user_bias``, ``movie_bias``, ``user_factors``, ``movie_factors``,
``implicit_factors``; see :meth:`BiasedMF.arrays`), so a new user can be folded in
against fixed movie arrays (:mod:`zeerec.models.foldin`). With the implicit term, a new
user's taste vector is ``p + |N|^-1/2 * sum_{j in N} y_j`` where ``N`` is the set of
movies they rated; the second part is known from the profile alone, so fold-in solves
for ``b_u`` and ``p`` with ``r_j - mu - b_j - implicit . q_j`` as the target.

``save(path)`` writes a folder: ``model.keras`` (the Keras model), ``meta.json`` (class,
settings, training history) and ``ids.npz`` (id maps and the training matrix, for
"already seen"); :func:`load` (or ``BiasedMF.load``) reads it back.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from zeerec.matrix import RatingMatrix, locate
from zeerec.models.base import Profile, Recommender, check_k, top_k
from zeerec.splits import random_split

TF_LOGS_ENV = "ZEEREC_TF_LOGS"
STEPS_PER_EXECUTION = 16
"""Adam steps per call into TensorFlow: the same steps, half the per-step overhead on CPU."""
XLA_MIN_RATINGS = 200_000
"""Compile the training steps with XLA when a model trains on at least this many ratings.

Most of a step's time is Adam updating every row of the embedding tables; XLA fuses
those element-wise updates into one pass over memory. Measured on 2 cores at ML-1M size
(720,150 ratings per epoch, default BiasedMF): 1.36 s instead of 2.05 s per epoch
(median of 16 epochs each, interleaved), predictions equal to within 3e-7. Compiling
costs about 1.5-2 s per model, which small data sets never earn back (ML-100K: 0.15-0.21
s instead of 0.21-0.25 s per epoch), hence the threshold. Keras's own ``"auto"`` would
leave XLA off on every CPU. Set to ``None`` to never use XLA."""


def use_xla(n_ratings: int) -> bool:
    """Whether a model training on ``n_ratings`` ratings compiles its steps with XLA."""
    return XLA_MIN_RATINGS is not None and n_ratings >= XLA_MIN_RATINGS


@contextlib.contextmanager
def quiet_tensorflow() -> Iterator[None]:
    """Hide what TensorFlow's C++ runtime writes straight to file descriptor 2.

    On a CPU-only machine it announces oneDNN, fails to find CUDA and notes tf.data
    attributes — on every import and fit, in red, all over the reports. Python warnings
    and errors are unaffected in Jupyter (they do not go through descriptor 2 there).
    Set ``ZEEREC_TF_LOGS=1`` to see the messages.
    """
    if os.environ.get(TF_LOGS_ENV):
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with quiet_tensorflow():
    import keras
    import tensorflow as tf

MODEL_FILE = "model.keras"
META_FILE = "meta.json"
IDS_FILE = "ids.npz"
DEFAULT_NAME = "biased_mf"
"""The folder name notebook 05 saves the improved model under, inside ``model_dir``."""

SEED_PUBLISHED = {
    "train_ratings": 140_686,
    "batch_size": 128,
    "steps_per_epoch": 1_100,
    "epochs": 20,
    "learning_rate": 1e-4,
    "rmse": 0.990,
    "mape": 0.293,
}
"""The case study's run: its training set, settings and reported test figures."""


def seed_batch_size(n_ratings: int) -> int:
    """The batch size that gives the seed's number of Adam steps per epoch on ``n_ratings``.

    With Adam at 1e-4 progress is counted in steps, not epochs: the published run made
    1,100 steps per epoch. On more data, batches of 128 would make many more steps (and
    take much longer); this keeps the published budget, never going below 128.
    """
    steps = SEED_PUBLISHED["steps_per_epoch"]
    return max(SEED_PUBLISHED["batch_size"], int(np.ceil(n_ratings / steps)))


def set_seed(seed: int) -> None:
    """Same seed, same numbers: Python, numpy and TensorFlow seeds.

    TensorFlow's ``enable_op_determinism`` is deliberately not called: Keras refuses XLA
    when it is on, and XLA cuts a third of the training time at ML-1M size
    (:data:`XLA_MIN_RATINGS`). On CPU the training steps are deterministic by themselves,
    compiled or not: the same seed gives the same numbers bit for bit (tests/test_mf.py).
    GPUs are not covered by that promise.
    """
    with quiet_tensorflow():  # the first TensorFlow call probes for CUDA, loudly
        keras.utils.set_random_seed(int(seed))
        tf.constant(0.0)


def _np(value, dtype=None) -> np.ndarray:
    """A Keras variable or tensor as a numpy array."""
    out = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    return out if dtype is None else out.astype(dtype)


class _LearningRates(keras.callbacks.Callback):
    """The learning rate each epoch ran with, so a refit can replay the schedule."""

    def on_train_begin(self, logs=None):
        self.rates: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(_np(self.model.optimizer.learning_rate)))


class _EnsembleValidation(keras.callbacks.Callback):
    """Adds ``val_ensemble_rmse``, the RMSE of the members' average, to each epoch's logs.

    Keras's own ``val_rmse`` is the members' typical error; early stopping watches the
    error of the prediction the model actually makes.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def on_epoch_end(self, epoch, logs=None):
        pred = self.model.predict(self.x, batch_size=self.batch_size, verbose=0).mean(axis=1)
        if logs is not None:
            logs["val_ensemble_rmse"] = float(np.sqrt(np.mean((pred - self.y) ** 2)))


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


# --------------------------------------------------------------------------- Keras layer


@keras.saving.register_keras_serializable(package="zeerec")
def member_mse(y_true, y_pred):
    """Mean over the members of each member's squared error (members train independently)."""
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="zeerec")
class BiasedDot(keras.layers.Layer):
    """``mu + b_u + b_i + (p_u + implicit_u) . q_i`` for ``members`` independent models.

    Input: (batch, members, 2) user and movie positions, one pair per member, so each
    member can walk through the training data in its own random order. Output: (batch,
    members) predictions. Weights are stored member-major: rows ``m * n_users + u`` of
    the user arrays (and ``m * n_movies + i`` of the movie arrays) belong to member
    ``m``. The per-batch L2 penalty on the rows looked up in the batch, weighted per
    row, is added with ``add_loss`` in training only, so validation sees plain MSE.
    """

    def __init__(
        self,
        n_users: int,
        n_movies: int,
        factors: int,
        global_mean: float,
        reg: float,
        bias_reg: float,
        members: int = 1,
        implicit_nnz: int = 0,
        init_scale: float = 0.05,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_users, self.n_movies, self.factors = int(n_users), int(n_movies), int(factors)
        self.global_mean, self.reg, self.bias_reg = float(global_mean), float(reg), float(bias_reg)
        self.members, self.implicit_nnz = int(members), int(implicit_nnz)
        self.init_scale = float(init_scale)

    def build(self, input_shape):
        init = keras.initializers.RandomNormal(stddev=self.init_scale)
        nu, nm, k, f = self.n_users, self.n_movies, self.members, self.factors
        self.p = self.add_weight(shape=(k * nu, f), initializer=init, name="user_factors")
        self.q = self.add_weight(shape=(k * nm, f), initializer=init, name="movie_factors")
        self.bu = self.add_weight(shape=(k * nu,), initializer="zeros", name="user_bias")
        self.bi = self.add_weight(shape=(k * nm,), initializer="zeros", name="movie_bias")
        # How strongly each row is penalised each time it is looked up (set by BiasedMF).
        self.user_reg = self.add_weight(
            shape=(nu,), initializer="ones", trainable=False, name="user_reg_weight"
        )
        self.movie_reg = self.add_weight(
            shape=(nm,), initializer="ones", trainable=False, name="movie_reg_weight"
        )
        if self.implicit_nnz:
            n = self.implicit_nnz
            self.y = self.add_weight(shape=(k * nm, f), initializer=init, name="implicit_factors")
            self.hist_user = self.add_weight(
                shape=(n,), initializer="zeros", dtype="int32", trainable=False, name="hist_user"
            )
            self.hist_movie = self.add_weight(
                shape=(n,), initializer="zeros", dtype="int32", trainable=False, name="hist_movie"
            )
            self.hist_weight = self.add_weight(
                shape=(n,), initializer="zeros", trainable=False, name="hist_weight"
            )

    def implicit_vectors(self):
        """``|N(u)|^-1/2 * sum_{j in N(u)} y_j`` per (member, user), member-major rows."""
        offsets = tf.range(self.members, dtype="int32")[:, None]
        movies = tf.reshape(offsets * self.n_movies + self.hist_movie[None, :], (-1,))
        users = tf.reshape(offsets * self.n_users + self.hist_user[None, :], (-1,))
        weight = tf.tile(self.hist_weight, [self.members])
        rows = tf.gather(self.y, movies) * weight[:, None]
        return tf.math.unsorted_segment_sum(rows, users, self.members * self.n_users)

    def call(self, x, training=False):
        u, i = x[..., 0], x[..., 1]  # (batch, members)
        member = tf.range(self.members, dtype=u.dtype)[None, :]
        ru, ri = member * self.n_users + u, member * self.n_movies + i
        p, q = tf.gather(self.p, ru), tf.gather(self.q, ri)  # (batch, members, f)
        bu, bi = tf.gather(self.bu, ru), tf.gather(self.bi, ri)
        taste = p
        if self.implicit_nnz:
            taste = p + tf.gather(self.implicit_vectors(), ru)
        pred = self.global_mean + bu + bi + tf.reduce_sum(taste * q, axis=-1)
        if training:
            wu, wi = tf.gather(self.user_reg, u), tf.gather(self.movie_reg, i)
            penalty = self.reg * (
                wu * tf.reduce_sum(tf.square(taste), -1) + wi * tf.reduce_sum(tf.square(q), -1)
            ) + self.bias_reg * (wu * tf.square(bu) + wi * tf.square(bi))
            self.add_loss(tf.reduce_mean(penalty))
        return pred

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_users": self.n_users,
            "n_movies": self.n_movies,
            "factors": self.factors,
            "global_mean": self.global_mean,
            "reg": self.reg,
            "bias_reg": self.bias_reg,
            "members": self.members,
            "implicit_nnz": self.implicit_nnz,
            "init_scale": self.init_scale,
        }


def _side_by_side(member_major: np.ndarray, members: int) -> np.ndarray:
    """(members * n, f) member-major rows -> (n, members * f), member blocks side by side."""
    n = member_major.shape[0] // members
    return np.concatenate(
        [member_major[m * n : (m + 1) * n] for m in range(members)], axis=1
    ).astype(np.float64)


def _streams(x: np.ndarray, y: np.ndarray, members: int, seed: int):
    """Member m sees the pairs in its own random order: (n, members, 2) and (n, members)."""
    rng = np.random.default_rng(seed)
    order = [np.arange(len(x))] + [rng.permutation(len(x)) for _ in range(members - 1)]
    return np.stack([x[o] for o in order], axis=1), np.stack([y[o] for o in order], axis=1)


def _same_for_all(x: np.ndarray, y: np.ndarray, members: int):
    """Every member is shown the same pairs (validation, calibration)."""
    return np.repeat(x[:, None, :], members, axis=1), np.repeat(y[:, None], members, axis=1)


# --------------------------------------------------------------------------- shared base


class _KerasMF(Recommender):
    """Id maps, training loop, prediction from the learned arrays, save and load."""

    name = "keras MF"
    _fitted_scalars: tuple[str, ...] = ()  # fitted numbers saved in meta.json and restored

    def __init__(self, **settings: Any):
        self.settings = settings

    def __getattr__(self, item: str):
        settings = self.__dict__.get("settings", {})
        if item in settings:
            return settings[item]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {item!r}")

    # ---------------------------------------------------------------- training helpers

    def _encode(self, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        x = np.column_stack(
            [
                self.ratings_.user_index(ratings["user_id"].to_numpy()),
                self.ratings_.movie_index(ratings["movie_id"].to_numpy()),
            ]
        ).astype(np.int32)
        return x, ratings["rating"].to_numpy(dtype=np.float32)

    def _carve(self, ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        frac = self.validation_fraction
        if not frac:
            return ratings, None
        return random_split(ratings, frac, seed=self.seed)

    def _train(
        self,
        model: keras.Model,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int,
        validation: tuple[np.ndarray, np.ndarray] | None,
        callbacks: tuple[keras.callbacks.Callback, ...] = (),
        verbose: int | str | None = None,
    ) -> tuple[dict[str, list[float]], list[float]]:
        timer = _EpochTimer()
        callbacks = [timer, *callbacks]
        with quiet_tensorflow():
            hist = model.fit(
                x,
                y,
                batch_size=self.batch_size,
                epochs=epochs,
                validation_data=validation,
                callbacks=callbacks,
                shuffle=True,
                verbose=self.verbose if verbose is None else verbose,
            )
        history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        return history, timer.seconds

    # ---------------------------------------------------------------- prediction

    def _known_pairs(self, users, movies):
        users, movies = np.asarray(users).ravel(), np.asarray(movies).ravel()
        if users.shape != movies.shape:
            raise ValueError(f"{users.size} users but {movies.size} movies: pass aligned arrays")
        upos, uok = locate(self.ratings_.user_ids, users)
        mpos, mok = locate(self.ratings_.movie_ids, movies)
        return upos, uok, mpos, mok, users, movies

    def similar_movies(self, movie_id: int, k: int = 10, min_ratings: int = 0) -> pd.DataFrame:
        """The ``k`` movies whose embeddings point the most the same way (cosine).

        ``min_ratings`` leaves out movies with fewer training ratings: the direction of
        a rarely rated movie's embedding rests on little evidence.
        """
        col = int(self.ratings_.movie_index(movie_id)[0])
        q = self.movie_factors
        norms = np.linalg.norm(q, axis=1)
        if norms[col] == 0:
            raise ValueError(f"movie {movie_id} had no training ratings: its embedding is empty")
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = (q @ q[col]) / (norms * norms[col])
        sim[~np.isfinite(sim)] = -np.inf
        sim[col] = -np.inf
        if min_ratings > 0:
            counts = np.diff(self.ratings_.matrix.tocsc().indptr)
            sim[counts < min_ratings] = -np.inf
        check_k(k, int(np.isfinite(sim).sum()))
        top = top_k(sim, k)
        return pd.DataFrame({"movie_id": self.ratings_.movie_ids[top], "similarity": sim[top]})

    # ---------------------------------------------------------------- persistence

    def _meta(self) -> dict:
        return {
            "class": type(self).__name__,
            "settings": self.settings,
            "history": self.history_,
            "epoch_seconds": self.epoch_seconds_,
            "fit_seconds": self.fit_seconds_,
            "best_epoch": self.best_epoch_,
            "n_train": self.n_train_,
            "fitted": {k: getattr(self, k) for k in self._fitted_scalars},
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model folder atomically: a failed save leaves the old one intact."""
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{self.name} is not fitted: call fit(ratings) before save")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
        try:
            self.model_.save(tmp / MODEL_FILE)
            (tmp / META_FILE).write_text(json.dumps(self._meta(), indent=2))
            m = self.ratings_.matrix
            np.savez(
                tmp / IDS_FILE,
                user_ids=self.ratings_.user_ids,
                movie_ids=self.ratings_.movie_ids,
                data=m.data,
                indices=m.indices,
                indptr=m.indptr,
                **self._extra_arrays(),
            )
            for p in (tmp, *tmp.iterdir()):
                os.chmod(p, 0o755 if p.is_dir() else 0o644)
            old = None
            if path.exists():
                old = path.parent / f".{path.name}.old-{os.getpid()}"
                os.replace(path, old)
            os.replace(tmp, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        path = Path(path)
        if not (path / MODEL_FILE).is_file():
            raise FileNotFoundError(
                f"No saved model in {path}: expected {MODEL_FILE}, {META_FILE} and {IDS_FILE} "
                "(written by save(path), e.g. by notebook 05)."
            )
        meta = json.loads((path / META_FILE).read_text())
        if meta["class"] != cls.__name__:
            raise TypeError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
        obj = cls(**meta["settings"])
        with np.load(path / IDS_FILE) as ids:
            arrays = {k: ids[k] for k in ids.files}
        shape = (len(arrays["user_ids"]), len(arrays["movie_ids"]))
        matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        obj.ratings_ = RatingMatrix(matrix, arrays["user_ids"], arrays["movie_ids"])
        with quiet_tensorflow():
            obj.model_ = keras.models.load_model(path / MODEL_FILE, compile=False)
        obj.history_ = meta["history"]
        obj.epoch_seconds_ = meta["epoch_seconds"]
        obj.fit_seconds_ = meta["fit_seconds"]
        obj.best_epoch_ = meta["best_epoch"]
        obj.n_train_ = meta["n_train"]
        for key, value in meta.get("fitted", {}).items():
            setattr(obj, key, value)
        obj._restore(arrays)
        return obj

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._extract()

    def _extract(self) -> None:
        raise NotImplementedError


def load(path: str | os.PathLike) -> SeedMF | BiasedMF:
    """Load whichever MF model ``save`` wrote to ``path``."""
    meta_file = Path(path) / META_FILE
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"No saved MF model in {path} (no {META_FILE}). Notebook 05 trains one and saves "
            "it: run `make report` or `zeerec report --only 01 05`."
        )
    kind = json.loads(meta_file.read_text())["class"]
    classes = {"SeedMF": SeedMF, "BiasedMF": BiasedMF}
    if kind not in classes:
        raise TypeError(f"{path} holds an unknown model class {kind!r}")
    return classes[kind].load(path)


# --------------------------------------------------------------------------- the seed's model


class SeedMF(_KerasMF):
    """The case study's model, layer for layer: two embeddings and their dot product.

    Defaults are the published settings (64 factors, Adam 1e-4, batch 128, 20 epochs).
    ``validation_fraction`` of the training ratings is held out only to draw the
    validation loss curve the seed showed; there is no early stopping. Predictions are
    the raw dot product, not clipped, as published.
    """

    name = "seed MF (as published)"

    def __init__(
        self,
        factors: int = 64,
        epochs: int = 20,
        batch_size: int = 128,
        learning_rate: float = 1e-4,
        validation_fraction: float = 0.1,
        seed: int = 42,
        verbose: int | str = 0,
    ):
        super().__init__(
            factors=int(factors),
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            validation_fraction=float(validation_fraction),
            seed=int(seed),
            verbose=verbose,
        )

    def build_model(self, n_users: int, n_movies: int, xla: bool = False) -> keras.Model:
        f = self.factors
        user_input = keras.Input(shape=(1,), name="user_input", dtype="int32")
        user_vec = keras.layers.Flatten(name="FlattenUsers")(
            keras.layers.Embedding(n_users, f, name="user_embedding")(user_input)
        )
        movie_input = keras.Input(shape=(1,), name="movie_input", dtype="int32")
        movie_vec = keras.layers.Flatten(name="FlattenMovies")(
            keras.layers.Embedding(n_movies, f, name="movie_embedding")(movie_input)
        )
        sim = keras.layers.Dot(axes=1, name="Similarity-Dot-Product")([user_vec, movie_vec])
        model = keras.Model([user_input, movie_input], sim, name="seed_mf")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            steps_per_execution=STEPS_PER_EXECUTION,
            jit_compile=xla,
        )
        return model

    def fit(self, ratings: pd.DataFrame) -> Self:
        start = time.perf_counter()
        set_seed(self.seed)
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        train, valid = self._carve(ratings)
        self.model_ = self.build_model(*self.ratings_.shape, xla=use_xla(len(train)))
        x, y = self._encode(train)
        validation = None
        if valid is not None:
            xv, yv = self._encode(valid)
            validation = ([xv[:, :1], xv[:, 1:]], yv)
        self.history_, self.epoch_seconds_ = self._train(
            self.model_, [x[:, :1], x[:, 1:]], y, self.epochs, validation
        )
        self.best_epoch_ = self.epochs
        self.n_train_ = len(train)
        self._extract()
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _extract(self) -> None:
        self.user_factors = _np(self.model_.get_layer("user_embedding").embeddings)
        self.movie_factors = _np(self.model_.get_layer("movie_embedding").embeddings)

    def predict(self, users, movies) -> np.ndarray:
        """The dot product for aligned id arrays; an unknown id is a KeyError naming it."""
        upos, uok, mpos, mok, users, movies = self._known_pairs(users, movies)
        if not (uok.all() and mok.all()):
            bad_u, bad_m = users[~uok][:5].tolist(), movies[~mok][:5].tolist()
            raise KeyError(
                f"the seed model has no embedding for user id(s) {bad_u} / movie id(s) "
                f"{bad_m}: it only knows the users and movies it was trained on and has no "
                "bias terms to fall back on"
            )
        p, q = self.user_factors[upos], self.movie_factors[mpos]
        return np.einsum("ij,ij->i", p, q).astype(np.float64)

    def scores(self, user: int | Profile) -> np.ndarray:
        if isinstance(user, Mapping):
            raise NotImplementedError("the seed model cannot score a new user's profile")
        return self.scores_many([user])[0]

    def scores_many(self, users) -> np.ndarray:
        """Scores of many known users at once (users × movies), one matrix product; :meth:`scores`
        is one row of it."""
        rows = self.ratings_.user_index(users)
        return (self.user_factors[rows] @ self.movie_factors.T).astype(np.float64)


# --------------------------------------------------------------------------- the improved model


class BiasedMF(_KerasMF):
    """Global mean + biases + dot product (+ optional SVD++ implicit term), done properly.

    See the module docstring for the model and the training recipe. ``reg`` and
    ``bias_reg`` are the per-rating L2 weights of the factors and of the biases for a
    row with the typical number of ratings; ``reg_exponent`` sets how the total penalty
    grows with a row's number of training ratings. ``members`` > 1 trains that many
    independent models side by side in one Keras model (same batches, different random
    starts; each has its own loss and penalty) and predicts their average. The average
    of several MF models is itself an MF model (biases averaged, factor blocks side by
    side, divided by sqrt(members)), so the arrays downstream code sees are one plain
    biased MF with ``members * factors`` factors.
    """

    name = "biased MF (zeerec)"
    _fitted_scalars = ("validation_rmse_", "taste_scale_")

    def __init__(
        self,
        factors: int = 32,
        members: int = 4,
        epochs: int = 60,
        batch_size: int = 2048,
        learning_rate: float = 5e-3,
        reg: float = 0.13,
        bias_reg: float = 0.01,
        reg_exponent: float = 0.5,
        implicit: bool = False,
        patience: int = 3,
        min_delta: float = 1e-4,
        lr_factor: float = 0.5,
        lr_min_delta: float = 1e-3,
        validation_fraction: float = 0.1,
        refit: bool = True,
        calibrate: bool = True,
        init_scale: float = 0.05,
        seed: int = 42,
        verbose: int | str = 0,
    ):
        if not 0 < validation_fraction < 1:
            raise ValueError(
                "validation_fraction must be between 0 and 1: early stopping needs a "
                f"validation set carved from the training ratings, got {validation_fraction}"
            )
        if reg < 0 or bias_reg < 0:
            raise ValueError("reg and bias_reg must be >= 0")
        if members < 1 or factors < 1 or epochs < 1 or batch_size < 1:
            raise ValueError("members, factors, epochs and batch_size must be at least 1")
        super().__init__(
            factors=int(factors),
            members=int(members),
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            reg=float(reg),
            bias_reg=float(bias_reg),
            reg_exponent=float(reg_exponent),
            implicit=bool(implicit),
            patience=int(patience),
            min_delta=float(min_delta),
            lr_factor=float(lr_factor),
            lr_min_delta=float(lr_min_delta),
            validation_fraction=float(validation_fraction),
            refit=bool(refit),
            calibrate=bool(calibrate),
            init_scale=float(init_scale),
            seed=int(seed),
            verbose=verbose,
        )

    # ---------------------------------------------------------------- training

    def build_model(self, x: np.ndarray, y: np.ndarray) -> keras.Model:
        """A fresh model whose penalties and implicit sets come from the rows ``x`` it trains on."""
        n_users, n_movies = self.ratings_.shape
        n_u = np.bincount(x[:, 0], minlength=n_users).astype(np.float64)
        n_i = np.bincount(x[:, 1], minlength=n_movies).astype(np.float64)
        core = BiasedDot(
            n_users,
            n_movies,
            self.factors,
            global_mean=float(y.mean()),
            reg=self.reg,
            bias_reg=self.bias_reg,
            members=self.members,
            implicit_nnz=len(x) if self.implicit else 0,
            init_scale=self.init_scale,
            name="biased_dot",
        )
        inputs = keras.Input(shape=(self.members, 2), dtype="int32", name="user_movie")
        model = keras.Model(inputs, core(inputs), name="biased_mf")
        core.user_reg.assign(_reg_weights(n_u, self.reg_exponent).astype(np.float32))
        core.movie_reg.assign(_reg_weights(n_i, self.reg_exponent).astype(np.float32))
        if self.implicit:
            order = np.lexsort((x[:, 1], x[:, 0]))
            hist = x[order]
            core.hist_user.assign(hist[:, 0])
            core.hist_movie.assign(hist[:, 1])
            core.hist_weight.assign((1.0 / np.sqrt(n_u[hist[:, 0]])).astype(np.float32))
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate),
            loss=member_mse,
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            steps_per_execution=STEPS_PER_EXECUTION,
            jit_compile=use_xla(len(x)),
        )
        return model

    def fit(self, ratings: pd.DataFrame) -> Self:
        """Early stopping on a carved validation set, stretch, then refit on everything."""
        start = time.perf_counter()
        if len(ratings) == 0:
            raise ValueError("no ratings to fit")
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        train, valid = random_split(ratings, self.validation_fraction, seed=self.seed)
        x, y = self._encode(train)
        xv, yv = self._encode(valid)
        set_seed(self.seed)
        model = self.build_model(x, y)
        lrs = _LearningRates()
        k = self.members
        xvk, yvk = _same_for_all(xv, yv, k)
        monitor = "val_rmse" if k == 1 else "val_ensemble_rmse"
        callbacks = [
            lrs,
            *([_EnsembleValidation(xvk, yv, 8192)] if k > 1 else []),
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                mode="min",
                patience=self.patience,
                min_delta=self.min_delta,
                restore_best_weights=True,
            ),
        ]
        if self.lr_factor < 1:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor=monitor,
                    mode="min",
                    factor=self.lr_factor,
                    patience=0,
                    min_delta=self.lr_min_delta,
                )
            )
        history, seconds = self._train(
            model, *_streams(x, y, k, self.seed), self.epochs, (xvk, yvk), tuple(callbacks)
        )
        history["learning_rate"] = lrs.rates
        if k == 1:
            history["val_ensemble_rmse"] = list(history["val_rmse"])
        val = history[monitor]
        self.history_ = history
        self.best_epoch_ = int(np.argmin(val)) + 1
        self.validation_rmse_ = float(val[self.best_epoch_ - 1])
        scale = _taste_scale(model, xv, yv) if self.calibrate else np.ones(self.members)
        self.taste_scale_ = [float(a) for a in scale]
        if self.refit:
            x, y = self._encode(ratings)
            set_seed(self.seed)
            model = self.build_model(x, y)
            replay = keras.callbacks.LearningRateScheduler(lambda epoch, _: lrs.rates[epoch])
            xs, ys = _streams(x, y, k, self.seed)
            _, more = self._train(model, xs, ys, self.best_epoch_, None, (replay,), verbose=0)
            seconds = seconds + more
        self.epoch_seconds_ = seconds
        self.n_train_ = len(x)
        if self.calibrate:
            core = model.get_layer("biased_dot")
            n_users, n_movies = self.ratings_.shape
            root_u = np.repeat(np.sqrt(scale), n_users)[:, None].astype(np.float32)
            root_m = np.repeat(np.sqrt(scale), n_movies)[:, None].astype(np.float32)
            core.p.assign(core.p * root_u)
            core.q.assign(core.q * root_m)
            if core.implicit_nnz:
                core.y.assign(core.y * root_m)
        self.model_ = model
        n_users, n_movies = self.ratings_.shape
        self._extract()
        self._forget_unseen(
            np.bincount(x[:, 0], minlength=n_users) > 0,
            np.bincount(x[:, 1], minlength=n_movies) > 0,
        )
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _forget_unseen(self, seen_users: np.ndarray, seen_movies: np.ndarray) -> None:
        """Rows never trained hold their random start: make them "nothing known" (zeros)."""
        self.trained_users_ = np.asarray(seen_users, dtype=bool)
        self.trained_movies_ = np.asarray(seen_movies, dtype=bool)
        self.user_factors[~self.trained_users_] = 0.0
        self.movie_factors[~self.trained_movies_] = 0.0
        self.user_bias[~self.trained_users_] = 0.0
        self.movie_bias[~self.trained_movies_] = 0.0
        if self.implicit_factors is not None:
            self.implicit_factors[~self.trained_movies_] = 0.0
        self._taste = None

    def _extract(self) -> None:
        """The members' average as one plain biased MF: mean biases, factors / sqrt(members)."""
        core = self.model_.get_layer("biased_dot")
        k, root = core.members, np.sqrt(core.members)
        self.global_mean = float(core.global_mean)
        self.user_bias = _np(core.bu, dtype=np.float64).reshape(k, -1).mean(axis=0)
        self.movie_bias = _np(core.bi, dtype=np.float64).reshape(k, -1).mean(axis=0)
        self.user_factors = _side_by_side(_np(core.p), k) / root
        self.movie_factors = _side_by_side(_np(core.q), k) / root
        self.implicit_factors = None
        self._hist = None
        if core.implicit_nnz:
            self.implicit_factors = _side_by_side(_np(core.y), k) / root
            self._hist = (
                _np(core.hist_user),
                _np(core.hist_movie),
                _np(core.hist_weight, dtype=np.float64),
            )
        self._taste = None

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {"trained_users": self.trained_users_, "trained_movies": self.trained_movies_}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._extract()
        self._forget_unseen(arrays["trained_users"], arrays["trained_movies"])

    # ---------------------------------------------------------------- the learned arrays

    def implicit_vectors(self) -> np.ndarray:
        """``|N(u)|^-1/2 * sum_{j in N(u)} y_j`` per user (zeros without the implicit term)."""
        if self._hist is None:
            return np.zeros_like(self.user_factors)
        users, movies, weight = self._hist
        n = sp.csr_matrix((weight, (users, movies)), shape=self.ratings_.shape)
        return n @ self.implicit_factors

    def user_vectors(self) -> np.ndarray:
        """Each user's whole taste vector: ``p_u`` plus the implicit part."""
        if self._taste is None:
            self._taste = self.user_factors + self.implicit_vectors()
        return self._taste

    def arrays(self) -> dict[str, Any]:
        """Everything a fold-in or an analysis needs, by name, with the id maps."""
        return {
            "global_mean": self.global_mean,
            "user_ids": self.ratings_.user_ids,
            "movie_ids": self.ratings_.movie_ids,
            "user_bias": self.user_bias,
            "movie_bias": self.movie_bias,
            "user_factors": self.user_factors,
            "movie_factors": self.movie_factors,
            "implicit_factors": self.implicit_factors,
            "user_vectors": self.user_vectors(),
        }

    # ---------------------------------------------------------------- predictions

    def predict(self, users, movies) -> np.ndarray:
        """Predicted stars, clipped to 1-5; unknown ids fall back to the known biases."""
        upos, uok, mpos, mok, _, _ = self._known_pairs(users, movies)
        est = np.full(len(upos), self.global_mean)
        est += np.where(uok, self.user_bias[upos], 0.0)
        est += np.where(mok, self.movie_bias[mpos], 0.0)
        both = uok & mok
        taste = self.user_vectors()
        est[both] += np.einsum("ij,ij->i", taste[upos[both]], self.movie_factors[mpos[both]])
        return np.clip(est, 1.0, 5.0)

    def scores(self, user: int | Profile) -> np.ndarray:
        """Predicted stars (unclipped, so that ties above 5 still rank) for every movie."""
        if isinstance(user, Mapping):
            raise NotImplementedError(
                "a new user's profile needs fold-in: zeerec.models.foldin.MFFoldIn solves "
                "their bias and taste vector against this model's movie arrays"
            )
        return self.scores_many([user])[0]

    def scores_many(self, users) -> np.ndarray:
        """Scores of many known users at once (users × movies), one matrix product; :meth:`scores`
        is one row of it."""
        rows = self.ratings_.user_index(users)
        return (
            self.global_mean
            + self.user_bias[rows][:, None]
            + self.movie_bias[None, :]
            + self.user_vectors()[rows] @ self.movie_factors.T
        )


def _taste_scale(model: keras.Model, xv: np.ndarray, yv: np.ndarray) -> np.ndarray:
    """Per member, the factor ``a`` in ``mu + b_u + b_i + a * taste`` that fits best.

    L2 shrinks both ``p`` and ``q``, so their product is shrunk twice; a least-squares
    stretch fitted on the held-out ratings undoes the excess (1 = no stretch).
    """
    core = model.get_layer("biased_dot")
    k, nu, nm = core.members, core.n_users, core.n_movies
    ru = np.arange(k)[None, :] * nu + xv[:, :1]  # (n, members) member-major rows
    ri = np.arange(k)[None, :] * nm + xv[:, 1:2]
    base = core.global_mean + _np(core.bu)[ru] + _np(core.bi)[ri]
    p = _np(core.p, dtype=np.float64)
    if core.implicit_nnz:
        p = p + _np(core.implicit_vectors(), dtype=np.float64)
    taste = np.einsum("nkf,nkf->nk", p[ru], _np(core.q, dtype=np.float64)[ri])
    denom = (taste * taste).sum(axis=0)
    num = (taste * (yv[:, None] - base)).sum(axis=0)
    scale = np.where(denom > 0, num / np.where(denom > 0, denom, 1.0), 1.0)
    return np.clip(scale, 0.5, 3.0)


def _reg_weights(counts: np.ndarray, exponent: float) -> np.ndarray:
    """Per-lookup penalty weights: a row seen ``n`` times gets ``∝ n ** exponent`` in total.

    Normalised so that the rating-weighted mean weight is 1, which keeps ``reg`` on the
    scale of a plain per-rating L2 penalty.
    """
    n = np.maximum(counts, 1.0)
    w = n ** (exponent - 1.0)
    return w / (np.sum(counts * w) / max(np.sum(counts), 1.0))


# --------------------------------------------------------------------------- what each step buys

ABLATION_STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "biases + dot product, Adam at scale, early stopping (no L2)",
        {"reg": 0.0, "bias_reg": 0.0, "reg_exponent": 1.0, "refit": False, "calibrate": False,
         "members": 1},
    ),
    ("+ per-batch L2 on the rows looked up", {"reg": None, "bias_reg": None}),
    ("+ penalty growing as n^0.5 per row (not n)", {"reg_exponent": None}),
    ("+ refit on all training ratings", {"refit": True}),
    ("+ taste stretch fitted on the validation set", {"calibrate": True}),
    ("+ co-trained members, averaged (the full model)", {"members": None}),
)  # fmt: skip
"""Cumulative steps from a plain biased MF to :class:`BiasedMF`; ``None`` = the final value."""


def ablation(
    train: pd.DataFrame,
    test: pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    implicit: bool = False,
) -> pd.DataFrame:
    """Fit one model per step of :data:`ABLATION_STEPS` and score each on ``test``.

    ``settings`` are the full model's (defaults of :class:`BiasedMF` otherwise); every
    step switches one more ingredient on, so ``rmse_gain`` between rows is what each
    ingredient buys. ``implicit=True`` adds the SVD++ implicit term to the one-member
    model (the row before the members), as a side branch: its gain is measured against
    that row. (With all members it costs members × the gathers per step.)
    """
    from zeerec.metrics import mae, rmse

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
        if current["members"] == 1:
            single = (i, dict(current))
    if implicit and single is not None:
        i, config = single
        run(f"row {i + 1} + implicit feedback term (SVD++)", {**config, "implicit": True}, i)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- reading the embeddings


def main_genres(movies: pd.DataFrame, keep: int = 8) -> pd.Series:
    """One genre per movie: its most specific (least common) genre; rare ones become "Other".

    MovieLens lists genres alphabetically, so the first listed one says little; the
    least common of a movie's genres ("Animation" rather than "Comedy") says most.
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

    Only movies with at least ``min_ratings`` training ratings are placed: the
    embeddings of rarely rated movies are mostly their regularisation prior.
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


def rating_table(
    models: Mapping[str, Any],
    test: pd.DataFrame,
    fit_seconds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """RMSE, MAE and MAPE of each fitted model on ``test``, with the rows it could score.

    A model that cannot predict a pair (the seed model meets a user or movie it never
    saw) is scored on the pairs it knows; ``n_scored`` says how many that was.
    ``fit_seconds`` gives fit times for models that do not time themselves.
    """
    fit_seconds = dict(fit_seconds or {})
    from zeerec.metrics import mae, mape, rmse

    rows = []
    for name, model in models.items():
        users, movies = test["user_id"].to_numpy(), test["movie_id"].to_numpy()
        truth = test["rating"].to_numpy(dtype=np.float64)
        if isinstance(model, SeedMF):
            _, uok, _, mok, _, _ = model._known_pairs(users, movies)
            users, movies, truth = users[uok & mok], movies[uok & mok], truth[uok & mok]
        pred = model.predict(users, movies)
        rows.append(
            {
                "model": name,
                "rmse": rmse(truth, pred),
                "mae": mae(truth, pred),
                "mape": mape(truth, pred),
                "n_scored": len(truth),
                "fit_s": fit_seconds.get(name, getattr(model, "fit_seconds_", np.nan)),
            }
        )
    return pd.DataFrame(rows).set_index("model")
