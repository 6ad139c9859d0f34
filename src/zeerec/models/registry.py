"""Every model zeerec compares, by name: one line each, with its knobs and their search space.

The evaluation (:func:`zeerec.evaluation.build_models`), notebook 07, the command line
(``zeerec models``) and the benchmarks read this table; there is no second list of
names. A line says how to build the model from its knobs, what each knob may be
tuned over, and the values the one tuner chose (``tuned``): ``benchmarks/tune_all.py``
runs :func:`zeerec.evaluation.tune` with a coordinate search over every line's space,
on validation carvings of ML-100K's and the ML-1M slice's training splits, never on a
test split. A value is written here when both data sets chose it; when both moved a
knob the same way but not equally far, the smaller move; when they disagree, the class
default stays (BENCHMARKS.md, "Every model's knobs"). A model built from the registry
starts from those values; its class keeps the literature's defaults.

New users are another task: ``for_profiles`` holds the values the same tuner chose
for a person's first 4 and 10 ratings (``benchmarks/tune_newuser.py``: the new-user
protocol's scoring on validation users held out from its training users), written by
the same rule; :func:`zeerec.newuser.profile_models` (notebook 06's protocol, ``zeerec
recommend --method``) builds with them (``create(..., profiles=True)``).

``create("EASE", lam=700)`` builds one model; ``MODELS`` lists the names in the order
reports show them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from zeerec.models.base import Recommender


class MissingInputError(LookupError):
    """A model needs an input the caller did not give (e.g. the movies table)."""


@dataclass(frozen=True)
class ModelSpec:
    """A registry line: how to build the model and what can be tuned.

    Attributes:
        name: the name reports and the CLI use.
        build: ``build(context, **knobs)`` returns an unfitted model; ``context`` holds
            ``movies`` (the movies table, or None) and ``seed``.
        knobs: knob → the values a tuner may try (its search space).
        summary: one line on what the model is.
        tuned: knob → the value chosen on validation (module docstring); the knobs not
            named keep the model class's own default.
        for_profiles: knob → the value chosen for new users' profiles, over ``tuned``
            (``benchmarks/tune_newuser.py``: the new-user protocol's scoring on
            validation users, the same rule for writing a value).
    """

    name: str
    build: Callable[..., Recommender]
    summary: str
    knobs: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    tuned: Mapping[str, Any] = field(default_factory=dict)
    for_profiles: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, values in (("tuned", self.tuned), ("for_profiles", self.for_profiles)):
            for knob, value in values.items():
                if knob not in self.knobs or value not in self.knobs[knob]:
                    raise ValueError(
                        f"{self.name}: {kind} {knob}={value!r} is outside its search space"
                    )

    def create(
        self,
        movies: pd.DataFrame | None = None,
        seed: int = 42,
        profiles: bool = False,
        **knobs: Any,
    ) -> Recommender:
        """The model with its tuned values (``profiles=True``: those chosen for new
        users' profiles on top), then ``knobs``."""
        unknown = sorted(set(knobs) - set(self.knobs) - set(_EXTRA_SETTINGS.get(self.name, ())))
        if unknown:
            raise ValueError(
                f"{self.name} has no knob {unknown}; its knobs are {sorted(self.knobs) or 'none'}"
            )
        chosen = {**self.tuned, **(self.for_profiles if profiles else {})}
        context = {"movies": movies, "seed": seed, "profiles": profiles}
        return self.build(context, **{**chosen, **knobs})


def _needs_movies(context: Mapping[str, Any]) -> pd.DataFrame:
    if context["movies"] is None:
        raise MissingInputError("needs the movies table (genres, years)")
    return context["movies"]


def _global_mean(context, **knobs):
    from zeerec.models.baseline import GlobalMean

    return GlobalMean(**knobs)


def _bias(context, **knobs):
    from zeerec.models.baseline import BiasBaseline

    return BiasBaseline(**knobs)


def _popularity(context, **knobs):
    from zeerec.models.popularity import Popularity

    return Popularity(**knobs)


def _item_knn(method: str):
    def build(context, **knobs):
        from zeerec.models.knn import ItemKNN

        return ItemKNN(method=method, **knobs)

    return build


def _user_knn(context, **knobs):
    from zeerec.models.userknn import UserKNN

    return UserKNN(**knobs)


def _content(context, **knobs):
    from zeerec.models.content import ContentBased

    return ContentBased(_needs_movies(context), **knobs)


def _hybrid(context, **knobs):
    from zeerec.models.content import ContentBased
    from zeerec.models.hybrid import Hybrid
    from zeerec.models.userknn import UserKNN

    return Hybrid(UserKNN(), ContentBased(_needs_movies(context)), **knobs)


def _ease(context, **knobs):
    from zeerec.models.ease import EASE

    return EASE(**knobs)


def _mult_vae(context, **knobs):
    from zeerec.models.mf import MultVAE

    return MultVAE(seed=context["seed"], **knobs)


def _implicit(module: str, cls: str, **knobs):
    from importlib import import_module

    return getattr(import_module(f"zeerec.models.{module}"), cls)(**knobs)


def _rating_blend(context, **knobs):
    from zeerec.models.blend import RatingBlend

    return RatingBlend(seed=context["seed"], **knobs)


def _ranking_blend(context, **knobs):
    from zeerec.models.blend import RankingBlend

    return RankingBlend(seed=context["seed"], for_profiles=context["profiles"], **knobs)


def _seed_mf(context, **knobs):
    from zeerec.models.mf import SeedMF

    return SeedMF(seed=context["seed"], **knobs)


def _improved_mf(context, **knobs):
    from zeerec.models.mf import BiasedMF

    return BiasedMF(seed=context["seed"], **knobs)


_ITEM_KNN_KNOBS = {  # both item-kNN lines tune the same knobs
    "n_neighbours": (20, 40, 80, 160, 320),
    "shrinkage": (0, 25, 100, 250),
    "rank_by": ("centred", "summed", "liked"),
}

_LINES = (
    ModelSpec("global mean", _global_mean, "the mean training rating for every pair"),
    ModelSpec(
        "bias baseline",
        _bias,
        "mu + b_u + b_i with shrunk biases (Surprise's BaselineOnly)",
        {"reg_user": (2, 5, 10, 15, 25), "reg_movie": (1, 2, 5, 10, 25)},
        tuned={"reg_user": 5, "reg_movie": 2},
        for_profiles={"reg_movie": 25},
    ),
    ModelSpec("popularity", _popularity, "the movies most people rated"),
    ModelSpec(
        "item-kNN pearson",
        _item_knn("pearson"),
        "summed co-rated Pearson similarity to the movies the user rated",
        _ITEM_KNN_KNOBS,
        tuned={"rank_by": "summed", "shrinkage": 250},
    ),
    ModelSpec(
        "item-kNN cosine",
        _item_knn("cosine"),
        "summed cosine similarity to the movies the user rated",
        _ITEM_KNN_KNOBS,
        tuned={"rank_by": "summed", "shrinkage": 0},
    ),
    ModelSpec(
        "item-kNN BM25",
        _item_knn("bm25"),
        "summed BM25-weighted co-occurrence with the movies the user rated",
        {**_ITEM_KNN_KNOBS, "bm25_b": (0.5, 0.25, 0.75)},
        tuned={"n_neighbours": 160, "shrinkage": 0, "rank_by": "summed", "bm25_b": 0.5},
        for_profiles={"bm25_b": 0.75, "shrinkage": 25},
    ),
    ModelSpec(
        "user-kNN",
        _user_knn,
        "weighted vote of the most similar users (cosine); Resnick's formula for stars",
        {
            "n_neighbours": (10, 30, 60),
            "min_support": (1, 2, 3, 5),
            "similarity": ("pearson", "cosine"),
            "rank_by": ("resnick", "vote"),
        },
        for_profiles={"min_support": 2},
    ),
    ModelSpec(
        "content",
        _content,
        "cosine between genre/decade features and the user's centred taste",
        {"decade_weight": (0.0, 0.5, 1.0), "prior_ratings": (0.0, 5.0, 20.0)},
    ),
    ModelSpec(
        "hybrid",
        _hybrid,
        "user-kNN's vote where neighbours vouch for a movie, content elsewhere, popularity "
        "if weighted",
        {"cf_weight": (0.25, 0.5, 0.75, 0.9, 1.0), "popularity_weight": (0.0, 0.5, 1.0, 2.0, 4.0)},
        tuned={"cf_weight": 0.75},
    ),
    ModelSpec(
        "EASE",
        _ease,
        "Steck's closed-form item-item model on who-rated-what",
        {"lam": (250, 500, 1000, 2000)},
    ),
    ModelSpec(
        "implicit ALS",
        lambda context, **knobs: _implicit("ials", "ImplicitALS", seed=context["seed"], **knobs),
        "Hu, Koren & Volinsky's weighted matrix factorisation of who-rated-what",
        {
            "factors": (128, 64, 32),
            "reg": (30, 15, 60, 100),
            "alpha": (3, 1, 10),
            "iterations": (15, 10, 25),
            "confidence": ("binary", "stars"),
        },
        tuned={"factors": 64},
        for_profiles={"reg": 60},
    ),
    ModelSpec(
        "RP3beta",
        lambda context, **knobs: _implicit("rp3beta", "RP3beta", **knobs),
        "Paudel et al.'s three-step random walk item → user → item, popular items divided down",
        {"alpha": (0.75, 0.5, 1.0), "beta": (0.6, 0.3, 0.5, 0.7), "n_neighbours": (400, 200, 800)},
        for_profiles={"alpha": 0.5},
    ),
    ModelSpec(
        "Mult-VAE",
        _mult_vae,
        "Liang et al.'s variational autoencoder on who-rated-what, in Keras",
        {
            "epochs": (20, 30, 40, 60),
            "beta_cap": (0.2, 0.5, 1.0),
            "learning_rate": (1e-3, 2e-3, 4e-3),
        },
        tuned={"epochs": 40, "beta_cap": 0.5},
        for_profiles={"epochs": 60},
    ),
    ModelSpec(
        "seed MF",
        _seed_mf,
        "the Keras dot-product model of the case-study notebook zeerec grew from",
    ),
    ModelSpec(
        "improved MF",
        _improved_mf,
        "biased matrix factorisation in Keras (notebook 05)",
        {"factors": (32, 64, 128)},
    ),
    ModelSpec(
        "rating blend",
        _rating_blend,
        "stars: bias baseline, item-kNN, user-kNN, improved MF and implicit ALS's score, "
        "weighted on validation",
    ),
    ModelSpec(
        "ranking blend",
        _ranking_blend,
        "top-k: implicit ALS's, RP3beta's and Mult-VAE's per-user standardised scores, weighted",
        {
            "rp3beta_weight": (0.5, 0.0, 0.25, 1.0),
            "vae_weight": (1.0, 0.0, 0.5),
            "ease_weight": (0.0, 0.25, 0.5),
        },
    ),
)
# Settings a caller may pass that are not tuned (e.g. a report's epoch budget).
_EXTRA_SETTINGS: dict[str, tuple[str, ...]] = {
    "rating blend": ("mf_epochs", "ridge", "components", "validation_size"),
    "seed MF": ("epochs", "batch_size", "learning_rate"),
    "improved MF": ("epochs", "refit", "n_members"),
}

REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in _LINES}
MODELS: tuple[str, ...] = tuple(REGISTRY)


