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
# # 07 · Which recommender does which job best?
#
# **Question:** which of zeerec's models puts the right movies in a user's top 10, how
# often, for whom (users with few ratings or many), and at what cost — and which one
# predicts the stars best? Every model is fitted on the same training ratings and judged
# on the same held-out ratings through one harness (`zeerec.evaluation`): rating
# metrics (RMSE, MAE, MAPE) for the models that predict stars, top-k metrics
# (Precision, Recall, NDCG, MAP, HitRate, catalogue coverage, novelty) for all. The
# protocol is microsoft/recommenders': each user's list is drawn from the movies *not*
# in their training ratings, and every held-out movie of the user counts as relevant.
# Data: the tables written by notebook 01.

# %% tags=["parameters"]
processed_dir = "../data/processed"  # tables written by notebook 01
model_dir = "../data/models"  # the evaluation tables are saved here (evaluation_*.parquet)
split_kind = "stratified"  # "stratified" (per user 75/25), "temporal" (latest n), "random"
test_size = 0.25  # stratified and random splits: share of ratings held out
n_test = 10  # temporal split: each user's latest n ratings held out
max_users = 10_000  # models learn from at most this many users, a seeded sample (None: all)
max_movies = 5_000  # ... and the most-rated movies only, above this many (None: all)
seed = 42  # split, user sample and validation carving
top_n = 10  # k of the top-k metrics: the length of each recommended list
models = None  # model names to compare (see zeerec.models.registry.MODELS); None: all
n_users = 500  # test users judged (a seeded sample, the same for every model); None: all
mf_epochs = 10  # cap on the Keras MF models' epochs, the blend's too (None: their own, slow)
ease_lambdas = None  # EASE's λ candidates, chosen on validation; None: the registry's
activity_edges = (30, 150)  # training ratings per user: cold ≤ 30 < medium ≤ 150 < heavy

# %%
# %matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from zeerec import data as zd
from zeerec import evaluation, plots, splits
from zeerec.display import timed
from zeerec.files import atomic_write
from zeerec.models import registry
from zeerec.models.base import PREDICTED_STARS
from zeerec.report import HEADLINE_KEY, findings, record

pd.set_option("display.precision", 3)
k = int(top_n)
ml = zd.load_processed(processed_dir)
work = splits.working_set(ml.ratings, max_users, max_movies, seed=seed)
print(work.sentence())
ratings = work.ratings
train, test = splits.make_split(
    ratings, kind=split_kind, seed=seed, test_size=test_size, n_test=n_test
)
split_table = splits.split_summary(train, test)
leaked = split_table.attrs["shared_pairs"]
assert leaked == 0, f"{leaked} (user, movie) pairs are on both sides of the split"
print(
    f"{split_kind} split, seed {seed}: {len(test) / len(ratings):.1%} of the ratings held "
    f"out; {split_table.attrs['shared_users']:,} users are on both sides; no (user, movie) "
    "pair is on both."
)
split_table.style.format("{:,}")

# %% [markdown]
# Every model below learns from the *train* rows only; the *test* rows are what it is
# judged on. A test user who is also in training can be recommended to; with the
# stratified split that is every user with at least two ratings.
#
# ## Tuning EASE on validation data
#
# EASE (Steck 2019) has one knob, the L2 penalty λ. It is chosen here on a validation
# split carved from the training ratings the same way the test split was made (per
# user at random for a stratified split, each user's latest training ratings for a
# temporal one), never on the test set, by NDCG@k.

# %%
lambdas = list(registry.spec("EASE").knobs["lam"] if ease_lambdas is None else ease_lambdas)
with timed() as t_tuning:
    if len(lambdas) > 1:
        best, tuning = evaluation.tune(
            "EASE", train, {"lam": lambdas}, k=k, metric="ndcg", seed=seed, n_users=n_users,
            split_kind=split_kind, validation_size=test_size, n_test=n_test,
        )  # fmt: skip
        ease_lam = float(best["lam"])
        display(tuning[["lam", f"precision@{k}", f"ndcg@{k}", f"map@{k}"]].set_index("lam"))
    else:
        ease_lam, tuning = float(lambdas[0]), pd.DataFrame()
