"""``"ctgan"``: the CTGAN-style conditional WGAN-GP (:class:`~tabular.models.ConditionalTabularGAN`).

Conditions go into the generator's conditional vector (the requested category of the most
restrictive conditioned column, drawn by training frequency); rows are then kept when every
condition holds. Without conditions the vector is drawn as CTGAN does: a discrete column
uniformly, then a category by training frequency.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from genlab.errors import InvalidValueError
from tabular.encoding import ModeSpecificEncoder
from tabular.models.ctgan import ConditionalTabularGAN, ctgan_networks
from tabular.synthesizers.base import Synthesizer, check_int, register
from tabular.synthesizers.training import batch_for, count_rows
from tabular.synthesizers.tvae import check_positive


#: Epochs of a ``"ctgan"`` fit on a table large enough for ``CTGANConfig.min_updates`` (CTGAN's default).
DEFAULT_EPOCHS = 300


@dataclasses.dataclass(frozen=True)
class CTGANConfig:
    """Networks, optimisers and training of the ``"ctgan"`` method (CTGAN's published defaults).

    Attributes:
        epochs: Training epochs (one epoch: as many rows as the frame, in batches). ``None`` (the
            default): 300 (CTGAN's default), raised on a small table to make ``min_updates``
            updates (:meth:`epochs_for`). A number, here or in ``fit(frame, epochs=...)``: exactly
            that many.
        min_updates: The fewest updates of a fit with the default ``epochs``. A WGAN-GP
            needs many more updates than one epoch of a small table gives: on 800 rows of Adult
            (batches of 100, 8 updates per epoch; ``benchmarks/tabular_vs_ctgan.py``'s small
            table, here of a validation split: ``python -m benchmarks.diffusion_sampling small
            --method ctgan --epochs-list 300,1200``), 300 epochs (2,400 updates) gave efficacy
            ratio 0.56 and RandomForest detection AUC 0.98, 1,200 epochs (9,600 updates) 0.94 and
            0.84 (DCR share 0.45: no memorisation). Adult's 26,048 rows make 52 updates per
            epoch, 15,600 in 300 epochs: the rule does not bind.
        batch_size: Rows per step (at most an eighth of the table's rows), a multiple of ``pac``
            (rounded down to one).
        latent_dim: Noise width.
        generator_dims: Residual block widths.
        critic_dims: Critic hidden widths.
        pac: Rows per critic input (PacGAN).
        gp_weight: Gradient-penalty weight.
        tau: Gumbel-softmax temperature.
        critic_steps: Critic updates per generator update.
        learning_rate: Adam learning rate of both networks (betas 0.5, 0.9).
        weight_decay: Adam's decoupled weight decay.
        max_modes: Mixture modes per numeric column of the encoder.
    """

    epochs: int | None = None
    min_updates: int = 10000
    batch_size: int = 500
    latent_dim: int = 128
    generator_dims: tuple = (256, 256)
    critic_dims: tuple = (256, 256)
    pac: int = 10
    gp_weight: float = 10.0
    tau: float = 0.2
    critic_steps: int = 1
    learning_rate: float = 2e-4
    weight_decay: float = 1e-6
    max_modes: int = 10

    def __post_init__(self):
        if self.epochs is not None:
            check_int("CTGANConfig.epochs", self.epochs, 1)
        for name in ("batch_size", "latent_dim", "pac", "critic_steps", "max_modes"):
            check_int(f"CTGANConfig.{name}", getattr(self, name), 1)
        check_int("CTGANConfig.min_updates", self.min_updates, 0)
        check_positive("CTGANConfig", tau=self.tau, learning_rate=self.learning_rate)
        object.__setattr__(self, "generator_dims", tuple(check_int("CTGANConfig.generator_dims", h, 1)
                                                         for h in self.generator_dims))
        object.__setattr__(self, "critic_dims", tuple(check_int("CTGANConfig.critic_dims", h, 1)
                                                      for h in self.critic_dims))

    def batch_for(self, n_rows: int) -> int:
        """Rows per update on a table of ``n_rows`` rows: ``batch_size``, at most ``n_rows // 8``
        (:func:`~tabular.synthesizers.training.batch_for`), rounded down to whole packs."""
        return max(batch_for(self.batch_size, n_rows) // self.pac, 1) * self.pac

    def epochs_for(self, n_rows: int) -> int:
        """Epochs of a fit on ``n_rows`` rows: ``epochs`` when set, else ``DEFAULT_EPOCHS`` or
        enough epochs for ``min_updates`` updates when that is more (800 rows: 1,250 epochs)."""
        if self.epochs is not None:
            return self.epochs
        per_epoch = max(1, int(n_rows) // self.batch_for(n_rows))
        return max(DEFAULT_EPOCHS, -(-self.min_updates // per_epoch))


@register
class CTGANSynthesizer(Synthesizer):
    """The ``"ctgan"`` method (see the module docstring); arguments as :class:`Synthesizer`."""

    method = "ctgan"
    config_class = CTGANConfig
    discrete = "sample"
    streams = True

    def make_encoder(self):
        return ModeSpecificEncoder(self.column_types, self.config.max_modes, self.seed)

    @property
    def epochs(self) -> int:
        return DEFAULT_EPOCHS if self.config.epochs is None else self.config.epochs

    def fit(self, data, epochs: int | None = None, callbacks=None, verbose: int = 0, **kwargs) -> "CTGANSynthesizer":
        """As :meth:`Synthesizer.fit`; ``epochs`` defaults to the config's (:meth:`CTGANConfig.epochs_for`:
        on a small table, enough epochs for ``min_updates`` updates)."""
        if epochs is None:
            epochs = self.config.epochs_for(count_rows(data))
        return super().fit(data, epochs=epochs, callbacks=callbacks, verbose=verbose, **kwargs)

    def build_model(self, encoder, x, frame):
        c = self.config
        if len(x) < c.pac:
            raise InvalidValueError(f"frame has {len(x)} rows, fewer than pac={c.pac}; use more rows or a smaller "
                                    "CTGANConfig.pac")
        discrete = [[s.start, s.dim] for s in encoder.discrete_spans_]
        generator, critic = ctgan_networks(encoder.output_width_, sum(d for _, d in discrete), c.latent_dim,
                                           c.generator_dims, c.critic_dims, c.pac)
        model = ConditionalTabularGAN(generator, critic, encoder.layout(), discrete, c.pac, c.gp_weight, c.tau,
                                      c.critic_steps, seed=self.seed)

        def adam():
            return keras.optimizers.Adam(c.learning_rate, beta_1=0.5, beta_2=0.9, weight_decay=c.weight_decay)

        model.compile(adam(), adam(), jit_compile=self.jit_compile)
        return model

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        batch = data.global_batch(self.config.batch_size, multiple=self.config.pac)  # whole packs per replica
        first = data.first_epoch()
        dataset, steps = data.conditioned(model.discrete, batch, first)
        history = model.fit(dataset, epochs=epochs, initial_epoch=first, steps_per_epoch=steps, shuffle=False,
                            callbacks=data.callbacks("train", callbacks), verbose=verbose)
        return data.history("train", history)

    def sampler_parts(self):
        model = self.model_
        generator = model.generator
        return {"network": lambda z, cond: generator(tf.concat([z, cond], axis=1), training=False),
                "latent_dim": model.latent_dim, "position": "any",
                "cond_vector": lambda position: tf.one_hot(position, model.cond_dim, dtype=tf.float32)}
