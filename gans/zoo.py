"""The image GANs of the MNIST study by name: build, feed, time.

Five models on 28x28 grayscale images (generators: dense 7x7 projection, two stride-2 transposed
convolutions; critics: two stride-2 convolutions; see :mod:`gans.networks`), with their batch size:

- ``dcgan``: :class:`~gans.GAN`, noise 64, BatchNorm discriminator, Adam(2e-4, beta_1=0.5); 128.
- ``wgan_clip``: :class:`~gans.WGAN` with the original study's settings: noise 10, clip 0.12,
  5 critic steps, RMSprop(5e-4); 256.
- ``wgan_gp``: :class:`~gans.WGANGP`, noise 64, lambda 10, 5 critic steps, Adam(1e-4, 0, 0.9); 128.
- ``cwgan_gp``: the same conditioned on the digit (10 classes); 128.
- ``latent_wgan``: :class:`~gans.LatentGAN`, the WGAN-clip settings with MLP 128-128 networks and
  noise 10 on the standardised codes of a conv autoencoder (:func:`train_autoencoder`, code 15); 256.

The tanh models take images in ``[-1, 1]``, the latent model images in ``[0, 1]`` (its decoder
ends with a sigmoid); :func:`fit_inputs` scales ``[0, 1]`` images for each.

Example:
    >>> ae = train_autoencoder(x01, epochs=3)
    >>> model = build("latent_wgan", autoencoder=ae)
    >>> x, labels = fit_inputs("latent_wgan", x01, y)
    >>> model.fit(x, labels, epochs=30, batch_size=MNIST_MODELS["latent_wgan"].batch_size)
    >>> images_per_second(build("dcgan"), *fit_inputs("dcgan", x01[:4096], y[:4096]), batch_size=128)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

import keras
import numpy as np

from gans._checks import positive_int
from gans.autoencoder import Autoencoder, LatentGAN, conv_autoencoder
from gans.gan import GAN
from gans.networks import dcgan_critic, dcgan_generator, mlp_critic, mlp_generator
from gans.wgan import WGAN
from gans.wgan_gp import WGANGP
from genlab.errors import ConfigError, InputShapeError, unknown_name
from genlab.layers import LayerSpec


@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """How a named model is fed and scored.

    Attributes:
        batch_size: Training batch size of the study.
        image_range: Value range of the model's images (``(-1, 1)`` for tanh generators).
        conditional: Whether ``fit`` takes digit labels and ``generate`` needs them.
        latent: Whether the model needs a trained autoencoder (``build(..., autoencoder=)``).
    """

    batch_size: int
    image_range: tuple[float, float] = (-1.0, 1.0)
    conditional: bool = False
    latent: bool = False


#: The MNIST models, in the order the study trains them.
MNIST_MODELS = {
    "dcgan": ZooEntry(128),
    "wgan_clip": ZooEntry(256),
    "wgan_gp": ZooEntry(128),
    "cwgan_gp": ZooEntry(128, conditional=True),
    "latent_wgan": ZooEntry(256, image_range=(0.0, 1.0), latent=True),
}
#: Names accepted by :func:`build`.
NAMES = tuple(MNIST_MODELS)
#: Code width of :func:`train_autoencoder`.
CODE_DIM = 15


def entry(name: str) -> ZooEntry:
    """The :class:`ZooEntry` of ``name``.

    Raises:
        UnknownNameError: ``name`` is not one of :data:`NAMES`.
    """
    if name not in MNIST_MODELS:
        raise unknown_name("model", name, NAMES)
    return MNIST_MODELS[name]


def _rmsprop_pair():
    return keras.optimizers.RMSprop(5e-4), keras.optimizers.RMSprop(5e-4)


def build(name: str, autoencoder: Autoencoder | None = None, jit_compile: bool = False,
          seed: int = 0) -> keras.Model:
    """Build and compile the MNIST model ``name`` (see the module table).

    Args:
        name: One of :data:`NAMES`.
        autoencoder: Trained autoencoder (with ``encoder`` / ``decoder``) for ``latent_wgan``.
        jit_compile: Compile the train step with XLA.
        seed: Seed of the model's noise stream (weights follow the global Keras seed).

    Returns:
        A compiled :class:`~gans.AdversarialModel` or :class:`~gans.LatentGAN`.

    Raises:
        UnknownNameError: Unknown ``name``.
        ConfigError: ``latent_wgan`` without an autoencoder.
    """
    spec = entry(name)
    if spec.latent:
        if autoencoder is None:
            raise ConfigError(f"{name} trains on an autoencoder's codes: pass autoencoder= "
                              "(e.g. train_autoencoder(images01, epochs=3))")
        code = int(autoencoder.encoder.output_shape[-1])
        specs = (LayerSpec(128, "leaky_relu"), LayerSpec(128, "leaky_relu"))
        gan = WGAN(mlp_generator(10, code, (128, 128)), mlp_critic(code, specs), clip_value=0.12,
                   critic_steps=5, seed=seed)
        model = LatentGAN(gan, autoencoder.encoder, autoencoder.decoder)
        model.compile(*_rmsprop_pair(), jit_compile=jit_compile)
    elif name == "dcgan":
        model = GAN(dcgan_generator(64), dcgan_critic(batch_norm=True), seed=seed)
        model.compile(jit_compile=jit_compile)
    elif name == "wgan_clip":
        model = WGAN(dcgan_generator(10), dcgan_critic(), clip_value=0.12, critic_steps=5, seed=seed)
        model.compile(*_rmsprop_pair(), jit_compile=jit_compile)
    else:  # wgan_gp, cwgan_gp
        k = 10 if spec.conditional else 0
        model = WGANGP(dcgan_generator(64, n_classes=k), dcgan_critic(n_classes=k), n_classes=k, seed=seed)
        model.compile(jit_compile=jit_compile)
    return model


def fit_inputs(name: str, x01, y=None):
    """``fit`` arguments of model ``name``: images in its range, labels only if it is conditional.

    Args:
        name: One of :data:`NAMES`.
        x01: Images in ``[0, 1]``.
        y: Digit labels (needed by the conditional model only).

    Returns:
        ``(x, labels)`` with ``labels`` ``None`` for an unconditional model.

    Raises:
        UnknownNameError: Unknown ``name``.
        ConfigError: A conditional model without labels.
    """
    spec = entry(name)
    if spec.conditional and y is None:
        raise ConfigError(f"{name} is conditional: give the digit labels y")
    lo, hi = spec.image_range
    x = np.asarray(x01, np.float32) * (hi - lo) + lo
    return x, (y if spec.conditional else None)


def train_autoencoder(x01, epochs: int = 3, code_dim: int = CODE_DIM, batch_size: int = 128,
                      verbose: int = 2, checkpoint_dir=None) -> Autoencoder:
    """Conv autoencoder (32-64 conv + BatchNorm, code ``code_dim``) trained with BCE on ``[0, 1]`` images.

    Adam(1e-3); 28x28x1 input.

    Args:
        checkpoint_dir: Folder of the resumable state of the fit (``None``: not resumable); the
            same call started again resumes after the last finished epoch, or restores the
            finished autoencoder without training (:class:`genlab.callbacks.GuardedFit`).
    """
    ae = conv_autoencoder((28, 28, 1), latent_dim=code_dim)
    ae.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    ae.fit(x01, x01, epochs=positive_int("epochs", epochs), batch_size=batch_size, verbose=verbose,
           checkpoint_dir=checkpoint_dir)
    return ae


def images_per_second(model: keras.Model, x, y=None, batch_size: int = 128, warmup: int = 512) -> float:
    """Training speed of a compiled model: one epoch on ``x`` after a warm-up epoch on ``x[:warmup]``.

    The warm-up fit traces (and XLA-compiles) the train step for the full batches and for the
    partial last batch of ``x`` (it ends with one of the same size), so the timed epoch measures
    steady training only. ``y`` is passed to ``fit`` as is (labels, or an autoencoder's targets).

    Args:
        model: Compiled model; it is trained (the warm-up and the timed epoch both update it).
        x: Training inputs.
        y: Second ``fit`` argument, or ``None``.
        batch_size: Batch size of both fits.
        warmup: Samples of the warm-up epoch (>= 1), rounded down to whole batches (at least
            one), plus the size of the partial last batch of ``x``.

    Returns:
        ``len(x)`` divided by the wall time of the timed epoch.

    Raises:
        InputShapeError: ``x`` has fewer than ``warmup`` samples.
    """
    warmup = positive_int("warmup", warmup)
    if len(x) < warmup:
        raise InputShapeError(f"x has {len(x)} samples, fewer than warmup={warmup}; lower warmup")
    n_warm = min(len(x), max(batch_size, warmup - warmup % batch_size) + len(x) % batch_size)
    model.fit(x[:n_warm], None if y is None else y[:n_warm], epochs=1, batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
    return len(x) / (time.perf_counter() - start)


def measure_speeds(x01, y, names: Sequence[str] = NAMES, autoencoder: Autoencoder | None = None,
                   jit_compile: bool = False, warmup: int = 512,
                   report: Callable[[str], None] | None = print) -> dict[str, float]:
    """:func:`images_per_second` of each named model, and of the autoencoder (key ``"autoencoder"``).

    Args:
        x01: Training images in ``[0, 1]``, ``(n, 28, 28, 1)``, ``n >= warmup``.
        y: Their digit labels.
        names: Models to time.
        autoencoder: Autoencoder of ``latent_wgan``; ``None`` builds an untrained one (speed does not
            depend on its weights).
        jit_compile: Compile the train steps with XLA.
        warmup: Samples of each warm-up epoch.
        report: Called with one line per model (``None``: silent).

    Returns:
        ``{name: images per second}``.
    """
    for name in names:
        entry(name)  # unknown names fail before any training
    ae = autoencoder if autoencoder is not None else conv_autoencoder((28, 28, 1), latent_dim=CODE_DIM)
    speeds = {}
    for name in names:
        model = build(name, ae, jit_compile=jit_compile)
        speeds[name] = images_per_second(model, *fit_inputs(name, x01, y), batch_size=entry(name).batch_size,
                                         warmup=warmup)
        if report is not None:
            report(f"{name}: {speeds[name]:.0f} images/s")
    fresh = conv_autoencoder((28, 28, 1), latent_dim=CODE_DIM)
    fresh.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", jit_compile=jit_compile)
    speeds["autoencoder"] = images_per_second(fresh, x01, x01, batch_size=128, warmup=warmup)
    if report is not None:
        report(f"autoencoder: {speeds['autoencoder']:.0f} images/s")
    return speeds
