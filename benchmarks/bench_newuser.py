"""New-user protocol (issue 11): which list to believe for someone who rated a few movies.

Run: .venv/bin/python benchmarks/bench_newuser.py [--dry-run] [--users 500]

Writes the "## New-user protocol (issue 11)" section of BENCHMARKS.md (``--dry-run``
prints it instead). On ML-100K and the ML-1M slice
(:func:`zeerec.evaluation.newuser_protocol.protocol`): 500 seeded users with at least
30 ratings are held out entirely; every model learns from the others; each held-out
user's first N ratings by time (N = 4 and 10) are the profile, every later rating is
relevant; the top 10 excludes the profile. Contenders: every registry model that ranks
and takes a profile (read from the registry when the script runs) and notebook 06's four
methods, MF fold-in against a one-member BiasedMF (32 factors, at most 8 epochs)
trained here on the users not held out. 95 % paired bootstrap intervals over the
held-out users (1,000 resamples).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from common import SHARED, log, publish
from common import markdown_table as fmt

from zeerec import data
from zeerec.evaluation.newuser_protocol import MF_SETTINGS, ProtocolResult, protocol, standing

SECTION = "## New-user protocol (issue 11)"
K = 10
SEED = 42
PROFILES = (4, 10)
DATASETS = (("ML-100K", SHARED / "ml-100k"), ("ML-1M slice", SHARED / "ml-1m-slice"))


def _interval(row: pd.Series, metric: str) -> str:
    return f"{row[f'{metric}@{K}']:.3f} [{row[f'{metric}_lo']:.3f}, {row[f'{metric}_hi']:.3f}]"


def result_table(res: ProtocolResult, n: int) -> pd.DataFrame:
    """One profile size: models by NDCG@10, each mean with its 95 % interval."""
    t = res.table[res.table["n_profile"] == n].sort_values(f"ndcg@{K}", ascending=False)
    return pd.DataFrame(
        {
            "model": t["model"],
            f"P@{K} [95 % CI]": [_interval(r, "precision") for _, r in t.iterrows()],
            f"NDCG@{K} [95 % CI]": [_interval(r, "ndcg") for _, r in t.iterrows()],
            "coverage": t["coverage"],
            "novelty": t["novelty"],
            "fit_s": t["fit_s"],
            "ms/list": t["ms_per_list"],
        }
    )


def versus_lines(res: ProtocolResult) -> list[str]:
    lines, said = [], set()
    for r in res.versus.itertuples():
        pair = (r.n_profile, r.metric, frozenset((r.a, r.b)))
        if pair in said:  # the best is popularity, or popularity is the runner-up
            continue
        said.add(pair)
        name = "P@10" if r.metric == "precision" else "NDCG@10"
        verdict = "tied" if r.verdict == "tied" else f"{r.verdict} ahead"
        lines.append(
            f"- N = {r.n_profile}, {name}: {r.a} − {r.b} = {r.difference:+.4f} "
            f"[{r.lo:+.4f}, {r.hi:+.4f}] ({r.relative:+.1%} of {r.b}); {verdict}."
        )
    return lines


def standing_lines(res: ProtocolResult) -> list[str]:
    """Per profile size: the best by NDCG@10 and every model tied with it."""
    lines = []
    for n in PROFILES:
        s = standing(res, n, seed=SEED)
        tied = ", ".join(s["tied"]) or "none"
        lines.append(
            f"- N = {n}: {s['best']} scores highest (NDCG@10 {s['mean']:.3f}); tied with it "
            f"(paired 95 % interval of the difference covering 0): {tied}."
        )
    return lines


def acceptance(res: ProtocolResult) -> list[str]:
    """Issue 11: the best method at least popularity at N = 4, 10 % above it at N = 10."""
    v = res.versus[(res.versus["against"] == "popularity") & (res.versus["metric"] == "ndcg")]
    v = v.set_index("n_profile")
    out = []
    for n, need in ((4, 0.0), (10, 0.10)):
        if n not in v.index:
            continue
        r = v.loc[n]
        ok = r["relative"] >= need  # on the means; the interval is printed beside it
        out.append(
            f"- N = {n}: best model other than popularity, {r['a']}, NDCG@10 "
            f"{r['relative']:+.1%} relative to popularity (interval of the difference "
            f"{r['lo']:+.4f} to {r['hi']:+.4f}); target "
            f"{'≥ popularity' if need == 0 else '≥ +10 %'}: {'met' if ok else 'NOT met'}."
        )
    return out


READING = [
    "Reading (rerun 2026-11-29 after two changes). (1) The held-out users are now the first",
    "500 of one seeded shuffle, so notebook 06's smaller draw is part of them; the earlier",
    "draw was not nested, and its 100 users could include validation users of the",
    "new-user tuning. (2) `for_profiles`: the values chosen for new users on validation",
    "users outside these 500 (`tune_newuser.py`). The new draw holds out other people, and",
    "the ML-100K figures moved with it more than any knob moved them: item-kNN cosine at",
    "N = 10 is +16.5 % NDCG@10 over popularity on this draw, +8.1 % on the earlier one, so",
    "the +10 % target is met on this draw but not robustly. At N = 4 popularity still",
    "leads on ML-100K by P@10 (+0.025, interval +0.000 to +0.049; NDCG@10 tied); the",
    "ranking blend, added since (P@10 0.381 at N = 4), does not change that, nor does",
    "item-kNN BM25 (rerun 2026-11-30, same draw, every other row unchanged: P@10 0.395 at",
    "N = 4, 0.387 at N = 10, below the star-cosine item-kNN's 0.444 and 0.463). On the",
    "slice both targets hold: N = 4 the ranking blend +13.5 % NDCG@10 over popularity",
    "(ahead of implicit ALS, +0.0066 [+0.0009, +0.0125]; tied with Mult-VAE), N = 10",
    "item-kNN BM25 +28.9 % (tied with RP3beta, +26.6 % before it was added, item-kNN",
    "cosine, EASE and the hybrid).",
    "",
    "Checked and not adopted (2026-11-29): the same protocol run with the values",
    "`tune_newuser.py` chose on each data set's own validation users, where they differ",
    "from the registry's, as extra contenders. On ML-100K implicit ALS with 128 factors,",
    "reg 100, alpha 1 and 25 iterations leads at N = 4 (P@10 0.556 [0.531, 0.581] against",
    "popularity's 0.469), but its 500 lists hold 13 distinct movies: a comedy fan (Home",
    "Alone, Ace Ventura, Dumb & Dumber, Mrs. Doubtfire), a science-fiction fan and a Jane",
    "Austen fan all get Star Wars, Return of the Jedi, Fargo, Raiders, Toy Story. That is",
    "popularity reordered, not a personal list, so it is not counted as meeting the N = 4",
    "target; the tuner's score rewards it because these users' later ratings are mostly",
    "popular movies. On the slice the extra contenders changed no conclusion (RP3beta",
    "with beta 0.3 P@10 0.352 at N = 4, tied with the registry's implicit ALS, 0.345).",
    "",
    "Mult-VAE's and the ranking blend's rows here were trained with float32 matrix products",
    "(before commit fcf66fa); on a CPU with native bfloat16 dot products Mult-VAE now",
    "trains them in bfloat16, which left its warm-user P@10 unchanged to three decimals on",
    'five split seeds ("Every model over five split seeds"); the new-user rows were not',
    "rerun.",
    "",
]


def bench(label: str, folder: Path, n_users: int) -> tuple[list[str], ProtocolResult]:
    ml = data.load(folder)
    log(f"{label}: {len(ml.ratings):,} ratings")
    start = time.perf_counter()
    res = protocol(
        ml.ratings,
        ml.movies,
        n_profiles=PROFILES,
        n_users=n_users,
        k=K,
        seed=SEED,
        progress=lambda m: log(f"  {label}: {m}"),
    )
    wall = time.perf_counter() - start
    i = res.info
    out = [
        f"### {label}",
        "",
        f"{i['n_held_out']:,} of the {i['n_eligible']:,} users with ≥ {i['min_ratings']} "
        f"ratings held out (seed {SEED}); the models learned from the other "
        f"{i['n_train_users']:,} users' {i['n_train_ratings']:,} ratings. Whole run: "
        f"{wall:.0f} s.",
        "",
    ]
    for n in PROFILES:
        out += [
            f"Profile = first {n} ratings:",
            "",
            fmt(result_table(res, n), seconds_digits=2),
            "",
        ]
    out += [
        "Paired differences (the best model against the runner-up, and the best model "
        "other than popularity against popularity):",
        "",
        *versus_lines(res),
        "",
    ]
    out += ["Which list to believe:", "", *standing_lines(res), ""]
    out += ["Issue 11's acceptance:", "", *acceptance(res), ""]
    if res.skipped:
        out += ["Not scored: " + "; ".join(f"{k} ({v})" for k, v in res.skipped.items()) + ".", ""]
    return out, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the section instead")
    parser.add_argument("--users", type=int, default=500, help="held-out users")
    args = parser.parse_args()
    mf = MF_SETTINGS
    lines = [
        SECTION,
        "",
        "`benchmarks/bench_newuser.py`. Issue 11, item 4: notebook 06 shows four lists for a "
        "user with four ratings; this scores them. On each data set, "
        f"{args.users} users with at least 30 ratings (seed {SEED}) are held out entirely "
        "and every model learns from everybody else; a held-out user's first N ratings by "
        "timestamp, with their stars, are the profile passed to `model.recommend(profile, "
        "n=10)`; every later rating of theirs is relevant, whatever its stars; the top 10 "
        "never holds a profile movie. Contenders: every registry model that ranks and takes "
        "a profile, as the registry stood when this ran, plus notebook 06's four methods "
        "(user-based CF, content-based and hybrid with notebook 06's settings; MF fold-in "
        f"against a one-member BiasedMF with {mf['factors']} factors and at most "
        f"{mf['epochs']} epochs trained on the users not held out — notebook 05's saved "
        "model learned from everyone, the held-out users included, so it cannot be used). "
        "Intervals: 95 % paired bootstrap over the held-out users, 1,000 resamples. "
        "Coverage: distinct recommended movies / the training movies; novelty: mean "
        "−log2 of each recommended movie's share of the training ratings (both as "
        "`zeerec.metrics`, microsoft/recommenders' conventions). One split seed; fit and "
        "list times were taken on 2 shared, busy cores and are only a rough guide.",
        "",
    ]
    results = {}
    for label, folder in DATASETS:
        out, results[label] = bench(label, folder, args.users)
        lines += out
    publish(SECTION, [*lines, *READING], dry_run=args.dry_run)
    slice_best = results["ML-1M slice"].best(4)
    log(f"best on the slice at N = 4 (NDCG@10): {slice_best}")


if __name__ == "__main__":
    main()
