"""The comparison harness: protocol, batched vs per-user scoring, tables, tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_ease import _blocks

from zeerec import evaluation, metrics
from zeerec.matrix import RatingMatrix
from zeerec.models import registry
from zeerec.models.base import Recommender
from zeerec.models.ease import EASE
from zeerec.models.popularity import Popularity
from zeerec.splits import stratified_split


class MovieMean(Recommender):
    """A tiny rating model for the tests: predicts each movie's mean training star."""

    name = "movie mean"
    predicts_ratings = True

    def _fit(self, ratings):
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.mean_ = ratings.groupby("movie_id")["rating"].mean().reindex(self.ratings_.movie_ids)

    def _estimate(self, pairs):
        return self.mean_.reindex(pairs.movies).to_numpy()

    def _score(self, target):
        return self.mean_.to_numpy()


class Oracle(Recommender):
    """Knows the test set: scores the user's held-out movies 1, everything else 0."""

    name = "oracle"

    def __init__(self, test):
        self.test = test

    def _fit(self, ratings):
        self.ratings_ = RatingMatrix.from_ratings(ratings)

    def _score(self, target):
        s = np.zeros(len(self.ratings_.movie_ids))
        held = self.test.loc[self.test["user_id"] == target.user, "movie_id"]
        s[np.isin(self.ratings_.movie_ids, held)] = 1.0
        return s


class LoopEASE(EASE):
    """EASE without its batched path, to check both paths give the same numbers."""

    _score_rows = Recommender._score_rows


@pytest.fixture(scope="module")
def split():
    # seed 2: every held-out movie is also in training, so the oracle can rank them all
    return stratified_split(_blocks(), test_size=0.25, seed=2)


def test_oracle_is_perfect_and_popularity_is_not(split):
    train, test = split
    ev = evaluation.evaluate({"oracle": Oracle(test), "pop": Popularity()}, train, test, k=3)
    n_rel = test.groupby("user_id").size()
    oracle = ev.ranking.set_index("model").loc["oracle"]
    assert oracle["ndcg@3"] == pytest.approx(1.0)
    assert oracle["map@3"] == pytest.approx(1.0)
    # the reference map divides by every relevant movie, so a perfect list of 3 scores
    # min(3, n_rel) / n_rel
    assert oracle["map_ref@3"] == pytest.approx((np.minimum(n_rel, 3) / n_rel).mean())
    assert oracle["hit_rate@3"] == 1.0
    assert oracle["precision@3"] == pytest.approx((np.minimum(n_rel, 3) / 3).mean())
    assert oracle["recall@3"] == pytest.approx((np.minimum(n_rel, 3) / n_rel).mean())
    assert ev.best() == "oracle"
    assert ev.ranking.set_index("model").loc["pop", "ndcg@3"] < 0.9
    assert ev.rating.empty  # neither predicts stars
    assert list(ev.ranking.columns) == [
        "model",
        "precision@3",
        "recall@3",
        "ndcg@3",
        "map@3",
        "map_ref@3",
        "hit_rate@3",
        "coverage",
        "novelty",
        "n_users",
        "fit_s",
        "recommend_ms_per_user",
    ]


def test_batched_and_per_user_paths_agree(split):
    train, test = split
    ev = evaluation.evaluate(
        {"batched": EASE(lam=5.0), "loop": LoopEASE(lam=5.0)}, train, test, k=4, batch_size=7
    )
    r = ev.ranking.set_index("model")
    cols = ["precision@4", "recall@4", "ndcg@4", "map@4", "hit_rate@4", "coverage", "novelty"]
    pd.testing.assert_series_equal(r.loc["batched", cols], r.loc["loop", cols], check_names=False)
    assert r.loc["batched", "ndcg@4"] > 0.5  # the block structure is easy


