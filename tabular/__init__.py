"""Tabular data: the Adult data set, reversible transformers, augmentation, tabular GANs, evaluation.

Pieces (DESIGN.md conventions 7-9):

- :func:`load_adult` — UCI Adult, embedded in the package (CC BY 4.0, Becker & Kohavi 1996;
  ``tabular/data/ATTRIBUTION.md``) or downloaded with a sha256 check and a cache.
- :class:`TabularTransformer` — scikit-learn-style encoder: one-hot categoricals (every category),
  continuous columns min-max scaled to [-1, 1], the target as one binary column; ``index_map_``
  maps encoded indices to source columns; ``inverse_transform`` decodes to the original schema.
- :class:`TabularDataset` — a frame with its transformer, a summary and the stratified split.
- :func:`noisy_oversample`, :func:`smote_balance` — balance the training part to 50/50.
- :class:`TabularGAN`, :class:`TabularCGAN` — GAN / conditional GAN on encoded rows (reusing
  :class:`gans.GAN`), :class:`TabularAutoencoder` and :class:`AutoencoderGAN` (latent GAN, MSE
  or WGAN-GP variant).
- :func:`evaluate` — the fixed "Tabular" protocol (RandomForest detection and efficacy) plus
  logistic detection, column shapes, pair trends, exact copies and DCR, with a report.
- :class:`Synthesizer` (:mod:`tabular.synth`) — the stronger synthesizer for any DataFrame:
  :class:`MixedTransformer` (mode-specific normalisation, learned precision/range, missing values),
  a TVAE (default) or a CTGAN-style conditional WGAN-GP, guaranteed conditions, save/load without
  pickle and a SavedModel export that samples decoded rows with plain TensorFlow.

Example:
    >>> from tabular import TabularDataset, TabularCGAN, TabularGANConfig, evaluate, load_adult
    >>> ds = TabularDataset(load_adult(), target="income", positive_label=">50K")
    >>> split = ds.split(test_size=0.2, seed=42)
    >>> x, y = ds.encode(split.train)
    >>> model = TabularCGAN.build(ds.transformer, TabularGANConfig(), seed=0)
    >>> model.train(x, y, epochs=100)
    >>> result = evaluate(split.train, split.test, model.generate(len(split.train)), out_dir="eval")
"""

from tabular.adult import ADULT_COLUMNS, ChecksumError, load_adult
from tabular.augment import Augmented, noisy_oversample, smote_balance
from tabular.autoencoder import (AutoencoderGAN, AutoencoderGANConfig, LatentLSGAN,
                                 TabularAutoencoder)
from tabular.dataset import DatasetSplit, DatasetSummary, TabularDataset
from tabular.evaluation import EvaluationResult, evaluate
from tabular.gan import TabularCGAN, TabularGAN, TabularGANConfig
from tabular.losses import least_squares_discriminator_loss, least_squares_generator_loss
from tabular.transformer import ColumnSpan, NotFittedError, TabularTransformer
from tabular.synth import CTGANConfig, MixedTransformer, Synthesizer, TVAEConfig

__all__ = [
    # data
    "ADULT_COLUMNS", "ChecksumError", "load_adult",
    # transformers and data sets
    "ColumnSpan", "DatasetSplit", "DatasetSummary", "NotFittedError", "TabularDataset",
    "TabularTransformer",
    # augmentation
    "Augmented", "noisy_oversample", "smote_balance",
    # models
    "AutoencoderGAN", "AutoencoderGANConfig", "LatentLSGAN", "TabularAutoencoder", "TabularCGAN",
    "TabularGAN", "TabularGANConfig",
    # losses
    "least_squares_discriminator_loss", "least_squares_generator_loss",
    # evaluation
    "EvaluationResult", "evaluate",
    # the synthesizer for any DataFrame (tabular.synth)
    "CTGANConfig", "MixedTransformer", "Synthesizer", "TVAEConfig",
]
