"""Generator and critic builders: MLPs from layer specs, DCGAN convolutional nets for 28x28 images.

Conditional networks take the one-hot label as extra input width: a generator's input is
``latent_dim + n_classes`` wide (noise, then one-hot); an MLP critic's input is
``data_dim + n_classes`` wide, and a convolutional critic's input has ``n_classes`` extra
channels (constant label maps). The GAN models build these inputs themselves.

Example:
    >>> g = mlp_generator(latent_dim=8, output_dim=2, specs=(64, 64))
    >>> c = mlp_critic(input_dim=2, specs=(64, 64))
    >>> g_img, c_img = dcgan_generator(latent_dim=64), dcgan_critic()
"""

from __future__ import annotations

from typing import Sequence

import keras

from gans._checks import positive_int
from genlab.errors import ConfigError
from genlab.layers import LayerSpec, SpecLike, build_mlp

#: Hidden layers of the default MLP critic: leaky ReLU, no BatchNorm (safe with a gradient penalty).
DEFAULT_CRITIC_SPECS = (LayerSpec(64, "leaky_relu"), LayerSpec(64, "leaky_relu"))
#: Hidden layers of the default MLP generator.
DEFAULT_GENERATOR_SPECS = (LayerSpec(64, "relu"), LayerSpec(64, "relu"))


def mlp_generator(latent_dim: int, output_dim: int, specs: Sequence[SpecLike] = DEFAULT_GENERATOR_SPECS,
                  output_activation: str | None = None, n_classes: int = 0,
                  name: str = "generator") -> keras.Model:
    """MLP generator ``(batch, latent_dim + n_classes) -> (batch, output_dim)``.

    Args:
        latent_dim: Noise width (> 0).
        output_dim: Width of a generated sample (> 0).
        specs: Hidden layer specs (see :class:`genlab.layers.LayerSpec`); default two ReLU layers of 64.
        output_activation: E.g. ``"tanh"`` for data in ``[-1, 1]``; ``None`` (linear) by default.
        n_classes: Extra one-hot input width of a conditional generator (0: unconditional).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ConfigError: A width is not a positive int or a spec is invalid.
    """
    positive_int("latent_dim", latent_dim)
    positive_int("n_classes", n_classes, allow_zero=True)
    return build_mlp(latent_dim + n_classes, specs, output_units=output_dim,
                     output_activation=output_activation, name=name)


def mlp_critic(input_dim: int, specs: Sequence[SpecLike] = DEFAULT_CRITIC_SPECS, n_classes: int = 0,
               name: str = "critic") -> keras.Model:
    """MLP critic / discriminator ``(batch, input_dim + n_classes) -> (batch, 1)`` with a linear output.

    The output is a logit for :class:`~gans.GAN` and a score for the Wasserstein models. Do not
    put BatchNorm in a gradient-penalty critic: it couples the samples of a batch, while the
    penalty constrains the gradient of each sample's score with respect to that sample alone.

    Args:
        input_dim: Width of a data sample (> 0).
        specs: Hidden layer specs; default two leaky-ReLU layers of 64.
        n_classes: Extra one-hot input width of a conditional critic (0: unconditional).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ConfigError: A width is not a positive int or a spec is invalid.
    """
    positive_int("input_dim", input_dim)
    positive_int("n_classes", n_classes, allow_zero=True)
    return build_mlp(input_dim + n_classes, specs, output_units=1, name=name)


def dcgan_generator(latent_dim: int = 64, n_classes: int = 0, filters: Sequence[int] = (64, 32),
                    channels: int = 1, name: str = "generator") -> keras.Model:
    """DCGAN generator for 28x28 images: dense 7x7 projection, two stride-2 transposed convs.

    ``(batch, latent_dim + n_classes) -> (batch, 28, 28, channels)`` with a ``tanh`` output, so
    scale images to ``[-1, 1]``. BatchNorm + ReLU in the hidden layers (Radford et al., 2016).

    Args:
        latent_dim: Noise width (> 0).
        n_classes: One-hot width of a conditional generator (0: unconditional).
        filters: Channels at 7x7 and at 14x14.
        channels: Image channels.
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ConfigError: A size is not a positive int, or ``filters`` does not have two entries.
    """
    positive_int("latent_dim", latent_dim)
    positive_int("n_classes", n_classes, allow_zero=True)
    positive_int("channels", channels)
    if len(filters) != 2:
        raise ConfigError(
            f"dcgan_generator: filters must give 2 channel counts (7x7, 14x14), received {filters!r}")
    z = keras.Input((latent_dim + n_classes,), name="noise")
    x = keras.layers.Dense(7 * 7 * filters[0], use_bias=False)(z)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Reshape((7, 7, filters[0]))(x)  # (batch, 7, 7, f0)
    x = keras.layers.Conv2DTranspose(filters[1], 4, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)  # (batch, 14, 14, f1)
    x = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(z, x, name=name)  # (batch, 28, 28, channels)


def dcgan_critic(n_classes: int = 0, filters: Sequence[int] = (32, 64), channels: int = 1,
                 batch_norm: bool = False, name: str = "critic") -> keras.Model:
    """DCGAN critic / discriminator for 28x28 images: two stride-2 convs, leaky ReLU, linear output.

    ``(batch, 28, 28, channels + n_classes) -> (batch, 1)``. ``batch_norm`` adds BatchNorm
    after the second conv for a BCE discriminator; leave it off for WGAN-GP (see :func:`mlp_critic`).

    Args:
        n_classes: Label-map channels of a conditional critic (0: unconditional).
        filters: Channels at 14x14 and at 7x7.
        channels: Image channels.
        batch_norm: Insert BatchNorm after the second convolution.
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ConfigError: A size is not a positive int, or ``filters`` does not have two entries.
    """
    positive_int("n_classes", n_classes, allow_zero=True)
    positive_int("channels", channels)
    if len(filters) != 2:
        raise ConfigError(
            f"dcgan_critic: filters must give 2 channel counts (14x14, 7x7), received {filters!r}")
    inputs = keras.Input((28, 28, channels + n_classes), name="image")
    x = keras.layers.Conv2D(filters[0], 4, strides=2, padding="same")(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)  # (batch, 14, 14, f0)
    x = keras.layers.Conv2D(filters[1], 4, strides=2, padding="same", use_bias=not batch_norm)(x)
    if batch_norm:
        x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(0.2)(x)  # (batch, 7, 7, f1)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x), name=name)


def has_batch_norm(model: keras.layers.Layer) -> bool:
    """Whether ``model`` (or any nested layer) contains a BatchNormalization layer."""
    if isinstance(model, keras.layers.BatchNormalization):
        return True
    return any(has_batch_norm(layer) for layer in getattr(model, "layers", []))
