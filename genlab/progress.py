"""Progress of long trainings in a run's log: one line every ``n`` epochs instead of every batch."""

from __future__ import annotations

import time

import keras

from genlab.errors import ConfigError


class EveryNEpochs(keras.callbacks.Callback):
    """Print the epoch's logs every ``n`` epochs, and after the last one, with elapsed seconds.

    Args:
        n: Print after epochs ``n, 2n, ...`` (1-based, as Keras counts them). Must be >= 1.
        label: Text put before each line (e.g. ``"gan none seed 0"``).

    Raises:
        ConfigError: ``n`` is not a positive integer.

    Example:
        >>> model.fit(x, epochs=100, verbose=0, callbacks=[EveryNEpochs(10, "latent GAN")])
    """

    def __init__(self, n: int = 10, label: str = ""):
        super().__init__()
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"EveryNEpochs: n must be an int >= 1, received {n!r}")
        self.n, self.label = n, label
        self.start = time.perf_counter()
        self.lines: list[str] = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") == epoch + 1 or self.model.stop_training
        if (epoch + 1) % self.n == 0 or last:
            shown = ", ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
            line = f"  {self.label + ': ' if self.label else ''}epoch {epoch + 1}: {shown} " \
                   f"({time.perf_counter() - self.start:.0f} s)"
            self.lines.append(line)
            print(line, flush=True)
