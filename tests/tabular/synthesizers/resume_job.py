"""A small resumable synthesizer fit, run in a process that kills itself mid-epoch (``SIGKILL``).

``python -m tests.tabular.synthesizers.resume_job TABLE CHECKPOINT EPOCH`` fits :func:`synthesizer`
on ``TABLE`` with ``checkpoint_dir=CHECKPOINT`` and kills its own process with ``SIGKILL`` in the
middle of (0-based) epoch ``EPOCH``: nothing of Python runs after that, as after a crash.
"""

from __future__ import annotations

import sys

from tabular.synthesizers import Synthesizer, TVAEConfig
from tests.conftest import Kill

CONFIG = TVAEConfig(epochs=4, batch_size=50, latent_dim=4, hidden=(16,), prior_components=3)


def synthesizer() -> Synthesizer:
    return Synthesizer("tvae", CONFIG, seed=3)


if __name__ == "__main__":
    table, checkpoint, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    synthesizer().fit(table, checkpoint_dir=checkpoint, callbacks=[Kill(epoch)])
    sys.exit(3)  # not reached: the process killed itself
