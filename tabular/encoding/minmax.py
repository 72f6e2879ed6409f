"""Min-max scaling and one-hot encoding: the original tabular study's encoding.

:class:`MinMaxOneHotEncoder` represents a numeric column as one ``tanh`` scalar,
``2 (x - min) / (max - min) - 1`` in ``[-1, 1]`` (plus the shared ``missing`` span when the
column has missing values), and every discrete column — the target included — as a one-hot block
over all its categories (no drop-first). Generators with a ``tanh`` output over the whole row fit
it directly: decoding takes each block's argmax and clips scalars to ``[-1, 1]``.
"""

from __future__ import annotations

import numpy as np

from tabular.encoding.base import Encoder, Span, register_encoder


@register_encoder
class MinMaxOneHotEncoder(Encoder):
    """Numbers min-max scaled to ``[-1, 1]``, categories one-hot.

    Args:
        column_types: Overrides ``{column: kind}``; other columns are inferred.
        seed: Seed of the fill values of missing numbers.

    Example:
        >>> enc = MinMaxOneHotEncoder().fit(adult)
        >>> x = enc.transform(adult)          # (32561, 110) float32
        >>> back = enc.inverse_transform(x)   # equals adult
    """

    name = "minmax_onehot"

    def _numeric_spans(self, col, info, start):
        return [Span(col, "value", start, 1, "tanh")]

    def _encode_numeric(self, values, info, rng) -> dict:
        lo, hi = info["min"], info["max"]
        # divide first: 2 * (values - lo) overflows for a range such as [0, 9e307]
        scaled = np.zeros_like(values) if hi == lo else 2.0 * ((values - lo) / (hi - lo)) - 1.0
        return {"value": scaled.astype(np.float32)}

    def _decode_numeric_tf(self, col, info, parts):
        import tensorflow as tf

        scaled = tf.clip_by_value(tf.cast(parts[(col, "value")], tf.float64), -1.0, 1.0)
        return (scaled + 1.0) / 2.0 * (info["max"] - info["min"]) + info["min"]
