"""Does blending the star models beat the best one? RMSE over split seeds (issue 11, item 7).

For each data set and split seed (per-user stratified 75/25): the rating blend
(``zeerec.models.blend.RatingBlend``: bias baseline, item-kNN, user-kNN, improved MF
and implicit ALS's standardised score, weights fitted on a 10 % carving of each
user's *training* ratings) and its components refitted on all training ratings, each
star model scored once on the test split. The
improved MF inside the blend is the same model, same seed, as the standalone one, so
"blend − improved MF" is a paired difference; its 95 % interval comes from a
bootstrap over test users (``zeerec.evaluation.rmse_difference``).

Run: .venv/bin/python benchmarks/bench_blend.py [--seeds 42 43 44 45 46] [--write]
"""

from __future__ import annotations

import time

from common import over_seeds, seed_tables, write_section

from zeerec import data, evaluation, splits
from zeerec.models.blend import RatingBlend

SECTION = "## Rating blend (issue 11)"


def one_run(path, seed: int) -> dict:
    ml = data.load(path)
    train, test = splits.stratified_split(ml.ratings, test_size=0.25, seed=seed)
    start = time.perf_counter()
    blend = RatingBlend(seed=seed).fit(train)
    fit_s = time.perf_counter() - start
    models = {"rating blend": blend, **blend.components_}
    ev = evaluation.evaluate(models, train, test, k=10, n_users=None, seed=seed)
    gap = evaluation.rmse_difference(ev.rating_per_user, "rating blend", "improved MF", seed=seed)
    rmse = ev.rating.set_index("model")["rmse"]
    return {
        "data": path.name, "seed": seed, **rmse.to_dict(),
        "blend − MF": gap["difference"], "95 % interval": f"{gap['lo']:+.4f} to {gap['hi']:+.4f}",
        "blend fit_s": fit_s,
    }  # fmt: skip


def main() -> None:
    args, rows = over_seeds(__doc__, one_run)
    text = (
        f"{SECTION}\n\n`benchmarks/bench_blend.py`, {time.strftime('%Y-%m-%d')}, seeds "
        f"{', '.join(map(str, args.seeds))}; per-user stratified 75/25; every test rating "
        "whose user and movie are in training. Weights fitted on a 10 % carving of the "
        "training split; the test split scored once per model and seed. RMSE in stars.\n\n"
        + seed_tables(rows, ["95 % interval"])
    )
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
