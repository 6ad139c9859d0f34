"""All-pairs sums over common raters as dense ``A.T @ B`` products of sparse matrices.

The item × item similarity matrices of :mod:`zeerec.similarity` need, for every pair of
movies, the number of users who rated both and sums of ratings over those users. Each
is one sparse product accumulated straight into a dense array; for integer ratings
several of them are packed into one product, exactly (see :func:`corated_moments`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:  # scikit-learn >= 1.8
    from sklearn.utils.sparsefuncs import sparse_matmul_to_dense as _matmul_to_dense
except ImportError:  # pragma: no cover - older scikit-learn: scipy's product instead
    _matmul_to_dense = None

_EXACT_BITS = 52  # integers below 2**53 add up exactly in float64, in any order
_PACKING_ENABLED = True  # tests switch it off to check the packed path against the plain one


def gram(A: sp.csr_matrix, B: sp.csr_matrix) -> np.ndarray:
    """Dense ``A.T @ B`` for two users × movies sparse matrices.

    The result is nearly dense (most movie pairs share a rater), so scikit-learn's
    ``sparse_matmul_to_dense``, which accumulates straight into the dense output, is
    about twice as fast as scipy's sparse product followed by ``toarray``.
    """
    return dense_product(A.T.tocsr(), B)


def dense_product(At: sp.csr_matrix, B: sp.csr_matrix) -> np.ndarray:
    """Dense ``At @ B`` for a movies × users and a users × movies sparse matrix."""
    if _matmul_to_dense is not None and At.dtype == B.dtype == np.float64:
        return _matmul_to_dense(sp.csr_matrix(At), sp.csr_matrix(B))
    return (At @ B).toarray()


def _packing(X: sp.csr_matrix) -> tuple[int, int] | None:
    """(largest rating, most raters of one movie) if ratings are non-negative integers."""
    data = X.data
    if not _PACKING_ENABLED or len(data) == 0:
        return None
    if not (np.all(data >= 0) and np.all(data == np.round(data))):
        return None
    return int(data.max()), int(np.bincount(X.indices).max())


def _like(X: sp.csr_matrix, data: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)


def corated_moments(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every pair (i, j), over the users who rated both: n, Σ x_i and Σ x_i².

    These need ``B.T @ B``, ``X.T @ B`` and ``(X∘X).T @ B``. For non-negative integer
    ratings the three are packed into one product: with ``L = 1 + x·2^a + x²·2^b`` on
    the rated cells, ``(L.T @ B)_ij = n + 2^a·Σx + 2^b·Σx²``. The bit fields cannot
    run into each other, as ``n ≤ N``, ``Σx ≤ top·N`` and ``Σx² ≤ top²·N`` (``N`` the
    most raters of any movie, ``top`` the highest rating), and every partial sum is an
    integer below 2^53, which float64 adds exactly in any order — so the result is
    identical to the three separate products, at a third of the cost. Anything else
    (fractional ratings, more than 52 bits) takes the three products.
    """
    bounds = _packing(X)
    if bounds is not None:
        top, N = bounds
        a = N.bit_length()
        b = a + (top * N).bit_length()
        if b + (top * top * N).bit_length() <= _EXACT_BITS:
            x = X.data
            L = _like(X, 1 + x * 2.0**a + x * x * 2.0**b)
            P = gram(L, _like(X, np.ones_like(x))).astype(np.int64)
            n = (P & ((1 << a) - 1)).astype(np.float64)
            sx = ((P >> a) & ((1 << (b - a)) - 1)).astype(np.float64)
            sxx = (P >> b).astype(np.float64)
            return n, sx, sxx
    B = _like(X, np.ones_like(X.data))
    return gram(B, B), gram(X, B), gram(_like(X, X.data * X.data), B)


def count_and_dot(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Common raters ``B.T @ B`` and dot products ``X.T @ X`` for every pair, as floats.

    Packed like :func:`corated_moments`: ``L = 1 + x·2^a`` on both sides gives
    ``n + 2^a·(Σx_i + Σx_j) + 2^2a·Σx_i·x_j``, one product instead of two.
    """
    bounds = _packing(X)
    if bounds is not None:
        top, N = bounds
        a = (2 * top * N).bit_length()
        if 2 * a + (top * top * N).bit_length() <= _EXACT_BITS:
            L = _like(X, 1 + X.data * 2.0**a)
            P = gram(L, L).astype(np.int64)
            return (P & ((1 << a) - 1)).astype(np.float64), (P >> (2 * a)).astype(np.float64)
    B = _like(X, np.ones_like(X.data))
    return gram(B, B), gram(X, X)
