"""BPR (Rendle et al. 2009) in Keras/TensorFlow, the candidate Mult-VAE was compared with.

Kept out of the model layer: on validation it ranked below Mult-VAE (BENCHMARKS.md,
"Keras implicit model (issue 11)"), so it is only the benchmark's second candidate::

    x_uij = p_u · (q_i − q_j) + b_i − b_j
    loss  = − mean log σ(x_uij) + reg · (‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²)

over the training pairs (u, i) in a seeded order, each with one movie j drawn uniformly
among those u did not rate. Scores of an existing user: ``p_u · q + b``. It ranks only
users it was trained on (a new user would need the user vector optimised against fixed
movie factors, not written here).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender, Target
from zeerec.models.mf.tf_setup import quiet_tensorflow, set_seed, tf


class BPR(Recommender):
    """Bayesian personalised ranking with sampled negatives, Adam in a compiled step."""

    name = "BPR"
    accepts_profiles = False
    no_profile_reason = "the benchmark's BPR ranks only users it was trained on"

    def __init__(self, factors=64, reg=1e-4, epochs=30, batch_size=1024, learning_rate=5e-3,
                 seed=42):  # fmt: skip
        self.factors, self.reg, self.epochs = int(factors), float(reg), int(epochs)
        self.batch_size, self.learning_rate, self.seed = int(batch_size), learning_rate, seed

    def _fit(self, ratings: pd.DataFrame) -> None:
        start = time.perf_counter()
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        X = self.ratings_.binary().tocsr()
        users = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        items = X.indices.astype(np.int64)
        set_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        n_users, n_items = X.shape
        init = tf.random.stateless_normal
        P = tf.Variable(init((n_users, self.factors), seed=[self.seed, 0]) * 0.1)
        Q = tf.Variable(init((n_items, self.factors), seed=[self.seed, 1]) * 0.1)
        b = tf.Variable(tf.zeros(n_items))
        with quiet_tensorflow():
            import keras

            opt = keras.optimizers.Adam(self.learning_rate)
            step = _step(P, Q, b, opt, self.reg)
            for _ in range(self.epochs):
                order = rng.permutation(len(users))
                neg = _negatives(X, users[order], rng)
                for s in range(0, len(order), self.batch_size):
                    sl = slice(s, s + self.batch_size)
                    step(users[order][sl], items[order][sl], neg[sl])
        self.P_, self.Q_, self.b_ = (np.asarray(v.numpy(), dtype=np.float64) for v in (P, Q, b))
        self.fit_seconds_ = time.perf_counter() - start

    def _score(self, target: Target) -> np.ndarray:
        return self._score_rows(np.array([target.row]))[0]

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.P_[rows] @ self.Q_.T + self.b_


def _negatives(X, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One movie per pair that the user did not rate (uniform; a few redraws)."""
    neg = rng.integers(0, X.shape[1], size=len(users))
    for _ in range(10):
        hit = np.asarray(X[users, neg]).ravel() > 0
        if not hit.any():
            break
        neg[hit] = rng.integers(0, X.shape[1], size=int(hit.sum()))
    return neg


def _step(P, Q, b, opt, reg: float):
    variables = [P, Q, b]
    opt.build(variables)

    @tf.function(reduce_retracing=True)
    def step(u, i, j):
        with tf.GradientTape() as tape:
            pu, qi, qj = tf.gather(P, u), tf.gather(Q, i), tf.gather(Q, j)
            bi, bj = tf.gather(b, i), tf.gather(b, j)
            x = tf.reduce_sum(pu * (qi - qj), axis=1) + bi - bj
            penalty = tf.reduce_sum(pu**2 + qi**2 + qj**2, axis=1) + bi**2 + bj**2
            loss = -tf.reduce_mean(tf.math.log_sigmoid(x)) + reg * tf.reduce_mean(penalty)
        opt.apply(tape.gradient(loss, variables), variables)
        return loss

    return step
