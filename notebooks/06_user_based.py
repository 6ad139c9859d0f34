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
# # 06 · Recommendations for a new user
#
# **Question:** a new user rates four movies — what should they watch next, and why?
# The seed analysis gave its new user Mrs. Doubtfire (3★), Dumb & Dumber (4★), Ace
# Ventura: Pet Detective (5★) and Home Alone (5★), listed the existing users who had
# rated the same movies, sorted them by how many they shared — and stopped there. This
# notebook finishes the job three ways and compares them: **user-based collaborative
# filtering** (people who rated these movies like you did), **matrix-factorisation
# fold-in** (your taste vector solved against the model trained in notebook 05, no
# retraining), and **content-based** (movies whose genres and decade match what you
# liked), plus a **hybrid** of the first and the last. Data: the tables written by
# notebook 01 and the MF model saved by notebook 05.

# %% tags=["parameters"]
processed_dir = "../data/processed"  # tables written by notebook 01
model_dir = "../data/models"  # where notebook 05 saved the trained MF model
new_user_ratings = {  # the new user's ratings: {title or movie id: whole stars 1-5}
    "Mrs. Doubtfire": 3,
    "Dumb & Dumber": 4,
    "Ace Ventura: Pet Detective": 5,
    "Home Alone": 5,
}
user_k = 60  # user-based CF: number of neighbours who vote
user_min_common = 2  # user-based CF: movies a neighbour must share with the new user
top_n = 10  # length of every recommendation list
fallback_epochs = 8  # epochs of the small MF trained here only if model_dir has none
protocol_users = 100  # new-user protocol: users held out and scored (BENCHMARKS.md uses 500)
protocol_models = []  # registry models scored too ([]: popularity only; None: all that can)
protocol_seed = 42  # new-user protocol: which users are held out
max_users = 10_000  # models learn from at most this many users, a seeded sample (None: all)
max_movies = 5_000  # ... and the most-rated movies only, above this many (None: all)
seed = 42  # which users the working set takes (notebook 05's seed gives 05's set)
protocol_mf = True  # new-user protocol: score MF fold-in too (its small MF is the slow step)

# %%
import pandas as pd

from zeerec import data as zd
from zeerec import newuser, splits
from zeerec.display import (
    evidence_table,
    list_traits,
    median_seconds,
    overlap,
    side_by_side,
    timed,
)
from zeerec.mf_analysis import agreement
from zeerec.profile import profile_for, profile_table
from zeerec.report import findings, record

pd.set_option("display.precision", 2)
pd.set_option("display.max_colwidth", 48)
ml = zd.load_processed(processed_dir)
work = splits.working_set(ml.ratings, max_users, max_movies, seed=seed)
print(work.sentence())
ratings, movies = work.ratings, ml.movies
titles = movies.set_index("movie_id")["title"]
print(f"{len(ratings):,} ratings by {ratings['user_id'].nunique():,} users "
      f"of {ratings['movie_id'].nunique():,} movies")

profile, note = profile_for(new_user_ratings, movies, ratings, synthetic=ml.synthetic)
if note:
    print(note)
profile_table(profile, movies)

# %% [markdown]
# The titles were resolved with the same lookup as notebook 03 (spelling, articles and
# years are forgiven; an unknown title stops the notebook with the closest matches), and
# the stars checked: whole numbers from 1 to 5, each movie once.
#
# ## Who else rated these movies — where the seed stopped

# %%
models = newuser.fit_models(ratings, movies, n_neighbours=user_k, min_common=user_min_common)
common = models.user.common_raters(profile)
seed_view = common.rename(columns={m: titles[m] for m in profile}).head(10)
display(seed_view.set_index("user_id").style.format(precision=0, na_rep=""))  # noqa: F821
per_overlap = common["n_common"].value_counts().sort_index(ascending=False)
print(f"{len(common):,} users rated at least one of the {len(profile)} movies; "
      + ", ".join(f"{n:,} rated {c}" for c, n in per_overlap.items()) + ".")

