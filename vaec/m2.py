"""Semi-supervised M2 (Kingma et al. 2014): a generative model with the class as a latent variable.

"Semi-Supervised Learning with Deep Generative Models" (Kingma, Rezende, Mohamed, Welling,
NeurIPS 2014), model M2. Generative model ``p(y) = Cat(1/K)``, ``p(z) = N(0, I)``,
``p(x | y, z)`` a decoder MLP; inference networks ``q(z | x, y) = N(mu, sigma^2)`` (encoder MLP on
``[x, onehot(y)]``) and ``q(y | x) = Cat(pi(x))`` (classifier MLP). Per example:

- labelled, ``-L(x, y) = E_q(z|x,y)[log p(x|y,z) + log p(y)] - KL(q(z|x,y) || p(z))``;
- unlabelled, ``-U(x) = sum_y q(y|x) (-L(x, y)) + H(q(y|x))``: ``y`` is marginalised by
  enumerating the ``K`` classes;
- loss of a step ``= mean_l L(x, y) + alpha * mean_l [-log q(y|x)] + mean_u U(x)``
  (the paper's ``J^alpha``, written per example; the classification term is what trains
  ``q(y|x)`` on the labels directly).

One Monte-Carlo sample of ``z`` per (example, class). ``likelihood="bernoulli"`` models pixels in
[0, 1] (M2 on images, flattened); ``"gaussian"`` models real vectors with a learned diagonal
variance, which is how M1+M2 works: M2 trained on the (standardised) ``z_mean`` codes of the M1 VAE.

``fit`` receives paired batches ``((x_labelled, y_labelled), x_unlabelled)``:
:func:`paired_dataset` zips the few labelled rows, shuffled and repeated forever, with one
shuffled pass over the unlabelled rows, so an epoch is one pass over the unlabelled data and every
step sees a labelled batch.

Example:
    >>> m2 = M2(input_dim=784, n_classes=10, latent_dim=50, hidden=(500,), alpha=10.0)
    >>> m2.compile(keras.optimizers.Adam(3e-4))
    >>> ds = paired_dataset(x_lab.reshape(-1, 784), y_lab, x_unl.reshape(-1, 784), batch_size=100)
    >>> m2.fit(ds, epochs=10)
    >>> m2.predict(x_test.reshape(-1, 784)).argmax(1)   # class probabilities q(y|x)
    >>> m2.save("m2.keras"); keras.saving.load_model("m2.keras")
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.callbacks import GuardedFit
from genlab.checks import check_labels
from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, InputShapeError, NotFittedError, unknown_name

LIKELIHOODS = ("bernoulli", "gaussian")
#: The Gaussian decoder's log variance is clipped to this range (variance 3e-4 .. 3e3).
LOG_VAR_RANGE = (-8.0, 8.0)


def _mlp(input_dim: int, hidden: Sequence[int], outputs: int, activation: str, name: str,
         output_activation=None) -> keras.Model:
    inputs = keras.Input((input_dim,), name=f"{name}_input")
    x = inputs
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation=activation, name=f"{name}_dense_{i}")(x)
    out = keras.layers.Dense(outputs, activation=output_activation, name=f"{name}_out")(x)
    return keras.Model(inputs, out, name=name)


def bernoulli_log_likelihood(x, logits):
    """``sum_d log Bern(x_d; sigmoid(logits_d))`` per row, stable for any logits: ``(batch,)``.

    ``log p = x * l - softplus(l)`` (the negative of sigmoid cross-entropy with logits).
    """
    return ops.sum(x * logits - ops.softplus(logits), axis=-1)


def gaussian_log_likelihood(x, mean, log_var):
    """``sum_d log N(x_d; mean_d, exp(log_var_d))`` per row: ``(batch,)``."""
    return -0.5 * ops.sum(math.log(2 * math.pi) + log_var + ops.square(x - mean) * ops.exp(-log_var),
                          axis=-1)


@keras.saving.register_keras_serializable(package="vaec")
class M2(GuardedFit, keras.Model):
    """M2: encoder ``q(z|x,y)``, classifier ``q(y|x)`` and decoder ``p(x|y,z)`` (module docstring).

    Args:
        input_dim: Width of a (flattened) input row.
        n_classes: Number of classes ``K`` (>= 2).
        latent_dim: Width of ``z`` (the paper: 50).
        hidden: Hidden widths of each of the three MLPs (the paper: one layer of 500).
        activation: Hidden activation (the paper: softplus).
        likelihood: ``"bernoulli"`` (inputs in [0, 1]) or ``"gaussian"`` (real inputs, learned
            diagonal variance).
        alpha: Weight of the classification loss on labelled rows (the paper: ``0.1 * N`` in
            its objective summed over the data set; here the terms are batch means, and 10 is
            what the MNIST runs use; on M1 codes with 100 labels, alpha 1 and 10 reached 86.5 %
            and 87.4 % after 8 epochs).
        seed: Seed of the ``z`` noise (a ``keras.random.SeedGenerator``).
        **kwargs: Standard ``keras.Model`` arguments.

    Raises:
        ConfigError: A size is not positive, ``alpha`` is negative, or the likelihood is unknown.

    Attributes:
        encoder: ``[x, onehot(y)] -> [mu, log_var]`` (``2 * latent_dim`` outputs).
        classifier: ``x -> logits`` (``n_classes`` outputs).
        decoder: ``[z, onehot(y)] -> logits`` (bernoulli) or ``[mean, log_var]`` (gaussian).
    """

    def __init__(self, input_dim: int, n_classes: int = 10, latent_dim: int = 50,
                 hidden: Sequence[int] = (500,), activation: str = "softplus",
                 likelihood: str = "bernoulli", alpha: float = 10.0, seed: int | None = 0, **kwargs):
        super().__init__(**kwargs)
        for name, value, low in (("input_dim", input_dim, 1), ("n_classes", n_classes, 2),
                                 ("latent_dim", latent_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, received {value!r}")
        hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in hidden):
            raise ConfigError(f"hidden widths must be >= 1, received {hidden}")
        if likelihood not in LIKELIHOODS:
            raise unknown_name("likelihood", likelihood, LIKELIHOODS)
        if not alpha >= 0:
            raise ConfigError(f"alpha must be >= 0, received {alpha}")
        self.input_dim, self.n_classes, self.latent_dim = int(input_dim), int(n_classes), int(latent_dim)
        self.hidden, self.activation, self.likelihood = hidden, activation, likelihood
        self.alpha, self.seed = float(alpha), seed
        out = input_dim * (2 if likelihood == "gaussian" else 1)
        self.encoder = _mlp(input_dim + n_classes, hidden, 2 * latent_dim, activation, "encoder")
        self.classifier = _mlp(input_dim, hidden, n_classes, activation, "classifier")
        self.decoder = _mlp(latent_dim + n_classes, hidden, out, activation, "decoder")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "loss", "labelled_loss", "unlabelled_loss", "classification_loss", "labelled_accuracy")}
        self.built = True  # sub-models are built; fit must not call `call` on a data pair

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        """Class probabilities ``q(y | x)``: ``(batch, n_classes)``."""
        return ops.softmax(self.classifier(x, training=training), axis=-1)

    # ----------------------------------------------------------------------------- the objective
    def labelled_bound(self, x, y_onehot, eps=None, training=False):
        """``L(x, y)`` (the negative ELBO, >= 0 up to the Gaussian density) per row: ``(batch,)``.

        Args:
            x: ``(batch, input_dim)`` rows.
            y_onehot: ``(batch, n_classes)`` one-hot labels (float).
            eps: Optional ``(batch, latent_dim)`` standard-normal noise for ``z = mu + sigma * eps``;
                ``None`` draws it from the model's seed generator (tests pass it to compare with a
                hand computation).
            training: Passed to the sub-models.
        """
        stats = self.encoder(ops.concatenate([x, y_onehot], axis=-1), training=training)
        mu, log_var = stats[:, :self.latent_dim], stats[:, self.latent_dim:]  # (batch, latent) each
        if eps is None:
            eps = keras.random.normal(ops.shape(mu), dtype=mu.dtype, seed=self.seed_generator)
        z = mu + ops.exp(0.5 * log_var) * eps
        out = self.decoder(ops.concatenate([z, y_onehot], axis=-1), training=training)
        if self.likelihood == "bernoulli":
            log_px = bernoulli_log_likelihood(x, out)
        else:
            log_v = ops.clip(out[:, self.input_dim:], *LOG_VAR_RANGE)
            log_px = gaussian_log_likelihood(x, out[:, :self.input_dim], log_v)
        kl = 0.5 * ops.sum(ops.exp(log_var) + ops.square(mu) - 1.0 - log_var, axis=-1)
        log_py = -math.log(self.n_classes)  # uniform prior p(y)
        return -(log_px + log_py) + kl

    def unlabelled_bound(self, x, eps=None, training=False):
        """``U(x) = sum_y q(y|x) L(x, y) - H(q(y|x))`` per row, and the logits of ``q(y|x)``.

        Args:
            x: ``(batch, input_dim)`` rows.
            eps: Optional ``(n_classes, batch, latent_dim)`` noise, one draw per class.
            training: Passed to the sub-models.

        Returns:
            ``(U, logits)`` of shapes ``(batch,)`` and ``(batch, n_classes)``.
        """
        k, n = self.n_classes, ops.shape(x)[0]
        # Enumerate the classes: row c * n + i pairs x_i with class c.
        x_rep = ops.tile(x, (k, 1))  # (k * batch, input_dim)
        y_rep = ops.repeat(ops.eye(k, dtype=x.dtype), n, axis=0)  # (k * batch, k)
        if eps is not None:
            eps = ops.reshape(eps, (-1, self.latent_dim))
        bound = ops.transpose(ops.reshape(self.labelled_bound(x_rep, y_rep, eps, training), (k, n)))
        logits = self.classifier(x, training=training)  # (batch, k)
        q = ops.softmax(logits, axis=-1)
        log_q = ops.log_softmax(logits, axis=-1)
        return ops.sum(q * bound, axis=-1) + ops.sum(q * log_q, axis=-1), logits

    def compute_losses(self, x_labelled, y_labelled, x_unlabelled, eps_labelled=None,
                       eps_unlabelled=None, training=False) -> dict:
        """Every term of one step's objective (scalars); ``loss`` is the one minimised.

        Args:
            x_labelled: ``(n_l, input_dim)`` labelled rows.
            y_labelled: ``(n_l,)`` integer labels.
            x_unlabelled: ``(n_u, input_dim)`` unlabelled rows.
            eps_labelled, eps_unlabelled: Optional noise (see :meth:`labelled_bound` and
                :meth:`unlabelled_bound`).
            training: Passed to the sub-models.

        Returns:
            ``{"loss", "labelled_loss", "unlabelled_loss", "classification_loss",
            "labelled_accuracy"}``.
        """
        y = ops.cast(ops.reshape(y_labelled, (-1,)), "int32")
        y_onehot = ops.one_hot(y, self.n_classes, dtype=x_labelled.dtype)
        labelled = ops.mean(self.labelled_bound(x_labelled, y_onehot, eps_labelled, training))
        logits_l = self.classifier(x_labelled, training=training)  # (n_l, k)
        classification = -ops.mean(ops.sum(y_onehot * ops.log_softmax(logits_l, axis=-1), axis=-1))
        unlabelled = ops.mean(self.unlabelled_bound(x_unlabelled, eps_unlabelled, training)[0])
        accuracy = ops.mean(ops.cast(ops.argmax(logits_l, axis=-1) == y, x_labelled.dtype))
        return {"loss": labelled + self.alpha * classification + unlabelled,
                "labelled_loss": labelled, "unlabelled_loss": unlabelled,
                "classification_loss": classification, "labelled_accuracy": accuracy}

    def train_step(self, data):
        (x_l, y_l), x_u = data  # as paired_dataset yields them
        x_l, x_u = ops.cast(x_l, self.compute_dtype), ops.cast(x_u, self.compute_dtype)
        with tf.GradientTape() as tape:
            terms = self.compute_losses(x_l, y_l, x_u, training=True)
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(terms["loss"])
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: t.result() for name, t in self.trackers.items()}

    def test_step(self, data):
        """Evaluate on ``((x_l, y_l), x_u)`` pairs like ``train_step``, without updates."""
        (x_l, y_l), x_u = data
        terms = self.compute_losses(ops.cast(x_l, self.compute_dtype), y_l,
                                    ops.cast(x_u, self.compute_dtype), training=False)
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: t.result() for name, t in self.trackers.items()}

    # ----------------------------------------------------------------------------- helpers
    def accuracy(self, x, y, batch_size: int = 1000) -> float:
        """Fraction of rows whose ``argmax q(y|x)`` equals the integer label."""
        x = self._rows(x)
        y = check_labels(y, self.n_classes, len(x), "y")
        pred = np.concatenate([ops.convert_to_numpy(self.classifier(x[i:i + batch_size], training=False))
                               .argmax(1) for i in range(0, len(x), batch_size)])
        return float((pred == y).mean())

    def _rows(self, x) -> np.ndarray:
        x = np.asarray(x, np.float32)
        x = x.reshape(len(x), -1)
        if x.shape[1] != self.input_dim:
            raise InputShapeError(f"x must have {self.input_dim} features per row (flattened), "
                                  f"received {x.shape[1]}; reshape the inputs the model was built for")
        return x

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "n_classes": self.n_classes,
                "latent_dim": self.latent_dim, "hidden": list(self.hidden),
                "activation": self.activation, "likelihood": self.likelihood, "alpha": self.alpha,
                "seed": self.seed}


def paired_dataset(x_labelled, y_labelled, x_unlabelled, batch_size: int = 100,
                   labelled_batch_size: int | None = None, seed: int = 0, labelled_std=None,
                   unlabelled_std=None) -> tf.data.Dataset:
    """Batches ``((x_l, y_l), x_u)`` for :meth:`M2.fit`: labelled rows repeated, one unlabelled pass.

    The labelled set is shuffled and repeated forever, the unlabelled one shuffled once per
    epoch; zipping stops with the unlabelled pass, so an epoch is ``n_u // batch_size`` steps
    (remainder dropped) and every step has a full labelled batch.

    With ``labelled_std`` / ``unlabelled_std`` the rows are the means of Gaussians and every batch
    draws fresh samples ``x + std * eps``: M1+M2 as in the paper, where M2 is trained on samples
    of the M1 posterior ``q(z1 | x)`` rather than on its mean (see :func:`m1_posterior`).

    Args:
        x_labelled: Labelled rows, any shape ``(n_l, ...)`` (flattened to 2-D).
        y_labelled: Their integer labels ``(n_l,)``.
        x_unlabelled: Unlabelled rows ``(n_u, ...)``.
        batch_size: Unlabelled rows per step.
        labelled_batch_size: Labelled rows per step; ``None`` uses ``min(n_l, batch_size)``.
        seed: Shuffle (and sampling) seed.
        labelled_std, unlabelled_std: Optional per-row standard deviations, shaped like the rows;
            give both or neither.

    Returns:
        A ``tf.data.Dataset`` of ``((x_l, y_l), x_u)`` float32 / int32 batches.

    Raises:
        InputShapeError: Labelled and unlabelled rows differ in width, labels and rows in count,
            or a std array does not match its rows.
        ConfigError: Only one of the two std arrays is given.
    """
    x_l = np.asarray(x_labelled, np.float32).reshape(len(x_labelled), -1)
    x_u = np.asarray(x_unlabelled, np.float32).reshape(len(x_unlabelled), -1)
    y_l = np.asarray(y_labelled).reshape(-1).astype(np.int32)
    if x_l.shape[1] != x_u.shape[1]:
        raise InputShapeError(f"labelled rows have {x_l.shape[1]} features but unlabelled rows "
                              f"{x_u.shape[1]}; pass the same representation for both")
    if len(y_l) != len(x_l):
        raise InputShapeError(f"{len(x_l)} labelled rows but {len(y_l)} labels")
    if (labelled_std is None) != (unlabelled_std is None):
        raise ConfigError("give both labelled_std and unlabelled_std (sampled rows) or neither")
    nb = labelled_batch_size or min(len(x_l), batch_size)
    if labelled_std is None:
        labelled = tf.data.Dataset.from_tensor_slices((x_l, y_l))
        unlabelled = tf.data.Dataset.from_tensor_slices(x_u)
    else:
        s_l = np.asarray(labelled_std, np.float32).reshape(x_l.shape[0], -1)
        s_u = np.asarray(unlabelled_std, np.float32).reshape(x_u.shape[0], -1)
        if s_l.shape != x_l.shape or s_u.shape != x_u.shape:
            raise InputShapeError(f"std arrays must match their rows: labelled {x_l.shape} vs "
                                  f"{s_l.shape}, unlabelled {x_u.shape} vs {s_u.shape}")
        labelled = tf.data.Dataset.from_tensor_slices((x_l, s_l, y_l))
        unlabelled = tf.data.Dataset.from_tensor_slices((x_u, s_u))
    labelled = (labelled.shuffle(len(x_l), seed=seed, reshuffle_each_iteration=True).repeat()
                .batch(nb, drop_remainder=True))
    unlabelled = (unlabelled.shuffle(len(x_u), seed=seed + 1, reshuffle_each_iteration=True)
                  .batch(batch_size, drop_remainder=True))
    if labelled_std is not None:
        gen = tf.random.Generator.from_seed(seed + 2)  # stateful: new noise every batch

        def draw(mean, std):
            return mean + std * gen.normal(tf.shape(mean))

        labelled = labelled.map(lambda m, s, y: (draw(m, s), y))
        unlabelled = unlabelled.map(draw)
    return tf.data.Dataset.zip((labelled, unlabelled)).prefetch(2)


def m1_posterior(m1, x) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the M1 VAE's ``q(z1 | x)``, in M1's code units.

    The units are those of :meth:`vaec.M1.codes`: the active latent units only, each shifted and
    scaled by its mean / std of ``z_mean`` over M1's training images, so the mean is exactly
    ``m1.codes(x)`` and the std is ``exp(z_log_var / 2) / code_std``.

    Args:
        m1: A :class:`vaec.M1` with a trained VAE.
        x: Images.

    Returns:
        ``(mean, std)``, both ``(n, n_active)`` float32.
    """
    units = m1.active_units_
    if units is None:
        raise NotFittedError("the M1 VAE is not trained: call fit_vae(x) first (or M1.load(dir))")
    z_mean, z_log_var, _ = m1.vae.encode(x)
    mean = (z_mean[:, units] - m1.code_mean_) / m1.code_std_
    std = np.exp(0.5 * z_log_var[:, units]) / m1.code_std_
    return mean.astype(np.float32), std.astype(np.float32)