def test_harness_matches_the_metrics_module_and_recommend(split):
    train, test = split
    model = EASE(lam=5.0).fit(train)
    users = np.sort(test["user_id"].unique())
    top = evaluation.recommend_top_k(model, users, train, k=3)
    for u, row in zip(users, top, strict=True):
        assert row.tolist() == model.recommend(int(u), n=3)["movie_id"].tolist()
        assert not set(row) & set(train.loc[train["user_id"] == u, "movie_id"])
    recommended = {u: list(row) for u, row in zip(users, top, strict=True)}
    relevant = test.groupby("user_id")["movie_id"].apply(set).to_dict()
    ev = evaluation.evaluate({"ease": model}, train, test, k=3)  # already fitted: not refitted
    row = ev.ranking.iloc[0]
    assert np.isnan(row["fit_s"])
    for name, value in metrics.ranking_metrics(recommended, relevant, 3).items():
        if name != "n_users":
            assert row[f"{name}@3"] == pytest.approx(value)
    assert row["n_users"] == len(users)


def test_short_lists_are_padded():
    # one user who has seen all but one movie: the list has one real entry
    ratings = pd.DataFrame(
        {"user_id": [1, 1, 1, 2, 2], "movie_id": [1, 2, 3, 1, 4], "rating": [5, 4, 3, 2, 1]}
    )
    model = Popularity().fit(ratings)
    top = evaluation.recommend_top_k(model, np.array([1]), ratings, k=3)
    assert top.tolist() == [[4, -1, -1]]


def test_rating_metrics_and_activity_buckets(split):
    train, test = split
    ev = evaluation.evaluate({"mean": MovieMean(), "pop": Popularity()}, train, test, k=3)
    assert ev.rating["model"].tolist() == ["mean"]
    means = train.groupby("movie_id")["rating"].mean()
    pairs = test[test["movie_id"].isin(means.index)]
    expected = metrics.rmse(pairs["rating"], means.reindex(pairs["movie_id"]).to_numpy())
    assert ev.rating.loc[0, "rmse"] == pytest.approx(expected)
    assert ev.rating.loc[0, "n_ratings"] == len(pairs)
    b = ev.by_activity
    assert set(b["model"]) == {"mean", "pop"}
    assert b.groupby("model")["n_users"].sum().tolist() == [test["user_id"].nunique()] * 2
    assert b.loc[b["model"] == "pop", "rmse"].isna().all()
    assert b.loc[b["model"] == "mean", "rmse"].notna().all()
    assert len(ev.per_user) == 2 * test["user_id"].nunique()


def test_activity_bucket_edges():
    b = evaluation.activity_bucket(np.array([1, 30, 31, 150, 151]), edges=(30, 150))
    assert list(b) == [
        "cold (≤30)",
        "cold (≤30)",
        "medium (31–150)",
        "medium (31–150)",
        "heavy (>150)",
    ]
    with pytest.raises(ValueError, match="increasing"):
        evaluation.activity_bucket(np.array([1]), edges=(50, 10))


def test_user_sample_is_seeded(split):
    train, test = split
    a = evaluation.evaluate({"pop": Popularity()}, train, test, k=3, n_users=10, seed=1)
    b = evaluation.evaluate({"pop": Popularity()}, train, test, k=3, n_users=10, seed=1)
    assert a.info["n_users_ranked"] == 10 and a.info["n_test_users"] == 60
    assert a.per_user["user_id"].tolist() == b.per_user["user_id"].tolist()


def test_grid_search_tunes_on_validation_only(split):
    train, test = split
    seen = []

    def make(lam):
        model = EASE(lam=lam)
        fit = model.fit

        def spy(ratings):
            seen.append(ratings)
            return fit(ratings)

        model.fit = spy
        return model

    best, table = evaluation.grid_search(make, {"lam": [0.5, 5.0, 5000.0]}, train, k=3, repeats=2)
    assert table["lam"].tolist() == [0.5, 5.0, 5000.0]
    assert best["lam"] == table.loc[table["ndcg@3"].idxmax(), "lam"]
    assert len(seen) == 6
    test_pairs = set(zip(test["user_id"], test["movie_id"], strict=True))
    for fitted_on in seen:
        assert not test_pairs & set(zip(fitted_on["user_id"], fitted_on["movie_id"], strict=True))
        assert len(fitted_on) < len(train)


