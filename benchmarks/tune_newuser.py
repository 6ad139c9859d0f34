"""Knobs for new users, chosen on validation users the way the new-user protocol judges.

The registry's ``tuned`` values were chosen for warm users (``tune_all.py``: a carving
of each user's own ratings). A person who has rated four or ten movies is another
task: the same model may want other knobs (e.g. item-kNN's rule for a profile's
disliked movies). This script runs the one tuner (:func:`zeerec.evaluation.tune`,
coordinate search over each model's declared space, from its registry values) with
the new-user protocol's own scoring
(:func:`zeerec.evaluation.newuser_protocol.validation_scorer`):

- the protocol's split of the data set (seed 42: 500 users with ≥ 30 ratings held out
  entirely) is made and its held-out users are never read; a protocol of fewer users
  with the same seed (notebook 06's 100) holds out a part of these 500
  (:func:`~zeerec.evaluation.newuser_protocol.held_out_users`), so its users are never
  read here either;
- from the remaining users, 100 more (≥ 30 ratings) are held out as validation users;
  every setting learns from the rest and makes a top 10 for each validation user from
  their first 4 and first 10 ratings; three such draws (seeds 43, 44, 45) are pooled,
  so 300 validation users are judged while each fit keeps most of the protocol's
  training users (on ML-100K the protocol leaves 443 users to learn from);
- the score is NDCG@10, the mean of N = 4 and N = 10.

Rows are kept in ``benchmarks/results/tune_newuser.json`` (per data set and model);
``--write`` writes the BENCHMARKS.md section from every kept row.

Run: .venv/bin/python benchmarks/tune_newuser.py [--data ml-100k ml-1m-slice]
         [--models NAME ...] [--write]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from common import SHARED, keep, log, markdown_table, publish

from zeerec import data, evaluation, newuser
from zeerec.evaluation.newuser_protocol import new_user_split, validation_scorer
from zeerec.models import registry

SECTION = "## Knobs for new users, chosen on validation users (issue 11)"
SEED = 42
RESULTS = Path(__file__).resolve().parent / "results" / "tune_newuser.json"
COLUMNS = ("ndcg@10", "ndcg@10 N=4", "ndcg@10 N=10")
NOTE = [
    "Reading (2026-11-29, second run, after the protocol's draw became nested: the held-out",
    "users are the first N of one seeded shuffle). The choices are noisy: between the",
    "first run (the earlier draw) and this one, ML-100K's choice moved for EASE (λ 1000 →",
    "250), content (decade weight 0 → 1) and the hybrid, and the values written changed",
    "accordingly. What both data sets agreed on this time: the bias baseline's reg_movie",
    "25 (validation NDCG@10 0.227 → 0.372 on ML-100K, 0.154 → 0.231 on the slice, each at",
    "its own chosen values), more reg for implicit ALS (ML-100K 100, the slice 60, written",
    "60), user-kNN's min_support up (3 and 2, written 2), RP3beta's alpha 0.5 and",
    "Mult-VAE's 60 epochs. ML-100K's implicit ALS search rose from 0.376 to 0.504 with 128",
    "factors, reg 100, alpha 1 and 25 iterations, the slice's chose 32 factors, reg 60 and",
    "10 iterations: only the reg direction is shared. item-kNN cosine kept its values on",
    "ML-100K (the slice moved shrinkage to 25); item-kNN pearson kept its values on both.",
    "item-kNN BM25 (added later, tuned alone with `--models`, same draws): both data sets",
    "chose b 0.75 and more shrinkage (ML-100K 250 with the 'liked' rule, 0.381 → 0.399;",
    "the slice 25, 0.331 → 0.338); written: b 0.75, shrinkage 25, the rule kept (summed).",
    "The hybrid's popularity weight (added 2026-11-30, issue 11 item 3: its weights CF,",
    "content and popularity chosen on validation; tuned alone with `--models hybrid`, same",
    "draws): ML-100K kept 0 (the search moved cf_weight to 1.0 first; there, weights 0.5 to",
    "4 lowered validation NDCG@10 step by step, 0.388 → 0.358; exploratory sweeps outside",
    "the script fell the same way at cf_weight 0.75, 0.386 → 0.354, and on a raw-count",
    "scale climbed back only to popularity's own 0.362, where the list is popularity's),",
    "the slice chose 0.5 with cf_weight 0.5 (0.3226 → 0.3255). The two disagree, so the",
    "registry writes no popularity weight: the hybrid for new users is CF and content, as",
    "before.",
    "Issue 11's N = 4 target (the best method at or above popularity's P@10 on the",
    "protocol's 500 users: on ML-100K popularity 0.469, item-kNN cosine 0.444) was looked",
    "at on these validation draws (2026-11-30, a sweep outside the script, not written):",
    "there item-kNN cosine at its registry values is already ahead of popularity at N = 4",
    "(P@10 0.416 against 0.406, NDCG@10 0.442 against 0.394), and adding w times the",
    "standardised log count of raters to its standardised score moved N = 4 P@10 by at most",
    "+0.006 (0.423 at w 0.5; 0.400 at w 4). Validation gives no setting that would close the",
    "0.025 the test users show, so nothing is changed for it: on ML-100K the target stays",
    "unmet.",
]
VALIDATION_USERS, REPEATS = 100, 3  # ML-100K's protocol leaves 443 users to learn from


def tune_one(name: str, ml, train: pd.DataFrame, score) -> dict:
    began = time.perf_counter()
    best, table = evaluation.tune(
        name, train, movies=ml.movies, search="coordinate", metric="ndcg", k=10, passes=2,
        scorer=score,
    )  # fmt: skip
    knobs = list(registry.spec(name).knobs)
    first = table.iloc[0]
    start = {k: first[k] for k in knobs}
    chosen = next(r for _, r in table.iterrows() if all(r[k] == best[k] for k in knobs))
    row = {
        "model": name,
        "start": ", ".join(f"{k} {start[k]}" for k in knobs),
        "chosen": ", ".join(f"{k} {best[k]}" for k in knobs if best[k] != start[k])
        or "(the start)",
        **{f"{c} at start": float(first[c]) for c in COLUMNS},
        **{f"{c} at chosen": float(chosen[c]) for c in COLUMNS},
        "settings tried": len(table),
        "time_s": time.perf_counter() - began,
        "best": {k: best[k] for k in knobs},
    }
    log(f"  {name}: {row}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", default=["ml-100k", "ml-1m-slice"])
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    kept: dict = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for data_name in args.data:
        ml = data.load(SHARED / data_name)
        protocol_train = new_user_split(ml.ratings, 4, 500, 30, SEED).train
        score = validation_scorer(
            protocol_train, (4, 10), n_users=VALIDATION_USERS, seed=SEED + 1, repeats=REPEATS
        )
        able, _ = newuser.profile_models(None, ml.movies, SEED)
        names = args.models or [n for n in able if registry.spec(n).knobs]
        log(f"{data_name}: {len(protocol_train):,} ratings of the protocol's training users")
        for name in names:
            row = tune_one(name, ml, protocol_train, score)
            kept = keep(RESULTS, data_name, {**row, "date": time.strftime("%Y-%m-%d")})
    parts = [
        f"{SECTION}\n\n`benchmarks/tune_newuser.py`: the coordinate search of "
        "`tune_all.py`, from each model's registry values, scored the new-user protocol's "
        "way on validation users held out from the protocol's training users (3 draws of "
        "100, seeds 43-45, ≥ 30 ratings, pooled); the protocol's own 500 held-out users "
        "(seed 42) are never read. "
        "NDCG@10 is the mean over profiles of the first 4 and the first 10 ratings; "
        "time_s: wall seconds of the search.\n"
    ]
    for data_name, rows in kept.items():
        table = pd.DataFrame([rows[n] for n in registry.MODELS if n in rows]).drop(
            columns=["best", "date"], errors="ignore"
        )
        parts += [f"\n### {data_name}\n", markdown_table(table, digits=4, seconds_digits=0)]
    parts += [
        "\nWritten into the registry (`for_profiles`: a value both data sets chose, or the "
        "smaller of two moves the same way, as for `tuned`; `zeerec models` lists them under "
        '"tuned for new users"):\n',
        *(
            f"- {n}: " + ", ".join(f"{k} {v}" for k, v in registry.spec(n).for_profiles.items())
            for n in registry.MODELS
            if registry.spec(n).for_profiles
        ),
        "",
        *NOTE,
    ]
    publish(SECTION, parts, dry_run=not args.write)


if __name__ == "__main__":
    main()
