"""Item-item similarity on the sparse user × movie matrix, one movie against all or all pairs.

Five measures, all computed from :class:`~zeerec.matrix.RatingMatrix` without a dense
users × movies matrix:

- ``seed_pearson`` — Pearson over *every* user on the zero-filled pivot: what the seed's
  ``mat.fillna(0).corrwith(mat[movie])`` computes. "Not rated" counts as a rating of 0,
  so the score mostly measures whether two movies are rated by the same people.
- ``pearson`` — Pearson over the users who rated *both* movies (means taken over those
  users), the textbook item-item Pearson. It needs a floor on the number of common raters
  (two raters always give ±1) and optionally shrinks scores with little evidence:
  ``r · n / (n + shrinkage)``.
- ``cosine`` — cosine of the raw rating vectors (the seed's ``NearestNeighbors(metric=
  "cosine")`` is ``1 - cosine``).
- ``adjusted_cosine`` — cosine after subtracting each user's mean rating (Sarwar et al.
  2001), so a generous and a harsh rater who agree on the order of two movies agree here.
- ``bm25`` — who rated what, not the stars: the number of users who rated both movies,
  each user weighted and each movie damped as Okapi BM25 weighs terms and documents (the
  ``implicit`` package's ``BM25Recommender``; users play the terms). A rating ``x_ui``
  becomes ``w_ui = (k1 + 1) / (k1 · L_i + 1) · idf_u`` with ``idf_u = log(M) −
  log(1 + m_u)`` (M movies with a rating, m_u of them rated by u: a user who rated few
  movies says more about each) and ``L_i = 1 − b + b · n_i / mean(n)`` (n_i raters of
  movie i, the mean over rated movies: a popular movie is rated with everything, so its
  co-occurrences count less). The score is ``Σ_u w_ui · w_uj``: unbounded, not in
  [−1, 1], and only its order matters. As in ``implicit``, a user who rated nearly every
  movie gets a weight near 0 (below 0 if they rated all of them, which the product
  squares away); on ML-100K the most any user rated is 737 of 1,682. On binary data the
  damping is proportional to ``1 / (c + n_i)`` with ``c = mean(n) · (1 + k1 (1 − b)) /
  (k1 · b)``: ``k1`` and ``b`` act as one knob, so ``k1`` is fixed and ``b``
  (``bm25_b``) is tuned (with k1 = 1.2, c cannot go below 0.83 · mean(n)).

Every score comes with ``n_common``, the number of users who rated both movies: a
similarity is only as good as the evidence behind it.

One movie against all is a handful of sparse matrix-vector products against
precomputed column statistics, so a query costs milliseconds at ML-1M size. The full
item × item matrix comes from ``X.T @ X``-style products accumulated straight into a
dense array (:mod:`zeerec.gram`; for integer ratings the counts and sums over common
raters are packed into one exact product). Ties in every ranking are broken by movie_id.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from zeerec.gram import corated_moments, count_and_dot, dense_product, gram
from zeerec.matrix import RatingMatrix
from zeerec.ranking import check_n, top_k_mask, top_n

SIMILARITIES: tuple[str, ...] = ("seed_pearson", "pearson", "cosine", "adjusted_cosine", "bm25")
"""The similarity measures :class:`ItemSimilarity` computes (see the module docstring)."""

SIMILARITY_LABELS: dict[str, str] = {
    "seed_pearson": "Pearson, zero-filled (seed)",
    "pearson": "Pearson, co-rated users",
    "cosine": "cosine",
    "adjusted_cosine": "adjusted cosine",
    "bm25": "BM25-weighted co-occurrence",
}
"""Human-readable method names for tables and figure titles."""

BM25_K1 = 1.2
"""BM25's saturation constant ``k1`` (the textbook 1.2, also ``implicit``'s BM25Recommender
default). With one binary entry per rating it only rescales the damping that ``b`` sets
(on ML-100K validation, k1 = 1.2 with b = 0.5 ranked like k1 = 100, the default of
``implicit``'s ``bm25_weight`` function, with b = 0.25), so it is fixed."""
BM25_B = 0.5
"""BM25's length normalisation ``b``: how strongly a popular movie's co-occurrences are damped."""


class SimilarityError(ValueError):
    """A similarity cannot be computed for the movie asked about; the message says why."""


class UnratedMovieError(SimilarityError):
    """Nobody rated the movie, so it is similar or dissimilar to nothing."""


class TooFewRatersError(SimilarityError):
    """The movie (or every candidate) has fewer common raters than ``min_common`` asks for."""


def _check_method(method: str) -> None:
    if method not in SIMILARITIES:
        raise ValueError(f"unknown similarity method {method!r}; choose one of {SIMILARITIES}")


def _check_evidence(min_common: int, shrinkage: float) -> None:
    if isinstance(min_common, bool) or not isinstance(min_common, int | np.integer):
        raise ValueError(f"min_common must be a whole number >= 0, got {min_common!r}")
    if min_common < 0:
        raise ValueError(f"min_common must be >= 0, got {min_common}")
    if not np.isfinite(shrinkage) or shrinkage < 0:
        raise ValueError(f"shrinkage must be a finite number >= 0, got {shrinkage!r}")


def _ratio(num: np.ndarray, den_sq: np.ndarray) -> np.ndarray:
    """``num / sqrt(den_sq)`` with NaN where the denominator is zero, clipped to [-1, 1]."""
    out = np.full(np.broadcast(num, den_sq).shape, np.nan)
    ok = den_sq > 0
    np.divide(num, np.sqrt(den_sq, where=ok, out=np.zeros_like(out)), out=out, where=ok)
    return np.clip(out, -1.0, 1.0, out=out)


def _divide_outer(dot: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``dot / (a_i · b_j)`` in place, clipped to [-1, 1]; NaN where ``a_i · b_j`` is 0 (a
    zero norm: then ``dot`` is 0 too). Two passes instead of :func:`_ratio`'s several
    temporary arrays, for the blocks of :meth:`ItemSimilarity.top_k`; equal to it up to
    the last bits."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dot /= a[:, np.newaxis]
        dot /= b[np.newaxis, :]
    return np.clip(dot, -1.0, 1.0, out=dot)


def _zero_small(var: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Variances that are rounding noise (non-integer ratings) become exactly zero."""
    var[var <= 1e-12 * np.abs(scale)] = 0.0
    return var


def _pearson_from_moments(n, sx, sy, sxx, syy, sxy) -> np.ndarray:
    """Pearson from co-rated sums; ``n·Σxy - ΣxΣy`` is exact for integer ratings."""
    cov = n * sxy - sx * sy
    vx = _zero_small(n * sxx - sx * sx, n * sxx)
    vy = _zero_small(n * syy - sy * sy, n * syy)
    return _ratio(cov, vx * vy)


class ItemSimilarity:
    """Similarities between the columns (movies) of one rating matrix.

    Build it once per matrix (it precomputes column sums, norms and the user-centred
    matrix; the BM25 weights on first use), then ask for one movie against all with
    :meth:`scores` / :meth:`most_similar`, or for all pairs with :meth:`matrix`.
    """

    def __init__(
        self, ratings: RatingMatrix, bm25_b: float = BM25_B, bm25_k1: float = BM25_K1
    ) -> None:
        if not 0 <= bm25_b <= 1 or not np.isfinite(bm25_k1) or bm25_k1 < 0:
            raise ValueError(f"bm25_b must be in [0, 1] and bm25_k1 >= 0, got {bm25_b}, {bm25_k1}")
        self.bm25_b, self.bm25_k1 = float(bm25_b), float(bm25_k1)
        X = sp.csr_matrix(ratings.matrix, dtype=np.float64, copy=True)
        X.sum_duplicates()
        X.sort_indices()
        m = X.shape[1]
        self.ratings = ratings
        self._X = X
        row_len = np.diff(X.indptr)
        row_of = np.repeat(np.arange(X.shape[0]), row_len)
        self.n_users = int(np.count_nonzero(row_len))
        """Users with at least one rating: the rows of the seed's pivot table."""
        self.user_mean = np.bincount(row_of, X.data, minlength=X.shape[0]) / np.maximum(row_len, 1)
        """Each user's mean rating (0 for users without ratings), for adjusted cosine."""
        self._centred = X.data - self.user_mean[row_of]

        # Movies × users, plus the same pattern holding 1, x² and user-centred x.
        Xt = X.T.tocsr()
        Xt.sort_indices()
        self._Xt = Xt

        def like_xt(data: np.ndarray) -> sp.csr_matrix:
            return sp.csr_matrix((data, Xt.indices, Xt.indptr), shape=Xt.shape)

        self._Bt = like_xt(np.ones_like(Xt.data))
        self._X2t = like_xt(Xt.data * Xt.data)
        self._Ct = like_xt(Xt.data - self.user_mean[Xt.indices])
        self.n_raters = np.diff(Xt.indptr).astype(np.int64)
        """Number of ratings of each movie (column order of ``ratings.movie_ids``)."""
        self._sum = np.bincount(X.indices, X.data, minlength=m)
        self._sumsq = np.bincount(X.indices, X.data**2, minlength=m)
        self._cnorm = np.sqrt(np.bincount(X.indices, self._centred**2, minlength=m))

    @cached_property
    def _bm25_parts(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """The BM25 weight of each rating in the order of the users × movies ``X.data``,
        and the movies × users matrix of the same weights; built on first use only (two
        more arrays of the ratings' size)."""
        X, Xt = self._X, self._Xt
        rated = self.n_raters > 0  # catalogue columns nobody rated change nothing
        m = max(int(np.count_nonzero(rated)), 1)
        row_len = np.diff(X.indptr)
        idf = np.log(m) - np.log1p(row_len)  # per user
        mean_raters = self.n_raters[rated].mean() if rated.any() else 1.0
        length = (1.0 - self.bm25_b) + self.bm25_b * self.n_raters / mean_raters
        damp = (self.bm25_k1 + 1.0) / (self.bm25_k1 * length + 1.0)  # per movie
        weights = damp[X.indices] * np.repeat(idf, row_len)
        Wt = sp.csr_matrix(
            (np.repeat(damp, self.n_raters) * idf[Xt.indices], Xt.indices, Xt.indptr),
            shape=Xt.shape,
        )
        return weights, Wt

    # ------------------------------------------------------------------ one against all

    def _column(self, movie_id: int) -> int:
        """Column position of a movie that has ratings, or a clear error."""
        ids = self.ratings.movie_ids
        pos = int(np.searchsorted(ids, movie_id))
        if pos >= len(ids) or ids[pos] != movie_id:
            raise UnratedMovieError(
                f"movie_id {movie_id} has no ratings in this rating matrix (it is unknown or "
                "nobody rated it), so it has no similarity to any movie"
            )
        if self.n_raters[pos] == 0:
            raise UnratedMovieError(
                f"nobody rated movie_id {movie_id}, so it has no similarity to any movie"
            )
        return pos

    def _against_all(self, j: int, method: str) -> tuple[np.ndarray, np.ndarray]:
        """Scores of column ``j`` against every column, and the number of common raters.

        Each sum over common raters is one sparse matrix-vector product with a vector
        that is zero outside the movie's raters (about a millisecond at ML-1M size).
        """
        Xt = self._Xt
        lo, hi = Xt.indptr[j], Xt.indptr[j + 1]
        users, v = Xt.indices[lo:hi], Xt.data[lo:hi]

        def spread(values: np.ndarray | float) -> np.ndarray:
            out = np.zeros(Xt.shape[1])
            out[users] = values
            return out

        n = np.rint(self._Bt @ spread(1.0)).astype(np.int64)
        if method == "seed_pearson":
            N = float(self.n_users)
            s, q = self._sum, self._sumsq
            var = _zero_small(N * q - s * s, N * q)
            score = _ratio(N * (Xt @ spread(v)) - s * s[j], var * var[j])
        elif method == "pearson":
            b, y = spread(1.0), spread(v)
            score = _pearson_from_moments(
                n.astype(np.float64),
                Xt @ b,
                self._Bt @ y,
                self._X2t @ b,
                self._Bt @ (y * y),
                Xt @ y,
            )
        elif method == "cosine":
            score = _ratio(Xt @ spread(v), self._sumsq * self._sumsq[j])
        elif method == "bm25":
            Wt = self._bm25_parts[1]
            score = Wt @ spread(Wt.data[lo:hi])
        else:
            c = self._Ct.data[lo:hi]
            score = _ratio(self._Ct @ spread(c), (self._cnorm * self._cnorm[j]) ** 2)
        return score, n

    def _sides(self, among: np.ndarray, method: str) -> dict[str, sp.csr_matrix]:
        """The ``among`` movies' rows of the movies × users matrices (sliced once per
        :meth:`top_k`, not per block) and the users × movies patterns blocks are cut from."""
        X = self._X
        full = len(among) == X.shape[1]
        if method == "bm25":  # only BM25's weights: its arrays are built on first use
            weights, Wt = self._bm25_parts
            by_movie, by_user = {"Wt": Wt}, {"W": weights}
        else:
            by_movie = {"Xt": self._Xt, "X2t": self._X2t, "Ct": self._Ct}
            by_user = {"X2": X.data * X.data, "C": self._centred}
        by_movie["Bt"], by_user["B"] = self._Bt, np.ones_like(X.data)
        return {
            **{key: M if full else M[among] for key, M in by_movie.items()},
            **{key: self._sub(None, data) for key, data in by_user.items()},
        }

    def _against_block(
        self, cols: np.ndarray, method: str, among: np.ndarray, sides: dict[str, sp.csr_matrix]
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_against_all` for several columns at once: the ``among`` movies × ``cols``
        (dense), the vectors becoming the sparse columns of the rating matrix."""
        X = self._X
        Bt, Xt = sides["Bt"], sides.get("Xt")
        B = sides["B"][:, cols]
        n = np.rint(dense_product(Bt, B)).astype(np.int64)
        if method == "seed_pearson":
            N = float(self.n_users)
            s, q = self._sum, self._sumsq
            var = _zero_small(N * q - s * s, N * q)
            dot = N * dense_product(Xt, X[:, cols]) - np.outer(s[among], s[cols])
            score = _ratio(dot, np.outer(var[among], var[cols]))
        elif method == "pearson":
            Y = X[:, cols]
            score = _pearson_from_moments(
                n.astype(np.float64),
                dense_product(Xt, B),
                dense_product(Bt, Y),
                dense_product(sides["X2t"], B),
                dense_product(Bt, sides["X2"][:, cols]),
                dense_product(Xt, Y),
            )
        elif method == "cosine":
            score = dense_product(Xt, X[:, cols])
            norm = np.sqrt(self._sumsq)
            _divide_outer(score, norm[among], norm[cols])
        elif method == "bm25":
            score = dense_product(sides["Wt"], sides["W"][:, cols])
        else:
            score = dense_product(sides["Ct"], sides["C"][:, cols])
            _divide_outer(score, self._cnorm[among], self._cnorm[cols])
        return score, n

    def top_k(
        self,
        k: int,
        method: str = "pearson",
        min_common: int = 1,
        shrinkage: float = 0.0,
        block_cells: int = 20_000_000,
    ) -> sp.csr_matrix:
        """Each movie's ``k`` most similar other movies with a positive score, as a sparse
        movies × movies matrix (row: the movie, stored: its neighbours' scores).

        Only movies with at least ``min_common`` raters (one, at least) can have a score,
        so only they are compared. They go ``block_cells // n_compared`` at a time against
        all the others, so memory stays at a few dense blocks of that many cells whatever
        the number of movies: the movies × movies matrix is never held densely. Each
        stored value equals the :meth:`matrix` entry (to the last bits); ties at the k-th
        score go to the lower movie_id. Two blocks are computed at a time, on two threads.
        """
        _check_method(method)
        _check_evidence(min_common, shrinkage)
        check_n(k, what="k")
        m = self._X.shape[1]
        among = np.flatnonzero(self.n_raters >= max(min_common, 1))
        step = max(1, block_cells // max(len(among), 1))
        blocks = [np.arange(a, min(a + step, len(among))) for a in range(0, len(among), step)]
        sides = self._sides(among, method)

        def best(block_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            score, n = self._against_block(among[block_pos], method, among, sides)
            block = _apply_evidence(score, n, min_common, shrinkage).T  # block × among
            block[np.arange(len(block_pos)), block_pos] = 0.0  # not its own neighbour
            block[~(block > 0)] = 0.0  # NaN (no evidence) and non-positive: no neighbour
            rows, where = np.nonzero(top_k_mask(block, k))
            return among[where].astype(np.int32), block[rows, where], rows

        # Two blocks at a time: numpy's array work releases the GIL, so one block's
        # arithmetic overlaps the other's sparse product. Results come back in order.
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            parts = list(pool.map(best, blocks))
        counts = np.zeros(m, dtype=np.int64)  # stored per movie; blocks run in `among` order
        counts[among] = np.concatenate(
            [np.bincount(r, minlength=len(b)) for (_, _, r), b in zip(parts, blocks, strict=True)]
            or [np.zeros(0, dtype=np.int64)]
        )
        indptr = np.concatenate([[0], np.cumsum(counts)])
        data = np.concatenate([np.empty(0), *(d for _, d, _ in parts)])
        indices = np.concatenate([np.empty(0, np.int32), *(i for i, _, _ in parts)])
        return sp.csr_matrix((data, indices, indptr), shape=(m, m))

    def scores(
        self, movie_id: int, method: str = "pearson", min_common: int = 1, shrinkage: float = 0.0
    ) -> pd.Series:
        """Similarity of ``movie_id`` to every movie (itself included), indexed by movie_id.

        NaN where the measure is undefined (a movie every common rater rated alike) or
        fewer than ``min_common`` users rated both movies; ``min_common=0`` keeps movies
        without any common rater (the seed's corrwith gives them a small negative score).
        """
        _check_method(method)
        _check_evidence(min_common, shrinkage)
        j = self._column(movie_id)
        score, n = self._against_all(j, method)
        score = _apply_evidence(score, n, min_common, shrinkage)
        return pd.Series(
            score, index=pd.Index(self.ratings.movie_ids, name="movie_id"), name=method
        )

    def common_raters(self, movie_id: int) -> pd.Series:
        """Number of users who rated both ``movie_id`` and each movie (itself: all its raters)."""
        j = self._column(movie_id)
        _, n = self._against_all(j, "cosine")
        return pd.Series(
            n, index=pd.Index(self.ratings.movie_ids, name="movie_id"), name="n_common"
        )

    def most_similar(
        self,
        movie_id: int,
        n: int = 10,
        method: str = "pearson",
        min_common: int = 1,
        shrinkage: float = 0.0,
    ) -> pd.DataFrame:
        """The ``n`` movies most similar to ``movie_id``: movie_id, score, n_common.

        Movies sharing fewer than ``min_common`` raters are not ranked; how many were
        left out is in ``.attrs["too_few_common"]``. If the movie itself has fewer
        raters than ``min_common`` nothing can qualify, and that is an error saying so.
        Ties are broken by movie_id. The list can be shorter than ``n`` when fewer
        movies qualify (``.attrs["eligible"]`` says how many did).
        """
        _check_method(method)
        _check_evidence(min_common, shrinkage)
        check_n(n, len(self.ratings.movie_ids) - 1)
        j = self._column(movie_id)
        raw, common = self._against_all(j, method)
        if common[j] < min_common:
            raise TooFewRatersError(
                f"movie_id {movie_id} has only {common[j]} rating(s), fewer than "
                f"min_common={min_common}, so no movie can share {min_common} raters with it; "
                "lower min_common or choose a movie with more ratings"
            )
        score = _apply_evidence(raw, common, min_common, shrinkage)
        score[j] = np.nan
        others = np.ones(len(common), dtype=bool)
        others[j] = False
        short = int(np.count_nonzero(others & (common > 0) & (common < min_common)))
        eligible = int(np.count_nonzero(np.isfinite(score)))
        if eligible == 0:
            best = int(common[others].max()) if others.any() else 0
            raise TooFewRatersError(
                f"no movie has a {SIMILARITY_LABELS[method]} score with movie_id {movie_id} from "
                f"at least min_common={min_common} common raters (the most any movie "
                f"shares is {best}); lower min_common"
            )
        top = top_n(score, n)  # columns are sorted by movie_id, so ties go to the lower id
        out = pd.DataFrame(
            {"movie_id": self.ratings.movie_ids[top], "score": score[top], "n_common": common[top]},
            index=pd.RangeIndex(1, len(top) + 1, name="rank"),
        )
        out.attrs = {
            "movie_id": int(movie_id),
            "method": method,
            "min_common": int(min_common),
            "shrinkage": float(shrinkage),
            "too_few_common": short,
            "eligible": eligible,
        }
        return out

    # ------------------------------------------------------------------ all pairs

    def _columns(self, movie_ids: Sequence[int] | None) -> np.ndarray | None:
        if movie_ids is None:
            return None
        return np.array([self._column(int(m)) for m in movie_ids], dtype=np.int64)

    def _sub(self, cols: np.ndarray | None, data: np.ndarray | None = None) -> sp.csr_matrix:
        """The rating matrix (or the same pattern with other values), restricted to ``cols``."""
        X = self._X
        M = X if data is None else sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)
        return M if cols is None else M[:, cols].tocsr()

    def matrix(
        self,
        method: str = "pearson",
        min_common: int = 1,
        shrinkage: float = 0.0,
        movie_ids: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Dense item × item similarity in the column order of ``ratings.movie_ids``.

        ``movie_ids`` restricts the result to those movies (in that order), e.g. for a
        heatmap of a top list; statistics that involve all movies (user means, the
        number of users of the seed's pivot) still come from the whole matrix, so each
        entry equals the corresponding :meth:`scores` value.
        """
        _check_method(method)
        _check_evidence(min_common, shrinkage)
        cols = self._columns(movie_ids)
        pick = slice(None) if cols is None else cols
        need_n = method == "pearson" or min_common > 0 or shrinkage > 0
        n = None
        if method == "pearson":
            X = self._sub(cols)
            n, sx, sxx = corated_moments(X)
            score = _pearson_matrix(n, sx, sxx, gram(X, X))
        elif method in ("seed_pearson", "cosine"):
            X = self._sub(cols)
            n, sxy = count_and_dot(X) if need_n else (None, gram(X, X))
            s, q = self._sum[pick], self._sumsq[pick]
            if method == "cosine":
                score = _ratio(sxy, np.outer(q, q))
            else:
                N = float(self.n_users)
                var = _zero_small(N * q - s * s, N * q)
                sxy *= N
                sxy -= np.outer(s, s)
                score = _ratio(sxy, np.outer(var, var))
        elif method == "bm25":
            W = self._sub(cols, self._bm25_parts[0])
            score = gram(W, W)
        else:
            C = self._sub(cols, self._centred)
            norm = self._cnorm[pick]
            score = _ratio(gram(C, C), np.outer(norm, norm) ** 2)
        if need_n and n is None:
            n = self.common_raters_matrix(movie_ids)
        if n is not None:
            score = _apply_evidence(score, n, min_common, shrinkage)
        return score

    def common_raters_matrix(self, movie_ids: Sequence[int] | None = None) -> np.ndarray:
        """Number of users who rated both movies, for every pair (``B.T @ B``), as int64."""
        B = self._sub(self._columns(movie_ids), np.ones_like(self._X.data))
        return np.rint(gram(B, B)).astype(np.int64)


def _pearson_matrix(n: np.ndarray, sx: np.ndarray, sxx: np.ndarray, sxy: np.ndarray) -> np.ndarray:
    """All-pairs co-rated Pearson, using Σy = (Σx).T and var_y = var_x.T; overwrites sxy."""
    cov = sxy
    cov *= n
    cov -= sx * np.ascontiguousarray(sx.T)
    scale = n * sxx
    var = _zero_small(scale - sx * sx, scale)
    return _ratio(cov, var * np.ascontiguousarray(var.T))


def _apply_evidence(
    score: np.ndarray, n: np.ndarray, min_common: int, shrinkage: float
) -> np.ndarray:
    """Blank out scores with fewer than ``min_common`` common raters; shrink the rest (in place)."""
    if shrinkage > 0:
        score *= n / (n + shrinkage)
    if min_common > 0:
        score[n < min_common] = np.nan
    return score


# --------------------------------------------------------------------------- the seed's way


def seed_corrwith(
    ratings: pd.DataFrame, movie_id: int, movie_ids: Sequence[int] | None = None
) -> pd.Series:
    """The seed's method, verbatim in pandas: zero-filled pivot, then ``corrwith``.

    Materialises the dense users × movies pivot (every user with a rating × every rated
    movie), so it is slow and memory-hungry; it is here to show, test and time what
    ``ItemSimilarity.scores(movie_id, "seed_pearson", min_common=0)`` reproduces.
    ``movie_ids`` restricts the pivot's columns to those movies (and ``movie_id``), every
    user still a row, so each value is unchanged: for tables whose whole pivot would not
    fit in memory (:func:`seed_check_movies`).
    """
    sub = ratings
    if movie_ids is not None:
        sub = ratings[ratings["movie_id"].isin({*map(int, movie_ids), int(movie_id)})]
    mat = pd.pivot_table(sub, index="user_id", columns="movie_id", values="rating")
    if movie_ids is not None:  # users who rated none of these movies are zero rows
        mat = mat.reindex(index=np.unique(ratings["user_id"].to_numpy()))
    mat = mat.fillna(0)
    if movie_id not in mat.columns:
        raise UnratedMovieError(f"movie_id {movie_id} has no ratings in this table")
    return mat.corrwith(mat[movie_id]).rename("seed_pearson")


def seed_check_movies(
    ratings: RatingMatrix, movie_id: int, max_cells: int = 50_000_000
) -> np.ndarray | None:
    """Which movies the pandas cross-check of seed mode can afford: None (all of them)
    when the dense pivot has at most ``max_cells`` cells (400 MB of float64), else
    ``movie_id`` and the most-rated movies (ties: lower movie_id) that fill that many."""
    X = ratings.matrix
    n_users = int(np.count_nonzero(np.diff(X.indptr)))
    raters = np.bincount(X.indices, minlength=X.shape[1])
    rated = np.flatnonzero(raters)
    if n_users * len(rated) <= max_cells:
        return None
    n = max(1, max_cells // max(n_users, 1) - 1)
    best = rated[np.argsort(-raters[rated], kind="stable")[:n]]
    ids = ratings.movie_ids[best]
    return np.unique(np.append(ids, movie_id))


def describe_pivot(ratings: RatingMatrix) -> pd.Series:
    """What the seed's zero-filled user × movie pivot is, next to the sparse matrix used here."""
    n_users, n_movies = ratings.shape
    cells = n_users * n_movies
    stored = ratings.matrix.nnz
    sparse_bytes = sum(a.nbytes for a in (ratings.matrix.data, ratings.matrix.indices))
    sparse_bytes += ratings.matrix.indptr.nbytes
    return pd.Series(
        {
            "users (rows)": n_users,
            "movies (columns)": n_movies,
            "ratings (filled cells)": stored,
            "empty cells": cells - stored,
            "share of cells empty": 1 - stored / cells if cells else float("nan"),
            "dense zero-filled pivot (MB)": cells * 8 / 1e6,
            "sparse matrix (MB)": sparse_bytes / 1e6,
        }
    )
