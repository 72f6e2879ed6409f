"""Input checks shared by the models: shapes, finite values and labels, with clear messages."""

from __future__ import annotations

import numpy as np

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, LabelError


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """An int in ``[low, high]`` (bools refused), with a clear error.

    Raises:
        ConfigError: Naming ``name``, the bound and the value received.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high:,}]"
        raise ConfigError(f"{name} must be an int {bound}, received {value!r}")
    return int(value)


def check_features(x, feature_shape: tuple[int, ...], name: str = "x") -> np.ndarray:
    """Return ``x`` as a float32 array of shape ``(n, *feature_shape)`` after checking it.

    Raises:
        InputShapeError: Wrong rank or feature shape, or no rows.
        InvalidValueError: Non-numeric values, NaN or infinity.
    """
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be numeric; could not convert it to float32: {exc}") from exc
    feature_shape = tuple(feature_shape)
    if arr.shape[1:] != feature_shape or arr.ndim != len(feature_shape) + 1:
        raise InputShapeError(
            f"{name} has shape {arr.shape}; the model expects (n_rows, {', '.join(map(str, feature_shape))}). "
            "Check the number of features / the image size, or build the model for this shape"
        )
    if arr.shape[0] == 0:
        raise InputShapeError(f"{name} has no rows")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise InvalidValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite values in {len(rows)} rows "
            f"(first rows: {rows[:5].tolist()}); impute or drop them before training"
        )
    return arr


def check_labels(y, n_classes: int, n_rows: int, name: str = "y") -> np.ndarray:
    """Return integer class labels of shape ``(n_rows,)`` after checking them.

    Accepts integer labels or one-hot rows.

    Raises:
        LabelError: Wrong length, non-integer values, or labels outside ``[0, n_classes)``.
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == n_classes and n_classes > 1:
        onehot = np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
        rows = np.nonzero(~((arr == 0) | (arr == 1)).all(axis=1) | ((arr == 1).sum(axis=1) != 1))[0] \
            if onehot else np.arange(len(arr))
        if len(rows):
            raise LabelError(
                f"{name} has {arr.shape[1]} columns but is not one-hot: {len(rows)} rows (first rows "
                f"{rows[:5].tolist()}, e.g. {arr[rows[0]].tolist()}) are not a single 1 among 0s; soft labels "
                "are not supported: pass class indices, e.g. y.argmax(axis=1) if that is what you mean")
        arr = arr.argmax(axis=1)
    elif arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise LabelError(f"{name} must be a vector of class indices or one-hot rows, received shape {arr.shape}")
    if len(arr) != n_rows:
        raise LabelError(f"{name} has {len(arr)} labels for {n_rows} rows of features; they must match")
    if not np.issubdtype(arr.dtype, np.number) or (np.issubdtype(arr.dtype, np.floating)
                                                   and not np.all(np.isfinite(arr) & (arr == np.round(arr)))):
        raise LabelError(f"{name} must hold integer class indices, received dtype {arr.dtype}")
    out = arr.astype(np.int64)
    bad = (out < 0) | (out >= n_classes)
    if bad.any():
        raise LabelError(
            f"{name} holds labels {sorted(set(out[bad].tolist()))[:5]} outside [0, {n_classes}); "
            f"the model was built for n_classes={n_classes}: re-encode labels as 0..{n_classes - 1}"
        )
    return out
