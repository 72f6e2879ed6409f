"""genlab core: layer-spec MLP builder, seeding, callbacks, TensorBoard helpers, SavedModel export, run tools.

The model families live in the sibling packages ``vaec``, ``gans``, ``tabular`` and ``robustness``.
Names are imported on first use, so ``import genlab`` (and the ``genlab list`` / ``--help``
commands) does not start TensorFlow.
"""

import importlib as _importlib
import os as _os

from genlab import quiet as _quiet  # noqa: E402,F401 - records whether the user set TF's log level first

# Quiet TensorFlow's C++ start-up chatter unless the user asked for it.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from genlab.errors import (ChecksumError, ConfigError, GenlabError, InputShapeError,  # noqa: E402
                           InvalidValueError, LabelError, NotFittedError, UnknownNameError)

__version__ = "0.1.0"

#: Public names that live in modules importing TensorFlow or Keras, loaded on first access.
_LAZY = {"export_saved_model": "genlab.export", "reload_and_compare": "genlab.export",
         "LayerSpec": "genlab.layers", "apply_layer_specs": "genlab.layers", "build_mlp": "genlab.layers",
         "RunDir": "genlab.runner", "RunOptions": "genlab.runner", "set_seed": "genlab.seeding",
         "FigureLogger": "genlab.tensorboard", "scalar_callback": "genlab.tensorboard"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'genlab' has no attribute {name!r}")


__all__ = ["ChecksumError", "ConfigError", "GenlabError", "InputShapeError", "InvalidValueError", "LabelError",
           "NotFittedError", "UnknownNameError", *_LAZY]
