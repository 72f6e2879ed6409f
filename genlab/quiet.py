"""TensorFlow without its start-up chatter, and one line saying where training runs.

Importing TensorFlow prints C++ log lines before its own log level applies — CUDA probes
(``cudart_stub.cc``, ``cuda_executor.cc``: "failed call to cuInit" on a machine without a GPU),
oneDNN notices, absl's "All log messages before absl::InitializeLog()" — none of which a user of
the ``genlab`` command can act on. :func:`import_tensorflow` imports TensorFlow and enumerates its
devices with the process's standard error redirected to a temporary file, then writes back every
captured line that is not one of those, and drops TensorFlow's notes on tf.function retracing. A
user who set ``TF_CPP_MIN_LOG_LEVEL`` gets TensorFlow untouched.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile

#: Whether the user set TensorFlow's log level before genlab was imported.
USER_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL" in os.environ

#: Start-up lines dropped by :func:`import_tensorflow`.
NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)"
                   r"|[IWE]\d{4} [\d:. ]+\d+ (cuda\w*|cudart_stub|port|cpu_feature_guard|computation_placer"
                   r"|gpu_device|dso_loader|cuda_diagnostics)\.cc:)")


class _NoRetracingNotes(logging.Filter):
    """Drops TensorFlow's "N out of the last N calls ... triggered tf.function retracing" notes: each
    model's predict function is traced once, which a run over several models reports as retracing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def import_tensorflow():
    """Import TensorFlow (and initialise its devices) without the known start-up lines; return the module."""
    if "tensorflow" in sys.modules or USER_LOG_LEVEL:
        import tensorflow as tf

        return _without_retracing_notes(tf)
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_logical_devices()  # initialises the runtime: the cuInit probe prints here
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode(errors="replace").splitlines()
                    if line.strip() and not NOISE.match(line)]
    for line in kept:
        print(line, file=sys.stderr)
    return _without_retracing_notes(tf)


def _without_retracing_notes(tf):
    logger = tf.get_logger()
    if not any(isinstance(f, _NoRetracingNotes) for f in logger.filters):
        logger.addFilter(_NoRetracingNotes())
    return tf


def device_summary() -> str:
    """``"TensorFlow 2.x on CPU (no GPU found)"`` or ``"... on GPU: <names>"``."""
    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    where = f"GPU: {', '.join(g.name for g in gpus)}" if gpus else "CPU (no GPU found)"
    return f"TensorFlow {tf.__version__} on {where}"
