"""Every figure of the notebooks and the HTML reports: ``plots.<figure>(...)``.

Each function takes the canonical frames, draws one figure with the
object-oriented API and returns it; nothing is shown, so the same code
serves JupyterLab, papermill runs and tests. The numbers come from
:mod:`zeerec.features`, so a figure and the table next to it never disagree.

Unlike the case-study notebook, user demographics are counted once per
user (not once per rating), and movie rankings use a Bayesian weighted
mean rather than the raw average of a handful of votes.

The seaborn theme is applied inside a context manager around each
function, so importing or calling this module never changes global
matplotlib settings. In a notebook, end the cell with ``;`` or assign the
returned figure, or the inline backend shows it twice.

The figures live in one module per notebook topic — :mod:`~zeerec.plots.eda`,
:mod:`~zeerec.plots.similarity`, :mod:`~zeerec.plots.mf`,
:mod:`~zeerec.plots.evaluation` — on the shared helpers of :mod:`~zeerec.plots.base`;
every figure function is importable from ``zeerec.plots`` itself.
"""

from zeerec.plots.base import FIGSIZE
from zeerec.plots.eda import (
    age_distribution,
    gender_distribution,
    genre_popularity,
    most_rated_movies,
    occupation_distribution,
    rating_distribution,
    ratings_over_time,
    ratings_per_movie,
    ratings_per_user,
    release_decade_distribution,
    top_rated_movies,
)
from zeerec.plots.evaluation import (
    evaluation_cost,
    metric_by_activity,
    ranking_metrics,
    rating_metrics,
)
from zeerec.plots.mf import embedding_map, predicted_vs_actual, training_curves
from zeerec.plots.similarity import similarity_heatmap

__all__ = [
    "FIGSIZE",
    "age_distribution",
    "embedding_map",
    "evaluation_cost",
    "gender_distribution",
    "genre_popularity",
    "metric_by_activity",
    "most_rated_movies",
    "occupation_distribution",
    "predicted_vs_actual",
    "ranking_metrics",
    "rating_distribution",
    "rating_metrics",
    "ratings_over_time",
    "ratings_per_movie",
    "ratings_per_user",
    "release_decade_distribution",
    "similarity_heatmap",
    "top_rated_movies",
    "training_curves",
]
