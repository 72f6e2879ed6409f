"""Shared machinery of the adversarial models: noise, labels, the two-player step, config.

Subclasses (:class:`~gans.GAN`, :class:`~gans.WGAN`, :class:`~gans.WGANGP`) supply the losses
through three hooks: ``_critic_terms``, ``_generator_loss`` and ``_after_critic_update``. The two
Wasserstein models share :class:`WassersteinModel` (critic naming, ``n_critic``, generator loss).
"""

from __future__ import annotations

import random

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gans.losses import wasserstein_generator_loss
from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, LabelError


def _positive_int(name: str, value, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        bound = ">= 0" if allow_zero else ">= 1"
        raise ConfigError(f"{name} must be an int {bound}, received {value!r}")
    return int(value)


class AdversarialModel(keras.Model):
    """Base class: a generator and a discriminator/critic trained in alternation through ``fit``.

    Each ``train_step`` runs ``d_steps`` critic updates (fresh noise each, the same real
    batch) and then ``g_steps`` generator updates. A conditional model (``n_classes > 0``)
    concatenates the one-hot label to the generator noise and to the critic input (as
    constant extra channels for images); give ``fit`` ``(x, y)`` with integer or one-hot ``y``.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        discriminator: Model ``(batch, *sample_shape[:-1], sample_shape[-1] + n_classes) -> (batch, 1)``.
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        d_steps: Critic updates per train step (>= 1).
        g_steps: Generator updates per train step (>= 1).
        seed: Integer seed of the model's noise stream; ``None`` draws one from Python's
            ``random`` (seeded by ``keras.utils.set_random_seed``) and stores it in the config.
        **kwargs: Standard ``keras.Model`` arguments (``name``...).

    Raises:
        ConfigError: A count is not a positive int, or the two networks' shapes do not fit.
    """

    #: Config key and constructor argument naming the second network.
    _D_KEY = "discriminator"
    #: Names of the Mean trackers, in the order ``fit`` logs them.
    METRIC_NAMES: tuple[str, ...] = ("d_loss", "g_loss")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, n_classes: int = 0,
                 d_steps: int = 1, g_steps: int = 1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = _positive_int("n_classes", n_classes, allow_zero=True)
        self.d_steps = _positive_int("d_steps", d_steps)
        self.g_steps = _positive_int("g_steps", g_steps)
        self.seed = random.randint(0, 2**31 - 1) if seed is None else _positive_int("seed", seed, True)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = self._check_shapes()
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self.METRIC_NAMES}
        self.g_optimizer = self.d_optimizer = None
        # Sub-models are built: marking the wrapper built stops fit from calling `call` on a
        # data batch (call takes noise) and from building an optimizer over every variable.
        self.built = True

    def _check_shapes(self) -> int:
        g_in, g_out = tuple(self.generator.input_shape), tuple(self.generator.output_shape)
        d_in = tuple(self.discriminator.input_shape)
        if len(g_in) != 2 or g_in[1] is None or g_in[1] <= self.n_classes:
            raise ConfigError(
                f"generator input must be (batch, latent_dim + n_classes) with latent_dim >= 1; received "
                f"{g_in} for n_classes={self.n_classes}; build it with latent_dim + n_classes inputs")
        expected = g_out[1:-1] + (g_out[-1] + self.n_classes,)
        if d_in[1:] != expected:
            raise ConfigError(
                f"{self._D_KEY} input must be (batch, *{expected}) = generator output {g_out} with "
                f"{self.n_classes} label channel(s) appended; received {d_in}")
        return g_in[1] - self.n_classes

    @property
    def conditional(self) -> bool:
        """Whether the model is conditioned on class labels."""
        return self.n_classes > 0

    @property
    def metrics(self):
        return [self._trackers[name] for name in self.METRIC_NAMES]

    # ----------------------------------------------------------------------------- inputs
    def _one_hot(self, labels):
        """Integer ``(batch,)``/``(batch, 1)`` or one-hot ``(batch, n_classes)`` labels -> float one-hot."""
        if len(labels.shape) == 2 and labels.shape[-1] == self.n_classes and self.n_classes > 1:
            return ops.cast(labels, "float32")
        return ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.n_classes)

    def _noise(self, batch, one_hot=None):
        """Generator input: N(0, 1) noise, with the one-hot label appended when conditional."""
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        return z if one_hot is None else ops.concatenate([z, one_hot], axis=-1)  # (batch, latent + k)

    def _critic(self, x, one_hot=None, training=True):
        """Critic scores; a conditional critic sees the label as extra trailing channels."""
        if one_hot is not None:
            shape = ops.shape(x)
            maps = ops.reshape(one_hot, (-1,) + (1,) * (len(x.shape) - 2) + (self.n_classes,))
            maps = ops.broadcast_to(maps, tuple(shape[:-1]) + (self.n_classes,))  # (batch, ..., k)
            x = ops.concatenate([ops.cast(x, "float32"), maps], axis=-1)
        return self.discriminator(x, training=training)

    def _unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not self.conditional:
            return x, None
        if y is None:
            raise LabelError(f"{type(self).__name__} is conditional (n_classes={self.n_classes}): "
                             "give fit (x, y) with class labels")
        return x, self._one_hot(y)

    # ----------------------------------------------------------------------------- training
    def call(self, z, training=False):
        """Generate from a full generator input (noise, then one-hot label if conditional)."""
        return self.generator(z, training=training)

    def train_step(self, data):
        x, one_hot = self._unpack(data)
        batch = ops.shape(x)[0]
        for _ in range(self.d_steps):  # unrolled: a few critic updates on the same real batch
            terms = self._critic_step(x, one_hot, batch)
        for _ in range(self.g_steps):
            terms["g_loss"] = self._generator_step(one_hot, batch)
        for name, value in terms.items():
            self._trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def _critic_step(self, x, one_hot, batch) -> dict:
        fake = self.generator(self._noise(batch, one_hot), training=True)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            terms = self._critic_terms(x, fake, one_hot)
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(terms["d_loss"])
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self._after_critic_update()
        return terms

    def _generator_step(self, one_hot, batch):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(batch, one_hot), training=True)
            loss = self._generator_loss(self._critic(fake, one_hot, training=True))
            scaled = scale_for_replicas(loss)
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    def _critic_terms(self, real, fake, one_hot) -> dict:
        """Return ``{"d_loss": ..., other tracked terms}`` (unscaled batch means)."""
        raise NotImplementedError

    def _generator_loss(self, fake_scores):
        raise NotImplementedError

    def _after_critic_update(self) -> None:
        """Hook run after each critic update (WGAN clips weights here)."""

    # ----------------------------------------------------------------------------- compile
    def _default_optimizer(self) -> keras.optimizers.Optimizer:
        raise NotImplementedError

    def compile(self, g_optimizer=None, d_optimizer=None, jit_compile: bool = False,
                run_eagerly: bool = False, steps_per_execution: int = 1):
        """Set the two optimizers (one per network) and compile options.

        Args:
            g_optimizer: Generator optimizer (instance, name or config); ``None`` uses the
                model's default (see the class docstring). Never share one instance between G and D.
            d_optimizer: Critic optimizer, same forms.
            jit_compile: Compile the train step with XLA (off by default: ``"auto"`` is off on CPU).
            run_eagerly: Run the step eagerly, for debugging.
            steps_per_execution: Steps per compiled call.

        Raises:
            ConfigError: The same optimizer instance is given for both networks.
        """
        if g_optimizer is not None and g_optimizer is d_optimizer:
            raise ConfigError("g_optimizer and d_optimizer are the same object; give each network "
                              "its own optimizer (Keras refuses to reuse one on other variables)")
        with self.distribute_strategy.scope():
            self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer is not None \
                else self._default_optimizer()
            self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None \
                else self._default_optimizer()
            # Built here, inside the scope: lazy creation inside a replica step fails.
            for opt, net in ((self.g_optimizer, self.generator), (self.d_optimizer, self.discriminator)):
                if not opt.built:
                    opt.build(net.trainable_variables)
        super().compile(optimizer=None, jit_compile=jit_compile, run_eagerly=run_eagerly,
                        steps_per_execution=steps_per_execution)

    def get_compile_config(self):
        if self.g_optimizer is None:
            return {}
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
                "jit_compile": bool(self.jit_compile), "run_eagerly": bool(self.run_eagerly),
                "steps_per_execution": int(self.steps_per_execution)}

    def compile_from_config(self, config):
        if not config:
            return
        config = dict(config)
        for key in ("g_optimizer", "d_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    # ----------------------------------------------------------------------------- sampling
    def generate(self, n: int, labels=None, batch_size: int = 1024) -> np.ndarray:
        """Draw ``n`` samples from the generator (inference mode), using the model's noise stream.

        Args:
            n: Number of samples (>= 1).
            labels: For a conditional model: one class for all (``int``) or ``n`` integer labels.
            batch_size: Samples per generator call.

        Returns:
            NumPy array ``(n, *sample_shape)``.

        Raises:
            LabelError: Labels missing for a conditional model, given to an unconditional one,
                of the wrong length or outside ``[0, n_classes)``.
        """
        n = _positive_int("n", n)
        one_hot = None
        if labels is not None and not self.conditional:
            raise LabelError("labels were given but the model is unconditional (n_classes=0); drop them")
        if self.conditional:
            if labels is None:
                raise LabelError(f"labels are required: the model is conditional on {self.n_classes} classes")
            labels = np.broadcast_to(np.asarray(labels, dtype=np.int64).reshape(-1), (n,)) \
                if np.ndim(labels) == 0 else np.asarray(labels, dtype=np.int64).reshape(-1)
            if len(labels) != n or labels.min() < 0 or labels.max() >= self.n_classes:
                raise LabelError(f"labels must be {n} integers in [0, {self.n_classes}); received "
                                 f"{len(labels)} labels in [{labels.min()}, {labels.max()}]")
            one_hot = np.eye(self.n_classes, dtype=np.float32)[labels]
        out = []
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            oh = None if one_hot is None else one_hot[start:stop]
            out.append(ops.convert_to_numpy(self.generator(self._noise(stop - start, oh), training=False)))
        return np.concatenate(out)

    # ----------------------------------------------------------------------------- config
    def _hyper_config(self) -> dict:
        """Subclass constructor arguments besides the networks, ``n_classes`` and ``seed``."""
        return {"d_steps": self.d_steps, "g_steps": self.g_steps}

    def get_config(self):
        return {**super().get_config(),
                "generator": keras.saving.serialize_keras_object(self.generator),
                self._D_KEY: keras.saving.serialize_keras_object(self.discriminator),
                "n_classes": self.n_classes, "seed": self.seed, **self._hyper_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop(cls._D_KEY))
        return cls(generator, discriminator, **config)


class WassersteinModel(AdversarialModel):
    """Common part of the Wasserstein models: a ``critic``, ``n_critic`` critic updates per
    generator update, and the generator loss ``-E f(G(z))``.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        critic: Model from samples (+ label channels) to ``(batch, 1)`` scores.
        n_critic: Critic updates per generator update (>= 1).
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        seed: Integer seed of the noise stream.
        **kwargs: Standard ``keras.Model`` arguments.
    """

    _D_KEY = "critic"

    def __init__(self, generator: keras.Model, critic: keras.Model, n_critic: int = 5, n_classes: int = 0,
                 seed: int | None = None, **kwargs):
        super().__init__(generator, critic, n_classes=n_classes, d_steps=_positive_int("n_critic", n_critic),
                         g_steps=1, seed=seed, **kwargs)

    @property
    def critic(self) -> keras.Model:
        """The critic network (same object as ``discriminator``)."""
        return self.discriminator

    @property
    def n_critic(self) -> int:
        """Critic updates per generator update (``d_steps``)."""
        return self.d_steps

    def _generator_loss(self, fake_scores):
        return wasserstein_generator_loss(fake_scores)
