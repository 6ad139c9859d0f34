"""Does the Keras version explain the seed model's RMSE gap (this rerun 1.005, published 0.990)?

The seed trained with Keras 2, whose Adam summed a batch's gradient slices for one
embedding row before squaring them into the second moment; Keras 3 squares each slice
(one per rating in the batch). This trains :class:`zeerec.models.mf.SeedMF` both ways on
notebook 05's split of the ML-1M slice (random 80/20, seed 42, the published number of
steps) and prints each RMSE on the held-out ratings whose user and movie were trained on.
Nothing is chosen from it: it checks a reproduction, and the model stays as it is.

Run: .venv/bin/python benchmarks/check_seed_adam.py [--data ml-1m-slice]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import SHARED, log

from zeerec import data
from zeerec.metrics import rmse
from zeerec.models import mf
from zeerec.models.mf.tf_setup import keras, tf
from zeerec.splits import random_split


class SummedSlicesAdam(keras.optimizers.Adam):
    """Adam on dense gradients: a row's slices are summed first, as Keras 2 did."""

    def apply(self, grads, trainable_variables=None):
        dense = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        return super().apply(dense, trainable_variables)


class SeedMFKeras2Adam(mf.SeedMF):
    """The seed model, layer for layer and compiled the same way, with Keras 2's Adam."""

    def _optimizer(self):
        return SummedSlicesAdam(learning_rate=self.learning_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="ml-1m-slice")
    args = parser.parse_args()
    ratings = data.load(SHARED / args.data).ratings
    train, test = random_split(ratings, 0.2, seed=42)
    known = test[test["user_id"].isin(train["user_id"]) & test["movie_id"].isin(train["movie_id"])]
    plan = mf.seed_plan(len(train), 20, None)
    for label, cls in (
        ("Keras 3 Adam (as zeerec trains)", mf.SeedMF),
        ("slices summed", SeedMFKeras2Adam),
    ):
        log(f"training: {label}")
        model = cls(epochs=20, batch_size=plan.batch_size, learning_rate=1e-4, seed=42).fit(train)
        pred = model.predict(known["user_id"], known["movie_id"])
        print(
            f"{label}: RMSE {rmse(known['rating'].to_numpy(np.float64), pred):.4f} "
            f"on {len(known):,} ratings; final training loss {model.history_['loss'][-1]:.3f}"
        )


if __name__ == "__main__":
    main()
