"""One streaming pass over a table: exact per-column statistics and a bounded reservoir sample.

:func:`scan_table` reads a :class:`~tabular.data.files.TableSource` chunk by chunk, once, and
keeps only what does not grow with the number of rows:

- a uniform random sample of at most ``reservoir_rows`` rows (bottom-k sampling: every row gets a
  random key and the rows with the smallest keys are kept, so the sample is the same whatever the
  chunk size);
- exact statistics of every column (:class:`ColumnStats`): the kind (``integer`` /
  ``continuous`` / ``categorical`` / ``boolean``, inferred as :func:`tabular.encoding.columns.infer_kind`
  infers it on a whole frame), missing count, numeric range and precision, category counts;
- for every column, the first row where it is observed (so that a column rarely observed still
  has a value in the sample an encoder is fitted on).

Memory is bounded by the sample, one chunk, and the distinct categories of the discrete columns
(an inferred categorical column with more than ``MAX_CATEGORIES`` categories is refused as it
would be by a whole-frame fit).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd

from genlab.errors import InputShapeError, InvalidValueError
from tabular.data.files import TableSource
from tabular.encoding.columns import (LEVELS, MAX_CATEGORIES, NUMERIC_KINDS, check_column_types, decimals,
                                      float32_origin, is_integer_valued, json_value, numeric_values, to_bool)

#: Decimals a numeric column's grid is tracked for (as many as :func:`decimals` can return).
_GRID_DIGITS = range(7)


@dataclasses.dataclass
class ColumnStats:
    """Exact statistics of one column over every row of a table.

    Attributes:
        column: Its name.
        declared: The kind given in ``column_types`` (``None``: inferred).
        kinds: Kinds inferred on the chunks where the column is observed.
        dtypes: pandas dtypes of the chunks.
        rows, missing: Rows seen, rows missing.
        low, high, whole, decimals: Range, whether every value is whole, and the fewest decimals
            that hold every value (``None``: full precision) — numeric columns.
        f32, dec_f32: Whether every value went through float32, and the decimals that hold them so.
        distinct: The distinct values while there are at most ``LEVELS + 1`` of them.
        anchors, gcds, overflow: Per number of decimals ``d``: a first value in units of
            ``10 ** -d``, the gcd of every value's distance to it (the grid step), and the ``d`` too
            fine for exact integer units — so the precision of :func:`~tabular.encoding.columns.precision`
            is exact over every chunk.
        counts: ``{str(category): count}``; ``values``: ``{str(category): category}`` — discrete columns.
    """

    column: str
    declared: str | None = None
    kinds: set = dataclasses.field(default_factory=set)
    dtypes: list = dataclasses.field(default_factory=list)
    rows: int = 0
    missing: int = 0
    low: float = np.inf
    high: float = -np.inf
    whole: bool = True
    decimals: int | None = 0
    f32: bool = True
    dec_f32: int | None = 0
    distinct: set = dataclasses.field(default_factory=set)
    anchors: dict = dataclasses.field(default_factory=dict)
    gcds: dict = dataclasses.field(default_factory=dict)
    overflow: set = dataclasses.field(default_factory=set)
    counts: dict = dataclasses.field(default_factory=dict)
    values: dict = dataclasses.field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The column's kind over the whole table (as a whole-frame fit would infer it)."""
        if self.declared:
            return self.declared
        if not self.kinds:
            raise InvalidValueError(f"column {self.column!r} has no observed value (every row is missing); drop the "
                                    "column before fitting")
        if self.kinds <= {"integer", "continuous"}:
            return "integer" if self.whole else "continuous"
        if self.kinds == {"boolean"}:
            return "boolean"
        return "categorical"

    @property
    def dtype(self) -> str:
        """The dtype the whole column would have in one frame (one dtype, or float64 / object when chunks differ)."""
        if len(set(self.dtypes)) == 1:
            return self.dtypes[0]
        numeric = all(d.startswith(("int", "uint", "float", "Int", "UInt", "Float")) for d in self.dtypes)
        return "float64" if numeric else "object"

    def update(self, series: pd.Series) -> None:
        """Add one chunk of the column."""
        na = series.isna().to_numpy()
        self.rows += len(series)
        self.missing += int(na.sum())
        if str(series.dtype) not in self.dtypes:
            self.dtypes.append(str(series.dtype))
        observed = series[~na]
        if len(observed) == 0:
            return
        kind = self.declared or _chunk_kind(series, observed)
        self.kinds.add(kind)
        if kind in NUMERIC_KINDS:
            values = numeric_values(observed, self.column, kind)
            if self.declared is None and len(self.kinds - {"integer", "continuous"}):
                self._mixed()
            self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
            whole = is_integer_valued(values)
            if self.declared == "integer" and not whole:
                example = values[values != np.round(values)][:3].tolist()
                raise InvalidValueError(f"column {self.column!r} is declared integer but holds fractional values "
                                        f"{example}; declare it 'continuous' or round it first")
            self.whole &= whole
            d = 0 if whole else decimals(values)
            self.decimals = None if d is None or self.decimals is None else max(self.decimals, d)
            self._precision(values)
            return
        if self.declared is None and self.kinds & {"integer", "continuous"}:
            self._mixed()
        if kind == "boolean":
            flags = observed.map(to_bool)
            if flags.isna().any():
                bad = observed[flags.isna()].astype(str).unique()[:3].tolist()
                raise InvalidValueError(f"column {self.column!r} is declared boolean but holds {bad}; map them to "
                                        "True/False or declare the column 'categorical'")
            observed = flags.astype(bool)
        for value, count in observed.value_counts(sort=False).items():
            key = str(value)
            if key not in self.values:
                self.values[key] = json_value(value)
            self.counts[key] = self.counts.get(key, 0) + int(count)
        if self.declared is None and len(self.counts) > MAX_CATEGORIES and "boolean" not in self.kinds:
            raise InvalidValueError(
                f"column {self.column!r} was inferred categorical with more than {MAX_CATEGORIES} distinct values: it "
                f"looks like an identifier or free text. Drop it, or declare it with column_types={{{self.column!r}: "
                "'categorical'}} (or a numeric kind) to keep it")

    def _precision(self, values: np.ndarray) -> None:
        self.f32 = self.f32 and float32_origin(values)
        if self.f32:
            d32 = decimals(values, through_float32=True)
            self.dec_f32 = None if d32 is None or self.dec_f32 is None else max(self.dec_f32, d32)
        if len(self.distinct) <= LEVELS:
            self.distinct.update(np.unique(values).tolist())
        for d in _GRID_DIGITS:
            if d in self.overflow:
                continue
            units = np.round(values * 10.0 ** d)
            if np.abs(units).max() > 2.0 ** 52:
                self.overflow.add(d)
                continue
            units = units.astype(np.int64)
            anchor = self.anchors.setdefault(d, int(units[0]))
            self.gcds[d] = int(np.gcd.reduce(np.append(np.abs(units - anchor), self.gcds.get(d, 0))))

    def _precision_info(self, kind: str) -> dict:
        """``decimals``, ``step``, ``float32`` and ``levels`` as a whole-frame fit finds them."""
        digits, single = (0 if kind == "integer" else self.decimals), False
        if digits is None and self.f32:
            digits, single = self.dec_f32, True
        step = None
        on_grid = digits is not None and digits not in self.overflow and len(self.distinct) >= 3
        if on_grid and self.gcds.get(digits, 0) > 1:
            step = self.gcds[digits] / 10.0 ** digits
        return {"decimals": digits, "step": step, "float32": single and digits is not None,
                "levels": sorted(self.distinct) if len(self.distinct) <= LEVELS else None}

    def _mixed(self):
        raise InvalidValueError(f"column {self.column!r} holds numbers in some chunks of the table and text in others; "
                                f"clean it, or declare its kind with column_types={{{self.column!r}: 'categorical'}}")

    def info(self) -> dict:
        """The column's exact statistics in the encoders' per-column format (see
        :func:`tabular.encoding.columns.fit_column`)."""
        kind = self.kind
        info = {"kind": kind, "dtype": self.dtype, "has_missing": self.missing > 0,
                "missing_rate": self.missing / max(self.rows, 1)}
        if kind in NUMERIC_KINDS:
            return {**info, "min": self.low, "max": self.high, **self._precision_info(kind)}
        if kind == "boolean":  # only the values seen: sampling never makes a value the table lacks
            keys = [k for k in (str(False), str(True)) if self.counts.get(k, 0)]
            categories = [k == str(True) for k in keys]
        else:
            keys = sorted(self.counts)
            categories = [self.values[k] for k in keys]
        freq = np.asarray([self.counts.get(k, 0) for k in keys] + ([self.missing] if self.missing else []), float)
        return {**info, "categories": categories, "frequencies": (freq / freq.sum()).tolist()}


