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
- ``n_members`` independent models trained side by side in one Keras model, each in
  its own data order, and averaged; the average is again one biased MF.
- Predictions clipped to 1-5. Seeded and deterministic on CPU.

Unknown ids at predict time: :class:`BiasedMF` falls back to what it knows (an unknown
user gets ``mu + b_i``, an unknown movie ``mu + b_u``, both unknown ``mu``);
:class:`SeedMF` has no biases to fall back on and raises a ``KeyError`` naming the ids
(``predicts_unknown`` is False).

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

Importing this package imports TensorFlow (see :mod:`.tf_setup`). The modules:
:mod:`.tf_setup` (quiet import, seeds, XLA threshold — patch ``XLA_MIN_RATINGS`` there,
where :func:`use_xla` reads it), :mod:`.layer` (the Keras layer, loss, callbacks),
:mod:`.keras_model` (what both models share), :mod:`.seed`, :mod:`.biased`, :mod:`.io`
(the saved folder), :mod:`.vae` (Mult-VAE, the implicit-feedback model that ranks from
who-rated-what). Analyses of fitted models live in :mod:`zeerec.mf_analysis`.
"""

from zeerec.models.mf.biased import BiasedMF
from zeerec.models.mf.io import DEFAULT_NAME, IDS_FILE, META_FILE, MODEL_FILE, load
from zeerec.models.mf.layer import BiasedDot, member_mse
from zeerec.models.mf.seed import SEED_PUBLISHED, SeedMF, SeedPlan, seed_batch_size, seed_plan
from zeerec.models.mf.tf_setup import (
    STEPS_PER_EXECUTION,
    TF_LOGS_ENV,
    XLA_MIN_RATINGS,
    quiet_tensorflow,
    set_seed,
    use_xla,
)
from zeerec.models.mf.vae import MultVAE

__all__ = [
    "DEFAULT_NAME",
    "IDS_FILE",
    "META_FILE",
    "MODEL_FILE",
    "SEED_PUBLISHED",
    "STEPS_PER_EXECUTION",
    "TF_LOGS_ENV",
    "XLA_MIN_RATINGS",
    "BiasedDot",
    "BiasedMF",
    "MultVAE",
    "SeedMF",
    "SeedPlan",
    "load",
    "member_mse",
    "quiet_tensorflow",
    "seed_batch_size",
    "seed_plan",
    "set_seed",
    "use_xla",
]
