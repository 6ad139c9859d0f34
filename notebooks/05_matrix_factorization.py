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
# # 05 · Matrix factorisation: the seed's Keras model and a properly built one
#
# **Question:** how well does a Keras matrix-factorisation model predict ratings, and
# how much of that is the model rather than the training recipe? The seed built a user
# embedding and a movie embedding (64 factors), took their dot product as the rating,
# and trained it with MSE, Adam(1e-4), batch 128 for 20 epochs on an 80/20 random split
# (RMSE 0.990, MAPE 0.293 in the case study). We reproduce that model, then build the
# one a practitioner would: a global mean and a bias per user and per movie, the dot
# product only for what the biases leave, L2 regularisation of the embeddings looked
# up in each batch, early stopping on a validation set carved from the training
# ratings, and predictions clipped to 1–5. Both are compared with two baselines (the
# global mean, and user + movie biases), and the improved model's embeddings are put to
# work: a map of the movies, similar movies, and a top-10 list. Data: the tables written
# by notebook 01; the improved model is saved for notebooks 06 and 07.

# %% tags=["parameters"]
processed_dir = "../data/processed"  # tables written by notebook 01
model_dir = "../data/models"  # the improved model is saved here for notebooks 06 and 07
seed = 42  # one seed for the split, the validation carving and Keras
test_size = 0.2  # held-out share of the ratings (the seed's 80/20)
factors = 32  # improved model: factors per member
members = 4  # improved model: independent models trained side by side and averaged
epochs = 60  # improved model: at most; early stopping on the validation set ends sooner
batch_size = 2048  # improved model: ratings per Adam step
learning_rate = 5e-3  # improved model: Adam's starting rate, halved when validation stalls
reg = 0.13  # improved model: L2 weight per lookup, for a row with the typical rating count
seed_epochs = 20  # seed model: epochs (published: 20)
seed_batch_size = None  # seed model: batch size; None: the published number of Adam steps
seed_learning_rate = 1e-4  # seed model: Adam's learning rate (published: 1e-4)
ablation_ratings = 50_000  # training ratings (a random sample) the ablation runs on; 0: skip
movie = "Liar Liar"  # movie for "similar movies" (title in any usual spelling, or movie_id)
user_id = None  # user for the top-10 list; None: the user with the median number of ratings
top_n = 10  # length of the similar-movies and top-N lists
similar_min_ratings = 20  # similar movies: only movies with this many training ratings

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from zeerec import data as zd
from zeerec import plots
from zeerec.lookup import TitleIndex, pick_movie, typical_user
from zeerec.models import mf
from zeerec.models.baseline import BiasBaseline, GlobalMean
from zeerec.report import findings, record
from zeerec.splits import random_split

pd.set_option("display.precision", 3)
ml = zd.load_processed(processed_dir)
ratings, movies = ml.ratings, ml.movies
titles = TitleIndex(movies)
train, test = random_split(ratings, test_size, seed=seed)
cold = ~(test["user_id"].isin(train["user_id"]) & test["movie_id"].isin(train["movie_id"]))
print(
    f"{len(ratings):,} ratings: {len(train):,} to train on, {len(test):,} held out for the "
    f"final comparison ({cold.sum():,} of those involve a user or movie with no training "
    "rating)."
)

# %% [markdown]
# The test ratings are touched once, at the end, for the comparison table. Everything
# the models learn or choose — weights, the epoch to stop at, the stretch of the taste
# term — comes from the training ratings, of which each model holds out 10 % as its own
# validation set.
#
# ## The seed's model, as published
#
# Two `Embedding` layers of 64 factors, flattened, and a `Dot` layer: nothing else — no
# biases, no regularisation — trained with Adam at a learning rate of 1e-4 for the
# published 20 epochs. The seed trained on 140,686 ratings in batches of 128, i.e.
# 1,100 Adam steps per epoch. With Adam at 1e-4, progress is counted in steps: on
# more data, batches of 128 would mean many more steps (and minutes of training), on
# less data fewer. By default (`seed_batch_size = None`) the batch size is chosen so
# that each epoch makes the published 1,100 steps, never below 128. Keras reports each
# epoch (its number, then the losses).