def _chunk_kind(series: pd.Series, observed: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "integer" if is_integer_valued(observed.to_numpy(dtype=np.float64)) else "continuous"
    if observed.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return "boolean"
    return "categorical"


@dataclasses.dataclass
class TableScan:
    """What one pass over a table learned (see :func:`scan_table`).

    Attributes:
        rows: Rows of the table.
        columns: Its columns.
        stats: ``{column: ColumnStats}``.
        sample: Uniform random sample of at most ``reservoir_rows`` rows (index reset).
        witnesses: For every column, the first row where it is observed (one row each).
    """

    rows: int
    columns: list
    stats: dict
    sample: pd.DataFrame
    witnesses: pd.DataFrame

    def kinds(self) -> dict:
        """``{column: kind}`` over the whole table."""
        return {c: self.stats[c].kind for c in self.columns}

    def infos(self) -> dict:
        """``{column: info}``: the exact statistics in the encoders' per-column format."""
        return {c: self.stats[c].info() for c in self.columns}

    def fit_sample(self) -> pd.DataFrame:
        """The sample an encoder is fitted on: the reservoir, plus a witness row for every column
        the reservoir holds no observed value of."""
        absent = [c for c in self.columns if self.sample[c].isna().all()]
        if not absent:
            return self.sample
        extra = self.witnesses.loc[self.witnesses.index.isin(absent)]
        return pd.concat([self.sample, extra.drop_duplicates()], ignore_index=True)


def scan_table(source: TableSource, reservoir_rows: int = 50_000, seed: int = 0,
               column_types: Mapping[str, str] | None = None) -> TableScan:
    """Read ``source`` once: exact column statistics and a uniform sample of at most ``reservoir_rows`` rows.

    Args:
        source: The table.
        reservoir_rows: Largest sample kept.
        seed: Seed of the sample.
        column_types: Declared kinds ``{column: kind}`` (checked against the table's columns).

    Raises:
        InputShapeError: The table has no rows, or a file cannot be read part-way.
        InvalidValueError: A column without any observed value, text in a numeric column, too many
            categories in an inferred categorical column (see :class:`ColumnStats`).
        ConfigError: A ``column_types`` kind that is not a column kind.
    """
    types = check_column_types(column_types or {}, source.columns)
    stats = {c: ColumnStats(c, declared=types.get(c)) for c in source.columns}
    rng = np.random.default_rng(seed)
    keys, sample, witnesses, rows = np.empty(0), None, {}, 0
    for chunk in source.chunks():
        if len(chunk) == 0:
            continue
        for col in source.columns:
            series = chunk[col]
            stats[col].update(series)
            if col not in witnesses and series.notna().any():
                witnesses[col] = chunk.loc[[series.first_valid_index()]]
        chunk_keys = rng.random(len(chunk))
        threshold = keys.max() if len(keys) >= reservoir_rows else np.inf
        keep = np.flatnonzero(chunk_keys < threshold)
        if len(keep):
            part = chunk.iloc[keep]
            sample = part if sample is None else pd.concat([sample, part], ignore_index=True)
            keys = np.concatenate([keys, chunk_keys[keep]])
            if len(keys) > reservoir_rows:
                best = np.argpartition(keys, reservoir_rows - 1)[:reservoir_rows]
                best.sort()
                sample, keys = sample.iloc[best].reset_index(drop=True), keys[best]
        rows += len(chunk)
    if rows == 0 or sample is None:
        raise InputShapeError(f"{source.describe()}: the table has no rows")
    for col in source.columns:
        stats[col].kind  # noqa: B018 - raises for a column that is never observed
    frame = pd.concat(list(witnesses.values())) if witnesses else sample.iloc[:0]
    frame.index = list(witnesses)
    return TableScan(rows, list(source.columns), stats, sample.reset_index(drop=True), frame)


__all__ = ["ColumnStats", "TableScan", "scan_table"]
