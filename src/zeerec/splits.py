"""Train/test splits of the canonical ratings table, all seeded.

Every split returns ``(train, test)`` as two DataFrames holding disjoint rows of the
input, so no (user, movie) pair can appear on both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_split(
    ratings: pd.DataFrame, test_size: float = 0.2, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Uniformly random hold-out of ``test_size`` of all ratings (the seed's 80/20)."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    rng = np.random.default_rng(seed)
    n_test = int(round(len(ratings) * test_size))
    test_mask = np.zeros(len(ratings), dtype=bool)
    test_mask[rng.permutation(len(ratings))[:n_test]] = True
    return (
        ratings.loc[~test_mask].reset_index(drop=True),
        ratings.loc[test_mask].reset_index(drop=True),
    )
