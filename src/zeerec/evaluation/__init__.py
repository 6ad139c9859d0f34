"""Compare recommenders through the one interface: rating accuracy, top-k quality, cost.

:func:`evaluate` takes a train/test split and a ``{name: model}`` dict and returns
tidy tables (an :class:`Evaluation`):

- ``rating`` — RMSE, MAE, MAPE on the held-out ratings, for models that predict stars
  (``predicts_ratings``), with fit and predict times;
- ``ranking`` — Precision, Recall, NDCG, MAP and HitRate at k, catalogue coverage and
  novelty for every model, with fit time and recommend time per user;
- ``by_activity`` — the same metrics per user-activity bucket (cold / medium / heavy
  users by their number of training ratings);
- ``per_user`` — one row per (model, user) for any further cut;
- ``rating_per_user`` — each star model's squared error summed per judged user.

Every mean comes with a 95 % bootstrap interval over the judged users on request
(``metric_intervals``, ``rmse_intervals``), and two models are compared through the
interval of their paired difference (``paired_difference``, ``rmse_difference``).

The ranking protocol is the usual one (microsoft/recommenders' MovieLens benchmark):
for each test user the model ranks every movie it knows that is **not** in the user's
training ratings; the relevant movies are **all** of the user's test movies, whatever
their stars (a held-out movie the model cannot know, e.g. one with no training rating,
still counts as relevant and is simply never hit). Ranking uses the model's
``scores``, exactly as ``Recommender.recommend`` does, a block of users at a time
(``scores_many``), which keeps 6,040 users fast; a model that filters or breaks ties
its own way (``ranks_by_score`` False) is asked for its lists one user at a time, so
the harness judges the lists a user would really see. ``info["global_mean_rmse"]`` is
the reference every star model should beat: always predicting the mean training
rating, on the same rating pairs.

The package: :mod:`~zeerec.evaluation.harness` (``evaluate``, ``rating_table``,
``build_models`` from the model registry), :mod:`~zeerec.evaluation.tuning`
(``grid_search``, ``coordinate_search``, ``tune``: knobs chosen on validation carved
from training) and
:mod:`~zeerec.evaluation.verdict` (``conclusions``: the best model for each job) and
:mod:`~zeerec.evaluation.intervals` (paired bootstrap intervals over the judged users).
"""

from zeerec.evaluation.harness import (
    DEFAULT_ACTIVITY_EDGES,
    RATING_COLUMNS,
    Evaluation,
    activity_bucket,
    build_models,
    check_not_trained_on,
    evaluate,
    rating_errors_per_user,
    rating_table,
    recommend_top_k,
    scores_in_blocks,
)
from zeerec.evaluation.intervals import (
    bootstrap_means,
    metric_intervals,
    paired_difference,
    rmse_difference,
    rmse_intervals,
)
from zeerec.evaluation.tuning import coordinate_search, grid_search, tune
from zeerec.evaluation.verdict import conclusions

__all__ = [
    "DEFAULT_ACTIVITY_EDGES",
    "RATING_COLUMNS",
    "Evaluation",
    "activity_bucket",
    "bootstrap_means",
    "build_models",
    "check_not_trained_on",
    "conclusions",
    "coordinate_search",
    "evaluate",
    "grid_search",
    "metric_intervals",
    "paired_difference",
    "rating_errors_per_user",
    "rating_table",
    "recommend_top_k",
    "rmse_difference",
    "rmse_intervals",
    "scores_in_blocks",
    "tune",
]
