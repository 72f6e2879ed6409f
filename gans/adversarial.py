"""Public base of the adversarial models: noise, labels, the two-player step, compile and config.

:class:`AdversarialModel` runs the alternating updates of a generator and a discriminator
(critic) inside ``fit``; a model is defined by the four hooks it overrides:

- :meth:`AdversarialModel.critic_terms` -- the critic's loss and any other logged terms;
- :meth:`AdversarialModel.generator_loss` -- the generator's loss from critic scores;
- :meth:`AdversarialModel.after_critic_update` -- optional, e.g. weight clipping;
- :meth:`AdversarialModel.default_optimizer` -- the optimizer ``compile()`` gives each network.

:class:`WassersteinModel` adds what the Wasserstein models share (the ``critic`` name, five
critic updates per generator update, the loss ``-E f(G(z))``). :class:`~gans.GAN`,
:class:`~gans.LSGAN`, :class:`~gans.WGAN` and :class:`~gans.WGANGP` are built this way.

Example:
    >>> @keras.saving.register_keras_serializable(package="my_package")
    ... class HingeGAN(AdversarialModel):
    ...     def critic_terms(self, real, fake, one_hot):
    ...         real_s = self.critic_scores(real, one_hot)
    ...         fake_s = self.critic_scores(fake, one_hot)
    ...         return {"d_loss": ops.mean(ops.relu(1 - real_s)) + ops.mean(ops.relu(1 + fake_s))}
    ...     def generator_loss(self, fake_scores):
    ...         return -ops.mean(fake_scores)
    ...     def default_optimizer(self):
    ...         return keras.optimizers.Adam(2e-4, beta_1=0.5)
"""

from __future__ import annotations

import random

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gans._checks import positive_int
from gans.losses import wasserstein_critic_loss, wasserstein_generator_loss
from genlab.callbacks import GuardedFit
from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, LabelError


