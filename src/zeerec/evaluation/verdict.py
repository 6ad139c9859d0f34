"""Reading the tables: which model does which job best, with the numbers that say so.

A model is named the best at a top-k job only when the paired bootstrap interval of its
lead over each other model excludes 0; models whose interval covers 0 are listed as
tied with it (:mod:`zeerec.evaluation.intervals`).
"""

from __future__ import annotations

import pandas as pd

from zeerec.evaluation.harness import Evaluation
from zeerec.evaluation.intervals import paired_difference, rmse_difference

COLUMNS = ["job", "model", "tied_with", "evidence"]
COST_TIE = 3.0
"""Recommenders whose time per user is within this factor of the fastest one's are tied
with it on cost. Timed once, the same model's lists took up to 2.8 times longer in one
report than in another on the same data, machine and code (ML-1M size, 2026-11-30:
implicit ALS 0.11-0.28 ms per user); the harness now keeps the fastest of up to five
runs of a quick model (:data:`~zeerec.evaluation.harness.TIMING_REPEATS`), and two
reports on the ML-1M slice then agreed to within 1.3 times on every model that scores
users in blocks, and named the same ties at 3 times."""


def conclusions(
    ev: Evaluation, baseline: str = "popularity", resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """The best model for each job, with the numbers that say so — read off the tables.

    Jobs: a top-k list for a typical user (highest NDCG@k), predicting stars (lowest
    RMSE), users with the fewest and the most ratings (highest NDCG@k in the coldest
    and the heaviest activity bucket present), less obvious movies (highest novelty
    among models not worse than ``baseline`` on NDCG@k), and cost (the fastest
    recommender among those that beat ``baseline`` on NDCG@k). ``tied_with`` lists the
    models the leader cannot be told apart from (paired 95 % interval of the NDCG@k
    difference covers 0; for novelty, that of the per-user novelty difference; for
    cost, a time per user within :data:`COST_TIE` times the fastest); "beats" and "not
    worse" use the NDCG@k interval. A job without
    a candidate is left out.
    """
    k = ev.k
    nd, pk = f"ndcg@{k}", f"precision@{k}"
    rank = ev.ranking.set_index("model")
    best = str(rank[nd].idxmax())
    tied, margin = _ties(ev.per_user, "ndcg", best, list(rank.index), resamples, seed)
    rows = [
        (
            f"top-{k} list for a typical user",
            best,
            tied,
            f"NDCG@{k} {rank.loc[best, nd]:.3f}, precision@{k} {rank.loc[best, pk]:.3f}{margin}",
        )
    ]
    if not ev.rating.empty:
        rows.append(_best_rmse(ev, resamples, seed))
    rows += _activity_ends(ev, nd, resamples, seed)
    rows += _novelty_and_cost(ev, rank, baseline, nd, resamples, seed)
    return pd.DataFrame(rows, columns=COLUMNS)


def _ties(per_user, metric, best, models, resamples, seed, unit="") -> tuple[str, str]:
    """Models tied with ``best`` on ``metric`` and a phrase on its lead over the runner-up."""
    diffs = {
        m: paired_difference(per_user, metric, best, m, resamples=resamples, seed=seed)
        for m in models
        if m != best
    }
    if not diffs:
        return "", ""
    tied = [m for m, d in diffs.items() if d["verdict"] == "tied"]
    runner_up = min(diffs, key=lambda m: diffs[m]["difference"])
    d = diffs[runner_up]
    margin = (
        f"; ahead of {runner_up} by {d['difference']:+.3f}{unit} "
        f"(95 % interval {d['lo']:+.3f} to {d['hi']:+.3f}"
        + (", so tied)" if d["verdict"] == "tied" else ")")
    )
    return ", ".join(tied), margin


def _best_rmse(ev: Evaluation, resamples: int, seed: int) -> tuple:
    """The lowest RMSE, the models it cannot be told apart from, its lead on the next."""
    r = ev.rating.set_index("model")["rmse"]
    top = str(r.idxmin())
    errors = ev.rating_per_user
    if errors.empty or len(r) == 1:  # an Evaluation built by hand has no per-user errors
        return ("predicting stars", top, "", f"RMSE {r[top]:.3f}")
    diffs = {m: rmse_difference(errors, top, m, resamples=resamples, seed=seed) for m in r.index}
    diffs.pop(top)
    tied = [m for m, d in diffs.items() if d["verdict"] == "tied"]
    runner_up = str(r.drop(top).idxmin())
    d = diffs[runner_up]
    evidence = (
        f"RMSE {r[top]:.3f}; {r[runner_up] - r[top]:.3f} stars below {runner_up} "
        f"(95 % interval of the difference {-d['hi']:.3f} to {-d['lo']:.3f}"
        + (", so tied)" if d["verdict"] == "tied" else ")")
    )
    return ("predicting stars", top, ", ".join(tied), evidence)


def _activity_ends(ev: Evaluation, nd: str, resamples: int, seed: int) -> list[tuple]:
    """The best model for the coldest and for the heaviest activity bucket present."""
    buckets = list(dict.fromkeys(ev.by_activity["activity"]))  # coldest first
    ends = [("users with the fewest ratings", buckets[0])] if buckets else []
    if len(buckets) > 1:
        ends.append(("users with the most ratings", buckets[-1]))
    rows = []
    for label, bucket in ends:
        part = ev.by_activity[ev.by_activity["activity"] == bucket].set_index("model")[nd]
        top = str(part.idxmax())
        users = ev.per_user[ev.per_user["activity"].astype(str) == bucket]
        tied, margin = _ties(users, "ndcg", top, list(part.index), resamples, seed)
        evidence = f"NDCG@{ev.k} {part[top]:.3f} in this bucket{margin}"
        rows.append((f"{label}: {bucket}", top, tied, evidence))
    return rows


def _novelty_and_cost(ev, rank, baseline, nd, resamples, seed) -> list[tuple]:
    """Most novel among models not worse than the baseline; cheapest among those beating it."""
    if baseline in rank.index:
        verdicts = {
            m: paired_difference(ev.per_user, "ndcg", m, baseline, resamples=resamples, seed=seed)
            for m in rank.index
            if m != baseline
        }
        good = rank.loc[[m for m, d in verdicts.items() if d["verdict"] != baseline]]
        better = rank.loc[[m for m, d in verdicts.items() if d["verdict"] == m]]
    else:
        good = better = rank
    rows = []
    if not good.empty:
        top = str(good["novelty"].idxmax())
        tied, margin = ("", "")
        if "novelty" in ev.per_user.columns:  # an Evaluation built by hand may lack it
            tied, margin = _ties(
                ev.per_user, "novelty", top, list(good.index), resamples, seed, unit=" bits"
            )
        rows.append(
            (
                f"less obvious movies (not worse than {baseline})",
                top,
                tied,
                f"novelty {good.loc[top, 'novelty']:.2f} bits{margin}, "
                f"coverage {good.loc[top, 'coverage']:.0%} of the training movies, "
                f"{nd.upper()} {good.loc[top, nd]:.3f}",
            )
        )
    if not better.empty:
        cost = better["recommend_ms_per_user"].sort_values(kind="stable")
        top = str(cost.index[0])
        close = [str(m) for m in cost.index[1:] if cost[m] <= COST_TIE * cost[top]]
        within = (
            f"; timings within {COST_TIE:g}× of the fastest are not told apart: "
            + ", ".join(f"{m} {cost[m]:.2f} ms" for m in close)
            if close
            else ""
        )
        rows.append(
            (
                f"cheapest to serve (beats {baseline})" if baseline in rank.index else "cheapest",
                top,
                ", ".join(close),
                f"{cost[top]:.2f} ms per user, fit {better.loc[top, 'fit_s']:.1f} s, "
                f"{nd.upper()} {better.loc[top, nd]:.3f}{within}",
            )
        )
    return rows
