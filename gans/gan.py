"""The original GAN with the non-saturating generator loss (Goodfellow et al., 2014)."""

from __future__ import annotations

import keras

from gans.adversarial import AdversarialModel
from gans.losses import bce_discriminator_loss, bce_generator_loss


@keras.saving.register_keras_serializable(package="gans")
class GAN(AdversarialModel):
    """GAN trained with binary cross-entropy on discriminator logits.

    The discriminator outputs logits (linear last layer). Its loss is
    :func:`~gans.losses.bce_discriminator_loss`, the generator's the non-saturating
    :func:`~gans.losses.bce_generator_loss`. With :func:`~gans.networks.dcgan_generator` /
    :func:`~gans.networks.dcgan_critic` (``batch_norm=True``) this is a DCGAN.

    Default optimizers: Adam(2e-4, beta_1=0.5) for each network (Radford et al., 2016).
    Logged metrics: ``d_loss``, ``g_loss``.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        discriminator: Model from samples (+ label channels) to ``(batch, 1)`` logits.
        n_classes: Number of classes of a conditional GAN (cGAN); 0 for unconditional.
        critic_steps: Discriminator updates per train step.
        generator_steps: Generator updates per train step (e.g. 2 when D learns too fast).
        seed: Integer seed of the noise stream (``None``: drawn, then kept in the config).
        **kwargs: Standard ``keras.Model`` arguments.

    Example:
        >>> gan = GAN(mlp_generator(8, 2), mlp_critic(2))
        >>> gan.compile()
        >>> gan.fit(points, epochs=100, batch_size=64)
        >>> samples = gan.generate(500)
    """

    def critic_terms(self, real, fake, one_hot) -> dict:
        real_logits = self.critic_scores(real, one_hot, training=True)
        fake_logits = self.critic_scores(fake, one_hot, training=True)
        return {"d_loss": bce_discriminator_loss(real_logits, fake_logits)}

    def generator_loss(self, fake_scores):
        return bce_generator_loss(fake_scores)

    def default_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)
