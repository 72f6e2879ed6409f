"""The tables built in code keep the shape the benchmarks rely on."""

import numpy as np
import pandas as pd

from tabular.data import patients_table


def test_patients_table_has_the_benchmark_shape():
    """Catches a change that leaves the multi-class benchmark table with fewer than 8 numeric or 4
    categorical feature columns, a lost class, missing values outside ``region``, or a target that
    no longer depends on the features (a random ``risk`` would make its efficacy figures meaningless)."""
    frame = patients_table(4000)
    features = frame.drop(columns="risk")
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(features[c])]
    assert len(numeric) >= 8 and len(features.columns) - len(numeric) >= 4
    assert set(frame["risk"]) == {"low", "moderate", "high", "very high"}
    assert frame.columns[frame.isna().any()].tolist() == ["region"]
    assert frame.equals(patients_table(4000)) and not frame.equals(patients_table(4000, seed=12))
    order = frame["risk"].map({"low": 0, "moderate": 1, "high": 2, "very high": 3})
    assert np.corrcoef(frame["age"], order)[0, 1] > 0.3
    assert frame.groupby("risk")["glucose"].mean()["very high"] > frame.groupby("risk")["glucose"].mean()["low"]
