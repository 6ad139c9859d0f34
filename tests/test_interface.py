"""One interface test suite over every model in the registry (as LensKit's shared scorer
tests do): what the base class promises must hold for each model, whatever its formula.

Model test files keep only what is particular to their model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeerec.models import registry
from zeerec.models.base import NotFittedError, Recommender, same_settings

N_USERS, N_MOVIES = 60, 50
# Small and quick settings for the slow models; every other model runs with its defaults.
QUICK = {
    "seed MF": {"epochs": 2, "batch_size": 256},
    "improved MF": {"epochs": 3, "refit": False},
    "rating blend": {"components": ("bias baseline", "item-kNN pearson", "user-kNN")},
}
UNKNOWN = 999_999


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two taste groups over two genres, so every model has something to learn."""
    rng = np.random.default_rng(7)
    genres = ["Comedy" if m % 2 else "Drama" for m in range(1, N_MOVIES + 1)]
    movies = pd.DataFrame(
        {
            "movie_id": np.arange(1, N_MOVIES + 1, dtype=np.int64),
            "title": [f"Movie {m} (1990)" for m in range(1, N_MOVIES + 1)],
            "year": pd.array([1980 + m % 20 for m in range(N_MOVIES)], dtype="Int64"),
            "genres": [[g] for g in genres],
        }
    )
    rows = []
    for u in range(1, N_USERS + 1):
        likes = "Comedy" if u % 2 else "Drama"
        for m in rng.choice(N_MOVIES, size=rng.integers(8, 20), replace=False) + 1:
            good = genres[m - 1] == likes
            stars = int(np.clip(rng.normal(4.2 if good else 2.3, 0.7), 1, 5).round())
            rows.append((u, int(m), stars))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    ratings["timestamp"] = np.arange(len(ratings), dtype=np.int64)
    return ratings, movies


def _make(name: str, movies: pd.DataFrame) -> Recommender:
    return registry.create(name, movies=movies, seed=3, **QUICK.get(name, {}))


@pytest.fixture(scope="module", params=registry.MODELS)
def fitted(request, data):
    ratings, movies = data
    return request.param, _make(request.param, movies).fit(ratings)


def _seen(ratings: pd.DataFrame, user: int) -> set[int]:
    return set(ratings.loc[ratings["user_id"] == user, "movie_id"].tolist())


def test_registry_lines_build_their_models_with_their_knobs(data):
    _, movies = data
    for name in registry.MODELS:
        spec = registry.spec(name)
        model = spec.create(movies=movies)
        assert isinstance(model, Recommender) and not model.is_fitted
        for knob, values in spec.knobs.items():
            assert len(values) >= 2, f"{name}: {knob} has no search space"
            tuned = spec.create(movies=movies, **{knob: values[0]})
            assert getattr(tuned, knob) == values[0]
    with pytest.raises(ValueError, match="no knob"):
        registry.create("EASE", alpha=1.0)
    with pytest.raises(ValueError, match="unknown model"):
        registry.create("SVD++")


def test_registry_models_start_from_their_tuned_values(data):
    """A registry line's tuned values are what its model runs with unless a caller
    overrides them; a tuned value outside the knob's search space is refused."""
    _, movies = data
    assert any(registry.spec(n).tuned for n in registry.MODELS), "nothing tuned"
    for name in registry.MODELS:
        spec = registry.spec(name)
        model = spec.create(movies=movies)
        for knob, value in spec.tuned.items():
            assert getattr(model, knob) == value, (name, knob)
            other = next(v for v in spec.knobs[knob] if v != value)
            assert getattr(spec.create(movies=movies, **{knob: other}), knob) == other
    with pytest.raises(ValueError, match="outside its search space"):
        registry.ModelSpec("x", lambda context, **k: None, "x", {"a": (1, 2)}, {"a": 3})


def test_new_user_models_start_from_their_profile_values(data):
    """``for_profiles`` values apply to the models built for new users' profiles
    (newuser.profile_models: the protocol and ``zeerec recommend``), never to the warm
    comparison's; a knob without one keeps its ``tuned`` value."""
    from zeerec import newuser

    _, movies = data
    lines = [registry.spec(n) for n in registry.MODELS if registry.spec(n).for_profiles]
    assert lines, "nothing tuned for new users"
    built, _ = newuser.profile_models([line.name for line in lines], movies)
    for line in lines:
        warm = line.create(movies=movies)
        for knob, value in line.for_profiles.items():
            assert getattr(built[line.name], knob) == value, (line.name, knob)
            assert getattr(warm, knob) == line.tuned.get(knob, getattr(warm, knob))
            assert getattr(warm, knob) != value or knob in line.tuned
        for knob, value in line.tuned.items():
            if knob not in line.for_profiles:
                assert getattr(built[line.name], knob) == value
    with pytest.raises(ValueError, match="for_profiles a=3 is outside its search space"):
        registry.ModelSpec(
            "x", lambda context, **k: None, "x", {"a": (1, 2)}, for_profiles={"a": 3}
        )