def spec(name: str) -> ModelSpec:
    """The registry line of ``name``, or a ValueError listing the names there are."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}") from None


def create(
    name: str,
    movies: pd.DataFrame | None = None,
    seed: int = 42,
    profiles: bool = False,
    **knobs: Any,
) -> Recommender:
    """An unfitted model by registry name, with any knobs set (``profiles=True``: with
    the values chosen for new users' profiles)."""
    return spec(name).create(movies=movies, seed=seed, profiles=profiles, **knobs)


def table() -> pd.DataFrame:
    """The registry as a table: what each model does and its knobs (``zeerec models``)."""
    rows = []
    for name in MODELS:
        line = spec(name)
        model = line.create(movies=pd.DataFrame({"movie_id": [], "genres": [], "year": []}))
        yes = {True: "yes", False: "-"}
        rows.append(
            {
                "model": name,
                "stars": yes[model.predicts_ratings],
                "ranks": yes[model.ranks],
                "ranks by": model.ranking_score if model.ranks else "-",
                "new users": yes[model.ranks and model.accepts_profiles],
                "similar movies": yes[model.has_similar_movies],
                "knobs (search space)": "; ".join(
                    f"{k} {', '.join(map(str, v))}" for k, v in line.knobs.items()
                )
                or "-",
                "tuned on validation": ", ".join(f"{k} {v}" for k, v in line.tuned.items()) or "-",
                "tuned for new users": ", ".join(f"{k} {v}" for k, v in line.for_profiles.items())
                or "-",
                "what it is": line.summary,
            }
        )
    return pd.DataFrame(rows).set_index("model")
