"""Quantile-normal encoding of numeric columns (TabDDPM's encoding, for diffusion models).

:class:`QuantileEncoder` follows the :class:`~tabular.encoding.base.Encoder` contract (kinds,
ranges, precision, missing values, categories, JSON state and in-graph decoding are the base
class's) and represents a numeric column in one of two ways:

many distinct values
    ``[value (linear, 1)]``: the value mapped through the column's empirical CDF ``F`` to a
    standard normal, ``z = Phi^-1(u)`` with ``u`` in ``F``'s jump at the value (the quantile
    normalisation of TabDDPM, Kotelnikov et al. 2023). The CDF is stored as a monotone
    piecewise-linear map between levels ``p`` and values ``q`` (the *knots*):

    - a column with at most ``max_support`` distinct values keeps them all: value ``v_k`` owns the
      level interval ``[F(v_k-), F(v_k)]`` (a flat segment of the map), so decoding is the exact
      step inverse and only fitted values come out (ages stay ages, ``capital-gain`` keeps its
      values and its 92 % spike at 0);
    - a column with more distinct values keeps ``n_quantiles`` interpolation knots plus a flat
      segment for every value holding at least ``1 / n_quantiles`` of the rows (exact spikes);
      decoding interpolates linearly between knots, then rounds to the learned precision.

    Ties (a value owning an interval of levels) are broken by drawing ``u`` uniformly inside the
    interval, so the encoded column is a continuous standard normal whatever its spikes — what a
    Gaussian diffusion models best — and any ``u`` inside decodes back to the value.
an integer column with at most ``max_levels`` distinct values (default 20)
    ``[mode (softmax, K)]``: one exact level per value, decoded back to the exact integer. Measured
    on Adult: as a quantile-normal number, ``education-num`` disagreed with ``education`` (a
    one-to-one pair) in 23 % of a diffusion model's rows; as levels, the categorical part of the
    model learns the pairing (2.7 %).

Missing numbers add the base class's ``missing`` block; categorical and boolean columns are one-hot.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from scipy import special

from genlab.errors import ConfigError, InvalidValueError
from tabular.encoding.base import Encoder, Span, register_encoder

#: Encoded values are clipped to ``[-Z_CLIP, Z_CLIP]`` (levels ``Phi(-5.2) ~ 1e-7`` from 0 and 1).
Z_CLIP = 5.2
_MINUS_INV_SQRT2 = -1.0 / np.sqrt(2.0)


def quantile_knots(observed: np.ndarray, max_support: int, n_quantiles: int) -> tuple[list, list]:
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


def quantile_levels(values: np.ndarray, p: np.ndarray, q: np.ndarray, rng) -> np.ndarray:
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


def decode_levels_tf(u, p, q):
    """Inverse CDF map in TensorFlow (float64): levels ``u`` -> values (linear between knots,
    flat segments exact)."""
    import tensorflow as tf

    p_t, q_t = tf.constant(p, tf.float64), tf.constant(q, tf.float64)
    j = tf.searchsorted(p_t[None, :], u[None, :], side="right")[0]
    j = tf.clip_by_value(j, 1, len(p) - 1)
    p0, p1, q0, q1 = (tf.gather(p_t, j - 1), tf.gather(p_t, j), tf.gather(q_t, j - 1), tf.gather(q_t, j))
    width = tf.where(p1 > p0, p1 - p0, tf.ones_like(p1))
    frac = tf.clip_by_value((u - p0) / width, 0.0, 1.0)
    return q0 + frac * (q1 - q0)


@register_encoder
class QuantileEncoder(Encoder):
    """Encode a DataFrame with quantile-normal numbers (exact levels for few-level integers).

    Args:
        column_types: Overrides ``{column: kind}``; other columns are inferred.
        max_levels: Integer columns with at most this many distinct values get one exact level
            each (a softmax block); default 20, 0 turns it off.
        max_support: Numeric columns with at most this many distinct values decode exactly to
            their fitted values (step inverse); default 1000.
        n_quantiles: Interpolation knots of columns with more distinct values; default 1000.
        seed: Seed of the tie-breaking draws and of the fill values of missing numbers.

    Example:
        >>> enc = QuantileEncoder().fit(frame)
        >>> x = enc.transform(frame)            # float32 (n, enc.output_width_)
        >>> back = enc.inverse_transform(x)     # the frame's schema and dtypes
    """

    name = "quantile"

    def __init__(self, column_types: Mapping[str, str] | None = None, max_levels: int = 20,
                 max_support: int = 1000, n_quantiles: int = 1000, seed: int = 0):
        super().__init__(column_types, seed)
        self.max_levels, self.max_support, self.n_quantiles = max_levels, max_support, n_quantiles

    def _check_params(self) -> None:
        super()._check_params()
        for name, low in (("max_levels", 0), ("max_support", 2), ("n_quantiles", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an int >= {low}, received {value!r}")

    def _params(self) -> dict:
        return {**super()._params(), "max_levels": int(self.max_levels), "max_support": int(self.max_support),
                "n_quantiles": int(self.n_quantiles)}

    def _fit_numeric(self, observed, info, rng) -> dict:
        levels = np.unique(observed)
        if info["kind"] == "integer" and len(levels) <= self.max_levels:
            return {"encoding": "levels", "levels": levels.tolist()}
        p, q = quantile_knots(observed, int(self.max_support), int(self.n_quantiles))
        return {"encoding": "quantile", "p": p, "q": q}

    def _numeric_spans(self, col, info, start):
        if info["encoding"] == "levels":
            return [Span(col, "mode", start, len(info["levels"]), "softmax")]
        return [Span(col, "value", start, 1, "linear")]

    def _encode_numeric(self, values, info, rng) -> dict:
        if info["encoding"] == "levels":
            levels = np.asarray(info["levels"])
            index = np.clip(np.searchsorted(levels, values), 0, len(levels) - 1)
            unseen = levels[index] != values
            if unseen.any():
                raise InvalidValueError(f"an integer column with levels {info['levels'][:8]} holds values "
                                        f"{np.unique(values[unseen])[:5].tolist()} not seen by fit; refit on data "
                                        "that holds them")
            return {"mode": np.eye(len(info["levels"]), dtype=np.float32)[index]}
        u = quantile_levels(values, np.asarray(info["p"]), np.asarray(info["q"]), rng)
        return {"value": np.clip(special.ndtri(u), -Z_CLIP, Z_CLIP).astype(np.float32)}

    def _decode_numeric_tf(self, col, info, parts):
        import tensorflow as tf

        if info["encoding"] == "levels":
            return tf.gather(tf.constant(info["levels"], tf.float64), parts[(col, "mode")])
        z = tf.cast(parts[(col, "value")], tf.float64)
        return decode_levels_tf(0.5 * tf.math.erfc(z * _MINUS_INV_SQRT2), info["p"], info["q"])
