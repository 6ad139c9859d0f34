"""The new-user models behind notebook 06 and ``zeerec recommend``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_display import MOVIES, RATINGS  # the four-movie catalogue, hand-checked there

from zeerec import newuser
from zeerec.display import evidence_table
from zeerec.evaluation import newuser_protocol as nup
from zeerec.models.popularity import Popularity


def test_unknown_method_and_missing_mf_are_explained():
    models = newuser.fit_models(RATINGS, MOVIES, min_common=1)
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        models.get("magic")
    models.notes.append("no MF model here.")
    with pytest.raises(ValueError, match="no MF model here"):
        models.get("mf")
    rec = newuser.recommend(models, "content", {1: 5}, n=2)
    table = evidence_table(rec, "content", MOVIES)
    assert table.index.tolist() == [1, 2] and table.columns[0] == "title"


# --------------------------------------------------------------------------- the protocol


def _ratings(n_users: int = 60, seed: int = 0) -> pd.DataFrame:
    """Users 1..n with 20-44 ratings each at random times, rows in no particular order."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n_users + 1):
        movies = rng.choice(np.arange(1, 81), size=20 + (u % 25), replace=False)
        for m in movies:
            ts = pd.Timestamp("2000-01-01") + pd.Timedelta(seconds=int(rng.integers(0, 10**7)))
            rows.append((u, int(m), int(rng.integers(1, 6)), ts))
    frame = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)


def test_split_holds_users_out_whole_and_profiles_their_first_ratings():
    ratings = _ratings()
    split = nup.new_user_split(ratings, n_profile=4, n_users=10, min_ratings=30, seed=3)
    counts = ratings.groupby("user_id").size()
    assert len(split.users) == 10 and set(split.users) <= set(counts.index[counts >= 30])
    assert not set(split.users) & set(split.train["user_id"])  # never in training
    assert len(split.train) + len(split.later) + 4 * 10 == len(ratings)
    for u in split.users:
        mine = ratings[ratings["user_id"] == u].sort_values(["timestamp", "movie_id"])
        first = mine.head(4)
        assert split.profiles[u] == dict(zip(first["movie_id"], first["rating"], strict=True))
        assert split.relevant[u] == set(mine["movie_id"].iloc[4:])
        assert first["timestamp"].max() <= mine["timestamp"].iloc[4:].min()
    again = nup.new_user_split(ratings, n_profile=10, n_users=10, min_ratings=30, seed=3)
    assert again.users.tolist() == split.users.tolist()  # same people for every N
    assert all(len(p) == 10 for p in again.profiles.values())
    fewer = nup.new_user_split(ratings, n_profile=4, n_users=6, min_ratings=30, seed=3)
    assert set(fewer.users) < set(split.users)  # a smaller draw is part of a larger one
    other = nup.new_user_split(ratings, n_profile=4, n_users=10, min_ratings=30, seed=4)
    assert other.users.tolist() != split.users.tolist()
    with pytest.raises(ValueError, match="n_profile"):
        nup.new_user_split(ratings, n_profile=30, min_ratings=30)


# Users 1 and 2 (four ratings each) are the only ones with >= 4, so both are held out.
# Training: user 3 rated 10, 20, 30; user 4 rated 10, 20; user 5 rated 10.
TINY = pd.DataFrame(
    {
        "user_id": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5],
        "movie_id": [30, 10, 20, 40, 10, 30, 40, 20, 10, 20, 30, 10, 20, 10],
        "rating": [4, 5, 3, 2, 1, 5, 4, 4, 3, 3, 3, 4, 4, 5],
        "timestamp": pd.to_datetime([4, 1, 3, 2, 3, 1, 4, 2, 1, 2, 3, 1, 2, 1], unit="D"),
    }
)


def test_protocol_on_a_hand_made_example():
    # User 1 rated 10 then 40 (profile), then 20 and 30; popularity (10 > 20 > 30, 40
    # unknown) lists [20, 30]: 2 hits of 2. User 2 rated 30 then 20 (profile), then 10
    # and 40; the list is [10] alone: one hit at rank 1 of two relevant movies.
    res = nup.protocol(
        TINY,
        models={"popularity": Popularity()},
        methods=(),
        n_profiles=(2,),
        n_users=5,
        min_ratings=4,
        k=2,
        resamples=200,
    )
    row = res.table.set_index("model").loc["popularity"]
    assert row["precision@2"] == pytest.approx((1 + 0.5) / 2)
    assert row["ndcg@2"] == pytest.approx((1 + 1 / (1 + 1 / np.log2(3))) / 2)
    assert row["precision_lo"] <= row["precision@2"] <= row["precision_hi"]
    assert row["coverage"] == 1.0  # 10, 20, 30: every movie popularity knows
    # 6 training ratings: 20 holds 2 of them, 30 one, 10 three (Castells' choice model)
    assert row["novelty"] == pytest.approx((np.log2(6 / 2) + np.log2(6) + np.log2(6 / 3)) / 3)
    assert res.info["n_held_out"] == 2 and res.info["n_train_users"] == 3
    assert res.best(2) == "popularity" and res.versus.empty


