# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (zeerec)
#     language: python
#     name: zeerec
# ---

# %% [markdown]
# # 08 · The same split, models and metrics on Apache Spark
#
# **Question:** when the ratings outgrow one machine, can the analysis move to Spark
# without changing what the numbers mean? This notebook reads the raw files with
# `zeerec.spark` (the same checks as `zeerec.data`), splits them in Spark (the very
# split `zeerec.splits` draws), fits MLlib's ALS — explicit for stars, implicit for
# top-10 lists — with its settings chosen on a validation carving of the training
# split, and scores it with the metric definitions of `zeerec.metrics`, computed in
# Spark. zeerec's own biased MF and EASE run on the same split beside it, and the same
# work is timed on one core and on two. Data: the raw files the runner names.

# %% tags=["parameters"]
data_dir = "../data/raw"  # raw MovieLens files (set by the runner from --data)
master = "local[2]"  # where Spark runs: local[N] here, yarn / spark://host:7077 on a cluster
shuffle_partitions = 4  # Spark's shuffle partitions: ~2-3 per core (default 200 is for clusters)
seed = 42  # split, validation carving and ALS initialisation
test_size = 0.25  # per user share of ratings held out (stratified split)
top_n = 10  # k of the top-k metrics
max_iter = 10  # ALS sweeps
ranks = (10, 20)  # explicit ALS ranks tried on validation
regs = (0.1,)  # explicit ALS regParam values tried on validation
implicit_ranks = (20,)  # implicit ALS ranks tried on validation
implicit_regs = (1.0,)  # implicit ALS regParam values tried on validation
alphas = (1.0, 10.0)  # implicit ALS confidence weights tried on validation
mf_epochs = 10  # zeerec's biased MF (improved MF): training epochs
time_masters = ("local[1]", "local[2]")  # the same job timed on each (None: skip)

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from zeerec import data as zd
from zeerec import evaluation, splits
from zeerec.models import registry
from zeerec.report import HEADLINE_KEY, findings, record
from zeerec.spark import pipeline
from zeerec.spark.session import get_session

pd.set_option("display.precision", 4)
k = int(top_n)
spark = get_session(master, shuffle_partitions=shuffle_partitions)
print(
    f"Spark {spark.version} on {spark.sparkContext.master}, {shuffle_partitions} shuffle partitions"
)

# %% [markdown]
# ## The Spark run at a glance

# %%
run = pipeline.run(
    spark,
    data_dir,
    seed=seed,
    test_size=test_size,
    k=k,
    max_iter=max_iter,
    star_grid={"rank": tuple(ranks), "reg": tuple(regs)},
    implicit_grid={
        "rank": tuple(implicit_ranks),
        "reg": tuple(implicit_regs),
        "alpha": tuple(alphas),
    },
)
v = run.values
pd.DataFrame(
    {
        "ratings read": [v["ratings"]],
        "bad rows dropped": [v["bad_rows_dropped"]],
        "train": [v["train_ratings"]],
        "test": [v["test_ratings"]],
        "Spark s (all steps)": [v["total_s"]],
    },
    index=[v["format"]],
).style.format("{:,}")

# %% [markdown]
# ## What changes when the work is distributed
#
# - **The data is never in one place.** Spark reads the ratings file in blocks, each
#   task checks its own lines; the per-file facts zeerec's loader gets from a sort (which
#   pair repeats, which line is blank at the end) become joins and windows, and only the
#   counts of bad rows come back to the driver.
# - **A random draw needs a key, not a stream.** `numpy`'s generator draws one number
#   per row in row order, which a distributed table does not have. The stratified split
#   therefore ranks each user's ratings by a hash of (seed, user, movie) — Spark's own
#   `hash()`, which `zeerec.splits` computes the same way — so both draw the same split.
# - **Per-user work is a shuffle.** "Each user's latest ten" or "each user's top ten"
#   become window functions partitioned by user: every user's rows travel to one task.
# - **Metrics are aggregations.** A user's list is joined with their held-out movies and
#   reduced to sums; no per-user list reaches the driver, only the means.
# - **ALS iterates.** Each sweep adds to the lineage Spark keeps to recompute lost
#   partitions; on a cluster a checkpoint directory cuts it every few sweeps.

