"""Keras callbacks shared by the families: epoch timing and early stopping that keeps the best weights."""

from __future__ import annotations

import time

import keras


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
