"""Convolutional autoencoder for small images, and a GAN trained in an autoencoder's latent space.

:func:`conv_autoencoder` builds an :class:`Autoencoder` (functional ``encoder`` and ``decoder``,
trained with plain ``compile``/``fit(x, x)``). :class:`LatentGAN` then trains any
:class:`~gans.AdversarialModel` on the codes of a frozen encoder (this one, or any dense
encoder of table rows) and decodes its samples: the GAN only has to learn a low-dimensional
distribution.

Example:
    >>> ae = conv_autoencoder((28, 28, 1), latent_dim=15)
    >>> ae.compile("adam", "binary_crossentropy")
    >>> ae.fit(images, images, epochs=5, batch_size=128)
    >>> gan = WGAN(mlp_generator(10, 15), mlp_critic(15), clip_value=0.12)
    >>> latent = LatentGAN(gan, ae.encoder, ae.decoder)
    >>> latent.compile()
    >>> latent.fit(images, epochs=20, batch_size=256)
    >>> digits = latent.generate(16)  # (16, 28, 28, 1) in [0, 1]
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from keras import ops

from gans._checks import positive_int
from gans.adversarial import AdversarialModel
from genlab.callbacks import GuardedFit
from genlab.checks import check_features
from genlab.errors import ConfigError, NotFittedError


def _conv_block(x, filters: int, transpose: bool = False):
    conv = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    x = conv(filters, 3, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.LeakyReLU(0.2)(x)


def _dense_block(x, units: int):
    x = keras.layers.Dense(units, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.LeakyReLU(0.2)(x)


def build_encoder(input_shape=(28, 28, 1), latent_dim: int = 15, filters: Sequence[int] = (32, 64),
                  dense_layers: Sequence[int] = (), name: str = "encoder") -> keras.Model:
    """Encoder ``(batch, h, w, c) -> (batch, latent_dim)``: stride-2 conv + BatchNorm blocks, dense layers.

    Args:
        input_shape: ``(h, w, c)``; ``h`` and ``w`` divisible by ``2 ** len(filters)``
            (28x28 and 8x8 both work with two convolutions).
        latent_dim: Code width (> 0), 15 by default.
        filters: Channels of the stride-2 3x3 convolutions.
        dense_layers: Widths of optional fully connected bottleneck layers before the code.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with a linear code output.

    Raises:
        ConfigError: A size is invalid or the image size is not divisible by ``2 ** len(filters)``.
    """
    _check_sizes(input_shape, latent_dim, filters)
    inputs = keras.Input(tuple(input_shape), name="image")
    x = inputs
    for f in filters:
        x = _conv_block(x, f)  # halves h and w
    x = keras.layers.Flatten()(x)
    for units in dense_layers:
        x = _dense_block(x, units)
    return keras.Model(inputs, keras.layers.Dense(latent_dim, name="code")(x), name=name)


def build_decoder(output_shape=(28, 28, 1), latent_dim: int = 15, filters: Sequence[int] = (32, 64),
                  dense_layers: Sequence[int] = (), output_activation: str = "sigmoid",
                  name: str = "decoder") -> keras.Model:
    """Decoder mirroring :func:`build_encoder`: ``(batch, latent_dim) -> (batch, h, w, c)``.

    Args:
        output_shape: Image shape ``(h, w, c)``.
        latent_dim: Code width.
        filters: The encoder's convolution channels (used in reverse).
        dense_layers: The encoder's dense widths (used in reverse).
        output_activation: ``"sigmoid"`` for images in ``[0, 1]`` (BCE), ``"tanh"`` for ``[-1, 1]``.
        name: Model name.

    Returns:
        A functional ``keras.Model``.
    """
    _check_sizes(output_shape, latent_dim, filters)
    h, w, c = output_shape
    scale = 2 ** len(filters)
    inputs = keras.Input((latent_dim,), name="code")
    x = inputs
    for units in reversed(tuple(dense_layers)):
        x = _dense_block(x, units)
    x = _dense_block(x, (h // scale) * (w // scale) * filters[-1])
    x = keras.layers.Reshape((h // scale, w // scale, filters[-1]))(x)  # (batch, h/s, w/s, f_last)
    for f in reversed(tuple(filters[:-1])):
        x = _conv_block(x, f, transpose=True)  # doubles h and w
    x = keras.layers.Conv2DTranspose(c, 3, strides=2, padding="same", activation=output_activation)(x)
    return keras.Model(inputs, x, name=name)  # (batch, h, w, c)


def _check_sizes(shape, latent_dim, filters) -> None:
    positive_int("latent_dim", latent_dim)
    if len(shape) != 3 or not filters:
        raise ConfigError(f"image shape must be (h, w, c) and filters non-empty; received {shape}, {filters}")
    scale = 2 ** len(filters)
    if shape[0] % scale or shape[1] % scale:
        raise ConfigError(f"image size {shape[:2]} must be divisible by 2 ** len(filters) = {scale}; "
                          "pad the images or use fewer filters")


@keras.saving.register_keras_serializable(package="gans")
class Autoencoder(GuardedFit, keras.Model):
    """``decoder(encoder(x))``; train with ``compile(optimizer, "binary_crossentropy")`` and ``fit(x, x)``.

    Args:
        encoder: Model images -> codes.
        decoder: Model codes -> images.
        **kwargs: Standard ``keras.Model`` arguments.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = int(encoder.output_shape[-1])
        # The functional sub-models are built: so is the wrapper (a resumed fit loads weights
        # into it before its first batch).
        self.built = True

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def get_config(self):
        return {**super().get_config(), "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def conv_autoencoder(input_shape=(28, 28, 1), latent_dim: int = 15, filters: Sequence[int] = (32, 64),
                     dense_layers: Sequence[int] = (), output_activation: str = "sigmoid") -> Autoencoder:
    """Build an :class:`Autoencoder` from :func:`build_encoder` and :func:`build_decoder`.

    Example:
        >>> ae = conv_autoencoder((8, 8, 1), latent_dim=6, filters=(8, 16), dense_layers=(32,))
    """
    return Autoencoder(build_encoder(input_shape, latent_dim, filters, dense_layers),
                       build_decoder(input_shape, latent_dim, filters, dense_layers, output_activation),
                       name="autoencoder")


