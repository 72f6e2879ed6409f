"""Conv autoencoder and LatentGAN on sklearn's 8x8 digits: shapes, frozen encoder, decoded samples."""

import keras
import numpy as np
import pytest

from gans import GAN, WGAN, LatentGAN, conv_autoencoder, mlp_critic, mlp_generator
from gans.autoencoder import Autoencoder
from genlab.data import digits_images
from genlab.errors import ConfigError

LATENT = 6


@pytest.fixture(scope="module")
def images():
    return digits_images().x_train[:256]


@pytest.fixture(scope="module")
def autoencoder(images):
    keras.utils.set_random_seed(0)
    ae = conv_autoencoder((8, 8, 1), latent_dim=LATENT, filters=(8, 16), dense_layers=(32,))
    ae.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy")
    ae.fit(images, images, epochs=3, batch_size=64, verbose=0)
    return ae


def test_autoencoder_shapes_range_and_round_trip(autoencoder, images, tmp_path):
    assert autoencoder.encoder.output_shape == (None, LATENT)
    out = autoencoder.predict(images[:4], verbose=0)
    assert out.shape == (4, 8, 8, 1) and out.min() >= 0 and out.max() <= 1
    autoencoder.save(tmp_path / "ae.keras")
    loaded = keras.saving.load_model(tmp_path / "ae.keras")
    assert isinstance(loaded, Autoencoder)
    np.testing.assert_allclose(loaded.predict(images[:4], verbose=0), out, atol=1e-5)


def test_autoencoder_rejects_indivisible_image_size():
    with pytest.raises(ConfigError, match="divisible by"):
        conv_autoencoder((10, 10, 1), filters=(8, 16))


def latent_gan(autoencoder, cls=WGAN, n_classes=0, **kwargs):
    gan = cls(mlp_generator(4, LATENT, (16,), n_classes=n_classes),
              mlp_critic(LATENT, (16,), n_classes=n_classes), n_classes=n_classes, seed=0, **kwargs)
    return LatentGAN(gan, autoencoder.encoder, autoencoder.decoder)


@pytest.mark.parametrize("n_classes", [0, 10], ids=["plain", "conditional"])
def test_latent_gan_keeps_encoder_bit_identical(autoencoder, images, n_classes):
    keras.utils.set_random_seed(0)
    before = [w.copy() for w in autoencoder.encoder.get_weights()]  # includes BatchNorm moving stats
    model = latent_gan(autoencoder, n_classes=n_classes, n_critic=2, clip_value=0.1)
    model.compile()  # XLA is covered in test_models; compiling it here costs seconds
    g0 = model.gan.generator.get_weights()
    labels = digits_images().y_train[:256] if n_classes else None
    history = model.fit(images[:128], None if labels is None else labels[:128], epochs=1, batch_size=64,
                        verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "wasserstein"}
    for a, b in zip(before, autoencoder.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(g0, model.gan.generator.get_weights()))
    samples = model.generate(5, labels=3 if n_classes else None)
    assert samples.shape == (5, 8, 8, 1)
    assert np.isfinite(samples).all() and samples.min() >= 0 and samples.max() <= 1


def test_latent_gan_standardises_codes(autoencoder, images):
    model = latent_gan(autoencoder, GAN).adapt(images)
    codes = model.encode(images)
    np.testing.assert_allclose(codes.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(codes.std(0), 1, atol=1e-3)
    np.testing.assert_allclose(model.decode(codes[:3]), autoencoder.decoder.predict(
        autoencoder.encoder.predict(images[:3], verbose=0), verbose=0), atol=1e-4)


def test_latent_gan_rejects_mismatched_code_width(autoencoder):
    gan = WGAN(mlp_generator(4, LATENT + 1), mlp_critic(LATENT + 1))
    with pytest.raises(ConfigError, match="codes"):
        LatentGAN(gan, autoencoder.encoder, autoencoder.decoder)
