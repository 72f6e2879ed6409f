"""Graph-mode row sampler: noise -> network -> decoded rows, with conditions met by the model.

One implementation serves :meth:`Synthesizer.sample` and the exported SavedModel, so Python and a
plain-TensorFlow user get the same rows for the same seed.

Decoding (TensorFlow ops; constants from the encoder's JSON state):

- scalar heads: ``tanh`` (unless the network's output is already activated) or identity, plus an
  optional learned output noise (TVAE's ``sigma``); the encoder then maps them back to values,
  clipped to the fitted range and rounded to the fitted precision;
- softmax heads: ``argmax`` (``discrete="argmax"``) or a Gumbel-max draw (``discrete="sample"``).

Conditions (:class:`Conditions`): allowed categories of discrete columns and ``[low, high]``
ranges of numeric ones. Each model is asked for rows that meet them where it can be — a
conditional vector (CTGAN, cGAN) or a conditional latent prior (TVAE), each drawing the
requested category of the most restrictive conditioned column with its training frequency — and
rows are then kept only when every condition holds (rejection: kept rows follow the model's
conditional distribution, so the other columns stay consistent with the condition). Rounds are
sized from the acceptance rate seen so far; nothing is ever forced. When ``max_candidates``
rows were drawn without enough matches, :meth:`GraphSampler.sample_codes` reports it and the
caller raises (Python) or an assertion fails (SavedModel).
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np
import tensorflow as tf

from genlab.errors import InvalidValueError, UnknownNameError
from tabular.encoding.base import DISCRETE_KINDS, NUMERIC_KINDS, Encoder

#: Rows drawn per round at most (bounds memory whatever ``n`` is).
MAX_ROUND = 65536


class Conditions(NamedTuple):
    """Conditions as tensors the graph understands.

    Attributes:
        allowed: float32 ``(disc_dim,)``: 1 where a category is allowed (every position of an
            unconditioned column is 1).
        low, high: float64 ``(n_columns,)``: the allowed range of numeric columns (``-inf`` /
            ``inf`` when unconditioned; ignored for discrete columns).
    """

    allowed: object
    low: object
    high: object


class GraphSampler:
    """Decode network outputs into row codes and sample rows under conditions, in graph mode.

    Args:
        encoder: The fitted :class:`~tabular.encoding.Encoder`.
        network: ``(latent, cond) -> (batch, output_width)`` on tensors (``cond`` is the
            conditional vector of ``cond_vector``, or ``None``).
        latent_dim: Noise width.
        latent: ``(eps, seed, position) -> latent``: maps standard normal noise to the network's
            input (e.g. a mixture prior, conditional on the row's position), or ``None`` (noise as is).
        cond_vector: ``position -> (batch, k)`` conditional vector, or ``None``.
        position: How each row's *conditioning position* (a discrete position: ``column=category``)
            is drawn when no condition restricts it: ``None`` — none (``-1``); ``"any"`` — a
            discrete column uniformly, then a category by training frequency (CTGAN); a column name
            — a category of that column by training frequency (a model conditioned on one column).
            With conditions, the position is drawn among the allowed categories of the most
            restrictive conditioned column (or of the named column), by training frequency.
        value_noise: ``(n_scalar_heads,)`` tensor of an output noise scale (TVAE's ``sigma``), or ``None``.
        discrete: ``"argmax"`` or ``"sample"`` (Gumbel-max) for softmax heads.
        activated: The network's scalar heads are already activated (a ``tanh`` output layer).
        max_candidates: Rows drawn at most per call is ``max(max_candidates, 200 * n)``.

    Row codes are float64 ``(n, n_columns)``: the value of a numeric column (NaN = missing), the
    category index of a discrete one (``len(categories)`` = missing).
    """

    def __init__(self, encoder: Encoder, network: Callable, latent_dim: int, latent: Callable | None = None,
                 cond_vector: Callable | None = None, position: str | None = None, value_noise=None,
                 discrete: str = "argmax", activated: bool = False, max_candidates: int = 2_000_000):
        if discrete not in ("argmax", "sample"):
            raise UnknownNameError(f"unknown discrete decoding {discrete!r}; expected 'argmax' or 'sample'")
        encoder.check_fitted()
        self.encoder, self.network, self.latent_dim = encoder, network, int(latent_dim)
        self.latent, self.cond_vector, self.value_noise = latent, cond_vector, value_noise
        if position not in (None, "any") and position not in encoder.columns_:
            raise UnknownNameError(f"position must be None, 'any' or a discrete column, received {position!r}")
        self.position = position
        self.discrete, self.activated, self.max_candidates = discrete, bool(activated), int(max_candidates)
        self.columns = encoder.columns_
        self.n_columns = len(self.columns)
        disc = encoder.discrete_spans_
        self.disc_columns = [s.column for s in disc]
        self.disc_offsets = np.cumsum([0] + [s.dim for s in disc]).astype(np.int64)
        self.disc_dim = int(self.disc_offsets[-1])
        names, span_id, freq = [], [], []
        for j, s in enumerate(disc):
            names += [f"{s.column}={label}" for label in encoder.category_labels(s.column)]
            span_id += [j] * s.dim
            freq += encoder.info(s.column)["frequencies"]
        #: ``"column=label"`` of every discrete position (the export's condition strings).
        self.condition_names = names
        self.span_id = np.asarray(span_id, np.int32)
        #: Training frequency of every discrete position (within its column).
        self.frequencies = np.asarray(freq, np.float32)
        self.column_index = np.asarray([self.columns.index(c) for c in self.disc_columns], np.int32)

    # ------------------------------------------------------------------------------ conditions
    def unconditioned(self) -> Conditions:
        return Conditions(np.ones(self.disc_dim, np.float32), np.full(self.n_columns, -np.inf),
                          np.full(self.n_columns, np.inf))

    def conditions_from_dict(self, conditions: Mapping | None) -> Conditions:
        """``{column: value | [values] | (low, high)}`` -> :class:`Conditions`.

        A discrete column takes one category or a list of categories (``None`` = the missing
        value); a numeric column takes a ``(low, high)`` range (inclusive; ``None`` for an open end).

        Raises:
            UnknownNameError: A column the synthesizer was not fitted on.
            InvalidValueError: A value that is not a category, an empty list, a malformed or empty
                range, or a range outside the fitted ``[min, max]``.
        """
        cond = self.unconditioned()
        allowed, low, high = cond.allowed.copy(), cond.low.copy(), cond.high.copy()
        for col, wanted in (conditions or {}).items():
            if col not in self.columns:
                raise UnknownNameError(f"cannot condition on column {col!r}: the synthesizer was fitted on "
                                       f"columns {self.columns}")
            info = self.encoder.info(col)
            if info["kind"] in DISCRETE_KINDS:
                j = self.disc_columns.index(col)
                lo = self.disc_offsets[j]
                allowed[lo:self.disc_offsets[j + 1]] = 0.0
                for index in self._category_indices(col, info, wanted):
                    allowed[lo + index] = 1.0
            else:
                i = self.columns.index(col)
                low[i], high[i] = self._numeric_range(col, info, wanted)
        return Conditions(allowed, low, high)

    @staticmethod
    def _category_indices(col: str, info: dict, wanted) -> list[int]:
        values = list(wanted) if isinstance(wanted, (list, set, frozenset)) else [wanted]
        if not values:
            raise InvalidValueError(f"condition on {col!r} lists no value; give one value or a list of values")
        by_label = {str(c): i for i, c in enumerate(info["categories"])}
        out = []
        for v in values:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                if not info["has_missing"]:
                    raise InvalidValueError(f"condition {col!r} = missing, but {col!r} had no missing value when "
                                            "fitted; condition on one of its categories")
                out.append(len(info["categories"]))
                continue
            key = str(v)
            if info["kind"] == "boolean" and isinstance(v, str):
                key = str(v.strip().lower() == "true") if v.strip().lower() in ("true", "false") else key
            if key not in by_label:
                shown = [str(c) for c in info["categories"][:10]]
                raise InvalidValueError(f"condition {col!r} = {v!r} is not a category of {col!r} (known: {shown}"
                                        f"{'...' if len(info['categories']) > 10 else ''}); use one of them")
            out.append(by_label[key])
        return out

    @staticmethod
    def _numeric_range(col: str, info: dict, wanted) -> tuple[float, float]:
        if not (isinstance(wanted, tuple) and len(wanted) == 2):
            raise InvalidValueError(f"condition on numeric column {col!r} must be a (low, high) range, received "
                                    f"{wanted!r}; e.g. conditions={{{col!r}: ({info['min']}, {info['max']})}}")
        low = -np.inf if wanted[0] is None else float(wanted[0])
        high = np.inf if wanted[1] is None else float(wanted[1])
        if np.isnan(low) or np.isnan(high) or low > high:
            raise InvalidValueError(f"condition range {wanted!r} on {col!r} is empty or not numeric; give "
                                    "(low, high) with low <= high")
        if high < info["min"] or low > info["max"]:
            raise InvalidValueError(f"condition range {wanted!r} on {col!r} lies outside the fitted range "
                                    f"[{info['min']}, {info['max']}]; the synthesizer never generates such values")
        return low, high

    def conditions_from_strings(self, strings) -> Conditions:
        """In-graph: ``["column=value", ...]`` -> conditions on discrete columns (an unknown entry
        fails an assertion naming it)."""
        names = tf.constant(self.condition_names if self.condition_names else ["\x00"], tf.string)
        eq = tf.equal(tf.reshape(strings, (-1, 1)), tf.reshape(names, (1, -1)))  # (k, D)
        found = tf.reduce_any(eq, axis=1)
        check = tf.debugging.Assert(tf.reduce_all(found), [
            "unknown condition; expected 'column=value' with a categorical/boolean column and one of its "
            "categories; got:", tf.boolean_mask(strings, tf.logical_not(found))], summarize=5)
        with tf.control_dependencies([check]):
            requested = tf.cast(tf.reduce_any(eq, axis=0), tf.float32)[:self.disc_dim]  # (D,)
        if self.disc_dim:
            has = tf.math.unsorted_segment_max(requested, self.span_id, len(self.disc_columns))  # (n_spans,)
            requested = tf.where(tf.gather(has, self.span_id) > 0, requested, tf.ones_like(requested))
        inf = tf.fill((self.n_columns,), tf.constant(np.inf, tf.float64))
        return Conditions(requested, -inf, inf)

    def positions(self, cond: Conditions, batch, seed):
        """Each row's conditioning position (int64 ``(batch,)``, ``-1`` = none); see ``position``."""
        allowed = tf.convert_to_tensor(cond.allowed, tf.float32)
        n_spans = len(self.disc_columns)
        if self.disc_dim == 0:
            return tf.fill((batch,), tf.constant(-1, tf.int64))
        if self.position not in (None, "any"):
            on = tf.constant(self.span_id == self.disc_columns.index(self.position), tf.float32)
            logits = tf.math.log(on * allowed * self.frequencies + 1e-30)
            return tf.random.stateless_categorical(logits[None, :], batch, seed)[0]
        share = tf.math.unsorted_segment_sum(allowed * self.frequencies, self.span_id, n_spans)
        restricted = tf.math.unsorted_segment_min(allowed, self.span_id, n_spans) < 1.0
        best = tf.argmin(tf.where(restricted, share, tf.fill(tf.shape(share), 2.0)), output_type=tf.int32)
        on_best = tf.cast(tf.equal(self.span_id, best), tf.float32)
        logits = tf.where(tf.reduce_any(restricted), tf.math.log(on_best * allowed * self.frequencies + 1e-30),
                          tf.math.log(self.frequencies / n_spans + 1e-30))
        drawn = tf.random.stateless_categorical(logits[None, :], batch, seed)[0]
        if self.position == "any":
            return drawn
        return tf.where(tf.reduce_any(restricted), drawn, tf.constant(-1, tf.int64))

    # ------------------------------------------------------------------------------ decoding
    def _pick(self, logits, seed):
        if self.discrete == "sample":
            u = tf.random.stateless_uniform(tf.shape(logits), seed, 1e-10, 1.0)
            logits = logits - tf.math.log(-tf.math.log(u))
        return tf.argmax(logits, axis=1, output_type=tf.int32)

    def raw(self, noise, cond: Conditions, seed):
        """Network outputs for standard normal ``noise`` (batch, latent_dim)."""
        position = self.positions(cond, tf.shape(noise)[0], seed + [0, 5])
        vector = None if self.cond_vector is None else self.cond_vector(position)
        latent = noise if self.latent is None else self.latent(noise, seed + [0, 11], position)
        return self.network(latent, vector)

    def decode(self, raw, seed):
        """``raw`` -> row codes ``(n, n_columns)`` float64."""
        raw = tf.cast(raw, tf.float32)
        parts, k, scalar = {}, 0, 0
        for span in self.encoder.spans_:
            k += 1
            s_seed = seed + tf.constant([0, 1000], tf.int64) * k
            block = raw[:, span.start:span.stop]
            if span.activation == "softmax":
                parts[(span.column, span.role)] = self._pick(block, s_seed)
                continue
            value = block[:, 0] if self.activated or span.activation == "linear" else tf.tanh(block[:, 0])
            if self.value_noise is not None:
                value = value + tf.cast(self.value_noise, tf.float32)[scalar] * tf.random.stateless_normal(
                    tf.shape(value), s_seed)
            parts[(span.column, span.role)] = value
            scalar += 1
        return self.encoder.codes_tf(parts)

    def matches(self, codes, cond: Conditions):
        """Rows whose every discrete code is allowed and every numeric value inside its range
        (a missing value matches only an unconditioned column)."""
        n = tf.shape(codes)[0]
        ok = tf.ones((n,), tf.bool)
        if self.disc_dim:
            cats = tf.cast(tf.gather(codes, self.column_index, axis=1), tf.int64)  # (n, n_disc)
            positions = cats + self.disc_offsets[:-1][None, :]
            ok = tf.reduce_all(tf.gather(tf.convert_to_tensor(cond.allowed, tf.float32), positions) > 0, axis=1)
        low = tf.convert_to_tensor(cond.low, tf.float64)
        high = tf.convert_to_tensor(cond.high, tf.float64)
        numeric = np.asarray([self.encoder.kinds_[c] in NUMERIC_KINDS for c in self.columns])
        if numeric.any():
            idx = np.nonzero(numeric)[0]
            values, lo, hi = tf.gather(codes, idx, axis=1), tf.gather(low, idx), tf.gather(high, idx)
            unconditioned = tf.logical_and(tf.math.is_inf(lo), tf.math.is_inf(hi))[None, :]
            inside = tf.logical_and(values >= lo[None, :], values <= hi[None, :])
            ok = tf.logical_and(ok, tf.reduce_all(tf.logical_or(unconditioned, inside), axis=1))
        return ok

    # ------------------------------------------------------------------------------ sampling
    def noise(self, n, seed):
        return tf.random.stateless_normal((n, self.latent_dim), seed)

    def _split(self, n, cond: Conditions, seed):
        """Where a condition allows several categories of a column, how many of the ``n`` rows each gets.

        The most restrictive conditioned discrete column's allowed categories share the rows by
        their training frequencies (a multinomial draw), so ``{"city": ["Oslo", "Perth"]}`` with
        training shares 0.30 / 0.10 gives about 3 : 1 whatever the model's own balance.

        Returns:
            ``(positions (k,), counts (k,))``; a position of ``-1`` keeps ``cond`` as it is.
        """
        none = (tf.constant([-1], tf.int64), tf.reshape(n, (1,)))
        if self.disc_dim == 0:
            return none
        allowed = tf.convert_to_tensor(cond.allowed, tf.float32)
        n_spans = len(self.disc_columns)
        restricted = tf.math.unsorted_segment_min(allowed, self.span_id, n_spans) < 1.0
        share = tf.math.unsorted_segment_sum(allowed * self.frequencies, self.span_id, n_spans)
        best = tf.argmin(tf.where(restricted, share, tf.fill(tf.shape(share), 2.0)), output_type=tf.int32)
        on = tf.logical_and(tf.equal(self.span_id, best), allowed > 0)
        positions = tf.where(tf.logical_and(on, tf.reduce_any(restricted)))[:, 0]  # (k,)
        # one more, never drawn class, so that an empty set of positions still makes a valid draw
        weights = tf.concat([tf.gather(tf.constant(self.frequencies), positions), [0.0]], axis=0)
        draws = tf.random.stateless_categorical(tf.math.log(weights + 1e-30)[None, :], tf.cast(n, tf.int32), seed)[0]
        counts = tf.math.bincount(tf.cast(draws, tf.int32), minlength=tf.size(positions) + 1, dtype=tf.int64)
        return tf.cond(tf.size(positions) > 1, lambda: (positions, counts[:tf.size(positions)]), lambda: none)

    def _only(self, cond: Conditions, position) -> Conditions:
        """``cond`` with the column of ``position`` restricted to that one category (``-1``: unchanged)."""
        if self.disc_dim == 0:
            return cond
        allowed = tf.convert_to_tensor(cond.allowed, tf.float32)
        column = tf.gather(self.span_id, tf.maximum(position, 0))
        single = tf.where(tf.equal(self.span_id, column),
                          tf.cast(tf.equal(tf.range(self.disc_dim, dtype=tf.int64), position), tf.float32), allowed)
        return Conditions(tf.where(position >= 0, single, allowed), cond.low, cond.high)

    def _reject(self, n, base, cond: Conditions):
        """Rejection rounds until ``n`` rows meet ``cond`` or the candidate budget is spent."""
        limit = tf.maximum(tf.constant(self.max_candidates, tf.int64), 200 * n)

        def body(r, acc, drawn, accepted):
            need = n - tf.cast(tf.shape(acc)[0], tf.int64)
            rate = (tf.cast(accepted, tf.float64) + 1.0) / (tf.cast(drawn, tf.float64) + 1.0)
            wanted = tf.cast(tf.math.ceil(tf.cast(need, tf.float64) / tf.minimum(rate, 1.0) * 1.1), tf.int64)
            size = tf.where(drawn == accepted, need, wanted + 16)  # every row matched so far: no margin
            size = tf.clip_by_value(size, 1, tf.minimum(tf.constant(MAX_ROUND, tf.int64), limit - drawn))
            rs = base + tf.stack([tf.constant(0, tf.int64), 7919 * (tf.cast(r, tf.int64) + 1)])
            codes = self.decode(self.raw(self.noise(size, rs), cond, rs + [0, 1]), rs + [0, 2])
            kept = tf.boolean_mask(codes, self.matches(codes, cond))
            return (r + 1, tf.concat([acc, kept], axis=0), drawn + size,
                    accepted + tf.cast(tf.shape(kept)[0], tf.int64))

        def more(r, acc, drawn, accepted):
            return tf.logical_and(tf.cast(tf.shape(acc)[0], tf.int64) < n, drawn < limit)

        zero = tf.constant(0, tf.int64)
        _, acc, drawn, accepted = tf.while_loop(
            more, body, [tf.constant(0), tf.zeros((0, self.n_columns), tf.float64), zero, zero],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, self.n_columns]), tf.TensorShape([]),
                              tf.TensorShape([])])
        return acc[:n], drawn, accepted

    def sample_codes(self, n, seed, cond: Conditions):
        """``n`` rows meeting ``cond`` (several allowed categories share the rows as :meth:`_split` says).

        Returns:
            ``(codes (m, n_columns), drawn, accepted)`` with ``m <= n``: fewer than ``n`` rows only when
            ``max(max_candidates, 200 n)`` candidates of some part held too few matches.
        """
        n = tf.cast(n, tf.int64)
        base = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        positions, counts = self._split(n, cond, base + [0, 4])

        def body(i, acc, drawn, accepted):
            part_seed = base + tf.stack([tf.constant(0, tf.int64), 104729 * tf.cast(i, tf.int64)])
            rows, d, a = self._reject(counts[i], part_seed, self._only(cond, positions[i]))
            return i + 1, tf.concat([acc, rows], axis=0), drawn + d, accepted + a

        zero = tf.constant(0, tf.int64)
        _, acc, drawn, accepted = tf.while_loop(
            lambda i, *_: i < tf.size(positions), body,
            [tf.constant(0), tf.zeros((0, self.n_columns), tf.float64), zero, zero],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, self.n_columns]), tf.TensorShape([]),
                              tf.TensorShape([])])
        rows = tf.random.experimental.stateless_shuffle(acc, base + tf.constant([0, 3], tf.int64))
        return rows, drawn, accepted