# %%
n_fit_seed = len(train) - int(round(len(train) * 0.1))  # 10 % is held out for validation
seed_batch = mf.seed_batch_size(n_fit_seed) if seed_batch_size is None else int(seed_batch_size)
steps = seed_epochs * int(np.ceil(n_fit_seed / seed_batch))
print(
    f"Seed model: {seed_epochs} epochs, batch {seed_batch}, Adam({seed_learning_rate:g}) "
    f"→ {steps:,} Adam steps (published: 20 × 1,100 = 22,000)."
)
seed_model = mf.SeedMF(
    epochs=seed_epochs,
    batch_size=seed_batch,
    learning_rate=seed_learning_rate,
    seed=seed,
    verbose=2,
).fit(train)

# %% [markdown]
# ## The improved model
#
# `BiasedMF` predicts `mu + b_u + b_i + p_u · q_i` and changes the recipe:
#
# - **biases** — a user who rates everything high, a movie everybody likes: most of
#   what can be predicted, carried by one number each;
# - **per-batch L2** on the embedding rows looked up in each batch (not the whole
#   matrix), growing with the square root of a row's number of ratings, so a movie
#   rated twice cannot memorise its two ratings;
# - **large batches and a learning rate that converges in tens of epochs**, halved
#   whenever the validation error stalls;
# - **early stopping** on a validation set carved from the training ratings, the best
#   epoch's weights restored — then a **refit** on all training ratings for that many
#   epochs;
# - a **stretch of the taste term** fitted on the validation set: L2 shrinks both
#   factors of a dot product, the stretch gives back what was shrunk too much;
# - `members` independent models trained side by side in one Keras model, each
#   walking the data in its own order, and **averaged** — which is again one MF model;
# - predictions **clipped** to 1–5.
#
# Keras prints each epoch of the validated run (the refit on all training ratings
# follows silently).

# %%
model = mf.BiasedMF(
    factors=factors,
    members=members,
    epochs=epochs,
    batch_size=batch_size,
    learning_rate=learning_rate,
    reg=reg,
    seed=seed,
    verbose=2,
).fit(train)
per_epoch = float(np.median(model.epoch_seconds_))
print(
    f"Early stopping: training ends once the validation RMSE has not improved by at least "
    f"{model.min_delta:g} for {model.patience} epochs in a row, and the learning rate is "
    f"multiplied by {model.lr_factor:g} after every epoch that improves it by less than "
    f"{model.lr_min_delta:g}; the epoch with the lowest validation RMSE is kept."
)
print(
    f"Stopped after {len(model.history_['loss'])} epochs, kept epoch {model.best_epoch_} "
    f"(validation RMSE {model.validation_rmse_:.4f}), refit on all {model.n_train_:,} "
    f"training ratings; taste stretch {np.mean(model.taste_scale_):.2f}. "
    f"{model.fit_seconds_:.1f} s in all, {per_epoch:.2f} s per epoch."
)

# %% [markdown]
# ## Learning curves

# %%
fig = plots.training_curves(
    {"seed model (as published)": seed_model.history_, "improved model": model.history_},
    {"improved model": model.best_epoch_},
)
plt.show()

# %%
seed_val = seed_model.history_["val_rmse"]
print(
    f"Seed model: validation RMSE {seed_val[0]:.3f} after the first epoch, {seed_val[-1]:.3f} "
    f"after the last — "
    + (
        "still falling when training ends."
        if seed_val[-1] < seed_val[-2] - 1e-3
        else "it had levelled off."
    )
)
print(
    f"Improved model: validation RMSE {model.history_['val_ensemble_rmse'][0]:.3f} after the "
    f"first epoch, best {model.validation_rmse_:.3f} at epoch {model.best_epoch_}; train RMSE "
    f"{model.history_['rmse'][model.best_epoch_ - 1]:.3f} there."
)

# %% [markdown]
# The seed model starts from embeddings near zero — its first predictions are about
# 0 stars — and at a learning rate of 1e-4 it spends its epochs climbing towards the
# level of the ratings; the lines above say whether it got there. The improved model
# starts at the global mean and only has to learn what differs from it, so it is close
# to its best within a few epochs; early stopping ends training when the validation
# error stops improving, and the gap between the train and validation curves is what
# the penalty keeps in check.
#
# ## Baselines and the comparison on the test set

