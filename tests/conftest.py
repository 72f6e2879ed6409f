"""Test configuration: split the CPU into two logical devices for MirroredStrategy tests.

Logical devices must be configured before TensorFlow initialises its runtime, so this happens at
import time, before any test module creates a tensor.
"""

import os
import signal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(scope="session")
def two_cpu_strategy():
    """A MirroredStrategy over two logical CPU devices, shared by the session.

    One instance for the whole session: separate MirroredStrategy objects in one process have been
    seen to reuse collective-op instance keys and abort with shape mismatches. Gradients are
    reduced on one device, which is what a single-host CPU/GPU user gets by default anyway.
    """
    return tf.distribute.MirroredStrategy(
        ["/cpu:0", "/cpu:1"], cross_device_ops=tf.distribute.ReductionToOneDevice())


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def assert_same_step(single, dist, initial, h_single, h_dist, min_changed: int = 1):
    """A distributed step (2 replicas, each given a copy of the batch) equals the single-device step.

    Catches a loss not scaled for the replicas: the distributed weights would move twice as far.
    ``min_changed`` weight tensors must have moved, so an optimizer that did nothing cannot pass.
    """
    assert dist.distribute_strategy.num_replicas_in_sync == 2
    changed = 0
    for a, b, w0 in zip(single.get_weights(), dist.get_weights(), initial):
        np.testing.assert_allclose(b, a, atol=2e-5, rtol=1e-4)
        changed += not np.allclose(a, w0)
    assert changed >= min_changed
    for key, values in h_single.history.items():
        np.testing.assert_allclose(h_dist.history[key], values, rtol=1e-4, atol=1e-6)


class Count(keras.callbacks.Callback):
    """Records the epochs a fit trains (a resumed fit must not repeat a finished one)."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


class Stop(keras.callbacks.Callback):
    """Raise after the first batch of one (0-based) epoch, as a process stopped there would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.current = epoch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch:
            raise RuntimeError("stopped")


class Kill(Stop):
    """``SIGKILL`` this process after the second batch of one (0-based) epoch: nothing of Python runs
    after that, as after a crash."""

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)
