"""M2: one distributed step (MirroredStrategy, two logical CPUs) equals the single-device step.

Both replicas receive the same labelled and unlabelled rows and the same random draws, so the
single-device step on one copy is the reference; without the replica scaling of the loss the
distributed SGD update is twice as large.
"""

import keras
import numpy as np
import tensorflow as tf

from vaec import M2
from ..conftest import assert_same_step


def test_m2_distributed_step_matches_single_device(two_cpu_strategy):
    rng = np.random.default_rng(0)
    x_l, y_l = rng.uniform(0.05, 0.95, (6, 5)).astype(np.float32), np.arange(6, dtype=np.int32) % 3
    x_u = rng.uniform(0.05, 0.95, (8, 5)).astype(np.float32)

    def build():
        keras.utils.set_random_seed(0)
        return M2(5, 3, latent_dim=2, hidden=(4,), seed=1)

    single = build()
    weights = single.get_weights()
    single.compile(keras.optimizers.SGD(0.05))
    with two_cpu_strategy.scope():
        dist = build()
        dist.set_weights(weights)
        dist.compile(keras.optimizers.SGD(0.05))
    one = tf.data.Dataset.from_tensors(((x_l, y_l), x_u))
    two = tf.data.Dataset.from_tensors(((np.concatenate([x_l, x_l]), np.concatenate([y_l, y_l])),
                                        np.concatenate([x_u, x_u])))
    h_single = single.fit(one, epochs=1, verbose=0)
    h_dist = dist.fit(two, epochs=1, verbose=0)
    assert_same_step(single, dist, weights, h_single, h_dist)
