"""What the two Keras MF models share: id encoding, the validation carve, the training
loop, movie similarity, and saving to / loading from a folder (:mod:`.io`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender
from zeerec.models.mf.io import read_folder, write_folder
from zeerec.models.mf.layer import _EpochTimer
from zeerec.models.mf.tf_setup import keras, quiet_tensorflow
from zeerec.ranking import check_n, top_n
from zeerec.splits import random_split


class _KerasMF(Recommender):
    """Id maps, training loop, prediction from the learned arrays, save and load.

    The constructor's settings are kept in ``settings`` (saved in ``meta.json``) and
    read as attributes: ``model.factors`` is ``model.settings["factors"]``.
    """

    name = "keras MF"
    predicts_ratings = True
    accepts_profiles = False
    has_similar_movies = True
    _fitted_scalars: tuple[str, ...] = ()  # fitted numbers saved in meta.json and restored

    def __init__(self, **settings: Any):
        self.settings = settings

    def init_settings(self) -> dict[str, Any]:
        """The constructor's settings (the learned arrays are public attributes here)."""
        return dict(self.settings)

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

    def _score(self, target) -> np.ndarray:
        """One known user's scores (the hook the base's ``recommend`` calls)."""
        return self._score_rows(np.array([target.row]))[0]

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _similar(self, col: int, n: int, min_ratings: int = 0) -> pd.DataFrame:
        """The ``n`` movies whose embeddings point the most the same way (cosine):
        ``movie_id`` and ``similarity``. ``similar_movies(movie_id, n, min_ratings=…)``
        leaves out movies with fewer training ratings: the direction of a rarely rated
        movie's embedding rests on little evidence."""
        movie_id = int(self.ratings_.movie_ids[col])
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
        check_n(n, int(np.isfinite(sim).sum()))
        top = top_n(sim, n)
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
        m = self.ratings_.matrix
        arrays = {
            "user_ids": self.ratings_.user_ids,
            "movie_ids": self.ratings_.movie_ids,
            "data": m.data,
            "indices": m.indices,
            "indptr": m.indptr,
            **self._extra_arrays(),
        }
        return write_folder(path, self.model_, self._meta(), arrays)

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def _settings_from_meta(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """The constructor arguments saved in ``meta.json`` (a subclass renames old ones)."""
        return settings

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """The model ``save(path)`` wrote, fitted as it was; a folder of another class is a
        ``TypeError``, a missing one a ``FileNotFoundError``."""
        model, meta, arrays = read_folder(path, cls.__name__)
        obj = cls(**cls._settings_from_meta(meta["settings"]))
        shape = (len(arrays["user_ids"]), len(arrays["movie_ids"]))
        matrix = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        obj.ratings_ = RatingMatrix(matrix, arrays["user_ids"], arrays["movie_ids"])
        obj.model_ = model
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