# %%
start = time.perf_counter()
global_mean = GlobalMean().fit(train)
t_mean = time.perf_counter() - start
start = time.perf_counter()
biases = BiasBaseline().fit(train)
t_bias = time.perf_counter() - start
models = {
    "global mean": global_mean,
    "bias baseline (user + movie)": biases,
    "seed MF (as published)": seed_model,
    "improved MF (zeerec)": model,
}
table = mf.rating_table(
    models, test, {"global mean": t_mean, "bias baseline (user + movie)": t_bias}
)
table.style.format(
    {"rmse": "{:.4f}", "mae": "{:.4f}", "mape": "{:.1%}", "n_scored": "{:,}", "fit_s": "{:.1f}"}
)

# %%
best = table.loc["improved MF (zeerec)"]
seed_row = table.loc["seed MF (as published)"]
bias_row = table.loc["bias baseline (user + movie)"]
print(
    f"Improved MF: RMSE {best.rmse:.4f}, {1 - best.rmse / seed_row.rmse:.0%} below the seed "
    f"model's {seed_row.rmse:.4f} (published: {mf.SEED_PUBLISHED['rmse']}) and "
    f"{bias_row.rmse - best.rmse:.4f} below the bias baseline."
)
print(
    "The seed model "
    + ("beats" if seed_row.rmse < bias_row.rmse else "does not beat")
    + " the bias baseline; it has no bias terms of its own."
)
if seed_row.n_scored < len(test):
    print(
        f"The seed model has no embedding for users or movies it never saw: it is scored on "
        f"the {int(seed_row.n_scored):,} test ratings it can predict; the others on all of them."
    )

# %% [markdown]
# RMSE and MAE are in stars, MAPE is the mean absolute error as a share of the true
# rating (the seed reported 0.990 and 29.3 % on its own split of its own data). The
# bias baseline is the bar any personalised model has to clear: it already knows who
# rates high and which movies are liked, so what the improved model gains over it is
# the part of the ratings that is genuinely about taste.
#
# ## What each improvement buys
#
# Starting from a plain biased MF (the seed's embeddings plus biases, trained with
# early stopping but without any penalty) and switching on one ingredient at a time,
# each with the settings above. For time this runs on a random sample of
# `ablation_ratings` training ratings (all of them if there are fewer) and is scored on
# the same test ratings; full-size numbers on real MovieLens data are in
# `BENCHMARKS.md`.

# %%
if ablation_ratings > 0:
    part = train.sample(n=min(ablation_ratings, len(train)), random_state=seed)
    settings = dict(
        factors=factors,
        members=members,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        reg=reg,
        seed=seed,
    )
    steps_table = mf.ablation(part, test, settings)
    gains = steps_table.iloc[1:].set_index("step")["rmse_gain"]
    print(
        f"Ablation on {len(part):,} training ratings: RMSE {steps_table['rmse'].iloc[0]:.4f} "
        f"without any penalty, {steps_table['rmse'].iloc[-1]:.4f} with everything; the largest "
        f"single gain: {gains.idxmax()!r} ({gains.max():+.4f})."
    )
    for step, gain in gains[gains < 0].items():
        print(
            f"Did not help on this sample: {step!r} ({gain:+.4f}). The ingredients were "
            "chosen on validation splits of real MovieLens data, where each one helps "
            "(BENCHMARKS.md); a small sample of other data can disagree."
        )
else:
    steps_table = pd.DataFrame(columns=["step", "rmse", "mae", "epochs", "fit_s", "rmse_gain"])
    print("Ablation skipped (ablation_ratings = 0).")
steps_table.set_index("step").style.format(
    {"rmse": "{:.4f}", "mae": "{:.4f}", "rmse_gain": "{:+.4f}", "fit_s": "{:.1f}"}, na_rep=""
)

