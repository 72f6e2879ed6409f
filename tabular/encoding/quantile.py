"""Quantile encoding of any DataFrame for diffusion models (reversible, JSON state, in-graph decoder).

:class:`QuantileEncoder` infers a kind per column — ``continuous``, ``integer``, ``categorical`` or
``boolean`` — unless ``column_types`` overrides it, and encodes a row as float32 blocks
(:class:`Span`), in the frame's column order:

``continuous`` / ``integer`` (more than ``max_levels`` distinct values)
    ``[value (linear, 1) | missing? (softmax, 2)]``. The value is the column mapped through its
    empirical CDF ``F`` to a standard normal: ``z = Phi^-1(u)``, ``u`` in ``F``'s jump at the value
    (the quantile normalisation of TabDDPM, Kotelnikov et al. 2023). The CDF is stored as a
    monotone piecewise-linear map between levels ``p`` and values ``q`` (the *knots*):

    - a column with at most ``max_support`` distinct values keeps them all: value ``v_k`` owns the
      level interval ``[F(v_k-), F(v_k)]`` (a flat segment of the map), so decoding is the exact
      step inverse and only fitted values come out (ages stay ages, ``capital-gain`` keeps its
      119 values and its 92 % spike at 0);
    - a column with more distinct values keeps ``n_quantiles`` interpolation knots plus a flat
      segment for every value holding at least ``1 / n_quantiles`` of the rows (exact spikes);
      decoding interpolates linearly between knots, then rounds to the learned precision.

    Ties (a value owning an interval of levels) are broken by drawing ``u`` uniformly inside the
    interval (seeded), so the encoded column is a continuous standard normal whatever its spikes
    — what a Gaussian diffusion models best — and any ``u`` inside decodes back to the value.
    Decoding clips to the fitted range (the map's ends), rounds to the fitted precision (fewest
    decimals, 0..6, that hold every fitted value) and returns integers for integer columns, in
    the fitted dtype. The ``missing`` block (``[observed, missing]``) exists only when the column
    had missing values; missing rows get a standard normal draw in the value slot (no spike).
``integer`` with at most ``max_levels`` distinct values (default 20)
    One one-hot block (role ``category``) over the sorted values (plus a last "missing" level
    when the column had missing values), decoded back to the exact integers. Measured on Adult:
    as a quantile-normal number, ``education-num`` disagreed with ``education`` (a one-to-one
    pair) in 23 % of a diffusion model's rows; a one-hot block lets the categorical model learn
    the pairing.
``categorical`` / ``boolean``
    One one-hot block (role ``category``, softmax) over the categories sorted by their string
    form; a missing value is one more, last, category and decodes back to a missing value.

:meth:`QuantileEncoder.graph_decoder` returns the decoding as TensorFlow ops (a :class:`GraphDecoder`
module: encoded rows -> one tensor per column) for a SavedModel signature; it matches
:meth:`~QuantileEncoder.inverse_transform` (bit for bit on rounded columns).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np
import pandas as pd
import tensorflow as tf
from scipy import special

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, NotFittedError
# Column checks and kind inference shared with the mode-specific transformer (one behaviour for both).
from tabular.synth.transformer import _decimals, _json_value, _to_bool, infer_kind
from tabular.synth.transformer import _is_integer_valued as _whole
from tabular.synth.transformer import check_frame as _check_frame
from tabular.synth.transformer import numeric_values

#: The column kinds the encoder knows.
KINDS = ("continuous", "integer", "categorical", "boolean")
#: Most categories accepted for an *inferred* categorical column (more looks like an identifier).
MAX_CATEGORIES = 1000
#: Encoded values are clipped to ``[-Z_CLIP, Z_CLIP]`` (levels ``Phi(-5.2) ~ 1e-7`` from 0 and 1).
Z_CLIP = 5.2
_STATE_VERSION = 2
_MINUS_INV_SQRT2 = -1.0 / np.sqrt(2.0)


@dataclasses.dataclass(frozen=True)
class Span:
    """One block of the encoded row.

    Attributes:
        column: Source column.
        role: ``"value"`` (a scalar), ``"missing"`` (2-way observed / missing) or ``"category"``
            (one block per categorical / boolean column).
        start: First encoded index.
        dim: Width.
        activation: What a network head should apply: ``"linear"`` (value) or ``"softmax"``.
    """

    column: str
    role: str
    start: int
    dim: int
    activation: str

    @property
    def stop(self) -> int:
        return self.start + self.dim


# ---------------------------------------------------------------------------------------- helpers
def _numbers(series: pd.Series, col: str, kind: str) -> np.ndarray:
    """The column as float64 (NaN = missing); an entirely missing column is all NaN here (``fit``
    rejects it separately), other bad values raise, naming the column."""
    if series.isna().all():
        return np.full(len(series), np.nan)
    return numeric_values(series, col, kind)


def _knots(observed: np.ndarray, max_support: int, n_quantiles: int) -> tuple[list, list]:
    """Levels ``p`` (non-decreasing, 0..1) and values ``q`` (non-decreasing) of the CDF map."""
    uniques, counts = np.unique(observed, return_counts=True)
    cdf = np.cumsum(counts) / counts.sum()
    lo = np.r_[0.0, cdf[:-1]]
    if len(uniques) <= max_support:  # every value a flat segment [F(v-), F(v)]: exact step inverse
        return np.c_[lo, cdf].ravel().tolist(), np.repeat(uniques, 2).tolist()
    mass = counts / counts.sum()
    spike = mass >= 1.0 / n_quantiles
    mid = (lo + cdf) / 2.0
    keep = np.zeros(len(uniques), bool)
    if (~spike).any():  # about n_quantiles of the other values, evenly spread in level
        grid = np.interp(np.linspace(0.0, 1.0, n_quantiles), mid[~spike], np.arange((~spike).sum()))
        keep[np.flatnonzero(~spike)[np.unique(np.round(grid).astype(int))]] = True
    p, q = [0.0], [float(uniques[0])]
    for k in range(len(uniques)):
        if spike[k]:
            p += [lo[k], cdf[k]]
            q += [uniques[k], uniques[k]]
        elif keep[k]:
            p.append(mid[k])
            q.append(uniques[k])
    p.append(1.0)
    q.append(float(uniques[-1]))
    return np.asarray(p, float).tolist(), np.asarray(q, float).tolist()


def _levels(values: np.ndarray, p: np.ndarray, q: np.ndarray, rng) -> np.ndarray:
    """CDF levels of observed values: uniform inside a flat segment, else the linear inverse."""
    left = np.searchsorted(q, values, side="left")
    right = np.searchsorted(q, values, side="right")
    flat = right - left >= 2  # the value spans a segment of levels: break the tie at random
    u = np.empty(len(values))
    a, b = p[left[flat]], p[right[flat] - 1]
    u[flat] = a + (b - a) * rng.random(int(flat.sum()))
    rest = ~flat
    j = np.clip(right[rest], 1, len(q) - 1)
    q0, q1, p0, p1 = q[j - 1], q[j], p[j - 1], p[j]
    frac = np.where(q1 > q0, (values[rest] - q0) / np.where(q1 > q0, q1 - q0, 1.0), 0.0)
    u[rest] = p0 + np.clip(frac, 0.0, 1.0) * (p1 - p0)
    return u


def decode_levels(u: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Inverse CDF map: levels ``u`` -> values (linear between knots, flat segments exact)."""
    j = np.clip(np.searchsorted(p, u, side="right"), 1, len(p) - 1)
    p0, p1, q0, q1 = p[j - 1], p[j], q[j - 1], q[j]
    frac = np.clip((u - p0) / np.where(p1 > p0, p1 - p0, 1.0), 0.0, 1.0)
    return q0 + frac * (q1 - q0)