print(f"EASE λ = {ease_lam:g} (tuning took {t_tuning.seconds:.1f} s).")

# %% [markdown]
# The validation scores are not comparable with the test scores below: the validation
# carving leaves each user fewer training ratings and fewer held-out movies. Only the
# order of the candidates matters here, and on one carving candidates a few thousandths
# apart are as good as tied: the choice then costs little either way.
#
# ## Fit and judge every model

# %%
candidates, unavailable = evaluation.build_models(
    models, movies=ml.movies, ease_lam=ease_lam, mf_epochs=mf_epochs, seed=seed
)
if mf_epochs is not None:
    print(
        f"The two Keras MF models (and the rating blend's) train for at most {mf_epochs} "
        "epochs here, to keep the report fast: the seed's model with batches of 1,024 at "
        "Adam 1e-3 (published: 128 at 1e-4, 20 epochs), so its figures here are not the "
        "published model's; the improved model without its refit on all training ratings. "
        "Notebook 05 trains both with their own settings. Mult-VAE trains for its own "
        "(tuned) number of epochs."
    )
for name, why in unavailable.items():
    print(f"left out: {name} ({why})")

# %% [markdown]
# The score each model sorts a top-k list by, and the knobs it runs with. EASE's λ was
# chosen above, on this split's own validation carving. Every other value is the
# registry's: one tuner searched every model's knobs the same way, on validation
# carvings of ML-100K and the ML-1M slice (never on a test split), and a value both
# chose, or the smaller of two moves the same way, is written into the registry
# (`zeerec models` lists them); a knob without one keeps its class's default. `benchmarks/tune_all.py` made the choice; its tables are in
# `BENCHMARKS.md`.

# %%
knob_table = pd.DataFrame(
    [
        {
            "model": name,
            "what it is": registry.spec(name).summary,
            "ranks by": model.ranking_score if model.ranks else "does not rank",
            "knobs used": ", ".join(
                f"{knob} {getattr(model, knob)}" for knob in registry.spec(name).knobs
            )
            or "none",
        }
        for name, model in candidates.items()
    ]
).set_index("model")
knob_table.style  # a Styler shows every knob; a plain frame cuts text at 50 characters

# %% tags=["log"]
with timed() as t_eval:
    ev = evaluation.evaluate(
        candidates,
        train,
        test,
        k=k,
        n_users=n_users,
        seed=seed,
        activity_edges=tuple(activity_edges),
        progress=lambda msg: print(msg) if msg.endswith("fitting") else None,
    )

# %%
print(
    f"{len(candidates)} models fitted and judged on {ev.info['n_users_ranked']:,} of "
    f"{ev.info['n_test_users']:,} test users in {t_eval.seconds:.0f} s: {len(ev.ranking)} "
    f"make top-{k} lists, {len(ev.rating)} predict stars."
)
for name, why in ev.info["not_ranked"].items():
    print(f"not ranked: {name} ({why})")
vae_products = None
if "Mult-VAE" in candidates:
    from zeerec.models.mf import tf_setup

    vae_products = "bfloat16" if tf_setup.BF16_MATMULS else "float32"
    print(
        f"Mult-VAE's training step did its matrix products in {vae_products} "
        "(zeerec.models.mf.tf_setup.BF16_MATMULS: bfloat16 where the CPU has native "
        "bfloat16 dot products); a CPU without them trains in float32 and gives slightly "
        "different Mult-VAE figures."
    )
for name, model in candidates.items():  # EASE on a catalogue above its cap
    left = getattr(model, "left_out_", {}).get("movies", 0)
    if left:
        print(
            f"{name} learnt on the {model.max_movies:,} most-rated movies only: the other "
            f"{left:,} movies ({model.left_out_['share_of_ratings']:.1%} of the training "
            "ratings) it never recommends."
        )