# %% [markdown]
# Each row adds one ingredient to the row above; `rmse_gain` is what it bought
# (positive = lower error). Without a penalty the dot product memorises the training
# ratings and early stopping is the only brake. The penalty that grows with the square
# root of a row's ratings (instead of linearly) shrinks frequently rated users and
# movies less; refitting uses the validation ratings too; the stretch gives back what
# L2 shrank twice; the members' average removes part of each model's noise. On a
# sample, the smaller steps are within the noise of one split.
#
# ## Predicted vs actual

# %%
known = test[~cold]
fig = plots.predicted_vs_actual(
    known["rating"],
    {
        "improved MF": model.predict(known["user_id"], known["movie_id"]),
        "seed MF": seed_model.predict(known["user_id"], known["movie_id"]),
        "bias baseline": biases.predict(known["user_id"], known["movie_id"]),
    },
)
plt.show()
for name, m in (("improved MF", model), ("seed MF", seed_model), ("bias baseline", biases)):
    p = pd.Series(m.predict(known["user_id"], known["movie_id"])).groupby(known["rating"].values)
    lo, hi = p.mean().get(1, np.nan), p.mean().get(5, np.nan)
    print(f"{name}: mean prediction {lo:.2f} for 1★ ratings, {hi:.2f} for 5★ ({hi - lo:.2f} apart)")

# %% [markdown]
# Models trained on squared error pull their predictions towards the middle, so the
# boxes for 1★ and 5★ sit inside the diagonal. The further apart a model's mean
# predictions for 1★ and 5★ ratings (printed above), the better it tells what a user
# will love from what they will dislike.
#
# ## A map of the movies

# %%
mapped = mf.movie_map(model, movies, min_ratings=50)
picked = mapped.nlargest(8, "n_ratings")
fig = plots.embedding_map(
    mapped[["x", "y"]].to_numpy(),
    mapped["main_genre"].to_numpy(),
    labels={mapped.index.get_loc(i): titles.title(m) for i, m in picked["movie_id"].items()},
    explained=mapped.attrs["explained"],
    title=f"Movie embeddings, first two principal components ({len(mapped):,} movies)",
)
plt.show()
xy = mapped[["x", "y"]].to_numpy()
centres = mapped.groupby("main_genre")[["x", "y"]].transform("mean").to_numpy()
between = 1 - ((xy - centres) ** 2).sum() / ((xy - xy.mean(axis=0)) ** 2).sum()
print(
    f"The main genre accounts for {between:.0%} of the spread of the points on this map "
    "(0 % = genres mixed at random)."
)
mapped.groupby("main_genre")[["x", "y"]].mean().assign(
    movies=mapped["main_genre"].value_counts()
).sort_values("movies", ascending=False)

# %% [markdown]
# Each point is a movie with at least 50 training ratings, coloured by its most specific
# genre (the least common of its genres); the eight most frequent of those get a colour
# each, all other genres are grouped as "Other" (grey). The most-rated movies are
# labelled. The model was never told any genre: how
# much the genres gather in their own regions of the map (the share printed above, the
# centres in the table) is what the embeddings learned from ratings alone about which
# movies appeal to the same people.
#
# ## Similar movies by embedding

# %%
movie_id, note = pick_movie(ml, movie)  # an unknown title stops here with suggestions
if note:
    print(note)
counts = train.groupby("movie_id").size()
similar, neighbours = {}, {}
for name, m in (("improved MF", model), ("seed MF", seed_model)):
    top = m.similar_movies(movie_id, k=top_n, min_ratings=similar_min_ratings)
    neighbours[name] = top["movie_id"].to_numpy()
    similar[name] = pd.DataFrame(
        {
            "title": titles.titles(top["movie_id"]),
            "cosine": top["similarity"].to_numpy(),
            "ratings": counts.reindex(top["movie_id"]).fillna(0).astype(int).to_numpy(),
        }
    )
genre_sets = movies.set_index("movie_id")["genres"].map(set)
for name, m in (("improved MF", model), ("seed MF", seed_model)):
    ids = neighbours[name]
    shared = np.mean([bool(genre_sets[i] & genre_sets[movie_id]) for i in ids])
    q = m.movie_factors / np.linalg.norm(m.movie_factors, axis=1, keepdims=True).clip(1e-12)
    typical = np.median(q @ q[m.ratings_.movie_index(movie_id)[0]])
    print(
        f"{name}: {shared:.0%} of the neighbours share a genre with {titles.title(movie_id)}; "
        f"the median cosine over all movies is {typical:.2f}."
    )