def test_protocol_pairs_the_best_against_popularity():
    twin = nup.protocol(
        TINY,
        models={"popularity": Popularity(), "twin": Popularity()},
        methods=(),
        n_profiles=(2,),
        n_users=5,
        min_ratings=4,
        k=2,
        resamples=200,
    )
    row = twin.versus.iloc[0]
    assert row["difference"] == 0 and row["verdict"] == "tied"
    s = nup.standing(twin, 2, resamples=200)
    assert s["best"] == "popularity" and s["tied"] == ["twin"] and s["behind"] == []


class _Spy(Popularity):
    seen: list = []

    def _fit(self, ratings):
        _Spy.seen.append(ratings.copy())
        super()._fit(ratings)


def test_protocol_never_fits_on_held_out_users(monkeypatch):
    ratings = _ratings(40)
    fitted = []
    real = newuser.fit_models
    monkeypatch.setattr(
        newuser, "fit_models", lambda r, *a, **kw: fitted.append(r) or real(r, *a, **kw)
    )
    _Spy.seen = []
    movies = pd.DataFrame(
        {
            "movie_id": range(1, 81),
            "title": [f"M{i} (1990)" for i in range(1, 81)],
            "year": pd.array([1990] * 80, dtype="Int16"),
            "genres": [["Drama"]] * 80,
        }
    )
    res = nup.protocol(
        ratings,
        movies,
        models={"spy": _Spy()},
        methods=("user", "content", "hybrid"),
        mf_settings=None,
        n_profiles=(4, 10),
        n_users=8,
        min_ratings=30,
        resamples=50,
    )
    split = nup.new_user_split(ratings, n_profile=4, n_users=8, min_ratings=30)
    assert len(_Spy.seen) == 1 and len(fitted) == 1  # fitted once for both profile sizes
    for seen in (*_Spy.seen, *fitted):
        assert not set(seen["user_id"]) & set(split.users)
        assert seen.merge(split.later, on=["user_id", "movie_id"]).empty
    assert set(res.table["model"]) == {"spy", "user-based CF", "content-based", "hybrid"}


def test_new_user_tuning_never_reads_the_protocols_held_out_users(monkeypatch):
    """validation_scorer holds validation users out of the protocol's training part:
    every fit and every judged list stays clear of the protocol's own held-out users,
    and the search picks the knob value with the best validation NDCG."""
    from zeerec.evaluation import coordinate_search
    from zeerec.models.base import Recommender
    from zeerec.models.knn import ItemKNN

    ratings = _ratings(60)
    protocol = nup.new_user_split(ratings, n_profile=4, n_users=8, min_ratings=30, seed=42)
    fitted, judged = [], []
    fit = Recommender.fit
    monkeypatch.setattr(Recommender, "fit", lambda self, r: fitted.append(r) or fit(self, r))
    real_judge = nup._judge
    monkeypatch.setattr(
        nup,
        "_judge",
        lambda name, c, split, k: judged.append(split) or real_judge(name, c, split, k),
    )
    score = nup.validation_scorer(protocol.train, (4, 10), n_users=6, min_ratings=25, seed=43)
    best, table = coordinate_search(
        lambda **kw: ItemKNN(**kw), {"rank_by": ("summed", "liked", "centred")},
        {"rank_by": "summed"}, None, scorer=score,
    )  # fmt: skip
    assert fitted and judged
    for seen in fitted:
        assert not set(seen["user_id"]) & set(protocol.users)
        assert not set(seen["user_id"]) & set(judged[0].users)  # nor the validation users
    for split in judged:
        assert not set(split.users) & set(protocol.users)
        assert not set(split.users) & set(split.train["user_id"])
    assert {"ndcg@10", "ndcg@10 N=4", "ndcg@10 N=10", "precision@10"} <= set(table.columns)
    np.testing.assert_allclose(table["ndcg@10"], (table["ndcg@10 N=4"] + table["ndcg@10 N=10"]) / 2)
    assert best["rank_by"] == table.loc[table["ndcg@10"].idxmax(), "rank_by"]