def test_build_models_names_what_it_cannot_build():
    models, missing = evaluation.build_models()
    assert set(models) | set(missing) == set(registry.MODELS)
    assert "content" in missing and "needs the movies table" in missing["content"]
    assert not any(m.is_fitted for m in models.values())  # fresh, unfitted
    assert models["EASE"].lam == 500.0
    assert evaluation.scores_in_blocks(models["EASE"])  # one matrix product per block
    assert not evaluation.scores_in_blocks(models["user-kNN"])  # one user after another
    assert not evaluation.scores_in_blocks(models["global mean"])  # does not rank
    with pytest.raises(ValueError, match="unknown model"):
        evaluation.build_models(["SVD++"])


class LeastPopularFirst(Popularity):
    """Ranks its own way (least popular first): the harness must ask ``recommend``."""

    ranks_by_score = False

    def _rank_key(self, scores):
        return -scores


def test_models_with_their_own_recommend_are_judged_on_their_lists(split):
    train, test = split
    model = LeastPopularFirst().fit(train)
    users = np.sort(test["user_id"].unique())
    top = evaluation.recommend_top_k(model, users, train, k=3)
    for u, row in zip(users, top, strict=True):
        assert row.tolist() == model.recommend(int(u), n=3)["movie_id"].tolist()
    batched = evaluation.recommend_top_k(Popularity().fit(train), users, train, k=3)
    assert (top != batched).any()  # the least popular are not the most popular

    class Leaky(LeastPopularFirst):
        def recommend(self, user, n=10, exclude_seen=True):
            return (
                super()
                .recommend(user, n, exclude_seen=False)
                .assign(movie_id=lambda f: self.ratings_.movie_ids[self.seen(user)[:n]])
            )

    with pytest.raises(ValueError, match="recommended training movies"):
        evaluation.recommend_top_k(Leaky().fit(train), users[:1], train, k=2)


@pytest.fixture(scope="module")
def comparison(split):
    train, test = split
    models = {"pop": Popularity(), "EASE": EASE(lam=5.0), "mean": MovieMean()}
    return evaluation.evaluate(models, train, test, k=3, activity_edges=(5, 6))


def test_conclusions_are_read_off_the_tables(comparison):
    ev = comparison
    c = evaluation.conclusions(ev, baseline="pop").set_index("job")
    rank = ev.ranking.set_index("model")
    assert c.loc["top-3 list for a typical user", "model"] == rank["ndcg@3"].idxmax() == "EASE"
    assert f"{rank.loc['EASE', 'ndcg@3']:.3f}" in c.loc["top-3 list for a typical user", "evidence"]
    assert c.loc["predicting stars", "model"] == "mean"  # the only rating model
    cold = [j for j in c.index if j.startswith("users with the fewest ratings")]
    assert len(cold) == 1 and "cold" in cold[0]
    assert any(j.startswith("users with the most ratings: medium") for j in c.index)
    assert all(m in rank.index for m in c["model"])
    cheap = [j for j in c.index if j.startswith("cheapest")]
    assert c.loc[cheap[0], "model"] != "pop"  # must beat the baseline to count


def test_the_most_novel_model_is_named_with_the_models_its_interval_cannot_separate(split):
    train, test = split
    ev = evaluation.evaluate(
        {"a": Oracle(test), "b": Oracle(test), "pop": Popularity()}, train, test, k=3
    )
    per_user = ev.per_user.set_index(["model", "user_id"])["novelty"]
    overall = ev.ranking.set_index("model")["novelty"]
    for model in ("a", "pop"):  # full lists: the per-user mean is the ranking's novelty
        assert per_user[model].mean() == pytest.approx(overall[model])
    row = evaluation.conclusions(ev, baseline="pop").set_index("job")
    row = row.loc["less obvious movies (not worse than pop)"]
    assert row["model"] in ("a", "b") and row["tied_with"] == ({"a", "b"} - {row["model"]}).pop()
    assert "bits (95 % interval" in row["evidence"]  # the same lists: a tie, said with its interval


