"""The table layer: a real-world frame <-> a *model frame* any encoder handles, with constraints.

:class:`TableTransformer` sits in front of an :class:`~tabular.encoding.Encoder`:

```
user frame --TableTransformer.to_model--> model frame (continuous / integer / categorical / boolean)
           --Encoder--> network rows --model--> row codes --restore_tf / checks_tf--> kept codes
           --Encoder.frame_from_codes--> model frame --from_model / finish--> user frame
```

It learns each column's kind (:mod:`tabular.encoding.kinds`; detected by
:meth:`tabular.metadata.Metadata.detect` unless declared), checks the constraints
(:mod:`tabular.constraints`) against the training rows, and keeps them while sampling:

- an inequality ``low <= high`` between two integer (or datetime) columns — or two continuous
  columns whose precision allows it — is a reversible transform: the model column of ``high``
  holds ``high - low``, and :meth:`restore_tf` adds ``low`` back in the graph (so the order holds
  by construction, and the model learns the gap, e.g. the length of a stay);
- :meth:`checks_tf` tests inequalities, ranges and fixed combinations of discrete columns on the
  row codes in the graph (rejection inside the sampler and in an exported SavedModel);
- :meth:`python_mask` tests every constraint — expressions and functions too — on the decoded
  rows; a row failing any is dropped and drawn again, never repaired.
"""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, NotFittedError, UnknownNameError
from tabular.constraints import FixedCombinations, Inequality, Predicate, Range, constraint_to_json
from tabular.encoding.base import round_numeric_tf
from tabular.encoding.columns import check_frame, json_value, numeric_values, precision
from tabular.encoding.kinds import GENERATED, HANDLERS, UNITS, Datetime
from tabular.metadata import Metadata

NUMERIC = ("continuous", "integer")
DISCRETE = ("categorical", "boolean", "high_cardinality")
#: Kinds that have no model column.
UNMODELLED = GENERATED + ("constant", "empty")


