"""The encoder contract: one :class:`Span` record and one :class:`Encoder` base class.

An encoder turns a DataFrame into a float32 matrix a network can learn, and turns a network's
output back into a frame with the fitted schema. Every encoder follows the scikit-learn contract
(``__init__`` stores parameters, ``fit`` returns ``self`` and sets ``attr_`` state, ``transform``
checks it is fitted and that the columns match) and adds what a synthesizer needs:

- ``spans_`` — the encoded row as :class:`Span` blocks, in column order; models read their
  layout (which head is a scalar, which a softmax) from it;
- ``get_state()`` / :func:`encoder_from_state` — the fitted state as plain JSON (no pickle);
- ``codes_tf(parts)`` — decoding in TensorFlow ops, so a SavedModel decodes rows in its graph
  and ``inverse_transform`` runs the very same code.

Decoding goes through *row codes*: a float64 matrix ``(n, n_columns)`` holding, per column, the
value of a numeric column (NaN = missing) or the category index of a discrete one
(``len(categories)`` = missing). Conditions are checked on row codes; :meth:`Encoder.frame_from_codes`
and :meth:`Encoder.outputs_tf` turn them into a frame or into SavedModel outputs.

What differs between encoders is only how a numeric column is represented
(:meth:`Encoder._numeric_spans`, :meth:`Encoder._encode_numeric`, :meth:`Encoder._decode_numeric_tf`);
missing values, categories, ranges, precision and dtypes are handled here, once.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, ClassVar, Mapping

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, NotFittedError
from tabular.encoding.columns import (DISCRETE_KINDS, NUMERIC_KINDS, category_codes, category_labels,
                                      check_column_types, check_frame, fit_column, numeric_values)

#: Roles of a span.
ROLES = ("value", "mode", "missing", "category")
#: Activations a network head applies to a span.
ACTIVATIONS = ("linear", "tanh", "softmax")


@dataclasses.dataclass(frozen=True)
class Span:
    """One block of the encoded row.

    Attributes:
        column: Source column.
        role: ``"value"`` (a scalar), ``"mode"`` (a mixture component), ``"missing"``
            (observed / missing) or ``"category"`` (one block per discrete column).
        start: First encoded index.
        dim: Width of the block.
        activation: ``"linear"``, ``"tanh"`` or ``"softmax"`` — what a network's head applies.
    """

    column: str
    role: str
    start: int
    dim: int
    activation: str

    @property
    def stop(self) -> int:
        return self.start + self.dim

    def to_list(self) -> list:
        """``[start, dim, activation]``: the layout a Keras model stores in its config."""
        return [self.start, self.dim, self.activation]


#: Registered encoder classes by name (:func:`register_encoder`).
ENCODERS: dict[str, type] = {}


def register_encoder(cls):
    """Class decorator: make an encoder loadable by :func:`encoder_from_state` under ``cls.name``."""
    ENCODERS[cls.name] = cls
    return cls


def encoder_from_state(state: dict) -> "Encoder":
    """Rebuild a fitted encoder of any registered type from its ``get_state()``.

    Raises:
        ConfigError: The state names no registered encoder.
    """
    name = state.get("encoder") if isinstance(state, dict) else None
    if name not in ENCODERS:
        raise ConfigError(f"encoder state names encoder {name!r}; known encoders: {sorted(ENCODERS)}")
    return ENCODERS[name].from_state(state)


class Encoder:
    """Base class of the encoders (see the module docstring for the contract).

    Args:
        column_types: Overrides ``{column: kind}``; other columns are inferred
            (:mod:`tabular.encoding.columns`).
        seed: Seed of the random parts of ``fit`` / ``transform`` (fill values of missing
            numbers, mode draws).

    Attributes (after ``fit``):
        columns_: Source columns in order.
        kinds_: ``{column: kind}``.
        spans_: ``list[Span]``.
        output_width_: Encoded width.
        discrete_spans_: The ``category`` spans (what conditions and conditional vectors refer to).
        state_: The fitted state (JSON).
    """

    #: Registry name, written into the state.
    name: ClassVar[str] = ""

    def __init__(self, column_types: Mapping[str, str] | None = None, seed: int = 0):
        self.column_types = dict(column_types or {})
        self.seed = seed

    # ------------------------------------------------------------------------------ hooks
    def _check_params(self) -> None:
        """Validate constructor parameters (subclasses extend)."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"seed must be an int >= 0, received {self.seed!r}")

    def _fit_numeric(self, observed: np.ndarray, info: dict, rng) -> dict:
        """Extra fitted state of a numeric column from its observed values (default: none)."""
        return {}

    def _numeric_spans(self, col: str, info: dict, start: int) -> list[Span]:
        """The spans of a numeric column besides its ``missing`` span."""
        raise NotImplementedError

    def _encode_numeric(self, values: np.ndarray, info: dict, rng) -> dict:
        """``{role: array}`` of a numeric column's spans (``(n,)`` for a scalar, ``(n, dim)`` else)."""
        raise NotImplementedError

    def _decode_numeric_tf(self, col: str, info: dict, parts: Mapping) -> "tf.Tensor":  # noqa: F821
        """float64 values of a numeric column from its decoded parts (see :meth:`codes_tf`)."""
        raise NotImplementedError

    def _params(self) -> dict:
        """Constructor parameters kept in the state (subclasses extend)."""
        return {"column_types": self.column_types, "seed": int(self.seed)}

    # ------------------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame) -> "Encoder":
        """Learn every column's kind, range, precision and categories; return ``self``.

        Every check runs before any attribute is set: a failing ``fit`` leaves no state.
        """
        frame = check_frame(frame)
        self._check_params()
        types = check_column_types(self.column_types, frame.columns)
        rng = np.random.default_rng(self.seed)
        per_column = {}
        for col in frame.columns:
            info = fit_column(frame[col], col, types.get(col), col in types)
            if info["kind"] in NUMERIC_KINDS:
                observed = numeric_values(frame[col], col, info["kind"])
                info.update(self._fit_numeric(observed[~np.isnan(observed)], info, rng))
            per_column[col] = info
        self._set_state({"encoder": self.name, "params": self._params(), "columns": list(frame.columns),
                         "per_column": per_column})
        return self

    def _set_state(self, state: dict) -> None:
        spans, start = [], 0
        for col in state["columns"]:
            info = state["per_column"][col]
            if info["kind"] in NUMERIC_KINDS:
                col_spans = self._numeric_spans(col, info, start)
                if info["has_missing"]:
                    col_spans.append(Span(col, "missing", start + sum(s.dim for s in col_spans), 2, "softmax"))
            else:
                col_spans = [Span(col, "category", start, len(category_labels(info)), "softmax")]
            spans += col_spans
            start += sum(s.dim for s in col_spans)
        self.state_ = state
        self.columns_ = list(state["columns"])
        self.kinds_ = {c: state["per_column"][c]["kind"] for c in self.columns_}
        self.spans_ = spans
        self.output_width_ = start
        self.discrete_spans_ = [s for s in spans if s.role == "category"]

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    # ------------------------------------------------------------------------------ state
    def get_state(self) -> dict:
        """The fitted state: plain JSON (``json.dumps`` works on it)."""
        self.check_fitted()
        return self.state_

    @classmethod
    def from_state(cls, state: dict) -> "Encoder":
        """Rebuild a fitted encoder from :meth:`get_state`."""
        if state.get("encoder") != cls.name:
            raise ConfigError(f"this state is of encoder {state.get('encoder')!r}, not {cls.name!r}; "
                              "load it with tabular.encoding.encoder_from_state")
        out = cls(**state["params"])
        out._set_state(state)
        return out

    # ------------------------------------------------------------------------------ helpers
    def check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(frame) first")

    def info(self, column: str) -> dict:
        """The fitted state of one column."""
        self.check_fitted()
        return self.state_["per_column"][column]

    def category_labels(self, column: str) -> list[str]:
        """String labels of a discrete column's span (``""`` stands for the missing category)."""
        return category_labels(self.info(column))

    def spans_of(self, column: str) -> dict[str, Span]:
        """``{role: Span}`` of one column."""
        return {s.role: s for s in self.spans_ if s.column == column}

    def layout(self) -> list[list]:
        """``[[start, dim, activation], ...]`` of every span (what Keras models store)."""
        return [s.to_list() for s in self.spans_]

    # ------------------------------------------------------------------------------ transform
    def transform(self, frame: pd.DataFrame, seed: int | None = None) -> np.ndarray:
        """Encode ``frame`` (the fitted columns; extra columns are ignored) as float32 ``(n, output_width_)``.

        Missing numbers get the encoding of a value drawn from the observed ones (so a value head
        learns no spike) and the ``missing`` flag.

        Args:
            frame: Rows with the fitted columns.
            seed: Seed of the random parts (default: the encoder's seed).

        Raises:
            NotFittedError: Not fitted.
            InputShapeError: A fitted column is absent.
            InvalidValueError: Unknown categories, non-numeric values, or missing values in a
                column that had none when fitted.
        """
        self.check_fitted()
        frame = check_frame(frame)
        absent = [c for c in self.columns_ if c not in frame.columns]
        if absent:
            raise InputShapeError(f"column(s) {absent} seen by fit are missing from the frame; give a frame "
                                  f"with columns {self.columns_}")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        n = len(frame)
        out = np.zeros((n, self.output_width_), np.float32)
        rows = np.arange(n)
        for col in self.columns_:
            info, spans = self.info(col), self.spans_of(col)
            if info["kind"] in NUMERIC_KINDS:
                values = numeric_values(frame[col], col, info["kind"])
                nan = np.isnan(values)
                if nan.any() and not info["has_missing"]:
                    raise InvalidValueError(f"column {col!r} has missing values but had none when fitted; "
                                            "refit on data with missing values or impute them")
                if nan.any():
                    observed = values[~nan]
                    values[nan] = rng.choice(observed, nan.sum()) if len(observed) else info["min"]
                for role, block in self._encode_numeric(values, info, rng).items():
                    span = spans[role]
                    out[:, span.start:span.stop] = block.reshape(n, span.dim)
                if info["has_missing"]:
                    out[rows, spans["missing"].start + nan.astype(int)] = 1.0
            else:
                codes = category_codes(frame[col], info["categories"], info["kind"], col)
                if (codes == len(info["categories"])).any() and not info["has_missing"]:
                    raise InvalidValueError(f"column {col!r} has missing values but had none when fitted; "
                                            "refit on data with missing values or fill them")
                out[rows, spans["category"].start + codes] = 1.0
        return out

    # ------------------------------------------------------------------------------ decoding
    def parts_tf(self, x, pick: Callable | None = None) -> dict:
        """Split encoded rows into decoding parts: ``{(column, role): tensor}``.

        Scalar spans give their float32 value, softmax spans the int32 index chosen by ``pick``
        (``pick(logits, span) -> indices``; default argmax).
        """
        import tensorflow as tf

        x = tf.convert_to_tensor(x, tf.float32)
        parts = {}
        for span in self.spans_:
            block = x[:, span.start:span.stop]
            if span.activation == "softmax":
                parts[(span.column, span.role)] = (pick(block, span) if pick is not None
                                                   else tf.argmax(block, axis=1, output_type=tf.int32))
            else:
                parts[(span.column, span.role)] = block[:, 0]
        return parts

    def codes_tf(self, parts: Mapping) -> "tf.Tensor":  # noqa: F821
        """Row codes ``(n, n_columns)`` float64 from decoding parts (graph-safe).

        Numeric values are clipped to the fitted ``[min, max]``, rounded to the fitted precision,
        and NaN where the ``missing`` part says so; discrete codes are category indices.
        """
        import tensorflow as tf

        out = []
        for col in self.columns_:
            info = self.info(col)
            if info["kind"] in NUMERIC_KINDS:
                value = tf.clip_by_value(tf.cast(self._decode_numeric_tf(col, info, parts), tf.float64),
                                         info["min"], info["max"])
                if info["decimals"] is not None:
                    scale = 10.0 ** info["decimals"]
                    value = tf.round(value * scale) / scale
                if info["has_missing"]:
                    value = tf.where(parts[(col, "missing")] == 1, tf.constant(np.nan, tf.float64), value)
                out.append(value)
            else:
                out.append(tf.cast(parts[(col, "category")], tf.float64))
        return tf.stack(out, axis=1)

    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Decode encoded rows (or raw network outputs in the encoded scale) to the fitted schema.

        Softmax spans decode to their argmax, so generated rows need no snapping first.

        Raises:
            InputShapeError: ``x`` is not ``(n, output_width_)``.
        """
        self.check_fitted()
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.output_width_:
            raise InputShapeError(f"encoded rows must have shape (n, {self.output_width_}), received {x.shape}")
        return self.frame_from_codes(self.codes_tf(self.parts_tf(x)).numpy())

    def frame_from_codes(self, codes: np.ndarray) -> pd.DataFrame:
        """The output frame from row codes: the fitted columns and dtypes (nullable where values are missing)."""
        codes = np.asarray(codes, np.float64)
        data = {}
        for i, col in enumerate(self.columns_):
            info, values = self.info(col), codes[:, i]
            data[col] = (_numeric_series(values, info) if info["kind"] in NUMERIC_KINDS
                         else _discrete_series(values, info))
        return pd.DataFrame(data, index=pd.RangeIndex(len(codes)))[self.columns_]

    def outputs_tf(self, codes) -> dict:
        """Row codes -> ``{column: tensor}`` for a SavedModel: strings for categorical columns (``""`` =
        missing), bool for booleans without missing values (strings otherwise), int64 for integer
        columns without missing values, float64 (NaN = missing) else."""
        import tensorflow as tf

        out = {}
        for i, col in enumerate(self.columns_):
            info, c = self.info(col), codes[:, i]
            if info["kind"] in NUMERIC_KINDS:
                out[col] = tf.cast(tf.round(c), tf.int64) if info["kind"] == "integer" and not info["has_missing"] else c
            elif info["kind"] == "boolean" and not info["has_missing"]:
                out[col] = tf.equal(tf.cast(c, tf.int32), 1)
            else:
                out[col] = tf.gather(tf.constant(self.category_labels(col), tf.string), tf.cast(c, tf.int32))
        return out


def _numeric_series(values: np.ndarray, info: dict):
    nan = np.isnan(values)
    if info["kind"] == "integer" or info["dtype"].startswith(("int", "uint", "Int", "UInt")):
        if nan.any():
            out = pd.array(np.where(nan, 0, values).astype(np.int64), dtype="Int64")
            out[nan] = pd.NA
            return out
        return _cast(values.astype(np.int64), info["dtype"])
    return _cast(values, info["dtype"])


def _discrete_series(values: np.ndarray, info: dict):
    cats = np.empty(len(info["categories"]) + 1, dtype=object)
    cats[:-1] = list(info["categories"])  # the last one, None, is "missing"
    objs = cats[values.astype(np.int64)]
    if info["kind"] == "boolean":
        return pd.array(objs, dtype="boolean") if info["has_missing"] else objs.astype(bool)
    series = pd.Series(objs)
    if info["dtype"] != "object":
        try:
            series = series.astype(info["dtype"])
        except (TypeError, ValueError):
            pass  # keep objects when the fitted dtype cannot hold the values
    return series


def _cast(values: np.ndarray, dtype: str):
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values


__all__ = ["ACTIVATIONS", "DISCRETE_KINDS", "ENCODERS", "Encoder", "NUMERIC_KINDS", "ROLES", "Span",
           "encoder_from_state", "register_encoder"]
