"""Graph-mode row sampler: noise -> network -> decoded rows, with guaranteed conditions.

One implementation serves :meth:`tabular.synth.Synthesizer.sample` and the exported SavedModel,
so Python and a plain-TensorFlow user get the same rows for the same seed.

Decoding (all TensorFlow ops, constants from the transformer's JSON state):

- value heads: ``tanh``; the VAE adds its learned ``sigma`` times a normal draw (TVAE's
  sampling), clipped to ``[-1, 1]``; ``x = alpha * 4 std_k + mean_k`` with ``k`` the decoded
  mode, clipped to the fitted ``[min, max]`` and rounded to the fitted number of decimals
  (integers: 0);
- softmax spans: ``argmax`` of the logits (``discrete="argmax"``) or a Gumbel-max draw from
  them (``discrete="sample"``); a decoded ``missing`` flag turns the value into NaN.

Conditions: a mask ``allowed`` over the concatenated discrete spans (ones where no condition
applies). Rows are drawn in rounds and kept when every discrete column decodes into an allowed
category (rejection sampling: the kept rows follow the model's conditional distribution); after
``max_rounds`` rounds the rows still missing are drawn with the disallowed logits masked out
(forcing), so the condition always holds. A conditional GAN also receives the condition in its
conditional vector. ``forced`` counts forced rows.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from genlab.errors import InvalidValueError, UnknownNameError
from tabular.synth.transformer import MixedTransformer

#: Disallowed logits are pushed down by this much when forcing a condition.
_MASK = 1e9


class GraphSampler:
    """Decode network outputs into row codes and sample rows under conditions, in graph mode.

    Args:
        transformer: The fitted :class:`MixedTransformer`.
        network: ``raw(noise, cond) -> (batch, output_width)``: a callable on tensors.
        latent_dim: Noise width.
        latent: ``(eps, seed) -> z``: maps standard normal noise to the network's input (the VAE's
            mixture prior, :meth:`TabularVAE.latent_from_noise`), or ``None`` (noise as is).
        sigma: ``(n_value_heads,)`` tensor/variable of the VAE's output noise, or ``None``.
        discrete: ``"argmax"`` or ``"sample"`` (Gumbel-max) for softmax spans.
        max_rounds: Rejection rounds before forcing.

    Row codes are float64 ``(n, n_columns)``: the value of a numeric column (NaN = missing), the
    category index of a discrete one (``len(categories)`` = missing).
    """

    def __init__(self, transformer: MixedTransformer, network, latent_dim: int, sigma=None,
                 discrete: str = "argmax", max_rounds: int = 20, latent=None):
        if discrete not in ("argmax", "sample"):
            raise UnknownNameError(f"unknown discrete decoding {discrete!r}; expected 'argmax' or 'sample'")
        transformer.check_fitted()
        self.t, self.network, self.latent_dim = transformer, network, int(latent_dim)
        self.sigma, self.discrete, self.max_rounds = sigma, discrete, int(max_rounds)
        self.latent = latent
        self.columns = transformer.columns_
        self.n_columns = len(self.columns)
        disc = transformer.discrete_spans_
        self.disc_spans = [(s.column, s.start, s.dim) for s in disc]
        offsets = np.cumsum([0] + [s.dim for s in disc])
        self.disc_offsets = offsets
        self.disc_dim = int(offsets[-1])
        names, span_id, freq = [], [], []
        for j, s in enumerate(disc):
            info = transformer.info(s.column)
            names += [f"{s.column}={label}" for label in transformer.category_labels(s.column)]
            span_id += [j] * s.dim
            freq += [f / len(disc) for f in info["frequencies"]]
        self.condition_names = names
        self.span_id = np.asarray(span_id, np.int32)
        self.freq_logits = np.log(np.maximum(np.asarray(freq, np.float64), 1e-12)).astype(np.float32)

    # ------------------------------------------------------------------------------ conditions
    def allowed_from_dict(self, conditions) -> np.ndarray:
        """``{column: value or [values]}`` -> float32 mask over the discrete positions.

        Raises:
            UnknownNameError: A column that is not a fitted discrete column.
            InvalidValueError: A value that is not one of the column's categories.
        """
        allowed = np.ones(self.disc_dim, np.float32)
        discrete = {c: (j, start) for j, (c, start, _) in enumerate(self.disc_spans)}
        for col, wanted in (conditions or {}).items():
            if col not in discrete:
                kind = self.t.kinds_.get(col)
                fix = (f"{col!r} is {kind}: conditions apply to categorical/boolean columns; declare it "
                       f"column_types={{{col!r}: 'categorical'}} to condition on it" if kind else
                       f"known discrete columns: {[c for c, _, _ in self.disc_spans]}")
                raise UnknownNameError(f"cannot condition on column {col!r}; {fix}")
            j, _ = discrete[col]
            labels = self.t.category_labels(col)
            values = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
            if len(values) == 0:
                raise InvalidValueError(f"condition on {col!r} lists no value; give one value or a list of values")
            lo, hi = self.disc_offsets[j], self.disc_offsets[j + 1]
            allowed[lo:hi] = 0.0
            for v in values:
                label = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                if label not in labels or (label == "" and not self.t.info(col)["has_missing"]):
                    shown = [lab for lab in labels if lab != ""][:10]
                    raise InvalidValueError(f"condition {col!r} = {v!r} is not a category of {col!r} (known: "
                                            f"{shown}{'...' if len(labels) > 10 else ''}); use one of them")
                allowed[lo + labels.index(label)] = 1.0
        return allowed

    def allowed_from_strings(self, conditions: tf.Tensor) -> tf.Tensor:
        """In-graph: ``["column=value", ...]`` -> mask; an unknown entry fails an assertion."""
        names = tf.constant(self.condition_names if self.condition_names else [""], tf.string)
        eq = tf.equal(tf.reshape(conditions, (-1, 1)), tf.reshape(names, (1, -1)))  # (k, D)
        found = tf.reduce_any(eq, axis=1)
        check = tf.debugging.Assert(tf.reduce_all(found), [
            "unknown condition; expected 'column=value' with a categorical/boolean column and one of its "
            "categories; got:", tf.boolean_mask(conditions, tf.logical_not(found))], summarize=5)
        with tf.control_dependencies([check]):
            requested = tf.cast(tf.reduce_any(eq, axis=0), tf.float32)[:self.disc_dim]  # (D,)
        if self.disc_dim == 0:
            return tf.ones((0,), tf.float32)
        has = tf.math.unsorted_segment_max(requested, self.span_id, len(self.disc_spans))  # (n_spans,)
        has_pos = tf.gather(has, self.span_id) > 0
        return tf.where(has_pos, requested, tf.ones_like(requested))

    # ------------------------------------------------------------------------------ decoding
    def _cond_vector(self, allowed, batch, seed):
        """GAN conditional vector: a random allowed position of a conditioned column, or a position
        drawn from the training frequencies when nothing is conditioned."""
        if self.disc_dim == 0:
            return tf.zeros((batch, 0), tf.float32)
        conditioned = tf.reduce_any(allowed < 1.0)
        has = tf.math.unsorted_segment_min(allowed, self.span_id, len(self.disc_spans)) < 1.0
        restricted = tf.cast(tf.gather(has, self.span_id), tf.float32) * allowed
        logits = tf.where(conditioned, tf.math.log(restricted + 1e-30), tf.constant(self.freq_logits))
        pos = tf.random.stateless_categorical(logits[None, :], batch, seed)[0]  # (batch,)
        return tf.one_hot(pos, self.disc_dim, dtype=tf.float32)

    def raw(self, noise, allowed, seed):
        cond = self._cond_vector(allowed, tf.shape(noise)[0], seed)
        if self.latent is not None:
            noise = self.latent(noise, seed + tf.constant([0, 11], tf.int64))
        return self.network(noise, cond)

    def _pick(self, logits, seed, penalty=None):
        if self.discrete == "sample":
            u = tf.random.stateless_uniform(tf.shape(logits), seed, 1e-10, 1.0)
            logits = logits - tf.math.log(-tf.math.log(u))
        if penalty is not None:
            logits = logits + penalty
        return tf.argmax(logits, axis=1, output_type=tf.int32)

    def decode(self, raw, seed, allowed, force: bool):
        """``raw`` -> ``(codes (n, n_columns) float64, match (n,) bool)``."""
        raw = tf.cast(raw, tf.float32)
        n = tf.shape(raw)[0]
        codes, match, value_i, k = {}, tf.ones((n,), tf.bool), 0, 0
        for span in self.t.spans_:
            k += 1
            s_seed = seed + tf.constant([0, 1000], tf.int64) * k
            block = raw[:, span.start:span.stop]
            if span.role == "value":
                alpha = tf.tanh(block[:, 0])
                if self.sigma is not None:
                    sigma = tf.cast(self.sigma, tf.float32)[value_i]
                    alpha = alpha + sigma * tf.random.stateless_normal(tf.shape(alpha), s_seed)
                codes[(span.column, "value")] = tf.clip_by_value(alpha, -1.0, 1.0)
                value_i += 1
            elif span.role == "category":
                j = [c for c, _, _ in self.disc_spans].index(span.column)
                lo, hi = int(self.disc_offsets[j]), int(self.disc_offsets[j + 1])
                ok = allowed[lo:hi]
                free = self._pick(block, s_seed)
                match = tf.logical_and(match, tf.gather(ok, free) > 0)
                codes[(span.column, "category")] = self._pick(block, s_seed, (ok - 1.0) * _MASK) if force else free
            else:
                codes[(span.column, span.role)] = self._pick(block, s_seed)
        out = []
        for col in self.columns:
            info = self.t.info(col)
            if info["kind"] in ("continuous", "integer"):
                out.append(self._numeric(col, info, codes))
            else:
                out.append(tf.cast(codes[(col, "category")], tf.float64))
        return tf.stack(out, axis=1), match  # (n, n_columns), (n,)

    def _numeric(self, col, info, codes):
        mode = codes[(col, "mode")]
        means = tf.constant(info["means"], tf.float64)
        stds = tf.constant(info["stds"], tf.float64)
        alpha = tf.cast(codes[(col, "value")], tf.float64)
        value = alpha * 4.0 * tf.gather(stds, mode) + tf.gather(means, mode)
        value = tf.clip_by_value(value, info["min"], info["max"])
        if info["decimals"] is not None:
            scale = 10.0 ** info["decimals"]
            value = tf.round(value * scale) / scale
        if info["has_missing"]:
            value = tf.where(codes[(col, "missing")] == 1, tf.constant(np.nan, tf.float64), value)
        return value

    # ------------------------------------------------------------------------------ sampling
    def noise(self, n, seed):
        return tf.random.stateless_normal((n, self.latent_dim), seed)

    def sample_codes(self, n, seed, allowed):
        """``n`` rows satisfying ``allowed``: ``(codes (n, n_columns), forced)``; ``seed`` int64 scalar."""
        n = tf.cast(n, tf.int32)
        base = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        constrained = tf.reduce_any(allowed < 1.0) if self.disc_dim else tf.constant(False)
        size = tf.where(constrained, tf.maximum(4 * n, 256), n)

        def one_round(r, batch, force):
            rs = base + tf.stack([tf.constant(0, tf.int64), 7919 * (tf.cast(r, tf.int64) + 1)])
            raw = self.raw(self.noise(batch, rs), allowed, rs + tf.constant([0, 1], tf.int64))
            return self.decode(raw, rs + tf.constant([0, 2], tf.int64), allowed, force)

        def body(r, acc):
            codes, match = one_round(r, size, False)
            return r + 1, tf.concat([acc, tf.boolean_mask(codes, match)], axis=0)

        acc0 = tf.zeros((0, self.n_columns), tf.float64)
        _, acc = tf.while_loop(lambda r, acc: tf.logical_and(tf.shape(acc)[0] < n, r < self.max_rounds), body,
                               [tf.constant(0), acc0],
                               shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, self.n_columns])])
        forced = tf.maximum(n - tf.shape(acc)[0], 0)
        filled, _ = one_round(self.max_rounds, forced, True)
        rows = tf.concat([acc[:n], filled], axis=0)
        rows = tf.random.experimental.stateless_shuffle(rows, base + tf.constant([0, 3], tf.int64))
        return rows, forced

    # ------------------------------------------------------------------------------ outputs
    def to_outputs(self, codes) -> dict:
        """Row codes -> ``{column: tensor}`` in the original schema: strings for categorical
        columns (``""`` = missing), bool for booleans without missing values (strings otherwise),
        int64 for integer columns without missing values, float64 (NaN = missing) else."""
        out = {}
        for i, col in enumerate(self.columns):
            info, c = self.t.info(col), codes[:, i]
            if info["kind"] in ("continuous", "integer"):
                if info["kind"] == "integer" and not info["has_missing"]:
                    out[col] = tf.cast(tf.round(c), tf.int64)
                else:
                    out[col] = c
            elif info["kind"] == "boolean" and not info["has_missing"]:
                out[col] = tf.equal(tf.cast(c, tf.int32), 1)
            else:
                vocab = tf.constant(self.t.category_labels(col), tf.string)
                out[col] = tf.gather(vocab, tf.cast(c, tf.int32))
        return out
