"""Content-based ranking and the hybrid blend on a toy catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.models.content import ContentBased, content_features
from zeerec.models.hybrid import Hybrid
from zeerec.models.userknn import UserKNN

MOVIES = pd.DataFrame(
    {
        "movie_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "title": [f"M{i}" for i in range(1, 9)],
        "year": pd.array([1994, 1995, 1981, 1985, 1992, 1998, 1952, 1993], dtype="Int16"),
        "genres": [
            ["Comedy"],
            ["Children's", "Comedy"],
            ["Horror"],
            ["Horror", "Thriller"],
            ["Comedy"],
            ["Children's"],
            ["Drama"],
            ["Comedy"],
        ],
    }
)
# Movies 5 and 8 are identical in content (Comedy, 1990s); 8 is better liked.
RATINGS = pd.DataFrame(
    [
        (1, 1, 5), (1, 3, 1), (1, 5, 2), (1, 8, 5),
        (2, 5, 2), (2, 8, 4), (2, 2, 4), (2, 7, 3),
        (3, 4, 2), (3, 6, 4), (3, 8, 5), (3, 1, 3),
    ],
    columns=["user_id", "movie_id", "rating"],
)  # fmt: skip


@pytest.fixture
def model() -> ContentBased:
    return ContentBased(MOVIES, tfidf=False, decade_weight=0.5, prior_ratings=0).fit(RATINGS)


def test_features_are_unit_rows_with_genres_and_decades():
    f = content_features(MOVIES, tfidf=False, decade_weight=0.5)
    assert np.allclose(np.linalg.norm(f.to_numpy(), axis=1), 1)
    assert {"Comedy", "Horror", "1950s", "1990s"} <= set(f.columns)
    # Comedy 1990s: genre part length 1, decade part 0.5, then normalised.
    assert f.loc[1, "Comedy"] == pytest.approx(1 / np.sqrt(1.25))
    assert f.loc[1, "1990s"] == pytest.approx(0.5 / np.sqrt(1.25))
    assert "1990s" not in content_features(MOVIES, decade_weight=0).columns


def test_tfidf_weighs_rare_genres_more():
    f = content_features(MOVIES, tfidf=True, decade_weight=0)
    # Movie 2 is Children's|Comedy: Comedy is on 4 of 8 movies, Children's on 2.
    assert f.loc[2, "Children's"] > f.loc[2, "Comedy"]
    plain = content_features(MOVIES, tfidf=False, decade_weight=0)
    assert plain.loc[2, "Children's"] == pytest.approx(plain.loc[2, "Comedy"])


def test_ranking_follows_liked_genres(model):
    # Liked a 1990s comedy (5), disliked a 1980s horror (1): mean 3, weights +2 / -2.
    rec = model.recommend({1: 5, 3: 1}, n=6)
    ids = rec["movie_id"].tolist()
    assert ids[:2] == [8, 5]  # same content as movie 1; 8 first: better weighted rating
    assert rec["score"].iloc[0] == pytest.approx(rec["score"].iloc[1])
    assert ids[2] == 2  # a comedy with another genre
    assert ids[-1] == 4  # horror-thriller from the 1980s is last
    assert not {1, 3} & set(ids)
    assert rec["closest_liked"].tolist()[0] == 1
    assert rec.loc[1, "genres"] == "Comedy" and rec.loc[1, "decade"] == "1990s"


def test_profile_is_the_centred_weighted_sum(model):
    v = model.profile_vector({1: 5, 3: 1})
    f = model.features_
    assert np.allclose(v.to_numpy(), 2 * f.loc[1].to_numpy() - 2 * f.loc[3].to_numpy())


def test_single_rating_still_means_more_like_this(model):
    # All stars equal the user's mean: centred on the catalogue mean instead.
    rec = model.recommend({6: 5}, n=2)
    assert rec["movie_id"].tolist()[0] == 2  # the other Children's movie
    assert (model.scores({6: 5}) != 0).any()


def test_prior_ratings_keep_what_a_small_profile_shares():
    # Two comedies, 5 and 4 stars: centred on their own mean, Comedy cancels out.
    plain = ContentBased(MOVIES, tfidf=False, decade_weight=0, prior_ratings=0).fit(RATINGS)
    shrunk = ContentBased(MOVIES, tfidf=False, decade_weight=0, prior_ratings=5).fit(RATINGS)
    profile = {1: 5, 5: 4}
    assert plain.profile_vector(profile)["Comedy"] == pytest.approx(0, abs=1e-12)
    assert shrunk.profile_vector(profile)["Comedy"] > 0


def test_existing_user_and_similar_movies(model):
    rec = model.recommend(1, n=3)
    assert not {1, 3, 5, 8} & set(rec["movie_id"])
    sim = model.similar_movies(5, n=2)
    assert sim["movie_id"].tolist() == [8, 1]  # same content, ties by weighted rating


def test_hybrid_blends_and_falls_back_to_content():
    cf = UserKNN(min_common=1, min_support=1)
    content = ContentBased(MOVIES, tfidf=False, prior_ratings=0)
    hybrid = Hybrid(cf, content, cf_weight=0.5, min_neighbours=1).fit(RATINGS)
    profile = {1: 5, 3: 1}
    out = hybrid.explain(profile).set_index("movie_id")
    assert out.attrs["mode"] == "blend"
    assert np.allclose(out["score"], out["cf_part"] + out["content_part"])
    assert (out["popularity_part"] == 0).all()  # popularity_weight 0: left out
    assert (out.loc[out["n_neighbours"] == 0, "cf_part"] == 0).all()  # no CF opinion
    rec = hybrid.recommend(profile, n=3)
    assert not {1, 3} & set(rec["movie_id"]) and len(rec) == 3

    strict = Hybrid(cf, content, min_neighbours=50).fit(RATINGS)
    fallback = strict.recommend(profile, n=4)
    assert fallback.attrs["mode"].startswith("content only")
    assert (fallback["cf_part"] == 0).all()
    plain = content.recommend(profile, n=4)
    again = Hybrid.from_fitted(cf, content, cf_weight=0.5, min_neighbours=1)
    assert again.recommend(profile, n=3).equals(rec)
    assert fallback["movie_id"].tolist() == plain["movie_id"].tolist()


@pytest.mark.parametrize("rule", ["vote", "resnick"])
def test_hybrid_cf_part_is_the_user_knn_ranking_score(rule):
    cf = UserKNN(min_common=1, min_support=1, rank_by=rule, similarity="pearson")
    content = ContentBased(MOVIES, tfidf=False, prior_ratings=0)
    hybrid = Hybrid(cf, content, cf_weight=0.5, shrink=2.0, min_neighbours=1).fit(RATINGS)
    profile = {1: 5, 3: 1}
    out = hybrid.explain(profile).set_index("movie_id")
    e = cf.explain(profile)
    n = pd.Series(e.n_neighbours, index=cf.ratings_.movie_ids)
    if rule == "vote":
        raw = pd.Series(np.where(n > 0, e.vote, 0.0), index=n.index)
    else:
        pred = pd.Series(e.prediction, index=n.index)
        raw = np.where(n > 0, (pred - e.mean) * n / (n + 2.0), 0.0)
        raw = pd.Series(raw, index=n.index)
    raw = raw.reindex(out.index, fill_value=0.0)
    assert np.allclose(out["cf_part"], 0.5 * raw / raw.std(ddof=0))


def test_hybrid_popularity_part_is_the_scaled_log_count():
    cf = UserKNN(min_common=1, min_support=1)
    content = ContentBased(MOVIES, tfidf=False, prior_ratings=0)
    plain = Hybrid(cf, content, cf_weight=0.5, min_neighbours=1).fit(RATINGS)
    popular = Hybrid.from_fitted(cf, content, cf_weight=0.5, min_neighbours=1, popularity_weight=2)
    profile = {1: 5, 3: 1}
    base, out = plain.explain(profile), popular.explain(profile)
    counts = RATINGS["movie_id"].value_counts().reindex(MOVIES["movie_id"], fill_value=0)
    log = np.log1p(counts.to_numpy(float))
    assert np.allclose(out["popularity_part"], 2 * log / log.std())
    assert np.allclose(out["score"], base["score"] + out["popularity_part"])
    # a weight that dwarfs the rest ranks the unseen movies by their number of ratings
    huge = Hybrid.from_fitted(cf, content, min_neighbours=1, popularity_weight=1e6)
    top = huge.recommend(profile, n=6)["movie_id"].tolist()
    unseen = counts.drop([1, 3])
    assert [unseen[m] for m in top] == sorted(unseen, reverse=True)


@pytest.mark.parametrize(
    "kw", [{"cf_weight": 1.5}, {"shrink": 0}, {"min_neighbours": 0}, {"popularity_weight": -1}]
)
def test_hybrid_refuses_bad_parameters(kw):
    with pytest.raises(ValueError):
        Hybrid(UserKNN(), ContentBased(MOVIES), **kw)
