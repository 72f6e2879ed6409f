"""The Keras models behind the synthesizers: encoded rows in, encoded rows out.

- :class:`TabularVAE` — TVAE with a conditional decoder and mixture priors (``"tvae"``);
- :class:`ConditionalTabularGAN` — CTGAN-style conditional WGAN-GP on :class:`gans.WassersteinModel` (``"ctgan"``);
- :class:`TabularDiffusion` — Gaussian + masked diffusion on quantile-normal rows (``"diffusion"``);
- :func:`build_gan` — the study's MLP GAN / conditional GAN as a :class:`gans.GAN` (``"gan"``, ``"cgan"``);
- :class:`TabularAutoencoder` and :func:`build_latent_gan` — the study's autoencoder and the
  :class:`gans.LatentGAN` over its codes (``"ae_gan"``, ``"ae_wgan_gp"``).

No model holds an encoder: layouts come in as ``[[start, dim, activation], ...]`` lists
(:meth:`tabular.encoding.Encoder.layout`), so every model serializes with ``get_config``.
"""

from tabular.models.ctgan import ConditionalTabularGAN, ConditionSampler, ResidualBlock, ctgan_networks
from tabular.models.diffusion import DiffusionMLP, TabularDiffusion
from tabular.models.study import TabularAutoencoder, build_gan, build_latent_gan
from tabular.models.tvae import Clip, TabularVAE

__all__ = ["Clip", "ConditionSampler", "ConditionalTabularGAN", "DiffusionMLP", "ResidualBlock", "TabularAutoencoder",
           "TabularDiffusion", "TabularVAE", "build_gan", "build_latent_gan", "ctgan_networks"]
