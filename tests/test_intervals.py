"""Paired bootstrap intervals: the vectorised draws against a plain loop, and verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.evaluation import bootstrap_means, paired_difference


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