# %% [markdown]
# ## Predicting stars
#
# The models that predict a rating, scored on the held-out ratings of the judged users
# (those whose movie has a training rating). For scale: always predicting the mean
# training rating is the reference line every model should beat. Each RMSE has a 95 %
# interval from 1,000 bootstrap resamples of the judged users (a drawn user brings all
# their held-out ratings); two models whose difference has an interval covering 0 are
# called tied.

# %% caption="Rating error of each model that predicts stars, on the held-out ratings of the judged users (lower is better)."
mean_rmse = ev.info["global_mean_rmse"]
rating_table = ev.rating.sort_values("rmse").reset_index(drop=True)
rmse_ci = pd.DataFrame(columns=["model", "mean", "lo", "hi"])
if rating_table.empty:
    print("None of the chosen models predicts ratings.")
else:
    rmse_ci = evaluation.rmse_intervals(ev.rating_per_user, seed=seed)
    fig = plots.rating_metrics(rating_table, rmse_ci)
    plt.show()
    best_rating = rating_table.iloc[0]
    print(
        f"Lowest RMSE: {best_rating['model']}, {best_rating['rmse']:.3f} stars "
        f"(global mean: {mean_rmse:.3f}, {1 - best_rating['rmse'] / mean_rmse:.1%} lower)."
    )
    for name, model in candidates.items():
        if model.predicts_ratings and getattr(model, "reused_", None):
            own = [c for c in model.components_ if c not in model.reused_]
            print(
                f"{name}: its fit time covers its components' fits on its validation carving, "
                "its weights"
                + (f" and its own fits of {', '.join(own)} on all training ratings" if own else "")
                + f"; for {', '.join(model.reused_)} it used this comparison's fits on all "
                "training ratings (their time is in their own rows)."
            )
rating_shown = rating_table.merge(rmse_ci[["model", "lo", "hi"]], on="model", how="left")
rating_shown.insert(2, "RMSE 95 % interval", [
    f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(rating_shown.pop("lo"), rating_shown.pop("hi"), strict=True)
])  # fmt: skip
rating_shown.set_index("model").rename(
    columns={"n_ratings": "ratings", "fit_s": "fit s", "predict_s": "predict s"}
).style.format(
    {"rmse": "{:.3f}", "mae": "{:.3f}", "mape": "{:.1%}", "ratings": "{:,}", "fit s": "{:.2f}",
     "predict s": "{:.3f}"}
)

# %% [markdown]
# RMSE punishes large misses more than MAE; MAPE is the error as a share of the true
# stars, so a miss on a one-star rating weighs five times one on a five-star rating.
# Whether two models' RMSEs differ by more than this split's noise is read from the
# paired intervals (the conclusion below), not from the bars.
#
# ## Putting the right movies in the top k
#
# For each judged user, the model ranks every movie the user has not rated in training;
# the top k are compared with the user's held-out movies. Precision: share of the list
# that is relevant; Recall: share of the held-out movies found; NDCG and MAP also
# reward putting the hits first (MAP@k divides each user's sum of precisions at the hits
# by min(k, their held-out movies), as microsoft/recommenders' `map_at_k`; the table's
# reference column divides by all of them, as its `map` and the "MAP" of its published
# tables); HitRate: share of users with at least one hit. Coverage is
# the share of the movies rated in training that appear in any list; novelty the mean
# self-information −log2(share of training ratings) of the recommended movies, in bits
# (both as microsoft/recommenders) — higher means less obvious.
# The error bars and the interval column are 95 % bootstrap intervals over the judged
# users. What each model sorts its list by is in the knobs table above.

