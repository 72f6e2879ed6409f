"""Column kinds of real-world tables, in front of any encoder.

An encoder (:mod:`tabular.encoding.base`) models four *model kinds*: ``continuous``, ``integer``,
``categorical`` and ``boolean``. A real table holds more; each kind below turns its column into at
most one model column and back, so every encoder — and every model behind it — handles them:

==================  ======================================================  ==============================
kind                model column                                            sampled rows
==================  ======================================================  ==============================
``datetime``        integer counts of the learned unit (day, hour, minute,   the input's dtype (naive or
                    second, ms, us, ns) since 1970-01-01 UTC; missing kept   tz-aware) or string format
``high_cardinality`` the ``keep`` most frequent categories, the others as    the tail bucket drawn by the
                    one bucket category                                       categories' frequencies
``id``              none                                                     unique new values: integers
                                                                             after the largest, or keys in
                                                                             the training layout
``pii``, ``text``   none                                                     format-preserving fakes (or
                                                                             the column left out)
``constant``        none                                                     the value
``empty``           none                                                     all missing, the input dtype
basic kinds         the column itself                                        (the encoder's decoding)
==================  ======================================================  ==============================

:func:`detect_column` chooses a kind from the dtype, the values (on a sample) and the column name.
Generated values are never training values: identifiers and fakes equal to one are drawn again
(:class:`~tabular.encoding.patterns.ValueHashes`).
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InvalidValueError
from tabular.encoding.columns import KINDS as MODEL_KINDS
from tabular.encoding.columns import infer_kind, is_integer_valued, json_value, numeric_values
from tabular.encoding.patterns import EMAIL, FakeText, KeyPattern, ValueHashes

#: Every column kind a user can declare.
KINDS = MODEL_KINDS + ("datetime", "high_cardinality", "id", "pii", "text", "constant", "empty")
#: Kinds whose values are generated after sampling (not modelled).
GENERATED = ("id", "pii", "text")
#: A categorical column with more distinct values than this is detected as ``high_cardinality``.
HIGH_CARDINALITY = 1000
#: Categories a ``high_cardinality`` column keeps in the model by default.
KEEP = 200
#: Options each kind takes (besides ``kind``), with their defaults.
OPTIONS = {"datetime": {"format": None}, "high_cardinality": {"keep": KEEP}, "id": {"repeats": False},
           "pii": {"entity": "other", "handling": "fake"}, "text": {"handling": "fake"}}
ENTITIES = ("name", "email", "phone", "address", "other")
HANDLINGS = ("fake", "drop")

#: Datetime string formats tried on a sample, in order (the first that parses every sampled value and
#: writes it back unchanged wins).
DATETIME_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M",
    "%d.%m.%Y", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y", "%m-%d-%Y", "%d %b %Y", "%d-%b-%Y", "%b %d, %Y", "%d %B %Y",
    "%B %d, %Y")
#: Datetime units, coarse to fine, in nanoseconds.
UNITS = {"D": 86_400 * 10**9, "h": 3_600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
UNIT_NAMES = {"D": "day", "h": "hour", "m": "minute", "s": "second", "ms": "millisecond", "us": "microsecond",
              "ns": "nanosecond"}

_NAME_WORDS = {"name": {"name", "names", "firstname", "lastname", "surname", "forename", "fullname", "first",
                        "last", "given", "middle"},
               "email": {"email", "mail", "emails"}, "phone": {"phone", "telephone", "tel", "mobile", "cell", "fax"},
               "address": {"address", "street", "addr"}}
_ID_WORDS = {"id", "key", "uuid", "guid", "number", "no", "num", "nr", "code", "ref", "identifier"}
_PHONE = re.compile(r"^\+?[\d\s().-]{7,24}$")
_PERSON = re.compile(r"^[A-Z][A-Za-z'’.-]*( [A-Z][A-Za-z'’.-]*){1,3}$")


def name_words(column: str) -> set[str]:
    """Lower-case words of a column name (``c_jailIn`` -> ``{"c", "jail", "in"}``; ``e-mail`` -> ``{"email"}``)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column).replace("e-mail", "email").replace("E-mail", "email")
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def _is_text_dtype(series: pd.Series) -> bool:
    return (pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_object_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype))


