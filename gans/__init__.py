"""GAN family: losses, GAN / DCGAN / LSGAN / WGAN / WGAN-GP (conditional or not), latent GAN, 2-D toy.

Every model is a ``keras.Model`` that owns a ``generator`` and a ``discriminator`` (``critic``
for the Wasserstein models), is compiled with one optimizer per network and trained with
``fit``; a conditional model (``n_classes > 0``) takes ``fit(x, y)`` and ``generate(n, labels)``.
All of them subclass :class:`AdversarialModel` (:mod:`gans.adversarial`), the public base for new
losses. ``critic_steps`` counts critic updates per train step, ``generator_steps`` generator
updates. Losses are pure functions in :mod:`gans.losses`; :mod:`gans.divergences` holds the
KL / JS / Wasserstein example of the WGAN paper and :mod:`gans.toy2d` a 2-D parabola toy.
:class:`LatentGAN` trains any of the models on the codes of a frozen encoder (conv autoencoder
for images, dense autoencoder for table rows). For images: :mod:`gans.metrics` (classifier
Frechet distance, class coverage, conditional accuracy), :mod:`gans.quality` (those scores per
epoch as a callback, and their plot), :mod:`gans.zoo` (the MNIST models by name, speed
measurement), :mod:`gans.interpolation` (noise and latent paths) and :class:`SampleGridCallback`.
The user guide is ``docs/gans.md``.

Example:
    >>> from gans import WGANGP, mlp_critic, mlp_generator
    >>> model = WGANGP(mlp_generator(latent_dim=8, output_dim=2), mlp_critic(input_dim=2))
    >>> model.compile()
    >>> model.fit(points, epochs=50, batch_size=64)
    >>> samples = model.generate(1000)
"""

from gans import divergences, interpolation, losses, metrics, quality, toy2d, zoo
from gans.adversarial import AdversarialModel, WassersteinModel
from gans.autoencoder import Autoencoder, LatentGAN, conv_autoencoder
from gans.callbacks import SampleGridCallback, image_grid
from gans.gan import GAN
from gans.losses import (bce_discriminator_loss, bce_generator_loss, clip_weights, gradient_penalty,
                         least_squares_discriminator_loss, least_squares_generator_loss,
                         wasserstein_critic_loss, wasserstein_generator_loss)
from gans.lsgan import LSGAN
from gans.networks import dcgan_critic, dcgan_generator, has_batch_norm, mlp_critic, mlp_generator
from gans.quality import QualityTracker, plot_quality, sample_quality, to_unit
from gans.toy2d import ToyConfig, plot_toy, train_toy
from gans.wgan import WGAN
from gans.wgan_gp import WGANGP

__all__ = [
    # models
    "AdversarialModel", "WassersteinModel", "GAN", "LSGAN", "WGAN", "WGANGP", "LatentGAN",
    # autoencoder
    "Autoencoder", "conv_autoencoder",
    # losses
    "bce_discriminator_loss", "bce_generator_loss", "clip_weights", "gradient_penalty",
    "least_squares_discriminator_loss", "least_squares_generator_loss",
    "wasserstein_critic_loss", "wasserstein_generator_loss",
    # networks
    "dcgan_critic", "dcgan_generator", "has_batch_norm", "mlp_critic", "mlp_generator",
    # images: callbacks and sample quality
    "SampleGridCallback", "image_grid", "QualityTracker", "plot_quality", "sample_quality", "to_unit",
    # 2-D toy
    "ToyConfig", "plot_toy", "train_toy",
    # modules
    "divergences", "interpolation", "losses", "metrics", "quality", "toy2d", "zoo",
]
