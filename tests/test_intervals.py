"""Paired bootstrap intervals: the vectorised draws against a plain loop, and verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.evaluation import (
    bootstrap_means,
    evaluate,
    paired_difference,
    rmse_difference,
    rmse_intervals,
)


def _per_user(values: dict[str, list[float]]) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"model": m, "user_id": np.arange(len(v)), "ndcg": v})
        for m, v in values.items()
    ]
    return pd.concat(frames, ignore_index=True)


def test_means_and_intervals_match_a_plain_bootstrap_loop():
    rng = np.random.default_rng(5)
    a, b = rng.random(40), rng.random(40) * 0.5
    table = bootstrap_means(_per_user({"a": a, "b": b}), "ndcg", resamples=300, seed=9)
    draws = np.random.default_rng(9).integers(0, 40, size=(300, 40))
    for name, x in (("a", a), ("b", b)):
        means = np.array([x[row].mean() for row in draws])
        row = table.set_index("model").loc[name]
        assert row["mean"] == pytest.approx(x.mean())
        assert row["lo"] == pytest.approx(np.quantile(means, 0.025))
        assert row["hi"] == pytest.approx(np.quantile(means, 0.975))
        assert row["n_users"] == 40


def test_paired_difference_names_a_winner_only_when_the_interval_excludes_zero():
    rng = np.random.default_rng(1)
    base = rng.random(200)
    per_user = _per_user({"same": base, "copy": base.copy(), "better": base + 0.05})
    tied = paired_difference(per_user, "ndcg", "same", "copy")
    assert tied["verdict"] == "tied" and tied["lo"] == tied["hi"] == 0
    win = paired_difference(per_user, "ndcg", "better", "same")
    assert win["verdict"] == "better" and win["lo"] == pytest.approx(0.05)
    assert paired_difference(per_user, "ndcg", "same", "better")["verdict"] == "better"
    noisy = _per_user({"x": rng.random(30), "y": rng.random(30)})
    result = paired_difference(noisy, "ndcg", "x", "y", seed=3)
    assert result["lo"] < result["difference"] < result["hi"]


def test_pairing_narrows_the_interval_and_drops_unpaired_users():
    rng = np.random.default_rng(2)
    hard = rng.random(300) * 3  # users differ a lot; both models share that
    per_user = _per_user({"a": hard + 0.02, "b": hard})
    separate = bootstrap_means(per_user, "ndcg").set_index("model")
    paired = paired_difference(per_user, "ndcg", "a", "b")
    assert paired["verdict"] == "a"  # separate intervals overlap, the paired one does not
    assert separate.loc["a", "lo"] < separate.loc["b", "hi"]
    gaps = per_user.copy()
    gaps.loc[(gaps["model"] == "a") & (gaps["user_id"] < 10), "ndcg"] = np.nan
    assert paired_difference(gaps, "ndcg", "a", "b")["n_users"] == 290
    with pytest.raises(ValueError, match="no per-user metric"):
        bootstrap_means(per_user, "rmse")
    with pytest.raises(ValueError, match="model"):
        paired_difference(per_user, "ndcg", "a", "zzz")


def _errors(per_user_sq: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """model, user_id, sse, n from each model's squared errors, one array per user."""
    return pd.DataFrame(
        [
            {"model": m, "user_id": u, "sse": float(e.sum()), "n": len(e)}
            for m, users in per_user_sq.items()
            for u, e in enumerate(users)
        ]
    )


def test_rmse_intervals_match_a_plain_loop_over_drawn_users():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 20, size=30)
    a = [rng.normal(0, 1, n) ** 2 for n in sizes]
    table = rmse_intervals(_errors({"a": a}), resamples=200, seed=4).set_index("model")
    draws = np.random.default_rng(4).integers(0, 30, size=(200, 30))
    boot = [np.sqrt(np.concatenate([a[u] for u in row]).mean()) for row in draws]
    assert table.loc["a", "mean"] == pytest.approx(np.sqrt(np.concatenate(a).mean()))
    assert table.loc["a", "lo"] == pytest.approx(np.quantile(boot, 0.025))
    assert table.loc["a", "hi"] == pytest.approx(np.quantile(boot, 0.975))


def test_rmse_difference_names_the_lower_rmse_only_when_the_interval_excludes_zero():
    rng = np.random.default_rng(8)
    sizes = rng.integers(5, 30, size=300)
    sq = [rng.normal(0, 1, n) ** 2 for n in sizes]
    errors = _errors({"same": sq, "copy": [e.copy() for e in sq], "worse": [e * 1.3 for e in sq]})
    tied = rmse_difference(errors, "same", "copy")
    assert tied["verdict"] == "tied" and tied["difference"] == 0
    win = rmse_difference(errors, "worse", "same")
    assert win["verdict"] == "same" and win["difference"] > 0 and win["lo"] > 0


def test_evaluation_keeps_each_users_squared_errors(tmp_path):
    from zeerec.models.baseline import BiasBaseline

    rng = np.random.default_rng(0)
    movies = [rng.choice(np.arange(1, 31), size=12, replace=False) for _ in range(40)]
    ratings = pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(1, 41), 12),
            "movie_id": np.concatenate(movies),
            "rating": rng.integers(1, 6, 480),
        }
    )
    test_rows = ratings.groupby("user_id").tail(3)
    train = ratings.drop(test_rows.index)
    ev = evaluate({"bias": BiasBaseline()}, train, test_rows, k=5)
    errors = ev.rating_per_user
    assert errors["n"].sum() == ev.rating.loc[0, "n_ratings"]
    rmse = np.sqrt(errors["sse"].sum() / errors["n"].sum())
    assert rmse == pytest.approx(ev.rating.loc[0, "rmse"])
    assert rmse_intervals(errors).loc[0, "mean"] == pytest.approx(rmse)


def test_rating_errors_per_user_sums_each_models_squared_errors_by_user():
    from zeerec.evaluation import rating_errors_per_user

    users = np.array([1, 2, 1, 3])
    out = rating_errors_per_user(users, {"a": np.array([1.0, 4.0, 0.25, 9.0]), "b": np.ones(4)})
    a = out[out["model"] == "a"].set_index("user_id")
    assert a.loc[1, "sse"] == 1.25 and a.loc[1, "n"] == 2 and a.loc[3, "sse"] == 9.0
    assert out[out["model"] == "b"]["sse"].sum() == 4.0
    d = rmse_difference(out, "a", "b", resamples=200)
    assert d["difference"] == pytest.approx(np.sqrt(14.25 / 4) - 1.0)
    assert list(rating_errors_per_user(users, {}).columns) == ["model", "user_id", "sse", "n"]