def test_unfitted_models_say_so(data):
    _, movies = data
    for name in registry.MODELS:
        model = _make(name, movies)
        with pytest.raises(NotFittedError, match="not fitted"):
            model.predict([1], [1]) if model.predicts_ratings else model.scores(1)


def test_fit_returns_the_fitted_model(fitted):
    _, model = fitted
    assert model.is_fitted and len(model.ratings_.movie_ids) > 0


def test_fitting_leaves_the_settings_as_built(fitted, data):
    """Fitted state ends in ``_`` (or is private): ``init_settings`` is what the model was
    built with, which is how the blend knows an offered component is its own."""
    name, model = fitted
    _, movies = data
    fresh = _make(name, movies)
    assert same_settings(model, fresh), name
    assert not same_settings(model, _make("popularity", movies)) or name == "popularity"
    for knob, values in registry.spec(name).knobs.items():  # one other value: not the same
        other = next(v for v in values if v != getattr(fresh, knob))
        changed = registry.create(
            name, movies=movies, seed=3, **{**QUICK.get(name, {}), knob: other}
        )
        assert not same_settings(model, changed), (name, knob)
        break


def test_predictions_are_stars_for_aligned_pairs(fitted, data):
    name, model = fitted
    ratings, _ = data
    users, movies = ratings["user_id"].to_numpy()[:25], ratings["movie_id"].to_numpy()[:25]
    if not model.predicts_ratings:
        with pytest.raises(NotImplementedError):
            model.predict(users, movies)
        return
    pred = model.predict(users, movies)
    assert pred.shape == (25,) and np.all(np.isfinite(pred))
    if model.clips_predictions:  # all but the seed's model, reproduced as published
        assert np.all((pred >= 1) & (pred <= 5))
    with pytest.raises(ValueError, match="aligned"):
        model.predict(users, movies[:-1])
    if model.predicts_unknown:
        odd = model.predict([UNKNOWN, users[0], UNKNOWN], [movies[0], UNKNOWN, UNKNOWN])
        assert np.all(np.isfinite(odd)) and np.all((odd >= 1) & (odd <= 5))
    else:
        with pytest.raises(KeyError):
            model.predict([UNKNOWN], [movies[0]])


def test_lists_leave_out_seen_movies_and_are_ranked(fitted, data):
    name, model = fitted
    ratings, _ = data
    if not model.ranks:
        with pytest.raises(NotImplementedError):
            model.recommend(1, n=5)
        return
    for user in (1, 2, 17):
        recs = model.recommend(user, n=5)
        assert 0 < len(recs) <= 5 and list(recs.index) == list(range(1, len(recs) + 1))
        assert recs.index.name == "rank"
        assert not set(recs["movie_id"]) & _seen(ratings, user)
        assert set(recs["movie_id"]) <= set(model.ratings_.movie_ids.tolist())
        assert recs["movie_id"].is_unique
    for n in (0, -1, 2.5):
        with pytest.raises(ValueError, match="positive whole number"):
            model.recommend(1, n=n)
    with pytest.raises(ValueError, match="larger than the"):
        model.recommend(1, n=len(model.ratings_.movie_ids) + 1)
    with pytest.raises(KeyError, match="unknown user"):
        model.recommend(UNKNOWN, n=3)


def test_scores_and_the_batch_path_agree_with_the_list(fitted):
    name, model = fitted
    if not model.ranks:
        return
    users = np.array([3, 1, 2, 40])
    block = model.scores_many(users)
    assert block.shape == (len(users), len(model.ratings_.movie_ids))
    for row, user in zip(block, users, strict=True):
        # float32 models (Keras) agree to rounding: one block or one row of BLAS
        np.testing.assert_allclose(row, model.scores(int(user)), atol=1e-6, equal_nan=True)
    if model.ranks_by_score:  # the list is the best scores, ties by column
        s = model.scores(1).copy()
        s[model.seen(1)] = -np.inf
        s = np.where(np.isnan(s), -np.inf, s)
        recs = model.recommend(1, n=5)
        best = np.lexsort((np.arange(len(s)), -s))[: len(recs)]
        assert recs["movie_id"].tolist() == model.ratings_.movie_ids[best].tolist()


