"""Tabular data: the Adult data set, tables built in code, a dataset helper and class balancing.

- :func:`load_adult` — UCI Adult, embedded in the package (CC BY 4.0, Becker & Kohavi 1996;
  ``tabular/data/ATTRIBUTION.md``) or downloaded with a sha256 check and a cache.
- :func:`loans_table`, :func:`patients_table`, :func:`consistency_table` — mixed-type tables built in code;
  :func:`messy_table` — a table with every real-world column kind (ids, keys, names, dates, a wide
  categorical, free text) and :func:`messy_constraints`, the constraints it holds.
- :class:`TabularDataset` — a frame with its target: summary and stratified split.
- :func:`noisy_oversample`, :func:`smote_balance` — balance a training frame's classes.
- :func:`read_table`, :func:`write_table` — CSV / Parquet files (writes in one rename).
"""

from tabular.data.adult import ADULT_COLUMNS, load_adult
from tabular.data.augment import Augmented, noisy_oversample, smote_balance
from tabular.data.dataset import DatasetSplit, DatasetSummary, TabularDataset
from tabular.data.files import read_table, write_table
from tabular.data.messy import messy_constraints, messy_table
from tabular.data.tables import consistency_table, loans_table, patients_table

__all__ = ["ADULT_COLUMNS", "Augmented", "DatasetSplit", "DatasetSummary", "TabularDataset", "consistency_table",
           "load_adult", "loans_table", "messy_constraints", "messy_table", "noisy_oversample", "patients_table",
           "read_table", "smote_balance", "write_table"]
