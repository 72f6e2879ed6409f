"""Mode-specific normalisation (CTGAN / TVAE encoding) of numeric columns.

:class:`ModeSpecificEncoder` represents a numeric column as
``[alpha (tanh, 1) | mode (softmax, K)]`` (plus the shared ``missing`` span): a Bayesian Gaussian
mixture (Dirichlet-process prior, up to ``max_modes`` components; Xu et al. 2019, "Modeling
Tabular Data using Conditional GAN") is fitted on the observed values; each value is assigned a
mode drawn from its posterior and encoded as ``alpha = (x - mean_k) / (4 std_k)`` clipped to
``[-0.99, 0.99]``. A value holding at least ``SPIKE_SHARE`` of the rows gets its own exact mode,
and a column with at most ``max_modes`` distinct values one exact mode per value, so they decode
exactly. Discrete columns are one-hot, and decoding, ranges, precision and dtypes are the
:class:`~tabular.encoding.base.Encoder`'s.
"""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np

from genlab.errors import ConfigError
from tabular.encoding.base import Encoder, Span, register_encoder

#: Share of rows from which a single numeric value becomes its own exact ("spike") mode.
SPIKE_SHARE = 0.05


@register_encoder
class ModeSpecificEncoder(Encoder):
    """Encode a DataFrame with mode-specific normalisation of its numeric columns.

    Args:
        column_types: Overrides ``{column: kind}``; other columns are inferred.
        max_modes: Components of each column's Bayesian Gaussian mixture (1..50, default 10).
        seed: Seed of the mixtures and of the mode draws during ``transform``.
        exact_values: A column with at most this many distinct values gets one exact mode per
            value (``None``: ``max_modes``; at most 1000).

    Example:
        >>> enc = ModeSpecificEncoder({"zip": "categorical"}).fit(frame)
        >>> x = enc.transform(frame)            # float32 (n, enc.output_width_)
        >>> back = enc.inverse_transform(x)     # frame's schema, dtypes restored
    """

    name = "mode_specific"

    def __init__(self, column_types: Mapping[str, str] | None = None, max_modes: int = 10, seed: int = 0,
                 exact_values: int | None = None):
        super().__init__(column_types, seed)
        self.max_modes, self.exact_values = max_modes, exact_values

    def _check_params(self) -> None:
        super()._check_params()
        if isinstance(self.max_modes, bool) or not isinstance(self.max_modes, int) or not 1 <= self.max_modes <= 50:
            raise ConfigError(f"max_modes must be an int in [1, 50], received {self.max_modes!r}")
        if self.exact_values is not None and (isinstance(self.exact_values, bool) or not isinstance(
                self.exact_values, int) or not 1 <= self.exact_values <= 1000):
            raise ConfigError(f"exact_values must be None or an int in [1, 1000], received {self.exact_values!r}")

    def _params(self) -> dict:
        return {**super()._params(), "max_modes": self.max_modes, "exact_values": self.exact_values}

    def _fit_numeric(self, observed, info, rng) -> dict:
        means, stds, weights, exact = fit_modes(observed, self.max_modes, int(rng.integers(2**31 - 1)),
                                                self.exact_values)
        return {"means": means, "stds": stds, "weights": weights, "exact": exact}

    def _numeric_spans(self, col, info, start):
        return [Span(col, "value", start, 1, "tanh"), Span(col, "mode", start + 1, len(info["means"]), "softmax")]

    def _encode_numeric(self, values, info, rng) -> dict:
        alpha, mode = encode_modes(values, info, rng)
        return {"value": alpha, "mode": np.eye(len(info["means"]), dtype=np.float32)[mode]}

    def _decode_numeric_tf(self, col, info, parts):
        import tensorflow as tf

        mode = parts[(col, "mode")]
        alpha = tf.clip_by_value(tf.cast(parts[(col, "value")], tf.float64), -1.0, 1.0)
        mean = tf.gather(tf.constant(info["means"], tf.float64), mode)
        value = alpha * 4.0 * tf.gather(tf.constant(info["stds"], tf.float64), mode) + mean
        # an exact mode (one value) decodes to its value, whatever the position head says
        exact = tf.gather(tf.constant(info.get("exact", [False] * len(info["means"])), tf.bool), mode)
        return tf.where(exact, mean, value)