# %% [markdown]
# This is the seed's table: existing users ordered by how many of the new user's movies
# they rated, with their stars (blank = not rated). Sharing movies is not agreeing about
# them — some of the top rows gave one star where the new user gave five — so overlap
# alone is a poor guide to taste. The next step weighs each user by how *alike* their
# choices are: which movies they rated, not how.
#
# ## From overlap to similarity: the neighbours
#
# Similarity (`weight`) is the cosine between who-rated-what: the number of shared
# movies divided by √(the new user's movies × the other user's movies), so two users
# are alike when they chose the same movies, and someone who rated everything counts
# for less. The Pearson correlation of the stars on the shared movies is shown beside
# it; on a validation carving of ML-100K, ranking by Pearson neighbours found far fewer
# of the movies users went on to watch (BENCHMARKS.md, "Neighbourhood ranking rules").
# Neighbours are the `user_k` users with the highest weight among those sharing at
# least `user_min_common` movies.

# %%
sims = models.user.similarities(profile)
neighbours = models.user.neighbours(profile)
display(neighbours.head(10).set_index("user_id").style.format(  # noqa: F821
    {"pearson": "{:.2f}", "weight": "{:.3f}"}))
eligible = sims[sims["n_common"] >= user_min_common]
print(
    f"Of {len(eligible):,} users sharing at least {user_min_common} movies, "
    f"{(eligible['pearson'] > 0).sum():,} agree (positive Pearson), "
    f"{(eligible['pearson'] < 0).sum():,} disagree and "
    f"{(eligible['pearson'] == 0).sum():,} are undefined (constant stars on the shared "
    f"movies); {len(neighbours)} become neighbours, sharing "
    f"{neighbours['n_common'].median():.0f} movies on median."
)

# %% [markdown]
# With only four ratings, every correlation rests on two to four numbers: a perfect
# +1 on two movies is common and means little. What someone chose to watch is steadier
# evidence than how they rated it, which is why the neighbours are chosen by the cosine.
#
# ## 1 · User-based collaborative filtering
#
# A movie's score is the neighbours' weighted vote: the sum of the similarities of the
# neighbours who rated it. A movie that many close neighbours watched leads the list;
# stars do not enter the ranking.

# %%
with timed() as t_user:
    lists = {"user": newuser.recommend(models, "user", profile, n=top_n)}
evidence_table(lists["user"], "user", movies)

# %% [markdown]
# Each row says who vouches for the movie: the vote that ranks it, how many of the
# neighbours rated it and their average stars.
#
# ## 2 · Matrix-factorisation fold-in
#
# Notebook 05's improved MF predicts `μ + b_user + b_movie + p_user · q_movie`. For a
# new user, the movie side stays fixed and the user's bias and taste vector are the
# regularised least-squares fit to their ratings — one small linear system, solved
# with no retraining (the time below includes ranking every movie).

# %%
foldin, mf_model, mf_note = newuser.load_or_train_foldin(
    model_dir, ratings, fallback_epochs=fallback_epochs
)
if mf_note:
    print(mf_note + " Run `make report` for the full picture.")
models.mf = foldin
lists["mf"] = newuser.recommend(models, "mf", profile, n=top_n)
foldin_ms = 1000 * median_seconds(lambda: newuser.recommend(models, "mf", profile, n=top_n))
folded = foldin.fold_in(profile)
top_mf = lists["mf"]
print(
    f"Fold-in + ranking of {len(foldin.movie_ids):,} movies: {foldin_ms:.2f} ms (median of "
    f"20). The new user's bias is {folded.bias:+.2f} stars; across this top {top_n} the "
    f"movie bias averages {top_mf['movie_bias'].mean():+.2f} stars and the taste match "
    f"{top_mf['taste_match'].mean():+.2f}."
    + (
        " The taste match adds next to nothing here: this list is what everybody rates "
        "highly, whatever the four ratings say."
        if abs(top_mf["taste_match"].mean()) < 0.1 * max(abs(top_mf["movie_bias"].mean()), 1e-9)
        else ""
    )
)
evidence_table(top_mf, "mf", movies)