def datetime_format(strings) -> str | None:
    """The first of :data:`DATETIME_FORMATS` that parses every string and writes it back unchanged
    (else the first that parses every string; ``None`` when none does)."""
    strings = pd.Series(list(strings), dtype=object)
    if not len(strings) or not strings.map(lambda v: isinstance(v, str)).all():
        return None
    parsing = None
    for fmt in DATETIME_FORMATS:
        parsed = pd.to_datetime(strings, format=fmt, errors="coerce")
        if parsed.isna().any():
            continue
        if (parsed.dt.strftime(fmt) == strings).mean() >= 0.95:
            return fmt
        parsing = parsing or fmt
    return parsing


def detect_column(series: pd.Series, column: str) -> dict:
    """``{"kind": ..., options..., "reason": "..."}`` for one column (see the module docstring)."""
    observed = series.dropna()
    n = len(observed)
    if n == 0:
        return {"kind": "empty", "reason": "every value is missing"}
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return {"kind": "datetime", "format": None, "reason": f"{series.dtype} values"}
    if pd.api.types.is_bool_dtype(series.dtype):
        return {"kind": "boolean", "reason": "bool dtype"}
    words = name_words(column)
    uniques = pd.unique(observed) if not isinstance(series.dtype, pd.CategoricalDtype) else observed.unique()
    if len(uniques) == 1 and n == len(series):
        return {"kind": "constant", "reason": f"a single value ({uniques[0]!r})"}
    if pd.api.types.is_numeric_dtype(series.dtype):
        kind = infer_kind(series)
        if kind == "integer" and len(uniques) == n and n >= 20:
            values = np.sort(observed.to_numpy(np.float64))
            dense = values[-1] - values[0] + 1 <= 1.5 * n
            if words & _ID_WORDS or dense:
                why = "a name of identifiers" if words & _ID_WORDS else "a dense sequence"
                return {"kind": "id", "reason": f"unique integers, {why}"}
        return {"kind": kind, "reason": "numbers" + (" (all whole)" if kind == "integer" else "")}
    if not _is_text_dtype(series):
        return {"kind": "categorical", "reason": f"{series.dtype} values"}
    if infer_kind(series) == "boolean":
        return {"kind": "boolean", "reason": "True / False values"}
    sample = pd.Series(np.asarray(uniques[:400], dtype=object))  # object: a Categorical's map stays categorical
    if sample.map(lambda v: isinstance(v, str)).all():
        strings = sample.astype(str)
        fmt = datetime_format(strings[:200])
        if fmt is not None:
            return {"kind": "datetime", "format": fmt, "reason": f"date strings in format {fmt!r}"}
        unique_share = len(uniques) / n
        email = strings.map(lambda v: bool(EMAIL.match(v))).mean()
        if email >= 0.9:
            return {"kind": "pii", "entity": "email", "handling": "fake", "reason": "e-mail addresses"}
        for entity in ("name", "email", "phone", "address"):
            if words & _NAME_WORDS[entity] and len(uniques) > 20 and unique_share > 0.2:
                return {"kind": "pii", "entity": entity, "handling": "fake",
                        "reason": f"the column name suggests {entity}s; {len(uniques):,} distinct values"}
        phone = strings.map(lambda v: bool(_PHONE.match(v)) and sum(c.isdigit() for c in v) >= 7
                            and any(c in v for c in " -().+")).mean()
        if phone >= 0.9 and unique_share > 0.5:
            return {"kind": "pii", "entity": "phone", "handling": "fake", "reason": "phone numbers"}
        if strings.map(lambda v: bool(_PERSON.match(v))).mean() >= 0.9 and unique_share > 0.5 and len(uniques) > 50:
            return {"kind": "pii", "entity": "name", "handling": "fake", "reason": "capitalised person-like names"}
        lengths = strings.str.len()
        has_space = strings.str.contains(r"\s", regex=True).mean()
        if unique_share == 1.0 and n >= 20 and has_space < 0.05 and lengths.max() <= 64:
            return {"kind": "id", "reason": f"unique strings in layout {KeyPattern.learn(strings).describe()}"}
        if unique_share >= 0.5 and len(uniques) > 20 and has_space < 0.05 and lengths.max() <= 64:
            # most values occur once: a key (a customer id seen a few times), never to be copied out
            return {"kind": "id", "repeats": True, "reason": f"{unique_share:.0%} distinct strings in layout "
                                                              f"{KeyPattern.learn(strings).describe()}"}
        word_count = strings.str.split().str.len().mean()
        if unique_share >= 0.5 and len(uniques) > 20 and (word_count >= 4 or (lengths.mean() >= 30 and has_space > 0.5)):
            return {"kind": "text", "handling": "fake", "reason": f"free text ({word_count:.1f} words on average)"}
    if len(uniques) > HIGH_CARDINALITY:
        return {"kind": "high_cardinality", "keep": KEEP,
                "reason": f"{len(uniques):,} categories (more than {HIGH_CARDINALITY:,})"}
    return {"kind": "categorical", "reason": f"{len(uniques)} categories"}