# %% [markdown]
# ## The ratings, read and checked in Spark

# %%
quality = run.loaded.quality
quality if len(quality) else Markdown("No bad row: every line passed the checks.")

# %% [markdown]
# The quality table is `zeerec.data`'s: the same problem names, counts and first lines
# for the same file (a test feeds both loaders a file with every kind of bad line).
#
# ## The same split as `zeerec.splits`

# %%
ml = zd.load(data_dir)
train, test = splits.stratified_split(ml.ratings, test_size=test_size, seed=seed)
spark_test = pd.DataFrame(
    run.test.select("user_id", "movie_id").collect(), columns=["user_id", "movie_id"]
)
same = set(zip(spark_test["user_id"], spark_test["movie_id"], strict=True)) == set(
    zip(test["user_id"], test["movie_id"], strict=True)
)
assert same, "Spark's split differs from zeerec.splits'"
print(
    f"Spark holds out {len(spark_test):,} ratings, zeerec.splits {len(test):,}: "
    f"the same (user, movie) pairs: {same}."
)

# %% [markdown]
# Every comparison below is therefore on identical training and test ratings.
#
# ## ALS settings, chosen on validation
#
# A quarter of each user's training ratings is carved off as validation (the same
# stratified draw, seed + 1); every setting is fitted on the rest and scored there.
# Test is read once, by the setting that won.

# %%
display(run.star_validation.round(4).style.set_caption("Explicit ALS: validation RMSE, best first"))
run.implicit_validation.round(4).style.set_caption(f"Implicit ALS: validation NDCG@{k}, best first")

# %% [markdown]
# ## ALS next to zeerec's biased MF and EASE, same split

# %% tags=["log"]
models = {
    "improved MF": registry.create("improved MF", movies=ml.movies, seed=seed, epochs=mf_epochs),
    "EASE": registry.create("EASE", movies=ml.movies, seed=seed),
}
ev = evaluation.evaluate(models, train, test, k=k, n_users=None, seed=seed)

# %%
rating = ev.rating.set_index("model")
ranking = ev.ranking.set_index("model")
mf_rmse = float(rating.loc["improved MF", "rmse"])
ease_p = float(ranking.loc["EASE", f"precision@{k}"])
side = pd.DataFrame(
    {
        "model": ["Spark ALS (explicit)", "zeerec improved MF (biased MF)"],
        "RMSE": [v["als_rmse"], mf_rmse],
        "fit s": [v["als_fit_s"], float(rating.loc["improved MF", "fit_s"])],
    }
)
lists = pd.DataFrame(
    {
        "model": ["Spark ALS (implicit)", "zeerec EASE"],
        f"P@{k}": [v[f"ials_precision@{k}"], ease_p],
        f"NDCG@{k}": [v[f"ials_ndcg@{k}"], float(ranking.loc["EASE", f"ndcg@{k}"])],
        "coverage": [v["ials_coverage"], float(ranking.loc["EASE", "coverage"])],
    }
)
display(side.round(4))
lists.round(4)

# %% [markdown]
# RMSE is over the test ratings whose user and movie are in training, for both sides;
# the top-10 lists exclude the movies each user rated in training, for both sides.
#
# ## From one core to two

