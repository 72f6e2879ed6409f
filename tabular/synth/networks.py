"""The two Keras models behind :class:`tabular.synth.Synthesizer`, both trained with ``fit``.

- :class:`TabularVAE` — a variational autoencoder on the mode-specific encoding (the TVAE of
  Xu et al. 2019, "Modeling Tabular Data using Conditional GAN"): per-row loss
  ``loss_factor * [sum_value ((x - tanh(h))^2 / (2 sigma^2) + log sigma) + sum_spans CE] + KL``
  with one learned ``sigma`` per value head (clipped to [0.01, 1]).
- :class:`ConditionalTabularGAN` — the CTGAN recipe: a residual generator
  (``concat[relu(bn(dense(x))), x]`` blocks) fed noise and a conditional vector, Gumbel-softmax
  heads (``tau = 0.2``) on every discrete span, a PacGAN critic (``pac`` rows per critic input,
  Lin et al. 2018) trained as a WGAN-GP (:func:`gans.losses.gradient_penalty`), and the
  generator's cross-entropy on the conditioned span. Batches come from
  :class:`ConditionSampler` (training-by-sampling: a discrete column drawn uniformly, a category
  by log-frequency, then real rows holding that category).

Both models see only encoded float32 rows; layouts come from ``spans`` — a list of
``[start, dim, activation]`` triples — so they serialize with ``get_config``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gans.losses import gradient_penalty, wasserstein_critic_loss, wasserstein_generator_loss


def _softmax_spans(spans):
    return [(int(s), int(d)) for s, d, a in spans if a == "softmax"]


def _tanh_index(spans):
    return [int(s) for s, d, a in spans if a == "tanh"]


@keras.saving.register_keras_serializable(package="tabular.synth")
class TabularVAE(keras.Model):
    """VAE on mode-specific encoded rows.

    Args:
        spans: ``[[start, dim, activation], ...]`` of the encoded row (``tanh`` or ``softmax``).
        data_dim: Encoded width.
        latent_dim: Latent width (default 128).
        hidden: Hidden widths of the encoder; the decoder mirrors them (default ``(128, 128)``).
        loss_factor: Weight of the reconstruction term against the KL term (default 2).
        seed: Integer seed of the reparameterisation noise.
        prior_components: ``0``: sample the decoder from the standard normal prior (TVAE's
            original); ``K > 0``: from a ``K``-component diagonal Gaussian mixture fitted after
            training to the aggregate posterior (:meth:`fit_prior`, ex-post density estimation as in
            Ghosh et al. 2020, "From Variational to Deterministic Autoencoders"). Its parameters
            are non-trainable weights, so they save with the model and travel into the export.
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> vae = TabularVAE(spans, data_dim=x.shape[1])
        >>> vae.compile(keras.optimizers.Adam(1e-3, weight_decay=1e-5))
        >>> vae.fit(x, epochs=300, batch_size=500)
    """

    def __init__(self, spans, data_dim: int, latent_dim: int = 128, hidden=(128, 128),
                 loss_factor: float = 2.0, seed: int = 0, prior_components: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.spans = [[int(s), int(d), str(a)] for s, d, a in spans]
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.hidden, self.loss_factor, self.seed = tuple(int(h) for h in hidden), float(loss_factor), int(seed)
        self.encoder = keras.Sequential(
            [keras.Input((self.data_dim,))] + [keras.layers.Dense(h, activation="relu") for h in self.hidden]
            + [keras.layers.Dense(2 * self.latent_dim)], name="encoder")
        self.decoder = keras.Sequential(
            [keras.Input((self.latent_dim,))] + [keras.layers.Dense(h, activation="relu") for h in self.hidden[::-1]]
            + [keras.layers.Dense(self.data_dim)], name="decoder")
        self.tanh_index = _tanh_index(self.spans)
        self.sigma = self.add_weight(shape=(max(len(self.tanh_index), 1),),
                                     initializer=keras.initializers.Constant(0.1), name="sigma")
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.prior_components = int(prior_components)
        k = max(self.prior_components, 1)  # before fit_prior: one standard normal component
        self.prior_logits = self.add_weight(shape=(k,), initializer="zeros", trainable=False, name="prior_logits")
        self.prior_means = self.add_weight(shape=(k, self.latent_dim), initializer="zeros", trainable=False,
                                           name="prior_means")
        self.prior_scales = self.add_weight(shape=(k, self.latent_dim), initializer="ones", trainable=False,
                                            name="prior_scales")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True  # sub-models are built from their Input: fit must not call call() to build

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, x, training=False):
        stats = self.encoder(x, training=training)  # (batch, 2 * latent)
        mu = stats[:, :self.latent_dim]
        return self.decoder(mu, training=training)  # (batch, data_dim)

    def reconstruction_loss(self, x, out):
        """Per-batch mean of the per-row reconstruction term (without ``loss_factor``)."""
        terms = []
        if self.tanh_index:
            idx = np.array(self.tanh_index)
            target = ops.take(x, idx, axis=1)  # (batch, n_value)
            pred = ops.tanh(ops.take(out, idx, axis=1))
            terms.append(ops.sum(ops.square(target - pred) / (2.0 * ops.square(self.sigma)), axis=1)
                         + ops.sum(ops.log(self.sigma)))
        for start, dim in _softmax_spans(self.spans):
            terms.append(keras.losses.categorical_crossentropy(
                x[:, start:start + dim], out[:, start:start + dim], from_logits=True))  # (batch,)
        return ops.mean(ops.sum(ops.stack(terms, axis=1), axis=1))

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            stats = self.encoder(x, training=True)
            mu, log_var = stats[:, :self.latent_dim], stats[:, self.latent_dim:]
            eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator)
            z = mu + ops.exp(0.5 * log_var) * eps  # (batch, latent)
            out = self.decoder(z, training=True)
            reconstruction = self.reconstruction_loss(x, out)
            kl = ops.mean(-0.5 * ops.sum(1.0 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))
            loss = self.loss_factor * reconstruction + kl
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.sigma.assign(ops.clip(self.sigma, 0.01, 1.0))
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def fit_prior(self, x, seed: int = 0, batch_size: int = 4096):
        """Fit the mixture prior to one posterior draw ``z = mu + sigma * eps`` per row of ``x``
        (a no-op when ``prior_components == 0``); return ``self``."""
        if self.prior_components == 0:
            return self
        from sklearn.mixture import GaussianMixture

        stats = self.encoder.predict(np.asarray(x, np.float32), batch_size=batch_size, verbose=0)
        mu, log_var = stats[:, :self.latent_dim], stats[:, self.latent_dim:]
        z = mu + np.exp(0.5 * log_var) * np.random.default_rng(seed).standard_normal(mu.shape)
        k = min(self.prior_components, len(z))
        mixture = GaussianMixture(k, covariance_type="diag", reg_covar=1e-4, max_iter=200,
                                  random_state=seed).fit(z)
        pad = self.prior_components - k  # fewer rows than components: unused components get weight 0
        self.prior_logits.assign(np.concatenate([np.log(mixture.weights_), np.full(pad, -1e9)]).astype(np.float32))
        self.prior_means.assign(np.concatenate([mixture.means_, np.zeros((pad, self.latent_dim))]).astype(np.float32))
        self.prior_scales.assign(np.concatenate([np.sqrt(mixture.covariances_),
                                                 np.ones((pad, self.latent_dim))]).astype(np.float32))
        return self

    def latent_from_noise(self, eps, seed):
        """Standard normal ``eps (n, latent)`` -> prior draws: ``mean_k + scale_k * eps`` with the
        component ``k`` drawn per row from the stateless ``seed`` (identity before ``fit_prior``
        and for the standard normal prior). Graph-safe."""
        eps = tf.convert_to_tensor(eps, tf.float32)
        if self.prior_components == 0:
            return eps
        k = tf.random.stateless_categorical(tf.convert_to_tensor(self.prior_logits)[None, :],
                                            tf.shape(eps)[0], seed)[0]  # (n,)
        return tf.gather(self.prior_means, k) + tf.gather(self.prior_scales, k) * eps

    def get_config(self):
        return {**super().get_config(), "spans": self.spans, "data_dim": self.data_dim,
                "latent_dim": self.latent_dim, "hidden": list(self.hidden), "loss_factor": self.loss_factor,
                "seed": self.seed, "prior_components": self.prior_components}


@keras.saving.register_keras_serializable(package="tabular.synth")
class ResidualBlock(keras.layers.Layer):
    """``concat[relu(batchnorm(dense(x))), x]`` — CTGAN's generator block (width grows by ``units``)."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.dense = keras.layers.Dense(self.units)
        self.norm = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.norm.build(input_shape[:-1] + (self.units,))

    def call(self, x, training=False):
        h = ops.relu(self.norm(self.dense(x), training=training))  # (batch, units)
        return ops.concatenate([h, x], axis=-1)  # (batch, units + in)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + self.units,)

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
            counts = np.bincount(labels, minlength=dim).astype(float)
            p = np.log1p(counts)
            self.log_probs.append(p / p.sum())

    def batch(self, size: int):
        n_spans = len(self.discrete)
        cond = np.zeros((size, self.cond_dim), np.float32)
        mask = np.zeros((size, max(n_spans, 1)), np.float32)
        if n_spans == 0:
            return self.x[self.rng.integers(0, len(self.x), size)], cond, mask
        spans = self.rng.integers(0, n_spans, size)
        rows = np.empty(size, np.int64)
        for j in np.unique(spans):
            where = np.nonzero(spans == j)[0]
            cats = self.rng.choice(len(self.log_probs[j]), len(where), p=self.log_probs[j])
            cond[where, self.offsets[j] + cats] = 1.0
            mask[where, j] = 1.0
            for i, c in zip(where, cats):
                pool = self.rows[j][c]
                rows[i] = pool[self.rng.integers(len(pool))]
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