def _std_normal_cdf(z):
    return 0.5 * special.erfc(z * _MINUS_INV_SQRT2)  # the graph decoder's formula


# ---------------------------------------------------------------------------------------- encoder
class QuantileEncoder:
    """Encode a DataFrame for diffusion (quantile-normal numbers, one-hot categories) and decode it back.

    Args:
        column_types: Overrides ``{column: kind}`` (kind in ``KINDS``); other columns are inferred
            (see :func:`infer_kind`).
        max_levels: Integer columns with at most this many distinct values are one-hot encoded
            (exact levels); default 20, 0 turns it off.
        max_support: Numeric columns with at most this many distinct values decode exactly to
            their fitted values (step inverse); default 1000.
        n_quantiles: Interpolation knots of columns with more distinct values; default 1000.
        seed: Seed of the tie-breaking draws and of the value slot of missing numbers.

    Attributes (after ``fit``):
        columns_: Source columns in order.
        kinds_: ``{column: kind}``.
        spans_: ``list[Span]``.
        output_width_: Encoded width.

    Raises:
        ConfigError: Unknown kind, bad ``max_levels`` / ``max_support`` / ``n_quantiles``.
        InputShapeError: Empty frame, duplicated names, an override naming an absent column.
        InvalidValueError: An entirely missing column, infinite or non-numeric values in a numeric
            column, fractional values in a column declared integer, or an inferred categorical
            column with more than ``MAX_CATEGORIES`` categories (likely an identifier).

    Example:
        >>> enc = QuantileEncoder().fit(frame)
        >>> x = enc.transform(frame)          # float32 (n, enc.output_width_)
        >>> back = enc.inverse_transform(x)   # the frame's schema and dtypes
    """

    name = "quantile"

    def __init__(self, column_types: Mapping[str, str] | None = None, max_levels: int = 20,
                 max_support: int = 1000, n_quantiles: int = 1000, seed: int = 0):
        self.column_types = dict(column_types or {})
        self.max_levels = max_levels
        self.max_support = max_support
        self.n_quantiles = n_quantiles
        self.seed = seed

    # ------------------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame) -> "QuantileEncoder":
        """Learn kinds, CDF maps, categories, ranges and precision; return ``self``.

        Every check runs before any attribute is set: a failing ``fit`` leaves no state.
        """
        frame = _check_frame(frame)
        for name, low in (("max_levels", 0), ("max_support", 2), ("n_quantiles", 2)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{name} must be an int >= {low}, received {value!r}")
        for col, kind in self.column_types.items():
            if col not in frame.columns:
                raise InputShapeError(f"column_types names column {col!r}, which the frame lacks (columns "
                                      f"{list(frame.columns)}); fix the name or drop the override")
            if kind not in KINDS:
                raise ConfigError(f"column_types[{col!r}] = {kind!r} is not a column kind; expected one of "
                                  f"{list(KINDS)}")
        per_column = {}
        for col in frame.columns:
            kind = self.column_types.get(col) or infer_kind(frame[col], str(col))
            fit = self._fit_numeric if kind in ("continuous", "integer") else self._fit_discrete
            per_column[str(col)] = fit(frame[col], str(col), kind)
        self._set_state({"encoder": self.name, "version": _STATE_VERSION, "columns": [str(c) for c in frame.columns],
                         "per_column": per_column, "max_levels": int(self.max_levels),
                         "max_support": int(self.max_support),
                         "n_quantiles": int(self.n_quantiles), "seed": int(self.seed)})
        return self

    def _fit_numeric(self, series: pd.Series, col: str, kind: str) -> dict:
        values = _numbers(series, col, kind)
        observed = values[~np.isnan(values)]
        if len(observed) == 0:
            raise InvalidValueError(f"column {col!r} has no observed value (every row is missing); drop it")
        if kind == "integer" and not _whole(observed):
            bad = observed[observed != np.round(observed)][:3].tolist()
            raise InvalidValueError(f"column {col!r} is declared integer but holds fractional values {bad}; "
                                    "declare it 'continuous' or round it first")
        info = {"kind": kind, "dtype": str(series.dtype), "has_missing": bool(np.isnan(values).any())}
        levels = np.unique(observed)
        if kind == "integer" and len(levels) <= self.max_levels:  # few levels: one-hot, decoded exactly
            return {**info, "encoding": "onehot", "categories": levels.tolist()}
        p, q = _knots(observed, int(self.max_support), int(self.n_quantiles))
        return {**info, "encoding": "quantile", "p": p, "q": q,
                "min": float(observed.min()), "max": float(observed.max()),
                "decimals": 0 if kind == "integer" else _decimals(observed)}

    def _fit_discrete(self, series: pd.Series, col: str, kind: str) -> dict:
        observed = series.dropna()
        if len(observed) == 0:
            raise InvalidValueError(f"column {col!r} has no observed value (every row is missing); drop it")
        if kind == "boolean":
            flags = observed.map(_to_bool)
            if flags.isna().any():
                bad = observed[flags.isna()].astype(str).unique()[:3].tolist()
                raise InvalidValueError(f"column {col!r} is declared boolean but holds {bad}; map them to "
                                        "True/False or declare the column 'categorical'")
            categories = [False, True]
        else:
            by_str = {}
            for v in pd.unique(observed):
                by_str.setdefault(str(v), _json_value(v))
            if len(by_str) > MAX_CATEGORIES and col not in self.column_types:
                raise InvalidValueError(
                    f"column {col!r} was inferred categorical with {len(by_str)} distinct values (more than "
                    f"{MAX_CATEGORIES}): it looks like an identifier. Drop it, or keep it with "
                    f"column_types={{{col!r}: 'categorical'}}")
            categories = [by_str[k] for k in sorted(by_str)]
        return {"kind": kind, "dtype": str(series.dtype), "encoding": "onehot", "categories": categories,
                "has_missing": bool(series.isna().any())}

    def _set_state(self, state: dict) -> None:
        spans, start = [], 0
        for col in state["columns"]:
            info = state["per_column"][col]
            if info["encoding"] == "quantile":
                spans.append(Span(col, "value", start, 1, "linear"))
                start += 1
                if info["has_missing"]:
                    spans.append(Span(col, "missing", start, 2, "softmax"))
                    start += 2
            else:
                dim = len(info["categories"]) + int(info["has_missing"])
                spans.append(Span(col, "category", start, dim, "softmax"))
                start += dim
        self.state_ = state
        self.columns_ = list(state["columns"])
        self.kinds_ = {c: state["per_column"][c]["kind"] for c in self.columns_}
        self.spans_ = spans
        self.output_width_ = start

    # ------------------------------------------------------------------------------ state
    def get_state(self) -> dict:
        """The fitted state as plain JSON-serialisable data (``{"encoder": "quantile", ...}``)."""
        self._check_fitted()
        return self.state_

    @classmethod
    def from_state(cls, state: dict) -> "QuantileEncoder":
        """A fitted encoder rebuilt from :meth:`get_state` (e.g. read back from JSON).

        Raises:
            ConfigError: ``state`` is not a quantile encoder's state of a known version.
        """
        if not isinstance(state, dict) or state.get("encoder") != cls.name:
            raise ConfigError(f"state is not a {cls.__name__} state (expected {{'encoder': {cls.name!r}, ...}}, "
                              f"received encoder={state.get('encoder') if isinstance(state, dict) else state!r})")
        if state.get("version") != _STATE_VERSION:
            raise ConfigError(f"{cls.__name__} state version {state.get('version')!r} is not supported "
                              f"(this code reads version {_STATE_VERSION}); refit the encoder")
        out = cls(max_levels=state["max_levels"], max_support=state["max_support"], n_quantiles=state["n_quantiles"],
                  seed=state["seed"])
        out._set_state(state)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(frame) first")

    def info(self, column: str) -> dict:
        """The fitted state of one column."""
        self._check_fitted()
        if column not in self.state_["per_column"]:
            raise InputShapeError(f"column {column!r} was not fitted; known columns: {self.columns_}")
        return self.state_["per_column"][column]

    def category_index(self, column: str, value) -> tuple[Span, int]:
        """The ``category`` span of a categorical / boolean column and the index of ``value`` in it
        (``None`` / NaN: the missing category) — what a condition on ``column == value`` clamps.

        Raises:
            InputShapeError: ``column`` is unknown or numeric.
            InvalidValueError: ``value`` is not one of the fitted categories.
        """
        info = self.info(column)
        if info["encoding"] != "onehot":
            raise InputShapeError(f"column {column!r} is {info['kind']} with a quantile encoding; conditions take "
                                  "categorical, boolean or one-hot integer columns")
        span = next(s for s in self.spans_ if s.column == column and s.role == "category")
        codes = self._codes(pd.Series([value], dtype=object), column, info)
        return span, int(codes[0])

    # ------------------------------------------------------------------------------ transform
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode the fitted columns of ``frame`` (extra columns ignored) as float32 ``(n, output_width_)``.

        Raises:
            NotFittedError: Before ``fit``.
            InputShapeError: A fitted column is missing.
            InvalidValueError: Unseen categories, non-numeric numbers, or missing values in a column
                that had none when fitted.
        """
        self._check_fitted()
        frame = _check_frame(frame)
        absent = [c for c in self.columns_ if c not in frame.columns]
        if absent:
            raise InputShapeError(f"column(s) {absent} seen by fit are missing from the frame; give a frame with "
                                  f"columns {self.columns_}")
        n = len(frame)
        out = np.zeros((n, self.output_width_), np.float32)
        rows = np.arange(n)
        for i, col in enumerate(self.columns_):
            info = self.info(col)
            spans = {s.role: s for s in self.spans_ if s.column == col}
            rng = np.random.default_rng([int(self.seed), i])
            if info["encoding"] == "quantile":
                values = _numbers(frame[col], col, info["kind"])
                nan = np.isnan(values)
                self._check_missing(col, info, nan)
                z = rng.standard_normal(n)
                u = _levels(values[~nan], np.asarray(info["p"]), np.asarray(info["q"]), rng)
                z[~nan] = special.ndtri(u)
                out[:, spans["value"].start] = np.clip(z, -Z_CLIP, Z_CLIP)
                if info["has_missing"]:
                    out[rows, spans["missing"].start + nan.astype(int)] = 1.0
            else:
                codes = self._codes(frame[col], col, info)
                self._check_missing(col, info, codes == len(info["categories"]))
                out[rows, spans["category"].start + codes] = 1.0
        return out

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``fit(frame).transform(frame)``."""
        return self.fit(frame).transform(frame)

    @staticmethod
    def _check_missing(col, info, missing: np.ndarray) -> None:
        if missing.any() and not info["has_missing"]:
            raise InvalidValueError(f"column {col!r} has {int(missing.sum())} missing values but had none when "
                                    "fitted; refit on data with missing values, or fill them")

    @staticmethod
    def _codes(series: pd.Series, col: str, info: dict) -> np.ndarray:
        """Index of each value among the categories (or integer levels); ``len(categories)`` for missing values."""
        categories = info["categories"]
        missing = series.isna().to_numpy()
        if info["kind"] == "integer":  # match levels by value: 13, 13.0 and "13" are one level
            labels = {float(c): i for i, c in enumerate(categories)}
            keys = [None if m else float(v) for v, m in zip(_numbers(series, col, "integer"), missing)]
        else:
            labels = {str(c): i for i, c in enumerate(categories)}
            keys = [None if m else str(_to_bool(v) if info["kind"] == "boolean" else v)
                    for v, m in zip(series, missing)]
        codes = np.array([len(categories) if k is None else labels.get(k, -1) for k in keys], np.int64)
        if (codes < 0).any():
            unseen = sorted({k for k, c in zip(keys, codes) if c < 0})[:5]
            raise InvalidValueError(f"column {col!r} holds categories {unseen} not seen by fit (known: "
                                    f"{[str(c) for c in categories[:8]]}); refit on data that holds them")
        return codes

    # ------------------------------------------------------------------------------ decode
    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Decode encoded rows (e.g. a model's samples) to the fitted schema and dtypes.

        Values go through the inverse CDF map (clipped to the fitted range, rounded to the fitted
        precision); ``missing`` and ``category`` blocks decode by argmax.

        Raises:
            NotFittedError: Before ``fit``.
            InputShapeError: ``x`` is not ``(n, output_width_)``.
            InvalidValueError: ``x`` holds NaN or infinite values.
        """
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.output_width_:
            raise InputShapeError(f"encoded rows must have shape (n, {self.output_width_}), received {x.shape}")
        if not np.isfinite(x).all():
            raise InvalidValueError("encoded rows hold NaN or infinite values; check the model's output")
        data = {}
        for col in self.columns_:
            info = self.info(col)
            spans = {s.role: s for s in self.spans_ if s.column == col}
            if info["encoding"] == "quantile":
                u = _std_normal_cdf(x[:, spans["value"].start])
                value = decode_levels(u, np.asarray(info["p"]), np.asarray(info["q"]))
                value = np.clip(value, info["min"], info["max"])
                if info["decimals"] is not None:  # the graph decoder's formula, to the last bit
                    scale = 10.0 ** info["decimals"]
                    value = np.round(value * scale) / scale
                missing = (x[:, spans["missing"].start:spans["missing"].stop].argmax(1) == 1
                           if info["has_missing"] else np.zeros(len(x), bool))
                data[col] = _numeric_output(value, missing, info)
            else:
                span = spans["category"]
                index = x[:, span.start:span.stop].argmax(1)
                if info["kind"] == "integer":
                    levels = np.r_[np.asarray(info["categories"], np.float64), 0.0]  # last: missing
                    data[col] = _numeric_output(levels[index], index == len(info["categories"]), info)
                else:
                    data[col] = _category_output(index, info)
        return pd.DataFrame(data, index=pd.RangeIndex(len(x)))[self.columns_]

    def graph_decoder(self) -> "GraphDecoder":
        """The decoding as TensorFlow ops (a :class:`GraphDecoder`), for a SavedModel signature."""
        self._check_fitted()
        return GraphDecoder(self)


class GraphDecoder(tf.Module):
    """:meth:`QuantileEncoder.inverse_transform` as TensorFlow ops: float32 ``(n, width)`` -> ``{column: tensor}``.

    Numbers come out as float64 (integer columns without missing values as int64; missing values
    as NaN), categories as ``tf.string`` (their ``str`` form; the missing category as ``""``),
    booleans as ``tf.bool`` (missing as ``False``). Constants come from the fitted state; the
    rounding scales are variables because TensorFlow's graph optimiser turns a division by a
    constant into a multiplication by its inverse, which is off by one ulp (``1.39`` would decode
    as ``1.3900000000000001``). Attach the decoder to the exported module so they are saved.
    Matches :meth:`QuantileEncoder.inverse_transform` bit for bit on rounded columns (integers,
    fixed decimals) and to ~1e-15 relative on full-precision ones (erfc and fused multiply-adds
    differ by an ulp between NumPy and TensorFlow kernels); categories and missing flags exactly.

    Example:
        >>> module.decoder = encoder.graph_decoder()
        >>> module.sample = tf.function(lambda n, seed, steps: module.decoder(sampler(...)), ...)
    """

    def __init__(self, encoder: QuantileEncoder):
        super().__init__(name="quantile_decoder")
        self._plan = []
        for col in encoder.columns_:
            info = encoder.info(col)
            self._plan.append((col, info, {s.role: s for s in encoder.spans_ if s.column == col}))
        rounded = [c for c, info, _ in self._plan if info["encoding"] == "quantile" and info["decimals"] is not None]
        self._scale_index = {c: i for i, c in enumerate(rounded)}
        scales = [10.0 ** encoder.info(c)["decimals"] for c in rounded]
        self.scales = tf.Variable(np.asarray(scales or [1.0], np.float64), trainable=False, name="scales")

    def __call__(self, x):
        x = tf.convert_to_tensor(x, tf.float32)
        out = {}
        for col, info, spans in self._plan:
            if info["encoding"] == "quantile":
                z = tf.cast(x[:, spans["value"].start], tf.float64)
                value = _decode_levels_tf(0.5 * tf.math.erfc(z * _MINUS_INV_SQRT2), info["p"], info["q"])
                value = tf.clip_by_value(value, info["min"], info["max"])
                if col in self._scale_index:
                    scale = self.scales[self._scale_index[col]]
                    value = tf.round(value * scale) / scale
                if info["has_missing"]:
                    s = spans["missing"]
                    missing = tf.argmax(x[:, s.start:s.stop], axis=1) == 1
                    value = tf.where(missing, tf.constant(np.nan, tf.float64), value)
                elif info["kind"] == "integer":
                    value = tf.cast(value, tf.int64)
                out[col] = value
            else:
                s = spans["category"]
                index = tf.argmax(x[:, s.start:s.stop], axis=1)
                if info["kind"] == "integer":
                    levels = tf.constant(info["categories"] + [np.nan], tf.float64)  # last: missing
                    value = tf.gather(levels, index)
                    out[col] = value if info["has_missing"] else tf.cast(value, tf.int64)
                elif info["kind"] == "boolean":
                    out[col] = tf.equal(index, 1)
                else:
                    labels = [str(c) for c in info["categories"]] + ([""] if info["has_missing"] else [])
                    out[col] = tf.gather(tf.constant(labels), index)
        return out


def _decode_levels_tf(u, p, q):
    """TensorFlow twin of :func:`decode_levels` (float64)."""
    p_t, q_t = tf.constant(p, tf.float64), tf.constant(q, tf.float64)
    j = tf.searchsorted(p_t[None, :], u[None, :], side="right")[0]
    j = tf.clip_by_value(j, 1, len(p) - 1)
    p0, p1, q0, q1 = (tf.gather(p_t, j - 1), tf.gather(p_t, j), tf.gather(q_t, j - 1), tf.gather(q_t, j))
    width = tf.where(p1 > p0, p1 - p0, tf.ones_like(p1))
    frac = tf.clip_by_value((u - p0) / width, 0.0, 1.0)
    return q0 + frac * (q1 - q0)


def _numeric_output(value: np.ndarray, missing: np.ndarray, info: dict):
    dtype = info["dtype"]
    if dtype.startswith(("Int", "UInt")):  # pandas' nullable integers
        out = pd.array(np.where(missing, 0, value).astype(np.int64), dtype=dtype)
        out[missing] = pd.NA
        return out
    if missing.any():
        return np.where(missing, np.nan, value)
    return _cast(value, dtype)


def _category_output(index: np.ndarray, info: dict):
    categories = list(info["categories"]) + [None]
    objects = np.empty(len(index), dtype=object)
    objects[:] = [categories[i] for i in index]
    if info["kind"] == "boolean":
        return pd.array(objects, dtype="boolean") if info["has_missing"] else objects.astype(bool)
    series = pd.Series(objects)
    return series if info["dtype"] == "object" else _cast(series, info["dtype"])


def _cast(values, dtype: str):
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values
