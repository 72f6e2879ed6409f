"""Training callbacks for the image GANs: a grid of samples from fixed noise, logged every epoch.

Scalars (``d_loss``, ``g_loss``, ``wasserstein``, ``gradient_penalty``) come from the Keras
TensorBoard callback (:func:`genlab.tensorboard.scalar_callback`); this module adds the images.
"""

from __future__ import annotations

import os
from typing import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from genlab.tensorboard import FigureLogger  # noqa: E402


def image_grid(images: np.ndarray, rows: int, value_range=None, cell: float = 0.7, title: str | None = None):
    """Draw ``images`` ``(rows * cols, h, w[, 1])`` as a ``rows x cols`` grayscale grid; returns a Figure.

    ``value_range=None`` draws ``[-1, 1]`` if any pixel is negative (tanh generators), else ``[0, 1]``.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if value_range is None:
        value_range = (-1.0, 1.0) if images.min() < 0 else (0.0, 1.0)
    cols = int(np.ceil(len(images) / rows))
    top = 0.3 if title else 0.0  # inches for the title
    height = rows * cell + top
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell, height), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - top / height, wspace=0.05, hspace=0.05)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray", vmin=value_range[0], vmax=value_range[1])
    if title:
        fig.suptitle(title, fontsize=8, y=1 - 0.05 / height)
    return fig


class SampleGridCallback(FigureLogger):
    """Log a grid of samples generated from the same fixed noise at every (chosen) epoch.

    The noise is drawn once at construction, so successive grids show how the same inputs
    evolve. A conditional model gets one row per class (row ``r`` is label ``r``); an
    unconditional one ``rows`` rows. Works with any model exposing ``latent_dim``,
    ``n_classes`` and ``call(full_noise)`` (the GANs and :class:`~gans.LatentGAN`).

    Args:
        log_dir: TensorBoard directory of the image summary.
        latent_dim: Noise width of the model.
        n_classes: The model's number of classes (0: unconditional).
        rows: Rows of an unconditional grid (a conditional grid has ``n_classes`` rows).
        cols: Samples per row.
        tag: Image tag in TensorBoard.
        epochs: 1-based epochs to log at; ``None``: every epoch.
        png_dir: If given, also save ``<tag>_epoch<NNNN>.png`` there.
        seed: Seed of the fixed noise.
        value_range: Pixel range drawn black to white; ``None`` infers ``[-1, 1]`` or ``[0, 1]``.

    Example:
        >>> cb = SampleGridCallback(run.tensorboard / "dcgan", latent_dim=64, png_dir=run.plots)
        >>> model.fit(x, epochs=10, callbacks=[cb, scalar_callback(run.tensorboard / "dcgan")])
    """

    def __init__(self, log_dir: str | os.PathLike, latent_dim: int, n_classes: int = 0, rows: int = 4,
                 cols: int = 8, tag: str = "samples", epochs: Iterable[int] | None = None,
                 png_dir: str | os.PathLike | None = None, seed: int = 0, value_range=None):
        super().__init__(self._draw, log_dir, tag, epochs=epochs, png_dir=png_dir)
        self.rows = n_classes if n_classes else rows
        self.value_range = value_range
        z = np.random.default_rng(seed).standard_normal((self.rows * cols, latent_dim)).astype(np.float32)
        if n_classes:
            labels = np.repeat(np.arange(n_classes), cols)  # row r: label r
            z = np.concatenate([z, np.eye(n_classes, dtype=np.float32)[labels]], axis=1)
        self.noise = z  # (rows * cols, latent_dim + n_classes)
        self.last_images: np.ndarray | None = None

    def _draw(self, model, epoch: int):
        self.last_images = ops.convert_to_numpy(model(self.noise, training=False))
        return image_grid(self.last_images, self.rows, self.value_range, title=f"epoch {epoch}")
