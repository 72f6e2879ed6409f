"""Synthesizers: one interface (fit / sample / save / load / export) and a registry of methods.

``Synthesizer("tvae")`` builds any registered method by name; :func:`methods` lists them:

==============  =========================================================  ==========================
method          model                                                      config
==============  =========================================================  ==========================
``tvae``        TVAE, conditional decoder, mixture prior (default)         :class:`TVAEConfig`
``ctgan``       CTGAN-style conditional WGAN-GP                            :class:`CTGANConfig`
``gan``         the study's MLP GAN on min-max / one-hot rows              :class:`GANConfig`
``cgan``        the study's conditional GAN on one discrete column         :class:`CGANConfig`
``ae_gan``      autoencoder + least-squares GAN on its codes               :class:`AEGANConfig`
``ae_wgan_gp``  autoencoder + WGAN-GP on its codes                         :class:`AEWGANGPConfig`
==============  =========================================================  ==========================
"""

from tabular.synthesizers.base import SYNTHESIZERS, Synthesizer, budget_field, methods, register
from tabular.synthesizers.ctgan import CTGANConfig, CTGANSynthesizer
from tabular.synthesizers.diffusion import DiffusionConfig, DiffusionSynthesizer
from tabular.synthesizers.sampler import Conditions, GraphSampler
from tabular.synthesizers.study import (AEGANConfig, AEGANSynthesizer, AEWGANGPConfig, AEWGANGPSynthesizer,
                                        CGANConfig, CGANSynthesizer, GANConfig, GANSynthesizer)
from tabular.synthesizers.tvae import TVAEConfig, TVAESynthesizer

__all__ = ["AEGANConfig", "AEGANSynthesizer", "AEWGANGPConfig", "AEWGANGPSynthesizer", "CGANConfig", "CGANSynthesizer",
           "CTGANConfig", "CTGANSynthesizer", "Conditions", "DiffusionConfig", "DiffusionSynthesizer", "GANConfig",
           "GANSynthesizer", "GraphSampler", "SYNTHESIZERS", "Synthesizer", "TVAEConfig", "TVAESynthesizer",
           "budget_field", "methods", "register"]
