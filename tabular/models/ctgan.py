"""A CTGAN-style conditional WGAN-GP on mode-specific encoded rows (Xu et al. 2019, "Modeling
Tabular Data using Conditional GAN"), built on :class:`gans.WassersteinModel`.

- generator: residual blocks ``concat[relu(bn(dense(x))), x]`` fed noise and a conditional
  vector, a linear output; Gumbel-softmax heads (temperature ``tau``) on softmax spans and
  ``tanh`` on scalar spans turn it into rows;
- critic: a PacGAN critic (``pac`` rows per critic input, Lin et al. 2018) with LeakyReLU(0.2)
  and dropout 0.5, trained as a WGAN-GP (:func:`gans.losses.gradient_penalty`);
- the generator also minimises the cross-entropy of the conditioned span against the requested
  category (``cond_loss``);
- batches come from :class:`ConditionSampler` (training-by-sampling: a discrete column drawn
  uniformly, a category by log-frequency, then a real row holding that category).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gans import WassersteinModel
from gans.losses import gradient_penalty, wasserstein_critic_loss
from genlab.distribute import scale_for_replicas


@keras.saving.register_keras_serializable(package="tabular")
class ResidualBlock(keras.layers.Layer):
    """``concat[relu(batchnorm(dense(x))), x]`` — CTGAN's generator block (width grows by ``units``)."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.dense = keras.layers.Dense(self.units)
        self.norm = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)

    def build(self, input_shape):
        self.dense.build(tuple(input_shape))
        self.norm.build(tuple(input_shape[:-1]) + (self.units,))

    def call(self, x, training=False):
        h = ops.relu(self.norm(self.dense(x), training=training))  # (batch, units)
        return ops.concatenate([h, x], axis=-1)  # (batch, units + in)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ConditionSampler:
    """Training-by-sampling batches for :class:`ConditionalTabularGAN` (NumPy, outside the graph).

    Args:
        x: Encoded rows ``(n, data_dim)``.
        discrete: ``[(start, dim), ...]`` of the discrete spans the conditional vector covers.
        seed: Seed of the draws.

    Each batch: a discrete span drawn uniformly per row, a category by log-frequency
    (``log(1 + count)`` normalised), a real row holding that category; yields
    ``(real_rows, cond, span_mask)`` with ``cond`` one-hot over the concatenated discrete spans
    and ``span_mask`` one-hot over the spans.
    """

    def __init__(self, x: np.ndarray, discrete, seed: int = 0):
        self.x = x
        self.discrete = [(int(s), int(d)) for s, d in discrete]
        self.rng = np.random.default_rng(seed)
        self.offsets = np.cumsum([0] + [d for _, d in self.discrete])
        self.cond_dim = int(self.offsets[-1])
        self.rows, self.log_probs = [], []
        for start, dim in self.discrete:
            labels = x[:, start:start + dim].argmax(1)
            self.rows.append([np.nonzero(labels == c)[0] for c in range(dim)])
            p = np.log1p(np.bincount(labels, minlength=dim).astype(float))
            self.log_probs.append(p / p.sum())

    def batch(self, size: int):
        n_spans = len(self.discrete)
        cond = np.zeros((size, self.cond_dim), np.float32)
        mask = np.zeros((size, max(n_spans, 1)), np.float32)
        if n_spans == 0:
            return self.x[self.rng.integers(0, len(self.x), size)], cond, mask
        spans = self.rng.integers(0, n_spans, size)
        cats = np.empty(size, np.int64)
        rows = np.empty(size, np.int64)
        for j in np.unique(spans):
            where = np.nonzero(spans == j)[0]
            cats[where] = self.rng.choice(len(self.log_probs[j]), len(where), p=self.log_probs[j])
            for c in np.unique(cats[where]):
                chosen = where[cats[where] == c]
                pool = self.rows[j][c]
                rows[chosen] = pool[self.rng.integers(len(pool), size=len(chosen))]
        cond[np.arange(size), self.offsets[spans] + cats] = 1.0
        mask[np.arange(size), spans] = 1.0
        return self.x[rows], cond, mask

    def dataset(self, batch_size: int) -> tf.data.Dataset:
        """An endless dataset of batches (use ``steps_per_epoch`` in ``fit``)."""
        spec = (tf.TensorSpec((batch_size, self.x.shape[1]), tf.float32),
                tf.TensorSpec((batch_size, self.cond_dim), tf.float32),
                tf.TensorSpec((batch_size, max(len(self.discrete), 1)), tf.float32))

        def gen():
            while True:
                yield self.batch(batch_size)

        return tf.data.Dataset.from_generator(gen, output_signature=spec).prefetch(4)


def ctgan_networks(data_dim: int, cond_dim: int, latent_dim: int = 128, generator_dims=(256, 256),
                   critic_dims=(256, 256), pac: int = 10) -> tuple[keras.Model, keras.Model]:
    """CTGAN's residual generator ``(latent + cond) -> data_dim`` (raw outputs) and PacGAN critic
    ``pac * (data_dim + cond) -> 1``."""
    generator = keras.Sequential([keras.Input((latent_dim + cond_dim,))] + [ResidualBlock(d) for d in generator_dims]
                                 + [keras.layers.Dense(data_dim)], name="generator")
    layers = [keras.Input((pac * (data_dim + cond_dim),))]
    for d in critic_dims:
        layers += [keras.layers.Dense(d), keras.layers.LeakyReLU(0.2), keras.layers.Dropout(0.5)]
    return generator, keras.Sequential(layers + [keras.layers.Dense(1)], name="critic")


