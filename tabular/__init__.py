"""Tabular synthesis as one pipeline: data -> encoding -> models -> synthesizers -> evaluation.

- :mod:`tabular.data` — Adult (embedded + UCI), tables built in code, :class:`TabularDataset`,
  class balancing (:func:`noisy_oversample`, :func:`smote_balance`).
- :mod:`tabular.encoding` — one :class:`~tabular.encoding.Span` record and one encoder contract;
  :class:`MinMaxOneHotEncoder` (the study's) and :class:`ModeSpecificEncoder` (CTGAN / TVAE).
- :mod:`tabular.metadata` and :mod:`tabular.constraints` — :class:`Metadata` (column kinds of real
  tables: datetimes, identifiers, high-cardinality, personal data, free text; JSON) and the
  constraints every sampled row meets (:class:`Inequality`, :class:`Range`, :class:`FixedCombinations`,
  :class:`Predicate`).
- :mod:`tabular.models` — the Keras models (TVAE, CTGAN-style GAN, the study's GAN / cGAN /
  autoencoder + latent GAN).
- :mod:`tabular.synthesizers` — :class:`Synthesizer`: ``fit(frame)``, ``sample(n, conditions, seed)``,
  ``save`` / ``load`` (JSON + ``.keras``, no pickle), ``export`` (a SavedModel that samples decoded
  rows); every method by name: ``tvae`` (default), ``ctgan``, ``diffusion``, ``gan``, ``cgan``,
  ``ae_gan``, ``ae_wgan_gp``.
- :mod:`tabular.evaluation` — :func:`evaluate`: detection, efficacy, shapes, trends, privacy, report.

Example:
    >>> from tabular import Synthesizer, evaluate, load_adult
    >>> synth = Synthesizer("tvae", epochs=300).fit(train)
    >>> rows = synth.sample(1000, conditions={"income": ">50K"})
    >>> result = evaluate(train, test, synth.sample(len(train)), target="income", out_dir="eval")

Names are imported on first use (``import tabular`` alone starts no TensorFlow).
"""

import importlib as _importlib

_LAZY = {
    # data
    **dict.fromkeys(["ADULT_COLUMNS", "Augmented", "DatasetSplit", "DatasetSummary", "TabularDataset",
                     "consistency_table", "load_adult", "loans_table", "messy_constraints", "messy_table",
                     "noisy_oversample", "patients_table", "read_table",
                     "smote_balance", "write_table"], "tabular.data"),
    # encoding
    **dict.fromkeys(["Encoder", "MinMaxOneHotEncoder", "ModeSpecificEncoder", "QuantileEncoder", "Span",
                     "encoder_from_state"],
                    "tabular.encoding"),
    # real-world tables: column kinds and constraints
    "Metadata": "tabular.metadata",
    **dict.fromkeys(["FixedCombinations", "Inequality", "Predicate", "Range", "positive"], "tabular.constraints"),
    # synthesizers
    **dict.fromkeys(["AEGANConfig", "AEWGANGPConfig", "CGANConfig", "CTGANConfig", "DiffusionConfig", "GANConfig",
                     "Synthesizer", "TVAEConfig", "methods"], "tabular.synthesizers"),
    # evaluation
    **dict.fromkeys(["EvaluationResult", "evaluate"], "tabular.evaluation"),
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tabular' has no attribute {name!r}")


__all__ = sorted(_LAZY)
