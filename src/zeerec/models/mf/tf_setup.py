"""TensorFlow set-up for the Keras models: quiet imports, seeds, and when to compile with XLA.

Importing this module imports Keras and TensorFlow (a few seconds, loudly on stderr
unless :func:`quiet_tensorflow` hides it), which is why :mod:`zeerec.models` never
imports :mod:`zeerec.models.mf` itself. ``keras`` and ``tf`` are imported here once, in
silence; the other modules of the package take them from here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import numpy as np

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
leave XLA off on every CPU. Set to ``None`` to never use XLA (on this module:
``zeerec.models.mf.tf_setup.XLA_MIN_RATINGS``, where :func:`use_xla` reads it)."""


BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags (Linux ``/proc/cpuinfo``) of native bfloat16 dot products."""


def _cpu_has_bf16() -> bool:
    """Native bfloat16 dot products that TensorFlow can use: the CPU flag, and oneDNN not
    switched off (``TF_ENABLE_ONEDNN_OPTS=0`` leaves TensorFlow's own kernels)."""
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip() == "0":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            words = set(f.read().split())
    except OSError:
        return False
    return any(flag in words for flag in BF16_FLAGS)


BF16_MATMULS = _cpu_has_bf16()
"""Whether Mult-VAE's training step does its matrix products in bfloat16: the inputs of
each product (forward, and the products of the gradients) are rounded to bfloat16 and
its result comes back in bfloat16, then is widened to float32; the weights, Adam, the
bias, the activations and the loss stay in float32. On by itself only where the CPU has
native bfloat16 dot products (:data:`BF16_FLAGS`) and oneDNN is on; elsewhere it stays off
(TensorFlow would have to emulate bfloat16; not measured here). Measured on this machine
(AMD EPYC with avx512_bf16, 2 cores), registry values, per-user 75/25 splits with seeds
42-46, every test user: P@10 0.3905 in float32 and 0.3905 with bfloat16 products on
ML-100K (largest per-seed gap 0.0006), fit 6.1 s → 5.0 s; 0.2087 and 0.2086 on the ML-1M
slice (largest gap 0.0004), fit 20 s → 15 s; at ML-1M size 1.70-1.78 s → 1.22-1.45 s per
epoch (medians of 7 epochs, three interleaved pairs). The same seed gives the same
numbers on one kind of CPU; a CPU without the flag trains in float32 and gives slightly
different ones. Set to False (on this module) for float32 products everywhere."""


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
