"""Item-kNN against a brute-force re-implementation, plus the seed's NearestNeighbors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from zeerec.display import readable
from zeerec.matrix import RatingMatrix
from zeerec.models.knn import ItemKNN, seed_nearest_neighbors
from zeerec.similarity import ItemSimilarity

K, MIN_COMMON, SHRINK, PRIOR = 4, 3, 2.0, 5.0


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    mask = rng.random((45, 24)) < 0.4
    users, movies = np.nonzero(mask)
    return pd.DataFrame(
        {
            "user_id": users + 1,
            "movie_id": movies * 2 + 10,
            "rating": rng.integers(1, 6, size=len(users)).astype(np.int8),
        }
    )


@pytest.fixture(scope="module")
def model(ratings) -> ItemKNN:
    return ItemKNN(  # the centred rule, worked by brute force below; summed/liked further down
        n_neighbours=K,
        method="adjusted_cosine",
        min_common=MIN_COMMON,
        shrinkage=SHRINK,
        rank_by="centred",
    ).fit(ratings)


def brute_similarity(ratings: pd.DataFrame) -> pd.DataFrame:
    """Adjusted cosine with the same evidence rules, from pandas + scikit-learn."""
    mat = pd.pivot_table(ratings, index="user_id", columns="movie_id", values="rating")
    centred = mat.sub(mat.mean(axis=1), axis=0).fillna(0)
    s = cosine_similarity(centred.T.to_numpy())
    n = mat.notna().astype(int)
    n = (n.T @ n).to_numpy()
    s = s * n / (n + SHRINK)
    s[n < MIN_COMMON] = 0
    s[s <= 0] = 0
    np.fill_diagonal(s, 0)
    return pd.DataFrame(s, index=mat.columns, columns=mat.columns)


def brute_neighbours(sim: pd.DataFrame, rated: pd.Series, movie: int) -> pd.Series:
    """The K rated movies most similar to ``movie`` (ties: lower id), positive only."""
    s = sim.loc[movie, rated.index]
    s = s.sort_index().sort_values(ascending=False, kind="stable").head(K)
    return s[s > 0]


def test_predict_matches_brute_force(ratings, model):
    sim = brute_similarity(ratings)
    item_mean = ratings.groupby("movie_id")["rating"].mean()
    pairs = [(u, m) for u in (1, 2, 5, 17, 30) for m in sim.columns[::3]]
    got = model.predict([p[0] for p in pairs], [p[1] for p in pairs])
    for (user, movie), value in zip(pairs, got, strict=True):
        rated = ratings[ratings["user_id"] == user].set_index("movie_id")["rating"]
        nb = brute_neighbours(sim, rated, movie)
        expected = item_mean[movie]
        if len(nb):
            dev = rated[nb.index] - item_mean[nb.index]
            expected += (nb * dev).sum() / nb.sum()
        assert value == pytest.approx(np.clip(expected, 1, 5), abs=1e-9), (user, movie)


def test_predict_unknown_users_and_movies(ratings, model):
    gm = ratings["rating"].mean()
    item_mean = ratings.groupby("movie_id")["rating"].mean()
    got = model.predict([999, 1, 999], [10, 9999, 9999])
    assert got == pytest.approx([item_mean[10], gm, gm])
    with pytest.raises(ValueError, match="aligned"):
        model.predict([1, 2], [10])


def test_recommend_matches_brute_force_with_reasons(ratings, model):
    sim = brute_similarity(ratings)
    user = 5
    rated = ratings[ratings["user_id"] == user].set_index("movie_id")["rating"].astype(float)
    baseline = (rated.sum() + PRIOR * ratings["rating"].mean()) / (len(rated) + PRIOR)
    expected = {}
    for movie in sim.columns.difference(rated.index):
        nb = brute_neighbours(sim, rated, movie)
        if len(nb):
            expected[movie] = (nb * (rated[nb.index] - baseline)).sum()
    expected = pd.Series(expected)
    expected = expected[expected > 0].sort_index().sort_values(ascending=False, kind="stable")
    recs = model.recommend(user, n=5)
    assert recs["movie_id"].tolist() == expected.index[:5].tolist()
    np.testing.assert_allclose(recs["score"], expected.to_numpy()[:5], atol=1e-9)
    assert not set(recs["movie_id"]) & set(rated.index)  # nothing already rated
    assert recs.attrs["baseline"] == pytest.approx(baseline)
    for movie, because in zip(recs["movie_id"], recs["because"], strict=True):
        why = model.explain(user, movie)
        assert why["contribution"].sum() == pytest.approx(
            recs.set_index("movie_id").loc[movie, "score"]
        )
        liked = why[why["contribution"] > 0]["movie_id"].head(model.reasons).tolist()
        assert list(because) == liked and set(because) <= set(rated.index)


def test_one_movie_profile_ranks_like_similar_movies(model):
    profile = {20: 5}
    recs = model.recommend(profile, n=5)
    similar = model.similar_movies(20, n=5)
    positive = similar[similar["score"] > 0]
    assert recs["movie_id"].tolist() == positive["movie_id"].tolist()[: len(recs)]
    assert all(b == (20,) for b in recs["because"])
    one_star = model.recommend({20: 1}, n=5)  # disliked: nothing similar is recommended
    assert one_star.empty


def test_similar_movies_uses_the_model_similarity(ratings, model):
    sim = ItemSimilarity(RatingMatrix.from_ratings(ratings))
    expected = sim.most_similar(20, 5, "adjusted_cosine", MIN_COMMON, SHRINK)
    pd.testing.assert_frame_equal(model.similar_movies(20, n=5), expected)


def test_profiles_and_bad_input(model):
    # (the checks every model shares are in test_interface.py)
    recs = model.recommend({20: 5, 424242: 4}, n=3)
    assert recs.attrs["ignored"] == [424242]  # reported, not silently dropped
    with pytest.raises(ValueError, match="none of the profile's movies"):
        model.recommend({424242: 5}, n=3)
    with pytest.raises(ValueError, match="unknown similarity method"):
        ItemKNN(method="jaccard")
    with pytest.raises(ValueError, match="positive whole number"):
        ItemKNN(n_neighbours=0)


def test_seed_nearest_neighbors_agrees_with_zeerec_cosine(ratings):
    R = RatingMatrix.from_ratings(ratings)
    sim = ItemSimilarity(R)
    for movie in (10, 20, 40):
        seed = seed_nearest_neighbors(R, movie, n=6)
        ours = sim.most_similar(movie, n=6, method="cosine", min_common=0)
        np.testing.assert_allclose(seed["distance"], 1 - ours["score"].to_numpy(), atol=1e-9)
        cosine = sim.scores(movie, "cosine", min_common=0)
        np.testing.assert_allclose(
            seed["distance"], 1 - cosine[seed["movie_id"]].to_numpy(), atol=1e-9
        )
    with pytest.raises(ValueError, match="larger than"):
        seed_nearest_neighbors(R, 10, n=24)


def test_rated_baseline_and_readable_reasons(ratings, model):
    from zeerec.lookup import TitleIndex

    movies = pd.DataFrame({"movie_id": np.arange(24) * 2 + 10})
    movies["title"] = [f"Movie {m} (1990)" for m in movies["movie_id"]]
    rated = model.rated(5)
    mine = ratings[ratings["user_id"] == 5]
    assert set(rated.index) == set(mine["movie_id"]) and rated.is_monotonic_decreasing
    expected = (mine["rating"].sum() + PRIOR * ratings["rating"].mean()) / (len(mine) + PRIOR)
    assert model.baseline(5) == pytest.approx(expected)
    recs = model.recommend(5, n=3)
    table = readable(recs, TitleIndex(movies), rated)
    first = recs["because"].iloc[0][0]
    assert (
        table["because you liked"].iloc[0].startswith(f"Movie {first} (1990) ({rated[first]:g}★)")
    )
    assert list(table.columns) == ["title", "score", "because you liked", "n_neighbours"]


@pytest.mark.parametrize("rule", ["summed", "liked"])
def test_summed_rules_match_brute_force(ratings, rule):
    sim = brute_similarity(ratings)
    user = 5
    rated = ratings[ratings["user_id"] == user].set_index("movie_id")["rating"].astype(float)
    baseline = (rated.sum() + PRIOR * ratings["rating"].mean()) / (len(rated) + PRIOR)
    weight = (rated >= baseline).astype(float) if rule == "liked" else rated * 0 + 1
    expected = {}
    for movie in sim.columns.difference(rated.index):
        nb = brute_neighbours(sim, rated, movie)
        if len(nb):
            expected[movie] = (nb * weight[nb.index]).sum()
    expected = pd.Series(expected)
    expected = expected[expected > 0].sort_index().sort_values(ascending=False, kind="stable")
    model = ItemKNN(
        n_neighbours=K, method="adjusted_cosine", min_common=MIN_COMMON, shrinkage=SHRINK,
        rank_by=rule,
    ).fit(ratings)  # fmt: skip
    recs = model.recommend(user, n=5)
    assert recs["movie_id"].tolist() == expected.index[:5].tolist()
    np.testing.assert_allclose(recs["score"], expected.to_numpy()[:5], atol=1e-9)
    if rule == "liked":  # a disliked movie pulls nothing up
        assert model.recommend({20: 1}, n=5).empty


def test_bm25_model_sums_bm25_similarity_by_brute_force(ratings):
    # Who rated what, BM25-weighted (b = 0.3, k1 = 1.2), summed over the user's K most
    # similar rated movies with at least MIN_COMMON common raters; the stars play no part.
    rated_mat = pd.pivot_table(ratings, index="user_id", columns="movie_id", values="rating")
    x = rated_mat.notna().astype(float)
    idf = np.log(x.shape[1]) - np.log1p(x.sum(axis=1))
    raters = x.sum(axis=0)
    w = x.mul(idf, axis=0).mul(2.2 / (1.2 * (0.7 + 0.3 * raters / raters.mean()) + 1), axis=1)
    s = (w.T @ w).to_numpy().copy()
    s[(x.T @ x).to_numpy() < MIN_COMMON] = 0
    s[s <= 0] = 0
    np.fill_diagonal(s, 0)
    sim = pd.DataFrame(s, index=x.columns, columns=x.columns)
    user = 5
    rated = ratings[ratings["user_id"] == user].set_index("movie_id")["rating"]
    expected = pd.Series(
        {m: brute_neighbours(sim, rated, m).sum() for m in sim.columns.difference(rated.index)}
    )
    expected = expected[expected > 0].sort_index().sort_values(ascending=False, kind="stable")
    model = ItemKNN(
        n_neighbours=K, method="bm25", bm25_b=0.3, min_common=MIN_COMMON, shrinkage=0,
        rank_by="summed",
    ).fit(ratings)  # fmt: skip
    recs = model.recommend(user, n=5)
    assert recs["movie_id"].tolist() == expected.index[:5].tolist()
    np.testing.assert_allclose(recs["score"], expected.to_numpy()[:5], rtol=1e-12)
    flat = model.__class__(
        n_neighbours=K, method="bm25", bm25_b=0.3, min_common=MIN_COMMON, shrinkage=0,
        rank_by="summed",
    ).fit(ratings.assign(rating=3))  # fmt: skip
    pd.testing.assert_frame_equal(flat.recommend(user, n=5)[["movie_id", "score"]],
                                  recs[["movie_id", "score"]])  # fmt: skip
    with pytest.raises(ValueError, match="bm25_b"):
        ItemKNN(method="bm25", bm25_b=2.0)


@pytest.mark.parametrize("rule", ["summed", "liked", "centred"])
def test_scores_pick_the_same_neighbours_as_the_sorted_path_under_ties(ratings, rule):
    """``_score`` partitions instead of sorting; with similarities rounded to one decimal
    (many exact ties at the n-th neighbour) it must still sum the neighbourhood that the
    sorted ``_terms`` (used for the reasons) picks: ties to the lower movie_id."""
    model = ItemKNN(n_neighbours=K, method="cosine", rank_by=rule).fit(ratings)
    model.neighbour_sim_ = np.round(model.neighbour_sim_, 1)
    every = np.arange(len(model.ratings_.movie_ids))
    for user in model.ratings_.user_ids:
        target = model.target(int(user))
        rated, stars = model._rated(target)
        sorted_path = model._terms(rated, stars, every)[0]
        np.testing.assert_allclose(model._score(target), sorted_path, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule", ["summed", "liked", "centred"])
def test_sparse_similarity_keeping_every_movie_equals_the_dense_model(ratings, rule):
    """keep_similar at least the catalogue: the sparse path (blocks, column slices,
    scoring in chunks) gives the dense model's predictions, lists, scores and reasons
    (its similarities agree to the last bits, so an exact tie could fall otherwise)."""
    kw = dict(n_neighbours=K, method="adjusted_cosine", min_common=MIN_COMMON, rank_by=rule)
    dense = ItemKNN(**kw).fit(ratings)
    sparse = ItemKNN(**kw, keep_similar=1_000).fit(ratings)
    assert dense.kept_similar_ is None and sparse.kept_similar_ == 1_000
    assert not isinstance(sparse.neighbour_sim_, np.ndarray)
    np.testing.assert_allclose(sparse.neighbour_sim_.toarray(), dense.neighbour_sim_, atol=1e-12)
    pairs = ratings.sample(60, random_state=1)
    np.testing.assert_allclose(
        sparse.predict(pairs["user_id"], pairs["movie_id"]),
        dense.predict(pairs["user_id"], pairs["movie_id"]),
        atol=1e-12,
    )
    for user in dense.ratings_.user_ids[:15]:
        a, b = dense.recommend(int(user), n=6), sparse.recommend(int(user), n=6)
        pd.testing.assert_frame_equal(a, b, atol=1e-12)
        if len(a):  # the reasons read the similarities the same way
            first = int(a["movie_id"].iloc[0])
            why = sparse.explain(int(user), first)
            assert why["similarity"].dtype == np.float64
            pd.testing.assert_frame_equal(why, dense.explain(int(user), first), atol=1e-12)


def test_a_large_catalogue_keeps_only_each_movies_most_similar(ratings, monkeypatch):
    """Above DENSE_MOVIES movies the model keeps KEEP_SIMILAR neighbours per movie: a
    candidate's neighbourhood is the user's movies among its kept ones, and scoring in
    blocks of candidates gives the same scores as in one block."""
    from zeerec.models import knn

    monkeypatch.setattr(knn, "DENSE_MOVIES", 10)
    monkeypatch.setattr(knn, "KEEP_SIMILAR", 3)
    model = ItemKNN(n_neighbours=K, method="cosine", rank_by="summed").fit(ratings)
    assert model.kept_similar_ == 3
    S = model.neighbour_sim_
    assert np.diff(S.indptr).max() <= 3
    full = ItemKNN(n_neighbours=K, method="cosine", rank_by="summed", keep_similar=100)
    full.fit(ratings)
    for j in range(S.shape[0]):  # the kept ones are the 3 best of the full row
        row = full.neighbour_sim_[j].toarray().ravel()
        best = np.argsort(-row, kind="stable")[:3]
        assert set(S.indices[S.indptr[j] : S.indptr[j + 1]]) == set(best[row[best] > 0])
    target = model.target(int(model.ratings_.user_ids[0]))
    one_block = model._score(target)
    monkeypatch.setattr(knn, "SCORE_BLOCK_CELLS", 5)
    np.testing.assert_array_equal(model._score(target), one_block)
    rated, stars = model._rated(target)
    every = np.arange(S.shape[0])
    np.testing.assert_allclose(one_block, model._terms(rated, stars, every)[0], atol=1e-12)
