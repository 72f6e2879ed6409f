"""Interpolation paths: shapes, endpoints equal the generator / decoder output at the endpoints."""

import keras
import matplotlib
import numpy as np
import pytest

from gans import WGANGP, LatentGAN, conv_autoencoder, dcgan_critic, dcgan_generator, mlp_critic, mlp_generator
from gans.interpolation import generator_path, latent_path, linear_path, plot_strips
from genlab.errors import ConfigError, LabelError


def test_linear_path_endpoints_and_midpoint():
    path = linear_path(np.zeros(3), np.ones(3) * 2, steps=5)
    assert path.shape == (5, 3)
    np.testing.assert_allclose(path[[0, 2, 4]], [[0] * 3, [1] * 3, [2] * 3])
    with pytest.raises(ConfigError, match="steps"):
        linear_path(np.zeros(3), np.ones(3), steps=1)


@pytest.mark.parametrize("n_classes", [0, 10], ids=["plain", "conditional"])
def test_generator_path_endpoints_match_generator(n_classes):
    keras.utils.set_random_seed(0)
    model = WGANGP(dcgan_generator(5, n_classes=n_classes, filters=(4, 4)),
                   dcgan_critic(n_classes=n_classes, filters=(4, 4)), n_classes=n_classes, seed=0)
    label = 7 if n_classes else None
    z, images = generator_path(model, steps=6, label=label, seed=1)
    assert z.shape == (6, 5) and images.shape == (6, 28, 28, 1)
    ends = np.stack([z[0], z[-1]])
    if n_classes:
        ends = np.concatenate([ends, np.eye(10, dtype=np.float32)[[7, 7]]], axis=1)
    expected = model.generator.predict(ends, verbose=0)
    np.testing.assert_allclose(images[[0, -1]], expected, atol=1e-5)
    assert not np.allclose(images[0], images[-1])
    with pytest.raises(LabelError):
        generator_path(model, label=None if n_classes else 3)


def test_latent_paths_through_autoencoder_and_latent_gan():
    keras.utils.set_random_seed(0)
    ae = conv_autoencoder((8, 8, 1), latent_dim=4, filters=(4, 8))
    x = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype(np.float32)
    codes, images = latent_path(ae.encoder, ae.decoder, x[0], x[1], steps=4)
    assert codes.shape == (4, 4) and images.shape == (4, 8, 8, 1)
    np.testing.assert_allclose(images[[0, -1]], ae.predict(x, verbose=0), atol=1e-5)

    latent = LatentGAN(WGANGP(mlp_generator(3, 4), mlp_critic(4), seed=0), ae.encoder, ae.decoder)
    z, decoded = generator_path(latent, steps=3)
    assert z.shape == (3, 3) and decoded.shape == (3, 8, 8, 1)
    np.testing.assert_allclose(decoded[-1:], latent.decode(latent.gan.generator.predict(z[-1:], verbose=0)),
                               atol=1e-5)

    fig = plot_strips([images, decoded], ["latent", "noise"])
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2 * 4
