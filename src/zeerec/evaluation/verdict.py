"""Reading the tables: which model does which job best, with the numbers that say so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zeerec.evaluation.harness import Evaluation


def conclusions(ev: Evaluation, baseline: str = "popularity") -> pd.DataFrame:
    """The best model for each job, with the numbers that say so — read off the tables.

    Jobs: a top-k list for a typical user (highest NDCG@k), predicting stars (lowest
    RMSE), users with the fewest and the most ratings (highest NDCG@k in the coldest
    and the heaviest activity bucket present), less obvious movies (highest novelty
    among models at least as accurate as ``baseline``), and cost (the fastest
    recommender among those that beat ``baseline`` on NDCG@k). A job without a
    candidate is left out.
    """
    k = ev.k
    nd, pk = f"ndcg@{k}", f"precision@{k}"
    rank = ev.ranking.set_index("model")
    base_ndcg = rank[nd].get(baseline, np.nan)
    best = str(rank[nd].idxmax())
    vs_base = "" if np.isnan(base_ndcg) or best == baseline else f", {baseline} {base_ndcg:.3f}"
    rows = [
        (
            f"top-{k} list for a typical user",
            best,
            f"NDCG@{k} {rank.loc[best, nd]:.3f}, precision@{k} {rank.loc[best, pk]:.3f}"
            f"{_runner_up(rank[nd], best)}{vs_base}",
        )
    ]
    if not ev.rating.empty:
        r = ev.rating.set_index("model")["rmse"]
        top = str(r.idxmin())
        rows.append(("predicting stars", top, f"RMSE {r[top]:.3f}{_runner_up(r, top, False)}"))
    rows += _activity_ends(ev, nd)
    rows += _novelty_and_cost(rank, baseline, base_ndcg, nd)
    return pd.DataFrame(rows, columns=["job", "model", "evidence"])


def _runner_up(series: pd.Series, best: str, higher: bool = True) -> str:
    rest = series.drop(best)
    if rest.empty:
        return ""
    other = rest.idxmax() if higher else rest.idxmin()
    return f"; next best {other}: {rest[other]:.3f}"


def _activity_ends(ev: Evaluation, nd: str) -> list[tuple[str, str, str]]:
    """The best model for the coldest and for the heaviest activity bucket present."""
    buckets = list(dict.fromkeys(ev.by_activity["activity"]))  # coldest first
    ends = [("users with the fewest ratings", buckets[0])] if buckets else []
    if len(buckets) > 1:
        ends.append(("users with the most ratings", buckets[-1]))
    rows = []
    for label, bucket in ends:
        part = ev.by_activity[ev.by_activity["activity"] == bucket].set_index("model")[nd]
        top = str(part.idxmax())
        evidence = f"NDCG@{ev.k} {part[top]:.3f} in this bucket{_runner_up(part, top)}"
        rows.append((f"{label}: {bucket}", top, evidence))
    return rows


def _novelty_and_cost(rank, baseline, base_ndcg, nd) -> list[tuple[str, str, str]]:
    """Most novel among models as accurate as the baseline; cheapest among those beating it."""
    rows = []
    good = rank[rank[nd] >= base_ndcg] if not np.isnan(base_ndcg) else rank
    good = good.drop(index=baseline, errors="ignore")
    if not good.empty:
        top = str(good["novelty"].idxmax())
        rows.append(
            (
                "less obvious movies (as accurate as popularity or better)",
                top,
                f"novelty {good.loc[top, 'novelty']:.2f} bits, coverage "
                f"{good.loc[top, 'coverage']:.0%} of the catalogue, "
                f"{nd.upper()} {good.loc[top, nd]:.3f}",
            )
        )
    better = rank[rank[nd] > base_ndcg] if not np.isnan(base_ndcg) else rank
    if not better.empty:
        cost = better["recommend_ms_per_user"]
        top = str(cost.idxmin())
        rows.append(
            (
                f"cheapest to serve (beats {baseline})" if not np.isnan(base_ndcg) else "cheapest",
                top,
                f"{cost[top]:.2f} ms per user, fit {better.loc[top, 'fit_s']:.1f} s, "
                f"{nd.upper()} {better.loc[top, nd]:.3f}",
            )
        )
    return rows
