"""Argument checks shared by the robustness modules (messages name the parameter and the fix)."""

from __future__ import annotations

import math

import numpy as np

from genlab.checks import check_features, check_labels
from genlab.errors import ConfigError


def check_number(name: str, value, minimum: float = 0.0, strict: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and ``>= minimum`` (``>`` if strict)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, received {value!r}") from None
    bad = not math.isfinite(value) or (value <= minimum if strict else value < minimum)
    if bad:
        relation = ">" if strict else ">="
        raise ConfigError(f"{name} must be a finite number {relation} {minimum}, received {value}")
    return value


def check_steps(steps) -> int:
    """Return ``steps`` after checking it is an integer >= 1."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ConfigError(f"steps must be an integer >= 1, received {steps!r}")
    return int(steps)


def check_clip(clip):
    """Return ``None`` or a ``(low, high)`` float pair with ``low < high``."""
    if clip is None:
        return None
    try:
        lo, hi = (float(v) for v in clip)
    except (TypeError, ValueError):
        raise ConfigError(f"clip must be None or a pair (low, high), received {clip!r}") from None
    if not lo < hi:
        raise ConfigError(f"clip must satisfy low < high, received {clip!r}")
    return lo, hi


def model_shapes(model, x) -> tuple[tuple[int, ...], int | None]:
    """The model's input feature shape (from the model when known, else from ``x``) and class count."""
    feature_shape = tuple(np.shape(x)[1:])
    n_classes = None
    try:
        inp = model.inputs[0].shape if getattr(model, "inputs", None) else None
        if inp is not None and None not in tuple(inp[1:]):
            feature_shape = tuple(int(d) for d in inp[1:])
        out = model.outputs[0].shape if getattr(model, "outputs", None) else None
        if out is not None and out[-1] is not None:
            n_classes = int(out[-1])
    except (AttributeError, ValueError, TypeError):
        pass
    return feature_shape, n_classes


def check_data(model, x, y, name_y: str = "y"):
    """Check inputs against the model's input shape and labels against its class count (int32)."""
    if np.ndim(x) < 2:
        raise ConfigError(f"x must be a batch of inputs (n, ...), received shape {np.shape(x)}")
    feature_shape, n_classes = model_shapes(model, x)
    x = check_features(x, feature_shape)
    if n_classes is None:
        n_classes = int(np.shape(model(x[:1], training=False))[-1])
    y = check_labels(y, n_classes, len(x), name=name_y).astype(np.int32)
    return x, y


def check_batch_size(batch_size) -> int:
    """Return ``batch_size`` after checking it is an integer >= 1."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, received {batch_size!r}")
    return int(batch_size)
