"""Sample quality of image generators during and after training: scores, per-epoch callback, plot.

:func:`sample_quality` scores ``n`` generated images with a trained classifier (see
:mod:`gans.metrics`): the Frechet distance to ``n`` real images in the classifier's penultimate
features, the class coverage of the samples, and for a conditional model the share of samples
recognised as the label they were requested with (labels ``0, 1, ..., n_classes - 1`` in turn).
:class:`QualityTracker` computes the same scores after every epoch of ``fit`` so that models can be
compared at equal epochs; :func:`plot_quality` draws those histories.

Example:
    >>> clf = metric_classifier(data_dir)
    >>> tracker = QualityTracker(clf, x_test01, n=2000, image_range=(-1, 1), log_dir="tb/quality")
    >>> model.fit(x_train * 2 - 1, epochs=10, callbacks=[tracker])
    >>> plot_quality({"wgan_gp": tracker.history}, fd_real=fd_real_vs_real, n=2000)
"""

from __future__ import annotations

import os
import time
from typing import Mapping, Sequence

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gans._checks import positive_int  # noqa: E402
from gans.metrics import class_coverage, classifier_frechet_distance, conditional_accuracy  # noqa: E402
from genlab.errors import ConfigError, InputShapeError  # noqa: E402

#: Scores of :func:`sample_quality` that :class:`QualityTracker` logs to TensorBoard and to ``logs``.
TRACKED = ("fd", "kl_to_uniform", "conditional_accuracy")


def to_unit(images, image_range=(0.0, 1.0)) -> np.ndarray:
    """Map images from ``image_range`` to ``[0, 1]`` (the metric classifier's input), clipping outliers.

    Args:
        images: Array of images with values in ``image_range``.
        image_range: ``(low, high)`` of the generator's output, e.g. ``(-1, 1)`` for tanh.

    Returns:
        Float array of the same shape, in ``[0, 1]``.

    Raises:
        ConfigError: ``image_range`` is not two increasing numbers.
    """
    lo, hi = _check_range(image_range)
    return np.clip((np.asarray(images, np.float32) - lo) / (hi - lo), 0.0, 1.0)


def _check_range(image_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in image_range)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"image_range must be (low, high), received {image_range!r}") from exc
    if not hi > lo:
        raise ConfigError(f"image_range must have low < high, received {image_range!r}; "
                          "use (-1, 1) for tanh generators, (0, 1) for sigmoid ones")
    return lo, hi


def sample_quality(model, classifier: keras.Model, real01, n: int, image_range=(-1.0, 1.0),
                   threshold: float = 0.05) -> dict:
    """Generate ``n`` images with ``model`` and score them against ``real01[:n]``.

    A conditional model (``model.n_classes > 0``) is asked for labels ``i % n_classes``, an
    equal number of each class, and scored on how often the classifier agrees.

    Args:
        model: Anything with ``n_classes`` and ``generate(n, labels=None)`` (the adversarial
            models and :class:`~gans.LatentGAN`).
        classifier: Trained classifier of :mod:`gans.metrics` (softmax output, ``features`` layer).
        real01: At least ``n`` real images in ``[0, 1]``; the first ``n`` are used.
        n: Number of generated (and real) images; FD values are comparable at equal ``n`` only.
        image_range: Value range of the model's images, mapped to ``[0, 1]`` by :func:`to_unit`.
        threshold: Fraction above which a class counts as covered.

    Returns:
        ``{"fd", "classes_covered", "kl_to_uniform", "min_class_fraction", "max_class_fraction",
        "conditional_accuracy"}``; the last is ``None`` for an unconditional model.

    Raises:
        ConfigError: ``n`` is not a positive int or ``image_range`` is invalid.
        InputShapeError: ``real01`` holds fewer than ``n`` images.
    """
    n = positive_int("n", n)
    _check_range(image_range)
    if len(real01) < n:
        raise InputShapeError(f"real01 holds {len(real01)} images, fewer than n={n}; lower n or give more")
    labels = np.arange(n) % model.n_classes if model.n_classes else None
    fake = to_unit(model.generate(n, labels=labels), image_range)
    coverage = class_coverage(classifier, fake, threshold)
    return {"fd": classifier_frechet_distance(classifier, real01[:n], fake),
            "classes_covered": coverage.n_covered, "kl_to_uniform": coverage.kl_to_uniform,
            "min_class_fraction": float(coverage.fractions.min()),
            "max_class_fraction": float(coverage.fractions.max()),
            "conditional_accuracy": None if labels is None else conditional_accuracy(classifier, fake, labels)}


