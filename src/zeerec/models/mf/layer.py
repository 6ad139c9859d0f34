"""The Keras pieces of :class:`~zeerec.models.mf.BiasedMF`: its layer, loss and callbacks.

Also what is computed from and written into the layer's weights (the per-row penalty
weights, the taste stretch), and the three reshapes between "one model" and "several
members side by side": :func:`_streams` (each member its own data order),
:func:`_same_for_all` (every member the same pairs) and :func:`_side_by_side`
(member-major rows to one wide matrix).
"""

from __future__ import annotations

import time

import numpy as np

from zeerec.models.mf.tf_setup import _np, keras, tf


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

    ``members`` keeps its name here (not ``n_members`` as on :class:`BiasedMF`): it is
    part of the layer's saved Keras config, so model files saved before stay loadable.
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


def _stretch(core: BiasedDot, scale: np.ndarray) -> None:
    """Multiply each member's taste term by its ``scale``: ``sqrt(a)`` on ``p``, ``y`` and ``q``."""
    root_u = np.repeat(np.sqrt(scale), core.n_users)[:, None].astype(np.float32)
    root_m = np.repeat(np.sqrt(scale), core.n_movies)[:, None].astype(np.float32)
    core.p.assign(core.p * root_u)
    core.q.assign(core.q * root_m)
    if core.implicit_nnz:
        core.y.assign(core.y * root_m)


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
