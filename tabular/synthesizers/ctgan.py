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
from tabular.synthesizers.tvae import check_positive


@dataclasses.dataclass(frozen=True)
class CTGANConfig:
    """Networks, optimisers and training of the ``"ctgan"`` method (CTGAN's published defaults).

    Attributes:
        epochs: Training epochs (one epoch: as many rows as the frame, in batches).
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

    epochs: int = 300
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
        for name in ("epochs", "batch_size", "latent_dim", "pac", "critic_steps", "max_modes"):
            check_int(f"CTGANConfig.{name}", getattr(self, name), 1)
        check_positive("CTGANConfig", tau=self.tau, learning_rate=self.learning_rate)
        object.__setattr__(self, "generator_dims", tuple(check_int("CTGANConfig.generator_dims", h, 1)
                                                         for h in self.generator_dims))
        object.__setattr__(self, "critic_dims", tuple(check_int("CTGANConfig.critic_dims", h, 1)
                                                      for h in self.critic_dims))


@register
class CTGANSynthesizer(Synthesizer):
    """The ``"ctgan"`` method (see the module docstring); arguments as :class:`Synthesizer`."""

    method = "ctgan"
    config_class = CTGANConfig
    discrete = "sample"
    streams = True

    def make_encoder(self):
        return ModeSpecificEncoder(self.column_types, self.config.max_modes, self.seed)

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
