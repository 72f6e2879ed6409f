"""Tabular GAN and conditional GAN on encoded rows (the original study's networks as defaults).

Both reuse :class:`gans.GAN` (:class:`gans._adversarial.AdversarialModel`): its ``train_step``
(alternating D / G updates, ``d_steps`` / ``g_steps`` per step), the non-saturating BCE losses of
:mod:`gans.losses` and the conditioning of G and D on a one-hot label. This module adds the
layer-spec networks, Adam with weight decay, early stopping on the generator loss after a
warm-up with restore of the best weights, and :meth:`TabularGAN.generate`, which snaps every
one-hot group to its argmax and returns rows in the original schema.

The study's discriminator ends in a sigmoid trained with BCE; ours outputs the logit and the
loss applies the sigmoid inside (``softplus`` form), the same model computed stably.

Example:
    >>> model = TabularCGAN.build(ds.transformer, TabularGANConfig(epochs=100), seed=0)
    >>> model.compile()
    >>> model.train(x_train, y_train)
    >>> rows = model.generate(1000, label=">50K")
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from gans.gan import GAN
from genlab.errors import ConfigError, LabelError
from genlab.layers import LayerSpec, as_layer_specs, build_mlp
from tabular.transformer import NotFittedError, TabularTransformer


def _leaky(units, batch_norm=True, dropout=0.0):
    return LayerSpec(units, "leaky_relu", batch_norm=batch_norm, dropout=dropout)


@dataclasses.dataclass(frozen=True)
class TabularGANConfig:
    """Networks and training of :class:`TabularGAN` / :class:`TabularCGAN` (study defaults).

    Attributes:
        latent_dim: Noise width (the study: 32).
        generator_layers: Hidden specs of G; the study's 64 -> 128 -> 256 -> 512 -> 256 with
            LeakyReLU(0.2), BatchNorm and dropout; G ends in a tanh layer of the data width.
        discriminator_layers: Hidden specs of D: 64 -> 32, LeakyReLU(0.2), dropout; D ends in one
            logit (the study's sigmoid sits in the loss).
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam beta_1 (0.5 as in DCGAN).
        weight_decay: Adam's decoupled weight decay.
        d_steps: Discriminator updates per train step.
        g_steps: Generator updates per train step (the generator update frequency).
        batch_size: Rows per step.
        epochs: Maximum epochs.
        warmup: Epochs before early stopping may trigger.
        patience: Epochs without a lower generator loss before stopping.
    """

    latent_dim: int = 32
    generator_layers: tuple = (_leaky(64, dropout=0.1), _leaky(128, dropout=0.1), _leaky(256, dropout=0.1),
                               _leaky(512, dropout=0.1), _leaky(256, dropout=0.1))
    discriminator_layers: tuple = (_leaky(64, batch_norm=False, dropout=0.3),
                                   _leaky(32, batch_norm=False, dropout=0.3))
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    weight_decay: float = 1e-5
    d_steps: int = 1
    g_steps: int = 1
    batch_size: int = 128
    epochs: int = 100
    warmup: int = 20
    patience: int = 15

    def __post_init__(self):
        for name in ("latent_dim", "d_steps", "g_steps", "batch_size", "epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"TabularGANConfig.{name} must be an int >= 1, received {value!r}")
        for name in ("warmup", "patience"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ConfigError(f"TabularGANConfig.{name} must be an int >= 0, received {getattr(self, name)!r}")
        if not self.learning_rate > 0 or self.weight_decay < 0:
            raise ConfigError(f"learning_rate must be > 0 and weight_decay >= 0, received "
                              f"{self.learning_rate!r}, {self.weight_decay!r}")
        object.__setattr__(self, "generator_layers", as_layer_specs(self.generator_layers))
        object.__setattr__(self, "discriminator_layers", as_layer_specs(self.discriminator_layers))


class RestoreBestEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` that also restores the best weights when training runs to the last epoch.

    Keras restores them only when it stops early; a GAN's last epoch is not its best one.
    """

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self.restore_best_weights and self.best_weights is not None and not self.stopped_epoch:
            self.model.set_weights(self.best_weights)


@keras.saving.register_keras_serializable(package="tabular")
class TabularGAN(GAN):
    """GAN on encoded table rows; the unconditional model learns the target as one more column.

    Args:
        generator: ``(batch, latent_dim + n_classes) -> (batch, width)`` with tanh output.
        discriminator: ``(batch, width + n_classes) -> (batch, 1)`` logits.
        n_classes: 0 here; 2 for :class:`TabularCGAN`.
        d_steps, g_steps: Updates per train step.
        learning_rate, beta_1, weight_decay: Default Adam settings of both networks.
        positive_rate: Share of positive labels drawn when a conditional model generates
            without a label (set by :meth:`train` to the training ratio).
        seed: Seed of the noise stream.
        transformer: The fitted :class:`TabularTransformer` that decodes rows (not serialized:
            :meth:`save` stores it beside the model).
        **kwargs: ``keras.Model`` arguments.
    """

    def __init__(self, generator, discriminator, n_classes: int = 0, d_steps: int = 1, g_steps: int = 1,
                 learning_rate: float = 2e-4, beta_1: float = 0.5, weight_decay: float = 1e-5,
                 positive_rate: float = 0.5, seed: int | None = None,
                 transformer: TabularTransformer | None = None, **kwargs):
        super().__init__(generator, discriminator, n_classes=n_classes, d_steps=d_steps, g_steps=g_steps,
                         seed=seed, **kwargs)
        self.learning_rate, self.beta_1, self.weight_decay = float(learning_rate), float(beta_1), float(weight_decay)
        self.positive_rate = float(positive_rate)
        self.transformer = transformer

    @classmethod
    def build(cls, transformer: TabularTransformer, config: TabularGANConfig = TabularGANConfig(),
              seed: int | None = None) -> "TabularGAN":
        """Build the networks from ``config`` for the transformer's encoded width."""
        transformer._check_fitted()
        n_classes = cls._N_CLASSES
        if n_classes and transformer.target is None:
            raise ConfigError(f"{cls.__name__} conditions on the target: fit the transformer with target=...")
        width = transformer.feature_width_ if n_classes else transformer.output_width_
        generator = build_mlp(config.latent_dim + n_classes, config.generator_layers, output_units=width,
                              output_activation="tanh", name="generator")
        discriminator = build_mlp(width + n_classes, config.discriminator_layers, output_units=1,
                                  name="discriminator")
        return cls(generator, discriminator, n_classes=n_classes, d_steps=config.d_steps,
                   g_steps=config.g_steps, learning_rate=config.learning_rate, beta_1=config.beta_1,
                   weight_decay=config.weight_decay, seed=seed, transformer=transformer)

    _N_CLASSES = 0

    def _default_optimizer(self):
        return keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1, weight_decay=self.weight_decay or None)

    def _hyper_config(self) -> dict:
        return {**super()._hyper_config(), "learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "weight_decay": self.weight_decay, "positive_rate": self.positive_rate}

    # ---------------------------------------------------------------------------------- training
    def train(self, x, y=None, epochs: int = 100, batch_size: int = 128, warmup: int = 20,
              patience: int = 15, callbacks=(), verbose: int = 0) -> keras.callbacks.History:
        """``fit`` with early stopping on ``g_loss`` after ``warmup`` epochs, best weights restored.

        Args:
            x: Encoded rows: ``(n, output_width)`` (target last) for the GAN, ``(n, feature_width)``
                for the cGAN.
            y: 0/1 labels, required by the cGAN only.
            epochs, batch_size: As in ``fit``.
            warmup: Epochs before stopping may trigger.
            patience: Epochs without improvement of ``g_loss`` before stopping.
            callbacks: Extra callbacks (e.g. TensorBoard).
            verbose: ``fit`` verbosity.
        """
        if self.g_optimizer is None:
            self.compile()
        if self.conditional:
            if y is None:
                raise LabelError(f"{type(self).__name__} needs labels: train(x, y) with 0/1 y")
            y = np.asarray(y).reshape(-1)
            self.positive_rate = float(np.mean(y == 1))
            data = (np.asarray(x, np.float32), y.astype(np.int64))
        else:
            data = (np.asarray(x, np.float32),)
        stopper = RestoreBestEarlyStopping(monitor="g_loss", mode="min", patience=patience,
                                           start_from_epoch=warmup, restore_best_weights=True)
        return self.fit(*data, epochs=epochs, batch_size=batch_size, shuffle=True,
                        callbacks=[stopper, *callbacks], verbose=verbose)

    # ---------------------------------------------------------------------------------- sampling
    def _labels(self, n: int, label):
        if not self.conditional:
            if label is not None:
                raise LabelError(f"{type(self).__name__} is unconditional; drop label= or use TabularCGAN")
            return None
        if label is None:
            rng = np.random.default_rng(self.seed)
            return (rng.random(n) < self.positive_rate).astype(np.int64)
        if isinstance(label, str) and self.transformer is not None:
            return np.full(n, int(self.transformer.transform_target([label])[0]), np.int64)
        labels = np.asarray(label)
        return np.broadcast_to(labels.reshape(-1), (n,)).astype(np.int64) if labels.size == 1 \
            else labels.astype(np.int64)

    def generate_encoded(self, n: int, label=None) -> tuple[np.ndarray, np.ndarray | None]:
        """Snapped encoded rows ``(n, width)`` and the labels used (``None`` if unconditional)."""
        labels = self._labels(n, label)
        x = GAN.generate(self, n, labels)
        if self.transformer is not None:
            x = self.transformer.snap(x)
        return x, labels

    def generate(self, n: int, label=None, batch_size: int = 1024) -> pd.DataFrame:  # noqa: D417
        """Generate ``n`` rows in the original schema (one-hot groups snapped to their argmax).

        Args:
            n: Rows.
            label: cGAN only: a class value (``">50K"``), 0/1, or ``n`` labels; ``None`` draws
                labels with the training positive rate.

        Raises:
            NotFittedError: The model has no transformer.
            LabelError: A label for the unconditional model, or labels of the wrong length.
        """
        if self.transformer is None:
            raise NotFittedError("this model has no transformer to decode rows; build it with "
                                 "TabularGAN.build(transformer) or set model.transformer")
        x, labels = self.generate_encoded(n, label)
        return self.transformer.inverse_transform(x, labels)

    def sample(self, n: int, conditions=None) -> pd.DataFrame:
        """Synthesizer interface (DESIGN.md convention 8): ``generate(n, label=conditions)``."""
        return self.generate(n, label=conditions)

    def save(self, directory) -> Path:
        """Write ``config.json``, ``model.weights.h5`` and ``transformer.pkl`` into ``directory``.

        The transformer is pickled: load directories you trust only.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(json.dumps(keras.saving.serialize_keras_object(self)))
        self.save_weights(directory / "model.weights.h5")
        with open(directory / "transformer.pkl", "wb") as fh:
            pickle.dump(self.transformer, fh)
        return directory

    @classmethod
    def load(cls, directory) -> "TabularGAN":
        """Rebuild a model written by :meth:`save` (weights and transformer included)."""
        directory = Path(directory)
        missing = [n for n in ("config.json", "model.weights.h5", "transformer.pkl") if not (directory / n).exists()]
        if missing:
            raise ConfigError(f"{directory} lacks {missing}; give a directory written by {cls.__name__}.save")
        model = keras.saving.deserialize_keras_object(json.loads((directory / "config.json").read_text()))
        model.load_weights(directory / "model.weights.h5")
        with open(directory / "transformer.pkl", "rb") as fh:
            model.transformer = pickle.load(fh)  # noqa: S301 (the user's own saved model)
        return model


@keras.saving.register_keras_serializable(package="tabular")
class TabularCGAN(TabularGAN):
    """Conditional tabular GAN: the one-hot target label is appended to G's noise and D's input.

    Trained on encoded features without the target (``train(x, y)``); ``generate(n, label)``
    returns rows whose target is the requested label.
    """

    _N_CLASSES = 2

    def __init__(self, generator, discriminator, n_classes: int = 2, **kwargs):
        if n_classes != 2:
            raise ConfigError(f"TabularCGAN conditions on a binary target: n_classes must be 2, received {n_classes}")
        super().__init__(generator, discriminator, n_classes=2, **kwargs)


def export_generator(model: TabularGAN, path) -> str:
    """Export the generator as a SavedModel with endpoint ``serve``.

    The endpoint maps noise ``(batch, latent_dim)`` float32 — and for a conditional model the
    one-hot label ``(batch, 2)`` — to raw encoded rows ``(batch, width)`` in ``[-1, 1]``;
    decode them with the transformer's ``inverse_transform`` (which snaps one-hot groups).

    Returns:
        The path written.
    """
    import tensorflow as tf

    from genlab.export import export_saved_model

    generator = model.generator
    noise = tf.TensorSpec((None, model.latent_dim), tf.float32, name="noise")
    if model.conditional:
        label = tf.TensorSpec((None, model.n_classes), tf.float32, name="label")
        return export_saved_model(path, lambda z, y: generator(tf.concat([z, y], axis=-1), training=False),
                                  [noise, label], [generator])
    return export_saved_model(path, lambda z: generator(z, training=False), [noise], [generator])