class TableTransformer:
    """Real-world columns and constraints in front of an encoder (see the module docstring).

    Args:
        metadata: The table's :class:`~tabular.metadata.Metadata` (``None``: detected at ``fit``;
            columns it lacks are detected too).
        column_types: ``{column: kind}`` declared on top of detection (ignored for columns that
            ``metadata`` describes).
        seed: Seed of the hash keys of generated values.

    Attributes (after ``fit``):
        metadata_: The metadata used (detected where not given).
        columns_: The user columns in order; ``model_columns_`` / ``model_types_``: the model frame's.
        state_: The fitted state (JSON).
    """

    def __init__(self, metadata: Metadata | None = None, column_types: Mapping | None = None, seed: int = 0):
        self.metadata, self.column_types, self.seed = metadata, dict(column_types or {}), seed

    # ------------------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame) -> "TableTransformer":
        """Learn every column's state and check the constraints on ``frame``; return ``self``.

        Raises:
            InputShapeError: Metadata names columns the frame lacks, or a constraint an unknown column.
            ConfigError: A constraint on a column of the wrong kind, or contradictory constraints.
            InvalidValueError: A column that does not parse as its kind, or training rows that
                violate a constraint (named in the message).
        """
        frame = check_frame(frame)
        meta = self._metadata(frame)
        rng = np.random.default_rng(self.seed)
        per_column = {col: HANDLERS[spec["kind"]].fit(frame[col], col, spec, rng) for col, spec in meta.columns.items()}
        _check_constraint_kinds(meta.constraints, per_column)
        _unify_units(meta.constraints, per_column)
        constraints = [_fit_constraint(c, frame, per_column) for c in meta.constraints]
        _check_contradictions(meta.constraints, constraints, per_column)
        model = self._model_values(frame, per_column)
        transforms = _choose_transforms(meta.constraints, model, per_column)
        model_columns = [c for c in meta.columns if per_column[c]["kind"] not in UNMODELLED]
        support = {c: _support(model[c]) for c in model_columns if per_column[c]["kind"] in NUMERIC + ("datetime",)}
        state = {"version": 1, "columns": list(meta.columns), "per_column": per_column, "metadata": meta.to_dict(),
                 "constraints": constraints, "transforms": transforms, "model_columns": model_columns,
                 "support": support,
                 "model_types": {c: HANDLERS[per_column[c]["kind"]].model_kind(per_column[c]) for c in model_columns}}
        self._set_state(state, meta.constraints)
        self._check_training_rows(frame)
        for col in self.columns_:
            st = per_column[col]
            if st["kind"] in ("pii", "text") and st["handling"] == "drop":
                warnings.warn(f"column {col!r} ({st['kind']}) is left out of sampled rows (handling='drop'); use "
                              "handling='fake' for format-preserving fakes", stacklevel=2)
        return self

    def _metadata(self, frame: pd.DataFrame) -> Metadata:
        given = self.metadata
        if given is None:
            return Metadata.detect(frame, self.column_types)
        absent = [c for c in given.columns if c not in frame.columns]
        if absent:
            raise InputShapeError(f"metadata describes column(s) {absent}, which the frame lacks (columns "
                                  f"{list(frame.columns)}); fix the metadata or the frame")
        others = [c for c in frame.columns if c not in given.columns]
        detected = Metadata.detect(frame[others], {c: k for c, k in self.column_types.items() if c in others}) \
            if others else Metadata()
        return Metadata({c: given.columns.get(c) or detected.columns[c] for c in frame.columns}, given.constraints)

    def _model_values(self, frame: pd.DataFrame, per_column: dict) -> dict:
        return {col: HANDLERS[st["kind"]].to_model(frame[col], col, st) for col, st in per_column.items()
                if st["kind"] not in UNMODELLED}

    def _set_state(self, state: dict, constraints: list) -> None:
        self.state_ = state
        self.columns_ = list(state["columns"])
        self.model_columns_ = list(state["model_columns"])
        self.model_types_ = dict(state["model_types"])
        self.metadata_ = Metadata(state["metadata"]["columns"], constraints)
        self.constraints_ = list(constraints)

    def _check_training_rows(self, frame: pd.DataFrame) -> None:
        for constraint in self.constraints_:
            ok = self._constraint_mask(constraint, frame)
            if not ok.all():
                rows = frame.index[~ok]
                self.__dict__.pop("state_", None)
                raise InvalidValueError(
                    f"constraint {constraint.describe()!r} is violated by {len(rows)} training row(s), index "
                    f"{rows[:10].tolist()}{' ...' if len(rows) > 10 else ''}; fix or drop these rows, or remove the "
                    "constraint")

    def get_state(self) -> dict:
        self.check_fitted()
        return self.state_

    @classmethod
    def from_state(cls, state: dict, predicates: Mapping | None = None) -> "TableTransformer":
        """Rebuild from :meth:`get_state` (Python function predicates from ``predicates``)."""
        meta = Metadata.from_dict(state["metadata"], predicates)
        out = cls(meta)
        out._set_state(state, meta.constraints)
        return out

    @classmethod
    def passthrough(cls, encoder) -> "TableTransformer":
        """The table layer of a synthesizer saved before it existed: every column as the encoder saw it."""
        per_column = {c: {"kind": encoder.kinds_[c], "dtype": encoder.info(c)["dtype"]} for c in encoder.columns_}
        meta = Metadata({c: {"kind": k} for c, k in encoder.kinds_.items()})
        state = {"version": 1, "columns": list(encoder.columns_), "per_column": per_column, "metadata": meta.to_dict(),
                 "constraints": [], "transforms": [], "model_columns": list(encoder.columns_), "support": {},
                 "model_types": dict(encoder.kinds_)}
        out = cls(meta)
        out._set_state(state, [])
        return out

    def check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError("this TableTransformer is not fitted yet; call fit(frame) first")

    def kind(self, column: str) -> str:
        return self.state_["per_column"][column]["kind"]

    # ------------------------------------------------------------------------------ to the model
    def to_model(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model frame: the modelled columns as basic kinds, transformed inequalities as gaps."""
        self.check_fitted()
        per_column = self.state_["per_column"]
        absent = [c for c in self.model_columns_ if c not in frame.columns]
        if absent:
            raise InputShapeError(f"column(s) {absent} seen by fit are missing from the frame; give a frame with "
                                  f"columns {self.columns_}")
        values = {c: HANDLERS[per_column[c]["kind"]].to_model(frame[c], c, per_column[c]) for c in self.model_columns_}
        original = dict(values)
        for t in self.state_["transforms"]:
            high, low = original[t["high"]], original[t["low"]]
            gap = pd.to_numeric(high, errors="coerce") - pd.to_numeric(low, errors="coerce")
            values[t["high"]] = gap.astype("Int64") if t["kind"] == "integer" and gap.isna().any() else (
                gap.astype(np.int64) if t["kind"] == "integer" else gap)
        return pd.DataFrame(values, index=frame.index)[self.model_columns_]

    # ------------------------------------------------------------------------------ in the graph
    def ranges(self) -> dict:
        """``{model column: (min, max)}`` of the columns whose model column is not the value (transformed)."""
        return {t["high"]: (t["info"]["min"], t["info"]["max"]) for t in self.state_["transforms"]}

    def restore_tf(self, codes, columns: list[str]):
        """Row codes of the model columns with transformed columns restored (``high = low + gap``,
        clipped and rounded to ``high``'s fitted range and precision)."""
        import tensorflow as tf

        if not self.state_["transforms"]:
            return codes
        cols = [codes[:, i] for i in range(len(columns))]
        for t in self.state_["transforms"]:
            lo, hi = columns.index(t["low"]), columns.index(t["high"])
            cols[hi] = round_numeric_tf(cols[lo] + cols[hi], t["info"])
        return tf.stack(cols, axis=1)

    def checks_tf(self, codes, encoder):
        """bool ``(n,)``: the rows meeting every constraint that can be checked on row codes, or ``None``."""
        import tensorflow as tf

        columns, ok = encoder.columns_, None
        for c, st in zip(self.constraints_, self.state_["constraints"]):
            test = None
            if isinstance(c, Inequality):
                a, b = codes[:, columns.index(c.low)], codes[:, columns.index(c.high)]
                order = tf.less(a, b) if c.strict else tf.less_equal(a, b)
                test = tf.logical_or(tf.logical_or(tf.math.is_nan(a), tf.math.is_nan(b)), order)
            elif isinstance(c, Range):
                v = codes[:, columns.index(c.column)]
                test = tf.ones_like(v, tf.bool)
                if st["low"] is not None:
                    test = tf.logical_and(test, tf.greater(v, st["low"]) if c.strict else tf.greater_equal(v, st["low"]))
                if st["high"] is not None:
                    test = tf.logical_and(test, tf.less(v, st["high"]) if c.strict else tf.less_equal(v, st["high"]))
                test = tf.logical_or(test, tf.math.is_nan(v))
            elif isinstance(c, FixedCombinations) and all(self.kind(col) != "high_cardinality" for col in c.columns):
                test = _combination_test(codes, encoder, c.columns, st["combinations"])
            if test is not None:
                ok = test if ok is None else tf.logical_and(ok, test)
        return ok

    # ------------------------------------------------------------------------------ conditions
    def conditions(self, conditions: Mapping | None) -> tuple[dict, dict]:
        """User conditions -> ``(model conditions, {column: tail indices})`` (see ``Synthesizer.sample``).

        Raises:
            UnknownNameError: An unknown column.
            InvalidValueError: A condition on a generated column, a malformed range, a range
                outside the fitted one, or an unknown category.
        """
        model, tails = {}, {}
        for col, wanted in (conditions or {}).items():
            if col not in self.columns_:
                raise UnknownNameError(f"cannot condition on column {col!r}: the synthesizer was fitted on columns "
                                       f"{self.columns_}")
            st = self.state_["per_column"][col]
            kind = st["kind"]
            if kind in GENERATED + ("empty",):
                raise InvalidValueError(f"cannot condition on column {col!r}: its values are {kind}, generated after "
                                        "sampling rather than modelled; fill it in the sampled rows instead")
            if kind == "constant":
                values = wanted if isinstance(wanted, list) else [wanted]
                if not any(str(v) == str(st["value"]) for v in values):
                    raise InvalidValueError(f"condition {col!r} = {wanted!r} cannot hold: {col!r} is always "
                                            f"{st['value']!r}")
            elif kind == "datetime":
                model[col] = self._datetime_range(col, st, wanted)
            elif kind == "high_cardinality":
                model[col], restriction = _tail_condition(col, st, wanted)
                if restriction is not None:
                    tails[col] = restriction
            else:
                model[col] = wanted
        return model, tails

    @staticmethod
    def _datetime_range(col: str, st: dict, wanted) -> tuple:
        if not (isinstance(wanted, tuple) and len(wanted) == 2):
            raise InvalidValueError(f"condition on datetime column {col!r} must be a (low, high) range of dates, "
                                    f"received {wanted!r}; e.g. conditions={{{col!r}: ('2013-01-01', '2013-12-31')}}")
        kind = Datetime()
        low = -np.inf if wanted[0] is None else kind.bound(wanted[0], st, col, up=True)
        high = np.inf if wanted[1] is None else kind.bound(wanted[1], st, col, up=False)
        if low > high:
            raise InvalidValueError(f"condition range {wanted!r} on {col!r} is empty; give (low, high) with low <= high")
        if high < st["min"] or low > st["max"]:
            first, last = (kind.to_timestamps([st[k]], st)[0] for k in ("min", "max"))
            raise InvalidValueError(f"condition range {wanted!r} on {col!r} lies outside the fitted range [{first}, "
                                    f"{last}]; the synthesizer never generates such dates: condition inside it")
        return (low, high)

    def row_conditions(self, known: pd.DataFrame) -> list[tuple[tuple, np.ndarray]]:
        """The known values of each row of ``known``, grouped: ``[(items, positions)]`` where
        ``items`` is ``((column, value), ...)`` — a category, or a number in model units (dates:
        counts of their unit); columns that are generated or fixed, and missing numbers, are left out."""
        keys = []
        for col in known.columns:
            kind = self.kind(col)
            if kind in UNMODELLED:
                continue
            if kind in DISCRETE:
                keys.append([(col, None if pd.isna(v) else v) for v in known[col]])
            else:
                keys.append([(col, None if np.isnan(v) else float(v)) for v in self.comparable(known, col)])
        groups: dict = {}
        for i, row in enumerate(zip(*keys) if keys else [()] * len(known)):
            items = tuple(item for item in row if item[1] is not None or self.kind(item[0]) in DISCRETE)
            groups.setdefault(items, []).append(i)
        return [(items, np.asarray(rows)) for items, rows in groups.items()]

    def known_conditions(self, items: tuple, level: int = 0) -> tuple[dict, dict]:
        """Model conditions of known values, relaxed by ``level``: 0 — categories exactly, numbers
        exactly when their column has at most :data:`MAX_LEVELS` distinct values, else the 4 % of
        training values around them; 1 — numbers within the 20 % around them; 2 — categories only;
        3 — nothing."""
        discrete = {c: v for c, v in items if self.kind(c) in DISCRETE}
        numeric = {c: v for c, v in items if self.kind(c) not in DISCRETE}
        if level >= 3:
            return {}, {}
        model, tails = {}, {}
        for col, value in discrete.items():
            st = self.state_["per_column"][col]
            if st["kind"] == "high_cardinality":
                model[col], restriction = _tail_condition(col, st, value)
                if restriction is not None:
                    tails[col] = restriction
            else:
                model[col] = value
        if level <= 1:
            for col, value in numeric.items():
                model[col] = _band(value, self.state_["support"][col], 2 if level == 0 else 10)
        return model, tails

    def substitute(self, rows: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
        """``rows`` with the one-row ``known`` values put in, and the columns a transformed
        inequality ties to them moved along: with ``low`` known, ``high = low + the row's gap``
        (and the other way round), so the model's gap is kept."""
        out = rows.copy()
        values = {c: known[c].iloc[0] for c in known.columns if not pd.isna(known[c].iloc[0])}
        for t in self.state_["transforms"]:
            low, high = t["low"], t["high"]
            if (low in values) == (high in values):
                continue
            gap = self.comparable(rows, high) - self.comparable(rows, low)
            anchor = self.comparable(known, low if low in values else high)[0]
            moved = anchor + gap if low in values else anchor - gap
            target = high if low in values else low
            st = self.state_["per_column"][target]
            series = pd.Series(moved, index=rows.index)
            out[target] = (HANDLERS["datetime"].from_model(series, st, len(series), 0, 0) if st["kind"] == "datetime"
                           else series.astype(rows[target].dtype))
        for col in known.columns:
            out[col] = pd.Series([known[col].iloc[0]] * len(out), index=out.index, dtype=known[col].dtype)
        return out

    # ------------------------------------------------------------------------------ back to the user
    def from_model(self, model: pd.DataFrame, seed: int, tails: Mapping | None = None) -> pd.DataFrame:
        """User columns from a decoded model frame: modelled, constant and empty columns (identifiers
        and fakes come in :meth:`finish`)."""
        out, n = {}, len(model)
        for j, col in enumerate(self.columns_):
            st = self.state_["per_column"][col]
            handler = HANDLERS[st["kind"]]
            if handler.modelled:
                out[col] = handler.from_model(model[col], st, n, seed, j, (tails or {}).get(col))
            elif st["kind"] in ("constant", "empty"):
                out[col] = handler.generate(n, st, seed, j, None).set_axis(model.index)
        return pd.DataFrame(out, index=model.index)

    def finish(self, rows: pd.DataFrame, seed: int) -> pd.DataFrame:
        """Add identifiers and fakes to sampled rows; the user columns in order (dropped ones left out)."""
        rng = np.random.default_rng([seed, 17])
        n, out = len(rows), {}
        for j, col in enumerate(self.columns_):
            st = self.state_["per_column"][col]
            if st["kind"] in GENERATED:
                if st.get("handling") == "drop":
                    continue
                out[col] = HANDLERS[st["kind"]].generate(n, st, seed, j, rng).set_axis(rows.index)
            else:
                out[col] = rows[col]
        return pd.DataFrame(out, index=rows.index)

    def output_columns(self) -> list[str]:
        """The columns of sampled rows (every column but dropped personal data and free text)."""
        return [c for c in self.columns_ if self.state_["per_column"][c].get("handling") != "drop"]

    # ------------------------------------------------------------------------------ constraints in Python
    def comparable(self, frame: pd.DataFrame, col: str) -> np.ndarray:
        """A column as float64 in model units (datetimes: counts of their unit), NaN where missing."""
        st = self.state_["per_column"][col]
        if st["kind"] == "datetime":
            ns, missing = Datetime.nanoseconds(frame[col], col, st["format"])
            return np.where(missing, np.nan, (ns // UNITS[st["unit"]]).astype(np.float64))
        return numeric_values(frame[col], col, st["kind"])

    def _constraint_mask(self, constraint, frame: pd.DataFrame) -> np.ndarray:
        st = self.state_["constraints"][self.constraints_.index(constraint)]
        if isinstance(constraint, Inequality):
            a, b = self.comparable(frame, constraint.low), self.comparable(frame, constraint.high)
            with np.errstate(invalid="ignore"):
                order = a < b if constraint.strict else a <= b
            return np.isnan(a) | np.isnan(b) | order
        if isinstance(constraint, Range):
            v = self.comparable(frame, constraint.column)
            ok = np.ones(len(v), bool)
            with np.errstate(invalid="ignore"):
                if st["low"] is not None:
                    ok &= v > st["low"] if constraint.strict else v >= st["low"]
                if st["high"] is not None:
                    ok &= v < st["high"] if constraint.strict else v <= st["high"]
            return ok | np.isnan(v)
        if isinstance(constraint, FixedCombinations):
            allowed = {tuple(c) for c in st["combinations"]}
            keys = zip(*(_labels(frame[c]) for c in constraint.columns))
            return np.fromiter((k in allowed for k in keys), bool, len(frame))
        return constraint.mask(frame)

    def python_mask(self, frame: pd.DataFrame) -> np.ndarray:
        """bool ``(n,)``: the rows meeting every constraint."""
        ok = np.ones(len(frame), bool)
        for c in self.constraints_:
            ok &= self._constraint_mask(c, frame)
        return ok

    # ------------------------------------------------------------------------------ export and evaluation
    def outputs_tf(self, model_outputs: Mapping, n, seed) -> dict:
        """SavedModel outputs of the user columns from the encoder's outputs (left-out columns omitted)."""
        out = {}
        for j, col in enumerate(self.columns_):
            st = self.state_["per_column"][col]
            value = HANDLERS[st["kind"]].output_tf(model_outputs.get(col), st, n, seed, j)
            if value is not None:
                out[col] = value
        return out

    def export_view(self, frame: pd.DataFrame, col: str):
        """A sampled Python column as the SavedModel returns it."""
        st = self.state_["per_column"][col]
        return HANDLERS[st["kind"]].export_view(frame[col], st)

    def python_only(self) -> list[str]:
        """Sampled columns the SavedModel leaves out (string keys, personal data, free text)."""
        return [c for c in self.output_columns() if self.kind(c) in ("pii", "text")
                or (self.kind(c) == "id" and not self.state_["per_column"][c]["integer"])]

    def python_only_constraints(self) -> list[str]:
        """Constraints only :meth:`python_mask` checks (the SavedModel does not)."""
        return [c.describe() for c in self.constraints_ if isinstance(c, Predicate) or (
            isinstance(c, FixedCombinations) and any(self.kind(col) == "high_cardinality" for col in c.columns))]

    def evaluation_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The columns an evaluation can score: datetimes as days since 1970 (floats), modelled
        columns as they are; identifiers, fakes, constant and empty columns left out."""
        out = {}
        for col in self.columns_:
            kind = self.kind(col)
            if kind == "datetime":
                out[col] = self.comparable(frame, col) * UNITS[self.state_["per_column"][col]["unit"]] / UNITS["D"]
            elif kind not in UNMODELLED:
                out[col] = frame[col].to_numpy()
        return pd.DataFrame(out, index=frame.index)

    def summary(self) -> str:
        """What was detected and learned: one line per column, then the constraints and how each is kept."""
        per_column = self.state_["per_column"]
        described = {c: HANDLERS[st["kind"]].describe(st) for c, st in per_column.items()}
        text = Metadata(self.metadata_.columns).summary(described)
        transformed = {(t["low"], t["high"]) for t in self.state_["transforms"]}
        for c in self.constraints_:
            how = ("a transform (the model learns the gap) and a check" if isinstance(c, Inequality)
                   and (c.low, c.high) in transformed else
                   "checked in Python" if c.describe() in self.python_only_constraints() else "checked in the graph")
            text += f"\n  constraint: {c.describe()}  ({how})"
        return text


# ---------------------------------------------------------------------------------------------- helpers
def _labels(series: pd.Series) -> list:
    """Category labels of a discrete column as the encoder writes them (``None`` for missing)."""
    return [None if pd.isna(v) else str(json_value(v)) for v in series]


#: A numeric column with at most this many distinct values is conditioned on exact values by ``row_conditions``.
MAX_LEVELS = 200


def _support(values: pd.Series) -> dict:
    """The distinct values of a numeric model column (at most :data:`MAX_LEVELS`) or its percentiles."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(np.float64, na_value=np.nan)
    v = v[~np.isnan(v)]
    levels = np.unique(v)
    if len(levels) <= MAX_LEVELS:
        return {"levels": levels.tolist()}
    return {"quantiles": np.quantile(v, np.linspace(0, 1, 101)).tolist()}


def _band(value: float, support: dict, half: int = 2) -> tuple[float, float]:
    """The condition range of a known number: its level, or the percentiles ``half`` below and above
    it (wider bands, ``half > 2``, also reach ``half // 5`` levels beyond the neighbouring ones)."""
    if "levels" in support:
        levels = np.asarray(support["levels"])
        k = int(np.argmin(np.abs(levels - value)))
        if abs(levels[k] - value) <= 1e-6 * max(1.0, abs(levels[k])) and half <= 2:
            return (float(levels[k]), float(levels[k]))
        below = int(np.searchsorted(levels, value, side="right")) - 1  # largest level <= value (-1: none)
        above = int(np.searchsorted(levels, value, side="left"))  # smallest level >= value (len: none)
        lo = float(levels[max(below - half // 5, 0)]) if below >= 0 else value
        hi = float(levels[min(above + half // 5, len(levels) - 1)]) if above < len(levels) else value
        return (min(lo, value), max(hi, value))
    q = np.asarray(support["quantiles"])
    k = int(np.searchsorted(q, value))
    return (min(float(q[max(k - half, 0)]), value), max(float(q[min(k + half, len(q) - 1)]), value))


def _tail_condition(col: str, st: dict, wanted):
    values = list(wanted) if isinstance(wanted, (list, set, frozenset)) else [wanted]
    kept = {str(v) for v in st["kept"]}
    tail = {str(v): i for i, v in enumerate(st["tail"])}
    model, restriction = [], []
    for v in values:
        if v is None or str(v) in kept:
            model.append(None if v is None else str(v))
        elif str(v) in tail:
            restriction.append(tail[str(v)])
        else:
            raise InvalidValueError(f"condition {col!r} = {v!r} is not a category of {col!r} ({st['n_categories']:,} "
                                    f"categories, e.g. {[str(c) for c in st['kept'][:5]]}); use one of them")
    if restriction:
        model.append(st["bucket"])
    return model, (restriction or None)


def _combination_test(codes, encoder, columns, combinations):
    """In-graph: whether each row's categories of ``columns`` form an allowed combination."""
    import tensorflow as tf

    radix = [len(encoder.category_labels(c)) for c in columns]
    mult = np.cumprod([1] + radix[:-1]).astype(np.int64)
    keys = set()
    for combo in combinations:
        index = []
        for c, label in zip(columns, combo):
            labels = encoder.category_labels(c)
            index.append(labels.index("" if label is None else label) if ("" if label is None else label) in labels
                         else -1)
        if min(index) >= 0:
            keys.add(int(np.dot(index, mult)))
    allowed = tf.constant(sorted(keys) or [-1], tf.int64)
    key = tf.add_n([tf.cast(codes[:, encoder.columns_.index(c)], tf.int64) * int(m) for c, m in zip(columns, mult)])
    pos = tf.minimum(tf.searchsorted(allowed, key), tf.size(allowed, out_type=tf.int32) - 1)
    return tf.equal(tf.gather(allowed, pos), key)


def _check_constraint_kinds(constraints, per_column: dict) -> None:
    for c in constraints:
        for col in c.columns:
            if col not in per_column:
                raise InputShapeError(f"constraint {c.describe()!r} names column {col!r}, which the frame lacks "
                                      f"(columns {list(per_column)}); fix the name")
            kind = per_column[col]["kind"]
            if kind in UNMODELLED:
                raise ConfigError(f"constraint {c.describe()!r} names column {col!r} of kind {kind!r}, whose values "
                                  "are generated, not modelled; constrain modelled columns only")
        kinds = [per_column[col]["kind"] for col in c.columns]
        if isinstance(c, Inequality):
            if c.low == c.high:
                raise ConfigError(f"constraint {c.describe()!r} compares a column with itself; name two columns")
            if not (set(kinds) <= set(NUMERIC) or kinds == ["datetime", "datetime"]):
                raise ConfigError(f"constraint {c.describe()!r} needs two numeric or two datetime columns, received "
                                  f"kinds {kinds}; declare the kinds or drop the constraint")
        elif isinstance(c, Range) and kinds[0] not in NUMERIC + ("datetime",):
            raise ConfigError(f"constraint {c.describe()!r} needs a numeric or datetime column, {c.column!r} is "
                              f"{kinds[0]}; use FixedCombinations or a Predicate for categories")
        elif isinstance(c, FixedCombinations) and not set(kinds) <= set(DISCRETE):
            raise ConfigError(f"constraint {c.describe()!r} needs discrete columns (categorical, boolean, "
                              f"high_cardinality), received kinds {kinds}; use an Inequality, a Range or a Predicate")


def _unify_units(constraints, per_column: dict) -> None:
    """Datetime columns compared by an inequality share the finer of their units."""
    changed = True
    while changed:
        changed = False
        for c in constraints:
            if isinstance(c, Inequality) and per_column[c.low]["kind"] == "datetime":
                a, b = per_column[c.low], per_column[c.high]
                fine = min((a["unit"], b["unit"]), key=lambda u: UNITS[u])
                for st in (a, b):
                    if st["unit"] != fine:
                        factor = UNITS[st["unit"]] // UNITS[fine]
                        st.update(unit=fine, min=st["min"] * factor, max=st["max"] * factor)
                        changed = True


def _fit_constraint(c, frame: pd.DataFrame, per_column: dict) -> dict:
    state = constraint_to_json(c)
    if isinstance(c, Range):
        st = per_column[c.column]
        for name, up in (("low", True), ("high", False)):
            value = getattr(c, name)
            if value is not None and st["kind"] == "datetime":
                state[name] = Datetime().bound(value, st, c.column, up=up)
            elif value is not None:
                try:
                    state[name] = float(value)
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"constraint {c.describe()!r}: {name} {value!r} is not a number") from exc
    elif isinstance(c, FixedCombinations):
        rows = zip(*(_labels(frame[col]) for col in c.columns))
        state["combinations"] = sorted({tuple(r) for r in rows}, key=lambda r: [str(v) for v in r])
    elif isinstance(c, Predicate) and c.expression is not None:
        generated = [col for col in c.columns if col in per_column and per_column[col]["kind"] in GENERATED]
        absent = [col for col in c.columns if col not in per_column]
        if absent or generated:
            raise ConfigError(f"predicate {c.expression!r} names column(s) {absent or generated}, which "
                              f"{'the frame lacks' if absent else 'are generated, not modelled'}; name modelled columns")
    return state


def _check_contradictions(constraints, states: list[dict], per_column: dict) -> None:
    """Ranges that are empty, or that inequalities make empty; strict inequalities in a cycle.

    Raises:
        ConfigError: Naming the columns and the constraints.
    """
    lo = {c: -np.inf for c in per_column}
    hi = {c: np.inf for c in per_column}
    for c, st in zip(constraints, states):
        if isinstance(c, Range):
            low = -np.inf if st["low"] is None else st["low"]
            high = np.inf if st["high"] is None else st["high"]
            if low > high or (low == high and c.strict):
                raise ConfigError(f"constraint {c.describe()!r} allows no value; give low < high")
            lo[c.column], hi[c.column] = max(lo[c.column], low), min(hi[c.column], high)
    inequalities = [c for c in constraints if isinstance(c, Inequality)]
    for _ in range(len(per_column) + 1):  # propagate bounds along the inequalities
        for c in inequalities:
            lo[c.high] = max(lo[c.high], lo[c.low])
            hi[c.low] = min(hi[c.low], hi[c.high])
    for col in per_column:
        if lo[col] > hi[col]:
            involved = [c.describe() for c in constraints if col in c.columns]
            raise ConfigError(f"constraints {involved} contradict each other: no value of {col!r} can meet them all; "
                              "remove or correct one")
    # a strict inequality on a cycle of inequalities: no row can meet them
    nodes = sorted({col for c in inequalities for col in c.columns})
    index = {c: i for i, c in enumerate(nodes)}
    reach = np.full((len(nodes), len(nodes)), -1)  # -1 no path, 0 a path, 1 a path through a strict step
    for c in inequalities:
        reach[index[c.low], index[c.high]] = max(reach[index[c.low], index[c.high]], int(c.strict))
    for k in range(len(nodes)):
        for i in range(len(nodes)):
            for j in range(len(nodes)):
                if reach[i, k] >= 0 and reach[k, j] >= 0:
                    reach[i, j] = max(reach[i, j], max(reach[i, k], reach[k, j]))
    for i, col in enumerate(nodes):
        if reach[i, i] == 1:
            involved = [c.describe() for c in inequalities if col in c.columns]
            raise ConfigError(f"constraints {involved} form a cycle with a strict inequality through {col!r}: no row "
                              "can meet them; remove or correct one")


def _choose_transforms(constraints, model: dict, per_column: dict) -> list[dict]:
    """The inequalities kept by a transform (``high`` modelled as ``high - low``), in restore order.

    One per ``high`` column, between columns of one model kind (integer counts: integers and
    datetimes; or continuous columns where ``low``'s precision is no finer than ``high``'s), and
    only when no training row has ``low`` missing with ``high`` present.
    """
    chosen, highs = [], set()
    for c in constraints:
        if not isinstance(c, Inequality) or c.high in highs:
            continue
        a = pd.to_numeric(model[c.low], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        b = pd.to_numeric(model[c.high], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        if (np.isnan(a) & ~np.isnan(b)).any():
            continue
        kinds = {per_column[c.low]["kind"], per_column[c.high]["kind"]}
        kind = "integer" if kinds <= {"integer", "datetime"} else "continuous" if kinds == {"continuous"} else None
        observed = b[~np.isnan(b)]
        info = {"min": float(observed.min()), "max": float(observed.max()), **precision(observed, kind or "continuous")}
        if kind == "continuous":
            low_digits = precision(a[~np.isnan(a)], "continuous")["decimals"]
            if info["decimals"] is None or low_digits is None or low_digits > info["decimals"] or info["step"] \
                    or info["float32"]:
                continue
        if kind is None:
            continue
        chosen.append({"low": c.low, "high": c.high, "kind": kind, "info": info})
        highs.add(c.high)
    # restore order: a transform whose low is another's high comes after it
    ordered, pending = [], list(chosen)
    while pending:
        ready = [t for t in pending if t["low"] not in {p["high"] for p in pending if p is not t}]
        if not ready:  # a cycle of inequalities (non-strict): keep the rest as checks only
            break
        ordered += ready
        pending = [t for t in pending if t not in ready]
    return ordered
