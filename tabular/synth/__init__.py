"""Synthesize any DataFrame: mode-specific encoding, a TVAE (default) or a CTGAN-style conditional
WGAN-GP, guaranteed conditions, save/load without pickle, SavedModel export for plain TensorFlow.

Pieces (DESIGN.md conventions 7-9):

- :class:`MixedTransformer` — column types inferred (continuous, integer, categorical, boolean)
  or overridden; Bayesian-Gaussian-mixture mode-specific normalisation (up to 10 modes);
  one-hot categoricals; learned precision, integer-ness, min and max; missing values modelled.
- :class:`TabularVAE`, :class:`ConditionalTabularGAN` — the Keras models (``train_step`` + ``fit``).
- :class:`GraphSampler` — in-graph decoding and rejection-then-forcing conditions.
- :class:`Synthesizer` — ``fit(df)``, ``sample(n, conditions=...)``, ``save``/``load``, ``export``.

Example:
    >>> from tabular.synth import Synthesizer
    >>> synth = Synthesizer(epochs=300).fit(train)
    >>> rows = synth.sample(1000, conditions={"income": ">50K"})
"""

from tabular.synth.networks import ConditionalTabularGAN, ConditionSampler, ResidualBlock, TabularVAE
from tabular.synth.sampler import GraphSampler
from tabular.synth.synthesizer import METHODS, CTGANConfig, Synthesizer, TVAEConfig
from tabular.synth.transformer import KINDS, MixedTransformer, OutputSpan

__all__ = ["CTGANConfig", "ConditionSampler", "ConditionalTabularGAN", "GraphSampler", "KINDS", "METHODS",
           "MixedTransformer", "OutputSpan", "ResidualBlock", "Synthesizer", "TVAEConfig", "TabularVAE"]
