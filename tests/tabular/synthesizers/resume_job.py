"""A small resumable synthesizer fit, run in a process that kills itself mid-epoch (``SIGKILL``).

``python -m tests.tabular.synthesizers.resume_job TABLE CHECKPOINT EPOCH`` fits :func:`synthesizer`
on ``TABLE`` with ``checkpoint_dir=CHECKPOINT`` and kills its own process with ``SIGKILL`` in the
middle of (0-based) epoch ``EPOCH``: nothing of Python runs after that, as after a crash.
"""

from __future__ import annotations

import os
import signal
import sys

import keras

from tabular.synthesizers import Synthesizer, TVAEConfig

CONFIG = TVAEConfig(epochs=4, batch_size=50, latent_dim=4, hidden=(16,), prior_components=3)


def synthesizer() -> Synthesizer:
    return Synthesizer("tvae", CONFIG, seed=3)


class Kill(keras.callbacks.Callback):
    """``SIGKILL`` this process after the second batch of one epoch."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch, self.current = epoch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    table, checkpoint, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    synthesizer().fit(table, checkpoint_dir=checkpoint, callbacks=[Kill(epoch)])
    sys.exit(3)  # not reached: the process killed itself