# %% caption="Top-k metrics of every model on the same judged users, best NDCG first, with 95 % intervals (each model's own; whether two models differ is read from the paired intervals in the table after the next line, not from overlapping bars)." tags=["main-figure"]
ranking_table = ev.ranking.sort_values(f"ndcg@{k}", ascending=False).reset_index(drop=True)
ranking_ci = evaluation.metric_intervals(ev.per_user, k, seed=seed)
fig = plots.ranking_metrics(ranking_table, k=k, intervals=ranking_ci)
plt.show()
ndcg_ci = ranking_ci[ranking_ci["metric"] == f"ndcg@{k}"].set_index("model")
# the costs have their own section below
shown = ranking_table.drop(columns=["n_users", "fit_s", "recommend_ms_per_user"])
shown = shown.set_index("model")
shown.insert(3, f"ndcg@{k} 95 % interval", [
    f"{ndcg_ci.loc[m, 'lo']:.3f}–{ndcg_ci.loc[m, 'hi']:.3f}" for m in shown.index
])  # fmt: skip
shown = shown.rename(columns={
    f"map@{k}": f"map@{k} ÷ min(k, relevant)", f"map_ref@{k}": "map ÷ relevant (reference)",
})  # fmt: skip
formats = {c: "{:.3f}" for c in shown.columns if c != f"ndcg@{k} 95 % interval"}
formats.update({"novelty": "{:.2f} bits"})
shown.style.format(formats)

# %%
rank = ranking_table.set_index("model")
best_model = ev.best()
pop = rank[f"ndcg@{k}"].get("popularity", np.nan)
vs_best = {  # each model against the best and against popularity, paired by user
    m: evaluation.paired_difference(ev.per_user, "ndcg", best_model, m, seed=seed)
    for m in rank.index.drop(best_model)
}
vs_pop = {
    m: evaluation.paired_difference(ev.per_user, "ndcg", m, "popularity", seed=seed)
    for m in ([] if np.isnan(pop) else rank.index.drop("popularity"))
}
best_ties = [m for m in ev.ranking["model"] if vs_best.get(m, {}).get("verdict") == "tied"]
beat = {"better": [], "tied": [], "worse": []}
for m, d in vs_pop.items():
    beat["better" if d["verdict"] == m else "tied" if d["verdict"] == "tied" else "worse"].append(m)
print(
    f"{best_model} has the highest NDCG@{k}, {rank.loc[best_model, f'ndcg@{k}']:.3f}"
    + (
        f" (tied with {', '.join(best_ties)}: the paired 95 % interval of each difference "
        "covers 0)"
        if best_ties
        else " (ahead of every other model: each paired 95 % interval excludes 0)"
    )
    + f"; precision@{k} {rank.loc[best_model, f'precision@{k}']:.3f}"
    + " — on average "
    f"{rank.loc[best_model, f'precision@{k}'] * k:.1f} of its {k} movies are among the user's "
    + ("later ratings, held out." if split_kind == "temporal" else "held-out ratings.")
    + (
        ""
        if np.isnan(pop)
        else f" Popularity alone reaches NDCG@{k} {pop:.3f}; against it (paired 95 % "
        f"intervals of the NDCG@{k} difference), {len(beat['better'])} of {len(rank) - 1} "
        f"models are better, {len(beat['tied'])} tied and {len(beat['worse'])} worse."
    )
)


def _interval(d):
    if d is None:
        return "–"
    who = "tied" if d["verdict"] == "tied" else f"{d['verdict']} ahead"
    return f"{d['difference']:+.3f} ({d['lo']:+.3f} to {d['hi']:+.3f}): {who}"


paired_table = pd.DataFrame(
    {
        f"{best_model} − model": [_interval(vs_best.get(m)) for m in rank.index],
        "model − popularity": [_interval(vs_pop.get(m)) for m in rank.index],
    },
    index=rank.index,
)
paired_table.style  # NDCG@k differences, 95 % paired bootstrap interval, and who is ahead

