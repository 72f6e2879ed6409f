"""Keras callbacks shared by the families: epoch timing, early stopping that keeps the best weights, and
the guard that stops a training whose loss stops being finite."""

from __future__ import annotations

import math
import time

import keras

from genlab.errors import TrainingDivergedError


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock and process CPU seconds of every epoch (``times``, ``cpu_times``).

    CPU seconds count every thread of the process, so they stay comparable when other jobs share
    the machine.
    """

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self.cpu_times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)
        self.cpu_times.append(time.process_time() - self._cpu)

    def mean_seconds(self, cpu: bool = False) -> float:
        """Mean seconds per epoch, leaving out the first (tracing, compiling) epoch when there are several."""
        times = self.cpu_times if cpu else self.times
        kept = times[1:] if len(times) > 1 else times
        return float(sum(kept) / len(kept)) if kept else 0.0


class RestoreBestEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` that also restores the best weights when training runs to the last epoch.

    Keras restores them only when it stops early; a GAN's last epoch is not its best one.
    """

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self.restore_best_weights and self.best_weights is not None and not self.stopped_epoch:
            self.model.set_weights(self.best_weights)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training at the first batch whose loss or metrics are NaN or infinite.

    The model's weights go back to those of the last epoch that ended with finite values (the
    weights at the start of training if none did), and :class:`~genlab.errors.TrainingDivergedError`
    names the epoch, the step, the values that were not finite and the last finite ones. Without it
    Keras trains on to the last epoch and leaves NaN weights behind.

    Every genlab model adds it to ``fit`` by default (see :class:`GuardedFit`).
    """

    def __init__(self):
        super().__init__()
        self._good = None
        self._epoch = 0
        self.last_finite: dict = {}

    def on_train_begin(self, logs=None):
        self._good = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._good is None:  # here, not at train begin: a resumed fit has restored its weights by now
            self._good = [w.numpy().copy() for w in self.model.weights]

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in (logs or {}).items() if _not_finite(v)}
        if not bad:
            self.last_finite = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
            return
        self.model.stop_training = True
        for variable, value in zip(self.model.weights, self._good or []):
            variable.assign(value)
        last = ", ".join(f"{k} {v:.4g}" for k, v in self.last_finite.items()) or "none yet"
        raise TrainingDivergedError(
            f"training diverged in epoch {self._epoch + 1}, step {batch + 1}: "
            f"{', '.join(f'{k} = {float(v)}' for k, v in bad.items())} (last finite values: {last}); the model "
            f"holds the weights of its last finished finite epoch. Lower the learning rate, scale the inputs "
            f"(a huge or non-finite feature value often causes this) or clip gradients")

    def on_epoch_end(self, epoch, logs=None):
        if not any(_not_finite(v) for v in (logs or {}).values()):
            self._good = [w.numpy().copy() for w in self.model.weights]


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _not_finite(value) -> bool:
    return _is_number(value) and not math.isfinite(float(value))


class GuardedFit:
    """Mixin for ``keras.Model`` subclasses: ``fit`` adds :class:`StopOnNonFinite` to the callbacks
    unless one is given (``guard=False`` turns it off), and resumes from ``checkpoint_dir``.

    ``fit(x, y, ..., checkpoint_dir=DIR)`` (:func:`genlab.checkpoint.resumable_fit`) backs up every
    finished epoch in ``DIR`` (weights, optimizers, random streams, epoch, stateful callbacks); the
    same fit started again resumes after the last finished epoch, with the batches an uninterrupted
    fit would have seen (epoch ``e``'s order is drawn from ``(seed, e)``, ``seed`` being
    :meth:`checkpoint_seed`), and a finished fit is restored without training. A folder written by
    a fit with other arguments (data, epochs, batch size, model, optimizers) is refused with
    :class:`~genlab.errors.PathExistsError`.
    """

    def fit(self, *args, callbacks=None, guard: bool = True, checkpoint_dir=None, **kwargs):
        callbacks = list(callbacks or [])
        if guard and not any(isinstance(c, StopOnNonFinite) for c in callbacks):
            callbacks.append(StopOnNonFinite())
        if checkpoint_dir is None:
            return super().fit(*args, callbacks=callbacks, **kwargs)
        from genlab.checkpoint import resumable_fit

        names = ("x", "y", "batch_size", "epochs", "verbose")
        kwargs.update(zip(names, args))
        return resumable_fit(self, super().fit, kwargs.pop("x", None), kwargs.pop("y", None),
                             checkpoint_dir=checkpoint_dir, callbacks=callbacks, seed=self.checkpoint_seed(),
                             **kwargs)

    def checkpoint_seed(self) -> int:
        """Seed of the epoch orders of a resumable fit: the model's ``seed`` attribute (0 without one)."""
        seed = getattr(self, "seed", None)
        return 0 if seed is None else int(seed)
