"""Learning-rate sweeps: loss curves over a log grid, and the learning-rate range test.

- :func:`lr_sweep` trains one fresh model per learning rate (same initial weights) and returns
  the loss per epoch; :func:`plot_loss_curves` draws them in one figure.
- :func:`lr_range_test` (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017)
  raises the learning rate exponentially at every step of one short run, records the loss and
  suggests a learning rate: where the smoothed loss falls fastest (per decade of learning rate),
  or a fraction of the learning rate at the smallest loss.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from genlab.checks import check_features, check_labels
from genlab.errors import ConfigError, unknown_name
from genlab.tensorboard import scalar_callback

#: Optimizers the sweeps can build by name.
OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}
#: Suggestion methods of :class:`RangeTestResult`.
SUGGESTIONS = ("steepest", "min_fraction")


def lr_grid(low: float = 1e-10, high: float = 1e-1, per_decade: int = 1) -> np.ndarray:
    """Learning rates on a log grid from ``low`` to ``high``, ``per_decade`` points per decade.

    Example:
        >>> lr_grid()  # 1e-10, 1e-9, ..., 1e-1
    """
    if not (0 < low < high):
        raise ConfigError(f"need 0 < low < high, received low={low}, high={high}")
    if per_decade < 1:
        raise ConfigError(f"per_decade must be >= 1, received {per_decade}")
    decades = np.log10(high) - np.log10(low)
    return np.logspace(np.log10(low), np.log10(high), int(round(decades * per_decade)) + 1)


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """A fresh optimizer by name (see :data:`OPTIMIZERS`) with the given learning rate."""
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](learning_rate=float(learning_rate))


def lr_sweep(build_model: Callable[[], keras.Model], x, y, learning_rates: Sequence[float] | None = None,
             epochs: int = 5, batch_size: int = 32, optimizer: str = "sgd", seed: int = 0,
             loss: str = "sparse_categorical_crossentropy", verbose=0,
             log_dir=None) -> dict[float, list[float]]:
    """Train a fresh model per learning rate and return the training loss per epoch.

    Every model is built after ``keras.utils.set_random_seed(seed)``, so all start from the same
    weights and see the same batches; only the learning rate differs.

    Args:
        build_model: ``build_model() -> keras.Model`` (uncompiled, softmax output by default).
        x, y: Training data.
        learning_rates: Default :func:`lr_grid` (1e-10 ... 1e-1).
        epochs, batch_size: Training length.
        optimizer: ``"sgd"`` or ``"adam"``.
        seed: Seed of the weights and the shuffles.
        loss: Keras loss for ``compile``.
        verbose: As in ``fit``.
        log_dir: If given, TensorBoard scalars of each run go to ``log_dir/lr_<rate>``.

    Returns:
        ``{learning_rate: [loss after epoch 1, ...]}``.

    Example:
        >>> curves = lr_sweep(lambda: make_cnn(), x_train, y_train, epochs=3)
        >>> plot_loss_curves(curves).savefig("lr_sweep.png")
    """
    rates = lr_grid() if learning_rates is None else [float(r) for r in learning_rates]
    if any(not np.isfinite(r) or r <= 0 for r in rates):
        raise ConfigError(f"learning rates must be positive and finite, received {list(rates)}")
    curves = {}
    for lr in rates:
        keras.utils.set_random_seed(seed)
        model = build_model()
        model.compile(make_optimizer(optimizer, lr), loss)
        callbacks = [] if log_dir is None else [scalar_callback(Path(log_dir) / f"lr_{lr:.0e}")]
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose,
                            callbacks=callbacks)
        curves[lr] = [float(v) for v in history.history["loss"]]
    return curves


def plot_loss_curves(curves: dict[float, Sequence[float]], title: str = "Training loss per learning rate",
                     log_loss: bool = False):
    """Draw the loss curves of :func:`lr_sweep` in one figure, coloured by learning rate.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    rates = sorted(curves)
    colours = plt.cm.viridis(np.linspace(0, 1, max(len(rates), 2)))
    for colour, lr in zip(colours, rates):
        ax.plot(np.arange(1, len(curves[lr]) + 1), curves[lr], color=colour, marker=".", label=f"{lr:.0e}")
    ax.set(xlabel="epoch", ylabel="training loss", title=title)
    if log_loss:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(title="learning rate", fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


@dataclasses.dataclass(frozen=True)
class RangeTestResult:
    """What :func:`lr_range_test` measured.

    Attributes:
        learning_rates: Learning rate of each step that ran.
        losses: Raw batch loss of each step.
        smoothed: Centred moving average of the losses.
        steepest_lr: Learning rate where the smoothed loss falls fastest per decade, before its
            minimum.
        min_loss_lr: Learning rate at the smallest smoothed loss.
        fraction: The fraction used by ``min_fraction``.
        stopped_early: The loss diverged before the last step.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest_lr: float
    min_loss_lr: float
    fraction: float
    stopped_early: bool

    def suggestion(self, method: str = "steepest") -> float:
        """The suggested learning rate: ``"steepest"`` or ``"min_fraction"`` (``fraction * min_loss_lr``)."""
        if method == "steepest":
            return self.steepest_lr
        if method == "min_fraction":
            return self.fraction * self.min_loss_lr
        raise unknown_name("suggestion method", method, SUGGESTIONS)

    def figure(self, title: str = "Learning-rate range test"):
        """Plot loss (raw and smoothed) against the learning rate, with both suggestions marked."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.learning_rates, self.losses, alpha=0.3, label="batch loss")
        ax.plot(self.learning_rates, self.smoothed, label="smoothed")
        ax.axvline(self.steepest_lr, color="C2", ls="--", label=f"steepest {self.steepest_lr:.1e}")
        ax.axvline(self.suggestion("min_fraction"), color="C3", ls=":",
                   label=f"min/{1 / self.fraction:g} {self.suggestion('min_fraction'):.1e}")
        ax.set(xscale="log", xlabel="learning rate", ylabel="loss", title=title)
        top = np.nanpercentile(self.smoothed, 95)
        ax.set_ylim(min(np.nanmin(self.losses), np.nanmin(self.smoothed)) * 0.9, top * 1.2)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average (shorter windows at the ends): no lag, unlike the running average."""
    half = window // 2
    csum = np.concatenate([[0.0], np.cumsum(values)])
    lo = np.clip(np.arange(len(values)) - half, 0, None)
    hi = np.clip(np.arange(len(values)) + half + 1, None, len(values))
    return (csum[hi] - csum[lo]) / (hi - lo)


def lr_range_test(model: keras.Model, x, y, min_lr: float = 1e-7, max_lr: float = 10.0, steps: int = 100,
                  batch_size: int = 32, optimizer: str = "sgd", beta: float = 0.9,
                  window: int = 9, divergence: float = 4.0, fraction: float = 0.1, seed: int = 0,
                  from_logits: bool = False, restore_weights: bool = True) -> RangeTestResult:
    """Learning-rate range test: one short run with the learning rate growing exponentially.

    At step ``i`` of ``steps`` the learning rate is ``min_lr * (max_lr / min_lr) ** (i / (steps - 1))``;
    the batch cross-entropy is recorded before the update. The run stops once the smoothed loss
    exceeds ``divergence`` times its minimum (or becomes NaN).

    Args:
        model: A built classifier ``x -> probabilities`` (logits with ``from_logits=True``).
        x, y: Training data; batches are drawn with replacement-free shuffles, cycling as needed.
        min_lr, max_lr: Range of the sweep, ``0 < min_lr < max_lr``.
        steps: Number of steps, ``>= 5``.
        batch_size: Rows per step.
        optimizer: ``"sgd"`` or ``"adam"`` (fresh, used only for the test).
        beta: Smoothing factor of the running average that detects divergence, in ``[0, 1)``.
        window: Width of the centred moving average used for the suggestions (a running average
            lags and would shift them to larger learning rates).
        divergence: Stop when the smoothed loss exceeds this multiple of its minimum.
        fraction: ``min_fraction`` suggestion = ``fraction * min_loss_lr``.
        seed: Seed of the batch order.
        from_logits: The model outputs logits.
        restore_weights: Put the model's weights back afterwards (the test changes them).

    Returns:
        A :class:`RangeTestResult`; ``result.suggestion()`` is the steepest-descent learning rate.

    Raises:
        ConfigError: Bad range, steps or smoothing settings.

    Example:
        >>> result = lr_range_test(make_cnn(), x_train, y_train, steps=200)
        >>> result.suggestion(), result.suggestion("min_fraction")
    """
    if not (0 < min_lr < max_lr) or not np.isfinite(max_lr):
        raise ConfigError(f"need 0 < min_lr < max_lr, received min_lr={min_lr}, max_lr={max_lr}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 5:
        raise ConfigError(f"steps must be an integer >= 5, received {steps!r}")
    if not 0 <= beta < 1:
        raise ConfigError(f"beta must lie in [0, 1), received {beta}")
    if divergence <= 1 or not 0 < fraction <= 1:
        raise ConfigError(f"need divergence > 1 and 0 < fraction <= 1, received {divergence}, {fraction}")
    x = check_features(x, tuple(np.shape(x)[1:]))
    n_classes = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else int(np.max(y)) + 1
    y = check_labels(y, n_classes, len(x)).astype(np.int32)

    opt = make_optimizer(optimizer, min_lr)
    variables = model.trainable_variables
    opt.build(variables)
    saved = [v.numpy() for v in model.weights] if restore_weights else None

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            out = model(xb, training=True)
            ce = keras.losses.sparse_categorical_crossentropy(yb, out, from_logits=from_logits)
            loss = tf.reduce_mean(ce)
        opt.apply(tape.gradient(loss, variables), variables)
        return loss

    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    rng = np.random.default_rng(seed)
    order, pos, losses = rng.permutation(len(x)), 0, []
    best, avg = np.inf, 0.0
    for i, lr in enumerate(rates):
        if pos + batch_size > len(order):
            order, pos = rng.permutation(len(x)), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        opt.learning_rate = float(lr)
        loss = float(step(tf.constant(x[idx]), tf.constant(y[idx])))
        losses.append(loss)
        avg = beta * avg + (1 - beta) * loss
        smooth = avg / (1 - beta ** (i + 1))
        best = min(best, smooth)
        if not np.isfinite(smooth) or smooth > divergence * best:
            break
    if saved is not None:
        for v, value in zip(model.weights, saved):
            v.assign(value)

    losses = np.asarray(losses)
    rates = rates[:len(losses)]
    smoothed = _smooth(losses, window)
    finite = np.isfinite(smoothed)
    i_min = int(np.nanargmin(np.where(finite, smoothed, np.nan)))
    # Steepest fall per decade, over the points before the minimum (central differences).
    slope = np.gradient(smoothed, np.log10(rates)) if len(rates) > 1 else np.zeros(1)
    i_steep = int(np.argmin(slope[:max(i_min, 1)]))
    return RangeTestResult(rates, losses, smoothed, float(rates[i_steep]), float(rates[i_min]),
                           float(fraction), len(losses) < steps)