# %%
by_stars = [m for m in rank.index if candidates[m].ranking_score == PREDICTED_STARS]
others = [m for m in rank.index if m not in by_stars]
if by_stars and others:
    top_star, top_other = (rank.loc[g, f"ndcg@{k}"].idxmax() for g in (by_stars, others))
    d = evaluation.paired_difference(ev.per_user, "ndcg", top_other, top_star, seed=seed)
    print(
        f"Ranking by predicted stars ({', '.join(by_stars)}): best {top_star}, NDCG@{k} "
        f"{rank.loc[top_star, f'ndcg@{k}']:.3f}. Ranking by another score: best "
        f"{top_other}, {rank.loc[top_other, f'ndcg@{k}']:.3f}; difference "
        f"{d['difference']:+.3f} (95 % interval {d['lo']:+.3f} to {d['hi']:+.3f}"
        + (", tied)." if d["verdict"] == "tied" else ").")
    )

# %% [markdown]
# The top-k task asks which movies a user has *watched* that the model was not shown
# (with a temporal split: which they watched next): every held-out movie counts,
# whatever its stars. A model that sorts by predicted stars answers another question
# (how much would they like it, if they watched it); the line above measures how much
# that costs on this split.
#
# ## What it costs

# %% caption="What each model costs: seconds to fit once, and milliseconds to recommend to one user (log scales)."
fig = plots.evaluation_cost(ranking_table)
plt.show()

# %%
batched = [m for m in rank.index if evaluation.scores_in_blocks(candidates[m])]
per_user = [m for m in rank.index if m not in batched]
ms = rank["recommend_ms_per_user"]
if batched:
    print(
        f"Scored a block of users at a time ({', '.join(batched)}): "
        f"{ms[batched].max():.2f} ms per user at most."
    )
if per_user:
    print(
        f"Asked one user at a time ({', '.join(per_user)}): {ms[per_user].min():.2f} to "
        f"{ms[per_user].max():.2f} ms per user."
    )
slowest_fit = rank["fit_s"].idxmax()
print(f"Slowest to fit: {slowest_fit}, {rank.loc[slowest_fit, 'fit_s']:.1f} s.")
for name, model in candidates.items():
    if name in rank.index and not model.predicts_ratings and getattr(model, "reused_", None):
        print(
            f"{name}: {rank.loc[name, 'fit_s']:.1f} s of its own; it used this comparison's "
            f"fits of {', '.join(model.reused_)} (their time is in their own rows)."
        )

# %% [markdown]
# Fit time is paid once per training run; recommend time is paid per user per request.
# A model whose scores for many users are one matrix product serves a block of users
# at once; neighbourhood models build each user's list on its own.
#
# ## Cold and heavy users
#
# The judged users grouped by their number of training ratings. A model that needs a
# long history to work shows it here.

# %% caption="NDCG@k by the judged users' number of training ratings (cold, medium, heavy), per model, with each bucket's 95 % interval."
activity_ci = pd.concat(
    [
        evaluation.metric_intervals(
            ev.per_user[ev.per_user["activity"].astype(str) == bucket], k, ("ndcg",), seed=seed
        ).assign(activity=bucket)
        for bucket in dict.fromkeys(ev.by_activity["activity"])
    ]
)
fig = plots.metric_by_activity(
    ev.by_activity, f"ndcg@{k}", models=list(rank.index), intervals=activity_ci
)
plt.show()
activity_table = ev.by_activity.pivot(index="model", columns="activity", values=f"ndcg@{k}")
activity_table = activity_table.reindex(
    index=list(rank.index), columns=list(dict.fromkeys(ev.by_activity["activity"]))
)
bucket_users = ev.by_activity.groupby("activity", sort=False)["n_users"].max()
print(
    "Judged users per bucket: "
    + ", ".join(f"{b} {bucket_users[b]:,}" for b in activity_table.columns)
    + ": a bucket of few users gives noisy figures; the conclusion's intervals say which "
    "differences within the coldest and the heaviest bucket are larger than that noise."
)
activity_table.style.format("{:.3f}", na_rep="–")

# %%
cols = list(activity_table.columns)
first, last = cols[0], cols[-1]
print(
    f"NDCG@{k} for {first} users vs {last} users: "
    + "; ".join(
        f"{m} {activity_table.loc[m, first]:.3f} → {activity_table.loc[m, last]:.3f}"
        for m in activity_table.index
    )
    + "."
)

