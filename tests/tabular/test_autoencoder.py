"""Autoencoder + latent GAN (MSE and WGAN-GP variants) and the least-squares losses."""

import keras
import numpy as np
import pytest

from genlab.errors import UnknownNameError
from tabular.autoencoder import AutoencoderGAN, AutoencoderGANConfig, LatentLSGAN, TabularAutoencoder
from tabular.losses import least_squares_discriminator_loss, least_squares_generator_loss
from tabular.transformer import TabularTransformer


def test_least_squares_losses_golden_values():
    real, fake = np.array([[1.0], [0.0]]), np.array([[0.5], [-1.0]])
    # 0.5 * mean([0, 1]) + 0.5 * mean([0.25, 1]) = 0.25 + 0.3125
    assert float(least_squares_discriminator_loss(real, fake)) == pytest.approx(0.5625)
    # 0.5 * mean([0.25, 4]) = 1.0625
    assert float(least_squares_generator_loss(fake)) == pytest.approx(1.0625)


@pytest.mark.parametrize("variant", ["mse", "wgan_gp"])
def test_autoencoder_gan_generates_rows(frame, variant):
    t = TabularTransformer(target="label", positive_label="yes").fit(frame)
    config = AutoencoderGANConfig(variant=variant, latent_dim=4, ae_hidden=(16,), ae_epochs=2,
                                  noise_dim=4, gan_hidden=(8,), gan_epochs=1, batch_size=64)
    synth = AutoencoderGAN(t, config, seed=0)
    histories = synth.fit(t.transform(frame))
    assert "val_loss" in histories["autoencoder"].history
    assert isinstance(synth.gan, LatentLSGAN) == (variant == "mse")
    rows = synth.generate(25)
    assert list(rows.columns) == list(frame.columns) and len(rows) == 25
    assert set(rows["sex"]) <= {"F", "M"}


def test_autoencoder_learns_with_smooth_l1_and_schedule(frame):
    t = TabularTransformer(target="label").fit(frame)
    ae = TabularAutoencoder(t.output_width_, latent_dim=6, hidden=(32,))
    ae.compile(learning_rate=1e-2)
    assert isinstance(ae.loss, keras.losses.Huber)
    history = ae.train(t.transform(frame), epochs=8, batch_size=64, patience=8)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert "learning_rate" in history.history  # ReduceLROnPlateau is active


def test_unknown_variant():
    with pytest.raises(UnknownNameError, match="mse, wgan_gp"):
        AutoencoderGANConfig(variant="vae")


def test_save_and_load(frame, tmp_path):
    t = TabularTransformer(target="label").fit(frame)
    config = AutoencoderGANConfig(latent_dim=4, ae_hidden=(16,), ae_epochs=1, noise_dim=4, gan_hidden=(8,),
                                  gan_epochs=1)
    synth = AutoencoderGAN(t, config, seed=2)
    synth.fit(t.transform(frame))
    synth.save(tmp_path / "s")
    clone = AutoencoderGAN.load(tmp_path / "s")
    z = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_allclose(clone.autoencoder.decoder(clone.generator(z)).numpy(),
                               synth.autoencoder.decoder(synth.generator(z)).numpy(), atol=1e-6)
    assert clone.config == synth.config and list(clone.generate(3).columns) == list(frame.columns)
