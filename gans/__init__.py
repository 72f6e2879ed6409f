"""GAN family: losses, GAN / DCGAN / WGAN / WGAN-GP (conditional or not), divergences, 2-D toy.

Every model is a ``keras.Model`` that owns a ``generator`` and a ``discriminator`` (``critic``
for the Wasserstein models), is compiled with one optimizer per network and trained with
``fit``; a conditional model (``n_classes > 0``) takes ``fit(x, y)`` and ``generate(n, labels)``.
Losses are pure functions in :mod:`gans.losses`; :mod:`gans.divergences` holds the
KL / JS / Wasserstein example of the WGAN paper and :mod:`gans.toy2d` a 2-D parabola toy.
For images: :mod:`gans.autoencoder` (conv autoencoder, :class:`LatentGAN` on its frozen codes),
:mod:`gans.metrics` (classifier Frechet distance, class coverage, conditional accuracy),
:mod:`gans.interpolation` (noise and latent paths) and :class:`SampleGridCallback`.

Modules: ``losses``, ``networks`` (MLP and DCGAN builders), ``gan``, ``wgan``, ``wgan_gp``,
``autoencoder``, ``metrics``, ``interpolation``, ``callbacks``, ``divergences``, ``toy2d``.

Example:
    >>> from gans import WGANGP, mlp_critic, mlp_generator
    >>> model = WGANGP(mlp_generator(latent_dim=8, output_dim=2), mlp_critic(input_dim=2))
    >>> model.compile()
    >>> model.fit(points, epochs=50, batch_size=64)
    >>> samples = model.generate(1000)
"""

from gans import divergences, interpolation, losses, metrics, toy2d
from gans.autoencoder import Autoencoder, LatentGAN, conv_autoencoder
from gans.callbacks import SampleGridCallback, image_grid
from gans.gan import GAN
from gans.losses import (bce_discriminator_loss, bce_generator_loss, clip_weights, gradient_penalty,
                         wasserstein_critic_loss, wasserstein_generator_loss)
from gans.networks import dcgan_critic, dcgan_generator, has_batch_norm, mlp_critic, mlp_generator
from gans.toy2d import ToyConfig, plot_toy, train_toy
from gans.wgan import WGAN
from gans.wgan_gp import WGANGP

__all__ = [
    # models
    "GAN", "WGAN", "WGANGP", "LatentGAN",
    # autoencoder
    "Autoencoder", "conv_autoencoder",
    # losses
    "bce_discriminator_loss", "bce_generator_loss", "clip_weights", "gradient_penalty",
    "wasserstein_critic_loss", "wasserstein_generator_loss",
    # networks
    "dcgan_critic", "dcgan_generator", "has_batch_norm", "mlp_critic", "mlp_generator",
    # images: callbacks
    "SampleGridCallback", "image_grid",
    # 2-D toy
    "ToyConfig", "plot_toy", "train_toy",
    # modules
    "divergences", "interpolation", "losses", "metrics", "toy2d",
]
