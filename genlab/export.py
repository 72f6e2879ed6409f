"""SavedModel export helpers: write endpoints with an input signature, reload and compare.

Downstream users need only TensorFlow::

    import tensorflow as tf
    scorer = tf.saved_model.load("runs/output/.../export")
    outputs = scorer.serve(tf.constant(features, tf.float32))   # dict of tensors
"""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from genlab.errors import ExportMismatchError


def export_saved_model(
    path: str | os.PathLike,
    fn: Callable,
    input_signature: Sequence[tf.TensorSpec],
    track: Sequence[keras.Model | keras.layers.Layer],
    endpoint: str = "serve",
) -> str:
    """Write a SavedModel whose ``endpoint`` runs ``fn`` on inputs matching ``input_signature``.

    Args:
        path: Output directory (created; overwritten if present).
        fn: A function of TensorFlow tensors returning a tensor or a dict of tensors. It must only
            use the variables of the objects in ``track``.
        input_signature: One ``tf.TensorSpec`` per positional argument of ``fn``.
        track: Keras models/layers whose variables ``fn`` uses.
        endpoint: Name of the exported function.

    Returns:
        The path written, as a string.
    """
    archive = keras.export.ExportArchive()
    for obj in track:
        archive.track(obj)
    archive.add_endpoint(name=endpoint, fn=fn, input_signature=list(input_signature))
    archive.write_out(str(path), verbose=False)
    return str(path)


def reload_and_compare(
    path: str | os.PathLike,
    inputs: Sequence[np.ndarray] | np.ndarray,
    expected: Mapping[str, np.ndarray] | np.ndarray,
    endpoint: str = "serve",
    atol: float = 1e-5,
) -> dict:
    """Load a SavedModel with plain TensorFlow, run ``endpoint`` and compare to ``expected``.

    Args:
        path: SavedModel directory.
        inputs: Array, or list of arrays, passed positionally.
        expected: Expected output array, or dict of arrays keyed like the endpoint's outputs.
        endpoint: Name of the endpoint.
        atol: Largest allowed absolute difference.

    Returns:
        The reloaded outputs as NumPy arrays (dict, or a single array).

    Raises:
        ExportMismatchError: An output is missing, has another shape, or differs by more than atol.
    """
    loaded = tf.saved_model.load(str(path))
    args = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    out = getattr(loaded, endpoint)(*[tf.constant(a) for a in args])
    if isinstance(out, Mapping):
        got = {k: np.asarray(v) for k, v in out.items()}
    else:
        got = np.asarray(out)
    pairs = expected.items() if isinstance(expected, Mapping) else [("output", expected)]
    for key, want in pairs:
        have = got.get(key) if isinstance(got, dict) else got
        if have is None:
            raise ExportMismatchError(f"exported endpoint {endpoint!r} has no output {key!r}")
        want = np.asarray(want)
        if have.shape != want.shape:
            raise ExportMismatchError(f"output {key!r}: shape {have.shape} != expected {want.shape}")
        diff = float(np.max(np.abs(have.astype(np.float64) - want))) if want.size else 0.0
        if diff > atol:
            raise ExportMismatchError(f"output {key!r}: max abs difference {diff:.3g} > atol {atol}")
    return got
