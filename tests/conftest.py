"""Test configuration: split the CPU into two logical devices for MirroredStrategy tests.

Logical devices must be configured before TensorFlow initialises its runtime, so this happens at
import time, before any test module creates a tensor.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

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
