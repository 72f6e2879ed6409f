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


#: Integer columns are decoded as int64: whole numbers beyond this magnitude are continuous.
INT64_LIMIT = 2.0 ** 63


def is_integer_valued(values: np.ndarray) -> bool:
    """Whole numbers that int64 holds (``1e300`` is whole but no int64: it is continuous)."""
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values))
                and (len(values) == 0 or np.abs(values).max() < INT64_LIMIT))


def infer_kind(series: pd.Series) -> str:
    """The column kind inferred from dtype and values (see the module docstring)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    observed = series.dropna()
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "integer" if is_integer_valued(observed.to_numpy(dtype=np.float64)) else "continuous"
    if len(observed) and all(isinstance(v, (bool, np.bool_)) for v in observed):  # (map keeps a category dtype)
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
            f"column {col!r} is {kind} but holds non-numeric values {examples} in {int(bad.sum())} rows (index "
            f"{series.index[bad.to_numpy()][:5].tolist()}); clean them, or declare the column categorical with "
            f"column_types={{{col!r}: 'categorical'}}")
    values = np.array(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)
    inf = np.isinf(values)
    if inf.any():
        raise InvalidValueError(f"column {col!r} holds {int(inf.sum())} infinite values (index "
                                f"{series.index[inf][:5].tolist()}); replace them with finite numbers or NaN")
    return values


def float32_origin(values: np.ndarray) -> bool:
    """Whether every value is exactly a float32 (e.g. ``3.0999999046325684`` read from a float32 3.1)."""
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32: not a float32 value, no warning
        return bool(len(values)) and bool(np.all(values == values.astype(np.float32).astype(np.float64)))


def decimals(values: np.ndarray, through_float32: bool = False) -> int | None:
    """Fewest decimals (0..6) that hold every value; ``None``: keep full precision.

    With ``through_float32``, values hold ``d`` decimals when rounding them to ``d`` decimals gives
    the same float32 (``3.0999999046325684`` is 3.1, one decimal).
    """
    if len(values) == 0:
        return 0
    as32 = values.astype(np.float32) if through_float32 else None
    for d in range(7):
        rounded = np.round(values, d)
        if through_float32 and np.array_equal(rounded.astype(np.float32), as32):
            return d
        # relative to each value's own magnitude: 3e-12 is not 0.0 to 6 decimals
        if not through_float32 and np.all(np.abs(values - rounded) <= 1e-9 * np.abs(values)):
            return d
    return None


def grid(values: np.ndarray, digits: int | None) -> float | None:
    """The step of the grid every value lies on, when coarser than ``10 ** -digits``; else ``None``.

    Amounts rounded to hundreds have step 100, quarter hours 0.25: decoding rounds to the grid
    (anchored at the minimum), so no value between two grid points is generated.
    """
    if digits is None or len(values) < 3:
        return None
    units = np.round(values * 10.0 ** digits)
    if np.abs(units).max() > 2.0 ** 52:
        return None
    uniques = np.unique(units).astype(np.int64)
    if len(uniques) < 3:
        return None
    step = int(np.gcd.reduce(uniques - uniques[0]))
    return step / 10.0 ** digits if step > 1 else None


#: A numeric column with at most this many distinct values decodes to the nearest of them.
LEVELS = 32


def precision(values: np.ndarray, kind: str) -> dict:
    """What decoding rounds a numeric column to: ``decimals``, ``step`` (a grid, or ``None``),
    ``float32`` (the values went through float32 — ``3.0999999046325684`` for 3.1 — so decoded
    values do too and are bit-identical to fitted ones) and ``levels`` (the distinct values of a
    column that has at most :data:`LEVELS` of them, else ``None``)."""
    digits, single = 0 if kind == "integer" else decimals(values), False
    if digits is None and float32_origin(values):
        digits, single = decimals(values, through_float32=True), True
    uniques = np.unique(values)
    return {"decimals": digits, "step": grid(values, digits), "float32": single and digits is not None,
            "levels": uniques.tolist() if len(uniques) <= LEVELS else None}


def _integer_bounds(series: pd.Series, low: float, high: float, levels) -> dict:
    """Float bounds that decode to int64 values inside the exact integer range of ``series``.

    Beyond 2**53 a float64 min / max may round outside the column's integers (``float(2**62 + 999)``
    is above ``2**62 + 999``); decoded values are clipped to these bounds, so they stay inside.
    """
    if max(abs(low), abs(high)) < 2.0 ** 53 or not pd.api.types.is_integer_dtype(series.dtype):
        return {}
    exact = series.dropna().astype("int64")
    lo, hi = int(exact.min()), int(exact.max())
    while int(low) < lo:
        low = float(np.nextafter(low, np.inf))
    while int(high) > hi:
        high = float(np.nextafter(high, -np.inf))
    if low > high:
        raise InvalidValueError(f"column {series.name!r} holds integers in [{lo}, {hi}], closer together than float64 "
                                f"resolves at that magnitude; declare it categorical or subtract an offset ({lo})")
    out = {"min": low, "max": high}
    if levels:
        out["levels"] = sorted({min(max(v, low), high) for v in levels})
    return out


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
    ``max`` and :func:`precision` (``decimals``, ``step``, ``float32``, ``levels``); discrete kinds add
    ``categories`` and ``frequencies`` (shares of the categories, then of the missing value when
    there is one).

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
            example = observed[(observed != np.round(observed)) | (np.abs(observed) >= INT64_LIMIT)][:3].tolist()
            raise InvalidValueError(f"column {col!r} is declared integer but holds fractional values or values "
                                    f"beyond int64 {example}; declare it 'continuous' or round it first")
        low, high = float(observed.min()), float(observed.max())
        if not np.isfinite(high - low):
            raise InvalidValueError(f"column {col!r} spans [{low:g}, {high:g}], a range wider than float64 holds; "
                                    "rescale the column (e.g. divide it by 1e10) or drop the extreme values")
        out = {**info, "min": low, "max": high, **precision(observed, kind)}
        if kind == "integer":
            out.update(_integer_bounds(series, low, high, out["levels"]))
        return out
    observed = series[~na]
    if kind == "boolean":
        values = observed.map(to_bool)
        if values.isna().any():
            bad = observed[values.isna()].astype(str).unique()[:3].tolist()
            raise InvalidValueError(f"column {col!r} is declared boolean but holds {bad}; map them to True/False "
                                    "or declare the column 'categorical'")
        categories = [b for b in (False, True) if (values == b).any()]  # only what was seen: never a new value
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
