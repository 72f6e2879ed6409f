"""Tabular synthesis as one pipeline: data -> encoding -> models -> synthesizers -> evaluation.

- :mod:`tabular.data` — Adult (embedded + UCI), tables built in code, :class:`TabularDataset`,
  class balancing (:func:`noisy_oversample`, :func:`smote_balance`).
- :mod:`tabular.encoding` — one :class:`~tabular.encoding.Span` record and one encoder contract;
  :class:`MinMaxOneHotEncoder` (the study's) and :class:`ModeSpecificEncoder` (CTGAN / TVAE).
- :mod:`tabular.models` — the Keras models (TVAE, CTGAN-style GAN, the study's GAN / cGAN /
  autoencoder + latent GAN).
- :mod:`tabular.synthesizers` — :class:`Synthesizer`: ``fit(frame)``, ``sample(n, conditions, seed)``,
  ``save`` / ``load`` (JSON + ``.keras``, no pickle), ``export`` (a SavedModel that samples decoded
  rows); every method by name: ``tvae`` (default), ``ctgan``, ``gan``, ``cgan``, ``ae_gan``, ``ae_wgan_gp``.
- :mod:`tabular.evaluation` — :func:`evaluate`: detection, efficacy, shapes, trends, privacy, report.

Example:
    >>> from tabular import Synthesizer, evaluate, load_adult
    >>> synth = Synthesizer("tvae", epochs=300).fit(train)
    >>> rows = synth.sample(1000, conditions={"income": ">50K"})
    >>> result = evaluate(train, test, synth.sample(len(train)), target="income", out_dir="eval")
"""

from tabular.data import (ADULT_COLUMNS, Augmented, DatasetSplit, DatasetSummary, TabularDataset, consistency_table,
                          load_adult, loans_table, noisy_oversample, smote_balance)
from tabular.encoding import Encoder, MinMaxOneHotEncoder, ModeSpecificEncoder, Span, encoder_from_state
from tabular.evaluation import EvaluationResult, evaluate
from tabular.synthesizers import (AEGANConfig, AEWGANGPConfig, CGANConfig, CTGANConfig, GANConfig, Synthesizer,
                                  TVAEConfig, methods)

__all__ = [
    # data
    "ADULT_COLUMNS", "Augmented", "DatasetSplit", "DatasetSummary", "TabularDataset", "consistency_table",
    "load_adult", "loans_table", "noisy_oversample", "smote_balance",
    # encoding
    "Encoder", "MinMaxOneHotEncoder", "ModeSpecificEncoder", "Span", "encoder_from_state",
    # synthesizers
    "AEGANConfig", "AEWGANGPConfig", "CGANConfig", "CTGANConfig", "GANConfig", "Synthesizer", "TVAEConfig", "methods",
    # evaluation
    "EvaluationResult", "evaluate",
]