# %% [markdown]
# Heavy users have more held-out movies, so a top-k list has more hits to find: a
# bucket's level says as much about its users as about the models. What compares models
# is their order within a bucket; the conclusion below says which differences there
# are larger than the noise of a bucket's few users.
#
# ## Conclusion: the best model for each job

# %%
verdict = evaluation.conclusions(ev, seed=seed)
lines = [
    f"- **{r.job}**: {r.model}"
    + (f", tied with {r.tied_with}" if r.tied_with else "")
    + f" ({r.evidence})."
    for r in verdict.itertuples()
]
if not rating_table.empty:
    lines.append(
        f"- For reference, always predicting the mean training rating gives RMSE {mean_rmse:.3f}."
    )
if mf_epochs is not None:
    capped = [m for m in ("seed MF", "improved MF", "rating blend") if m in candidates]
    if capped:
        lines.append(
            f"- {', '.join(capped)}: the Keras MF models trained for at most {mf_epochs} "
            "epochs here (parameter `mf_epochs`), so their figures are not those of the "
            "fully trained models of notebook 05."
        )
if unavailable:
    lines.append(f"- Not compared in this run: {', '.join(unavailable)}.")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Key findings

# %% findings=["best_ranking_model=highest NDCG@k", "best_ranking_tied_with=tied with it (paired 95 % interval of the NDCG@k difference covers 0)", "best_ndcg=its NDCG@k", "best_rating_model=lowest RMSE", "best_rmse=its RMSE (stars)"]
out = Path(model_dir)
for name, frame in (
    ("ranking", ev.ranking),
    ("rating", ev.rating),
    ("by_activity", ev.by_activity),
    ("per_user", ev.per_user),
):
    atomic_write(out / f"evaluation_{name}.parquet", lambda p, f=frame: f.to_parquet(p))
headline_cols = ["model", f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}"]
headline = ranking_table[[*headline_cols, "fit_s", "recommend_ms_per_user"]].merge(
    rating_table[["model", "rmse"]], on="model", how="left"
)
headline["rmse"] = [("–" if np.isnan(v) else f"{v:.3f}") for v in headline["rmse"]]
headline.insert(4, f"ndcg@{k} 95 % interval", [
    f"{ndcg_ci.loc[m, 'lo']:.3f}–{ndcg_ci.loc[m, 'hi']:.3f}" for m in headline["model"]
])  # fmt: skip
headline = headline.rename(columns={"fit_s": "fit s", "recommend_ms_per_user": "ms/user"})
tied_with = dict(zip(verdict["job"], verdict["tied_with"], strict=True))
key = record(
    working_ratings=work.n_ratings,
    working_whole=work.whole,
    best_ranking_model=best_model,
    best_ranking_tied_with=tied_with.get(f"top-{k} list for a typical user") or "none",
    best_rating_tied_with=None if rating_table.empty else tied_with.get("predicting stars") or "none",
    best_ndcg=float(rank.loc[best_model, f"ndcg@{k}"]),
    best_precision=float(rank.loc[best_model, f"precision@{k}"]),
    best_rating_model=None if rating_table.empty else str(rating_table.loc[0, "model"]),
    best_rmse=None if rating_table.empty else float(rating_table.loc[0, "rmse"]),
    global_mean_rmse=float(mean_rmse),
    k=k,
    split_kind=split_kind,
    seed=seed,
    n_users_judged=int(ev.info["n_users_ranked"]),
    ease_lambda=ease_lam,
    evaluation_s=round(t_eval.seconds, 1),
    mult_vae_products=vae_products,
    leaked_pairs=leaked,
    models=list(candidates),
    unavailable=unavailable,
    ranking=ranking_table,
    ranking_intervals=ranking_ci,
    rating=rating_table,
    rmse_intervals=rmse_ci,
    by_activity=ev.by_activity,
    ease_tuning=tuning,
    conclusions=verdict,
    **{HEADLINE_KEY: headline},
)
findings(key)
