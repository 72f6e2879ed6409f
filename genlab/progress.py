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


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class EpochBar(keras.callbacks.Callback):
    """One progress bar over all epochs: epochs done, the loss and the time left.

    On a terminal the bar redraws in place; elsewhere (a log file) it prints a line at every 10 %
    of the epochs and at the last one.

    Args:
        label: Text before the bar.
        stream: Where to write (default: standard error).
        width: Characters of the bar.
    """

    def __init__(self, label: str = "training", stream=None, width: int = 24):
        super().__init__()
        import sys

        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.lines: list[str] = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.total = int(self.params.get("epochs") or 1)
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.step = max(1, self.total // 10)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / done * (self.total - done)
        filled = int(self.width * done / self.total)
        loss = next((float(v) for k, v in (logs or {}).items() if k in ("loss", "g_loss")), None)
        line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} epochs"
                + (f"  loss {loss:.4f}" if loss is not None else "") + f"  {_duration(left)} left")
        last = done == self.total or self.model.stop_training
        if self.tty:
            print("\r" + line, end="\n" if last else "", file=self.stream, flush=True)
        elif done % self.step == 0 or last:
            print(line, file=self.stream, flush=True)
        self.lines.append(line)