def test_a_new_users_profile_gets_a_list(fitted, data):
    name, model = fitted
    ratings, _ = data
    if not (model.ranks and model.accepts_profiles):
        return
    mine = ratings[ratings["user_id"] == 1].sort_values(["rating", "movie_id"], ascending=False)
    profile = dict(zip(mine["movie_id"].astype(int), mine["rating"].astype(float), strict=True))
    liked = list(profile)
    profile[UNKNOWN] = 4.0  # a movie the model never saw is left out, not an error
    try:
        recs = model.recommend(profile, n=5)
    except NotImplementedError:
        pytest.skip(f"{name} needs a fold-in for new users (zeerec.models.foldin)")
    assert 0 < len(recs) <= 5 and not set(recs["movie_id"]) & set(liked)
    with pytest.raises(ValueError, match="profile is empty"):
        model.recommend({}, n=5)
    with pytest.raises(ValueError, match="finite"):
        model.recommend({liked[0]: float("nan")}, n=5)


def test_same_seed_same_result(fitted, data):
    name, model = fitted
    ratings, movies = data
    again = _make(name, movies).fit(ratings)
    if model.predicts_ratings:
        users, movies_ = ratings["user_id"].to_numpy()[:40], ratings["movie_id"].to_numpy()[:40]
        np.testing.assert_array_equal(model.predict(users, movies_), again.predict(users, movies_))
    if model.ranks:
        np.testing.assert_array_equal(model.scores(5), again.scores(5))


def test_similar_movies_where_the_model_has_a_similarity(fitted):
    name, model = fitted
    movie = int(model.ratings_.movie_ids[0])
    if not model.has_similar_movies:
        with pytest.raises(NotImplementedError):
            model.similar_movies(movie, n=3)
        return
    similar = model.similar_movies(movie, n=3)
    assert 0 < len(similar) <= 3 and movie not in set(similar["movie_id"])
    assert list(similar.index) == list(range(1, len(similar) + 1))


def test_save_and_load_where_supported(fitted, tmp_path, data):
    name, model = fitted
    if not callable(getattr(model, "save", None)):
        return
    ratings, _ = data
    back = type(model).load(model.save(tmp_path / "model"))
    users, movies = ratings["user_id"].to_numpy()[:30], ratings["movie_id"].to_numpy()[:30]
    np.testing.assert_allclose(back.predict(users, movies), model.predict(users, movies))


def test_every_model_says_what_its_list_is_sorted_by(fitted):
    name, model = fitted
    assert isinstance(model.ranking_score, str) and model.ranking_score.strip()
    if not model.predicts_ratings:  # only a star model can rank by its predicted stars
        assert model.ranking_score != "predicted stars", name


def test_predictions_are_clipped_to_the_datas_star_scale(data):
    """Half-star data (ML-10M and later) is clipped to 0.5-5, whole stars to 1-5."""
    ratings, movies = data
    half = ratings.assign(rating=ratings["rating"] - 0.5 * (ratings["user_id"] % 2))
    half["rating"] = half["rating"].clip(lower=0.5)
    for frame, low in ((ratings, 1.0), (half, 0.5)):
        model = registry.create("bias baseline").fit(frame)
        assert model.star_range_ == (low, 5.0)
        pred = model.predict(frame["user_id"], frame["movie_id"])
        assert pred.min() >= low and pred.max() <= 5.0


@pytest.mark.parametrize("name", ["user-kNN", "hybrid"])
def test_explained_stars_are_clipped_to_the_datas_scale_too(data, name):
    """The "predicted" columns of an explained list use the data's scale: a user-kNN
    fitted on half stars may show 0.5, one fitted on whole stars never below 1."""
    ratings, movies = data
    half = ratings.assign(rating=ratings["rating"] - 0.5 * (ratings["user_id"] % 2))
    half["rating"] = half["rating"].clip(lower=0.5)
    for frame, low in ((ratings, 1.0), (half, 0.5)):
        model = registry.create(name, movies=movies).fit(frame)
        assert model.clip_stars([-3.0, 0.7, 9.0]).tolist() == [low, max(low, 0.7), 5.0]
        user = int(frame["user_id"].iloc[0])
        recs = model.recommend(user, n=5)
        column = "predicted" if "predicted" in recs else "cf_predicted"
        assert recs[column].between(low, 5.0).all()
