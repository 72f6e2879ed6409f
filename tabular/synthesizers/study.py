"""The original tabular study's methods on min-max / one-hot rows (:class:`~tabular.encoding.MinMaxOneHotEncoder`).

- ``"gan"`` — an MLP GAN on whole rows (the target is one more column);
- ``"cgan"`` — a conditional GAN: the one-hot category of ``condition_column`` is appended to the
  generator's noise and to the discriminator's input; sampling draws it by training frequency,
  or among the requested categories when a condition names that column;
- ``"ae_gan"`` — an autoencoder on rows, then a least-squares GAN on its codes;
- ``"ae_wgan_gp"`` — the same with a WGAN-GP on the codes.

Their generators end in ``tanh``; categories decode to their argmax. Conditions on other columns
(and on every column of the unconditional methods) are met by rejection.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from genlab.callbacks import RestoreBestEarlyStopping
from genlab.errors import ConfigError, UnknownNameError
from genlab.layers import LayerSpec, as_layer_specs
from tabular.encoding import MinMaxOneHotEncoder
from tabular.encoding.columns import DISCRETE_KINDS
from tabular.models.study import TabularAutoencoder, build_gan, build_latent_gan
from tabular.synthesizers.base import Synthesizer, check_int, register
from tabular.synthesizers.training import batch_for, count_rows
from tabular.synthesizers.tvae import check_momentum, check_positive

#: Epochs of a ``"gan"`` / ``"cgan"`` fit on a table large enough for ``GANConfig.min_updates`` (the study's).
DEFAULT_GAN_EPOCHS = 100
#: ``GANConfig.ema_momentum`` of a default-length fit on a small table (``ema_momentum=None``).
SMALL_TABLE_EMA = 0.999


def _leaky(units, batch_norm=True, dropout=0.0):
    return LayerSpec(units, "leaky_relu", batch_norm=batch_norm, dropout=dropout)


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Networks and training of ``"gan"`` (the study's defaults).

    Attributes:
        epochs: Maximum epochs. ``None`` (the default): 100 (the study's), raised on a small table
            to make ``min_updates`` updates (:meth:`epochs_for`), all of them run. A number, here
            or in ``fit(frame, epochs=...)``: at most that many, with early stopping.
        min_updates: The fewest updates of a fit with the default ``epochs`` (no early stopping
            then). The study's 100 epochs with early stopping on the generator loss train a few
            hundred updates on a small table: on 800 rows of Adult (batches of 100, 8 updates
            per epoch; a validation split, ``python -m benchmarks.diffusion_sampling small
            --method gan --epochs-list 100,0``, seeds 0-2, at 99b5d33, before ``ema_momentum``)
            the study's defaults stopped after about 39 epochs (about 300 updates) at efficacy
            ratio 0.43 (mean), 2,500 epochs (20,000 updates) gave 0.85 at a DCR share of 0.40
            (0.5: no memorisation). Adult's 26,048 rows
            make 204 updates per epoch, 20,400 in 100 epochs: the rule does not bind. ``"cgan"``
            trains at least 5,000 (see :class:`CGANConfig`).
        batch_size: Rows per step (at most an eighth of the table's rows).
        latent_dim: Noise width.
        generator_layers: Hidden specs of G (64 -> 128 -> 256 -> 512 -> 256, LeakyReLU(0.2),
            BatchNorm, dropout 0.1); G ends in a tanh layer of the encoded width.
        discriminator_layers: Hidden specs of D (64 -> 32, LeakyReLU(0.2), dropout 0.3); D ends in one logit.
        learning_rate, beta_1, weight_decay: Adam of both networks.
        critic_steps: Discriminator updates per generator update.
        generator_steps: Generator updates per train step.
        warmup: Epochs before early stopping on the generator loss may stop training.
        patience: Epochs without a lower generator loss before stopping (best weights restored).
        ema_momentum: Momentum of an exponential moving average of the generator's weights, kept
            by its optimizer and copied into the generator when training ends (0: the last
            weights, or those early stopping restored): an average of the iterates smooths the
            generator's oscillation about the equilibrium (Yazici et al. 2019, "The Unusual
            Effectiveness of Averaging in GAN Training"). ``None`` (the default): 0.999 when the
            default epochs are raised for ``min_updates`` (a small table), else 0. On 800 rows of
            the validation split (``python -m benchmarks.diffusion_sampling small --method gan
            --epochs-list 0 --set ema_momentum=0.999 --seed S``, seeds 0-2) the average raised the
            efficacy ratio of the 20,000 updates from 0.847 to 0.888 at a DCR share of 0.52 (0.40
            without); on the 800-row test table (``benchmarks/tabular_vs_ctgan.py --table small``)
            from 0.888 to 0.913, DCR share 0.53 -> 0.50. On Adult's protocol (100 epochs with early
            stopping; ``--table adult --set ema_momentum=0.999``) the efficacy ratio fell from 0.823
            to 0.770 (0.901 / 0.858 / 0.551 on seeds 0-2) with a DCR share of 0.57: off there.
    """

    epochs: int | None = None
    min_updates: int = 20000
    batch_size: int = 128
    latent_dim: int = 32
    generator_layers: tuple = (_leaky(64, dropout=0.1), _leaky(128, dropout=0.1), _leaky(256, dropout=0.1),
                               _leaky(512, dropout=0.1), _leaky(256, dropout=0.1))
    discriminator_layers: tuple = (_leaky(64, batch_norm=False, dropout=0.3), _leaky(32, batch_norm=False, dropout=0.3))
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    weight_decay: float = 1e-5
    critic_steps: int = 1
    generator_steps: int = 1
    warmup: int = 20
    patience: int = 15
    ema_momentum: float | None = None

    def __post_init__(self):
        if self.epochs is not None:
            check_int(f"{type(self).__name__}.epochs", self.epochs, 1)
        for name in ("batch_size", "latent_dim", "critic_steps", "generator_steps"):
            check_int(f"{type(self).__name__}.{name}", getattr(self, name), 1)
        for name in ("min_updates", "warmup", "patience"):
            check_int(f"{type(self).__name__}.{name}", getattr(self, name), 0)
        check_positive(type(self).__name__, learning_rate=self.learning_rate)
        if self.ema_momentum is not None:
            check_momentum(type(self).__name__, self.ema_momentum)
        object.__setattr__(self, "generator_layers", as_layer_specs(self.generator_layers))
        object.__setattr__(self, "discriminator_layers", as_layer_specs(self.discriminator_layers))

    def epochs_for(self, n_rows: int) -> int:
        """Epochs of a fit on ``n_rows`` rows: ``epochs`` when set, else ``DEFAULT_GAN_EPOCHS`` or
        enough epochs for ``min_updates`` updates when that is more (800 rows: 2,500 epochs)."""
        if self.epochs is not None:
            return self.epochs
        per_epoch = -(-int(n_rows) // batch_for(self.batch_size, n_rows))  # the last, partial batch counts
        return max(DEFAULT_GAN_EPOCHS, -(-self.min_updates // per_epoch))

    def stops_early(self, n_rows: int) -> bool:
        """Whether early stopping on the generator loss may end a default-length fit on ``n_rows``
        rows: not when the default ``epochs`` are raised for ``min_updates`` (a small table)."""
        return self.epochs is not None or self.epochs_for(n_rows) == DEFAULT_GAN_EPOCHS


@dataclasses.dataclass(frozen=True)
class CGANConfig(GANConfig):
    """``"cgan"``: :class:`GANConfig` plus ``condition_column``, the discrete column the GAN is conditioned on.

    ``min_updates`` defaults to 5,000 (800 rows: 625 epochs; Adult's 26,048 rows keep the study's
    100 epochs with early stopping), with the generator's moving average of the raised length. On
    800 rows of Adult (a validation split, seeds 0-2, ``python -m benchmarks.diffusion_sampling
    small --method cgan --epochs-list 0 --min-updates U --seed S``) the DCR share, 0.5 without
    memorisation, decided it against the 0.55 guard of the diffusion method: the study's length
    (``--epochs-list 100``) gave efficacy ratio 0.54 at a DCR share of 0.47; 20,000 updates 0.85
    at 0.60 (at 99b5d33, without the average), with the average 0.90 at 0.68 (seeds 0-1); 10,000
    updates with the average 0.91 at 0.62 (seeds 0-1); 5,000 updates with the average 0.914
    (0.945 / 0.878 / 0.918) at 0.547 (0.505 / 0.510 / 0.626).
    """

    condition_column: str | None = None
    min_updates: int = 5000


@dataclasses.dataclass(frozen=True)
class AEGANConfig:
    """Autoencoder and latent GAN of ``"ae_gan"`` (least-squares GAN on the codes, the study's "MSE" variant).

    Attributes:
        epochs: Latent GAN epochs.
        batch_size: Rows per step, both stages (at most an eighth of the table's rows).
        latent_dim: Autoencoder code width.
        ae_hidden: Encoder hidden specs (decoder mirrored).
        ae_epochs, ae_patience: Autoencoder epochs and early-stopping patience (on a 10 % validation split).
        ae_learning_rate: Adam learning rate of the autoencoder (halved on plateaus).
        noise_dim: Latent GAN noise width.
        gan_hidden: Hidden specs of the latent generator and critic.
        critic_steps: Critic updates per generator update.
    """

    epochs: int = 100
    batch_size: int = 128
    latent_dim: int = 16
    ae_hidden: tuple = (128, 64)
    ae_epochs: int = 100
    ae_patience: int = 10
    ae_learning_rate: float = 1e-3
    noise_dim: int = 32
    gan_hidden: tuple = (LayerSpec(128, "leaky_relu"), LayerSpec(128, "leaky_relu"))
    critic_steps: int = 1

    def __post_init__(self):
        for name in ("epochs", "batch_size", "latent_dim", "ae_epochs", "noise_dim", "critic_steps"):
            check_int(f"{type(self).__name__}.{name}", getattr(self, name), 1)
        check_int(f"{type(self).__name__}.ae_patience", self.ae_patience, 0)
        check_positive(type(self).__name__, ae_learning_rate=self.ae_learning_rate)
        object.__setattr__(self, "ae_hidden", as_layer_specs(self.ae_hidden))
        object.__setattr__(self, "gan_hidden", as_layer_specs(self.gan_hidden))


@dataclasses.dataclass(frozen=True)
class AEWGANGPConfig(AEGANConfig):
    """``"ae_wgan_gp"``: :class:`AEGANConfig` with a WGAN-GP on the codes (5 critic steps, penalty weight 10)."""

    critic_steps: int = 5
    gp_weight: float = 10.0


class _StudyMethod(Synthesizer):
    """Shared parts of the study's methods: the encoder and tanh-activated outputs."""

    def make_encoder(self):
        return MinMaxOneHotEncoder(self.column_types, self.seed)

    def _base_sampler_parts(self, network) -> dict:
        return {"network": network, "latent_dim": self.model_.latent_dim, "activated": True}


@register
class GANSynthesizer(_StudyMethod):
    """``"gan"``: the study's GAN on whole rows (see the module docstring)."""

    method = "gan"
    config_class = GANConfig
    _all_epochs = False  # set by fit: the default epochs were raised for min_updates, so all of them run

    def _n_classes(self, encoder) -> int:
        return 0

    @property
    def epochs(self) -> int:
        return DEFAULT_GAN_EPOCHS if self.config.epochs is None else self.config.epochs

    def fit(self, data, epochs: int | None = None, callbacks=None, verbose: int = 0, **kwargs) -> "GANSynthesizer":
        """As :meth:`Synthesizer.fit`; ``epochs`` defaults to the config's (:meth:`GANConfig.epochs_for`:
        on a small table, enough epochs for ``min_updates`` updates, without early stopping;
        ``"gan"`` only by default)."""
        rows = count_rows(data)
        self._all_epochs = epochs is None and not self.config.stops_early(rows)
        if epochs is None:
            epochs = self.config.epochs_for(rows)
        return super().fit(data, epochs=epochs, callbacks=callbacks, verbose=verbose, **kwargs)

    def build_model(self, encoder, x, frame):
        c = self.config
        n_classes = self._n_classes(encoder)
        model = build_gan(encoder.output_width_ - n_classes, c.latent_dim, c.generator_layers,
                          c.discriminator_layers, n_classes, c.critic_steps, c.generator_steps, seed=self.seed)

        def adam(ema_momentum=0.0):
            return keras.optimizers.Adam(c.learning_rate, beta_1=c.beta_1, weight_decay=c.weight_decay or None,
                                         use_ema=ema_momentum > 0, ema_momentum=ema_momentum or 0.99)

        model.compile(adam(self.ema_momentum()), adam(), jit_compile=self.jit_compile)
        return model

    def ema_momentum(self) -> float:
        """The generator average's momentum of this fit: the config's, or with ``None``
        ``SMALL_TABLE_EMA`` when the default epochs were raised for ``min_updates``, else 0."""
        if self.config.ema_momentum is not None:
            return self.config.ema_momentum
        return SMALL_TABLE_EMA if self._all_epochs else 0.0

    def _data(self, encoder, x):
        return (x,)

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        c = self.config
        warmup = epochs if self._all_epochs else c.warmup
        stopper = RestoreBestEarlyStopping(monitor="g_loss", mode="min", patience=c.patience,
                                           start_from_epoch=warmup, restore_best_weights=True)
        first = data.first_epoch()
        dataset, steps = data.batches(data.global_batch(c.batch_size), first, self._data(encoder, data.x),
                                      drop_remainder=False)
        history = model.fit(dataset, epochs=epochs, initial_epoch=first, steps_per_epoch=steps, shuffle=False,
                            callbacks=data.callbacks("train", callbacks, stateful=[stopper]), verbose=verbose)
        if self.ema_momentum():  # after early stopping's restore: the average replaces the generator's weights
            model.g_optimizer.finalize_variable_values(model.generator.trainable_variables)
        return data.history("train", history)

    def sampler_parts(self):
        generator = self.model_.generator
        return self._base_sampler_parts(lambda z, cond: generator(z, training=False))


@register
class CGANSynthesizer(GANSynthesizer):
    """``"cgan"``: the study's conditional GAN on ``config.condition_column`` (see the module docstring)."""

    method = "cgan"
    config_class = CGANConfig

    def _label_span(self, encoder):
        col = self.config.condition_column
        discrete = [c for c in encoder.columns_ if encoder.kinds_[c] in DISCRETE_KINDS]
        if col not in discrete:
            raise UnknownNameError(f"CGANConfig.condition_column = {col!r} is not a discrete column of the frame; "
                                   f"set it to one of {discrete}")
        return encoder.spans_of(col)["category"]

    def make_encoder(self):
        if self.config.condition_column is None:
            raise ConfigError("method 'cgan' conditions on one discrete column: set condition_column, e.g. "
                              "Synthesizer('cgan', condition_column='income')")
        return super().make_encoder()

    def _n_classes(self, encoder) -> int:
        return self._label_span(encoder).dim

    def _data(self, encoder, x):
        span = self._label_span(encoder)
        features = np.concatenate([x[:, :span.start], x[:, span.stop:]], axis=1)
        return features, x[:, span.start:span.stop].argmax(axis=1)

    def sampler_parts(self):
        span = self._label_span(self.encoder_)
        generator, k = self.model_.generator, span.dim

        def network(z, label):
            features = generator(tf.concat([z, label], axis=1), training=False)
            # The label's one-hot block goes back where the encoder put the column.
            return tf.concat([features[:, :span.start], label, features[:, span.start:]], axis=1)

        disc = [s.column for s in self.encoder_.discrete_spans_]
        offset = sum(s.dim for s in self.encoder_.discrete_spans_[:disc.index(span.column)])
        return {**self._base_sampler_parts(network), "position": span.column,
                "cond_vector": lambda position: tf.one_hot(position - offset, k, dtype=tf.float32)}


@register
class AEGANSynthesizer(_StudyMethod):
    """``"ae_gan"``: autoencoder, then a least-squares GAN on its codes (see the module docstring)."""

    method = "ae_gan"
    config_class = AEGANConfig
    variant = "ls"

    def build_model(self, encoder, x, frame):
        c = self.config
        self._autoencoder = TabularAutoencoder(encoder.output_width_, c.latent_dim, c.ae_hidden, name="autoencoder")
        self._autoencoder(x[:1])  # built before fit, so that a backup can be restored into it
        self._autoencoder.compile(keras.optimizers.Adam(c.ae_learning_rate), keras.losses.Huber(delta=1.0),
                                  jit_compile=self.jit_compile)
        model = build_latent_gan(self._autoencoder, c.noise_dim, c.gan_hidden, self.variant, c.critic_steps,
                                 getattr(c, "gp_weight", 10.0), seed=self.seed)
        model.compile(jit_compile=self.jit_compile)
        return model

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        """The autoencoder first (Huber loss, learning rate halved on plateaus, early stopping on a
        10 % validation split with the best weights kept), then the latent GAN on its frozen codes."""
        c = self.config
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                     patience=max(1, c.ae_patience // 2), min_lr=1e-5)
        stopper = RestoreBestEarlyStopping(monitor="val_loss", patience=c.ae_patience, restore_best_weights=True)
        x = data.x
        split = int(len(x) * 0.9)  # the last 10 % validate, as Keras' validation_split=0.1 takes them
        model.encoder.trainable = True  # LatentGAN froze it; the autoencoder trains it first
        first = data.first_epoch("autoencoder")
        pairs, steps = data.batches(data.global_batch(c.batch_size), first, (x[:split], x[:split]),
                                    drop_remainder=False, epochs=c.ae_epochs)
        ae_history = self._autoencoder.fit(
            pairs, epochs=c.ae_epochs, initial_epoch=first, steps_per_epoch=steps, validation_data=(x[split:], x[split:]),
            validation_batch_size=c.batch_size, shuffle=False, verbose=verbose,
            callbacks=data.callbacks("autoencoder", [], stateful=[schedule, stopper]))
        model.encoder.trainable = False
        del self._autoencoder
        model.adapt(x)  # the code statistics of every row
        first = data.first_epoch()
        rows, steps = data.batches(data.global_batch(c.batch_size), first, drop_remainder=False)
        history = model.fit(rows, epochs=epochs, initial_epoch=first, steps_per_epoch=steps, shuffle=False,
                            callbacks=data.callbacks("train", callbacks), verbose=verbose)
        return {**data.history("train", history),
                **{f"autoencoder_{k}": v for k, v in data.history("autoencoder", ae_history).items()}}

    def sampler_parts(self):
        model = self.model_
        return self._base_sampler_parts(lambda z, cond: model(z, training=False))


@register
class AEWGANGPSynthesizer(AEGANSynthesizer):
    """``"ae_wgan_gp"``: autoencoder, then a WGAN-GP on its codes."""

    method = "ae_wgan_gp"
    config_class = AEWGANGPConfig
    variant = "wgan_gp"
