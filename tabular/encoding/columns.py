"""Frame checks, column kinds and value conversions shared by every encoder and the evaluation.

A column is one of four kinds:

``continuous``
    Numbers with a fractional part; decoded values keep the fitted number of decimals.
``integer``
    Numbers that are all whole; decoded as integers (nullable ``Int64`` when values are missing).
``categorical``
    Anything else: strings, pandas categories, mixed objects. Categories are kept as JSON values
    and sorted by their string form.
``boolean``
    ``bool`` dtype, or objects that are all ``True`` / ``False`` (with missing values allowed).

:func:`fit_column` learns what every encoder needs of a column — kind, dtype, range, precision,
categories and their frequencies, whether values are missing — as a JSON-serialisable dict.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InputShapeError, InvalidValueError

#: The column kinds.
KINDS = ("continuous", "integer", "categorical", "boolean")
NUMERIC_KINDS = ("continuous", "integer")
DISCRETE_KINDS = ("categorical", "boolean")
#: Largest number of categories accepted for an inferred categorical column.
MAX_CATEGORIES = 1000


def check_frame(frame, what: str = "frame") -> pd.DataFrame:
    """Refuse non-frames, empty frames, non-string and duplicated column names.

    Returns:
        ``frame`` itself.

    Raises:
        InvalidValueError: Not a DataFrame.
        InputShapeError: No rows or no columns, a column name that is not a string, or duplicated names.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"{what} must be a pandas DataFrame, received {type(frame).__name__}; wrap arrays "
                                "with pd.DataFrame(data, columns=[...])")
    if len(frame) == 0 or frame.shape[1] == 0:
        raise InputShapeError(f"{what} is empty (shape {frame.shape}); give at least one row and one column")
    odd = [c for c in frame.columns if not isinstance(c, str)]
    if odd:
        raise InputShapeError(f"{what} has column names that are not strings: {odd[:5]}; name every column with a "
                              "string, e.g. frame.columns = frame.columns.astype(str)")
    dup = frame.columns[frame.columns.duplicated()].tolist()
    if dup:
        raise InputShapeError(f"{what} has duplicated column names {dup}; rename them so each is unique")
    return frame


def check_column_types(column_types: Mapping[str, str], columns) -> dict:
    """Validate ``{column: kind}`` overrides against the frame's columns."""
    column_types = dict(column_types or {})
    for col, kind in column_types.items():
        if col not in columns:
            raise InputShapeError(f"column_types names column {col!r}, which the frame lacks (columns "
                                  f"{list(columns)}); fix the name or drop the override")
        if kind not in KINDS:
            raise ConfigError(f"column_types[{col!r}] = {kind!r} is not a column kind; expected one of {list(KINDS)}")
    return column_types


