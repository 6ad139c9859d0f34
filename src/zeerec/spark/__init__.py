"""zeerec on Apache Spark: the same files, split and metric definitions, past one machine.

An optional extra (``pip install -e '.[spark]'``, plus Java 17). Every step is a Spark
DataFrame operation, so the same code runs on ``local[2]`` and on a cluster:

- :mod:`zeerec.spark.session` — is Spark usable here (PySpark and Java), one session;
- :mod:`zeerec.spark.load` — the ratings of any layout zeerec reads, checked by the same
  rules as :func:`zeerec.data.load` (bad rows counted in a quality table, never dropped
  silently);
- :mod:`zeerec.spark.splits` — the stratified and temporal splits, row for row those of
  :mod:`zeerec.splits`;
- :mod:`zeerec.spark.als` — MLlib ALS, explicit (RMSE) and implicit (top-N), settings
  chosen on a validation carving of the training split;
- :mod:`zeerec.spark.metrics` — RMSE and the ranking metrics of :mod:`zeerec.metrics`,
  computed in Spark (no per-user list reaches the driver);
- :mod:`zeerec.spark.pipeline` and :mod:`zeerec.spark.job` — the whole run, shared by
  notebook 08 and ``python -m zeerec.spark.job`` (spark-submit).

Nothing here imports PySpark at import time of :mod:`zeerec.spark` itself, so that
``zeerec.spark.session.unavailable_reason()`` can say why Spark cannot run.
"""
