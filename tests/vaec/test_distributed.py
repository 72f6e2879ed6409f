"""One training step under MirroredStrategy on two logical CPUs equals the single-device step."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from vaec import VAEC, VAECConfig
from ..conftest import assert_same_step

CFG = VAECConfig(input_shape=(30,), n_classes=2, latent_dim=2, encoder_layers=(8,), head_layers=(6,))


def make_deterministic(model):
    # sigma = exp(-20): sampled z equals z_mean to float precision, so replicas and the single
    # device see the same z although their noise streams differ.
    layer = model.encoder.get_layer("z_log_var")
    kernel, bias = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.full_like(bias, -40.0)])


@pytest.mark.parametrize("strategy_name", VAEC.STRATEGIES)
def test_distributed_step_matches_single_device(two_cpu_strategy, strategy_name):
    data = load_breast_cancer()
    x = StandardScaler().fit_transform(data.data).astype(np.float32)[:32]
    y = data.target[:32]
    keras.utils.set_random_seed(0)
    single = VAEC(CFG)
    make_deterministic(single)
    weights = single.get_weights()
    with two_cpu_strategy.scope():
        dist = VAEC(CFG)
        dist.set_weights(weights)
        opt = keras.optimizers.SGD(0.05)  # SGD, not Adam: Adam's first step hides a scale error
    h_single = single.fit_strategy(strategy_name, x, y, epochs=1, batch_size=32, shuffle=False,
                                   verbose=0, optimizer=keras.optimizers.SGD(0.05))
    h_dist = dist.fit_strategy(strategy_name, x, y, epochs=1, batch_size=32, shuffle=False,
                               verbose=0, optimizer=opt)
    assert_same_step(single, dist, weights, h_single, h_dist)
