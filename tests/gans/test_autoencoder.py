"""Conv autoencoder and LatentGAN: 8x8 digit images and dense table rows; frozen encoder, decoded samples."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans import GAN, LSGAN, WGAN, WGANGP, LatentGAN, conv_autoencoder, mlp_critic, mlp_generator
from gans.autoencoder import Autoencoder
from genlab.data import digits_images
from genlab.errors import ConfigError, InputShapeError, NotFittedError
from tests.gans.conftest import CODE_DIM, ROW_WIDTH

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
    model = latent_gan(autoencoder, n_classes=n_classes, critic_steps=2, clip_value=0.1)
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


def row_gan(cls, dense_autoencoder):
    kwargs = {"critic_steps": 2} if cls is WGANGP else {}
    gan = cls(mlp_generator(4, CODE_DIM, (16,)), mlp_critic(CODE_DIM, (16,)), seed=0, **kwargs)
    return LatentGAN(gan, dense_autoencoder.encoder, dense_autoencoder.decoder)


@pytest.mark.parametrize("cls", [LSGAN, WGANGP])
def test_latent_gan_on_table_rows_returns_decoded_rows(dense_autoencoder, rows, cls):
    keras.utils.set_random_seed(0)
    model = row_gan(cls, dense_autoencoder)
    model.compile()
    encoder_before = [w.copy() for w in dense_autoencoder.encoder.get_weights()]
    g0 = model.gan.generator.get_weights()
    history = model.fit(rows, epochs=2, batch_size=64, verbose=0)
    assert set(history.history) == set(cls.METRIC_NAMES)
    assert any(not np.allclose(a, b) for a, b in zip(g0, model.gan.generator.get_weights()))
    for a, b in zip(encoder_before, dense_autoencoder.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    codes = dense_autoencoder.encoder.predict(rows, verbose=0)
    np.testing.assert_allclose(model.code_mean.numpy(), codes.mean(0), atol=1e-5)
    np.testing.assert_allclose(model.code_std.numpy(), codes.std(0), rtol=1e-4)
    # generate = decoder(generated standardised code * std + mean), from the same noise.
    state = model.gan.seed_generator.state.numpy()
    gan_codes = model.gan.generate(7)
    model.gan.seed_generator.state.assign(state)
    samples = model.generate(7)
    expected = dense_autoencoder.decoder.predict(gan_codes * codes.std(0) + codes.mean(0), verbose=0)
    assert samples.shape == (7, ROW_WIDTH)
    np.testing.assert_allclose(samples, expected, atol=1e-5)


def test_latent_gan_fits_a_dataset_after_adapt(dense_autoencoder, rows):
    keras.utils.set_random_seed(0)
    model = row_gan(LSGAN, dense_autoencoder)
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(rows).batch(64)
    with pytest.raises(NotFittedError, match="call adapt"):
        model.fit(data, epochs=1, verbose=0)
    assert not model.adapted
    model.adapt(data)  # a finite dataset gives the statistics of the arrays
    np.testing.assert_allclose(model.code_mean.numpy(),
                               dense_autoencoder.encoder.predict(rows, verbose=0).mean(0), atol=1e-5)
    assert model.adapted
    model.fit(data.repeat(), steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)
    assert int(model.gan.d_optimizer.iterations) == 6 and int(model.gan.g_optimizer.iterations) == 6
    with pytest.raises(InputShapeError, match=r"x has shape \(256, 4\)"):
        model.fit(rows[:, :4], epochs=1, verbose=0)
