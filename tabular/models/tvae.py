"""TVAE: a variational autoencoder on mode-specific encoded rows (Xu et al. 2019, "Modeling
Tabular Data using Conditional GAN"), with a conditional decoder, an ex-post mixture prior and
conditional priors.

Per-row loss: ``loss_factor * [sum_value ((x - tanh(h))^2 / (2 sigma^2) + log sigma) + sum_spans CE] + KL``
with one learned output scale ``sigma`` per scalar head, kept in ``[0.01, 1]`` by a constraint.

Conditional decoder (``conditional=True``): as CTGAN's generator, the decoder also receives a
conditional vector — the one-hot category of one discrete column, drawn uniformly per row in
every training step from the row itself. At sampling time the vector carries the requested
category (or one drawn by training frequency), so rows generated for a rare category follow what
the training rows with that category look like instead of the marginals (Sohn et al. 2015,
"Learning Structured Output Representation using Deep Conditional Generative Models").

After training, :meth:`TabularVAE.fit_prior` fits a ``K``-component diagonal Gaussian mixture to the
aggregate posterior (ex-post density estimation, Ghosh et al. 2020, "From Variational to
Deterministic Autoencoders") and records, for every category of every discrete column, the share
of each component among the training rows holding that category (``P(component | category)``).
Sampling conditioned on a category draws components with these shares, so the decoder is asked
for rows near the training rows that hold it; rejection then keeps the rows that meet the
condition (:mod:`tabular.synthesizers.sampler`). All of it lives in non-trainable weights, so it
is saved with the model and travels into the SavedModel.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.callbacks import GuardedFit
from genlab.distribute import scale_for_replicas


@keras.saving.register_keras_serializable(package="tabular")
class Clip(keras.constraints.Constraint):
    """Element-wise clip of a weight to ``[low, high]`` after every optimizer update."""

    def __init__(self, low: float, high: float):
        self.low, self.high = float(low), float(high)

    def __call__(self, w):
        return ops.clip(w, self.low, self.high)

    def get_config(self):
        return {"low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package="tabular")
class TabularVAE(GuardedFit, keras.Model):
    """VAE on encoded rows.

    Args:
        spans: ``[[start, dim, activation], ...]`` of the encoded row (``tanh`` or ``softmax``).
        data_dim: Encoded width.
        latent_dim: Latent width (default 128).
        hidden: Hidden widths of the encoder; the decoder mirrors them (default ``(128, 128)``).
        loss_factor: Weight of the reconstruction term against the KL term (default 2).
        seed: Integer seed of the reparameterisation noise.
        prior_components: ``0``: sample from the standard normal prior (TVAE's original);
            ``K > 0``: from a ``K``-component mixture fitted by :meth:`fit_prior`.
        discrete: ``[[start, dim], ...]`` of the discrete spans whose categories get a
            conditional prior and feed the conditional vector (``[]``: none).
        conditional: Feed the decoder a conditional vector over the discrete positions (see the
            module docstring); ignored without discrete spans.
        **kwargs: ``keras.Model`` arguments.

    Example:
        >>> vae = TabularVAE(spans, data_dim=x.shape[1])
        >>> vae.compile(keras.optimizers.Adam(1e-3, weight_decay=1e-5))
        >>> vae.fit(x, epochs=300, batch_size=500)
    """

    def __init__(self, spans, data_dim: int, latent_dim: int = 128, hidden=(128, 128),
                 loss_factor: float = 2.0, seed: int = 0, prior_components: int = 0, discrete=(),
                 conditional: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.spans = [[int(s), int(d), str(a)] for s, d, a in spans]
        self.discrete = [[int(s), int(d)] for s, d in discrete]
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.hidden, self.loss_factor, self.seed = tuple(int(h) for h in hidden), float(loss_factor), int(seed)
        self.conditional = bool(conditional) and bool(self.discrete)
        self.cond_dim = sum(d for _, d in self.discrete) if self.conditional else 0
        # Encoded index and discrete column of every discrete position.
        self.disc_index = [s + i for s, d in self.discrete for i in range(d)]
        self.disc_column = [j for j, (_, d) in enumerate(self.discrete) for _ in range(d)]
        self.encoder = keras.Sequential(
            [keras.Input((self.data_dim,))] + [keras.layers.Dense(h, activation="relu") for h in self.hidden]
            + [keras.layers.Dense(2 * self.latent_dim)], name="encoder")
        self.decoder = keras.Sequential(
            [keras.Input((self.latent_dim + self.cond_dim,))]
            + [keras.layers.Dense(h, activation="relu") for h in self.hidden[::-1]]
            + [keras.layers.Dense(self.data_dim)], name="decoder")
        self.value_index = [s for s, d, a in self.spans if a != "softmax"]
        self.sigma = self.add_weight(shape=(max(len(self.value_index), 1),), name="sigma",
                                     initializer=keras.initializers.Constant(0.1), constraint=Clip(0.01, 1.0))
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.prior_components = int(prior_components)
        k = max(self.prior_components, 1)  # before fit_prior: one standard normal component
        positions = max(sum(d for _, d in self.discrete), 1)
        fixed = {"trainable": False}
        self.prior_logits = self.add_weight(shape=(k,), initializer="zeros", name="prior_logits", **fixed)
        self.prior_means = self.add_weight(shape=(k, self.latent_dim), initializer="zeros", name="prior_means",
                                           **fixed)
        self.prior_scales = self.add_weight(shape=(k, self.latent_dim), initializer="ones", name="prior_scales",
                                            **fixed)
        self.conditional_logits = self.add_weight(shape=(positions, k), initializer="zeros",
                                                  name="conditional_logits", **fixed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True  # sub-models are built from their Input: fit must not call call() to build

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def condition(self, x, columns):
        """Conditional vector ``(batch, cond_dim)``: the one-hot category of discrete column
        ``columns[i]`` of row ``x[i]`` (zeros elsewhere)."""
        on = ops.cast(ops.equal(ops.convert_to_tensor(np.asarray(self.disc_column, np.int32))[None, :],
                                ops.cast(columns, "int32")[:, None]), x.dtype)  # (batch, cond_dim)
        return ops.take(x, np.asarray(self.disc_index), axis=1) * on

    def decode(self, z, cond=None, training=False):
        """Decoder outputs from codes (and the conditional vector of a conditional model)."""
        if self.conditional:
            z = ops.concatenate([z, cond], axis=1)  # (batch, latent + cond_dim)
        return self.decoder(z, training=training)

    def call(self, x, training=False):
        """Reconstruct ``x`` from its posterior mean (conditioned on its first discrete column)."""
        stats = self.encoder(x, training=training)  # (batch, 2 * latent)
        cond = self.condition(x, ops.zeros((ops.shape(x)[0],), "int32")) if self.conditional else None
        return self.decode(stats[:, :self.latent_dim], cond, training=training)  # (batch, data_dim)

    def reconstruction_loss(self, x, out):
        """Per-batch mean of the per-row reconstruction term (without ``loss_factor``)."""
        terms = []
        if self.value_index:
            idx = np.array(self.value_index)
            target = ops.take(x, idx, axis=1)  # (batch, n_value)
            pred = ops.tanh(ops.take(out, idx, axis=1))
            terms.append(ops.sum(ops.square(target - pred) / (2.0 * ops.square(self.sigma)), axis=1)
                         + ops.sum(ops.log(self.sigma)))
        for start, dim, activation in self.spans:
            if activation == "softmax":
                terms.append(keras.losses.categorical_crossentropy(
                    x[:, start:start + dim], out[:, start:start + dim], from_logits=True))  # (batch,)
        return ops.mean(ops.sum(ops.stack(terms, axis=1), axis=1))

    def train_step(self, data):
        """One step on ``x`` rows, or on ``(x, cond, span_mask)`` batches whose conditional vectors
        were drawn with the rows (:class:`~tabular.models.ctgan.ConditionSampler`)."""
        given = isinstance(data, (tuple, list)) and len(data) == 3
        x = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            stats = self.encoder(x, training=True)
            mu, log_var = stats[:, :self.latent_dim], stats[:, self.latent_dim:]
            eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator)
            cond = None
            if self.conditional and given:
                cond = data[1]
            elif self.conditional:  # one discrete column per row, drawn uniformly
                columns = keras.random.randint((ops.shape(x)[0],), 0, len(self.discrete), seed=self.seed_generator)
                cond = self.condition(x, columns)
            out = self.decode(mu + ops.exp(0.5 * log_var) * eps, cond, training=True)  # (batch, data_dim)
            reconstruction = self.reconstruction_loss(x, out)
            kl = ops.mean(-0.5 * ops.sum(1.0 + log_var - ops.square(mu) - ops.exp(log_var), axis=1))
            loss = self.loss_factor * reconstruction + kl
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(loss)
        self.optimizer.apply(tape.gradient(scaled, self.trainable_variables), self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------------------ prior
    def fit_prior(self, x, seed: int = 0, batch_size: int = 4096):
        """Fit the mixture prior to one posterior draw ``z = mu + sigma * eps`` per row of ``x`` and the
        conditional component shares of every category (a no-op when ``prior_components == 0``)."""
        if self.prior_components == 0:
            return self
        from sklearn.mixture import GaussianMixture

        x = np.asarray(x, np.float32)
        stats = self.encoder.predict(x, batch_size=batch_size, verbose=0)
        mu, log_var = stats[:, :self.latent_dim], stats[:, self.latent_dim:]
        z = mu + np.exp(0.5 * log_var) * np.random.default_rng(seed).standard_normal(mu.shape)
        k = min(self.prior_components, len(z))
        mixture = GaussianMixture(k, covariance_type="diag", reg_covar=1e-4, max_iter=200, random_state=seed).fit(z)
        pad = self.prior_components - k  # fewer rows than components: unused components get weight 0
        self.prior_logits.assign(np.concatenate([np.log(mixture.weights_), np.full(pad, -1e9)]).astype(np.float32))
        self.prior_means.assign(np.concatenate([mixture.means_, np.zeros((pad, self.latent_dim))]).astype(np.float32))
        self.prior_scales.assign(np.concatenate([np.sqrt(mixture.covariances_),
                                                 np.ones((pad, self.latent_dim))]).astype(np.float32))
        if self.discrete:
            responsibility = np.concatenate([mixture.predict_proba(z), np.zeros((len(z), pad))], axis=1)
            onehot = np.concatenate([x[:, s:s + d] for s, d in self.discrete], axis=1)  # (n, positions)
            # P(component | category) from the rows holding the category; the unconditional
            # shares where no training row holds it.
            counts = onehot.T @ responsibility  # (positions, K)
            shares = np.where(counts.sum(1, keepdims=True) > 0, counts, np.exp(self.prior_logits.numpy())[None, :])
            self.conditional_logits.assign(np.log(np.maximum(shares / shares.sum(1, keepdims=True), 1e-30))
                                           .astype(np.float32))
        return self

    def latent_from_noise(self, eps, seed, position=None):
        """Standard normal ``eps (n, latent)`` -> prior draws ``mean_k + scale_k * eps``, the component
        ``k`` drawn per row from the stateless ``seed``: from the mixture weights, or — where
        ``position`` (``(n,)`` int, ``-1`` = none) names a category — from that category's
        component shares. Identity before :meth:`fit_prior` and for the standard normal prior."""
        eps = tf.convert_to_tensor(eps, tf.float32)
        if self.prior_components == 0:
            return eps
        n = tf.shape(eps)[0]
        logits = tf.tile(tf.convert_to_tensor(self.prior_logits)[None, :], [n, 1])  # (n, K)
        if position is not None and self.discrete:
            position = tf.cast(position, tf.int32)
            conditional = tf.gather(tf.convert_to_tensor(self.conditional_logits), tf.maximum(position, 0))
            logits = tf.where((position >= 0)[:, None], conditional, logits)
        k = tf.random.stateless_categorical(logits, 1, seed)[:, 0]  # (n,)
        return tf.gather(self.prior_means, k) + tf.gather(self.prior_scales, k) * eps

    def get_config(self):
        return {**super().get_config(), "spans": self.spans, "data_dim": self.data_dim,
                "latent_dim": self.latent_dim, "hidden": list(self.hidden), "loss_factor": self.loss_factor,
                "seed": self.seed, "prior_components": self.prior_components, "discrete": self.discrete,
                "conditional": self.conditional}
