"""Saves two synthesizers over each other, forever, until the test kills this process (``SIGKILL``).

``python -m tests.tabular.synthesizers.save_loop_job A B TARGET`` loads the saves ``A`` and ``B``,
then saves them in turn into ``TARGET`` and prints ``saved <i> <seconds>`` after each save.
"""

from __future__ import annotations

import sys
import time

from tabular.synthesizers import Synthesizer

if __name__ == "__main__":
    first, second, target = sys.argv[1:4]
    Synthesizer.warm_up = lambda self: self  # this process only saves: skip tracing the sampler
    pair = (Synthesizer.load(first), Synthesizer.load(second))
    for i in range(10**9):
        start = time.perf_counter()
        pair[i % 2].save(target)
        print(f"saved {i} {time.perf_counter() - start:.4f}", flush=True)