side = pd.concat(similar, axis=1)
side.index = pd.RangeIndex(1, len(side) + 1, name="rank")
side

# %% [markdown]
# Cosine similarity of movie embeddings: two movies are close when the same users'
# taste vectors score them alike; movies with fewer than `similar_min_ratings` training
# ratings are left out, their embeddings rest on too little. The median cosine
# (printed above) is the background a neighbour has to stand out from: the seed
# model has no bias terms, so every movie vector also has to carry the movie's average
# rating — they all point roughly the same way, and a cosine near 1 says little. The
# improved model's vectors only carry taste, so its cosines spread out.
#
# ## A top-10 list

# %%
user = typical_user(train) if user_id is None else int(user_id)
seen = train[train["user_id"] == user].sort_values(["rating", "movie_id"], ascending=[False, True])
rec = model.recommend(user, k=top_n)
genres = movies.set_index("movie_id")["genres"].map(", ".join)
top_list = pd.DataFrame(
    {
        "title": titles.titles(rec["movie_id"]),
        "predicted stars": np.clip(rec["score"].to_numpy(), 1, 5),
        "genres": genres.reindex(rec["movie_id"]).to_numpy(),
    },
    index=pd.RangeIndex(1, len(rec) + 1, name="rank"),
)
favourites = seen.head(5)
print(f"User {user} rated {len(seen)} movies in the training data; their favourites:")
print(
    "; ".join(
        f"{t} ({r}★)"
        for t, r in zip(titles.titles(favourites["movie_id"]), favourites["rating"], strict=True)
    )
)
liked = set().union(*genre_sets.reindex(favourites["movie_id"]))
overlap = np.mean([bool(genre_sets[i] & liked) for i in rec["movie_id"]])
print(f"{overlap:.0%} of the recommendations share a genre with those favourites.")
top_list

# %% [markdown]
# The list is ranked by predicted stars among the movies the user has not rated. The
# ranking uses the unclipped prediction, so movies predicted above 5 stars (shown as
# 5.00) still keep their order. It mixes
# movies everybody likes (a high movie bias) with movies that match this user's taste
# vector; the genre overlap with their favourites is printed above.
#
# ## Save the model for notebooks 06 and 07

# %%
saved = model.save(Path(model_dir) / mf.DEFAULT_NAME)
print(f"Saved the improved model to {saved} (model.keras, meta.json, ids.npz).")

# %% [markdown]
# ## Key findings

# %%
key = record(
    n_train=len(train),
    n_test=len(test),
    rmse_global_mean=float(table.loc["global mean", "rmse"]),
    rmse_bias_baseline=float(bias_row.rmse),
    rmse_seed=float(seed_row.rmse),
    rmse_improved=float(best.rmse),
    mae_seed=float(seed_row.mae),
    mae_improved=float(best.mae),
    mape_seed=float(seed_row.mape),
    mape_improved=float(best.mape),
    seed_scored=int(seed_row.n_scored),
    improved_vs_seed=float(1 - best.rmse / seed_row.rmse),
    fit_seconds_seed=float(seed_model.fit_seconds_),
    fit_seconds_improved=float(model.fit_seconds_),
    seconds_per_epoch_improved=per_epoch,
    epochs_run=len(model.history_["loss"]),
    best_epoch=int(model.best_epoch_),
    validation_rmse=float(model.validation_rmse_),
    seed_batch_size=int(seed_batch),
    ablation=steps_table.to_dict(orient="records"),
    similar_movie=titles.title(movie_id),
    similar_movies=similar["improved MF"]["title"].tolist(),
    top_user=int(user),
    top_list=top_list["title"].tolist(),
    model_path=str(saved),
    metrics_table=table.reset_index().to_dict(orient="records"),
)
findings(key)

# %% [markdown]
# The figures above go to `metrics.json`: the four models' test errors, what the
# improvements bought over the seed's model and over the bias baseline, how long each
# took to train, and where the improved model was saved for the next notebooks.