# %% [markdown]
# A prediction splits into the movie's bias — how much better than average everyone
# rates it — and the taste match `p · q`, how well the movie fits the direction this
# user's ratings point to. The penalty on the taste vector is the one training applied
# to a user with that few ratings, so with a handful of ratings the vector stays short
# and the movie biases — what everybody likes — carry most of the ranking; the line
# above says how much, for this profile.
#
# Does fold-in reproduce the trained model? For existing users we can compare: fold in
# each user's own ratings and compare with the predictions of their trained vectors.

# %%
check = agreement(foldin, mf_model, n_users=200)
display(check.drop(columns="user_id").describe().loc[["mean", "50%", "max"]])  # noqa: F821
ratio = check["rmse_vs_trained"].median() / check["user_part"].median()
print(
    f"Across {len(check)} existing users, fold-in predictions differ from the trained "
    f"model's by {check['rmse_vs_trained'].median():.3f} stars (RMSE, median user), while "
    f"what the model predicts for a user beyond the movie's average is "
    f"{check['user_part'].median():.3f} stars: fold-in recovers the user-specific part "
    f"to within {ratio:.0%}. The two top-10 lists share "
    f"{check['top10_shared'].median():.0f} of 10 movies for the median user."
)

# %% [markdown]
# Fold-in solves, exactly, the problem training solves for each user — with the penalty
# read from the model, so a user with `n` ratings is penalised as a trained user with
# `n` ratings was. The closer training came to converging, the closer the two agree;
# what remains comes from training stopping early and from the validation ratings that
# training held out but fold-in uses. (`benchmarks/bench_foldin.py` shows that a
# quarter or four times this penalty agrees worse.)
#
# ## 3 · Content-based
#
# Each movie is a vector of its genres (TF-IDF weighted, so a rare genre says more than
# Comedy or Drama) and its release decade. The user's profile is the sum of the rated
# movies' vectors weighted by their mean-centred stars — centred on the user's mean
# shrunk towards the catalogue mean, so that four comedies still say "comedy". Movies
# are ranked by cosine to that profile; exact ties go to the better-rated movie.

# %%
weights = models.content.profile_vector(profile)
print("Profile weights: " + ", ".join(
    f"{name} {w:+.2f}" for name, w in weights[weights.abs() > 1e-9]
    .sort_values(ascending=False).items()))
lists["content"] = newuser.recommend(models, "content", profile, n=top_n)
cosines = lists["content"]["score"].round(6)
print(
    f"{int((cosines == cosines.max()).sum())} of these {len(cosines)} share the highest "
    f"cosine, {cosines.max():.2f}: among them the order is the weighted rating's, not the "
    "profile's."
)
evidence_table(lists["content"], "content", movies)

# %% [markdown]
# Content-based sees only genres and decades, so the movies in the list look alike on
# paper and many tie exactly — the weighted rating only breaks those ties. It needs
# nobody else's ratings (it could recommend a movie nobody has rated yet), but it cannot
# tell a loved comedy from a dud.
#
# ## 4 · Hybrid
#
# The hybrid adds the two standardised signals: user-based CF's vote (zero when no
# neighbour rated the movie) and the content cosine, half each.
# When the new user has fewer than five neighbours, CF is left out and the list is the
# content-based one.

# %%
lists["hybrid"] = newuser.recommend(models, "hybrid", profile, n=top_n)
hyb = lists["hybrid"]
print(
    f"Hybrid mode: {hyb.attrs['mode']}. In this top {len(hyb)} the CF part averages "
    f"{hyb['cf_part'].mean():.2f} and the content part {hyb['content_part'].mean():.2f} "
    "(each already divided by its spread over the catalogue): the "
    + ("CF" if hyb["cf_part"].mean() > hyb["content_part"].mean() else "content")
    + " part weighs more in this list."
)
evidence_table(hyb, "hybrid", movies)

