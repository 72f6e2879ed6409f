"""Seeding helper for reproducible runs."""

from __future__ import annotations

import keras
import tensorflow as tf


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and the backend, optionally forcing deterministic TF ops.

    Args:
        seed: Non-negative integer seed.
        deterministic: Also call ``tf.config.experimental.enable_op_determinism()``; slower,
            and irreversible for the process.
    """
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
