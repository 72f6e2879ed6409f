"""Least-squares ("MSE") GAN losses used by the latent GAN of the autoencoder synthesizer.

Pure functions, outputs first, scalar batch means (scale with
:func:`genlab.distribute.scale_for_replicas` under ``tf.distribute``). Candidates for
:mod:`gans.losses`; kept here because this issue may only touch ``tabular/``.
"""

from __future__ import annotations

from keras import ops


def least_squares_discriminator_loss(real_scores, fake_scores):
    """Least-squares discriminator loss: ``L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]``.

    (Mao et al., 2017, "Least Squares Generative Adversarial Networks", eq. 2 with a=0, b=1.)

    Args:
        real_scores: Discriminator outputs on real samples ``(batch, 1)`` (no sigmoid).
        fake_scores: Discriminator outputs on generated samples ``(batch, 1)``.

    Returns:
        Scalar loss.
    """
    real = ops.cast(real_scores, "float32")
    fake = ops.cast(fake_scores, "float32")
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_generator_loss(fake_scores):
    """Least-squares generator loss: ``L_G = 1/2 E[(D(G(z)) - 1)^2]`` (Mao et al., 2017, eq. 2, c=1).

    Args:
        fake_scores: Discriminator outputs on generated samples ``(batch, 1)``.

    Returns:
        Scalar loss.
    """
    return 0.5 * ops.mean(ops.square(ops.cast(fake_scores, "float32") - 1.0))
