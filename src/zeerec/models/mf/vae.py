"""Mult-VAE: the variational autoencoder of Liang et al. (2018) on who-rated-what.

"Variational Autoencoders for Collaborative Filtering" (WWW 2018) reads a user's whole
binary row ``x_u`` (1 = rated, whatever the stars) and puts a multinomial over the
movies::

    h     = tanh(W1 · dropout(x_u / ‖x_u‖) + b1)              encoder, 600 units
    mu, log σ² = W2 · h + b2                                  200 latent numbers each
    z     = mu + σ ⊙ ε,  ε ~ N(0, I)                          (training; mu when scoring)
    π(z)  = softmax(W4 · tanh(W3 · z + b3) + b4)              decoder, 600 → movies

    loss_u = − Σ_i x_ui log π_i(z)  +  β · KL(N(mu, σ²) ‖ N(0, I))  (+ l2 · Σ ‖W‖²)

The multinomial likelihood makes the movies compete for one unit of probability mass,
which is what a top-N list is; the dropout on the normalised input teaches the model to
restore movies it was not shown. β is annealed linearly from 0 to ``beta_cap`` over the
first half of the training steps and held there (the paper's "partially regularised"
VAE: a cap well under 1 ranks better than the full ELBO). A user's scores are the
decoder's logits for ``z = mu`` (same order as π). A new user's profile is just another
input row, so profiles are scored without refitting and without a fold-in.

Why Mult-VAE and not BPR: both were tried on validation carved from the ML-100K seed-42
training split (``zeerec.evaluation.tune``, 300 users, NDCG@10; the tables are in
BENCHMARKS.md, "Keras implicit model (issue 11)"). Mult-VAE's best NDCG@10 was 0.266
(P@10 0.221), BPR's 0.216 (P@10 0.183; 64 factors, Adam 5e-3, 20 epochs, reg 1e-3;
more epochs, a larger rate or 128 factors did worse), EASE's 0.274 on the same users.
BPR also needs an optimisation per new user; the VAE scores a profile in one pass. On
the test split, scored once: P@10 0.388, NDCG@10 0.444 (EASE 0.420 / 0.479), short of
the issue's 0.40.

The notes on the defaults in ``Args:`` come from single exploratory runs on the same
kind of validation carving (some on the split before issue 15 changed its draw).

Training is a plain Keras encoder and decoder with Adam in a compiled TensorFlow step;
dropout and ε come from stateless random ops keyed by (seed, step) and the batch order
from a seeded numpy generator, so the same seed gives the same numbers on CPU. On a CPU
with native bfloat16 dot products the step's matrix products (forward and backward) run
in bfloat16 (:data:`~zeerec.models.mf.tf_setup.BF16_MATMULS`: a fifth less time, the
same precision@10 on ML-100K and the slice). Scoring runs in numpy (float64) on the
learned weights, so one user and a block of users agree exactly. Cost on ML-100K:
epochs × 943 users through two 1,682 × 600 layers.

Args:
    hidden: units of the encoder's and the decoder's hidden layer (the paper's 600;
        300 was worse on validation).
    latent: size of ``z`` (the paper's 200).
    dropout: share of the normalised input row dropped during training (0.5, as the
        paper; 0.3 and 0.7 tied with it on validation).
    beta_cap: the β the annealing stops at. 0.2 and 0.5 tied on validation; 1 (the
        full ELBO) was worse.
    epochs: passes over the users; no early stopping, so the time is bounded. 30 was
        best of 10-50 on validation; 100 overfits (NDCG@10 0.21).
    batch_size: users per Adam step (128: 64 was no better and slower).
    learning_rate: Adam's rate (the paper's 1e-3; 2e-3 and 4e-3 did not beat it on
        validation on ML-100K or the slice, ``benchmarks/tune_all.py``, 2026-11-30).
    l2: weight of the squared kernels in the loss (the paper's λ on the weights). 0:
        1e-3 tied, 1e-2 was worse; the dropout and the KL term regularise enough.
    seed: seeds the starting weights, the batch order, the dropout and ε.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from zeerec.matrix import RatingMatrix
from zeerec.models.base import Recommender, Target
from zeerec.models.mf import tf_setup
from zeerec.models.mf.tf_setup import _np, keras, quiet_tensorflow, set_seed, tf

_ANNEAL_SHARE = 0.5  # β reaches beta_cap after this share of the steps (fixed, not tuned)
_SCORE_BLOCK = 2048  # users scored per numpy block
_LAYER_NAMES = ("enc_hidden", "enc_out", "dec_hidden", "dec_out")


class MultVAE(Recommender):
    """Liang et al.'s Mult-VAE on the binary matrix; see the module docstring for the
    formula and the ``Args:`` list.

    Attributes:
        X_: the binary users × movies matrix (sparse, training rows).
        weights_: the learned arrays as float64 numpy (``enc_hidden``, ``enc_out``,
            ``dec_hidden``, ``dec_out``: each a ``(kernel, bias)`` pair).
        history_: per-epoch mean ``loss``, ``neg_ll``, ``kl`` and the ``beta`` reached.
        epoch_seconds_, fit_seconds_: wall time per epoch and of ``fit``.
    """

    name = "Mult-VAE"
    ranking_score = "decoder logits over who-rated-what"

    def __init__(
        self,
        hidden: int = 600,
        latent: int = 200,
        dropout: float = 0.5,
        beta_cap: float = 0.2,
        epochs: int = 30,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        l2: float = 0.0,
        seed: int = 42,
    ):
        if min(hidden, latent, epochs, batch_size) < 1:
            raise ValueError("hidden, latent, epochs and batch_size must be at least 1")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if beta_cap < 0 or l2 < 0 or learning_rate <= 0:
            raise ValueError("beta_cap and l2 must be >= 0 and learning_rate > 0")
        self.hidden, self.latent = int(hidden), int(latent)
        self.dropout, self.beta_cap = float(dropout), float(beta_cap)
        self.epochs, self.batch_size = int(epochs), int(batch_size)
        self.learning_rate, self.l2, self.seed = float(learning_rate), float(l2), int(seed)

    # ---------------------------------------------------------------- training

    def _fit(self, ratings: pd.DataFrame) -> None:
        start = time.perf_counter()
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.X_ = self.ratings_.binary().tocsr()
        set_seed(self.seed)
        with quiet_tensorflow():
            layers = self._layers(self.X_.shape[1])
            self.history_, self.epoch_seconds_ = self._train(layers)
        self.weights_ = {
            name: (_np(layer.kernel, np.float64), _np(layer.bias, np.float64))
            for name, layer in layers.items()
        }
        self.fit_seconds_ = time.perf_counter() - start

    def _layers(self, n_movies: int) -> dict[str, keras.layers.Dense]:
        """The four Dense layers, built and seeded (Glorot kernels, zero biases)."""
        sizes = {
            "enc_hidden": (n_movies, self.hidden, "tanh"),
            "enc_out": (self.hidden, 2 * self.latent, None),
            "dec_hidden": (self.latent, self.hidden, "tanh"),
            "dec_out": (self.hidden, n_movies, None),
        }
        layers = {}
        for i, (name, (n_in, n_out, act)) in enumerate(sizes.items()):
            init = keras.initializers.GlorotUniform(seed=self.seed + i)
            layers[name] = keras.layers.Dense(n_out, activation=act, kernel_initializer=init)
            layers[name].build((None, n_in))
        return layers

    def _train(self, layers: dict) -> tuple[dict[str, list[float]], list[float]]:
        """Adam over seeded user batches with β annealed; returns the history and seconds.

        Each batch goes in as its rated cells, so no dense users × movies matrix is ever
        held (at ML-25M's size it would take 38 GB).
        """
        x_all = self.X_
        n_users, n_movies = x_all.shape
        per_epoch = -(-n_users // self.batch_size)
        anneal = max(1.0, _ANNEAL_SHARE * per_epoch * self.epochs)
        step_fn = _train_step(layers, self, keras.optimizers.Adam(self.learning_rate), n_movies)
        rng = np.random.default_rng(self.seed)
        history: dict[str, list[float]] = {"loss": [], "neg_ll": [], "kl": [], "beta": []}
        seconds, step = [], 0
        for _ in range(self.epochs):
            tick, sums = time.perf_counter(), np.zeros(3)
            order = rng.permutation(n_users)
            for b in range(per_epoch):
                rows = order[b * self.batch_size : (b + 1) * self.batch_size]
                batch = x_all[rows].tocoo()
                cells = np.column_stack([batch.row, batch.col]).astype(np.int64)
                beta = self.beta_cap * min(1.0, step / anneal)
                out = step_fn(
                    tf.constant(cells),
                    tf.constant(len(rows), tf.int64),
                    tf.constant(beta, tf.float32),
                    tf.constant(step, tf.int64),
                )
                sums += np.array([float(v) for v in out]) * len(rows)
                step += 1
            for key, value in zip(("loss", "neg_ll", "kl"), sums / n_users, strict=True):
                history[key].append(float(value))
            history["beta"].append(float(beta))
            seconds.append(time.perf_counter() - tick)
        return history, seconds

    # ---------------------------------------------------------------- scoring

    def _logits(self, x) -> np.ndarray:
        """Decoder logits at ``z = mu`` for binary rows ``x`` (users × movies, sparse or
        dense), in float64."""
        w = self.weights_
        counts = np.asarray(x.sum(axis=1), dtype=np.float64).reshape(-1, 1)  # ‖x‖² of 0/1 rows
        h = np.tanh(
            (x @ w["enc_hidden"][0]) / np.sqrt(np.maximum(counts, 1e-24)) + w["enc_hidden"][1]
        )
        mu = (h @ w["enc_out"][0] + w["enc_out"][1])[:, : self.latent]
        h = np.tanh(mu @ w["dec_hidden"][0] + w["dec_hidden"][1])
        return h @ w["dec_out"][0] + w["dec_out"][1]

    def _score(self, target: Target) -> np.ndarray:
        x = np.zeros((1, len(self.ratings_.movie_ids)))
        x[0, target.cols] = 1.0
        return self._logits(x)[0]

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), len(self.ratings_.movie_ids)))
        for s in range(0, len(rows), _SCORE_BLOCK):
            block = rows[s : s + _SCORE_BLOCK]
            out[s : s + len(block)] = self._logits(self.X_[block])
        return out


def _bf16_products(layer: keras.layers.Dense):
    """``layer``'s computation with its matrix product in bfloat16 (so its gradients'
    products too), widened to float32 before the bias and the activation
    (:data:`~zeerec.models.mf.tf_setup.BF16_MATMULS`)."""

    def apply(x):
        product = tf.matmul(tf.cast(x, tf.bfloat16), tf.cast(layer.kernel, tf.bfloat16))
        return layer.activation(tf.cast(product, tf.float32) + layer.bias)

    return apply


def _train_step(layers: dict, cfg: MultVAE, optimizer: keras.optimizers.Optimizer, n_movies: int):
    """One compiled Adam step on a batch of binary rows given as their rated cells
    (``cells``: row in the batch, movie column): ``(loss, neg_ll, kl)``. The rows are
    made dense inside the step: on CPU a dense product of a batch beat TensorFlow's
    sparse one, and its gradient, by 4x at ML-1M's density."""
    enc_h, enc_o, dec_h, dec_o = (
        _bf16_products(layers[k]) if tf_setup.BF16_MATMULS else layers[k] for k in _LAYER_NAMES
    )
    variables = [v for layer in layers.values() for v in layer.trainable_variables]
    kernels = [layer.kernel for layer in layers.values()]
    optimizer.build(variables)
    spec = [
        tf.TensorSpec([None, 2], tf.int64),
        tf.TensorSpec([], tf.int64),
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.int64),
    ]

    @tf.function(input_signature=spec)
    def step(cells, n_rows, beta, step_no):
        seed = tf.stack([tf.constant(cfg.seed, tf.int64), step_no])
        shape = tf.stack([n_rows, tf.constant(n_movies, tf.int64)])
        x = tf.scatter_nd(cells, tf.ones(tf.shape(cells)[:1], tf.float32), shape)
        with tf.GradientTape() as tape:
            h = tf.math.l2_normalize(x, axis=1)
            if cfg.dropout > 0:
                h = tf.nn.experimental.stateless_dropout(h, cfg.dropout, seed=seed)
            stats = enc_o(enc_h(h))
            mu, logvar = stats[:, : cfg.latent], stats[:, cfg.latent :]
            eps = tf.random.stateless_normal(tf.shape(mu), seed=seed + 1)
            z = mu + tf.exp(0.5 * logvar) * eps
            log_pi = tf.nn.log_softmax(dec_o(dec_h(z)), axis=1)
            neg_ll = -tf.reduce_mean(tf.reduce_sum(log_pi * x, axis=1))
            kl = tf.reduce_mean(
                0.5 * tf.reduce_sum(tf.exp(logvar) + tf.square(mu) - 1.0 - logvar, axis=1)
            )
            loss = neg_ll + beta * kl
            if cfg.l2 > 0:
                loss += cfg.l2 * tf.add_n([tf.reduce_sum(tf.square(k)) for k in kernels])
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss, neg_ll, kl

    return step
