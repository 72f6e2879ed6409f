"""Helpers for ``tf.distribute``: loss scaling in hand-written ``train_step`` methods."""

from __future__ import annotations

import tensorflow as tf


def num_replicas() -> int:
    """Replicas of the current ``tf.distribute`` strategy (1 outside any strategy)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_for_replicas(loss):
    """Divide a per-replica mean loss by the replica count before taking gradients.

    Under ``MirroredStrategy`` each replica sees ``global_batch / n`` rows and ``fit`` *sums* the
    replicas' gradients, so a per-replica batch mean must be divided by ``n`` for the update to
    equal the single-device update on the global batch. Log trackers with the unscaled value.
    """
    n = num_replicas()
    return loss if n == 1 else loss / tf.cast(n, loss.dtype)
