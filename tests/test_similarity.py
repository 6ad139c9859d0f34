"""Every similarity against an independent computation: by hand, pandas, scikit-learn."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from zeerec import data, plots
from zeerec import gram as zg
from zeerec import similarity as zs
from zeerec.matrix import RatingMatrix
from zeerec.similarity import (
    ItemSimilarity,
    TooFewRatersError,
    UnratedMovieError,
    describe_pivot,
    seed_corrwith,
)

# --------------------------------------------------------------------------- hand-worked
#
#        A(10) B(20) C(30) D(40) E(50)
#   u1     5     4     1     -     -
#   u2     3     -     2     5     -
#   u3     4     3     -     4     2
#   u4     1     2     5     -     -
#
# A-B, co-rated by u1, u3, u4: x = (5, 4, 1), y = (4, 3, 2); deviations from the co-rated
#   means 10/3 and 3 are (5/3, 2/3, -7/3) and (1, 0, -1): Σdxdy = 4, Σdx² = 26/3, Σdy² = 2,
#   so r = 4 / sqrt(52/3) = sqrt(12/13).
# A-C, co-rated by u1, u2, u4: x = (5, 3, 1), y = (1, 2, 5): r = -8 / sqrt(8 · 26/3)
#   = -sqrt(12/13).  A-D: two co-raters (u2, u3), x = (3, 4), y = (5, 4): r = -1.
#   A-E: one co-rater, no variance: undefined.
# Seed mode, zero-filled over all 4 users: A = (5, 3, 4, 1), B = (4, 0, 3, 2), both with
#   deviations summing to squares 8.75 and a cross sum of 4.75: r = 19/35.
# Cosine A-B: (20 + 12 + 2) / sqrt(51 · 29).
# Adjusted cosine A-B, user means 10/3, 10/3, 13/4, 8/3: centred A = (5/3, -1/3, 3/4, -5/3),
#   centred B = (2/3, ., -1/4, -2/3): dot 293/144, norms² 897/144 and 137/144.

HAND = pd.DataFrame(
    [
        (1, 10, 5), (1, 20, 4), (1, 30, 1),
        (2, 10, 3), (2, 30, 2), (2, 40, 5),
        (3, 10, 4), (3, 20, 3), (3, 40, 4), (3, 50, 2),
        (4, 10, 1), (4, 20, 2), (4, 30, 5),
    ],
    columns=["user_id", "movie_id", "rating"],
)  # fmt: skip


@pytest.fixture(scope="module")
def hand() -> ItemSimilarity:
    return ItemSimilarity(RatingMatrix.from_ratings(HAND))


def test_hand_worked_pearson(hand):
    r = hand.scores(10, "pearson")
    assert r[20] == pytest.approx(math.sqrt(12 / 13), abs=1e-12)
    assert r[30] == pytest.approx(-math.sqrt(12 / 13), abs=1e-12)
    assert r[40] == pytest.approx(-1.0, abs=1e-12)
    assert np.isnan(r[50])
    assert r[10] == pytest.approx(1.0)
    assert hand.common_raters(10).to_dict() == {10: 4, 20: 3, 30: 3, 40: 2, 50: 1}
    strict = hand.scores(10, "pearson", min_common=3)
    assert np.isnan(strict[40]) and strict[20] == pytest.approx(math.sqrt(12 / 13))
    shrunk = hand.scores(10, "pearson", shrinkage=3.0)
    assert shrunk[20] == pytest.approx(math.sqrt(12 / 13) * 3 / 6)


def test_hand_worked_seed_cosine_adjusted(hand):
    assert hand.scores(10, "seed_pearson")[20] == pytest.approx(19 / 35, abs=1e-12)
    assert hand.scores(10, "cosine")[20] == pytest.approx(34 / math.sqrt(51 * 29), abs=1e-12)
    adjusted = hand.scores(10, "adjusted_cosine")[20]
    assert adjusted == pytest.approx(293 / math.sqrt(897 * 137), abs=1e-12)
    assert hand.n_users == 4


def test_hand_worked_ranking(hand):
    top = hand.most_similar(10, n=4, method="pearson", min_common=2)
    assert top["movie_id"].tolist() == [20, 30, 40]  # E has one common rater: not ranked
    assert top["n_common"].tolist() == [3, 3, 2]
    assert top.attrs["too_few_common"] == 1 and top.attrs["eligible"] == 3
    assert list(top.index) == [1, 2, 3]


# --------------------------------------------------------------------------- random data


def random_ratings(n_users=70, n_movies=30, density=0.35, seed=3, step=1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mask = rng.random((n_users, n_movies)) < density
    mask[:, -1] = False  # one catalogue movie nobody rated
    users, movies = np.nonzero(mask)
    stars = rng.integers(1, 6, size=len(users)).astype(float)
    if step != 1.0:
        stars = np.round(rng.uniform(0.5, 5, size=len(users)) / step) * step
    return pd.DataFrame(
        {"user_id": users + 100, "movie_id": movies * 3 + 1, "rating": stars.astype(float)}
    )


@pytest.fixture(scope="module")
def rnd():
    ratings = random_ratings()
    return ratings, ItemSimilarity(RatingMatrix.from_ratings(ratings))


def _pivot(ratings: pd.DataFrame) -> pd.DataFrame:
    return pd.pivot_table(ratings, index="user_id", columns="movie_id", values="rating")


def test_seed_mode_equals_pandas_corrwith(rnd):
    ratings, sim = rnd
    mat = _pivot(ratings).fillna(0)
    for movie in mat.columns[:8]:
        expected = mat.corrwith(mat[movie])
        got = sim.scores(int(movie), "seed_pearson", min_common=0)
        pd.testing.assert_series_equal(
            got, expected, check_names=False, check_index_type=False, atol=1e-9, rtol=0
        )
        assert seed_corrwith(ratings, int(movie)).sub(got).abs().max() < 1e-9


def test_corated_pearson_equals_pandas_pairwise(rnd):
    ratings, sim = rnd
    mat = _pivot(ratings)
    rated = mat.notna().astype(int)
    for movie in mat.columns[:8]:
        n = rated.T @ rated[movie]
        expected = mat.corrwith(mat[movie]).where(n >= 4)
        got = sim.scores(int(movie), "pearson", min_common=4)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-9, rtol=0)
        assert (sim.common_raters(int(movie)) == n).all()


def test_full_matrices_against_pandas_and_sklearn(rnd):
    ratings, sim = rnd
    mat = _pivot(ratings)
    zero = mat.fillna(0)
    cases = {
        "seed_pearson": zero.corr().to_numpy(),
        "pearson": mat.corr(min_periods=3).to_numpy(),
        "cosine": cosine_similarity(zero.T.to_numpy()),
        "adjusted_cosine": cosine_similarity(mat.sub(mat.mean(axis=1), axis=0).fillna(0).T),
    }
    for method, expected in cases.items():
        got = sim.matrix(method, min_common=3 if method == "pearson" else 0)
        np.testing.assert_allclose(got, expected, atol=1e-9, rtol=0, err_msg=method)
    n = mat.notna().astype(int)
    assert np.array_equal(sim.common_raters_matrix(), (n.T @ n).to_numpy())


def test_bm25_by_hand():
    # HAND with b = 0.5, k1 = 1.2: 5 movies; raters per movie A 4, B 3, C 3, D 2, E 1
    # (mean 2.6); movies per user u1 3, u2 3, u3 4, u4 3, so idf = log 5 − log 4 for u1,
    # u2, u4 and log 5 − log 5 = 0 for u3. A and B share u1, u3, u4: Σ idf² = 2 log²(5/4),
    # times each movie's damping 2.2 / (1.2 · (0.5 + 0.5 · n / 2.6) + 1).
    sim = ItemSimilarity(RatingMatrix.from_ratings(HAND), bm25_b=0.5, bm25_k1=1.2)

    def damp(n):
        return 2.2 / (1.2 * (0.5 + 0.5 * n / 2.6) + 1)

    ab = damp(4) * damp(3) * 2 * math.log(5 / 4) ** 2
    assert sim.scores(10, "bm25", min_common=0)[20] == pytest.approx(ab, rel=1e-12)
    assert sim.matrix("bm25", min_common=0)[0, 1] == pytest.approx(ab, rel=1e-12)
    # The stars play no part: only who rated what.
    flat = HAND.assign(rating=3)
    same = ItemSimilarity(RatingMatrix.from_ratings(flat), bm25_b=0.5, bm25_k1=1.2)
    np.testing.assert_array_equal(
        same.matrix("bm25", min_common=0), sim.matrix("bm25", min_common=0)
    )


@pytest.mark.parametrize("b", [0.0, 0.25, 0.75, 1.0])
def test_bm25_matrix_against_pandas(rnd, b):
    ratings, _ = rnd
    sim = ItemSimilarity(RatingMatrix.from_ratings(ratings), bm25_b=b, bm25_k1=1.2)
    rated = _pivot(ratings).notna().astype(float)  # users × movies, 1 = rated
    n_movies = rated.shape[1]
    idf = np.log(n_movies) - np.log1p(rated.sum(axis=1))
    raters = rated.sum(axis=0)
    damp = 2.2 / (1.2 * ((1 - b) + b * raters / raters.mean()) + 1)
    w = rated.mul(idf, axis=0).mul(damp, axis=1)
    np.testing.assert_allclose(sim.matrix("bm25", min_common=0), (w.T @ w).to_numpy(), rtol=1e-12)


def test_bm25_equals_the_implicit_package():
    implicit_nn = pytest.importorskip("implicit.nearest_neighbours")
    ratings = random_ratings()
    rm = RatingMatrix.from_ratings(ratings)
    peer = implicit_nn.BM25Recommender(K=10_000, K1=1.2, B=0.5, num_threads=1)
    peer.fit(rm.binary().tocsr().astype(np.float64), show_progress=False)
    ours = ItemSimilarity(rm, bm25_b=0.5, bm25_k1=1.2).matrix("bm25", min_common=0)
    np.testing.assert_allclose(ours, peer.similarity.toarray(), rtol=1e-12, atol=1e-12)


def test_bm25_ignores_catalogue_movies_nobody_rated():
    ratings = random_ratings()
    rated = RatingMatrix.from_ratings(ratings)
    catalogue = np.union1d(rated.movie_ids, np.arange(1000, 1030))  # 30 unrated movies
    wide = RatingMatrix.from_ratings(ratings, movie_ids=catalogue)
    narrow = ItemSimilarity(rated).matrix("bm25", min_common=0)
    full = ItemSimilarity(wide).matrix("bm25", min_common=0)
    keep = wide.movie_index(rated.movie_ids)
    np.testing.assert_allclose(full[np.ix_(keep, keep)], narrow, rtol=1e-12)


def test_bm25_settings_are_checked():
    rm = RatingMatrix.from_ratings(HAND)
    for b, k1 in ((-0.1, 1.2), (1.5, 1.2), (0.5, -1.0), (0.5, float("nan"))):
        with pytest.raises(ValueError, match="bm25_b"):
            ItemSimilarity(rm, bm25_b=b, bm25_k1=k1)


@pytest.mark.parametrize("method", zs.SIMILARITIES)
def test_matrix_rows_equal_one_against_all(rnd, method):
    ratings, sim = rnd
    full = sim.matrix(method, min_common=2, shrinkage=1.5)
    ids = sim.ratings.movie_ids
    for j in (0, 5, len(ids) - 1):
        row = sim.scores(int(ids[j]), method, min_common=2, shrinkage=1.5).to_numpy()
        np.testing.assert_allclose(full[j], row, atol=1e-12, rtol=0)
    sub = [int(ids[7]), int(ids[2]), int(ids[11])]
    part = sim.matrix(method, min_common=2, shrinkage=1.5, movie_ids=sub)
    pos = sim.ratings.movie_index(sub)
    np.testing.assert_allclose(part, full[np.ix_(pos, pos)], atol=1e-12, rtol=0)


def test_packed_products_equal_plain_products(rnd, monkeypatch):
    _, sim = rnd
    packed = {m: sim.matrix(m, min_common=2) for m in ("pearson", "cosine", "seed_pearson")}
    monkeypatch.setattr(zg, "_PACKING_ENABLED", False)
    for method, expected in packed.items():
        np.testing.assert_array_equal(sim.matrix(method, min_common=2), expected)


def test_scipy_product_gives_the_same_matrices(rnd, monkeypatch):
    _, sim = rnd
    fast = {m: sim.matrix(m, min_common=2) for m in zs.SIMILARITIES}
    monkeypatch.setattr(zg, "_matmul_to_dense", None)  # as with scikit-learn < 1.8
    for method, expected in fast.items():
        np.testing.assert_allclose(sim.matrix(method, min_common=2), expected, atol=1e-12)


def test_fractional_ratings_take_the_plain_path():
    ratings = random_ratings(step=0.5, seed=5)
    sim = ItemSimilarity(RatingMatrix.from_ratings(ratings))
    mat = _pivot(ratings)
    np.testing.assert_allclose(
        sim.matrix("pearson", min_common=3), mat.corr(min_periods=3), atol=1e-9, rtol=0
    )
    z = mat.fillna(0)
    np.testing.assert_allclose(sim.matrix("seed_pearson", min_common=0), z.corr(), atol=1e-9)


def test_ties_are_broken_by_movie_id():
    # Movies 5, 3 and 9 are rated identically by the same users: equal similarity to 1.
    rows = []
    for user, (a, b) in enumerate([(5, 4), (3, 2), (4, 4), (1, 2)]):
        rows += [(user, 1, a)] + [(user, m, b) for m in (9, 5, 3)]
    sim = ItemSimilarity(RatingMatrix.from_ratings(pd.DataFrame(rows, columns=HAND.columns)))
    for method in zs.SIMILARITIES:
        top = sim.most_similar(1, n=3, method=method)
        assert top["movie_id"].tolist() == [3, 5, 9], method


# --------------------------------------------------------------------------- errors


def test_unrated_and_unknown_movies_are_clear_errors():
    ratings = random_ratings()
    catalogue = np.arange(30) * 3 + 1  # the last movie (88) has no ratings
    sim = ItemSimilarity(RatingMatrix.from_ratings(ratings, movie_ids=catalogue))
    with pytest.raises(UnratedMovieError, match="nobody rated movie_id 88"):
        sim.most_similar(88)
    with pytest.raises(UnratedMovieError, match="movie_id 2 has no ratings"):
        sim.scores(2)
    with pytest.raises(UnratedMovieError):
        sim.matrix(movie_ids=[1, 88])
    with pytest.raises(UnratedMovieError):
        seed_corrwith(ratings, 88)


def test_bad_k_method_and_evidence_arguments(rnd):
    _, sim = rnd
    movie = int(sim.ratings.movie_ids[0])
    n_movies = len(sim.ratings.movie_ids)
    for k in (0, -3, 2.5):
        with pytest.raises(ValueError, match="positive whole number"):
            sim.most_similar(movie, n=k)
    with pytest.raises(ValueError, match="larger than"):
        sim.most_similar(movie, n=n_movies)
    assert len(sim.most_similar(movie, n=n_movies - 1, min_common=0)) <= n_movies - 1
    with pytest.raises(ValueError, match="unknown similarity method 'pearsn'"):
        sim.scores(movie, "pearsn")
    with pytest.raises(ValueError, match="min_common"):
        sim.scores(movie, min_common=-1)
    with pytest.raises(ValueError, match="shrinkage"):
        sim.matrix(shrinkage=-1.0)


def test_too_few_common_raters_is_reported_not_ranked(hand):
    with pytest.raises(TooFewRatersError, match="movie_id 50 has only 1 rating.*min_common=2"):
        hand.most_similar(50, n=2, min_common=2)
    with pytest.raises(TooFewRatersError, match="the most any movie shares is 3"):
        hand.most_similar(10, n=2, min_common=4)  # A has 4 raters; B and C share 3 of them
    # Accepted queries say how many movies were left out for lack of common raters.
    top = hand.most_similar(20, n=4, method="cosine", min_common=3)
    assert top["movie_id"].tolist() == [10]
    assert top.attrs["too_few_common"] == 3


# --------------------------------------------------------------------------- real slice


def test_liar_liar_seed_mode_matches_pandas_on_the_real_slice(real_slice):
    ml = data.load(real_slice)
    sim = ItemSimilarity(RatingMatrix.from_ratings(ml.ratings))
    liar = 1485  # Liar Liar (1997)
    expected = seed_corrwith(ml.ratings, liar)
    got = sim.scores(liar, "seed_pearson", min_common=0)
    assert got.index.equals(expected.index.astype(got.index.dtype))
    assert np.max(np.abs(got.to_numpy() - expected.to_numpy())) < 1e-9
    expected_top = expected.drop(liar).sort_values(ascending=False, kind="stable").head(10)
    top = sim.most_similar(liar, n=10, method="seed_pearson", min_common=0)
    assert top["movie_id"].tolist() == expected_top.index.tolist()
    np.testing.assert_allclose(top["score"], expected_top.to_numpy(), atol=1e-9, rtol=0)
    assert top["movie_id"].iloc[0] == 500  # Mrs. Doubtfire, as in the seed notebook


def test_describe_pivot(hand):
    pivot = describe_pivot(hand.ratings)
    assert pivot["users (rows)"] == 4 and pivot["movies (columns)"] == 5
    assert pivot["ratings (filled cells)"] == 13 and pivot["empty cells"] == 7
    assert pivot["share of cells empty"] == pytest.approx(7 / 20)
    assert pivot["dense zero-filled pivot (MB)"] == pytest.approx(20 * 8 / 1e6)


def test_similarity_heatmap_is_titled_and_labelled(hand):
    ids = [10, 20, 30, 40]
    names = ["A (1990)", "B (1991)", "C (1992)", "D (1993)"]
    scores = pd.DataFrame(hand.matrix("pearson", 3, movie_ids=ids), index=names, columns=names)
    n = pd.DataFrame(hand.common_raters_matrix(ids), index=names, columns=names)
    fig = plots.similarity_heatmap(scores, n, title="Pairs", label="r")
    ax = fig.axes[0]
    assert ax.get_title() == "Pairs" and ax.get_xlabel() == "Movie" and ax.get_ylabel() == "Movie"
    texts = [t.get_text() for t in ax.texts]
    assert "0.96\nn=3" in texts and "–\nn=2" in texts  # A-D has too few common raters
    assert fig.axes[1].get_ylabel() == "r"
    plt.close(fig)


def test_users_without_ratings_are_not_rows_of_the_seed_pivot():
    ratings = random_ratings()
    everyone = np.arange(50, 250)  # 200 user ids, most of them without a rating
    wide = ItemSimilarity(RatingMatrix.from_ratings(ratings, user_ids=everyone))
    narrow = ItemSimilarity(RatingMatrix.from_ratings(ratings))
    assert wide.ratings.shape[0] == 200 and wide.n_users == narrow.n_users < 200
    for method in zs.SIMILARITIES:
        np.testing.assert_allclose(
            wide.scores(1, method, min_common=0), narrow.scores(1, method, min_common=0)
        )


@pytest.mark.parametrize("method", zs.SIMILARITIES)
def test_top_k_in_blocks_keeps_each_movies_k_best_of_the_dense_matrix(rnd, method):
    """Blocks of 2 movies (several blocks, one short): each row holds exactly the k
    largest positive off-diagonal entries of the dense matrix, at their dense values,
    ties at the k-th going to the lower movie_id."""
    _, sim = rnd
    dense = sim.matrix(method, min_common=2, shrinkage=1.5)
    np.fill_diagonal(dense, 0.0)
    dense[~(dense > 0)] = 0.0
    dense = np.round(dense, 1)  # many exact ties, to exercise the tie rule
    m = dense.shape[0]
    real = zs._apply_evidence

    def rounded(score, n, min_common, shrinkage):
        return np.round(real(score, n, min_common, shrinkage), 1)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zs, "_apply_evidence", rounded)
        for k in (1, 3, m + 5):
            top = sim.top_k(k, method, min_common=2, shrinkage=1.5, block_cells=2 * m)
            assert top.shape == (m, m)
            for j in range(m):
                order = np.argsort(-dense[j], kind="stable")[:k]
                expected = order[dense[j, order] > 0]
                got = top.indices[top.indptr[j] : top.indptr[j + 1]]
                assert sorted(got) == sorted(expected), (method, k, j)
                np.testing.assert_array_equal(top[j].toarray().ravel()[got], dense[j, got])


def test_top_k_values_equal_the_matrix_entries(rnd):
    _, sim = rnd
    for method in zs.SIMILARITIES:
        dense = sim.matrix(method, min_common=2, shrinkage=1.5)
        np.fill_diagonal(dense, 0.0)
        dense[~(dense > 0)] = 0.0
        top = sim.top_k(10_000, method, min_common=2, shrinkage=1.5, block_cells=7)
        np.testing.assert_allclose(top.toarray(), dense, atol=1e-12, rtol=0, err_msg=method)
    with pytest.raises(ValueError, match="k"):
        sim.top_k(0, "cosine")


def test_seed_cross_check_on_fewer_columns_gives_the_whole_pivots_values(rnd):
    """Too big a pivot: pandas computes only the most-rated movies' columns, every user
    still a row, so each value equals the whole pivot's (and zeerec's)."""
    ratings, sim = rnd
    movie = int(sim.ratings.movie_ids[4])
    whole = seed_corrwith(ratings, movie)
    assert zs.seed_check_movies(sim.ratings, movie) is None  # small: the whole pivot
    n_users = ratings["user_id"].nunique()
    ids = zs.seed_check_movies(sim.ratings, movie, max_cells=n_users * 6)
    raters = ratings["movie_id"].value_counts()
    best = raters.sort_index().sort_values(ascending=False, kind="stable").index[:5]
    assert sorted(ids) == sorted({*best, movie})
    part = seed_corrwith(ratings, movie, ids)
    assert sorted(part.index) == sorted(ids)
    np.testing.assert_allclose(part, whole[part.index], atol=1e-12, rtol=0)
    zeerec = sim.scores(movie, "seed_pearson", min_common=0)
    np.testing.assert_allclose(part, zeerec[part.index], atol=1e-9, rtol=0)
