"""TensorBoard helpers: the Keras scalar callback and a callback that logs matplotlib figures.

Open a run's logs with ``tensorboard --logdir <run dir>/tensorboard``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Callable, Iterable

import keras
import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def scalar_callback(log_dir: str | os.PathLike) -> keras.callbacks.TensorBoard:
    """Keras TensorBoard callback writing per-epoch train and validation scalars to ``log_dir``."""
    return keras.callbacks.TensorBoard(log_dir=str(log_dir), update_freq="epoch", write_graph=False)


def figure_to_array(fig) -> np.ndarray:
    """Render a matplotlib figure to a ``(height, width, 4)`` uint8 RGBA array and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    plt.close(fig)
    buf.seek(0)
    return tf.io.decode_png(buf.getvalue(), channels=4).numpy()


def doubling_epochs(first: int = 8, last: int = 1 << 20) -> tuple[int, ...]:
    """Epochs ``first, 2*first, 4*first, ...`` up to ``last`` (1-based, as Keras prints them)."""
    out, e = [], max(1, int(first))
    while e <= last:
        out.append(e)
        e *= 2
    return tuple(out)


class FigureLogger(keras.callbacks.Callback):
    """Log a matplotlib figure as a TensorBoard image (and optionally a PNG) at chosen epochs.

    Args:
        make_figure: ``make_figure(model, epoch) -> matplotlib.figure.Figure``; ``epoch`` is 1-based.
        log_dir: TensorBoard directory the image summary is written to.
        tag: Image tag in TensorBoard.
        epochs: 1-based epochs to log at; ``None`` logs every epoch.
        png_dir: If given, also save ``<tag>_epoch<NNNN>.png`` there.
        on_train_end: Also log once when training ends if the last epoch was not in ``epochs``.

    Example:
        >>> cb = FigureLogger(lambda m, e: plot_something(m), "runs/x/tensorboard", "samples")
    """

    def __init__(
        self,
        make_figure: Callable,
        log_dir: str | os.PathLike,
        tag: str,
        epochs: Iterable[int] | None = None,
        png_dir: str | os.PathLike | None = None,
        on_train_end: bool = True,
    ):
        super().__init__()
        self.make_figure = make_figure
        self.log_dir = str(log_dir)
        self.tag = tag
        self.epochs = None if epochs is None else set(int(e) for e in epochs)
        self.png_dir = None if png_dir is None else Path(png_dir)
        self.log_on_train_end = on_train_end
        self.logged_epochs: list[int] = []
        self._writer = None
        self._last_epoch = 0

    def _log(self, epoch: int) -> None:
        fig = self.make_figure(self.model, epoch)
        if self.png_dir is not None:
            self.png_dir.mkdir(parents=True, exist_ok=True)
            fig.savefig(self.png_dir / f"{self.tag}_epoch{epoch:04d}.png", dpi=fig.dpi)
        image = figure_to_array(fig)
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image(self.tag, image[None], step=epoch)
        self._writer.flush()
        self.logged_epochs.append(epoch)

    def backup_state(self) -> dict:
        """The epochs drawn so far, kept by :class:`genlab.checkpoint.EpochBackup` across a resumed fit."""
        return {"logged_epochs": self.logged_epochs, "last_epoch": self._last_epoch}

    def restore_state(self, state: dict) -> None:
        self.logged_epochs, self._last_epoch = list(state["logged_epochs"]), int(state["last_epoch"])

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch + 1
        if self.epochs is None or self._last_epoch in self.epochs:
            self._log(self._last_epoch)

    def on_train_end(self, logs=None):
        if self.log_on_train_end and self._last_epoch and self._last_epoch not in self.logged_epochs:
            self._log(self._last_epoch)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
