"""The new-user models behind notebook 06 and ``zeerec recommend``."""

from __future__ import annotations

import pytest
from test_display import MOVIES, RATINGS  # the four-movie catalogue, hand-checked there

from zeerec import newuser
from zeerec.display import evidence_table


def test_unknown_method_and_missing_mf_are_explained():
    models = newuser.fit_models(RATINGS, MOVIES, min_common=1)
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        models.get("magic")
    models.notes.append("no MF model here.")
    with pytest.raises(ValueError, match="no MF model here"):
        models.get("mf")
    rec = newuser.recommend(models, "content", {1: 5}, n=2)
    table = evidence_table(rec, "content", MOVIES)
    assert table.index.tolist() == [1, 2] and table.columns[0] == "title"
