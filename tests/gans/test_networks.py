"""Generator / critic builders: shapes, conditioning widths, BatchNorm detection, config round trip."""

import keras
import numpy as np
import pytest

from gans import dcgan_critic, dcgan_generator, has_batch_norm, mlp_critic, mlp_generator
from genlab.errors import ConfigError


def test_mlp_shapes_and_conditioning():
    g = mlp_generator(4, 3, (8,), output_activation="tanh", n_classes=2)
    c = mlp_critic(3, (8,), n_classes=2)
    assert g.input_shape == (None, 6) and g.output_shape == (None, 3)
    assert c.input_shape == (None, 5) and c.output_shape == (None, 1)
    assert np.abs(g(np.ones((2, 6), np.float32))).max() <= 1


def test_dcgan_shapes_and_batch_norm():
    g = dcgan_generator(16, n_classes=10, filters=(8, 4))
    c = dcgan_critic(n_classes=10, filters=(4, 8))
    assert g.input_shape == (None, 26) and g.output_shape == (None, 28, 28, 1)
    assert c.input_shape == (None, 28, 28, 11) and c.output_shape == (None, 1)
    assert has_batch_norm(g) and not has_batch_norm(c)
    assert has_batch_norm(dcgan_critic(batch_norm=True))
    outer = keras.Sequential([keras.Input((28, 28, 1)), dcgan_critic(batch_norm=True)])
    assert has_batch_norm(outer)  # nested models are searched


def test_config_round_trip():
    c = dcgan_critic(filters=(4, 8))
    clone = keras.Model.from_config(c.get_config())
    clone.set_weights(c.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(clone(x), c(x), atol=1e-6)


def test_builder_errors():
    with pytest.raises(ConfigError, match="latent_dim must be a positive int"):
        mlp_generator(0, 2)
    with pytest.raises(ConfigError, match="n_classes must be a non-negative int"):
        mlp_critic(2, n_classes=-1)
    with pytest.raises(ConfigError, match="filters must give 2 channel counts"):
        dcgan_generator(8, filters=(8, 4, 2))


def test_package_exports():
    import gans

    assert gans.__doc__ and all(hasattr(gans, name) for name in gans.__all__)
    assert {"GAN", "WGAN", "WGANGP", "gradient_penalty", "divergences"} <= set(gans.__all__)