@keras.saving.register_keras_serializable(package="tabular")
class ConditionalTabularGAN(WassersteinModel):
    """CTGAN-style conditional WGAN-GP (see the module docstring).

    Args:
        generator: ``(batch, latent_dim + cond_dim) -> (batch, data_dim)`` raw outputs (:func:`ctgan_networks`).
        critic: ``(batch / pac, pac * (data_dim + cond_dim)) -> (batch / pac, 1)``.
        spans: ``[[start, dim, activation], ...]`` of the encoded row.
        discrete: ``[[start, dim], ...]`` of the discrete spans the conditional vector covers.
        pac: Rows per critic input; the batch size must be a multiple.
        gp_weight: Gradient-penalty weight.
        tau: Gumbel-softmax temperature.
        critic_steps: Critic updates per generator update.
        seed: Integer seed of noise, Gumbel draws and permutations.
        **kwargs: ``keras.Model`` arguments.

    ``fit`` takes batches ``(real_rows, cond, span_mask)`` (:meth:`ConditionSampler.dataset`).
    Logged: ``d_loss``, ``g_loss``, ``gradient_penalty`` and ``cond_loss``.
    """

    METRIC_NAMES = ("d_loss", "g_loss", "gradient_penalty", "cond_loss")

    def __init__(self, generator, critic, spans, discrete, pac: int = 10, gp_weight: float = 10.0, tau: float = 0.2,
                 critic_steps: int = 1, seed: int | None = None, **kwargs):
        self.spans = [[int(s), int(d), str(a)] for s, d, a in spans]
        self.discrete = [[int(s), int(d)] for s, d in discrete]
        self.cond_dim = sum(d for _, d in self.discrete)
        self.pac, self.gp_weight, self.tau = int(pac), float(gp_weight), float(tau)
        super().__init__(generator, critic, critic_steps=critic_steps, seed=seed, **kwargs)

    def _check_shapes(self) -> int:
        """The generator takes noise and the conditional vector; the critic ``pac`` packed rows."""
        g_in, g_out = self.generator.input_shape[1], self.generator.output_shape[1]
        self.data_dim = int(g_out)
        return int(g_in) - self.cond_dim

    def default_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9, weight_decay=1e-6)

    def activate(self, raw):
        """Heads: tanh on scalar spans, Gumbel-softmax (``tau``) on softmax spans."""
        parts = []
        for start, dim, act in self.spans:
            block = raw[:, start:start + dim]
            if act == "softmax":
                u = keras.random.uniform(ops.shape(block), 1e-10, 1.0, seed=self.seed_generator)
                parts.append(ops.softmax((block - ops.log(-ops.log(u))) / self.tau, axis=-1))
            else:
                parts.append(ops.tanh(block))
        return ops.concatenate(parts, axis=1)  # (batch, data_dim)

    def _pack(self, rows, cond):
        x = ops.concatenate([rows, cond], axis=1)  # (batch, data + cond)
        return ops.reshape(x, (-1, self.pac * (self.data_dim + self.cond_dim)))  # (batch / pac, pac * ...)

    def _fake(self, cond, batch):
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        raw = self.generator(ops.concatenate([noise, cond], axis=1), training=True)
        return raw, self.activate(raw)

    def _critic_update(self, real, cond, batch):
        fake_cond = keras.random.shuffle(cond, axis=0, seed=self.seed_generator) if self.cond_dim else cond
        _, fake = self._fake(fake_cond, batch)
        variables = self.critic.trainable_variables
        with tf.GradientTape() as tape:
            real_packed, fake_packed = self._pack(real, cond), self._pack(fake, fake_cond)
            gp = gradient_penalty(self.critic, real_packed, fake_packed, seed=self.seed_generator)
            d_loss = wasserstein_critic_loss(self.critic(real_packed, training=True),
                                             self.critic(fake_packed, training=True)) + self.gp_weight * gp
            scaled = scale_for_replicas(d_loss)  # fit sums replica gradients
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        return d_loss, gp

    def _cond_loss(self, raw, cond, mask):
        """Cross-entropy of the generator's conditioned span against the requested category."""
        losses, offset = [], 0
        for start, dim in self.discrete:
            losses.append(keras.losses.categorical_crossentropy(cond[:, offset:offset + dim], raw[:, start:start + dim],
                                                                from_logits=True))  # (batch,)
            offset += dim
        return ops.mean(ops.sum(ops.stack(losses, axis=1) * mask, axis=1))

    def _generator_update(self, cond, mask, batch):
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            raw, fake = self._fake(cond, batch)
            scores = self.critic(self._pack(fake, cond), training=True)
            cond_loss = self._cond_loss(raw, cond, mask) if self.discrete else ops.zeros(())
            g_loss = self.generator_loss(scores) + cond_loss
            scaled = scale_for_replicas(g_loss)
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return g_loss, cond_loss

    def train_step(self, data):
        real, cond, mask = data
        batch = ops.shape(real)[0]
        for _ in range(self.critic_steps):
            d_loss, gp = self._critic_update(real, cond, batch)
        g_loss, cond_loss = self._generator_update(cond, mask, batch)
        values = {"d_loss": d_loss, "g_loss": g_loss, "gradient_penalty": gp, "cond_loss": cond_loss}
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        config = {**super().get_config(), "spans": self.spans, "discrete": self.discrete, "pac": self.pac,
                  "gp_weight": self.gp_weight, "tau": self.tau}
        del config["n_classes"]  # the conditional vector's width comes from ``discrete``
        return config
