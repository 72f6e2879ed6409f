"""Linear paths in a generator's noise space and in an autoencoder's latent space, drawn as strips.

A path of ``steps`` points runs from ``start`` to ``end`` inclusive: ``(1 - t) start + t end``
with ``t = 0, 1/(steps-1), ..., 1``. Smooth image changes along a noise path show that the
generator has not memorised isolated samples; a latent path shows what the autoencoder's code
space encodes between two real images.

Example:
    >>> z, images = generator_path(model, steps=10, seed=0, label=3)
    >>> codes, images2 = latent_path(ae.encoder, ae.decoder, x[0], x[1], steps=10)
    >>> fig = plot_strips([images, images2], ["noise", "latent"])
"""

from __future__ import annotations

from typing import Sequence

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from genlab.errors import ConfigError, InputShapeError, LabelError  # noqa: E402


def linear_path(start, end, steps: int = 10) -> np.ndarray:
    """``steps`` points from ``start`` to ``end`` (both included), shape ``(steps, *start.shape)``.

    Raises:
        ConfigError: ``steps < 2``.
        InputShapeError: ``start`` and ``end`` differ in shape.
    """
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ConfigError(f"steps must be an int >= 2 (the two endpoints), received {steps!r}")
    if start.shape != end.shape:
        raise InputShapeError(f"start and end must have the same shape; received {start.shape} and "
                              f"{end.shape}")
    t = np.linspace(0.0, 1.0, int(steps), dtype=np.float32).reshape((-1,) + (1,) * start.ndim)
    return (1.0 - t) * start + t * end


def generator_path(model, steps: int = 10, z_start=None, z_end=None, label: int | None = None,
                   seed: int = 0):
    """Images along a linear path in the noise space of a GAN (or a :class:`~gans.LatentGAN`).

    Args:
        model: An AdversarialModel or LatentGAN (anything with ``latent_dim``, ``n_classes`` and
            ``call(full_noise)``).
        steps: Points on the path (>= 2).
        z_start: ``(latent_dim,)`` start noise; ``None`` draws N(0, 1) from ``seed``.
        z_end: End noise, same.
        label: Class held fixed along the path for a conditional model.
        seed: Seed of the endpoints that are drawn.

    Returns:
        ``(z, images)``: the noise path ``(steps, latent_dim)`` and the generated ``(steps, *shape)``.

    Raises:
        LabelError: ``label`` is missing for a conditional model or given to an unconditional one.
    """
    rng = np.random.default_rng(seed)
    dim = int(model.latent_dim)
    z_start = rng.standard_normal(dim) if z_start is None else z_start
    z_end = rng.standard_normal(dim) if z_end is None else z_end
    z = linear_path(z_start, z_end, steps)
    return z, ops.convert_to_numpy(model(_with_label(model, z, label), training=False))


def _with_label(model, z: np.ndarray, label):
    if model.n_classes and label is None:
        raise LabelError(f"the model is conditional on {model.n_classes} classes: give label")
    if not model.n_classes:
        if label is not None:
            raise LabelError("label was given but the model is unconditional; drop it")
        return z
    if not 0 <= int(label) < model.n_classes:
        raise LabelError(f"label must be in [0, {model.n_classes}), received {label}")
    one_hot = np.zeros((len(z), model.n_classes), np.float32)
    one_hot[:, int(label)] = 1.0
    return np.concatenate([z, one_hot], axis=-1)  # (steps, latent + k)


def latent_path(encoder: keras.Model, decoder: keras.Model, image_a, image_b, steps: int = 10):
    """Images decoded along the linear path between the codes of two images.

    Returns:
        ``(codes, images)``: ``(steps, latent)`` and ``(steps, *image_shape)``; the endpoints are the
        reconstructions of ``image_a`` and ``image_b``.
    """
    pair = np.stack([np.asarray(image_a, np.float32), np.asarray(image_b, np.float32)])
    codes = ops.convert_to_numpy(encoder(pair, training=False))
    path = linear_path(codes[0], codes[1], steps)
    return path, ops.convert_to_numpy(decoder(path, training=False))


def plot_strips(strips: Sequence[np.ndarray], titles: Sequence[str] | None = None, value_range=(0.0, 1.0),
                cell: float = 0.9):
    """One row of images per strip (each ``(steps, h, w[, c])``); returns a matplotlib Figure.

    ``value_range`` is the pixel range drawn black to white (``(-1, 1)`` for tanh generators).
    """
    strips = [np.asarray(s) for s in strips]
    cols = max(len(s) for s in strips)
    title_space = 0.25 if titles is not None else 0.0  # inches above each row
    height = len(strips) * (cell + title_space)
    fig, axes = plt.subplots(len(strips), cols, figsize=(cols * cell, height), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - title_space / height,
                        wspace=0.05, hspace=title_space / cell)
    for r, strip in enumerate(strips):
        for c in range(cols):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(strip):
                img = strip[c][..., 0] if strip[c].ndim == 3 and strip[c].shape[-1] == 1 else strip[c]
                ax.imshow(img, cmap="gray", vmin=value_range[0], vmax=value_range[1])
        if titles is not None:
            axes[r, 0].set_title(titles[r], fontsize=8, loc="left")
    return fig
