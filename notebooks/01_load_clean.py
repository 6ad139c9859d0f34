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
# # 01 · Load and clean the MovieLens ratings
#
# **Question:** are the MovieLens files complete and valid, and what do the tables look
# like once every field has its proper type? `zeerec.data.load` recognises the release
# by the files present: MovieLens-1M's three `::`-separated files (movies, users,
# ratings; ISO-8859-1 as GroupLens ships them, or UTF-8 when re-saved), ML-100K's
# `u.data`, ML-10M's `ratings.dat` and `movies.dat`, or the CSV releases (ML-20M, 25M,
# 32M, ml-latest) with their quoted titles. It checks every line (field count, numbers,
# the release's star scale, duplicates, unknown ids) and either stops at the first bad
# line (`strict=True`) or drops bad rows and counts them in a data-quality table. The
# clean tables are written to `data/processed/` as parquet for notebooks 02–07.

# %% tags=["parameters"]
data_dir = "../data/raw"  # folder with the MovieLens files (zee-*.dat, *.dat or *.csv)
processed_dir = "../data/processed"  # where the cleaned tables go (read by notebooks 02-07)
strict = False  # True: stop at the first invalid line; False: drop it and count it
encoding = None  # None: detect (UTF-8 or ISO-8859-1); or force one, e.g. "utf-8"

# %%
import pandas as pd

from zeerec import data as zd
from zeerec.report import findings, record

pd.set_option("display.precision", 2)
pd.set_option("display.max_colwidth", 60)

ml = zd.load(data_dir, strict=strict, encoding=encoding)
print(f"Source: {ml.source}" + ("  [SYNTHETIC sample]" if ml.synthetic else ""))
print(f"Stars: {ml.rating_scale.label()}; users file: {'yes' if ml.has_demographics else 'no'}")
pd.Series(ml.summary(), name="count").map("{:,}".format).to_frame()

# %% [markdown]
# The counts above are what every later notebook works with: all movies and users from
# their files (without a users file, the users are the ids that rated), and every
# rating that passed validation. "rated movies" and "active
# users" count only those that appear in at least one rating — recommenders can say
# nothing about the others from ratings alone.
#
# ## Data quality
#
# One row per kind of problem found while reading, with how many rows it affected,
# what was done with them, and the first line numbers so you can look them up.

# %%
if ml.quality.empty:
    print("No problems found: every line of the files is valid.")
else:
    display(ml.quality)  # noqa: F821 (IPython built-in)

# %% [markdown]
# An empty table means every line parsed and passed every check. Rows marked *dropped*
# are not in the tables below; rows marked *kept* (e.g. a title without a year) are
# kept with the affected field missing.
#
# ## The three tables
#
# Titles are split into the name and the release year with a pattern anchored at the
# end of the title, so titles with parentheses of their own — *Little Indian, Big City
# (Un indien dans la ville) (1994)* — keep their full name. Genres become a
# list; where there is a users file, age and occupation keep their codes next to the
# labels of the data description.

# %%
ml.movies.sample(min(5, len(ml.movies)), random_state=1)

# %%
ml.users.head()

# %%
ml.ratings.head()

# %%
ml.column_types()

# %% [markdown]
# Every id is an integer, ratings are small integers (whole stars) or exact floats (half
# stars), timestamps are real datetimes, and categorical fields are categories — no
# column is left as raw text.
#
# ## One row per rating
#
# The seed analysis merged the three tables into one frame; the same merge, checked
# to be many-to-one on both keys, gives every rating its movie and user attributes.

# %%
merged = ml.merged()
print(f"{len(merged):,} rows x {merged.shape[1]} columns")
merged.sample(min(5, len(merged)), random_state=0)

# %% [markdown]
# ## Save for the next notebooks

# %%
out = zd.save_processed(ml, processed_dir)
print(f"Wrote movies, users, ratings and quality tables to {out}")

# %% [markdown]
# ## Key findings

# %% findings=["ratings=ratings loaded", "users=users", "movies=movies", "dropped_rows=lines dropped as invalid", "mean_rating=mean rating (stars)"]
summary = ml.summary()
dropped = int(ml.quality.loc[ml.quality["action"] == "dropped", "rows"].sum())
key = record(
    **summary,
    dropped_rows=dropped,
    problems=ml.quality.to_dict(orient="records"),
    synthetic=ml.synthetic,
    first_year=int(ml.movies["year"].min()),
    last_year=int(ml.movies["year"].max()),
    first_rating=str(ml.ratings["timestamp"].min().date()),
    last_rating=str(ml.ratings["timestamp"].max().date()),
    mean_rating=float(ml.ratings["rating"].mean()),
    rating_scale=ml.rating_scale.as_list(),
    users_file=ml.has_demographics,
)
findings(key)

# %% [markdown]
# The data set holds the movies, users and ratings counted above; the quality table
# says how many rows (if any) had to be dropped and why, and every title has a release
# year unless the table says otherwise.