def check_spec(column: str, spec: dict) -> dict:
    """A column's metadata entry with defaults filled in.

    Raises:
        ConfigError: An unknown kind, an unknown option, or a bad option value.
    """
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
        received = spec.get("kind") if isinstance(spec, dict) else spec
        raise ConfigError(f"column {column!r}: kind {received!r} is not a column kind; expected one of {list(KINDS)}")
    kind = spec["kind"]
    defaults = OPTIONS.get(kind, {})
    unknown = sorted(set(spec) - {"kind", "reason"} - set(defaults))
    if unknown:
        raise ConfigError(f"column {column!r} ({kind}) has unknown option(s) {unknown}; {kind} takes "
                          f"{sorted(defaults) or 'no options'}")
    out = {"kind": kind, **defaults, **{k: v for k, v in spec.items() if k != "kind"}}
    if kind == "high_cardinality" and (isinstance(out["keep"], bool) or not isinstance(out["keep"], int)
                                       or not 1 <= out["keep"] <= 10_000):
        raise ConfigError(f"column {column!r}: keep must be an int in [1, 10000], received {out['keep']!r}")
    if kind in ("pii", "text") and out["handling"] not in HANDLINGS:
        raise ConfigError(f"column {column!r}: handling must be one of {list(HANDLINGS)}, received {out['handling']!r}")
    if kind == "pii" and out["entity"] not in ENTITIES:
        raise ConfigError(f"column {column!r}: entity must be one of {list(ENTITIES)}, received {out['entity']!r}")
    if kind == "datetime" and out["format"] is not None and not isinstance(out["format"], str):
        raise ConfigError(f"column {column!r}: format must be a strftime string or None, received {out['format']!r}")
    return out


# ---------------------------------------------------------------------------------------------- kinds
class Kind:
    """How one kind of column becomes a model column and comes back.

    States are plain JSON dicts (``fit`` returns one); ``to_model`` / ``from_model`` work on pandas,
    ``output_tf`` on tensors (the SavedModel).
    """

    #: Whether the column has a model column.
    modelled: ClassVar[bool] = True

    def fit(self, series: pd.Series, column: str, spec: dict, rng: np.random.Generator) -> dict:
        return {"kind": spec["kind"], "dtype": str(series.dtype)}

    def model_kind(self, state: dict) -> str:
        return state["kind"]

    def to_model(self, series: pd.Series, column: str, state: dict) -> pd.Series:
        return series

    def from_model(self, values: pd.Series | None, state: dict, n: int, seed: int, column_index: int,
                   restriction=None) -> pd.Series:
        return values

    def output_tf(self, value, state: dict, n, seed, column_index: int):
        """The SavedModel output from the model column's output (``None``: the column is left out)."""
        return value

    def export_view(self, series: pd.Series, state: dict) -> np.ndarray:
        """What the SavedModel returns for a sampled Python column (to compare them)."""
        return series

    def describe(self, state: dict) -> str:
        return state["kind"]


class Basic(Kind):
    """``continuous``, ``integer``, ``categorical``, ``boolean``: the encoder's own kinds, passed through."""

    def describe(self, state):
        return ""  # the detection reason says it


