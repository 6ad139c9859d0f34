"""Notebook 05's analyses, each against a small case worked out by hand.

The ablation runs on a stand-in model class that records its settings and predicts a
known constant, so what each row holds can be computed here without TensorFlow.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from zeerec import mf_analysis as ma
from zeerec.lookup import TitleIndex
from zeerec.matrix import RatingMatrix


def frame(pairs, ratings=None) -> pd.DataFrame:
    users, movies = zip(*pairs, strict=True)
    stars = ratings if ratings is not None else [4] * len(pairs)
    return pd.DataFrame({"user_id": users, "movie_id": movies, "rating": stars})


MOVIES = pd.DataFrame(
    {
        "movie_id": [1, 2, 3, 4],
        "title": ["Alpha (1990)", "Beta (1991)", "Gamma (1992)", "Delta (1993)"],
        "genres": [["Comedy"], ["Drama"], ["Comedy", "Drama"], ["Horror"]],
    }
)


# --------------------------------------------------------------------------- ablation


@pytest.fixture
def fake_mf(monkeypatch):
    """BiasedMF replaced by a recorder: the k-th fitted model predicts 3.0 + 0.2 k stars."""
    from zeerec.models import mf

    real = inspect.signature(mf.BiasedMF.__init__).parameters
    defaults = {k: p.default for k, p in real.items() if k not in ("self",)}
    fitted: list[dict] = []

    class Recorder:
        def __init__(self, **settings):
            assert set(settings) <= set(defaults), "a setting BiasedMF does not have"
            self.settings = {**defaults, **settings}

        def fit(self, train):
            self.k = len(fitted)
            fitted.append(self.settings)
            self.history_ = {"loss": [0.0] * (self.k + 1)}
            self.fit_seconds_ = 0.5
            return self

        def predict(self, users, movies):
            return np.full(len(users), 3.0 + 0.2 * self.k)

    monkeypatch.setattr(mf, "BiasedMF", Recorder)
    return fitted


def test_ablation_switches_one_ingredient_on_per_row(fake_mf):
    train, test = frame([(1, 1)]), frame([(1, 1), (2, 2)], [4, 4])
    table = ma.ablation(train, test, {"reg": 0.2, "n_members": 3})
    assert list(table.columns) == list(ma.ABLATION_COLUMNS)
    assert table["step"].tolist() == [label for label, _ in ma.ABLATION_STEPS]
    # every prediction misses the 4 stars by 1 - 0.2 k: RMSE = MAE = 1, 0.8, 0.6, ...
    np.testing.assert_allclose(table["rmse"], [1.0, 0.8, 0.6, 0.4, 0.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(table["mae"], table["rmse"])
    assert np.isnan(table["rmse_gain"].iloc[0])
    np.testing.assert_allclose(table["rmse_gain"].iloc[1:], 0.2, atol=1e-12)
    assert table["epochs"].tolist() == [1, 2, 3, 4, 5, 6]
    first, l2, root, refit, stretch, full = fake_mf
    assert (first["reg"], first["bias_reg"], first["reg_exponent"]) == (0.0, 0.0, 1.0)
    assert not first["refit"] and not first["calibrate"] and first["n_members"] == 1
    assert (l2["reg"], l2["bias_reg"], l2["reg_exponent"]) == (0.2, 0.01, 1.0)
    assert root["reg_exponent"] == 0.5 and not root["refit"]
    assert refit["refit"] and not refit["calibrate"]
    assert stretch["calibrate"] and stretch["n_members"] == 1
    assert full["n_members"] == 3 and full["reg"] == 0.2


def test_ablation_implicit_branch_is_measured_against_the_one_member_row(fake_mf):
    train, test = frame([(1, 1)]), frame([(1, 1)], [4])
    table = ma.ablation(train, test, implicit=True)
    assert len(table) == len(ma.ABLATION_STEPS) + 1
    assert table["step"].iloc[-1] == "row 5 + implicit feedback term (SVD++)"
    # row 5 (k = 4) misses by 0.2, the branch (k = 6) by 0.2 the other way: gain 0
    assert table["rmse_gain"].iloc[-1] == pytest.approx(0.0, abs=1e-12)
    assert fake_mf[-1] == {**fake_mf[4], "implicit": True}


def test_ablation_sample_and_gains():
    train = frame([(u, 1) for u in range(10)])
    part = ma.ablation_sample(train, 4, seed=1)
    assert len(part) == 4 and part.index.isin(train.index).all()
    assert part.equals(ma.ablation_sample(train, 4, seed=1))
    assert len(ma.ablation_sample(train, 50, seed=1)) == 10
    table = pd.DataFrame({"step": ["a", "b", "c"], "rmse_gain": [np.nan, 0.03, -0.01]})
    gains = ma.ablation_gains(table)
    assert gains.to_dict() == {"b": 0.03, "c": -0.01}


# --------------------------------------------------------------------------- a training run


def test_training_summary_reads_the_run():
    model = SimpleNamespace(
        history_={"loss": [0.9, 0.8, 0.7, 0.75, 0.76]},
        best_epoch_=3,
        validation_rmse_=0.91,
        taste_scale_=[1.0, 1.2, 1.4, 1.0],
        fit_seconds_=12.5,
        epoch_seconds_=[1.0, 3.0, 2.0, 10.0],
        n_train_=900,
    )
    assert ma.training_summary(model) == {
        "epochs_run": 5,
        "best_epoch": 3,
        "validation_rmse": 0.91,
        "taste_stretch": pytest.approx(1.15),
        "fit_seconds": 12.5,
        "seconds_per_epoch": 2.5,
        "n_train": 900,
    }


def test_still_falling():
    assert ma.still_falling([1.0, 0.9, 0.898])  # 0.002 better than the epoch before
    assert not ma.still_falling([1.0, 0.9, 0.8995])  # only 0.0005: levelled off
    assert not ma.still_falling([1.0, 0.9, 0.95])
    assert ma.still_falling([1.0])


def test_cold_pairs_and_mean_prediction_at():
    train = frame([(1, 10), (2, 20)])
    test = frame([(1, 20), (3, 10), (2, 30), (2, 10)])
    assert ma.cold_pairs(train, test).tolist() == [False, True, True, False]
    truth, pred = [1, 1, 5, 3], [2.0, 3.0, 4.0, 3.0]
    assert ma.mean_prediction_at(truth, pred) == (2.5, 4.0)
    lo, hi = ma.mean_prediction_at([1, 3], [2.0, 3.0], (1, 5))
    assert lo == 2.0 and np.isnan(hi)


# --------------------------------------------------------------------------- embeddings


def test_main_genres_picks_the_least_common_genre_and_groups_rare_ones():
    movies = pd.DataFrame(
        {
            "movie_id": [1, 2, 3, 4, 5, 6, 7],
            "genres": [
                ["Animation", "Comedy"],
                ["Comedy"],
                ["Comedy", "Drama"],
                ["Drama"],
                [],
                ["Comedy", "Horror"],
                ["Comedy"],
            ],
        }
    )
    # Comedy is listed 5 times, Drama 2, Animation and Horror once each
    wide = ma.main_genres(movies)
    assert wide.to_dict() == {
        1: "Animation", 2: "Comedy", 3: "Drama", 4: "Drama", 5: "Other", 6: "Horror", 7: "Comedy"
    }  # fmt: skip
    # only the two most frequent main genres (Comedy and Drama, 2 movies each) keep a name
    narrow = ma.main_genres(movies, keep=2)
    assert narrow.name == "main_genre"
    assert narrow.to_dict() == {
        1: "Other", 2: "Comedy", 3: "Drama", 4: "Drama", 5: "Other", 6: "Other", 7: "Comedy"
    }  # fmt: skip


def fake_model(factors: np.ndarray, counts: list[int]) -> SimpleNamespace:
    """A fitted-looking model: movies 1..n with the given factors and rating counts."""
    pairs = [(u, m + 1) for m, c in enumerate(counts) for u in range(c)]
    return SimpleNamespace(
        ratings_=RatingMatrix.from_ratings(frame(pairs)), movie_factors=np.asarray(factors, float)
    )


def test_movie_map_projects_on_the_two_main_directions():
    # four movies on two axes (spread 2 and 1 around a zero mean), a fifth rated once
    factors = [[2, 0, 0], [-2, 0, 0], [0, 1, 0], [0, -1, 0], [9, 9, 9]]
    model = fake_model(factors, [2, 2, 2, 2, 1])
    extra = pd.DataFrame({"movie_id": [5], "title": ["Epsilon (1994)"], "genres": [["Drama"]]})
    movies = pd.concat([MOVIES, extra], ignore_index=True)
    mapped = ma.movie_map(model, movies, min_ratings=2)
    assert mapped["movie_id"].tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(mapped["x"].abs(), [2, 2, 0, 0], atol=1e-12)
    np.testing.assert_allclose(mapped["y"].abs(), [0, 0, 1, 1], atol=1e-12)
    # variances 2² + 2² = 8 and 1² + 1² = 2 of 10
    assert mapped.attrs["explained"] == pytest.approx((0.8, 0.2))
    assert mapped["main_genre"].tolist() == ["Comedy", "Drama", "Comedy", "Horror"]
    assert mapped["n_ratings"].tolist() == [2, 2, 2, 2]
    with pytest.raises(ValueError, match="fewer than 3 movies"):
        ma.movie_map(model, movies, min_ratings=3)


def test_genre_share_of_spread_and_centres():
    mapped = pd.DataFrame(
        {
            "x": [0.0, 2.0, 10.0, 12.0, 11.0],
            "y": [0.0, 0.0, 0.0, 0.0, 0.0],
            "main_genre": ["A", "A", "B", "B", "B"],
        }
    )
    # centres 1 and 11: within 1 + 1 + 1 + 1 + 0 = 4; overall mean 7: 49+25+9+25+16 = 124
    assert ma.genre_share_of_spread(mapped) == pytest.approx(1 - 4 / 124)
    centres = ma.genre_centres(mapped)
    assert centres.index.tolist() == ["B", "A"]
    assert centres.loc["B"].tolist() == [11.0, 0.0, 3]
    assert centres.loc["A"].tolist() == [1.0, 0.0, 2]


def test_median_cosine_counts_every_movie_and_zero_vectors_as_zero():
    model = fake_model([[1, 0], [0, 1], [1, 1], [0, 0]], [1, 1, 1, 1])
    # cosines with movie 1: 1 (itself), 0, 1/sqrt(2), 0 -> median (0 + 0.7071) / 2
    assert ma.median_cosine(model, 1) == pytest.approx(np.sqrt(0.5) / 2)


def test_neighbours_table_reads_titles_and_training_counts():
    similar = pd.DataFrame({"movie_id": [3, 1], "similarity": [0.9, 0.5]})
    train = frame([(1, 3), (2, 3), (1, 2)])
    table = ma.neighbours_table(similar, TitleIndex(MOVIES), train)
    assert table.index.tolist() == [1, 2] and table.index.name == "rank"
    assert table.to_dict("list") == {
        "title": ["Gamma (1992)", "Alpha (1990)"],
        "cosine": [0.9, 0.5],
        "ratings": [2, 0],
    }


def test_genre_overlap():
    assert ma.genre_overlap(MOVIES, [2, 3, 4], [1]) == pytest.approx(1 / 3)  # only Gamma
    assert ma.genre_overlap(MOVIES, [2, 3, 4], [1, 4]) == pytest.approx(2 / 3)  # + Delta
    assert ma.genre_overlap(MOVIES, [2, 3], [3]) == 1.0
    assert np.isnan(ma.genre_overlap(MOVIES, [], [1]))


def test_user_ratings_and_top_list_table():
    train = frame([(7, 4), (7, 2), (8, 1), (7, 3)], [3, 5, 5, 5])
    assert ma.user_ratings(train, 7)["movie_id"].tolist() == [2, 3, 4]
    recs = pd.DataFrame({"movie_id": [3, 1], "score": [5.4, 3.2]})
    table = ma.top_list_table(recs, TitleIndex(MOVIES), MOVIES)
    assert table.index.tolist() == [1, 2] and table.index.name == "rank"
    assert table.to_dict("list") == {
        "title": ["Gamma (1992)", "Alpha (1990)"],
        "predicted stars": [5.0, 3.2],
        "genres": ["Comedy, Drama", "Comedy"],
    }


def test_pair_order_share_counts_ordered_pairs_by_hand():
    truth = [1, 1, 5, 5, 3]
    pred = [2.0, 4.0, 3.0, 4.0, 9.9]  # the 3★ rating is ignored
    # pairs (1★, 5★): (2,3) ok, (2,4) ok, (4,3) wrong, (4,4) tie = 0.5 → 2.5 / 4
    assert ma.pair_order_share(truth, pred) == pytest.approx(0.625)
    assert np.isnan(ma.pair_order_share([1, 1], [2.0, 3.0]))


def test_movie_bias_percentile_ranks_the_models_biases():
    class Fake:
        movie_bias = np.array([0.5, -1.0, 2.0, 0.0])
        ratings_ = type("R", (), {"movie_ids": np.array([10, 20, 30, 40])})

    assert ma.movie_bias_percentile(Fake(), [30, 20, 10]).tolist() == [100, 25, 75]
