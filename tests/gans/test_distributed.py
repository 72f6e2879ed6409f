"""One train step under MirroredStrategy on two logical CPUs equals the single-device step.

The setup is deterministic although replicas draw other noise than the single device: the
generator's first layer is frozen with zero weights on the noise inputs (its output depends on
the label only), and the WGAN-GP critic is linear, so its input gradient (hence the penalty)
does not depend on the random interpolation weights.
"""

import keras
import numpy as np
import pytest

from gans import GAN, LSGAN, WGAN, WGANGP, mlp_critic
from genlab.layers import LayerSpec

CASES = {"gan": (GAN, 0, {"critic_steps": 1, "generator_steps": 2}, "tanh"),
         "lsgan": (LSGAN, 2, {"critic_steps": 2, "generator_steps": 1}, "tanh"),
         "wgan": (WGAN, 2, {"critic_steps": 2, "clip_value": 0.3}, "tanh"),
         "wgan_gp": (WGANGP, 2, {"critic_steps": 2}, None)}
LATENT = 3


def noise_free_generator(n_classes):
    inputs = keras.Input((LATENT + n_classes,))
    frozen = keras.layers.Dense(8, activation="tanh", trainable=False, name="frozen")
    h = keras.layers.Dense(2)(keras.layers.Dense(8, activation="tanh")(frozen(inputs)))
    model = keras.Model(inputs, h, name="generator")
    kernel, bias = frozen.get_weights()
    kernel[:LATENT] = 0.0  # noise rows: the output ignores the noise
    frozen.set_weights([kernel, np.linspace(-1, 1, 8).astype(np.float32)])
    return model


def build(case):
    cls, n_classes, kwargs, activation = CASES[case]
    critic = mlp_critic(2, (LayerSpec(8, activation),), n_classes=n_classes)
    return cls(noise_free_generator(n_classes), critic, n_classes=n_classes, seed=0, **kwargs)


@pytest.mark.parametrize("case", CASES)
def test_distributed_step_matches_single_device(two_cpu_strategy, case):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 2)).astype(np.float32)
    y = np.arange(16) % 2
    data = (x, y) if CASES[case][1] else (x,)
    keras.utils.set_random_seed(0)
    single = build(case)
    weights = single.get_weights()
    # SGD, not Adam: Adam's first step is invariant to the loss scale and would hide an error.
    single.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    with two_cpu_strategy.scope():
        dist = build(case)
        dist.set_weights(weights)
        dist.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    h_single = single.fit(*data, epochs=1, batch_size=16, shuffle=False, verbose=0)
    h_dist = dist.fit(*data, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert dist.distribute_strategy.num_replicas_in_sync == 2
    changed = 0
    for a, b, w0 in zip(single.get_weights(), dist.get_weights(), weights):
        np.testing.assert_allclose(b, a, atol=2e-5, rtol=1e-4)
        changed += not np.allclose(a, w0)
    assert changed >= 4  # both networks moved
    for key, values in h_single.history.items():
        np.testing.assert_allclose(h_dist.history[key], values, rtol=1e-4, atol=1e-6)
    labels = [0, 1, 1] if dist.conditional else None
    np.testing.assert_allclose(dist.generate(3, labels), single.generate(3, labels), atol=1e-5)
