"""The original tabular study's networks: an MLP GAN / conditional GAN and an autoencoder whose codes
a latent GAN learns.

- :func:`build_gan` — a :class:`gans.GAN` with the study's layer-spec MLPs: the generator ends in a
  ``tanh`` layer of the encoded width (:class:`~tabular.encoding.MinMaxOneHotEncoder` rows), the
  discriminator in one logit; a conditional GAN gets the one-hot label on both inputs.
- :class:`TabularAutoencoder` — encoder ``width -> ... -> latent (tanh)`` and a mirrored decoder
  with a ``tanh`` output, trained on encoded rows with the SmoothL1 (Huber) loss.
- :func:`build_latent_gan` — a :class:`gans.LatentGAN` over the autoencoder's frozen encoder and
  decoder, with a least-squares GAN (the study's "MSE" variant, :class:`gans.LSGAN`) or a
  WGAN-GP (:class:`gans.WGANGP`) learning the standardised codes.
"""

from __future__ import annotations

import keras

from gans import GAN, LSGAN, WGANGP, LatentGAN
from genlab.callbacks import GuardedFit
from genlab.layers import as_layer_specs, build_mlp


def build_gan(width: int, latent_dim: int, generator_layers, discriminator_layers, n_classes: int = 0,
              critic_steps: int = 1, generator_steps: int = 1, seed: int | None = None) -> GAN:
    """The study's GAN (``n_classes = 0``) or conditional GAN on rows of ``width`` encoded columns."""
    generator = build_mlp(latent_dim + n_classes, as_layer_specs(generator_layers), output_units=width,
                          output_activation="tanh", name="generator")
    discriminator = build_mlp(width + n_classes, as_layer_specs(discriminator_layers), output_units=1,
                              name="discriminator")
    return GAN(generator, discriminator, n_classes=n_classes, critic_steps=critic_steps,
               generator_steps=generator_steps, seed=seed)


@keras.saving.register_keras_serializable(package="tabular")
class TabularAutoencoder(GuardedFit, keras.Model):
    """Encoder ``width -> ... -> latent (tanh)`` and decoder ``latent -> ... -> width (tanh)``.

    Args:
        width: Encoded row width.
        latent_dim: Code width.
        hidden: Encoder hidden specs; the decoder mirrors them.
        **kwargs: ``keras.Model`` arguments.
    """

    def __init__(self, width: int, latent_dim: int = 16, hidden=(128, 64), **kwargs):
        super().__init__(**kwargs)
        self.width, self.latent_dim = int(width), int(latent_dim)
        self.hidden = as_layer_specs(hidden)
        self.encoder = build_mlp(self.width, self.hidden, self.latent_dim, "tanh", name="encoder")
        self.decoder = build_mlp(self.latent_dim, self.hidden[::-1], self.width, "tanh", name="decoder")

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)  # (batch, width)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "latent_dim": self.latent_dim,
                "hidden": [s.to_dict() for s in self.hidden]}


def build_latent_gan(autoencoder: TabularAutoencoder, noise_dim: int, gan_hidden, variant: str = "ls",
                     critic_steps: int = 1, gp_weight: float = 10.0, seed: int | None = None) -> LatentGAN:
    """A latent GAN over the autoencoder's codes: ``variant`` ``"ls"`` (least squares) or ``"wgan_gp"``.

    The generator has a linear output: :class:`gans.LatentGAN` standardises the codes it learns.
    """
    latent = autoencoder.latent_dim
    generator = build_mlp(noise_dim, as_layer_specs(gan_hidden), latent, name="latent_generator")
    critic = build_mlp(latent, as_layer_specs(gan_hidden), 1, name="latent_critic")
    gan = (LSGAN(generator, critic, critic_steps=critic_steps, seed=seed) if variant == "ls"
           else WGANGP(generator, critic, gp_weight=gp_weight, critic_steps=critic_steps, seed=seed))
    return LatentGAN(gan, autoencoder.encoder, autoencoder.decoder, name="latent_gan")
