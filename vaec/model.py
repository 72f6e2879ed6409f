"""The VAE + classifier ("VAEC") and its training strategies."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.callbacks import GuardedFit
from genlab.checks import check_features, check_int, check_labels
from genlab.distribute import scale_for_replicas
from genlab.errors import ConfigError, LabelError, unknown_name
from genlab.export import export_saved_model
from genlab.layers import apply_layer_specs
from vaec.config import VAECConfig
from vaec.domain import ClassDomain, Domain, LatentDomain, NeighbourDomain
from vaec.losses import kl_loss, prediction_loss, reconstruction_error, reconstruction_loss
from vaec.sampling import Sampling

#: Which metrics each strategy reports (the loss terms it composes, plus accuracies).
STRATEGY_METRICS = {
    "all_parts": ("loss", "reconstruction_loss", "kl_loss", "prediction_loss", "accuracy",
                  "sampled_accuracy"),
    "autoencoder": ("loss", "reconstruction_loss", "kl_loss"),
    "classifier_head": ("loss", "prediction_loss", "accuracy", "sampled_accuracy"),
    "mlp_classifier": ("loss", "prediction_loss", "accuracy"),
    "var_mlp_classifier": ("loss", "prediction_loss", "kl_loss", "accuracy", "sampled_accuracy"),
}
#: Strategies whose classifier head is trained on sampled z (the others use z_mean).
_SAMPLED_HEAD_INPUT = ("all_parts", "var_mlp_classifier")
#: ``fit`` arguments a strategy method forwards besides its named ones.
_FORWARDED_FIT_ARGS = {"shuffle", "initial_epoch", "steps_per_epoch", "validation_steps",
                       "validation_freq", "validation_batch_size"}


def build_encoder(cfg: VAECConfig) -> keras.Model:
    """Encoder ``x -> (z_mean, z_log_var, z)``: optional strided conv stack, dense specs, Sampling."""
    inputs = keras.Input(cfg.input_shape, name="features")
    x = inputs
    for i, filters in enumerate(cfg.conv_filters):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu",
                                name=f"enc_conv_{i}")(x)
    if cfg.conv_filters:
        x = keras.layers.Flatten(name="enc_flatten")(x)
    x = apply_layer_specs(x, cfg.encoder_layers, name="enc")
    z_mean = keras.layers.Dense(cfg.latent_dim, name="z_mean")(x)
    z_log_var = keras.layers.Dense(cfg.latent_dim, name="z_log_var")(x)
    z = Sampling(seed=cfg.seed, name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(cfg: VAECConfig) -> keras.Model:
    """Decoder ``z -> x_hat`` mirroring the encoder; sigmoid output for BCE, linear for MSE."""
    z = keras.Input((cfg.latent_dim,), name="z")
    x = apply_layer_specs(z, cfg.decoder_specs, name="dec")
    out_act = "sigmoid" if cfg.reconstruction_loss == "bce" else None
    if cfg.conv_filters:
        h, w, c = cfg.input_shape
        f = 2 ** len(cfg.conv_filters)
        x = keras.layers.Dense((h // f) * (w // f) * cfg.conv_filters[-1], activation="relu",
                               name="dec_project")(x)
        x = keras.layers.Reshape((h // f, w // f, cfg.conv_filters[-1]), name="dec_reshape")(x)
        for i, filters in enumerate(reversed(cfg.conv_filters)):
            x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                             activation="relu", name=f"dec_deconv_{i}")(x)
        x_hat = keras.layers.Conv2D(c, 3, padding="same", activation=out_act, name="x_hat")(x)
    else:
        x_hat = keras.layers.Dense(cfg.input_shape[0], activation=out_act, name="x_hat")(x)
    return keras.Model(z, x_hat, name="decoder")


def build_classifier_head(cfg: VAECConfig) -> keras.Model:
    """Classifier head ``z -> class probabilities``."""
    z = keras.Input((cfg.latent_dim,), name="z")
    x = apply_layer_specs(z, cfg.head_layers, name="head")
    probs = keras.layers.Dense(cfg.n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(z, probs, name="classifier_head")


@keras.saving.register_keras_serializable(package="vaec")
class VAEC(GuardedFit, keras.Model):
    """Variational autoencoder with a classifier head on the latent code.

    The model owns three functional sub-models: ``encoder`` (x -> z_mean, z_log_var, z),
    ``decoder`` (z -> x_hat) and ``classifier_head`` (z -> probabilities). Calling the model
    returns class probabilities predicted from ``z_mean`` (deterministic).

    Training strategies (each through ``fit``, each with its own optimizer, each updating only
    its own variables):

    - ``fit_all_parts``: reconstruction + kl_weight * KL + prediction_weight * prediction, the head
      on sampled z; updates encoder, decoder and head.
    - ``fit_autoencoder``: reconstruction + kl_weight * KL; updates encoder and decoder.
    - ``fit_classifier_head``: prediction from z_mean of the frozen encoder (run in inference
      mode, so its BatchNorm statistics stay fixed); updates the head only.
    - ``fit_mlp_classifier``: prediction from z_mean, no sampling, no decoder: a plain MLP;
      updates the encoder's mean path and the head (``z_log_var`` stays untouched).
    - ``fit_var_mlp_classifier``: prediction from sampled z + classifier_kl_weight * KL (a variational
      information bottleneck); predicts from z_mean. Updates encoder and head.

    Args:
        config: A :class:`VAECConfig` (or its dict form).
        **kwargs: Standard ``keras.Model`` arguments (``name``...).

    Example:
        >>> cfg = VAECConfig(input_shape=(30,), n_classes=2, latent_dim=2)
        >>> model = VAEC(cfg)
        >>> model.fit_var_mlp_classifier(x_train, y_train, epochs=50, validation_data=(x_val, y_val))
        >>> probabilities = model.predict(x_test)
    """

    STRATEGIES = tuple(STRATEGY_METRICS)

    def __init__(self, config: VAECConfig | dict, **kwargs):
        super().__init__(**kwargs)
        self.config = config if isinstance(config, VAECConfig) else VAECConfig.from_dict(config)
        self.encoder = build_encoder(self.config)
        self.decoder = build_decoder(self.config)
        self.classifier_head = build_classifier_head(self.config)
        self.strategy = "all_parts"
        #: Strategies ``fit_strategy`` has run (decides whether the decoder can judge inputs).
        self.trained_strategies: set[str] = set()
        self._trackers = {name: keras.metrics.Mean(name=name) for name in STRATEGY_METRICS["all_parts"]}
        self._strategy_optimizers: dict[str, keras.optimizers.Optimizer] = {}
        # The sub-models are built; marking the wrapper built keeps fit from tracing a build
        # step (and from building an optimizer over every variable).
        self.built = True

    # ----------------------------------------------------------------------------- inference
    def call(self, x, training=False):
        z_mean, _, _ = self.encoder(x, training=training)
        return self.classifier_head(z_mean, training=training)

    def predict(self, x, *args, **kwargs):
        """Class probabilities (``keras.Model.predict``) of features checked like ``fit``'s: rows
        of NaN or infinity are refused (:class:`~genlab.errors.InvalidValueError`), not scored."""
        if not isinstance(x, tf.data.Dataset):
            x = check_features(x, self.config.input_shape)
        return super().predict(x, *args, **kwargs)

    @property
    def mlp_classifier(self) -> keras.Model:
        """Functional model ``x -> class probabilities`` (from z_mean); usable without compile."""
        inputs = keras.Input(self.config.input_shape, name="features")
        z_mean, _, _ = self.encoder(inputs)
        return keras.Model(inputs, self.classifier_head(z_mean), name="mlp_classifier")

    @property
    def mlp_classifier_with_z(self) -> keras.Model:
        """Functional model ``x -> [class probabilities, z_mean]``; usable without compile."""
        inputs = keras.Input(self.config.input_shape, name="features")
        z_mean, _, _ = self.encoder(inputs)
        return keras.Model(inputs, [self.classifier_head(z_mean), z_mean], name="mlp_classifier_with_z")

    def encode(self, x, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(z_mean, z_log_var, z)`` for ``x`` as NumPy arrays (inference mode)."""
        x = check_features(x, self.config.input_shape)
        outs = [[], [], []]
        for start in range(0, len(x), batch_size):
            for acc, t in zip(outs, self.encoder(x[start:start + batch_size], training=False)):
                acc.append(ops.convert_to_numpy(t))
        return tuple(np.concatenate(o) for o in outs)

    def fit_domain(self, x, y=None, k: float = 3.0, neighbours: int | None = 10) -> Domain:
        """Fit the latent domain of validity to training inputs (see :mod:`vaec.domain`).

        Args:
            x: Training features.
            y: Optional training labels; with them the domain adds the class-conditional test
                (``class_distance``, ``class_p_value``), the strongest against unseen classes.
            k: In-domain radius, in sigmas of the isotropic Gaussian.
            neighbours: k of the nearest-neighbour test (``neighbour_distance``,
                ``neighbour_p_value``); ``None`` leaves the test out.

        Returns:
            A :class:`vaec.domain.Domain` whose ``score(x)`` gives distance, p-values,
            confidence, in_domain, typicality, reconstruction and combined p-values.
        """
        x = check_features(x, self.config.input_shape)
        if y is not None:
            y = check_labels(y, self.config.n_classes, len(x))
        z_mean, _, z = self.encode(x)
        errors = np.concatenate([
            ops.convert_to_numpy(reconstruction_error(
                x[i:i + 1024], self.decoder(z_mean[i:i + 1024], training=False),
                self.config.reconstruction_loss))
            for i in range(0, len(x), 1024)])
        latent = LatentDomain.fit(z, z_mean, k=k)
        distances = np.linalg.norm(z_mean - latent.centre, axis=1) / latent.sigma
        decoder_trained = bool(self.trained_strategies & {"all_parts", "autoencoder"})
        classes = None if y is None else ClassDomain.fit(z_mean, y)
        near, near_train = (None, None) if neighbours is None else NeighbourDomain.fit(
            z_mean, k=neighbours, seed=self.config.seed)
        return Domain(self, latent, errors, distances, use_reconstruction=decoder_trained, classes=classes,
                      train_class_distances=None if classes is None else classes.distances(z_mean),
                      neighbours=near, train_neighbour_distances=near_train)

    # ----------------------------------------------------------------------------- training
    @property
    def metrics(self):
        return [self._trackers[name] for name in STRATEGY_METRICS[self.strategy]]

    def strategy_variables(self, strategy: str | None = None) -> list:
        """The trainable variables a strategy updates."""
        strategy = strategy or self.strategy
        enc, dec, head = (self.encoder.trainable_variables, self.decoder.trainable_variables,
                          self.classifier_head.trainable_variables)
        if strategy == "all_parts":
            return enc + dec + head
        if strategy == "autoencoder":
            return enc + dec
        if strategy == "classifier_head":
            return head
        if strategy == "mlp_classifier":
            log_var_ids = {id(v) for v in self.encoder.get_layer("z_log_var").trainable_variables}
            return [v for v in enc if id(v) not in log_var_ids] + head
        if strategy == "var_mlp_classifier":
            return enc + head
        raise unknown_name("strategy", strategy, self.STRATEGIES)

    def _loss_terms(self, x, y, training: bool) -> dict:
        """Compute the current strategy's loss terms and accuracies (unscaled)."""
        cfg, s = self.config, self.strategy
        # A frozen encoder runs in inference mode: its BatchNorm statistics must not move.
        z_mean, z_log_var, z = self.encoder(x, training=training and s != "classifier_head")
        terms, total = {}, 0.0
        if s in ("all_parts", "autoencoder"):
            x_hat = self.decoder(z, training=training)
            terms["reconstruction_loss"] = reconstruction_loss(x, x_hat, cfg.reconstruction_loss)
            total += terms["reconstruction_loss"]
        if s in ("all_parts", "autoencoder", "var_mlp_classifier"):
            terms["kl_loss"] = kl_loss(z_mean, z_log_var)
            beta = cfg.classifier_kl_weight if s == "var_mlp_classifier" else cfg.kl_weight
            total += beta * terms["kl_loss"]
        if s != "autoencoder":
            sampled = s in _SAMPLED_HEAD_INPUT
            probs = self.classifier_head(z if sampled else z_mean, training=training)
            terms["prediction_loss"] = prediction_loss(y, probs)
            weight = cfg.prediction_weight if s == "all_parts" else 1.0
            total += weight * terms["prediction_loss"]
            y_int = ops.cast(ops.reshape(y, (-1,)), "int32")
            hit = lambda p: ops.cast(ops.argmax(p, axis=-1) == y_int, "float32")  # noqa: E731
            if sampled:
                terms["sampled_accuracy"] = hit(probs)
                terms["accuracy"] = hit(self.classifier_head(z_mean, training=False))
            else:
                terms["accuracy"] = hit(probs)
                if "sampled_accuracy" in STRATEGY_METRICS[s]:
                    terms["sampled_accuracy"] = hit(self.classifier_head(z, training=False))
        terms["loss"] = total
        return terms

    def _record(self, terms: dict) -> dict:
        for name, value in terms.items():
            self._trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        variables = self.strategy_variables()
        with tf.GradientTape() as tape:
            terms = self._loss_terms(x, y, training=True)
            # fit sums replica gradients: scale the per-replica mean for the global batch.
            scaled = scale_for_replicas(terms["loss"])
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply(grads, variables)
        return self._record(terms)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._record(self._loss_terms(x, y, training=False))

    # ----------------------------------------------------------------------------- strategies
    def fit_strategy(self, strategy: str, x, y=None, *, epochs: int = 1, batch_size: int = 32,
                     validation_data=None, callbacks=None, verbose="auto", optimizer=None,
                     jit_compile: bool = False, checkpoint_dir: str | os.PathLike | None = None,
                     **fit_kwargs) -> keras.callbacks.History:
        """Train with one strategy through ``fit``; the ``fit_<strategy>`` methods call this.

        With ``checkpoint_dir`` the fit can be resumed: every finished epoch of the strategy is
        backed up in ``checkpoint_dir/<strategy>/`` (weights, every strategy's optimizer, the
        sampling and dropout streams, the epoch, stateful callbacks such as ``EarlyStopping``),
        and the same call started again — after a crash, in a new process, with the earlier
        stages of a pipeline called again first — resumes after the last finished epoch and ends
        with the weights of an uninterrupted fit; a finished strategy is restored, not retrained.
        Each epoch's batches are then drawn from ``(config.seed, epoch)`` (not Keras' shuffle),
        so the fit differs from one without ``checkpoint_dir``. A pipeline that runs the same
        strategy twice needs a folder per call.

        Args:
            strategy: One of :attr:`STRATEGIES`.
            x: Features, ``(n, *input_shape)``.
            y: Integer labels (or one-hot); optional for ``"autoencoder"``.
            epochs, batch_size, validation_data, callbacks, verbose: As in ``keras.Model.fit``.
            optimizer: Optimizer for this strategy; by default the strategy's own Adam (AdamW
                if ``config.weight_decay`` > 0), created on first use and reused on later calls.
            jit_compile: Compile the step with XLA.
            checkpoint_dir: Folder of the resumable state of this model's fits (``None``: not
                resumable); the strategy's backups go to its ``<strategy>`` sub-folder.
            **fit_kwargs: ``shuffle``, ``initial_epoch``, ``steps_per_epoch``,
                ``validation_steps``, ``validation_freq``, ``validation_batch_size`` (the
                first three not with ``checkpoint_dir`` but ``shuffle``).

        Returns:
            The ``History`` of ``fit``.

        Raises:
            UnknownNameError: Unknown strategy or option.
            ConfigError: ``epochs`` or ``batch_size`` is not an int >= 1.
            InputShapeError, InvalidValueError, LabelError: Bad features or labels.
            PathExistsError: ``checkpoint_dir/<strategy>`` holds the checkpoint of a fit with
                other arguments (data, epochs, batch size, configuration, optimizer).
        """
        if strategy not in self.STRATEGIES:
            raise unknown_name("strategy", strategy, self.STRATEGIES)
        unknown = set(fit_kwargs) - _FORWARDED_FIT_ARGS
        if unknown:
            raise unknown_name("option", sorted(unknown)[0],
                               _FORWARDED_FIT_ARGS | {"epochs", "batch_size", "validation_data",
                                                      "callbacks", "verbose", "optimizer", "jit_compile"})
        check_int("epochs", epochs, 1)
        check_int("batch_size", batch_size, 1)
        needs_labels = strategy != "autoencoder"
        x, y = self._checked(x, y, needs_labels, "x", "y")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (1, 2):
                raise ConfigError(
                    f"validation_data must be a tuple (x_val, y_val), or (x_val,) for "
                    f"fit_autoencoder; received {type(validation_data).__name__}")
            vx = validation_data[0]
            vy = validation_data[1] if len(validation_data) == 2 else None
            vx, vy = self._checked(vx, vy, needs_labels, "validation x", "validation y")
            validation_data = (vx, vy) if vy is not None else (vx,)
        self.compile_strategy(strategy, optimizer=optimizer, jit_compile=jit_compile)
        fit_args = (x,) if y is None else (x, y)
        if checkpoint_dir is not None:
            fit_kwargs["checkpoint_dir"] = Path(checkpoint_dir) / strategy
        return self.fit(*fit_args, epochs=epochs, batch_size=batch_size,
                        validation_data=validation_data, callbacks=callbacks, verbose=verbose,
                        **fit_kwargs)

    def checkpoint_seed(self) -> int:
        """Seed of the epoch orders of a resumable fit: ``config.seed``."""
        return int(self.config.seed)

    def compile_strategy(self, strategy: str, *, optimizer=None, jit_compile: bool = False,
                         steps_per_execution: int = 1, run_eagerly: bool = False) -> None:
        """Select a strategy and compile for it, for callers that then run ``fit`` themselves.

        :meth:`fit_strategy` calls this, then ``fit`` on checked arrays. Call it directly to
        train on a ``tf.data.Dataset`` of ``(x, y)`` batches (the caller checks the data), e.g.
        to avoid the per-epoch cost of Keras' array adapter on small tables.

        Args:
            strategy: One of :attr:`STRATEGIES`.
            optimizer: As in :meth:`fit_strategy`.
            jit_compile: Compile the step with XLA.
            steps_per_execution: Training steps per call of the compiled function (Keras').
            run_eagerly: Run the steps eagerly, without tracing (faster for a handful of steps).

        Raises:
            UnknownNameError: Unknown strategy.
        """
        if strategy not in self.STRATEGIES:
            raise unknown_name("strategy", strategy, self.STRATEGIES)
        self.strategy = strategy
        with self.distribute_strategy.scope():
            if optimizer is None:
                optimizer = self._strategy_optimizers.get(strategy) or self._default_optimizer()
            if not optimizer.built:
                optimizer.build(self.strategy_variables())
            self._strategy_optimizers[strategy] = optimizer
            self.compile(optimizer=optimizer, jit_compile=jit_compile,
                         steps_per_execution=steps_per_execution, run_eagerly=run_eagerly)
        self.trained_strategies.add(strategy)

    def _default_optimizer(self) -> keras.optimizers.Optimizer:
        cfg = self.config
        if cfg.weight_decay > 0:
            return keras.optimizers.AdamW(cfg.learning_rate, weight_decay=cfg.weight_decay)
        return keras.optimizers.Adam(cfg.learning_rate)

    def _checked(self, x, y, needs_labels: bool, x_name: str, y_name: str):
        x = check_features(x, self.config.input_shape, x_name)
        if y is None:
            if needs_labels:
                raise LabelError(
                    f"{y_name} is required: class labels are needed by every strategy but fit_autoencoder, "
                    "which trains without labels")
            return x, None
        return x, check_labels(y, self.config.n_classes, len(x), y_name)

    def fit_all_parts(self, x, y, **kwargs):
        """Train encoder, decoder and head on reconstruction + KL + prediction (see fit_strategy)."""
        return self.fit_strategy("all_parts", x, y, **kwargs)

    def fit_autoencoder(self, x, y=None, **kwargs):
        """Train encoder and decoder on reconstruction + KL; labels optional (see fit_strategy)."""
        return self.fit_strategy("autoencoder", x, y, **kwargs)

    def fit_classifier_head(self, x, y, **kwargs):
        """Train the head on z_mean of the frozen encoder (see fit_strategy)."""
        return self.fit_strategy("classifier_head", x, y, **kwargs)

    def fit_mlp_classifier(self, x, y, **kwargs):
        """Train encoder mean path + head as a plain MLP on z_mean (see fit_strategy)."""
        return self.fit_strategy("mlp_classifier", x, y, **kwargs)

    def fit_var_mlp_classifier(self, x, y, **kwargs):
        """Train encoder + head on sampled z (+ KL); predictions use z_mean (see fit_strategy)."""
        return self.fit_strategy("var_mlp_classifier", x, y, **kwargs)

    # ----------------------------------------------------------------------------- export / config
    def export(self, path: str | os.PathLike, format: str = "tf_saved_model", verbose=None,
               domain: Domain | None = None, **kw) -> str:
        """Export a SavedModel mapping raw features to ``{probabilities, z_mean, z_log_var}``.

        With a fitted ``domain`` (:meth:`fit_domain`) the outputs also hold ``distance``,
        ``distance_p_value``, ``p_values``, ``confidence``, ``in_domain``,
        ``typicality_p_value``, ``reconstruction_error``, ``reconstruction_p_value`` and
        ``neighbour_distance``, ``neighbour_p_value``, ``combined_p_value`` (and
        ``class_distance``, ``class_p_value`` when the domain was fitted with labels). The endpoint is
        ``serve``; load it with ``tf.saved_model.load(path).serve(features)``. Features holding
        NaN or infinity are refused with an ``InvalidArgumentError`` (never scored as in domain).
        """
        if format != "tf_saved_model":
            raise unknown_name("export format", format, ["tf_saved_model"])
        spec = tf.TensorSpec((None, *self.config.input_shape), tf.float32, name="features")

        def serve(x):
            x = tf.debugging.assert_all_finite(x, "features must be finite (no NaN or inf): impute or drop "
                                                  "those rows before scoring")
            z_mean, z_log_var, _ = self.encoder(x, training=False)
            out = {"probabilities": self.classifier_head(z_mean, training=False),
                   "z_mean": z_mean, "z_log_var": z_log_var}
            if domain is not None:
                out.update(domain.score_tensors(x, z_mean))
            return out

        track = [self.encoder, self.classifier_head] + ([self.decoder] if domain is not None else [])
        return export_saved_model(path, serve, [spec], track=track)

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(VAECConfig.from_dict(config.pop("config")), **config)
