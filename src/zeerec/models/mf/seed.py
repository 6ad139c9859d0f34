"""The case study's Keras model, as published: two embeddings and their dot product."""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Pairs
from zeerec.models.mf.keras_model import _KerasMF
from zeerec.models.mf.tf_setup import (
    STEPS_PER_EXECUTION,
    _np,
    keras,
    set_seed,
    use_xla,
)

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


class SeedPlan(NamedTuple):
    """How a :class:`SeedMF` fit on a training set will run (see :func:`seed_plan`)."""

    n_fit: int  # ratings it trains on: the training set less the validation it carves
    batch_size: int
    steps: int  # Adam steps over all epochs


def seed_plan(
    n_train: int, epochs: int = 20, batch_size: int | None = None, validation_fraction=0.1
) -> SeedPlan:
    """The ratings, batch size and Adam steps of a :class:`SeedMF` fit on ``n_train`` ratings.

    Args:
        n_train: ratings passed to ``fit``.
        epochs: the model's ``epochs``.
        batch_size: the model's batch size; ``None`` picks :func:`seed_batch_size` of the
            ratings it actually trains on (the published number of steps per epoch).
        validation_fraction: the model's; that share is carved off before training,
            rounded as :func:`zeerec.splits.random_split` rounds it.
    """
    n_fit = n_train - int(round(n_train * validation_fraction))
    batch = seed_batch_size(n_fit) if batch_size is None else int(batch_size)
    return SeedPlan(n_fit, batch, epochs * int(np.ceil(n_fit / batch)))


class SeedMF(_KerasMF):
    """The case study's model, layer for layer: two embeddings and their dot product.

    ``r_ui = p_u . q_i``, trained with MSE: no biases, no regularisation, no early
    stopping, predictions not clipped — as published. It is kept to show where the seed
    started. Having no bias to fall back on, it cannot predict for an id it never saw
    (``predicts_unknown`` is False; ``predict`` raises a ``KeyError`` naming the ids).

    One difference from the published run is the Keras version: the seed used Keras 2,
    whose Adam summed a batch's gradient slices for one embedding row before squaring
    them; Keras 3 squares each slice (see :class:`~zeerec.models.mf.BiasedMF`). Trained
    both ways on the ML-1M slice's 80/20 split of notebook 05 (seed 42, 2026-11-30), it
    scored RMSE 1.0053 as here and 1.0064 with the slices summed
    (``benchmarks/check_seed_adam.py``): the version does not explain this rerun's gap
    to the published 0.990.

    Args:
        factors: embedding size per user and per movie (published: 64).
        epochs: passes over the training ratings (published: 20).
        batch_size: ratings per Adam step (published: 128; on more data
            :func:`seed_batch_size` keeps the published number of steps per epoch).
        learning_rate: Adam's learning rate (published: 1e-4).
        validation_fraction: share of the training ratings held out only to draw the
            validation loss curve the seed showed; 0 holds nothing out.
        seed: seeds the carve, the initial weights and the data order.
        verbose: Keras's progress output (0 silent, 2 one line per epoch).

    Attributes:
        user_factors, movie_factors: the learned embeddings (rows in id order).
        history_: Keras's per-epoch losses (``loss``, ``rmse``, ``val_loss``, ``val_rmse``).
        epoch_seconds_, fit_seconds_: wall time per epoch and of the whole ``fit``.
        best_epoch_: the last epoch (there is no early stopping).
        n_train_: ratings trained on (without the validation share).
        model_: the Keras model.
    """

    name = "seed MF (as published)"
    predicts_unknown = False
    clips_predictions = False  # the raw dot product, as published
    no_profile_reason = "the seed model cannot score a new user's profile"

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
            optimizer=self._optimizer(),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
            steps_per_execution=STEPS_PER_EXECUTION,
            jit_compile=xla,
        )
        return model

    def _optimizer(self) -> keras.optimizers.Optimizer:
        """Adam at the model's learning rate, as published (a subclass may swap it)."""
        return keras.optimizers.Adam(learning_rate=self.learning_rate)

    def _fit(self, ratings: pd.DataFrame) -> None:
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

    def _extract(self) -> None:
        self.user_factors = _np(self.model_.get_layer("user_embedding").embeddings)
        self.movie_factors = _np(self.model_.get_layer("movie_embedding").embeddings)

    def _estimate(self, pairs: Pairs) -> np.ndarray:
        """The dot product; an unknown id is a KeyError naming it."""
        upos, uok, mpos, mok = pairs.user_pos, pairs.user_known, pairs.movie_pos, pairs.movie_known
        if not (uok.all() and mok.all()):
            bad_u, bad_m = pairs.users[~uok][:5].tolist(), pairs.movies[~mok][:5].tolist()
            raise KeyError(
                f"the seed model has no embedding for user id(s) {bad_u} / movie id(s) "
                f"{bad_m}: it only knows the users and movies it was trained on and has no "
                "bias terms to fall back on"
            )
        p, q = self.user_factors[upos], self.movie_factors[mpos]
        return np.einsum("ij,ij->i", p, q).astype(np.float64)

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return (self.user_factors[rows] @ self.movie_factors.T).astype(np.float64)
