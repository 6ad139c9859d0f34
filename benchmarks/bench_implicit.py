"""Implicit-feedback models against the ``implicit`` library, each tuned the same way.

zeerec's implicit ALS, RP3beta and EASE and ``implicit``'s ALS, BPR, CosineRecommender
and BM25Recommender (the ``bench`` extra) are tuned on the same validation carving of
each seed's training split (each user's training ratings split 75/25 again, NDCG@10 on
``--users`` validation users, :func:`zeerec.evaluation.grid_search`), each over a small
grid, then fitted on the whole training split with the chosen knobs and scored once on
the test split (all test users). Every model sees the same binary who-rated-what
matrix; zeerec's iALS may also weigh by stars (its ``confidence`` knob).

``--models item-item`` runs the item-item family instead: zeerec's item-kNN with BM25 and
with cosine similarity against ``implicit``'s BM25Recommender and CosineRecommender (its
own section of BENCHMARKS.md per data set). With ``--shipped`` zeerec's models run with the
registry's values (chosen once, by ``tune_all.py``) and only the peers are tuned, per seed:
the families and zeerec's best model (the ranking blend) against every peer in one run.

Run: OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_implicit.py
         [--data DIR] [--seeds 42 43 ...] [--users 300] [--models NAME ... | item-item]
         [--shipped] [--lenskit-python .venv-lenskit/bin/python] [--dry-run]
(the 'lenskit ...' peers need LensKit's own interpreter: see lenskit_peer.py)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import SHARED, log, markdown_table, publish

from zeerec import data, evaluation, splits
from zeerec.matrix import RatingMatrix
from zeerec.models import registry
from zeerec.models.base import Recommender, Target

SECTION = "## Implicit-feedback models (issue 11)"

ZEEREC_GRIDS = {
    "implicit ALS": {
        "factors": (64, 128),
        "reg": (15, 30, 60),
        "alpha": (1, 3, 10),
        "confidence": ("stars", "binary"),
    },
    "RP3beta": {
        "alpha": (0.5, 0.75, 1.0),
        "beta": (0.3, 0.5, 0.6, 0.7),
        "n_neighbours": (100, 200, 400, 800),
    },
    "EASE": {"lam": (100, 250, 500, 1000)},
    "item-kNN BM25": {"n_neighbours": (80, 160, 320, 640), "bm25_b": (0.25, 0.5, 0.75)},
    "item-kNN cosine": {"n_neighbours": (40, 80, 160, 320, 640)},
}
PEER_GRIDS = {
    "implicit ALS (package)": {
        "factors": (64, 128),
        "regularization": (15, 30, 60),
        "alpha": (2, 4, 11),
    },
    "implicit BPR": {
        "factors": (64, 128),
        "learning_rate": (0.005, 0.01, 0.02),
        "regularization": (0.01,),
        "iterations": (50, 100),
    },
    "implicit Cosine": {"K": (20, 50, 100, 200, 400, 800)},
    "implicit BM25": {"K": (100, 200, 400, 800), "B": (0.25, 0.5, 0.75)},
}
LENSKIT_GRIDS = {  # ImplicitMF: zeerec's iALS grid (its confidence is ours, 1 + weight·x)
    # plus LensKit's default reg and weight, widened where the first run's choices sat on
    # its edge (features 128, reg 60); ItemItem's nnbrs has no default
    "lenskit ItemItem": {"nnbrs": (10, 20, 50, 100, 200, 400)},
    "lenskit ImplicitMF": {
        "features": (64, 128, 256),
        "reg": (0.1, 15, 30, 60, 120, 240),
        "weight": (1, 3, 10, 40),
    },
}
GRIDS = {**ZEEREC_GRIDS, **PEER_GRIDS, **LENSKIT_GRIDS}
LENSKIT_PYTHON = None
"""LensKit's interpreter (``--lenskit-python``): LensKit cannot share zeerec's environment."""


class ImplicitPeer(Recommender):
    """One of ``implicit``'s CPU models, fitted on our binary matrix, scored by our harness.

    Matrix-factorisation peers score x_u·Y from their factors (BPR's carry its item bias
    as an extra column); item-item peers score x_u·S from their ``similarity``.
    """

    accepts_profiles = False

    def __init__(self, kind: str, seed: int = 42, **params):
        self.kind, self.seed, self.params = kind, seed, params
        self.name = kind

    def _build(self):
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        one = {"num_threads": 1}
        seeded = {**one, "random_state": self.seed}
        return {
            "implicit ALS (package)": lambda: AlternatingLeastSquares(**seeded, **self.params),
            "implicit BPR": lambda: BayesianPersonalizedRanking(**seeded, **self.params),
            "implicit Cosine": lambda: CosineRecommender(**one, **self.params),
            "implicit BM25": lambda: BM25Recommender(**one, **self.params),
        }[self.kind]()

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        self.X_ = self.ratings_.binary().tocsr().astype(np.float32)
        model = self._build()
        model.fit(self.X_, show_progress=False)
        if hasattr(model, "similarity"):
            self.S_ = model.similarity.tocsr()
        else:
            self.U_, self.V_ = np.asarray(model.user_factors), np.asarray(model.item_factors)

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        if hasattr(self, "S_"):
            return (self.X_[rows] @ self.S_).toarray().astype(np.float64)
        return (self.U_[rows] @ self.V_.T).astype(np.float64)

    def _score(self, target: Target) -> np.ndarray:
        return self._score_rows(np.array([target.row]))[0]


class LensKitPeer(ImplicitPeer):
    """One of LensKit's models, fitted by ``lenskit_peer.py`` under LensKit's interpreter
    on our binary matrix; every user's scores come back as one matrix, NaN where LensKit
    gives none (such movies never make a list)."""

    def _fit(self, ratings: pd.DataFrame) -> None:
        self.ratings_ = RatingMatrix.from_ratings(ratings)
        cells = self.ratings_.binary().tocoo()
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "cells.npz", Path(tmp) / "scores.npy"
            np.savez(src, rows=cells.row, cols=cells.col, shape=np.array(cells.shape))
            server = _lenskit_server()
            request = [str(src), self.kind, {**self.params, "seed": self.seed}, str(dst)]
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            answer = server.stdout.readline().strip()
            if answer != "ok":
                raise RuntimeError(f"{self.kind} failed in LensKit: {answer or 'no answer'}")
            self.S_ = np.load(dst)

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.S_[rows]


_SERVER: list[subprocess.Popen] = []


def _lenskit_server() -> subprocess.Popen:
    """The one ``lenskit_peer.py`` process every LensKit fit of this run goes through."""
    if LENSKIT_PYTHON is None:
        raise RuntimeError("the 'lenskit ...' peers need --lenskit-python (see lenskit_peer.py)")
    if not _SERVER or _SERVER[0].poll() is not None:
        script = str(Path(__file__).with_name("lenskit_peer.py"))
        _SERVER[:] = [
            subprocess.Popen(
                [LENSKIT_PYTHON, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        ]
    return _SERVER[0]


def _maker(name: str, seed: int):
    if name in registry.MODELS:
        return lambda **kw: registry.create(name, seed=seed, **kw)
    if name in LENSKIT_GRIDS:
        return lambda **kw: LensKitPeer(name, seed=seed, **kw)
    return lambda **kw: ImplicitPeer(name, seed=seed, **kw)


def tune_all(
    train: pd.DataFrame, seed: int, users: int, names: list[str], shipped: bool = False
) -> tuple[dict, list[str]]:
    """The ``names`` models' best knobs on validation carved from ``train``, and the tables
    (``shipped``: zeerec's models keep the registry's values, only the peers are searched)."""
    chosen, lines = {}, []
    for name in names:
        if shipped and name in registry.MODELS:
            chosen[name] = {}
            tuned = _knobs(registry.spec(name).tuned) or "its defaults"
            lines += [f"{name}: the registry's values ({tuned}), not searched here.", ""]
            continue
        grid = GRIDS[name]
        log(f"seed {seed}: tuning {name} ({len(pd.MultiIndex.from_product(grid.values()))})")
        start = time.perf_counter()
        best, table = evaluation.grid_search(
            _maker(name, seed), grid, train, k=10, metric="ndcg", seed=seed, n_users=users
        )
        chosen[name] = best
        top = table.sort_values("ndcg@10", ascending=False).head(6)
        lines += [
            f"Validation, {name} (seed {seed}; best {min(6, len(table))} of {len(table)} "
            f"settings, {time.perf_counter() - start:.0f} s):",
            "",
            markdown_table(top[[*grid, "precision@10", "ndcg@10", "fit_s"]], seconds_digits=2),
            "",
        ]
    return chosen, lines


def score_test(train, test, chosen: dict, seed: int) -> evaluation.Evaluation:
    """Popularity and every tuned model, fitted on all of ``train``, scored once on test."""
    models = {"popularity": registry.create("popularity")}
    models |= {name: _maker(name, seed)(**knobs) for name, knobs in chosen.items()}
    return evaluation.evaluate(models, train, test, k=10, seed=seed, progress=log)


def _paired(per_user: pd.DataFrame, pairs) -> pd.DataFrame:
    rows = []
    for a, b in pairs:
        for metric in ("precision", "ndcg"):
            d = evaluation.paired_difference(per_user, metric, a, b)
            rows.append({"a − b": f"{a} − {b}", "metric": f"{metric}@10", **d})
    cols = ["a − b", "metric", "difference", "lo", "hi", "verdict"]
    return pd.DataFrame(rows)[cols]


PAIRS = (
    ("implicit ALS", "implicit ALS (package)"),
    ("implicit ALS", "EASE"),
    ("RP3beta", "EASE"),
    ("item-kNN BM25", "implicit BM25"),
    ("item-kNN BM25", "implicit Cosine"),
    ("item-kNN BM25", "item-kNN cosine"),
    ("Mult-VAE", "implicit BPR"),
    ("ranking blend", "implicit ALS (package)"),
    ("ranking blend", "implicit BPR"),
    ("ranking blend", "implicit BM25"),
    ("ranking blend", "implicit Cosine"),
    ("item-kNN BM25", "lenskit ItemItem"),
    ("implicit ALS", "lenskit ImplicitMF"),
    ("ranking blend", "lenskit ItemItem"),
    ("ranking blend", "lenskit ImplicitMF"),
)
ITEM_ITEM = ["item-kNN BM25", "item-kNN cosine", "implicit Cosine", "implicit BM25"]
"""``--models item-item``: the item-item family, ours and the peer's."""


