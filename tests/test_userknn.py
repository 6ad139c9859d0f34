"""User-based CF against a small example worked by hand (numbers in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.models.userknn import UserKNN

# Movies 1-6. The new user rates 1:5, 2:3, 3:4 (mean 4).
#   u1 rates 1:4 2:2 3:3 | 4:5 6:4      co-rated (4,2,3) vs (5,3,4): pearson +1, n=3; mean 3.6
#   u2 rates 1:2 2:4 3:3 | 4:1 5:4      co-rated (2,4,3): pearson -1 -> never a neighbour
#   u3 rates 1:5 3:3     | 5:2 6:1      co-rated (5,3) vs (5,4): pearson +1, n=2; mean 2.75
#   u4 rates             | 4:3 5:5      nothing in common
#   u5 rates 1:3 2:3 3:3 | 4:2          constant on co-rated movies: pearson undefined -> 0
ROWS = [
    (1, 1, 4), (1, 2, 2), (1, 3, 3), (1, 4, 5), (1, 6, 4),
    (2, 1, 2), (2, 2, 4), (2, 3, 3), (2, 4, 1), (2, 5, 4),
    (3, 1, 5), (3, 3, 3), (3, 5, 2), (3, 6, 1),
    (4, 4, 3), (4, 5, 5),
    (5, 1, 3), (5, 2, 3), (5, 3, 3), (5, 4, 2),
]  # fmt: skip
NEW = {1: 5, 2: 3, 3: 4}


@pytest.fixture
def ratings() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["user_id", "movie_id", "rating"])


def resnick(**knobs) -> UserKNN:
    """The Pearson + Resnick user-kNN the hand-worked examples below were written for
    (the defaults before issue 11; the vote rule is tested at the end)."""
    rule = {"n_neighbours": 30, "min_support": 3, "similarity": "pearson", "rank_by": "resnick"}
    return UserKNN(**{**rule, **knobs})


def test_common_raters_is_the_seeds_view(ratings):
    table = resnick().fit(ratings).common_raters(NEW)
    assert table["user_id"].tolist() == [1, 2, 5, 3]  # by movies in common, then id
    assert table["n_common"].tolist() == [3, 3, 3, 2]
    u3 = table.set_index("user_id").loc[3]
    assert u3[1] == 5 and u3[3] == 3 and np.isnan(u3[2])  # their stars, NaN = not rated


def test_similarities_worked_by_hand(ratings):
    sims = resnick(significance=50).fit(ratings).similarities(NEW).set_index("user_id")
    assert sims.loc[[1, 2, 3, 5], "pearson"].tolist() == pytest.approx([1, -1, 1, 0])
    assert sims.loc[1, "weight"] == pytest.approx(3 / 50)  # significance weighting n/50
    assert sims.loc[3, "weight"] == pytest.approx(2 / 50)
    assert 4 not in sims.index


def test_pearson_matches_numpy_on_co_rated_movies():
    rng = np.random.default_rng(0)
    dense = rng.integers(1, 6, size=(30, 12)).astype(float)
    dense[rng.random(dense.shape) < 0.4] = 0
    users, movies = np.nonzero(dense)
    ratings = pd.DataFrame(
        {"user_id": users + 1, "movie_id": movies + 1, "rating": dense[users, movies]}
    )
    model = resnick(significance=1).fit(ratings)
    target = dense[0]
    sims = model.similarities(1).set_index("user_id")
    for v in range(1, 30):
        both = (target > 0) & (dense[v] > 0)
        if both.sum() < 2 or dense[v][both].std() == 0 or target[both].std() == 0:
            continue
        expected = np.corrcoef(target[both], dense[v][both])[0, 1]
        assert sims.loc[v + 1, "pearson"] == pytest.approx(expected, abs=1e-9)


def test_neighbours_keep_positive_weights_with_enough_overlap(ratings):
    model = resnick(min_common=2).fit(ratings)
    assert model.neighbours(NEW)["user_id"].tolist() == [1, 3]
    assert resnick(min_common=3).fit(ratings).neighbours(NEW)["user_id"].tolist() == [1]
    assert resnick(n_neighbours=1).fit(ratings).neighbours(NEW)["user_id"].tolist() == [1]


def test_predictions_worked_by_hand(ratings):
    e = resnick(min_common=2, significance=50).fit(ratings).explain(NEW)
    pred = dict(zip([1, 2, 3, 4, 5, 6], e.prediction, strict=True))
    # movie 6: 4 + (0.06*(4-3.6) + 0.04*(1-2.75)) / (0.06+0.04) = 3.54
    assert pred[6] == pytest.approx(3.54)
    assert pred[4] == pytest.approx(4 + (5 - 3.6))  # only u1 rated it
    assert pred[5] == pytest.approx(4 + (2 - 2.75))  # only u3 rated it
    assert e.n_neighbours.tolist() == [2, 1, 2, 1, 1, 2]
    assert e.neighbour_mean[5] == pytest.approx(2.5)  # (4 + 1) / 2
    # With significance 2 both neighbours weigh 1: 4 + (0.4 - 1.75) / 2
    e2 = resnick(significance=2).fit(ratings).explain(NEW)
    assert e2.prediction[5] == pytest.approx(3.325)


def test_recommend_ranks_unseen_with_evidence(ratings):
    rec = resnick(min_support=1).fit(ratings).recommend(NEW, n=3)
    assert rec["movie_id"].tolist() == [4, 6, 5]
    assert not set(rec["movie_id"]) & set(NEW)
    assert rec["score"].iloc[0] == pytest.approx(5.4)
    assert rec["predicted"].iloc[0] == 5.0  # clipped to the star scale for display
    assert rec["n_neighbours"].tolist() == [1, 2, 1]
    assert rec["neighbour_mean"].tolist() == pytest.approx([5, 2.5, 2])
    # min_support=2: only movie 6 has two neighbours behind it
    assert resnick(min_support=2).fit(ratings).recommend(NEW, n=3)["movie_id"].tolist() == [6]


def test_existing_user_is_not_their_own_neighbour(ratings):
    model = resnick(min_common=2, min_support=1).fit(ratings)
    assert 1 not in model.similarities(1)["user_id"].tolist()
    rec = model.recommend(1, n=5)
    assert not set(rec["movie_id"]) & {1, 2, 3, 4, 6}  # u1's own movies are seen


def test_predict_picks_the_k_nearest_raters_of_each_movie(ratings):
    # User 9 is the new user of the example, now in the data: same neighbours, same sums.
    extra = pd.DataFrame([(9, m, r) for m, r in NEW.items()], columns=ratings.columns)
    model = resnick(n_neighbours=2).fit(pd.concat([ratings, extra], ignore_index=True))
    out = model.predict([9, 9, 9], [6, 5, 4])
    assert out.tolist() == pytest.approx([3.54, 3.25, 5.0])  # 5.4 clipped to 5
    # k=1: each movie uses its single most similar rater — u1 for movie 6, u3 for 5
    # (a fixed top-1 neighbourhood would be u1 alone and know nothing about movie 5).
    one = resnick(n_neighbours=1).fit(pd.concat([ratings, extra], ignore_index=True))
    assert one.predict([9, 9], [6, 5]).tolist() == pytest.approx([4.4, 3.25])
    assert one.explain(9).n_neighbours[4] == 0


def test_predict_falls_back_and_never_uses_the_user_themself(ratings):
    model = resnick(min_common=2).fit(ratings)
    out = model.predict([1, 99, 1], [5, 1, 42])
    assert out[0] == pytest.approx(3.6)  # u1 has no positive neighbour: their mean
    assert out[1] == pytest.approx(ratings["rating"].mean())  # unknown user: global mean
    assert out[2] == pytest.approx(3.6)  # unknown movie: the user's mean
    # u1 rated movie 6 (4 stars); their own rating must not make the prediction.
    assert model.predict([1], [6])[0] == pytest.approx(3.6)
    with pytest.raises(ValueError, match="aligned"):
        model.predict([1, 2], [1])


def test_no_overlap_gives_the_users_mean_and_an_empty_list(ratings):
    model = resnick().fit(ratings)
    e = model.explain({6: 4})
    assert e.neighbours.empty and np.all(e.prediction == 4)
    assert model.recommend({6: 4}, n=3).empty


@pytest.mark.parametrize(
    "kw", [{"n_neighbours": 0}, {"min_common": -1}, {"significance": 0}, {"n_neighbours": 2.5}]
)
def test_bad_parameters_are_refused(kw):
    with pytest.raises(ValueError, match="whole number"):
        UserKNN(**kw)


def test_vote_ranks_by_the_neighbours_summed_weight(ratings):
    # Pearson neighbours: u1 weight 3/50 (movies 4, 6), u3 weight 2/50 (movies 5, 6).
    rec = (
        UserKNN(min_support=1, rank_by="vote", similarity="pearson")
        .fit(ratings)
        .recommend(NEW, n=3)
    )
    assert rec["movie_id"].tolist() == [6, 4, 5]
    assert rec["score"].tolist() == pytest.approx([0.10, 0.06, 0.04])
    assert rec["predicted"].iloc[1] == 5.0  # the Resnick prediction stays as evidence
    # Cosine of who-rated-what: u1, u2 3/sqrt(3*5); u3 2/sqrt(3*4); u5 3/sqrt(3*4).
    cos = UserKNN(min_support=1, rank_by="vote", similarity="cosine").fit(ratings)
    rec = cos.recommend(NEW, n=3)
    a, b, c = 3 / np.sqrt(15), 2 / np.sqrt(12), 3 / np.sqrt(12)
    assert rec["movie_id"].tolist() == [4, 5, 6]  # 5 and 6 tie: lower id first
    assert rec["score"].tolist() == pytest.approx([2 * a + c, a + b, a + b])
    with pytest.raises(ValueError, match="rank_by"):
        UserKNN(rank_by="stars")


def test_defaults_rank_by_a_cosine_vote(ratings):
    """The defaults chosen on validation (issue 11): cosine neighbours, a weighted vote."""
    default = UserKNN().fit(ratings)
    chosen = UserKNN(n_neighbours=60, min_support=1, similarity="cosine", rank_by="vote")
    pd.testing.assert_frame_equal(
        default.recommend(NEW, n=3), chosen.fit(ratings).recommend(NEW, n=3)
    )
    assert default.ranking_score == "neighbours' weighted vote"
    assert resnick().ranking_score == "predicted stars"


def _resnick_by_hand(model: UserKNN, user: int, movie: int) -> float | None:
    """Resnick's formula for one pair from similarities() and the ratings table alone:
    the n_neighbours most similar raters of the movie (min_common, positive weight),
    clipped to the stars; None when a tie at the n-th neighbour leaves the choice open."""
    x = model.ratings_
    if user not in set(x.user_ids):
        return model.global_mean_
    mean = model.user_mean_[x.user_index(user)[0]]
    sims = model.similarities(user)
    sims = sims[(sims["n_common"] >= model.min_common) & (sims["weight"] > 0)]
    if movie not in set(x.movie_ids):
        return mean
    col = x.matrix.tocsc()[:, int(np.flatnonzero(x.movie_ids == movie)[0])]
    raters = dict(zip(x.user_ids[col.indices], col.data, strict=True))
    ranked = sims[sims["user_id"].isin(list(raters))].sort_values("weight", ascending=False)
    k = model.n_neighbours
    if len(ranked) > k and ranked["weight"].iloc[k - 1] == ranked["weight"].iloc[k]:
        return None
    near = ranked.head(k)
    if near.empty:
        return mean
    dev = [raters[v] - model.user_mean_[x.user_index(v)[0]] for v in near["user_id"]]
    return float(model.clip_stars(mean + np.dot(near["weight"], dev) / near["weight"].sum()))


@pytest.mark.parametrize("similarity", ["cosine", "pearson"])
def test_predict_weighs_blocks_of_users_as_similarities_does_one(similarity, monkeypatch):
    """predict computes the neighbours' weights for a block of users at once; they are
    the weights similarities() gives user by user (self and non-candidates at 0), and
    predictions equal Resnick's formula worked from similarities() pair by pair —
    shuffled pairs, unknown users and movies, a significance cap and min_common that
    bite, blocks of one user."""
    rng = np.random.default_rng(3)
    cells = rng.random((40, 25)) < 0.45
    users, movies = np.nonzero(cells)
    stars = rng.integers(1, 6, len(users)).astype(float)
    train = pd.DataFrame({"user_id": users + 1, "movie_id": movies + 1, "rating": stars})
    model = UserKNN(similarity=similarity, min_common=3, n_neighbours=4, significance=5).fit(train)
    rows = np.arange(model.ratings_.shape[0])
    block = model._weights(rows)
    for row in rows:
        sims = model.similarities(int(model.ratings_.user_ids[row]))
        ok = (sims["n_common"] >= 3) & (sims["weight"] > 0)
        expected = np.zeros(len(rows))
        expected[model.ratings_.user_index(sims.loc[ok, "user_id"].to_numpy())] = sims.loc[
            ok, "weight"
        ]
        np.testing.assert_allclose(block[row], expected, rtol=1e-12, atol=1e-15)
    assert np.all(np.diag(block) == 0)
    assert (block > 0).any() and ((block > 0).sum(axis=1) < len(rows) - 1).any()
    pairs_u = rng.permutation(np.r_[np.repeat(np.arange(1, 42), 26)])
    pairs_m = rng.integers(1, 27, len(pairs_u))  # user 41 and movie 26 are unknown
    together = model.predict(pairs_u, pairs_m)
    by_hand = np.array(
        [_resnick_by_hand(model, int(u), int(m)) for u, m in zip(pairs_u, pairs_m, strict=True)],
        dtype=float,  # None (a tie decides) -> NaN, left out
    )
    decided = ~np.isnan(by_hand)
    assert decided.mean() > 0.8
    np.testing.assert_allclose(together[decided], by_hand[decided], rtol=1e-12)
    monkeypatch.setattr("zeerec.models.userknn.ESTIMATE_BLOCK_CELLS", 1)
    assert model.predict(pairs_u, pairs_m).tolist() == together.tolist()
