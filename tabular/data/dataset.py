"""A DataFrame with a target, a summary and the protocol's stratified split.

Example:
    >>> ds = TabularDataset(load_adult(), target="income")
    >>> print(ds.summary())
    >>> split = ds.split(test_size=0.2, seed=42)   # 26,048 / 6,513 rows, class ratios printed
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.encoding.columns import DISCRETE_KINDS, check_frame, infer_kind


@dataclasses.dataclass(frozen=True)
class DatasetSplit:
    """Train / validation / test frames (validation may be empty)."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


@dataclasses.dataclass(frozen=True)
class DatasetSummary:
    """Rows, columns by kind and class distribution of a data set."""

    rows: int
    columns: int
    kinds: dict
    target: str
    class_counts: dict

    def __str__(self) -> str:
        total = max(1, sum(self.class_counts.values()))
        classes = ", ".join(f"{k}: {v} ({v / total:.1%})" for k, v in self.class_counts.items())
        by_kind = {}
        for kind in self.kinds.values():
            by_kind[kind] = by_kind.get(kind, 0) + 1
        kinds = ", ".join(f"{v} {k}" for k, v in sorted(by_kind.items()))
        return (f"{self.rows} rows x {self.columns} columns ({kinds}; target {self.target!r})\n"
                f"classes: {classes}")


class TabularDataset:
    """A frame with a discrete target column: its summary and the protocol's stratified split.

    Args:
        frame: The data (copied).
        target: Target column (binary or multi-class).

    Raises:
        InputShapeError: The frame is empty or lacks the target.
        LabelError: The target is numeric with many values (not a class label) or has missing values.
    """

    def __init__(self, frame: pd.DataFrame, target: str):
        frame = check_frame(frame)
        if target not in frame.columns:
            raise InputShapeError(f"target column {target!r} is missing from the frame (columns "
                                  f"{list(frame.columns)}); pass target= the label column")
        if frame[target].isna().any():
            raise LabelError(f"target column {target!r} has {int(frame[target].isna().sum())} missing values; drop "
                             "those rows first")
        self.kinds = {c: infer_kind(frame[c]) for c in frame.columns}
        if self.kinds[target] not in DISCRETE_KINDS and frame[target].nunique() > 20:
            raise LabelError(f"target column {target!r} is numeric with {frame[target].nunique()} values; a "
                             "classification target needs class labels")
        self.frame = frame.reset_index(drop=True).copy()
        self.target = target

    def class_counts(self, frame: pd.DataFrame | None = None) -> dict:
        frame = self.frame if frame is None else frame
        counts = frame[self.target].value_counts()
        return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))}

    def summary(self) -> DatasetSummary:
        return DatasetSummary(len(self.frame), len(self.frame.columns), dict(self.kinds), self.target,
                              self.class_counts())

    def split(self, test_size: float = 0.2, val_size: float = 0.0, seed: int = 42,
              verbose: bool = True) -> DatasetSplit:
        """Stratified train / validation / test split preserving the class ratios.

        Args:
            test_size: Fraction of all rows in the test part (the protocol: 0.2, seed 42).
            val_size: Fraction of all rows in the validation part, taken from the rest; 0 for none.
            seed: Random state of the split.
            verbose: Print each part's size and positive-class ratio.

        Raises:
            ConfigError: A fraction is outside ``[0, 1)`` or they sum to 1 or more.
            LabelError: A class has too few rows to stratify.
        """
        for name, value in (("test_size", test_size), ("val_size", val_size)):
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"{name} must lie in [0, 1), received {value!r}")
        if test_size <= 0 or test_size + val_size >= 1.0:
            raise ConfigError(f"test_size ({test_size}) must be > 0 and test_size + val_size ({val_size}) "
                              "< 1 so that the training part keeps rows")
        y = self.frame[self.target]
        if y.value_counts().min() < 2:
            raise LabelError(f"target column {self.target!r} has a class with fewer than 2 rows; "
                             "stratification needs at least 2 rows per class")
        rest, test = train_test_split(self.frame, test_size=test_size, stratify=y, random_state=seed)
        val = rest.iloc[:0]
        if val_size > 0:
            rest, val = train_test_split(rest, test_size=val_size / (1.0 - test_size),
                                         stratify=rest[self.target], random_state=seed)
        parts = DatasetSplit(rest, val, test)
        if verbose:
            for name, part in (("all", self.frame), ("train", rest), ("val", val), ("test", test)):
                if len(part):
                    shares = ", ".join(f"{k} {v / len(part):.4f}" for k, v in self.class_counts(part).items())
                    print(f"{name:5s}: {len(part):6d} rows, class shares {shares}")
        return parts