# %% [markdown]
# The score is the sum of the two parts shown: a movie rises when close neighbours
# watched it (CF part, zero when no neighbour rated it) *and* it shares the new user's
# genres and decade (content part).
#
# ## Side by side

# %%
order = ["user", "mf", "content", "hybrid"]
lists = {m: lists[m] for m in order}
labelled = {newuser.LABELS[m]: lists[m] for m in order}
display(side_by_side(labelled, movies))  # noqa: F821 (IPython built-in)
shared_movies = overlap(labelled)
shared_movies

# %%
traits = list_traits(labelled, ratings, movies, profile)
traits.style.format({"median_ratings": "{:,.0f}", "weighted_rating": "{:.2f}",
                     "median_year": "{:.0f}", "genre_match": "{:.0%}"})

# %%
best = traits["weighted_rating"].idxmax()
worst = traits["weighted_rating"].idxmin()
most_popular = traits["median_ratings"].idxmax()
oldest = traits["median_year"].idxmin()
pairs = [(a, b) for i, a in enumerate(shared_movies.index) for b in shared_movies.columns[i + 1:]]
shared = sum(shared_movies.loc[a, b] for a, b in pairs)
print(
    f"The four lists share {shared} movie(s) over {len(pairs)} pairs of lists; the hybrid "
    f"keeps {shared_movies.loc['hybrid', 'user-based CF']} of user-based CF's and "
    f"{shared_movies.loc['hybrid', 'content-based']} of content-based's movies. "
    f"Best rated overall: {best} (mean weighted rating "
    f"{traits.loc[best, 'weighted_rating']:.2f}); lowest: {worst} "
    f"({traits.loc[worst, 'weighted_rating']:.2f}). Most popular: {most_popular} (median "
    f"{traits.loc[most_popular, 'median_ratings']:,.0f} ratings); oldest: {oldest} (median "
    f"year {traits.loc[oldest, 'median_year']:.0f}). Share of movies with a genre the new "
    "user rated: " + ", ".join(f"{n} {v:.0%}" for n, v in traits["genre_match"].items()) + "."
)

# %% [markdown]
# **Why they differ.** The methods answer different questions; the table and the line
# above measure the consequences for this profile. User-based CF asks what the people
# who chose the same movies as the new user also watched — a vote of close neighbours,
# so it follows what such people actually pick. MF fold-in places the new user in a
# taste space learned
# from everyone; with few ratings the taste vector is short and the movie biases,
# general acclaim, dominate. Content-based follows the genres literally and is blind to
# quality and popularity. The hybrid keeps the movies neighbours vouch for that also
# match the genres. None of the four is "right": with four ratings, each shows what its
# assumption alone makes of them — the next section measures which one to believe.
#
# ## Which list to believe? Scoring the methods on held-out users
#
# The new-user protocol replays this situation on real users: `protocol_users` users
# with at least 30 ratings (drawn with `protocol_seed`) are held out entirely, every
# method learns again from everybody else, and each held-out user's first ratings by
# date — as many as the new user above gave — are the profile. Every movie they rated
# afterwards counts as a hit in a top 10 built from that profile. Contenders: the four
# methods above (MF fold-in against a small MF trained here on the other users, since
# notebook 05's model has seen the held-out users; `protocol_mf = False` leaves it out,
# the section's slowest step), popularity as the bar to clear, and
# the registry models named in `protocol_models` (None: every one that takes a new
# user's ratings). Only `protocol_users` users are held out, and no other registry model
# by default, to keep the report within its time budget; `benchmarks/bench_newuser.py` runs the same protocol with 500 users and every
# registry model on ML-100K and the ML-1M slice (BENCHMARKS.md). Intervals are 95 %
# paired bootstrap intervals over the held-out users.