class QualityTracker(keras.callbacks.Callback):
    """:func:`sample_quality` of the model after every epoch of ``fit``.

    ``history`` holds one record per epoch (``{"epoch": 1-based, **scores}``). The scores named
    in ``TRACKED`` also go to TensorBoard as ``quality/<name>`` (when ``log_dir`` is given) and
    into the epoch's ``logs``, so callbacks listed after this one (``ModelCheckpoint(monitor="fd",
    mode="min")``, ``CSVLogger``) see them. ``seconds`` is the time spent here, to subtract from
    a training time.

    Args:
        classifier: Trained classifier of :mod:`gans.metrics`.
        real01: Real images in ``[0, 1]`` (at least ``n``).
        n: Samples scored per epoch.
        image_range: Value range of the model's images.
        log_dir: TensorBoard directory of the ``quality/*`` scalars; ``None``: no summaries.
        name: Label of the printed lines; ``None`` prints nothing.

    Raises:
        ConfigError: ``n`` or ``image_range`` is invalid.
        InputShapeError: ``real01`` holds fewer than ``n`` images.
    """

    def __init__(self, classifier: keras.Model, real01, n: int = 2000, image_range=(-1.0, 1.0),
                 log_dir: str | os.PathLike | None = None, name: str | None = None):
        super().__init__()
        self.n = positive_int("n", n)
        self.image_range = _check_range(image_range)
        if len(real01) < self.n:
            raise InputShapeError(f"real01 holds {len(real01)} images, fewer than n={self.n}")
        self.classifier, self.real01, self.name = classifier, real01, name
        self.writer = None if log_dir is None else tf.summary.create_file_writer(str(log_dir))
        self.history: list[dict] = []
        self.seconds = 0.0

    def backup_state(self) -> dict:
        """The per-epoch records, kept by :class:`genlab.checkpoint.EpochBackup`: a resumed fit's
        ``history`` holds the epochs before the stop too (``seconds`` counts this process only)."""
        return {"history": self.history}

    def restore_state(self, state: dict) -> None:
        self.history = list(state["history"])

    def on_epoch_end(self, epoch, logs=None):
        start = time.perf_counter()
        row = sample_quality(self.model, self.classifier, self.real01, self.n, self.image_range)
        self.history.append({"epoch": epoch + 1, **row})
        tracked = {key: row[key] for key in TRACKED if row[key] is not None}
        if logs is not None:
            logs.update(tracked)
        if self.writer is not None:
            with self.writer.as_default(step=epoch + 1):
                for key, value in tracked.items():
                    tf.summary.scalar(f"quality/{key}", value)
            self.writer.flush()
        if self.name is not None:
            acc = row["conditional_accuracy"]
            print(f"  {self.name} epoch {epoch + 1}: FD {row['fd']:.2f} (n={self.n}), "
                  f"{row['classes_covered']} classes"
                  + ("" if acc is None else f", requested-label accuracy {acc:.4f}"), flush=True)
        self.seconds += time.perf_counter() - start


def plot_quality(histories: Mapping[str, Sequence[Mapping]], fd_real: float | None = None,
                 n: int | None = None, target_accuracy: float | None = None):
    """Frechet distance (left) and conditional accuracy (right) against epoch, one line per model.

    Args:
        histories: ``{model name: QualityTracker.history}``.
        fd_real: Real-vs-real Frechet distance at the same ``n``, drawn as the floor.
        n: Sample size, named in the axis label.
        target_accuracy: Conditional accuracy to draw as a reference line.

    Returns:
        A matplotlib figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        axes[0].plot(epochs, [h["fd"] for h in history], marker="o", label=name)
        if history and history[0]["conditional_accuracy"] is not None:
            axes[1].plot(epochs, [h["conditional_accuracy"] for h in history], marker="o", label=name)
    if fd_real is not None:
        axes[0].axhline(fd_real, color="gray", ls="--", label="real vs real")
    if target_accuracy is not None:
        axes[1].axhline(target_accuracy, color="gray", ls="--", label=f"{target_accuracy:.0%} target")
    axes[0].set(xlabel="epoch", ylabel="Frechet distance" + ("" if n is None else f" (n={n})"),
                yscale="log", title="sample quality per epoch")
    axes[1].set(xlabel="epoch", ylabel="requested label recognised", title="conditional accuracy per epoch")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