def fit_modes(values: np.ndarray, max_modes: int, seed: int, exact_values: int | None = None
              ) -> tuple[list, list, list, list]:
    """Means, standard deviations, weights and exactness of the useful modes of a 1-D sample.

    A value holding at least ``SPIKE_SHARE`` of the rows becomes an *exact* mode (it decodes to
    that value); on the other values a Bayesian Gaussian mixture with a Dirichlet-process prior
    (concentration 1e-3) keeps only the components it needs; components weighing under 0.5 % are
    dropped, and values then left more than :data:`REACH` standard deviations from every kept
    component (a thin tail) get a component of their own, so the tail is decoded rather than cut.
    Columns with at most ``exact_values`` (default ``max_modes``) distinct values get one exact
    mode per value.
    """
    from sklearn.mixture import BayesianGaussianMixture

    values = values.astype(np.float64)
    spread = float(values.max() - values.min())
    # widths relative to the spread (not the magnitude: integers near 2**62 or values near 1e-12
    # keep their differences), never below what float64 resolves at the values' magnitude
    resolution = 8.0 * float(np.spacing(np.abs(values).max()))
    floor = max(1e-3 * spread, resolution)
    tiny = max(1e-6 * spread, resolution)
    uniques, counts = np.unique(values, return_counts=True)
    if len(uniques) <= (max_modes if exact_values is None else exact_values):
        # Few distinct values: one exact mode each (decoded without smearing into neighbours).
        return uniques.tolist(), [tiny] * len(uniques), (counts / counts.sum()).tolist(), [True] * len(uniques)
    # Spikes: a value holding >= SPIKE_SHARE of the rows (Adult: capital-gain 0 for 92 % of rows,
    # 40 hours a week for 47 %) gets its own exact mode instead of smearing into its neighbours;
    # the mixture models the remaining values.
    share = counts / counts.sum()
    spikes = uniques[share >= SPIKE_SHARE][: max_modes - 1]
    spike_w = share[share >= SPIKE_SHARE][: max_modes - 1]
    rest = values[~np.isin(values, spikes)]
    means, stds, weights = list(spikes), [tiny] * len(spikes), list(spike_w)
    if len(rest) and len(np.unique(rest)) > 1:
        # the mixture and the tails are fitted in units of the spread around its middle: squares of
        # values such as 1e300 overflow, and values near 2**62 or 1e-12 would lose their differences
        mid, scale = float(values.min()) + spread / 2, spread / 2
        rest = (rest - mid) / scale
        sample = rest if len(rest) <= 10000 else np.random.default_rng(seed).choice(rest, 10000, replace=False)
        mixture = BayesianGaussianMixture(
            n_components=max_modes - len(spikes), weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3, max_iter=100, n_init=1, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings on spiky integer columns
            mixture.fit(sample.reshape(-1, 1))
        keep = mixture.weights_ > 5e-3
        if not keep.any():
            keep = mixture.weights_ == mixture.weights_.max()
        rest_w = mixture.weights_[keep] / mixture.weights_[keep].sum()
        rest_means = mixture.means_[keep, 0]
        rest_stds = np.maximum(np.sqrt(mixture.covariances_[keep].reshape(-1)), floor / scale)
        rest_means, rest_stds, rest_w = _cover_tails(rest, rest_means, rest_stds, rest_w, floor / scale)
        means += (mid + rest_means * scale).tolist()
        stds += np.maximum(rest_stds * scale, floor).tolist()
        weights += (rest_w * (len(rest) / len(values))).tolist()
    elif len(rest):
        means.append(float(rest[0])), stds.append(floor), weights.append(len(rest) / len(values))
    exact = [True] * len(spikes) + [False] * (len(means) - len(spikes))
    order = np.argsort(means, kind="stable")
    weights = np.asarray(weights)[order]
    return (np.asarray(means)[order].tolist(), np.asarray(stds)[order].tolist(),
            (weights / weights.sum()).tolist(), np.asarray(exact)[order].tolist())


#: Standard deviations from a mode's mean that its position ``alpha`` (clipped to 0.99) reaches.
REACH = 3.96


def _cover_tails(values, means, stds, weights, floor):
    """Add a component for the values below / above the reach of every component.

    Measured on a ratio column with a thin right tail (real max 3.0): the components the mixture
    kept reached 0.92 at most, so no generated value went past it.
    """
    for _ in range(3):
        reach = np.min(np.abs(values[:, None] - means[None, :]) / (REACH * stds[None, :]), axis=1)
        outside = reach > 1.0
        if not outside.any():
            break
        centre = float(np.average(means, weights=weights))
        for side in (values < centre, values >= centre):
            tail = values[outside & side]
            if len(tail):
                means = np.append(means, tail.mean())
                stds = np.append(stds, max(float(tail.std()), float(np.ptp(tail)) / REACH, floor))
                weights = np.append(weights, len(tail) / len(values))
        weights = weights / weights.sum()
    return means, stds, weights


def encode_modes(values: np.ndarray, info: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha, mode)``: a mode drawn from each value's posterior, and the normalised value in it."""
    means, stds, weights = (np.asarray(info[k]) for k in ("means", "stds", "weights"))
    z = (values[:, None] - means[None, :]) / stds[None, :]
    log_post = np.log(weights)[None, :] - np.log(stds)[None, :] - 0.5 * z ** 2
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=1, keepdims=True)
    u = rng.random(len(values))[:, None]
    mode = np.minimum((post.cumsum(axis=1) < u).sum(axis=1), len(means) - 1)
    alpha = np.clip((values - means[mode]) / (4.0 * stds[mode]), -0.99, 0.99)
    return alpha.astype(np.float32), mode
