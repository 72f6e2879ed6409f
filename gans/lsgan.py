"""Least-squares GAN (Mao et al., 2017, "Least Squares Generative Adversarial Networks")."""

from __future__ import annotations

import keras

from gans.adversarial import AdversarialModel
from gans.losses import least_squares_discriminator_loss, least_squares_generator_loss


@keras.saving.register_keras_serializable(package="gans")
class LSGAN(AdversarialModel):
    """GAN trained with least-squares losses on a discriminator with a linear output.

    The discriminator regresses real samples to 1 and generated ones to 0
    (:func:`~gans.losses.least_squares_discriminator_loss`); the generator pulls the scores of its
    samples to 1 (:func:`~gans.losses.least_squares_generator_loss`). Unlike the sigmoid
    cross-entropy of :class:`~gans.GAN`, the quadratic loss keeps penalising generated samples
    that are on the "real" side of the boundary but far from the data, so gradients do not vanish.

    Default optimizers: Adam(2e-4, beta_1=0.5) for each network. Logged metrics: ``d_loss``, ``g_loss``.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        discriminator: Model from samples (+ label channels) to ``(batch, 1)`` linear scores.
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        critic_steps: Discriminator updates per train step.
        generator_steps: Generator updates per train step.
        seed: Integer seed of the noise stream (``None``: drawn, then kept in the config).
        **kwargs: Standard ``keras.Model`` arguments.

    Example:
        >>> lsgan = LSGAN(mlp_generator(8, 2), mlp_critic(2))
        >>> lsgan.compile()
        >>> lsgan.fit(points, epochs=100, batch_size=64)
        >>> samples = lsgan.generate(500)
    """

    def critic_terms(self, real, fake, one_hot) -> dict:
        real_scores = self.critic_scores(real, one_hot, training=True)
        fake_scores = self.critic_scores(fake, one_hot, training=True)
        return {"d_loss": least_squares_discriminator_loss(real_scores, fake_scores)}

    def generator_loss(self, fake_scores):
        return least_squares_generator_loss(fake_scores)

    def default_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)