# %% tags=["log"]
from zeerec.evaluation.newuser_protocol import protocol, standing

with timed() as t_protocol:
    scored = protocol(
        ratings, movies, n_profiles=(len(profile),), n_users=protocol_users,
        models=protocol_models, seed=protocol_seed, progress=print,
        newuser_settings={"n_neighbours": user_k, "min_common": user_min_common},
        mf_settings={"epochs": fallback_epochs, "factors": 32} if protocol_mf else None,
    )

# %%
ranked = scored.table.sort_values(f"ndcg@{scored.k}", ascending=False)


def _with_interval(metric: str) -> list[str]:
    cols = [f"{metric}@{scored.k}", f"{metric}_lo", f"{metric}_hi"]
    return [f"{m:.3f} ({lo:.3f}–{hi:.3f})" for m, lo, hi in ranked[cols].to_numpy()]


shown = pd.DataFrame({
    "model": ranked["model"],
    f"P@{scored.k} (95 % interval)": _with_interval("precision"),
    f"NDCG@{scored.k} (95 % interval)": _with_interval("ndcg"),
    "coverage": ranked["coverage"].map("{:.1%}".format),
    "novelty (bits)": ranked["novelty"].map("{:.2f}".format),
}).set_index("model")
info = scored.info
print(f"{info['n_held_out']:,} of {info['n_eligible']:,} users with ≥ {info['min_ratings']} "
      f"ratings held out; profiles of their first {len(profile)} ratings; the models learned "
      f"from {info['n_train_users']:,} other users in {t_protocol.seconds:.0f} s (all models, "
      "fitting and lists).")
shown

# %%
overall = standing(scored, len(profile), seed=protocol_seed)  # the protocol's own draws
four = standing(
    scored, len(profile), among=[newuser.LABELS[m] for m in order], seed=protocol_seed
)
vs_pop = scored.versus[(scored.versus["against"] == "popularity")
                       & (scored.versus["metric"] == "ndcg")]


def _diff(row) -> str:
    return f"{row['difference']:+.3f} (95 % interval {row['lo']:+.3f} to {row['hi']:+.3f})"


def _verdict(s: dict, who: str) -> str:
    """Name one list only when every paired interval against it excludes 0."""
    d = s["differences"].set_index("b")
    if d.empty:
        return f"{who}, {s['best']}'s is the only list scored"
    if not s["tied"]:
        return (f"{who}, believe {s['best']}'s list: its NDCG@{scored.k} of {s['mean']:.3f} "
                f"is ahead of every other, the runner-up {d.index[0]} by {_diff(d.iloc[0])} — "
                "its top 10 held more of what the held-out users went on to rate")
    widest = s["tied"][-1]
    names = " and ".join([", ".join(s["tied"][:-1]), widest]) if len(s["tied"]) > 1 else widest
    return (f"{who}, no single list is better supported: {s['best']} scores highest "
            f"({s['mean']:.3f}) but {names} "
            f"{'is' if len(s['tied']) == 1 else 'are'} within noise of it (the 95 % interval "
            f"of each difference includes 0; widest gap, {widest}: {_diff(d.loc[widest])}), "
            f"so these {len(s['tied']) + 1} lists are equally believable on "
            f"{scored.info['n_held_out']} held-out users")


who = f"For someone who rated {len(profile)} movies"
if _verdict(overall, "") == _verdict(four, ""):  # the same reading twice: say it once
    sentence = _verdict(overall, f"{who} (among every list scored, as among the four above)")
    sentence += "."
else:
    sentence = f"{_verdict(overall, who)}. {_verdict(four, 'Of the four lists above')}."
if len(vs_pop):
    p = vs_pop.iloc[0]
    where = {"tied": "within noise", p["a"]: "ahead", p["b"]: "behind"}[p["verdict"]]
    sentence += (f" Against popularity, which ignores the ratings altogether, {p['a']}'s "
                 f"NDCG@{scored.k} differs by {_diff(p)}, {p['relative']:+.0%}: {where}.")