def is_integer_valued(values: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def infer_kind(series: pd.Series) -> str:
    """The column kind inferred from dtype and values (see the module docstring)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    observed = series.dropna()
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "integer" if is_integer_valued(observed.to_numpy(dtype=np.float64)) else "continuous"
    if len(observed) and observed.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return "boolean"  # an object column of True/False with missing values
    return "categorical"


def to_bool(v):
    """``True`` / ``False`` for bool-like values (bools, 0/1, "true"/"false"), ``None`` otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def numeric_values(series: pd.Series, col: str, kind: str) -> np.ndarray:
    """The column as float64 with NaN for missing; errors name the column and the bad values."""
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(float)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        examples = series[bad].astype(str).unique()[:3].tolist()
        raise InvalidValueError(
            f"column {col!r} is {kind} but holds non-numeric values {examples} in {int(bad.sum())} rows; clean "
            f"them, or declare the column categorical with column_types={{{col!r}: 'categorical'}}")
    values = np.array(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)
    inf = np.isinf(values)
    if inf.any():
        raise InvalidValueError(f"column {col!r} holds {int(inf.sum())} infinite values (first rows "
                                f"{np.nonzero(inf)[0][:5].tolist()}); replace them with finite numbers or NaN")
    return values


def decimals(values: np.ndarray) -> int | None:
    """Fewest decimals (0..6) that hold every value; ``None``: keep full precision."""
    if len(values) == 0:
        return 0
    scale = max(1.0, float(np.abs(values).max()))
    for d in range(7):
        if np.allclose(values, np.round(values, d), rtol=0, atol=1e-9 * scale):
            return d
    return None


def json_value(v):
    """A category as a JSON-representable Python value."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v if isinstance(v, (str, int, float)) else str(v)


def category_codes(series: pd.Series, categories: list, kind: str, col: str) -> np.ndarray:
    """Index of each value in ``categories``; ``len(categories)`` for missing values.

    Raises:
        InvalidValueError: A value that is not one of ``categories``.
    """
    labels = {str(c): i for i, c in enumerate(categories)}
    na = series.isna().to_numpy()
    convert = (lambda v: str(to_bool(v))) if kind == "boolean" else str
    keys = [None if m else convert(v) for v, m in zip(series, na)]
    codes = np.array([len(categories) if k is None else labels.get(k, -1) for k in keys], np.int64)
    if (codes < 0).any():
        unseen = sorted({k for k, c in zip(keys, codes) if c < 0})[:5]
        raise InvalidValueError(f"column {col!r} holds categories {unseen} not seen by fit (known: "
                                f"{[str(c) for c in categories[:8]]}); refit on data that holds them")
    return codes


def fit_column(series: pd.Series, col: str, kind: str | None, declared: bool) -> dict:
    """What every encoder needs to know of one column, as a JSON-serialisable dict.

    Keys: ``kind``, ``dtype``, ``has_missing``, ``missing_rate``; numeric kinds add ``min``,
    ``max``, ``decimals``; discrete kinds add ``categories`` and ``frequencies`` (shares of the
    categories, then of the missing value when there is one).

    Args:
        series: The column.
        col: Its name (for messages).
        kind: The declared kind, or ``None`` to infer it.
        declared: Whether the kind was declared by the user (an inferred categorical column with
            more than :data:`MAX_CATEGORIES` categories is refused as a likely identifier).

    Raises:
        InvalidValueError: No observed value, non-numeric values in a numeric column, fractional
            values in an integer column, non-boolean values in a boolean column, or too many
            categories in an inferred categorical column.
    """
    kind = kind or infer_kind(series)
    na = series.isna().to_numpy()
    if na.all():
        raise InvalidValueError(f"column {col!r} has no observed value (every row is missing); drop the column "
                                "before fitting")
    info = {"kind": kind, "dtype": str(series.dtype), "has_missing": bool(na.any()),
            "missing_rate": float(na.mean())}
    if kind in NUMERIC_KINDS:
        values = numeric_values(series, col, kind)
        observed = values[~np.isnan(values)]
        if kind == "integer" and not is_integer_valued(observed):
            example = observed[observed != np.round(observed)][:3].tolist()
            raise InvalidValueError(f"column {col!r} is declared integer but holds fractional values {example}; "
                                    f"declare it 'continuous' or round it first")
        return {**info, "min": float(observed.min()), "max": float(observed.max()),
                "decimals": 0 if kind == "integer" else decimals(observed)}
    observed = series[~na]
    if kind == "boolean":
        values = observed.map(to_bool)
        if values.isna().any():
            bad = observed[values.isna()].astype(str).unique()[:3].tolist()
            raise InvalidValueError(f"column {col!r} is declared boolean but holds {bad}; map them to True/False "
                                    "or declare the column 'categorical'")
        categories = [False, True]
    else:
        uniques = pd.unique(observed)
        if len(uniques) > MAX_CATEGORIES and not declared:
            raise InvalidValueError(
                f"column {col!r} was inferred categorical with {len(uniques)} distinct values (more than "
                f"{MAX_CATEGORIES}): it looks like an identifier or free text. Drop it, or declare it with "
                f"column_types={{{col!r}: 'categorical'}} (or a numeric kind) to keep it")
        by_str: dict = {}
        for v in uniques:
            by_str.setdefault(str(v), json_value(v))
        categories = [by_str[k] for k in sorted(by_str)]
    codes = category_codes(series, categories, kind, col)
    freq = np.bincount(codes, minlength=len(categories) + 1).astype(float)
    freq = freq if info["has_missing"] else freq[:-1]
    return {**info, "categories": categories, "frequencies": (freq / freq.sum()).tolist()}


def category_labels(info: dict) -> list[str]:
    """String labels of a discrete column's categories; ``""`` stands for the missing category."""
    return [str(c) for c in info["categories"]] + ([""] if info["has_missing"] else [])
