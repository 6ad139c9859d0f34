"""The improved Keras MF: global mean, biases, taste match, trained the way practitioners do."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Pairs
from zeerec.models.mf.keras_model import _KerasMF
from zeerec.models.mf.layer import (
    BiasedDot,
    _EnsembleValidation,
    _LearningRates,
    _reg_weights,
    _same_for_all,
    _side_by_side,
    _streams,
    _stretch,
    _taste_scale,
    member_mse,
)
from zeerec.models.mf.tf_setup import STEPS_PER_EXECUTION, _np, keras, set_seed, use_xla
from zeerec.splits import random_split


class BiasedMF(_KerasMF):
    """Global mean + biases + dot product (+ optional SVD++ implicit term), done properly.

    ``r_ui = mu + b_u + b_i + (p_u + |N(u)|^-1/2 * sum_{j in N(u)} y_j) . q_i``: the
    biases carry "this user rates high" and "this movie is liked", the dot product only
    the taste match that is left; ``N(u)`` are the movies ``u`` rated (the implicit term,
    off by default). The training recipe is in :mod:`zeerec.models.mf`. The members'
    average is itself one MF model (biases averaged, factor blocks side by side, divided
    by sqrt(n_members)), so the arrays downstream code sees are one plain biased MF with
    ``n_members * factors`` factors. Unknown ids fall back to what is known (an unknown
    user gets ``mu + b_i``, an unknown movie ``mu + b_u``, both unknown ``mu``).

    Defaults were chosen on validation splits carved from the training ratings of
    ML-100K and the ML-1M slice (never their test sets; BENCHMARKS.md).

    The optimiser is Keras 3's Adam as it treats embedding gradients: a batch's gradient
    for one user's or movie's row arrives as one slice per rating, and Keras squares
    each slice before adding them into the second moment, so a row rated several times
    in a batch accumulates the sum of the squares rather than the square of the sum
    (two slices +1 and -1 for one row give a second moment of 1, not 0, after one step
    at beta_2 0.5). Keras 2 summed the slices first. The defaults were chosen with this
    optimiser.

    Args:
        factors: taste numbers per user and per movie, per member. 32 x 4 members
            predicted better on validation than fewer, larger single models.
        n_members: independent models trained side by side in one Keras model (same
            batches, their own data order and random start, their own loss and
            penalty) and averaged. 4: the average removes part of each model's noise,
            at about the cost of one bigger model per step.
        epochs: the most epochs of the validated run; early stopping ends sooner (60
            is a ceiling rarely reached at the default learning rate).
        batch_size: ratings per Adam step. 2048 keeps an epoch to a few hundred steps
            at ML-1M size, with the learning rate below.
        learning_rate: Adam's starting rate. 5e-3 converges in tens of epochs with
            batches of 2048.
        reg: L2 weight of the factors, per lookup, for a row with the typical number of
            ratings. 0.13 was best on the validation splits; without it the dot
            product memorises the training ratings (the largest ablation step).
        bias_reg: the same for the biases. 0.01: a bias is one number per row, it
            needs little shrinking.
        reg_exponent: a row with ``n`` training ratings is penalised ``∝ n **
            reg_exponent`` in total (1 = plain per-rating L2, 0 = a fixed prior per
            row). 0.5 was best on the validation splits.
        implicit: add SVD++'s implicit-feedback term. Off: it bought 0.001 RMSE or less
            at 2-8x the training time (BENCHMARKS.md).
        patience: epochs without improvement before early stopping ends the run. 3
            leaves room for a halved learning rate to show an effect.
        min_delta: the validation RMSE must improve by at least this much to count as
            an improvement for early stopping; 1e-4 stars is below what matters.
        lr_factor: the learning rate is multiplied by this after every epoch that
            improves the validation RMSE by less than ``lr_min_delta`` (1 = never).
            0.5: halving on plateaus reached lower validation errors than a fixed rate.
        lr_min_delta: see ``lr_factor``. 1e-3: a stalling epoch, not a noisy one.
        validation_fraction: share of the training ratings carved off (seeded) for early
            stopping and the taste stretch; must be between 0 and 1. 0.1, as the seed.
        refit: after the validated run, train once more on all training ratings for the
            best number of epochs, replaying the learning-rate schedule. On: the
            validation ratings are worth learning from too.
        calibrate: stretch each member's dot product by a factor ``a`` fitted by least
            squares on the validation set (L2 shrinks both ``p`` and ``q``, so their
            product is shrunk twice; ``a`` ≈ 1.2). On: it lowered the error.
        init_scale: standard deviation of the random starting factors. 0.05: small
            enough that the first predictions are the biases, large enough to break
            the symmetry between factors.
        seed: seeds the validation carve, the starting weights and the data orders;
            same seed, same numbers on CPU.
        verbose: Keras's progress output of the validated run (0 silent, 2 one line per
            epoch); the refit is always silent.

    Attributes:
        global_mean, user_bias, movie_bias: ``mu``, ``b_u`` and ``b_i`` (rows in id order).
        user_factors, movie_factors, implicit_factors: ``p``, ``q`` and ``y`` of the
            averaged model (``implicit_factors`` is None without the implicit term).
        history_: per-epoch ``loss``, ``rmse``, ``val_rmse``, ``val_ensemble_rmse``
            (the members' average; the one early stopping watches), ``learning_rate``.
        best_epoch_, validation_rmse_: the epoch kept and its validation RMSE.
        taste_scale_: the stretch ``a`` per member (1 without ``calibrate``).
        epoch_seconds_, fit_seconds_: wall time per epoch (refit included) and of ``fit``.
        n_train_: ratings of the final training run.
        trained_users_, trained_movies_: rows that had training ratings; the others
            hold zeros ("nothing known").
        model_: the Keras model.
    """

    name = "biased MF (zeerec)"
    no_profile_reason = (
        "a new user's profile needs fold-in: zeerec.models.foldin.MFFoldIn solves "
        "their bias and taste vector against this model's movie arrays"
    )
    _fitted_scalars = ("validation_rmse_", "taste_scale_")

    def __init__(
        self,
        factors: int = 32,
        n_members: int = 4,
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
        if n_members < 1 or factors < 1 or epochs < 1 or batch_size < 1:
            raise ValueError("n_members, factors, epochs and batch_size must be at least 1")
        super().__init__(
            factors=int(factors),
            n_members=int(n_members),
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

    @classmethod
    def _settings_from_meta(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Folders saved before ``members`` was renamed ``n_members`` still load."""
        settings = dict(settings)
        if "members" in settings:
            settings["n_members"] = settings.pop("members")
        return settings

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
            members=self.n_members,
            implicit_nnz=len(x) if self.implicit else 0,
            init_scale=self.init_scale,
            name="biased_dot",
        )
        inputs = keras.Input(shape=(self.n_members, 2), dtype="int32", name="user_movie")
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

    def _fit(self, ratings: pd.DataFrame) -> None:
        """Early stopping on a carved validation set, stretch, then refit on everything."""
        start = time.perf_counter()
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        train, valid = random_split(ratings, self.validation_fraction, seed=self.seed)
        x, y = self._encode(train)
        xv, yv = self._encode(valid)
        model, rates, seconds = self._early_stopped(x, y, xv, yv)
        scale = _taste_scale(model, xv, yv) if self.calibrate else np.ones(self.n_members)
        self.taste_scale_ = [float(a) for a in scale]
        if self.refit:
            x, y = self._encode(ratings)
            model, more = self._replay(x, y, rates)
            seconds = seconds + more
        self.epoch_seconds_ = seconds
        self.n_train_ = len(x)
        if self.calibrate:
            _stretch(model.get_layer("biased_dot"), scale)
        self.model_ = model
        n_users, n_movies = self.ratings_.shape
        self._extract()
        self._forget_unseen(
            np.bincount(x[:, 0], minlength=n_users) > 0,
            np.bincount(x[:, 1], minlength=n_movies) > 0,
        )
        self.fit_seconds_ = time.perf_counter() - start

    def _early_stopped(self, x, y, xv, yv) -> tuple[keras.Model, list[float], list[float]]:
        """The validated run: ``(model with the best epoch's weights, learning rates, seconds)``.

        Sets ``history_``, ``best_epoch_`` and ``validation_rmse_``.
        """
        set_seed(self.seed)
        model = self.build_model(x, y)
        lrs = _LearningRates()
        k = self.n_members
        xvk, yvk = _same_for_all(xv, yv, k)
        monitor = "val_rmse" if k == 1 else "val_ensemble_rmse"
        callbacks = [
            lrs,
            *([_EnsembleValidation(xvk, yv, 8192)] if k > 1 else []),
            *self._stopping(monitor),
        ]
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
        return model, lrs.rates, seconds

    def _stopping(self, monitor: str) -> list[keras.callbacks.Callback]:
        """Early stopping with the best weights restored, and the learning rate's plateaus."""
        callbacks = [
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
        return callbacks

    def _replay(self, x, y, rates: list[float]) -> tuple[keras.Model, list[float]]:
        """A fresh model trained on ``x`` for ``best_epoch_`` epochs at the rates ``rates``."""
        set_seed(self.seed)
        model = self.build_model(x, y)
        replay = keras.callbacks.LearningRateScheduler(lambda epoch, _: rates[epoch])
        xs, ys = _streams(x, y, self.n_members, self.seed)
        _, seconds = self._train(model, xs, ys, self.best_epoch_, None, (replay,), verbose=0)
        return model, seconds

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

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        """``mu + b_u + b_i + t_u·q_i``; an unknown id contributes no bias and no taste."""
        upos, uok, mpos, mok = pairs.user_pos, pairs.user_known, pairs.movie_pos, pairs.movie_known
        est = np.full(len(upos), self.global_mean)
        est += np.where(uok, self.user_bias[upos], 0.0)
        est += np.where(mok, self.movie_bias[mpos], 0.0)
        both = uok & mok
        taste = self.user_vectors()
        est[both] += np.einsum("ij,ij->i", taste[upos[both]], self.movie_factors[mpos[both]])
        return est

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        """Predicted stars, unclipped so that ties above 5 still rank."""
        return (
            self.global_mean
            + self.user_bias[rows][:, None]
            + self.movie_bias[None, :]
            + self.user_vectors()[rows] @ self.movie_factors.T
        )