def test_the_cheapest_model_is_tied_with_those_one_timing_cannot_tell_apart(split):
    import dataclasses

    train, test = split
    ev = evaluation.evaluate(
        {"a": Oracle(test), "b": Oracle(test), "pop": Popularity()}, train, test, k=3
    )

    def cheapest(ms_a: float, ms_b: float) -> pd.Series:
        times = {"a": ms_a, "b": ms_b, "pop": 0.01}  # pop is fastest but does not beat itself
        ranking = ev.ranking.assign(recommend_ms_per_user=ev.ranking["model"].map(times))
        table = evaluation.conclusions(dataclasses.replace(ev, ranking=ranking), baseline="pop")
        return table.set_index("job").loc["cheapest to serve (beats pop)"]

    row = cheapest(1.0, 2.9)  # within COST_TIE = 3x: tied
    assert (row["model"], row["tied_with"]) == ("a", "b")
    assert "b 2.90 ms" in row["evidence"]
    row = cheapest(3.5, 1.0)  # more than 3x apart: b alone
    assert (row["model"], row["tied_with"]) == ("b", "")
    assert "not told apart" not in row["evidence"]


def test_evaluation_plots(comparison):
    import matplotlib.pyplot as plt

    from zeerec import plots

    ev = comparison
    figs = [
        plots.ranking_metrics(ev.ranking, k=3),
        plots.rating_metrics(ev.rating),
        plots.evaluation_cost(ev.ranking.assign(fit_s=[0.01, np.nan, 2.0])),
        plots.metric_by_activity(ev.by_activity, "ndcg@3"),
    ]
    ax = figs[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == ev.best()  # best on top
    assert len(ax.patches) == 4 * len(ev.ranking)
    assert figs[2].axes[0].get_xscale() == "log"
    labels = [t.get_text() for t in figs[3].axes[0].get_legend().get_texts()]
    assert labels[0].startswith("cold")
    for fig in figs:
        plt.close(fig)


def test_a_prefitted_model_that_saw_test_ratings_is_refused(split):
    train, test = split
    everything = pd.concat([train, test], ignore_index=True)
    cheat = EASE(lam=5.0).fit(everything)
    with pytest.raises(ValueError, match=r"fitted on \d+ of the test ratings"):
        evaluation.evaluate({"cheat": cheat}, train, test, k=3)
    ev = evaluation.evaluate({"cheat": cheat}, train, test, k=3, refit=True)  # refitted: fine
    assert not np.isnan(ev.ranking.loc[0, "fit_s"])
    evaluation.check_not_trained_on(EASE(lam=5.0).fit(train), test)  # the honest one passes


def test_conclusions_name_a_winner_only_outside_the_interval(split):
    train, test = split
    models = {"EASE": EASE(lam=5.0), "EASE again": EASE(lam=5.0), "pop": Popularity()}
    ev = evaluation.evaluate(models, train, test, k=3)
    top = evaluation.conclusions(ev, baseline="pop").iloc[0]
    assert top["model"] in ("EASE", "EASE again")
    assert top["tied_with"] == ({"EASE", "EASE again"} - {top["model"]}).pop()
    assert "so tied" in top["evidence"]  # the runner-up is its identical twin
    lead = evaluation.paired_difference(ev.per_user, "ndcg", "EASE", "pop")
    assert lead["verdict"] == "EASE" and lead["lo"] > 0  # the block structure is easy


def test_the_star_verdict_reads_the_rmse_interval():
    from zeerec.models.baseline import BiasBaseline, GlobalMean

    rng = np.random.default_rng(2)  # stars = 3 + a user bias + a movie bias + noise
    users, movies = np.repeat(np.arange(1, 201), 20), rng.integers(1, 61, 4000)
    stars = 3 + rng.normal(0, 0.7, 201)[users] + rng.normal(0, 0.7, 61)[movies]
    ratings = pd.DataFrame(
        {"user_id": users, "movie_id": movies, "rating": np.clip(np.rint(stars), 1, 5)}
    ).drop_duplicates(["user_id", "movie_id"])
    train, test = stratified_split(ratings, test_size=0.25, seed=1)
    models = {"bias": BiasBaseline(), "bias again": BiasBaseline(), "mean": GlobalMean()}
    ev = evaluation.evaluate(models, train, test, k=3)
    stars = evaluation.conclusions(ev).set_index("job").loc["predicting stars"]
    assert stars["model"] in ("bias", "bias again")
    assert stars["tied_with"] == ({"bias", "bias again"} - {stars["model"]}).pop()
    assert "95 % interval of the difference" in stars["evidence"] and "so tied" in stars["evidence"]
    gap = evaluation.rmse_difference(ev.rating_per_user, "mean", "bias")
    assert gap["difference"] > 0 and gap["verdict"] == ("bias" if gap["lo"] > 0 else "tied")


@pytest.mark.parametrize("kind", ["stratified", "temporal"])
def test_tuning_fits_and_judges_only_carvings_of_the_training_split(split, kind, monkeypatch):
    """The tuner is handed the training split alone, and carves it the way the test split
    was made: with a temporal split, validation is each user's latest training ratings."""
    train, test = split
    train = train.assign(timestamp=np.arange(len(train)))  # later rows are later ratings
    fitted, judged = [], []
    real_fit, real_judged = Recommender.fit, evaluation.harness._judged

    def fit_spy(self, data):
        fitted.append(data)
        return real_fit(self, data)

    def judged_spy(tr, te, *args):
        judged.append(te)
        return real_judged(tr, te, *args)

    monkeypatch.setattr(Recommender, "fit", fit_spy)
    monkeypatch.setattr(evaluation.harness, "_judged", judged_spy)
    evaluation.tune("EASE", train, {"lam": [5.0, 50.0]}, k=3, split_kind=kind, n_test=2)
    train_keys = set(zip(train["user_id"], train["movie_id"], strict=True))
    test_keys = set(zip(test["user_id"], test["movie_id"], strict=True))
    for part in [*fitted, *judged]:
        keys = set(zip(part["user_id"], part["movie_id"], strict=True))
        assert keys <= train_keys and not keys & test_keys
    if kind == "temporal":
        latest = train.sort_values("timestamp").groupby("user_id").tail(2)
        assert set(zip(judged[0]["user_id"], judged[0]["movie_id"], strict=True)) == set(
            zip(latest["user_id"], latest["movie_id"], strict=True)
        )


def test_coordinate_search_moves_one_knob_at_a_time_and_fits_each_setting_once(split, monkeypatch):
    """With a known validation score the search must walk to its best along the axes,
    visit each setting once, and stop after a pass that changes nothing."""
    train, _ = split
    visits = []

    def fake_scorer(make_model, carvings, k, n_users, seed):
        def score(params):
            visits.append(dict(params))
            # best at a=3, b="y"; b's effect depends on a so one pass is not enough
            a, b = params["a"], params["b"]
            return {"ndcg@3": -((a - 3) ** 2) + (1.0 if b == "y" and a >= 2 else 0.0), "fit_s": 0}

        return score

    monkeypatch.setattr(evaluation.tuning, "_scorer", fake_scorer)
    best, table = evaluation.coordinate_search(
        lambda **kw: None, {"b": ["x", "y"], "a": [1, 2, 3, 4]}, {"a": 1, "b": "x"}, train, k=3
    )
    assert best == {"a": 3, "b": "y"}
    keys = [tuple(sorted(v.items())) for v in visits]
    assert len(keys) == len(set(keys)), "a setting was fitted twice"
    assert table["step"].iloc[0] == "start" and set(table["step"]) == {"start", "a", "b"}
    assert table["pass"].max() == 2  # pass 2 moves b to "y"; no pass 3 was needed
    assert len(table) == len(visits) <= 1 + 2 * (2 + 4)


def test_coordinate_search_minimises_rmse_and_starts_from_the_models_defaults(split):
    train, test = split
    start = evaluation.tuning.defaults("bias baseline")
    best, table = evaluation.tune(
        "bias baseline", train, {"reg_movie": [0.0, 5.0, 1e6]}, search="coordinate",
        metric="rmse", k=3, passes=1,
    )  # fmt: skip
    assert table.loc[0, "step"] == "start" and table.loc[0, "reg_movie"] == start["reg_movie"]
    assert best["reg_movie"] == table.loc[table["rmse"].idxmin(), "reg_movie"]
    assert table["rmse"].notna().all() and table["rmse"].nunique() > 1
    with pytest.raises(ValueError, match="rmse"):
        evaluation.tune("EASE", train, {"lam": [5.0]}, metric="rmse", k=3)
