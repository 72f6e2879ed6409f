"""Privacy checks of synthetic tables: exact copies and distances to the closest record (DCR).

All distances are Euclidean in the :class:`~tabular.evaluation.features.FeatureEncoder` space fitted
on the real training rows only.

- ``exact_copy_rate``: share of synthetic rows equal to some real training row, beside the same
  share for real test rows (``exact_copy_rate_holdout``: what chance alone gives).
- ``dcr_synthetic_median`` / ``dcr_holdout_median`` (and 5th percentiles): distance of a synthetic
  row, and of a real test row, to its closest real training row.
- ``dcr_share``: the larger of the training rows and the test rows is subsampled to the other's
  size (a small training table against a large test part too); for every synthetic row its
  distance to the closest of those training rows is compared with its distance to the closest
  of those test rows. The share of synthetic rows strictly closer to the training rows (ties count
  one half) is 0.5 when the synthesizer does not memorise: training and test rows are then equally
  far. Higher means synthetic rows sit near the rows the model was trained on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from tabular.evaluation.features import as_labels, as_numbers


def _row_keys(frame: pd.DataFrame, columns, continuous) -> pd.Series:
    norm = pd.DataFrame({c: as_numbers(frame[c], c) if c in continuous else as_labels(frame[c]) for c in columns})
    return pd.util.hash_pandas_object(norm, index=False)


def exact_copy_rates(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame,
                     continuous) -> dict:
    columns = list(real_train.columns)
    train_keys = set(_row_keys(real_train, columns, continuous))

    def rate(frame):
        return float(np.mean([k in train_keys for k in _row_keys(frame, columns, continuous)]))

    return {"exact_copy_rate": rate(synthetic), "exact_copy_rate_holdout": rate(real_test)}


def dcr_scores(x_train: np.ndarray, x_test: np.ndarray, x_synthetic: np.ndarray, max_rows: int = 2000,
               seed: int = 0) -> dict:
    """DCR medians / 5th percentiles (on at most ``max_rows`` rows) and the DCR share (module docstring)."""
    rng = np.random.default_rng(seed)
    index = NearestNeighbors(n_neighbors=1).fit(x_train)

    def sub(x, k):
        return x[rng.choice(len(x), size=min(k, len(x)), replace=False)]

    d_syn, d_hold = (index.kneighbors(sub(x, max_rows))[0][:, 0] for x in (x_synthetic, x_test))
    size = min(len(x_train), len(x_test))  # equal sizes: equally far without memorisation
    train_part, test_part = sub(x_train, size), sub(x_test, size)
    rows = sub(x_synthetic, max_rows)
    to_train = NearestNeighbors(n_neighbors=1).fit(train_part).kneighbors(rows)[0][:, 0]
    to_test = NearestNeighbors(n_neighbors=1).fit(test_part).kneighbors(rows)[0][:, 0]
    share = float(np.mean((to_train < to_test) + 0.5 * (to_train == to_test)))
    return {"dcr_synthetic_median": float(np.median(d_syn)), "dcr_holdout_median": float(np.median(d_hold)),
            "dcr_synthetic_5pct": float(np.quantile(d_syn, 0.05)), "dcr_holdout_5pct": float(np.quantile(d_hold, 0.05)),
            "dcr_share": share}
