"""The evaluation's own feature encoding: fitted on the real training rows only.

:class:`FeatureEncoder` turns any frame into the matrix the detectors, the efficacy classifier and
the distance to closest record see: numeric columns min-max scaled with the real training rows'
range (a value outside it scales outside ``[-1, 1]``; a missing value becomes 0 with a
``column=<missing>`` indicator), discrete columns one-hot over the real training rows' categories
(a missing value is the category ``<missing>``; a category the training rows never held encodes
as all zeros). Fitting on the real training rows alone means a synthetic frame cannot move the
encoding under which it is scored.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from tabular.encoding.columns import numeric_values

#: Largest magnitude of a scaled number (values beyond the real range saturate there).
OUTSIDE = 1e6
#: The label of a missing value in discrete columns and indicators.
MISSING = "<missing>"


def is_numeric(series: pd.Series) -> bool:
    """Numbers (not booleans) are scored as continuous columns."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def as_labels(series: pd.Series) -> np.ndarray:
    """A discrete column as strings, ``MISSING`` for missing values.

    Typed columns (strings, categories, booleans, integers) are converted once per distinct value;
    ``object`` and float columns value by value, where equal values may print differently (``1``,
    ``1.0`` and ``True`` in one object column; ``0.0`` and ``-0.0``)."""
    if series.dtype == object or pd.api.types.is_float_dtype(series.dtype):
        return np.asarray([MISSING if pd.isna(v) else str(v) for v in series], dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = np.asarray([str(v) for v in uniques] + [MISSING], dtype=object)
    return labels[codes]  # code -1 (missing) picks MISSING


def as_numbers(series: pd.Series, col: str) -> np.ndarray:
    return numeric_values(series, col, "continuous")


class FeatureEncoder:
    """One-hot + min-max features of a frame, fitted on the real training rows (see the module docstring).

    Args:
        continuous: Columns scored as numbers; ``None``: every numeric (non-boolean) column.
        exclude: Columns left out (e.g. the target of an efficacy classifier).

    Attributes (after ``fit``):
        columns_, continuous_: Encoded source columns; the numeric ones.
        feature_names_, index_map_: Name and source column of every feature.
    """

    def __init__(self, continuous: Sequence[str] | None = None, exclude: Sequence[str] = ()):
        self.continuous, self.exclude = continuous, tuple(exclude)

    def fit(self, real: pd.DataFrame, missing_in: Sequence[pd.DataFrame] = ()) -> "FeatureEncoder":
        """Learn ranges and categories from ``real``; numeric columns missing anywhere in ``real`` or
        ``missing_in`` get an indicator feature."""
        self.columns_ = [c for c in real.columns if c not in self.exclude]
        self.continuous_ = [c for c in self.columns_
                            if (c in self.continuous if self.continuous is not None else is_numeric(real[c]))]
        self.range_, self.categories_, self.indicator_ = {}, {}, set()
        names, index_map = [], []
        for col in self.columns_:
            if col in self.continuous_:
                values = as_numbers(real[col], col)
                observed = values[~np.isnan(values)]
                self.range_[col] = (float(observed.min()), float(observed.max())) if len(observed) else (0.0, 1.0)
                names.append(col), index_map.append(col)
                if any(f[col].isna().any() for f in (real, *missing_in) if col in f.columns):
                    self.indicator_.add(col)
                    names.append(f"{col}={MISSING}"), index_map.append(col)
            else:
                cats = sorted(set(as_labels(real[col])))
                self.categories_[col] = cats
                names += [f"{col}={c}" for c in cats]
                index_map += [col] * len(cats)
        self.feature_names_, self.index_map_ = names, index_map
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col in self.columns_:
            if col in self.continuous_:
                values = as_numbers(frame[col], col)
                lo, hi = self.range_[col]
                scaled = np.zeros_like(values) if hi == lo else 2.0 * ((values - lo) / (hi - lo)) - 1.0
                # far outside the real range (1 against a range of width 1e-300) stays far, and finite in float32
                scaled = np.clip(scaled, -OUTSIDE, OUTSIDE)
                nan = np.isnan(scaled)
                blocks.append(np.where(nan, 0.0, scaled)[:, None])
                if col in self.indicator_:
                    blocks.append(nan.astype(np.float64)[:, None])
            else:
                index = pd.Index(self.categories_[col]).get_indexer(as_labels(frame[col]))
                onehot = np.zeros((len(frame), len(self.categories_[col])))
                known = index >= 0
                onehot[np.nonzero(known)[0], index[known]] = 1.0
                blocks.append(onehot)
        return np.concatenate(blocks, axis=1).astype(np.float32)