print(sentence)
best_row = scored.table[
    (scored.table["n_profile"] == len(profile)) & (scored.table["model"] == overall["best"])
].iloc[0]
best_interval = (
    f"{overall['best']} {best_row[f'ndcg@{scored.k}']:.2f} "
    f"({best_row['ndcg_lo']:.2f}–{best_row['ndcg_hi']:.2f})"
)

# %% [markdown]
# The line above is computed from the table: a list is named the one to believe only
# when its paired interval against every other excludes 0; otherwise the lists it is tied
# with are named too. The held-out users' later ratings are what they went on to watch,
# so a list that holds more of them is the one that better guesses what a new user
# will watch next — not necessarily what they will love. Popularity is the bar a
# personalised list has to clear: with a handful of ratings, what everybody watches is
# a strong guess. Coverage and novelty say what each list costs in variety: a list
# built from neighbours or co-occurrence leans to popular titles, content-based to
# obscure ones.
#
# ## Key findings

# %% findings=["protocol_believe=list to believe for a new user (held-out users, NDCG@10, paired 95 % intervals)", "protocol_best_ndcg_interval=highest NDCG@10 (95 % interval)", "protocol_vs_popularity_text=best personalised list against popularity (NDCG@10)", "top_hybrid=hybrid list starts with", "top_user=user-based list starts with"]
key = record(
    working_ratings=work.n_ratings,
    working_whole=work.whole,
    profile={titles[m]: s for m, s in profile.items()},
    stand_in_profile=note is not None,
    n_common_raters=len(common),
    n_neighbours=len(neighbours),
    user_based_ms=t_user.ms,
    foldin_ms=foldin_ms,
    mf_model=mf_note or "notebook 05's saved model",
    foldin_rmse_vs_trained=float(check["rmse_vs_trained"].median()),
    foldin_user_part=float(check["user_part"].median()),
    foldin_top10_shared=float(check["top10_shared"].median()),
    hybrid_mode=lists["hybrid"].attrs["mode"],
    overlap_pairs_shared=int(shared),
    top_user=[titles[m] for m in lists["user"]["movie_id"]],
    top_mf=[titles[m] for m in lists["mf"]["movie_id"]],
    top_content=[titles[m] for m in lists["content"]["movie_id"]],
    top_hybrid=[titles[m] for m in lists["hybrid"]["movie_id"]],
    protocol_users=int(scored.info["n_held_out"]),
    protocol_n_profile=len(profile),
    protocol_best=overall["best"],
    protocol_best_ndcg=overall["mean"],
    protocol_tied=overall["tied"],
    protocol_tied_with=", ".join(overall["tied"]) or "none",
    protocol_believe=(
        overall["best"]
        if not overall["tied"]
        else "no single list: " + ", ".join([overall["best"], *overall["tied"]]) + " are tied"
    ),
    protocol_best_ndcg_interval=best_interval,
    protocol_vs_popularity_text=(
        f"{vs_pop.iloc[0]['a']} − popularity {_diff(vs_pop.iloc[0])}" if len(vs_pop) else None
    ),
    protocol_best_of_four=four["best"],
    protocol_tied_of_four=four["tied"],
    protocol_vs_popularity=float(vs_pop.iloc[0]["difference"]) if len(vs_pop) else None,
    protocol_vs_popularity_verdict=str(vs_pop.iloc[0]["verdict"]) if len(vs_pop) else None,
    protocol_seconds=t_protocol.seconds,
    protocol_verdict=sentence,
    protocol_table=scored.table.drop(columns=["method"]).to_dict("records"),
    evidence={
        name: evidence_table(rec, name, movies).reset_index().to_dict("records")
        for name, rec in lists.items()
    },
)
findings(key)

# %% [markdown]
# The table repeats the scalar figures recorded in `metrics.json`; the four top lists
# and their evidence columns are recorded there too. Every list excludes the movies the
# new user rated.