class AdversarialModel(GuardedFit, keras.Model):
    """Base class: a generator and a discriminator/critic trained in alternation through ``fit``.

    Each ``train_step`` runs ``critic_steps`` critic updates (fresh noise each, the same real
    batch), then ``generator_steps`` generator updates. A conditional model (``n_classes > 0``)
    concatenates the one-hot label to the generator noise and to the critic input (as constant
    extra channels for images); give ``fit`` ``(x, y)`` with integer or one-hot ``y``.

    ``fit(x, ..., checkpoint_dir=DIR)`` is resumable (:class:`genlab.callbacks.GuardedFit`): every
    finished epoch is backed up in ``DIR`` (networks, both optimizers, the noise stream), a fit
    started again with the same arguments resumes after the last finished epoch with the batches
    of an uninterrupted fit (epoch orders drawn from ``(seed, epoch)``), and a finished fit is
    restored, not retrained.

    Losses are scaled for ``tf.distribute`` (:func:`genlab.distribute.scale_for_replicas`) before
    the gradients are taken; the trackers log the unscaled batch means. The logged metrics are the
    class attribute ``METRIC_NAMES`` (``d_loss``, ``g_loss`` here); a subclass that returns more
    terms from :meth:`critic_terms` lists them there.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        discriminator: Model ``(batch, *sample_shape[:-1], sample_shape[-1] + n_classes) -> (batch, 1)``.
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        critic_steps: Critic (discriminator) updates per train step (>= 1).
        generator_steps: Generator updates per train step (>= 1).
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
                 critic_steps: int = 1, generator_steps: int = 1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = positive_int("n_classes", n_classes, allow_zero=True)
        self.critic_steps = positive_int("critic_steps", critic_steps)
        self.generator_steps = positive_int("generator_steps", generator_steps)
        self.seed = random.randint(0, 2**31 - 1) if seed is None else positive_int("seed", seed, True)
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

    def critic_scores(self, x, one_hot=None, training: bool = True):
        """Discriminator/critic outputs on samples ``x``; a conditional model appends the label.

        The one-hot label becomes constant trailing channels of ``x`` (one extra column for
        rows, ``n_classes`` label maps for images), matching the critic's input width.

        Args:
            x: Samples ``(batch, *sample_shape)``.
            one_hot: Float one-hot labels ``(batch, n_classes)``, or ``None`` when unconditional.
            training: Passed to the critic (``True`` inside a train step).

        Returns:
            Scores ``(batch, 1)``.
        """
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

    # ----------------------------------------------------------------------------- hooks
    def critic_terms(self, real, fake, one_hot) -> dict:
        """The critic's loss on one batch, and any other terms to log.

        Called inside the critic's ``GradientTape``; score samples with :meth:`critic_scores`.

        Args:
            real: Real samples ``(batch, *sample_shape)``.
            fake: Generated samples of the same shape (already computed, not differentiated).
            one_hot: Float one-hot labels ``(batch, n_classes)``, or ``None`` when unconditional.

        Returns:
            ``{"d_loss": loss, other terms...}``: unscaled batch means (the base class scales
            ``d_loss`` for the replicas); every key must be one of ``METRIC_NAMES``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement critic_terms(real, fake, one_hot)")

    def generator_loss(self, fake_scores):
        """The generator's loss (an unscaled batch mean) from critic scores on generated samples."""
        raise NotImplementedError(f"{type(self).__name__} must implement generator_loss(fake_scores)")

    def after_critic_update(self) -> None:
        """Run after each critic update (:class:`~gans.WGAN` clips the critic's weights here)."""

    def default_optimizer(self) -> keras.optimizers.Optimizer:
        """A new optimizer instance; ``compile()`` calls it once per network left unspecified."""
        raise NotImplementedError(f"{type(self).__name__} must implement default_optimizer()")

    # ----------------------------------------------------------------------------- training
    def call(self, z, training=False):
        """Generate from a full generator input (noise, then one-hot label if conditional)."""
        return self.generator(z, training=training)

    def train_step(self, data):
        x, one_hot = self._unpack(data)
        batch = ops.shape(x)[0]
        for _ in range(self.critic_steps):  # unrolled: a few critic updates on the same real batch
            terms = self._critic_step(x, one_hot, batch)
        for _ in range(self.generator_steps):
            terms["g_loss"] = self._generator_step(one_hot, batch)
        for name, value in terms.items():
            self._trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def _critic_step(self, x, one_hot, batch) -> dict:
        fake = self.generator(self._noise(batch, one_hot), training=True)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            terms = dict(self.critic_terms(x, fake, one_hot))
            self._check_terms(terms)
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(terms["d_loss"])
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.after_critic_update()
        return terms

    def _check_terms(self, terms: dict) -> None:
        # Runs once, while the step is traced: a subclass error surfaces with a clear message.
        unknown = set(terms) - (set(self.METRIC_NAMES) - {"g_loss"})
        if "d_loss" not in terms or unknown:
            raise ConfigError(
                f"{type(self).__name__}.critic_terms must return a dict with 'd_loss' and keys among "
                f"METRIC_NAMES {self.METRIC_NAMES} except 'g_loss'; received keys {sorted(terms)}: "
                "add the extra names to METRIC_NAMES")

    def _generator_step(self, one_hot, batch):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._noise(batch, one_hot), training=True)
            loss = self.generator_loss(self.critic_scores(fake, one_hot, training=True))
            scaled = scale_for_replicas(loss)
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    # ----------------------------------------------------------------------------- compile
    def compile(self, g_optimizer=None, d_optimizer=None, jit_compile: bool = False,
                run_eagerly: bool = False, steps_per_execution: int = 1):
        """Set the two optimizers (one per network) and compile options.

        Args:
            g_optimizer: Generator optimizer (instance, name or config); ``None`` uses
                :meth:`default_optimizer`. Never share one instance between G and D.
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
                else self.default_optimizer()
            self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer is not None \
                else self.default_optimizer()
            # Built here, inside the scope: lazy creation inside a replica step fails.
            for opt, net in ((self.g_optimizer, self.generator), (self.d_optimizer, self.discriminator)):
                if not opt.built:
                    opt.build(net.trainable_variables)
        super().compile(optimizer=None, jit_compile=jit_compile, run_eagerly=run_eagerly,
                        steps_per_execution=steps_per_execution)

    def get_compile_config(self):
        """The two optimizers and compile options, for ``.keras`` files (``{}`` before compile)."""
        if self.g_optimizer is None:
            return {}
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
                "jit_compile": bool(self.jit_compile), "run_eagerly": bool(self.run_eagerly),
                "steps_per_execution": int(self.steps_per_execution)}

    def compile_from_config(self, config):
        """Compile from :meth:`get_compile_config` output (used by ``keras.saving.load_model``)."""
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
            ConfigError: ``n`` or ``batch_size`` is not a positive int.
            LabelError: Labels missing for a conditional model, given to an unconditional one,
                of the wrong length or outside ``[0, n_classes)``.
        """
        n = positive_int("n", n)
        batch_size = positive_int("batch_size", batch_size)
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

    # ----------------------------------------------------------------------------- saving
    #: Key of the noise stream's state among the model's own saved variables.
    _NOISE_STATE = "noise_state"

    def save_own_variables(self, store):
        """Save the noise stream's state with the model's own variables.

        Keras saves weights and optimizer variables but not a ``SeedGenerator``'s state, so a
        model restored by ``load_model``, ``load_weights`` or ``BackupAndRestore`` would replay
        the noise of its first steps; with the state, a resumed run equals an uninterrupted one.
        """
        super().save_own_variables(store)
        store[self._NOISE_STATE] = ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        keys = list(store.keys())
        if self._NOISE_STATE in keys:  # absent from files written without it
            self.seed_generator.state.assign(np.asarray(store[self._NOISE_STATE]))
        super().load_own_variables({k: store[k] for k in keys if k != self._NOISE_STATE})

    # ----------------------------------------------------------------------------- config
    def get_config(self):
        """Networks, ``n_classes``, ``seed`` and the step counts; subclasses add their own arguments."""
        return {**super().get_config(),
                "generator": keras.saving.serialize_keras_object(self.generator),
                self._D_KEY: keras.saving.serialize_keras_object(self.discriminator),
                "n_classes": self.n_classes, "seed": self.seed,
                "critic_steps": self.critic_steps, "generator_steps": self.generator_steps}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop(cls._D_KEY))
        return cls(generator, discriminator, **config)