def _is_array(x) -> bool:
    """Array-like input (NumPy, tensor, DataFrame, list) rather than a dataset of batches."""
    return hasattr(x, "__array__") or isinstance(x, list)


@keras.saving.register_keras_serializable(package="gans")
class LatentGAN(GuardedFit, keras.Model):
    """An adversarial model trained on the codes of a frozen encoder; its samples are decoded.

    Works for any autoencoder: convolutional on images (:func:`conv_autoencoder`) or dense on
    table rows ``(n, width)``. ``fit(x[, labels])`` encodes each batch with the encoder in
    inference mode (``training=False``, and the encoder is marked ``trainable=False``, so its
    weights and BatchNorm statistics never change), standardises the codes with per-dimension
    mean and std measured once by :meth:`adapt`, and runs the wrapped model's own train step
    on them. :meth:`generate` returns ``decoder(code)`` samples (images or rows).

    ``fit`` adapts on array input itself; for a ``tf.data.Dataset`` call :meth:`adapt` first
    (with the arrays, or with a finite dataset). The code statistics are weights: they are
    saved with the model, so a loaded or restored model needs no new ``adapt``.

    Args:
        gan: Any :class:`~gans.AdversarialModel` (e.g. :class:`~gans.LSGAN`, :class:`~gans.WGANGP`)
            whose generator outputs ``(batch, code_dim)`` codes and whose critic takes them
            (plus the label width).
        encoder: Encoder samples -> ``(batch, code_dim)``; frozen by this constructor.
        decoder: Decoder ``(batch, code_dim)`` -> samples.
        **kwargs: Standard ``keras.Model`` arguments.

    Raises:
        ConfigError: ``gan`` is not an AdversarialModel or its sample width is not the code width.

    Example:
        >>> ae = ...  # any autoencoder with functional .encoder / .decoder, trained on rows
        >>> gan = LSGAN(mlp_generator(8, code_dim), mlp_critic(code_dim))
        >>> model = LatentGAN(gan, ae.encoder, ae.decoder)
        >>> model.compile()
        >>> model.fit(rows, epochs=50, batch_size=128)  # rows: float32 (n, width)
        >>> synthetic_rows = model.generate(1000)        # (1000, width)
    """

    def __init__(self, gan: AdversarialModel, encoder: keras.Model, decoder: keras.Model, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(gan, AdversarialModel):
            raise ConfigError(f"gan must be an AdversarialModel (GAN, LSGAN, WGAN, WGANGP...), received "
                              f"{type(gan).__name__}")
        latent = int(encoder.output_shape[-1])
        if tuple(gan.generator.output_shape[1:]) != (latent,) or tuple(decoder.input_shape[1:]) != (latent,):
            raise ConfigError(
                f"the gan's generator must output ({latent},) codes and the decoder take them; received "
                f"generator output {gan.generator.output_shape}, decoder input {decoder.input_shape}")
        self.gan, self.encoder, self.decoder = gan, encoder, decoder
        self.encoder.trainable = False  # BatchNorm in inference mode too (Keras 3 semantics)
        self.code_mean = self.add_weight(shape=(latent,), initializer="zeros", trainable=False,
                                         name="code_mean")
        self.code_std = self.add_weight(shape=(latent,), initializer="ones", trainable=False, name="code_std")
        # A weight, not a Python flag: restored with the statistics by load_model / load_weights.
        self._adapted = self.add_weight(shape=(), initializer="zeros", trainable=False, name="adapted")
        self.built = True  # as AdversarialModel: fit must not call `call` on a data batch

    @property
    def metrics(self):
        return self.gan.metrics

    @property
    def n_classes(self) -> int:
        return self.gan.n_classes

    @property
    def latent_dim(self) -> int:
        """Noise width of the wrapped generator (not the code width)."""
        return self.gan.latent_dim

    @property
    def adapted(self) -> bool:
        """Whether the code statistics have been measured (by :meth:`adapt`) or loaded."""
        return bool(ops.convert_to_numpy(self._adapted) > 0)

    def _samples(self, x) -> np.ndarray:
        return check_features(x, tuple(self.encoder.input_shape[1:]), name="x")

    def _codes(self, x, batch_size: int) -> np.ndarray:
        if _is_array(x):
            return self.encoder.predict(self._samples(x), batch_size=batch_size, verbose=0)
        return self.encoder.predict(x, verbose=0)  # a dataset brings its own batches

    def adapt(self, x, batch_size: int = 512) -> "LatentGAN":
        """Measure the per-dimension mean and std of the encoder's codes of ``x``.

        Args:
            x: Samples ``(n, *sample_shape)`` (array), or a finite ``tf.data.Dataset`` of batches
                (``x`` or ``(x, y)`` elements).
            batch_size: Encoder batch size for array input.

        Returns:
            ``self``.

        Raises:
            InputShapeError: ``x`` does not match the encoder's input shape.
            InvalidValueError: ``x`` holds NaN or infinite values.
        """
        codes = self._codes(x, batch_size)
        self.code_mean.assign(codes.mean(0))
        self.code_std.assign(np.maximum(codes.std(0), 1e-6))
        self._adapted.assign(1.0)
        return self

    def encode(self, x, batch_size: int = 512) -> np.ndarray:
        """Standardised codes of samples ``x`` (what the wrapped model is trained on)."""
        codes = self._codes(x, batch_size)
        return (codes - ops.convert_to_numpy(self.code_mean)) / ops.convert_to_numpy(self.code_std)

    def decode(self, codes) -> np.ndarray:
        """Samples from standardised codes (inference mode)."""
        codes = ops.convert_to_tensor(np.asarray(codes, np.float32)) * self.code_std + self.code_mean
        return ops.convert_to_numpy(self.decoder(codes, training=False))

    def compile(self, g_optimizer=None, d_optimizer=None, jit_compile: bool = False,
                run_eagerly: bool = False, steps_per_execution: int = 1):
        """Compile the wrapped model with these optimizers (see :meth:`AdversarialModel.compile`)."""
        self.gan.compile(g_optimizer, d_optimizer, jit_compile=jit_compile, run_eagerly=run_eagerly,
                         steps_per_execution=steps_per_execution)
        super().compile(optimizer=None, jit_compile=jit_compile, run_eagerly=run_eagerly,
                        steps_per_execution=steps_per_execution)

    def get_compile_config(self):
        """The wrapped model's compile configuration (its two optimizers and options)."""
        return self.gan.get_compile_config()

    compile_from_config = AdversarialModel.compile_from_config  # same arguments as its compile

    def fit(self, x=None, y=None, **kwargs):
        """``keras.Model.fit`` on samples; adapts the code statistics on array ``x`` first if needed.

        ``checkpoint_dir=DIR`` makes the fit resumable (:class:`genlab.callbacks.GuardedFit`): every
        finished epoch is backed up in ``DIR``, the same fit started again resumes after the last
        one, and a finished fit is restored without training.

        Raises:
            NotFittedError: ``x`` is a dataset and :meth:`adapt` was not called.
            InputShapeError: Array ``x`` does not match the encoder's input shape.
        """
        if _is_array(x):
            x = self._samples(x)
        if not self.adapted:
            if not _is_array(x):
                raise NotFittedError("LatentGAN.fit adapts the code statistics on array input only; for a "
                                     "tf.data.Dataset call adapt(x) first (arrays or a finite dataset)")
            self.adapt(x)
        return super().fit(x, y, **kwargs)

    def checkpoint_seed(self) -> int:
        """Seed of the epoch orders of a resumable fit (``fit(..., checkpoint_dir=)``): the wrapped model's."""
        return self.gan.checkpoint_seed()

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        codes = (self.encoder(x, training=False) - self.code_mean) / self.code_std  # (batch, code_dim)
        return self.gan.train_step(codes if y is None else (codes, y))

    def call(self, z, training=False):
        """Decode the wrapped generator's output for a full generator input."""
        codes = self.gan.generator(z, training=training) * self.code_std + self.code_mean
        return self.decoder(codes, training=training)

    def generate(self, n: int, labels=None, batch_size: int = 1024) -> np.ndarray:
        """``n`` decoded samples ``(n, *sample_shape)`` (see :meth:`AdversarialModel.generate`)."""
        return self.decode(self.gan.generate(n, labels=labels, batch_size=batch_size))

    def get_config(self):
        return {**super().get_config(), "gan": keras.saving.serialize_keras_object(self.gan),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        gan, encoder, decoder = (keras.saving.deserialize_keras_object(config.pop(k))
                                 for k in ("gan", "encoder", "decoder"))
        return cls(gan, encoder, decoder, **config)