def _series(values, dtype: str, index=None) -> pd.Series:
    """``values`` as a Series of ``dtype`` when it can hold them (else as they are)."""
    series = pd.Series(values, index=index)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


class Datetime(Kind):
    """Datetimes as integer counts of a learned unit since 1970-01-01 UTC."""

    @staticmethod
    def nanoseconds(series: pd.Series, column: str, fmt: str | None) -> tuple[np.ndarray, np.ndarray]:
        """``(int64 nanoseconds since 1970 UTC, missing mask)``.

        Raises:
            InvalidValueError: Values that do not parse in ``fmt`` (or as dates).
        """
        missing = series.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            parsed = series
        else:
            try:
                parsed = pd.to_datetime(series, format=fmt, errors="coerce") if fmt else pd.to_datetime(
                    series, errors="coerce")
            except (TypeError, ValueError) as exc:  # e.g. mixed time zones
                raise InvalidValueError(f"column {column!r} is datetime but its values do not parse ({exc}); clean "
                                        "them or declare another kind") from exc
            bad = parsed.isna().to_numpy() & ~missing
            if bad.any():
                examples = series[bad].astype(str).unique()[:3].tolist()
                raise InvalidValueError(
                    f"column {column!r} is datetime{f' in format {fmt!r}' if fmt else ''} but {int(bad.sum())} values "
                    f"do not parse, e.g. {examples}; clean them, declare the format with metadata.update_column("
                    f"{column!r}, kind='datetime', format='...'), or declare the column 'categorical'")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = parsed.astype("datetime64[ns]").to_numpy().view(np.int64).copy()
        ns[missing] = 0
        return ns, missing

    def fit(self, series, column, spec, rng):
        fmt = spec.get("format")
        if fmt is None and not pd.api.types.is_datetime64_any_dtype(series.dtype):
            fmt = datetime_format(series.dropna().astype(str).unique()[:200])
            if fmt is None:
                examples = series.dropna().astype(str).unique()[:3].tolist()
                raise InvalidValueError(f"column {column!r} is declared datetime but its values, e.g. {examples}, "
                                        "match no known date format; declare it with metadata.update_column("
                                        f"{column!r}, kind='datetime', format='%d/%m/%Y ...') or another kind")
        ns, missing = self.nanoseconds(series, column, fmt)
        observed = ns[~missing]
        unit = next(u for u, size in UNITS.items() if np.all(observed % size == 0))
        tz = getattr(series.dt, "tz", None) if pd.api.types.is_datetime64_any_dtype(series.dtype) else None
        return {"kind": "datetime", "dtype": str(series.dtype), "format": fmt, "tz": None if tz is None else str(tz),
                "unit": unit, "min": int(observed.min() // UNITS[unit]), "max": int(observed.max() // UNITS[unit]),
                "has_missing": bool(missing.any())}

    def model_kind(self, state):
        return "integer"

    def to_model(self, series, column, state):
        ns, missing = self.nanoseconds(series, column, state["format"])
        units = ns // UNITS[state["unit"]]
        if not missing.any():
            return pd.Series(units, index=series.index)
        out = pd.array(units, dtype="Int64")
        out[missing] = pd.NA
        return pd.Series(out, index=series.index)

    def to_timestamps(self, units, state: dict) -> pd.Series:
        """Counts of the unit -> timestamps in the column's time zone (NaT where missing)."""
        values = pd.to_numeric(pd.Series(units), errors="coerce").to_numpy(np.float64, na_value=np.nan)
        missing = np.isnan(values)
        ns = np.where(missing, 0, values).astype(np.int64) * UNITS[state["unit"]]
        stamps = pd.Series(pd.to_datetime(ns, unit="ns"))
        stamps[missing] = pd.NaT
        if state["tz"] is not None:
            stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(state["tz"])
        return stamps

    def from_model(self, values, state, n, seed, column_index, restriction=None):
        stamps = self.to_timestamps(values, state).set_axis(values.index)
        if state["format"] is None:
            return _series(stamps, state["dtype"], values.index)
        text = stamps.dt.strftime(state["format"])
        return _series(text.where(stamps.notna(), None), state["dtype"], values.index)

    def bound(self, value, state: dict, column: str, up: bool) -> float:
        """A condition / constraint bound (date string, Timestamp, datetime64) in the column's units
        (rounded inward: ``up`` for a lower bound)."""
        try:
            if isinstance(value, str) and state["format"]:
                stamp = pd.to_datetime(value, format=state["format"], errors="coerce")
                stamp = pd.Timestamp(value) if pd.isna(stamp) else stamp
            else:
                stamp = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"{value!r} is not a date for datetime column {column!r} ({exc}); give a date "
                                    "string such as '2013-01-31' or a pd.Timestamp") from exc
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        elif state["tz"] is not None:
            stamp = stamp.tz_localize(state["tz"]).tz_convert("UTC").tz_localize(None)
        ns = stamp.as_unit("ns").value
        size = UNITS[state["unit"]]
        return float(-(-ns // size) if up else ns // size)

    def output_tf(self, value, state, n, seed, column_index):
        import tensorflow as tf

        return tf.cast(value, tf.float64) * (UNITS[state["unit"]] / 1e9)  # seconds since 1970 UTC, NaN = missing

    def export_view(self, series, state):
        ns, missing = self.nanoseconds(series, "", state["format"])
        return np.where(missing, np.nan, (ns // UNITS[state["unit"]]) * (UNITS[state["unit"]] / 1e9))

    def describe(self, state):
        lo, hi = (self.to_timestamps([state[k]], state)[0] for k in ("min", "max"))
        how = f"strings {state['format']!r}" if state["format"] else state["dtype"]
        return f"{how}, per {UNIT_NAMES[state['unit']]}, {lo} .. {hi}"


class HighCardinality(Kind):
    """The ``keep`` most frequent categories; the others share one bucket category in the model and
    are drawn by their training frequencies when sampling (model width independent of cardinality)."""

    def fit(self, series, column, spec, rng):
        counts = series.dropna().map(json_value).value_counts(sort=False)
        labels = np.asarray([str(v) for v in counts.index], dtype=object)
        order = np.lexsort((labels, -counts.to_numpy()))  # most frequent first, ties by label
        values, freq = [counts.index[i] for i in order], counts.to_numpy()[order]
        keep = min(spec["keep"], len(values))
        known = {str(v) for v in values}
        bucket = "<other>"
        while bucket in known:
            bucket = f"<{bucket}>"
        return {"kind": "high_cardinality", "dtype": str(series.dtype), "keep": spec["keep"],
                "kept": values[:keep], "tail": values[keep:], "tail_counts": freq[keep:].tolist(),
                "bucket": bucket, "n_categories": len(values)}

    def model_kind(self, state):
        return "categorical"

    def to_model(self, series, column, state):
        missing = series.isna().to_numpy()
        labels = series.map(lambda v: str(json_value(v)), na_action="ignore").to_numpy(dtype=object)
        kept = pd.Index([str(v) for v in state["kept"]])
        out = np.where(kept.get_indexer(labels) >= 0, labels, state["bucket"]).astype(object)
        out[missing] = None
        return pd.Series(out, index=series.index, dtype=object)

    @staticmethod
    def tail_draw_tf(n, state: dict, seed, column_index: int, restriction=None):
        """int32 indices into the tail, drawn by frequency (among ``restriction`` when given), with
        a stateless seed: the same in Python and in the SavedModel."""
        import tensorflow as tf

        counts = np.asarray(state["tail_counts"], np.float64)
        if restriction is not None:
            keep = np.zeros(len(counts), bool)
            keep[np.asarray(restriction, np.int64)] = True
            counts = np.where(keep, counts, 0.0)
        cdf = tf.constant(np.cumsum(counts) / counts.sum(), tf.float64)
        pair = tf.stack([tf.cast(seed, tf.int64), tf.constant(7_001 + 13 * column_index, tf.int64)])
        u = tf.random.stateless_uniform(tf.reshape(tf.cast(n, tf.int32), (1,)), pair, dtype=tf.float64)
        return tf.minimum(tf.searchsorted(cdf, u, side="right", out_type=tf.int32), len(counts) - 1)

    def from_model(self, values, state, n, seed, column_index, restriction=None):
        by_label = {str(v): v for v in state["kept"]}
        objs = np.asarray([by_label.get(v) if isinstance(v, str) else None for v in values], dtype=object)
        bucket = (values == state["bucket"]).to_numpy()
        if bucket.any():
            drawn = self.tail_draw_tf(len(values), state, seed, column_index, restriction).numpy()
            tail = np.empty(len(state["tail"]), dtype=object)
            tail[:] = state["tail"]
            objs[bucket] = tail[drawn[bucket]]
        return _series(objs, state["dtype"], values.index)

    def output_tf(self, value, state, n, seed, column_index):
        import tensorflow as tf

        if not state["tail"]:
            return value
        tail = tf.constant([str(v) for v in state["tail"]], tf.string)
        drawn = tf.gather(tail, self.tail_draw_tf(tf.shape(value)[0], state, seed, column_index))
        return tf.where(tf.equal(value, state["bucket"]), drawn, value)

    def describe(self, state):
        return (f"{state['n_categories']:,} categories: {len(state['kept'])} kept, {len(state['tail']):,} in a tail "
                "bucket drawn by frequency")


class Identifier(Kind):
    """Unique identifiers: integers continue after the largest training value; strings are new keys
    in the training layouts. Never a training value."""

    modelled = False

    def fit(self, series, column, spec, rng):
        observed = series.dropna()
        duplicated = observed[observed.duplicated()]
        if len(duplicated) and not spec.get("repeats"):
            raise InvalidValueError(
                f"column {column!r} is an id but holds {len(duplicated)} repeated values, e.g. "
                f"{duplicated.astype(str).unique()[:3].tolist()}; declare it 'categorical' or 'high_cardinality' "
                "(metadata.update_column(column, kind=...)), deduplicate it, or allow repeated keys (generated "
                "keys stay unique) with {'kind': 'id', 'repeats': True}")
        state = {"kind": "id", "dtype": str(series.dtype), "missing_rate": float(series.isna().mean())}
        if pd.api.types.is_numeric_dtype(series.dtype):
            values = numeric_values(series, column, "integer")
            if not is_integer_valued(values[~np.isnan(values)]):
                raise InvalidValueError(f"column {column!r} is an id but holds fractional numbers; declare it "
                                        "'continuous' or round it")
            return {**state, "integer": True, "max": int(np.nanmax(values)), "min": int(np.nanmin(values))}
        strings = observed.astype(str)
        return {**state, "integer": False, "pattern": KeyPattern.learn(strings).get_state(),
                "hashes": ValueHashes.of(strings, rng).get_state()}

    @staticmethod
    def _missing_tf(n, state, seed, column_index):
        import tensorflow as tf

        pair = tf.stack([tf.cast(seed, tf.int64), tf.constant(9_001 + 13 * column_index, tf.int64)])
        return tf.random.stateless_uniform(tf.reshape(tf.cast(n, tf.int32), (1,)), pair, dtype=tf.float64) \
            < state["missing_rate"]

    def generate(self, n: int, state: dict, seed: int, column_index: int, rng) -> pd.Series:
        if state["integer"]:
            values = pd.array(state["max"] + 1 + np.arange(n), dtype="Int64")
            if state["missing_rate"] > 0:
                values[self._missing_tf(n, state, seed, column_index).numpy()] = pd.NA
                return _series(values, state["dtype"] if state["dtype"].startswith(("float", "Int")) else "Int64")
            return _series(values.to_numpy(np.int64), state["dtype"])
        keys = np.asarray(KeyPattern.from_state(state["pattern"]).generate(
            n, rng, ValueHashes.from_state(state["hashes"])), dtype=object)
        keys[rng.random(n) < state["missing_rate"]] = None
        return _series(keys, state["dtype"])

    def output_tf(self, value, state, n, seed, column_index):
        import tensorflow as tf

        if not state["integer"]:
            return None
        ids = state["max"] + 1 + tf.range(tf.cast(n, tf.int64))
        if state["missing_rate"] > 0:
            return tf.where(self._missing_tf(n, state, seed, column_index), tf.constant(np.nan, tf.float64),
                            tf.cast(ids, tf.float64))
        return ids

    def export_view(self, series, state):
        return series.to_numpy(np.float64, na_value=np.nan) if state["missing_rate"] > 0 else series.to_numpy()

    def describe(self, state):
        if state["integer"]:
            return f"integer ids {state['min']}..{state['max']}; new ids continue after {state['max']}"
        return f"keys in layout {KeyPattern.from_state(state['pattern']).describe()}; new keys in the layout"


class Fake(Kind):
    """Personal data and free text: format-preserving fakes (``handling="fake"``) or left out (``"drop"``)."""

    modelled = False

    def fit(self, series, column, spec, rng):
        strings = series.dropna().astype(str)
        state = {"kind": spec["kind"], "dtype": str(series.dtype), "handling": spec["handling"],
                 "entity": spec.get("entity", "text"), "missing_rate": float(series.isna().mean())}
        if spec["handling"] == "drop":
            return state
        return {**state, "fake": FakeText.learn(strings, rng, email=state["entity"] == "email").get_state(),
                "hashes": ValueHashes.of(strings, rng).get_state()}

    def generate(self, n, state, seed, column_index, rng):
        fakes = np.asarray(FakeText.from_state(state["fake"]).generate(n, rng, ValueHashes.from_state(state["hashes"])),
                           dtype=object)
        fakes[rng.random(n) < state["missing_rate"]] = None
        return _series(fakes, state["dtype"])

    def output_tf(self, value, state, n, seed, column_index):
        return None

    def describe(self, state):
        what = state["entity"] if state["kind"] == "pii" else "free text"
        if state["handling"] == "drop":
            return f"{what}: left out of sampled rows"
        return f"{what}: format-preserving fakes ({FakeText.from_state(state['fake']).describe()})"


class Constant(Kind):
    """One value in every row."""

    modelled = False

    def fit(self, series, column, spec, rng):
        observed = series.dropna()
        values = observed.unique()
        if len(values) != 1 or len(observed) != len(series):
            raise InvalidValueError(f"column {column!r} is declared constant but holds {len(values)} distinct values"
                                    f"{' and missing values' if len(observed) != len(series) else ''}; declare "
                                    "another kind")
        value = values[0]
        stored = str(value) if isinstance(value, (pd.Timestamp, np.datetime64)) else json_value(value)
        return {"kind": "constant", "dtype": str(series.dtype), "value": stored}

    def generate(self, n, state, seed, column_index, rng):
        return _series([state["value"]] * n, state["dtype"])

    def output_tf(self, value, state, n, seed, column_index):
        import tensorflow as tf

        v = state["value"]
        dtype = (tf.bool if isinstance(v, bool) else tf.int64 if isinstance(v, int)
                 else tf.float64 if isinstance(v, float) else tf.string)
        return tf.fill(tf.reshape(tf.cast(n, tf.int32), (1,)), tf.constant(v if dtype != tf.string else str(v), dtype))

    def export_view(self, series, state):
        return series.astype(str).to_numpy() if isinstance(state["value"], str) else series.to_numpy()

    def describe(self, state):
        return f"the value {state['value']!r} in every row"


class Empty(Kind):
    """Every value missing."""

    modelled = False

    def generate(self, n, state, seed, column_index, rng):
        return _series([None] * n, state["dtype"])

    def output_tf(self, value, state, n, seed, column_index):
        import tensorflow as tf

        shape = tf.reshape(tf.cast(n, tf.int32), (1,))
        if state["dtype"].startswith(("float", "int", "Int", "uint", "UInt")):
            return tf.fill(shape, tf.constant(np.nan, tf.float64))
        return tf.fill(shape, "")

    def export_view(self, series, state):
        if state["dtype"].startswith(("float", "int", "Int", "uint", "UInt")):
            return np.full(len(series), np.nan)
        return np.full(len(series), "", dtype=object)

    def describe(self, state):
        return "every value missing"


#: The handler of every kind.
HANDLERS: dict[str, Kind] = {**{k: Basic() for k in MODEL_KINDS}, "datetime": Datetime(),
                             "high_cardinality": HighCardinality(), "id": Identifier(), "pii": Fake(), "text": Fake(),
                             "constant": Constant(), "empty": Empty()}