class WassersteinModel(AdversarialModel):
    """Common part of the Wasserstein models: a ``critic``, ``critic_steps`` critic updates per
    generator update (one generator update per step), and the generator loss ``-E f(G(z))``.

    :meth:`critic_terms` returns the critic loss ``E f(G(z)) - E f(x)`` as ``d_loss`` and its
    negative, the Wasserstein estimate, as ``wasserstein``; subclasses add their own terms to it
    (the gradient penalty) or a constraint (weight clipping), and a :meth:`default_optimizer`.

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        critic: Model from samples (+ label channels) to ``(batch, 1)`` scores.
        critic_steps: Critic updates per generator update (>= 1), 5 in the WGAN papers.
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        seed: Integer seed of the noise stream.
        **kwargs: Standard ``keras.Model`` arguments.
    """

    _D_KEY = "critic"
    METRIC_NAMES = ("d_loss", "g_loss", "wasserstein")

    def __init__(self, generator: keras.Model, critic: keras.Model, critic_steps: int = 5,
                 n_classes: int = 0, seed: int | None = None, **kwargs):
        super().__init__(generator, critic, n_classes=n_classes, critic_steps=critic_steps,
                         generator_steps=1, seed=seed, **kwargs)

    @property
    def critic(self) -> keras.Model:
        """The critic network (same object as ``discriminator``)."""
        return self.discriminator

    def critic_terms(self, real, fake, one_hot) -> dict:
        """``{"d_loss": E f(G(z)) - E f(x), "wasserstein": E f(x) - E f(G(z))}``."""
        loss = wasserstein_critic_loss(self.critic_scores(real, one_hot), self.critic_scores(fake, one_hot))
        return {"d_loss": loss, "wasserstein": -loss}

    def generator_loss(self, fake_scores):
        """``-E f(G(z))`` (:func:`~gans.losses.wasserstein_generator_loss`)."""
        return wasserstein_generator_loss(fake_scores)

    def get_config(self):
        config = super().get_config()
        del config["generator_steps"]  # always 1: not a constructor argument here
        return config
