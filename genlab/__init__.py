"""genlab core: layer-spec MLP builder, seeding, TensorBoard helpers, SavedModel export, run tools.

The model families live in the sibling packages ``vaec``, ``gans``, ``tabular`` and ``robustness``.
"""

import os as _os

# Quiet TensorFlow's C++ start-up chatter unless the user asked for it.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from genlab.errors import (ChecksumError, ConfigError, GenlabError, InputShapeError,
                           InvalidValueError, LabelError, NotFittedError, UnknownNameError)
from genlab.export import export_saved_model, reload_and_compare
from genlab.layers import LayerSpec, apply_layer_specs, build_mlp
from genlab.runner import RunDir, RunOptions
from genlab.seeding import set_seed
from genlab.tensorboard import FigureLogger, scalar_callback

__version__ = "0.1.0"

__all__ = [
    "ChecksumError", "ConfigError", "GenlabError", "InputShapeError", "InvalidValueError",
    "LabelError", "NotFittedError", "UnknownNameError", "LayerSpec", "apply_layer_specs", "build_mlp", "set_seed",
    "FigureLogger", "scalar_callback", "export_saved_model", "reload_and_compare",
    "RunDir", "RunOptions",
]
