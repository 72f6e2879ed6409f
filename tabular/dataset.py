"""A DataFrame with a fitted transformer, a summary and the protocol's stratified split.

Example:
    >>> ds = TabularDataset(load_adult(), target="income", positive_label=">50K")
    >>> print(ds.summary())
    >>> split = ds.split(test_size=0.2, seed=42)   # 26,048 / 6,513 rows, class ratios printed
    >>> x_train, y_train = ds.encode(split.train)
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.errors import ConfigError, LabelError
from tabular.transformer import TabularTransformer, _check_frame


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
    """Rows, columns, class distribution and encoded width of a data set."""

    rows: int
    columns: int
    categorical: tuple[str, ...]
    continuous: tuple[str, ...]
    target: str | None
    class_counts: dict
    encoded_width: int
    feature_width: int

    def __str__(self) -> str:
        total = max(1, sum(self.class_counts.values()))
        classes = ", ".join(f"{k}: {v} ({v / total:.1%})" for k, v in self.class_counts.items())
        return (f"{self.rows} rows x {self.columns} columns ({len(self.categorical)} categorical, "
                f"{len(self.continuous)} continuous, target {self.target!r})\n"
                f"classes: {classes}\n"
                f"encoded width: {self.encoded_width} ({self.feature_width} features"
                f"{' + 1 target' if self.target else ''})")


class TabularDataset:
    """A frame, its :class:`~tabular.transformer.TabularTransformer` and helpers.

    The transformer is fitted on the whole frame: it records the schema (categories, ranges)
    so that every part of a split encodes; no label information enters the features.

    Args:
        frame: The data (copied).
        target: Target column (binary).
        categorical: Categorical columns; ``None`` infers them from dtypes.
        continuous: Continuous columns; ``None`` infers them from dtypes.
        positive_label: Target value encoded as 1; ``None`` takes the minority class.

    Raises:
        See :meth:`TabularTransformer.fit`.
    """

    def __init__(self, frame: pd.DataFrame, target: str, categorical: Sequence[str] | None = None,
                 continuous: Sequence[str] | None = None, positive_label=None):
        frame = _check_frame(frame)
        self.transformer = TabularTransformer(categorical, continuous, target, positive_label).fit(frame)
        self.frame = frame[self.transformer.columns_].reset_index(drop=True).copy()
        self.target = target

    @property
    def index_map(self) -> list[str]:
        """Source column of every encoded index (target last)."""
        return self.transformer.index_map_

    def encode(self, frame: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Encoded features ``(n, feature_width)`` float32 and 0/1 labels ``(n,)`` of ``frame``
        (default: the whole data set)."""
        frame = self.frame if frame is None else frame
        return (self.transformer.transform(frame, include_target=False),
                self.transformer.transform_target(frame))

    def decode(self, x: np.ndarray, labels=None) -> pd.DataFrame:
        """Inverse of :meth:`encode` (see :meth:`TabularTransformer.inverse_transform`)."""
        return self.transformer.inverse_transform(x, labels)

    def class_counts(self, frame: pd.DataFrame | None = None) -> dict:
        frame = self.frame if frame is None else frame
        counts = frame[self.target].value_counts()
        return {str(k): int(counts.get(k, 0)) for k in self.transformer.target_classes_}

    def summary(self) -> DatasetSummary:
        t = self.transformer
        return DatasetSummary(len(self.frame), len(self.frame.columns), tuple(t.categorical_),
                              tuple(t.continuous_), self.target, self.class_counts(),
                              t.output_width_, t.feature_width_)

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
            positive = self.transformer.target_classes_[1]
            for name, part in (("all", self.frame), ("train", rest), ("val", val), ("test", test)):
                if len(part):
                    ratio = float((part[self.target] == positive).mean())
                    print(f"{name:5s}: {len(part):6d} rows, {positive!r} ratio {ratio:.4f}")
        return parts
