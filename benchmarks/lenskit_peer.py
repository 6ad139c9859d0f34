"""LensKit's models as peers: fit on a binary matrix, write every user's scores (issue 11).

Runs under LensKit's own interpreter, not the project's: LensKit 2025.x needs PyTorch and
0.14.x (the last release before the rewrite, numba-based) needs numpy < 2, so neither can
share zeerec's environment. ``bench_implicit.py`` starts this script once per run
(``--lenskit-python``), sends it every fit and reads what it writes; nothing here
imports zeerec.

Each request names its input (``IN``, an ``.npz``): ``rows`` and ``cols``, the (user row,
movie column) cells of the binary who-rated-what matrix, and its ``shape``; ``KIND`` and
``PARAMS`` (JSON) name the model and its constructor arguments. Output (``OUT``, an
``.npy``): the users × movies score matrix, NaN where LensKit gives no score (an
item-item target with no neighbour among the user's movies: LensKit's own lists leave
such movies out, and so do zeerec's).

Models (LensKit 0.14 names, their implicit-feedback settings):

- ``lenskit ItemItem``: ``item_knn.ItemItem(nnbrs, feedback="implicit")``: cosine of the
  binary item columns, each target item scored by the sum of its ``nnbrs`` most similar
  items among the user's (Deshpande & Karypis's rated-side neighbourhood);
- ``lenskit ImplicitMF``: ``als.ImplicitMF(features, ...)``: Hu, Koren & Volinsky's
  weighted MF (confidence 1 + ``weight``·x, conjugate gradient by default), scores u·v.

Setup, with Python 3.11 (LensKit 0.14.4 pins numba < 0.59, which has no build for 3.12 or
later): ``python3.11 -m venv .venv-lenskit && .venv-lenskit/bin/pip install
lenskit==0.14.4`` (``.venv-lenskit`` is ignored by git, as ``.venv``). The runs in
BENCHMARKS.md used lenskit 0.14.4 with numpy 1.26.4, numba 0.58.1 and pandas 3.0.6.
Check that the wrapper's top 10 are the sets LensKit's own ``recommend`` returns:
``.venv-lenskit/bin/python benchmarks/lenskit_peer.py --check`` (about a minute: numba).
Run (by ``bench_implicit.py``): ``.venv-lenskit/bin/python benchmarks/lenskit_peer.py``,
then one JSON line per fit: ``["IN", "KIND", {PARAMS}, "OUT"]``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

for _var in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, as the `implicit` peers, whatever the caller set

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

warnings.filterwarnings("ignore")  # numba's type-safety notes on LensKit's own kernels


def build(kind: str, params: dict):
    """The LensKit model ``kind`` names, with ``params`` (``seed`` seeds ImplicitMF)."""
    from lenskit.algorithms import als, item_knn

    params = dict(params)
    seed = params.pop("seed", 42)
    if kind == "lenskit ImplicitMF":
        return als.ImplicitMF(**params, rng_spec=seed)
    if kind == "lenskit ItemItem":  # deterministic: no seed
        return item_knn.ItemItem(**params, feedback="implicit")
    raise ValueError(f"unknown LensKit model {kind!r}")  # answered, the server keeps going


def scores(kind: str, params: dict, rows: np.ndarray, cols: np.ndarray, shape) -> np.ndarray:
    n_users, n_items = (int(s) for s in shape)
    frame = pd.DataFrame({"user": rows, "item": cols, "rating": np.ones(len(rows))})
    algo = build(kind, params)
    algo.fit(frame)
    if kind == "lenskit ImplicitMF":
        u = np.zeros((n_users, algo.user_features_.shape[1]))
        v = np.zeros((n_items, algo.item_features_.shape[1]))
        u[np.asarray(algo.user_index_)] = algo.user_features_
        v[np.asarray(algo.item_index_)] = algo.item_features_
        return u @ v.T
    out = np.full((n_users, n_items), np.nan)  # ItemItem: LensKit's own scoring, per user
    items = np.asarray(algo.item_index_)
    for user, rated in frame.groupby("user")["item"]:
        s = algo.predict_for_user(user, items, pd.Series(1.0, index=rated.to_numpy()))
        out[user, s.index.to_numpy()] = s.to_numpy()
    return out


def check(n_users: int = 200, n_items: int = 150, seed: int = 0) -> None:
    """The score matrices give LensKit's own lists: for every user of a random binary
    matrix, the top 10 of :func:`scores` (rated movies left out) is the set
    ``Recommender.adapt(algo).recommend(user, 10)`` returns. Run: ``lenskit_peer.py --check``."""
    from lenskit.algorithms import Recommender

    rng = np.random.default_rng(seed)
    dense = rng.random((n_users, n_items)) < rng.uniform(0.02, 0.3, n_items)
    rows, cols = np.nonzero(dense)
    frame = pd.DataFrame({"user": rows, "item": cols, "rating": np.ones(len(rows))})
    cases = (
        ("lenskit ItemItem", {"nnbrs": 20}),
        ("lenskit ImplicitMF", {"features": 16, "reg": 5, "weight": 3, "seed": 7}),
    )
    for kind, params in cases:
        s = scores(kind, params, rows, cols, dense.shape)
        s[dense] = np.nan
        own = Recommender.adapt(build(kind, params))
        own.fit(frame)
        differ = [
            u
            for u in range(n_users)
            if set(np.argsort(-np.nan_to_num(s[u], nan=-np.inf), kind="stable")[:10])
            != set(own.recommend(u, 10)["item"])
        ]
        print(f"{kind}: {n_users - len(differ)} of {n_users} users get LensKit's own top 10")
        if differ:
            raise SystemExit(f"{kind}: lists differ for users {differ[:10]}")


def main() -> None:
    """One request per line on stdin (a JSON list: IN, KIND, PARAMS, OUT), one answer per
    line on stdout ("ok" or the error): one process serves a whole benchmark, so numba
    compiles LensKit's kernels once."""
    for line in sys.stdin:
        src, kind, params, dst = json.loads(line)
        try:
            data = np.load(src)
            np.save(dst, scores(kind, params, data["rows"], data["cols"], data["shape"]))
            answer = "ok"
        except Exception as err:  # noqa: BLE001 - reported to the caller, which stops
            answer = f"{type(err).__name__}: {err}".replace("\n", " ")
        print(answer, flush=True)


if __name__ == "__main__":
    check() if sys.argv[1:] == ["--check"] else main()
