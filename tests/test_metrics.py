"""Rating and ranking metrics against hand-worked examples and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from zeerec import metrics

LOG3, LOG6 = np.log2(3), np.log2(6)

# Hand-worked case, k = 5:
#   A: hits at ranks 2 and 5 of 5, three relevant movies (9 is never recommended)
#   B: a short list of two, the hit at rank 2, one relevant movie
#   C: nothing relevant -> cannot be judged, left out of every mean
#   D: relevant movie but no list at all -> five misses
#   E: seven relevant movies, more than k: hits at ranks 1 and 3; MAP@k divides the
#      precision sum by min(k, 7) = 5, the reference's map by 7
RECOMMENDED = {"A": [1, 2, 3, 4, 5], "B": [7, 8], "C": [1, 2, 3], "E": [1, 2, 3, 4, 5]}
RELEVANT = {"A": {2, 5, 9}, "B": {8}, "C": set(), "D": {4}, "E": {1, 3, 10, 11, 12, 13, 14}}
K = 5
IDEAL_5 = 1 + 1 / LOG3 + 1 / 2 + 1 / np.log2(5) + 1 / LOG6

PER_USER = {  # A, B, D, E
    "precision": [2 / 5, 1 / 5, 0.0, 2 / 5],
    "recall": [2 / 3, 1.0, 0.0, 2 / 7],
    "ndcg": [
        (1 / LOG3 + 1 / LOG6) / (1 + 1 / LOG3 + 1 / 2),
        (1 / LOG3) / 1,
        0.0,
        (1 + 1 / 2) / IDEAL_5,
    ],
    "map": [(1 / 2 + 2 / 5) / 3, (1 / 2) / 1, 0.0, (1 + 2 / 3) / 5],
    "map_ref": [(1 / 2 + 2 / 5) / 3, (1 / 2) / 1, 0.0, (1 + 2 / 3) / 7],
    "hit_rate": [1.0, 1.0, 0.0, 1.0],
}
FUNCTIONS = {
    "precision": metrics.precision_at_k,
    "recall": metrics.recall_at_k,
    "ndcg": metrics.ndcg_at_k,
    "map": metrics.map_at_k,
    "map_ref": metrics.reference_map_at_k,
    "hit_rate": metrics.hit_rate_at_k,
}


def test_rating_metrics_by_hand():
    t, p = [4, 2, 5], [3.5, 3.0, 5.0]
    assert metrics.rmse(t, p) == pytest.approx(np.sqrt((0.25 + 1 + 0) / 3))
    assert metrics.mae(t, p) == pytest.approx(1.5 / 3)
    assert metrics.mape(t, p) == pytest.approx((0.5 / 4 + 1 / 2 + 0) / 3)
    with pytest.raises(ValueError, match="3 values but y_pred has 2"):
        metrics.rmse(t, p[:2])
    with pytest.raises(ValueError, match="no ratings"):
        metrics.mae([], [])


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_each_ranking_metric_by_hand(name):
    assert FUNCTIONS[name](RECOMMENDED, RELEVANT, k=K) == pytest.approx(np.mean(PER_USER[name]))


def test_per_user_values_and_ranking_metrics_agree():
    hits, n_rel, users = metrics.hits_matrix(RECOMMENDED, RELEVANT, K)
    assert users == ["A", "B", "D", "E"]
    assert hits.tolist() == [
        [False, True, False, False, True],
        [False, True, False, False, False],
        [False] * 5,
        [True, False, True, False, False],
    ]
    per_user = metrics.per_user_metrics(hits, n_rel)
    for name, expected in PER_USER.items():
        np.testing.assert_allclose(per_user[name], expected)
    summary = metrics.ranking_metrics(RECOMMENDED, RELEVANT, K)
    assert summary["n_users"] == 4
    for name, expected in PER_USER.items():
        assert summary[name] == pytest.approx(np.mean(expected))


def test_map_normalises_by_min_k_and_relevant():
    # 12 relevant movies, all 10 slots hit: a perfect list under the min(k, |rel|) rule
    rel = {1: set(range(12))}
    assert metrics.map_at_k({1: list(range(10))}, rel, k=10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k({1: list(range(10))}, rel, k=10) == pytest.approx(1.0)
    assert metrics.recall_at_k({1: list(range(10))}, rel, k=10) == pytest.approx(10 / 12)
    # one relevant movie at rank 3: AP = (1/3) / 1, NDCG = (1/log2 4) / 1
    assert metrics.map_at_k({1: [5, 6, 0]}, {1: {0}}, k=10) == pytest.approx(1 / 3)
    assert metrics.ndcg_at_k({1: [5, 6, 0]}, {1: {0}}, k=10) == pytest.approx(0.5)


def test_only_the_first_k_count():
    recs = {1: [9, 8, 7, 1]}
    assert metrics.precision_at_k(recs, {1: {1}}, k=3) == 0.0
    assert metrics.precision_at_k(recs, {1: {1}}, k=4) == pytest.approx(0.25)


def test_ndcg_matches_scikit_learn():
    rng = np.random.default_rng(0)
    n_users, n_items = 200, 60
    truth = rng.random((n_users, n_items)) < rng.uniform(0.02, 0.3, size=(n_users, 1))
    truth = truth[truth.any(axis=1)]
    scores = rng.random(truth.shape)  # continuous, so no ties
    for k in (1, 5, 10, 60):
        top = np.argsort(-scores, axis=1)[:, :k]
        recommended = {u: list(row) for u, row in enumerate(top)}
        relevant = {u: set(np.flatnonzero(row)) for u, row in enumerate(truth)}
        ours = metrics.ndcg_at_k(recommended, relevant, k=k)
        assert ours == pytest.approx(ndcg_score(truth.astype(int), scores, k=k), rel=1e-12)


def test_map_and_precision_match_a_plain_loop():
    rng = np.random.default_rng(1)
    recommended, relevant = {}, {}
    for u in range(100):
        recommended[u] = list(rng.permutation(40)[:10])
        relevant[u] = set(rng.choice(40, size=rng.integers(1, 15), replace=False))
    ap, ap_ref, prec = [], [], []
    for u in recommended:
        hits = [m in relevant[u] for m in recommended[u]]
        found = sum(sum(hits[: i + 1]) / (i + 1) for i in range(10) if hits[i])
        ap.append(found / min(10, len(relevant[u])))
        ap_ref.append(found / len(relevant[u]))
        prec.append(sum(hits) / 10)
    assert metrics.map_at_k(recommended, relevant, 10) == pytest.approx(np.mean(ap))
    assert metrics.reference_map_at_k(recommended, relevant, 10) == pytest.approx(np.mean(ap_ref))
    assert metrics.precision_at_k(recommended, relevant, 10) == pytest.approx(np.mean(prec))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="recommends a movie twice"):
        metrics.precision_at_k({1: [3, 3]}, {1: {3}}, k=2)
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive whole number"):
            metrics.ndcg_at_k({1: [3]}, {1: {3}}, k=k)
    with pytest.raises(ValueError, match="nothing to evaluate"):
        metrics.recall_at_k({1: [3]}, {1: set()}, k=1)
    with pytest.raises(ValueError, match="more hits than relevant"):
        metrics.per_user_metrics(np.array([[True, True]]), np.array([1]))


def test_coverage_by_hand():
    recs = {1: [1, 2], 2: [2, 3]}
    assert metrics.catalogue_coverage(recs, [1, 2, 3, 4, 5, 6]) == pytest.approx(0.5)
    assert metrics.catalogue_coverage(np.array([[1, 2], [2, 3]]), range(1, 7)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"\[9\] are not in the catalogue"):
        metrics.catalogue_coverage({1: [9]}, [1, 2])


def test_novelty_by_hand():
    popularity = {1: 50, 2: 25, 3: 25}  # half, a quarter, a quarter of 100 interactions
    recs = {1: [1, 2], 2: [2, 3]}
    # self-information: 1, 2, 2, 2 bits
    assert metrics.novelty(recs, popularity) == pytest.approx(1.75)
    # a movie nobody rated in training adds nothing, but its slot counts (as the reference)
    assert metrics.novelty({1: [4, 1]}, popularity) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="non-negative"):
        metrics.novelty(recs, {1: -1})
    # per list: (1 + 2) / 2, (2 + 2) / 2; an empty slot (-1) is left out, an unknown movie
    # counts 0, a list with no movie has none
    top = np.array([[1, 2], [2, 3], [4, 1], [3, -1], [-1, -1]])
    per_list = metrics.novelty_per_list(top, popularity)
    np.testing.assert_allclose(per_list[:4], [1.5, 2.0, 0.5, 2.0])
    assert np.isnan(per_list[4])
    assert per_list[:2].mean() == pytest.approx(metrics.novelty(recs, popularity))


def test_novelty_and_coverage_follow_microsoft_recommenders():
    """The reference's formulas (python_evaluation.novelty / catalog_coverage), written
    out in pandas on a training table and a recommendation table."""
    rng = np.random.default_rng(4)
    train = pd.DataFrame({"user_id": rng.integers(0, 30, 400), "item": rng.integers(0, 40, 400)})
    train = train.drop_duplicates()
    reco = pd.DataFrame({"user_id": np.repeat(np.arange(30), 5), "item": rng.integers(0, 45, 150)})
    reco = reco.drop_duplicates()
    counts = train.groupby("item").size()
    item_novelty = -np.log2(counts / len(train))
    per_item = reco.groupby("item").size()
    joined = pd.concat([per_item.rename("n"), item_novelty.rename("nov")], axis=1, join="inner")
    expected = (joined["n"] * joined["nov"]).sum() / len(reco)
    assert metrics.novelty(reco["item"].to_numpy(), counts) == pytest.approx(expected)
    coverage = reco["item"].nunique() / train["item"].nunique()
    got = metrics.catalogue_coverage(reco["item"].to_numpy(), counts.index, outside_ok=True)
    assert got == pytest.approx(coverage)