def one_seed(
    ratings: pd.DataFrame, seed: int, users: int, names: list[str], shipped: bool = False
) -> tuple[list[str], pd.DataFrame]:
    """Tune the models on this seed's validation carving, then score the test split once."""
    train, test = splits.stratified_split(ratings, test_size=0.25, seed=seed)
    chosen, lines = tune_all(train, seed, users, names, shipped)
    ev = score_test(train, test, chosen, seed)
    res = ev.ranking[["model", "precision@10", "ndcg@10", "recall@10", "fit_s"]].copy()
    res.insert(1, "knobs", [_knobs(chosen.get(m, {})) for m in res["model"]])
    lines += [f"Test split, seed {seed}, scored once with the chosen knobs:", ""]
    lines += [markdown_table(res, seconds_digits=2), ""]
    lines += ["Paired differences (95 % bootstrap over test users):", ""]
    pairs = [(a, b) for a, b in PAIRS if a in chosen and b in chosen]
    lines += [markdown_table(_paired(ev.per_user, pairs), digits=4), ""]
    return lines, res.assign(seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED / "ml-100k"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--users", type=int, default=300, help="validation users per carving")
    parser.add_argument(
        "--models",
        nargs="+",
        help="model names (default: all but the item-kNN lines); 'item-item': "
        + ", ".join(ITEM_ITEM)
        + ". A subset is written to its own section, named after its models and data.",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="zeerec's models run with the registry's values (any registry name may be "
        "given to --models); only the peers are tuned",
    )
    parser.add_argument(
        "--lenskit-python",
        help="LensKit's interpreter, for the 'lenskit ...' peers (see lenskit_peer.py)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print, do not edit BENCHMARKS.md")
    args = parser.parse_args()
    global LENSKIT_PYTHON
    LENSKIT_PYTHON = args.lenskit_python
    warnings.filterwarnings("ignore", message="Method expects CSR input")  # implicit's own .T
    start = time.perf_counter()
    ratings = data.load(args.data).ratings
    names = _names(args.models, args.shipped)
    section = SECTION
    if args.models:
        shipped = ", zeerec's as shipped" if args.shipped else ""
        section = f"{SECTION}: {', '.join(names)} on {Path(args.data).name}{shipped}"
    lines, results = [section, "", *_intro(args, names)], []
    for seed in args.seeds:
        seed_lines, res = one_seed(ratings, seed, args.users, names, args.shipped)
        lines += seed_lines
        results.append(res)
    if len(args.seeds) > 1:
        lines += _across_seeds(pd.concat(results, ignore_index=True))
    lines.append(f"Whole benchmark: {time.perf_counter() - start:.0f} s.")
    publish(section, lines, dry_run=args.dry_run)


def _names(asked: list[str] | None, shipped: bool = False) -> list[str]:
    """The models to run: ``asked`` (``item-item`` standing for :data:`ITEM_ITEM`), or all
    of the first section's (every grid but the item-kNN lines, added later)."""
    if not asked:
        return [n for n in GRIDS if not n.startswith(("item-kNN", "lenskit"))]
    names = list(dict.fromkeys(n for a in asked for n in (ITEM_ITEM if a == "item-item" else [a])))
    known = set(GRIDS) | (set(registry.MODELS) if shipped else set())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(
            f"unknown model(s) {unknown}; choose from {sorted(known)} or item-item"
            + ("" if shipped else " (with --shipped: any registry model)")
        )
    return names


def _knobs(knobs: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in knobs.items())


def _intro(args, names: list[str]) -> list[str]:
    return [
        f"`benchmarks/bench_implicit.py` on `{args.data.rstrip('/').split('/')[-1]}`, per-user "
        f"75/25 split, seeds {', '.join(map(str, args.seeds))}. "
        + (
            "zeerec's models run with the registry's values (chosen once by `tune_all.py` "
            "on the seed-42 carving, or by hand on validation for the ranking blend); every "
            "peer is tuned on"
            if args.shipped
            else "Every model is tuned on"
        )
        + " the same validation carving of the training split (each user's training ratings "
        f"split 75/25 again, NDCG@10 on {args.users} validation users), then fitted on the whole "
        "training split and scored once on the test split (all test users). The peers "
        "see the binary who-rated-what matrix; so do zeerec's implicit models (its iALS "
        "may weigh by stars, `confidence`), while zeerec's item-kNN cosine takes the cosine "
        "of the star vectors and both zeerec item-kNN lines ignore pairs with fewer than 5 "
        "common raters (`min_common`). The `implicit` package runs on one thread, in "
        "float32; its ALS confidence is α·x (ours 1 + α·x), so its α = 2, 4, 11 match "
        "ours 1, 3, 10 on binary data."
        + (
            " LensKit 0.14.4 runs in its own interpreter on one thread (`lenskit_peer.py`); "
            "its fit_s includes scoring every user and passing the scores back, and its "
            "first fit of a kind numba's compiling."
            if any(n.startswith("lenskit") for n in names)
            else ""
        ),
        "",
    ]


def _across_seeds(results: pd.DataFrame) -> list[str]:
    agg = results.groupby("model", sort=False)[["precision@10", "ndcg@10"]].agg(["mean", "std"])
    agg.columns = [f"{m} {s}" for m, s in agg.columns]
    return ["Across seeds (mean, sd):", "", markdown_table(agg.reset_index()), ""]


if __name__ == "__main__":
    main()