# %%
timings = {}
if time_masters:
    best = {"rank": v["als_rank"], "reg": v["als_reg"]}
    for where in time_masters:
        spark = get_session(where, shuffle_partitions=shuffle_partitions)
        start = time.perf_counter()
        pipeline.run(
            spark, data_dir, seed=seed, test_size=test_size, k=k, max_iter=max_iter,
            star_grid={key: (val,) for key, val in best.items()},
            implicit_grid={"rank": (v["ials_rank"],), "reg": (v["ials_reg"],), "alpha": (v["ials_alpha"],)},
        )  # fmt: skip
        timings[where] = time.perf_counter() - start
speedup = timings[time_masters[0]] / timings[time_masters[-1]] if len(timings) > 1 else float("nan")
pd.Series(timings, name="seconds").round(1).to_frame() if timings else Markdown("Not timed.")

# %% caption="Left: RMSE of Spark's explicit ALS and zeerec's biased MF on the same test ratings. Middle: precision@10 of implicit ALS and EASE on the same test users. Right: the same Spark job's wall time on one and two local cores." tags=["main-figure"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
axes[0].bar(["Spark ALS", "biased MF"], side["RMSE"], color=["#e8710a", "#1a73e8"])
axes[0].set_ylim(min(side["RMSE"]) - 0.05, max(side["RMSE"]) + 0.02)
axes[0].set_ylabel("test RMSE (stars)")
axes[1].bar(["implicit ALS", "EASE"], lists[f"P@{k}"], color=["#e8710a", "#1a73e8"])
axes[1].set_ylabel(f"precision@{k}")
if timings:
    axes[2].bar(list(timings), list(timings.values()), color="#5f6368")
axes[2].set_ylabel("wall time (s)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## On a cluster
#
# The notebook and `python -m zeerec.spark.job` run `zeerec.spark.pipeline.run`; on a
# cluster submit the job file with the cluster's master:
#
# ```
# spark-submit --master yarn --deploy-mode cluster \
#     --num-executors 20 --executor-cores 4 --executor-memory 8g \
#     --conf spark.sql.shuffle.partitions=400 \
#     src/zeerec/spark/job.py --data hdfs:///data/ml-25m \
#     --checkpoint-dir hdfs:///tmp/zeerec-als --shuffle-partitions 400 --out metrics.json
# ```
#
# - **Executors and cores:** ALS's cost is its per-block least-squares solves; 4-5
#   cores per executor and enough executors that each holds a few blocks.
# - **Memory:** the factor blocks and the cached ratings must fit in executor memory;
#   `--executor-memory` for those, the driver needs little (only means come back).
# - **Partitions:** `spark.sql.shuffle.partitions` at 2-3 per core (the 4 used here suit
#   two local cores); ALS's `numUserBlocks`/`numItemBlocks` follow the default parallelism.
# - **Checkpointing:** each ALS sweep lengthens the lineage; with `--checkpoint-dir` on
#   a shared file system (HDFS, S3) it is cut every 5 sweeps, so a lost executor does
#   not replay the whole training and the plan stays small.
# - **The files:** `--data` must be visible to every executor (HDFS, S3, a shared
#   mount); the movies and users files are read by the driver.
#
# ## Key findings

# %% findings=["als_rmse=Spark ALS test RMSE", "mf_rmse=zeerec biased MF test RMSE", "ials_precision=implicit ALS P@k", "ease_precision=EASE P@k", "speedup=local[1] \u2192 local[2] speed-up"]
headline = pd.concat([side.assign(job="stars"), lists.assign(job="top-k")], ignore_index=True)
key = record(
    **v,
    als_rmse_gap=v["als_rmse"] - mf_rmse,
    mf_rmse=mf_rmse,
    ials_precision=v[f"ials_precision@{k}"],
    ease_precision=ease_p,
    ease_ndcg=float(ranking.loc["EASE", f"ndcg@{k}"]),
    same_split_as_zeerec=same,
    timings_s={m: round(t, 2) for m, t in timings.items()},
    speedup=speedup,
    star_validation=run.star_validation,
    implicit_validation=run.implicit_validation,
    **{HEADLINE_KEY: headline},
)
findings(key)
