"""Reversible encoding of a DataFrame: one-hot categoricals, [-1, 1] continuous, binary target.

:class:`TabularTransformer` follows the scikit-learn contract: ``__init__`` stores parameters,
``fit`` learns the schema into ``attr_`` attributes and returns ``self``, ``transform`` checks it
is fitted and that the columns match. Encoded layout, in the frame's column order::

    [continuous scaled to [-1, 1] | one-hot group (every category, binary columns too) | ...][target]

The target, when declared, is one binary column at the end (positive class = 1).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from genlab.errors import (ConfigError, InputShapeError, InvalidValueError, LabelError,
                           NotFittedError)


@dataclasses.dataclass(frozen=True)
class ColumnSpan:
    """Where one source column lives in the encoded matrix.

    Attributes:
        column: Source column name.
        kind: ``"continuous"``, ``"categorical"`` or ``"target"``.
        start: First encoded index.
        dim: Number of encoded columns (1 for continuous/target, one per category otherwise).
        activation: Output activation a generator should use: ``"tanh"`` (continuous),
            ``"softmax"`` (one-hot group) or ``"sigmoid"`` (target).
    """

    column: str
    kind: str
    start: int
    dim: int
    activation: str

    @property
    def stop(self) -> int:
        return self.start + self.dim


def _check_frame(frame, what: str = "frame") -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"{what} must be a pandas DataFrame, received {type(frame).__name__}; "
                                "wrap arrays with pd.DataFrame(data, columns=[...])")
    if len(frame) == 0:
        raise InputShapeError(f"{what} has no rows; give at least one row (fit needs every category "
                              "and both target classes)")
    return frame


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    """The column as float64, with errors naming the column and the bad values."""
    series = frame[col]
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        examples = series[bad].astype(str).unique()[:3].tolist()
        raise InvalidValueError(
            f"continuous column {col!r} expected numbers, received non-numeric values {examples} "
            f"in {int(bad.sum())} rows; clean or convert them, or declare {col!r} as categorical")
    values = values.to_numpy(dtype=np.float64)
    nan = ~np.isfinite(values)
    if nan.any():
        rows = np.nonzero(nan)[0][:5].tolist()
        raise InvalidValueError(
            f"continuous column {col!r} expected finite numbers, received {int(nan.sum())} NaN/infinite "
            f"values (first rows {rows}); impute them (e.g. frame[{col!r}].fillna(median)) or drop the rows")
    return values


def _categorical(frame: pd.DataFrame, col: str) -> np.ndarray:
    series = frame[col]
    if series.isna().any():
        rows = np.nonzero(series.isna().to_numpy())[0][:5].tolist()
        raise InvalidValueError(
            f"categorical column {col!r} expected a category in every row, received {int(series.isna().sum())} "
            f"missing values (first rows {rows}); fill them, e.g. frame[{col!r}].fillna('Unknown')")
    return series.astype(str).to_numpy()


class TabularTransformer:
    """Encode a DataFrame for a neural network and decode generated rows back to it.

    Args:
        categorical: Categorical columns; ``None`` infers them (object, string, category and
            bool dtypes). Every category keeps its own one-hot column (no drop-first).
        continuous: Continuous columns; ``None`` infers them (numeric dtypes). Scaled to
            ``[-1, 1]`` with the minimum and maximum seen by ``fit``.
        target: Target column encoded as one binary column at the end; ``None`` for none.
        positive_label: Target value encoded as 1; ``None`` takes the minority class.

    Attributes (after ``fit``):
        columns_: Source columns in order (target included).
        categorical_, continuous_: The two column lists (target excluded).
        categories_: ``{column: [category, ...]}`` in one-hot order (sorted).
        min_, max_: ``{column: float}`` of the continuous columns.
        integer_: Continuous columns whose values were all integers.
        decimals_: ``{column: d}``: the fewest decimals (0..6) that hold every fitted value;
            decoded values are rounded to them, so encode-decode is exact on real rows and
            generated values look like the data (``None``: no rounding).
        dtypes_: ``{column: dtype}`` of the fitted frame, restored by ``inverse_transform``.
        spans_: ``list[ColumnSpan]`` of the features, then the target.
        index_map_: ``list[str]``: the source column of every encoded index.
        feature_names_: ``list[str]``: ``"age"``, ``"sex=Female"``, ... per encoded index.
        feature_width_, output_width_: Encoded width without / with the target.
        target_classes_: ``(negative, positive)`` values of the target.

    Raises:
        (fit) InputShapeError: Empty frame or a declared column is missing.
        (fit) InvalidValueError: NaN or non-numeric values in a continuous column, missing values
            in a categorical one, or a column declared twice.
        (fit) LabelError: The target has not exactly two classes.

    Example:
        >>> tf_ = TabularTransformer(target="income", positive_label=">50K").fit(adult)
        >>> x = tf_.transform(adult)          # (32561, 109) float32
        >>> back = tf_.inverse_transform(x)   # equals adult
    """

    def __init__(self, categorical: Sequence[str] | None = None, continuous: Sequence[str] | None = None,
                 target: str | None = None, positive_label=None):
        self.categorical = categorical
        self.continuous = continuous
        self.target = target
        self.positive_label = positive_label

    # ------------------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame, y=None) -> "TabularTransformer":
        """Learn the columns, categories, ranges and target classes of ``frame``; return ``self``.

        All checks run before any attribute is set: a failing ``fit`` leaves the transformer as it was.
        """
        frame = _check_frame(frame)
        categorical, continuous = self._resolve_columns(frame)
        categories = {c: sorted(set(_categorical(frame, c))) for c in categorical}
        mins, maxs, integer, decimals = {}, {}, [], {}
        for c in continuous:
            values = _numeric(frame, c)
            mins[c], maxs[c] = float(values.min()), float(values.max())
            decimals[c] = next((d for d in range(7) if np.allclose(values, np.round(values, d), rtol=0,
                                                                    atol=1e-9 * max(1.0, np.abs(values).max()))),
                               None)
            if decimals[c] == 0:
                integer.append(c)
        target_classes = self._target_classes(frame) if self.target is not None else None

        spans, index_map, names, start = [], [], [], 0
        for c in frame.columns:
            if c in mins:
                spans.append(ColumnSpan(c, "continuous", start, 1, "tanh"))
                index_map.append(c), names.append(c)
                start += 1
            elif c in categories:
                k = len(categories[c])
                spans.append(ColumnSpan(c, "categorical", start, k, "softmax"))
                index_map += [c] * k
                names += [f"{c}={v}" for v in categories[c]]
                start += k
        feature_width = start
        if self.target is not None:
            spans.append(ColumnSpan(self.target, "target", start, 1, "sigmoid"))
            index_map.append(self.target), names.append(self.target)

        self.columns_ = [c for c in frame.columns if c in mins or c in categories or c == self.target]
        self.categorical_, self.continuous_ = categorical, continuous
        self.categories_, self.min_, self.max_, self.integer_ = categories, mins, maxs, integer
        self.decimals_ = decimals
        self.dtypes_ = {c: frame[c].dtype for c in self.columns_}
        self.spans_, self.index_map_, self.feature_names_ = spans, index_map, names
        self.feature_width_ = feature_width
        self.output_width_ = feature_width + (1 if self.target is not None else 0)
        self.target_classes_ = target_classes
        return self

    def _resolve_columns(self, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
        declared = [c for c in (self.categorical or ())] + [c for c in (self.continuous or ())]
        if self.target is not None:
            declared.append(self.target)
        missing = [c for c in declared if c not in frame.columns]
        if missing:
            raise InputShapeError(
                f"column(s) {missing} expected by the transformer are missing from the frame, which has "
                f"columns {list(frame.columns)}; rename them or fix the declared column lists")
        if self.categorical is not None and self.continuous is not None:
            both = sorted(set(self.categorical) & set(self.continuous))
            if both:
                raise InvalidValueError(f"column(s) {both} are declared both categorical and continuous; "
                                        "declare each column once")
        features = [c for c in frame.columns if c != self.target]
        if self.categorical is None and self.continuous is None:
            categorical = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])
                           or pd.api.types.is_bool_dtype(frame[c])]
            continuous = [c for c in features if c not in categorical]
        elif self.categorical is None:
            continuous = list(self.continuous)
            categorical = [c for c in features if c not in continuous]
        elif self.continuous is None:
            categorical = list(self.categorical)
            continuous = [c for c in features if c not in categorical]
        else:
            categorical, continuous = list(self.categorical), list(self.continuous)
        if self.target in categorical or self.target in continuous:
            raise InvalidValueError(f"the target {self.target!r} is also declared as a feature; "
                                    "remove it from the categorical/continuous lists")
        if not categorical and not continuous:
            raise InputShapeError(f"the frame has no feature columns besides the target {self.target!r}; "
                                  "give at least one feature column")
        return categorical, continuous

    def _target_classes(self, frame: pd.DataFrame) -> tuple:
        values = frame[self.target]
        if values.isna().any():
            raise LabelError(f"target column {self.target!r} has {int(values.isna().sum())} missing values; "
                             "drop those rows before fitting")
        counts = values.value_counts()
        if len(counts) != 2:
            raise LabelError(
                f"target column {self.target!r} expected exactly two classes, received {len(counts)} "
                f"({counts.index.tolist()[:5]}); a single-class frame cannot train a classifier or a "
                "conditional model: use the whole data set (stratified split) or set target=None")
        if self.positive_label is None:
            positive = counts.index[-1]  # the minority class
        elif self.positive_label in counts.index:
            positive = self.positive_label
        else:
            raise LabelError(f"positive_label {self.positive_label!r} is not a value of target column "
                             f"{self.target!r} (values: {counts.index.tolist()}); pass one of them")
        negative = [v for v in counts.index if v != positive][0]
        return (negative, positive)

    # ------------------------------------------------------------------------------ transform
    def _check_fitted(self) -> None:
        if not hasattr(self, "spans_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(frame) first")

    def transform(self, frame: pd.DataFrame, include_target: bool | None = None) -> np.ndarray:
        """Encode ``frame`` as a float32 matrix.

        Args:
            frame: A frame with the fitted columns (extra columns are ignored).
            include_target: Append the binary target column; ``None`` appends it when a target
                was declared and ``frame`` holds it.

        Returns:
            ``(n, feature_width_)`` or ``(n, output_width_)`` float32 array.

        Raises:
            NotFittedError: ``fit`` was not called.
            InputShapeError: A fitted column is missing, or the frame is empty.
            InvalidValueError: An unseen category, NaN or a non-numeric continuous value.
            LabelError: An unseen target value.
        """
        self._check_fitted()
        frame = _check_frame(frame)
        if include_target is None:
            include_target = self.target is not None and self.target in frame.columns
        needed = [s.column for s in self.spans_ if s.kind != "target" or include_target]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputShapeError(
                f"column(s) {missing} seen by fit are missing from the frame; the transformer expects "
                f"{needed}: add them or refit the transformer on frames with these columns")
        n = len(frame)
        out = np.zeros((n, self.output_width_ if include_target else self.feature_width_), np.float32)
        for span in self.spans_:
            if span.kind == "continuous":
                out[:, span.start] = self._scale(span.column, _numeric(frame, span.column))
            elif span.kind == "categorical":
                values = _categorical(frame, span.column)
                cats = self.categories_[span.column]
                codes = pd.Categorical(values, categories=cats).codes
                if (codes < 0).any():
                    unseen = sorted(set(values[codes < 0]))[:5]
                    raise InvalidValueError(
                        f"categorical column {span.column!r} received categories {unseen} not seen by fit "
                        f"(known: {cats[:8]}{'...' if len(cats) > 8 else ''}); refit on data that holds "
                        "them or map them to a known category such as 'Unknown'")
                out[np.arange(n), span.start + codes] = 1.0
            elif include_target:
                out[:, span.start] = self.transform_target(frame)
        return out

    def transform_target(self, frame_or_values) -> np.ndarray:
        """Encode target values (a frame with the target column, or the values) as int64 0/1."""
        self._check_fitted()
        if self.target is None:
            raise ConfigError("the transformer has no target; construct it with target='column'")
        values = frame_or_values[self.target] if isinstance(frame_or_values, pd.DataFrame) \
            else pd.Series(np.asarray(frame_or_values))
        negative, positive = self.target_classes_
        known = values.isin([negative, positive])
        if not known.all():
            unseen = values[~known].astype(str).unique()[:5].tolist()
            raise LabelError(f"target column {self.target!r} expected {negative!r} or {positive!r}, received "
                             f"{unseen}; clean the labels (e.g. strip trailing '.') before transforming")
        return (values == positive).to_numpy().astype(np.int64)

    def fit_transform(self, frame: pd.DataFrame, y=None) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def _scale(self, col: str, values: np.ndarray) -> np.ndarray:
        lo, hi = self.min_[col], self.max_[col]
        if hi == lo:
            return np.zeros_like(values)
        return 2.0 * (values - lo) / (hi - lo) - 1.0

    # ------------------------------------------------------------------------------ inverse
    def snap(self, x: np.ndarray) -> np.ndarray:
        """Make generated rows valid encodings: each one-hot group becomes its argmax, the target
        is thresholded at 0.5, continuous values are clipped to ``[-1, 1]``."""
        self._check_fitted()
        x = self._check_width(x)
        out = x.copy()
        for span in self.spans_:
            if span.stop > x.shape[1]:
                continue
            block = x[:, span.start:span.stop]
            if span.kind == "categorical":
                snapped = np.zeros_like(block)
                snapped[np.arange(len(x)), block.argmax(axis=1)] = 1.0
                out[:, span.start:span.stop] = snapped
            elif span.kind == "target":
                out[:, span.start] = (block[:, 0] > 0.5).astype(x.dtype)
            else:
                out[:, span.start] = np.clip(block[:, 0], -1.0, 1.0)
        return out

    def _check_width(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] not in (self.feature_width_, self.output_width_):
            raise InputShapeError(
                f"encoded rows must have shape (n, {self.feature_width_}) or (n, {self.output_width_}) "
                f"(with target); received {x.shape}. Generate with the model built for this transformer")
        return x

    def inverse_transform(self, x: np.ndarray, labels=None) -> pd.DataFrame:
        """Decode encoded (or generated) rows back to a frame in the fitted schema.

        One-hot groups decode to their argmax, so generated rows need no prior :meth:`snap`.

        Args:
            x: ``(n, feature_width_)`` or ``(n, output_width_)`` rows.
            labels: 0/1 target values for rows without the target column (conditional models).

        Returns:
            DataFrame with ``columns_`` in order and the fitted dtypes.
        """
        self._check_fitted()
        x = self._check_width(x)
        data = {}
        for span in self.spans_:
            col = span.column
            if span.kind == "continuous":
                lo, hi = self.min_[col], self.max_[col]
                values = (np.clip(x[:, span.start].astype(np.float64), -1, 1) + 1.0) / 2.0 * (hi - lo) + lo
                digits = self.decimals_.get(col)
                data[col] = values if digits is None else np.round(values, digits)
            elif span.kind == "categorical":
                cats = np.asarray(self.categories_[col], dtype=object)
                data[col] = cats[x[:, span.start:span.stop].argmax(axis=1)]
            else:
                if x.shape[1] > span.start:
                    positive = x[:, span.start] > 0.5
                elif labels is not None:
                    positive = np.asarray(labels).reshape(-1).astype(np.int64) == 1
                    if len(positive) != len(x):
                        raise LabelError(f"{len(positive)} labels for {len(x)} rows; give one per row")
                else:
                    continue  # features only: no target column in the output
                negative_v, positive_v = self.target_classes_
                data[col] = np.where(positive, positive_v, negative_v).astype(object)
        frame = pd.DataFrame(data)[[c for c in self.columns_ if c in data]]
        for col in frame.columns:
            if pd.api.types.is_bool_dtype(self.dtypes_[col]):
                frame[col] = frame[col] == "True"  # categories are stored as strings
                continue
            try:
                frame[col] = frame[col].astype(self.dtypes_[col])
            except (TypeError, ValueError):
                pass  # keep the decoded dtype when the original one cannot hold it
        return frame

    # ------------------------------------------------------------------------------ info
    def spans_for(self, kind: str) -> list[ColumnSpan]:
        """The spans of one kind (``continuous``, ``categorical``, ``target``)."""
        self._check_fitted()
        return [s for s in self.spans_ if s.kind == kind]

    def continuous_indices(self) -> np.ndarray:
        """Encoded indices of the continuous columns."""
        return np.array([s.start for s in self.spans_for("continuous")], dtype=np.int64)

    def get_params(self, deep: bool = True) -> dict:
        return {"categorical": self.categorical, "continuous": self.continuous, "target": self.target,
                "positive_label": self.positive_label}

    def set_params(self, **params) -> "TabularTransformer":
        for key, value in params.items():
            if key not in self.get_params():
                raise ConfigError(f"unknown parameter {key!r}; expected one of {sorted(self.get_params())}")
            setattr(self, key, value)
        return self
