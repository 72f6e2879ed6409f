"""Generated tables with Adult's schema, of any size, written to Parquet in pieces.

The columns are those of ``adult.data`` (6 integer columns, 9 categorical ones with Adult's
categories, ``income`` tied to age, education and hours) drawn from simple distributions: the
benchmarks measure speed and memory, not quality, so the values only need Adult's types,
cardinalities and rough shapes. A table is generated and written ``CHUNK`` rows at a time, so
writing 10^7 rows needs the memory of one chunk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

#: Rows generated and written at a time.
CHUNK = 500_000

CATEGORIES = {
    "workclass": ["Private", "Self-emp-not-inc", "Local-gov", "Unknown", "State-gov", "Self-emp-inc", "Federal-gov",
                  "Without-pay", "Never-worked"],
    "education": ["HS-grad", "Some-college", "Bachelors", "Masters", "Assoc-voc", "11th", "Assoc-acdm", "10th",
                  "7th-8th", "Prof-school", "9th", "12th", "Doctorate", "5th-6th", "1st-4th", "Preschool"],
    "marital_status": ["Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed",
                       "Married-spouse-absent", "Married-AF-spouse"],
    "occupation": ["Prof-specialty", "Craft-repair", "Exec-managerial", "Adm-clerical", "Sales", "Other-service",
                   "Machine-op-inspct", "Unknown", "Transport-moving", "Handlers-cleaners", "Farming-fishing",
                   "Tech-support", "Protective-serv", "Priv-house-serv", "Armed-Forces"],
    "relationship": ["Husband", "Not-in-family", "Own-child", "Unmarried", "Wife", "Other-relative"],
    "race": ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
    "sex": ["Male", "Female"],
    "native_country": ["United-States", "Mexico", "Unknown", "Philippines", "Germany", "Canada", "Puerto-Rico",
                       "El-Salvador", "India", "Cuba", "England", "Jamaica", "South", "China", "Italy",
                       "Dominican-Republic", "Vietnam", "Guatemala", "Japan", "Poland", "Columbia", "Taiwan", "Haiti",
                       "Iran", "Portugal", "Nicaragua", "Peru", "France", "Greece", "Ecuador", "Ireland", "Hong",
                       "Cambodia", "Trinadad&Tobago", "Laos", "Thailand", "Yugoslavia", "Outlying-US(Guam-USVI-etc)",
                       "Honduras", "Hungary", "Scotland", "Holand-Netherlands"],
}


def _skewed(rng, categories: list, n: int) -> np.ndarray:
    """Categories with geometrically falling frequencies (Adult's are very uneven)."""
    p = 0.6 ** np.arange(len(categories))
    return np.asarray(categories, dtype=object)[rng.choice(len(categories), n, p=p / p.sum())]


def adult_like(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows with Adult's columns, kinds and categories."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.gamma(6.0, 6.5, n), 17, 90).astype(np.int64)
    education_num = rng.integers(1, 17, n)
    hours = np.clip(np.round(rng.normal(40, 12, n)), 1, 99).astype(np.int64)
    gain = np.where(rng.random(n) < 0.08, np.round(rng.lognormal(8.5, 1.0, n)), 0).astype(np.int64)
    loss = np.where(rng.random(n) < 0.05, np.round(rng.normal(1900, 350, n)), 0).astype(np.int64)
    score = 0.04 * (age - 38) + 0.3 * (education_num - 10) + 0.03 * (hours - 40) + rng.normal(0, 1, n)
    frame = {"age": age, "workclass": _skewed(rng, CATEGORIES["workclass"], n),
             "fnlwgt": np.round(rng.lognormal(12.0, 0.5, n)).astype(np.int64),
             "education": _skewed(rng, CATEGORIES["education"], n), "education_num": education_num}
    for col in ("marital_status", "occupation", "relationship", "race", "sex"):
        frame[col] = _skewed(rng, CATEGORIES[col], n)
    frame.update({"capital_gain": gain, "capital_loss": loss, "hours_per_week": hours,
                  "native_country": _skewed(rng, CATEGORIES["native_country"], n),
                  "income": np.where(score > 1.0, ">50K", "<=50K").astype(object)})
    return pd.DataFrame(frame)


def write_adult_like(path: str | os.PathLike, rows: int, seed: int = 0, row_group: int = 100_000) -> Path:
    """Write ``rows`` Adult-like rows to the Parquet file ``path``, ``CHUNK`` rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for i, start in enumerate(range(0, rows, CHUNK)):
            table = pa.Table.from_pandas(adult_like(min(CHUNK, rows - start), seed=seed * 100_003 + i),
                                         preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=row_group)
    finally:
        if writer is not None:
            writer.close()
    return path
