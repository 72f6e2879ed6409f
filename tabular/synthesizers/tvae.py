"""``"tvae"``: the TVAE on mode-specific encoded rows (:class:`~tabular.models.TabularVAE`).

On Adult it beats CTGAN on every metric of the protocol and trains several times faster
(``benchmarks/tabular_vs_ctgan.py``). Conditions: the decoder's conditional vector carries the
requested category of the most restrictive conditioned column, its latent codes are drawn from
the mixture components of the training rows holding that category, and rows are kept when every
condition holds.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from genlab.errors import ConfigError, unknown_name
from tabular.encoding import ModeSpecificEncoder
from tabular.models.tvae import TabularVAE
from tabular.synthesizers.base import Synthesizer, check_int, register


def check_positive(owner: str, **values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"{owner}.{name} must be a number > 0, received {value!r}")


def check_momentum(owner: str, value) -> None:
    """``owner.ema_momentum`` must be a number in ``[0, 1)`` (0: no moving average)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(f"{owner}.ema_momentum must be in [0, 1), received {value!r}")


@dataclasses.dataclass(frozen=True)
class TVAEConfig:
    """Network, optimiser and training of the ``"tvae"`` method (TVAE's published defaults).

    Attributes:
        epochs: Training epochs.
        batch_size: Rows per step (at most an eighth of the table's rows: a small table gets at
            least 8 steps per epoch).
        latent_dim: Latent width.
        hidden: Encoder hidden widths (the decoder mirrors them).
        loss_factor: Reconstruction weight against the KL term.
        learning_rate: Adam learning rate.
        weight_decay: Adam's decoupled weight decay.
        discrete: Decoding of softmax spans when sampling: ``"sample"`` (default: a Gumbel-max
            draw from the decoder's categorical distribution, which keeps minority categories and
            modes) or ``"argmax"`` (TVAE's original mode decoding).
        prior_components: Components of the diagonal Gaussian mixture fitted to the aggregate
            posterior after training and sampled instead of N(0, I) (default 50; ``0``: TVAE's
            standard normal prior, and conditions rely on rejection alone).
        max_modes: Mixture modes per numeric column of the encoder.
        exact_values: A numeric column with at most this many distinct values is encoded with one
            exact mode per value (``None``: ``max_modes``); see :class:`ModeSpecificEncoder`.
        conditional: Feed the decoder a conditional vector (one discrete column's category), so
            that conditioned rows stay consistent with the condition (see :class:`TabularVAE`).
        condition_sampling: How training batches meet their conditional vectors: ``"rows"``
            (default: the rows as they come, a column of each drawn uniformly) or
            ``"log_frequency"`` (CTGAN's training-by-sampling: a column uniformly, a category by
            log-frequency, then a row holding it). Measured with ``benchmarks/conditions.py`` (a
            0.6 % category that always goes with one value of another column): conditioned rows
            kept the dependency in 0.979 (``"rows"``) and 0.998 (``"log_frequency"``) of the rows,
            but unconditioned rows in 0.91 and 0.45, and log-frequency sampling made the rare
            category 65 % too frequent: ``"rows"`` keeps the table's own distribution.
    """

    epochs: int = 300
    batch_size: int = 500
    latent_dim: int = 128
    hidden: tuple = (128, 128)
    loss_factor: float = 2.0
    learning_rate: float = 1e-3
    weight_decay: float = 1e-5
    discrete: str = "sample"
    prior_components: int = 50
    max_modes: int = 10
    exact_values: int | None = None
    conditional: bool = True
    condition_sampling: str = "rows"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "latent_dim", "max_modes"):
            check_int(f"TVAEConfig.{name}", getattr(self, name), 1)
        check_int("TVAEConfig.prior_components", self.prior_components, 0)
        check_positive("TVAEConfig", loss_factor=self.loss_factor, learning_rate=self.learning_rate)
        if self.discrete not in ("sample", "argmax"):
            raise unknown_name("TVAEConfig.discrete", self.discrete, ("sample", "argmax"))
        if self.condition_sampling not in ("rows", "log_frequency"):
            raise unknown_name("TVAEConfig.condition_sampling", self.condition_sampling, ("rows", "log_frequency"))
        object.__setattr__(self, "hidden", tuple(check_int("TVAEConfig.hidden", h, 1) for h in self.hidden))


@register
class TVAESynthesizer(Synthesizer):
    """The ``"tvae"`` method (see the module docstring); arguments as :class:`Synthesizer`."""

    method = "tvae"
    config_class = TVAEConfig
    streams = True

    @property
    def discrete(self) -> str:
        return self.config.discrete

    def make_encoder(self):
        return ModeSpecificEncoder(self.column_types, self.config.max_modes, self.seed, self.config.exact_values)

    def build_model(self, encoder, x, frame):
        c = self.config
        model = TabularVAE(encoder.layout(), encoder.output_width_, c.latent_dim, c.hidden, c.loss_factor,
                           seed=self.seed, prior_components=c.prior_components,
                           discrete=[[s.start, s.dim] for s in encoder.discrete_spans_],
                           conditional=c.conditional)
        model.compile(keras.optimizers.Adam(c.learning_rate, weight_decay=c.weight_decay), jit_compile=self.jit_compile)
        return model

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        batch = data.global_batch(self.config.batch_size)
        first = data.first_epoch()
        if model.conditional and self.config.condition_sampling == "log_frequency":
            dataset, steps = data.conditioned(model.discrete, batch, first)
        else:  # whole batches only: one batch shape, so XLA compiles the step once
            dataset, steps = data.batches(batch, first)
        history = model.fit(dataset, epochs=epochs, initial_epoch=first, steps_per_epoch=steps, shuffle=False,
                            callbacks=data.callbacks("train", callbacks), verbose=verbose)
        model.fit_prior(data.x, seed=self.seed)  # all rows, or the sample of a streamed table
        return data.history("train", history)

    def sampler_parts(self):
        model = self.model_
        parts = {"network": lambda z, cond: model.decode(z, cond, training=False),
                 "latent_dim": self.config.latent_dim, "latent": model.latent_from_noise, "value_noise": model.sigma}
        if model.conditional:
            parts.update(position="any", cond_vector=lambda position: tf.one_hot(position, model.cond_dim))
        return parts