@keras.saving.register_keras_serializable(package="tabular.synth")
class ConditionalTabularGAN(keras.Model):
    """CTGAN-style conditional WGAN-GP on mode-specific encoded rows.

    Args:
        spans: ``[[start, dim, activation], ...]`` of the encoded row.
        discrete: ``[[start, dim], ...]`` of the discrete spans the conditional vector covers.
        data_dim: Encoded width.
        latent_dim: Noise width (default 128).
        generator_dims: Residual block widths (default ``(256, 256)``).
        critic_dims: Critic hidden widths (default ``(256, 256)``), LeakyReLU(0.2), dropout 0.5.
        pac: Rows per critic input (PacGAN, default 10); the batch size must be a multiple.
        gp_weight: Gradient-penalty weight (default 10).
        tau: Gumbel-softmax temperature (default 0.2).
        critic_steps: Critic updates per generator update (default 1).
        seed: Integer seed of noise, Gumbel draws and permutations.
        **kwargs: ``keras.Model`` arguments.

    ``compile(g_optimizer, d_optimizer)`` takes one optimizer per network.
    """

    def __init__(self, spans, discrete, data_dim: int, latent_dim: int = 128, generator_dims=(256, 256),
                 critic_dims=(256, 256), pac: int = 10, gp_weight: float = 10.0, tau: float = 0.2,
                 critic_steps: int = 1, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.spans = [[int(s), int(d), str(a)] for s, d, a in spans]
        self.discrete = [[int(s), int(d)] for s, d in discrete]
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.cond_dim = sum(d for _, d in self.discrete)
        self.generator_dims, self.critic_dims = tuple(generator_dims), tuple(critic_dims)
        self.pac, self.gp_weight, self.tau = int(pac), float(gp_weight), float(tau)
        self.critic_steps, self.seed = int(critic_steps), int(seed)
        self.generator = keras.Sequential(
            [keras.Input((self.latent_dim + self.cond_dim,))] + [ResidualBlock(d) for d in self.generator_dims]
            + [keras.layers.Dense(self.data_dim)], name="generator")
        layers = [keras.Input((self.pac * (self.data_dim + self.cond_dim),))]
        for d in self.critic_dims:
            layers += [keras.layers.Dense(d), keras.layers.LeakyReLU(0.2), keras.layers.Dropout(0.5)]
        self.critic = keras.Sequential(layers + [keras.layers.Dense(1)], name="critic")
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.cond_loss_tracker = keras.metrics.Mean(name="cond_loss")
        self.built = True  # sub-models are built from their Input: fit must not call call() to build

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.gp_tracker, self.cond_loss_tracker]

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9, weight_decay=1e-6)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9, weight_decay=1e-6)

    def get_compile_config(self):
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer)}

    def compile_from_config(self, config):
        self.compile(keras.saving.deserialize_keras_object(config["g_optimizer"]),
                     keras.saving.deserialize_keras_object(config["d_optimizer"]))

    def activate(self, raw, hard: bool = False):
        """Heads: tanh on value spans, Gumbel-softmax (``tau``) on softmax spans."""
        parts = []
        for start, dim, act in self.spans:
            block = raw[:, start:start + dim]
            if act == "tanh":
                parts.append(ops.tanh(block))
            else:
                u = keras.random.uniform(ops.shape(block), 1e-10, 1.0, seed=self.seed_generator)
                parts.append(ops.softmax((block - ops.log(-ops.log(u))) / self.tau, axis=-1))
        return ops.concatenate(parts, axis=1)  # (batch, data_dim)

    def call(self, inputs, training=False):
        """``[noise, cond] -> raw generator outputs`` (logits / pre-tanh)."""
        noise, cond = inputs
        return self.generator(ops.concatenate([noise, cond], axis=1), training=training)

    def _pack(self, rows, cond):
        x = ops.concatenate([rows, cond], axis=1)  # (batch, data + cond)
        return ops.reshape(x, (-1, self.pac * (self.data_dim + self.cond_dim)))  # (batch / pac, pac * ...)

    def _fake(self, cond, batch, training=True):
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        raw = self.generator(ops.concatenate([noise, cond], axis=1), training=training)
        return raw, self.activate(raw)

    def _critic_step(self, real, cond, batch):
        fake_cond = keras.random.shuffle(cond, axis=0, seed=self.seed_generator) if self.cond_dim else cond
        _, fake = self._fake(fake_cond, batch)
        with tf.GradientTape() as tape:
            real_packed, fake_packed = self._pack(real, cond), self._pack(fake, fake_cond)
            real_scores = self.critic(real_packed, training=True)
            fake_scores = self.critic(fake_packed, training=True)
            gp = gradient_penalty(self.critic, real_packed, fake_packed, seed=self.seed_generator)
            d_loss = wasserstein_critic_loss(real_scores, fake_scores) + self.gp_weight * gp
        grads = tape.gradient(d_loss, self.critic.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))
        return d_loss, gp

    def _cond_loss(self, raw, cond, mask):
        """Cross-entropy of the generator's conditioned span against the requested category."""
        losses, offset = [], 0
        for start, dim in self.discrete:
            ce = keras.losses.categorical_crossentropy(cond[:, offset:offset + dim], raw[:, start:start + dim],
                                                       from_logits=True)  # (batch,)
            losses.append(ce)
            offset += dim
        per_row = ops.sum(ops.stack(losses, axis=1) * mask, axis=1)
        return ops.mean(per_row)

    def _generator_step(self, cond, mask, batch):
        with tf.GradientTape() as tape:
            raw, fake = self._fake(cond, batch)
            scores = self.critic(self._pack(fake, cond), training=True)
            cond_loss = self._cond_loss(raw, cond, mask) if self.discrete else ops.zeros(())
            g_loss = wasserstein_generator_loss(scores) + cond_loss
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return g_loss, cond_loss

    def train_step(self, data):
        real, cond, mask = data
        batch = ops.shape(real)[0]
        for _ in range(self.critic_steps):
            d_loss, gp = self._critic_step(real, cond, batch)
        g_loss, cond_loss = self._generator_step(cond, mask, batch)
        for tracker, value in zip(self.metrics, (d_loss, g_loss, gp, cond_loss)):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {**super().get_config(), "spans": self.spans, "discrete": self.discrete, "data_dim": self.data_dim,
                "latent_dim": self.latent_dim, "generator_dims": list(self.generator_dims),
                "critic_dims": list(self.critic_dims), "pac": self.pac, "gp_weight": self.gp_weight,
                "tau": self.tau, "critic_steps": self.critic_steps, "seed": self.seed}
