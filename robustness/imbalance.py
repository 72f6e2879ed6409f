"""Imbalanced classification: subsets, class weights, balanced samplers, SMOTE, augmentation, reports.

The remedies are independent pieces, combined by :func:`train_classifier`:

- ``class_weights``: weight each class by ``n / (k * count_c)`` in the loss;
- ``oversample`` / ``undersample``: a ``tf.data`` pipeline drawing every class equally often;
- ``smote``: synthetic minority rows interpolated between neighbours (imbalanced-learn);
- ``augment``: offline Keras preprocessing-layer augmentation of minority images.

:func:`classification_report` gives accuracy, per-class accuracy (= recall), precision, recall and
F1 with macro and weighted averages; :func:`confusion_matrix_figure` draws the confusion matrix.
"""

from __future__ import annotations

from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from genlab.checks import check_features, check_labels
from genlab.errors import ConfigError, InputShapeError, LabelError, unknown_name

#: The shares of the study: a majority class and two minorities.
DEFAULT_SHARES = (0.88, 0.08, 0.04)
#: Remedies understood by :func:`train_classifier`.
REMEDIES = ("class_weights", "oversample", "undersample", "smote", "augment")


def _labels(y, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(1)
    y = y.reshape(-1)
    if y.size == 0:
        raise LabelError(f"{name} is empty")
    return check_labels(y, int(y.max()) + 1 if np.issubdtype(y.dtype, np.number) else 1, len(y), name)


# --------------------------------------------------------------------------------- data
def make_imbalanced(x, y, classes: Sequence[int] = (0, 1, 2), shares: Sequence[float] = DEFAULT_SHARES,
                    seed: int = 0, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw a subset of ``classes`` with the given class shares; labels become ``0..k-1``.

    Args:
        x: Features, ``(n_rows, ...)``.
        y: Integer labels.
        classes: Original labels to keep, in the order of ``shares``; ``classes[i]`` becomes ``i``.
        shares: Fraction of the subset per class (positive, summing to 1). Default 88/8/4 %.
        seed: Seed of the draw.
        n: Subset size; ``None`` takes the largest size the rarest-relative-to-share class allows.

    Returns:
        ``(x_subset, y_subset)``, shuffled.

    Raises:
        ConfigError: Shares do not match classes, are not positive or do not sum to 1, or ``n``
            asks for more rows of a class than exist.

    Example:
        >>> x_imb, y_imb = make_imbalanced(x, y, classes=(3, 5, 8), shares=(0.88, 0.08, 0.04))
    """
    y = _labels(y)
    x = np.asarray(x)
    if len(x) != len(y):
        raise ConfigError(f"x has {len(x)} rows but y has {len(y)} labels; they must match")
    classes, shares = list(classes), np.asarray(shares, dtype=float)
    if len(classes) != len(shares) or len(set(classes)) != len(classes) or len(classes) < 2:
        raise ConfigError(f"classes {classes} and shares {shares.tolist()} must be two or more distinct "
                          "classes with one share each")
    if np.any(shares <= 0) or abs(shares.sum() - 1) > 1e-6:
        raise ConfigError(f"shares must be positive and sum to 1, received {shares.tolist()}")
    pools = [np.flatnonzero(y == c) for c in classes]
    def counts_for(size: int) -> np.ndarray:
        counts = np.floor(shares * size + 1e-9).astype(int)
        counts[0] += size - counts.sum()  # rounding remainder to the first (majority) class
        return counts

    largest = int(min(len(p) / s for p, s in zip(pools, shares)))
    while largest > 0 and any(k > len(p) for k, p in zip(counts_for(largest), pools)):
        largest -= 1  # the rounding remainder may not fit
    n = largest if n is None else int(n)
    counts = counts_for(n)
    for c, p, k in zip(classes, pools, counts):
        if k > len(p) or k < 1:
            raise ConfigError(f"class {c} needs {k} rows for n={n} but has {len(p)}; "
                              f"use n <= {largest} (and large enough for one row per class)")
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(p, k, replace=False) for p, k in zip(pools, counts)])
    new_y = np.concatenate([np.full(k, i) for i, k in enumerate(counts)])
    order = rng.permutation(len(idx))
    return x[idx[order]], new_y[order].astype(np.int64)


def class_weights(y, n_classes: int | None = None) -> dict[int, float]:
    """Class weights ``n / (k * count_c)``: each class carries the same total weight.

    Args:
        y: Integer labels (or one-hot rows).
        n_classes: Number of classes ``k``; default ``max(y) + 1``.

    Returns:
        ``{class: weight}`` for ``keras.Model.fit(class_weight=...)``.

    Raises:
        ConfigError: A class in ``range(n_classes)`` has no example.

    Example:
        >>> class_weights([0, 0, 0, 1])
        {0: 0.666..., 1: 2.0}
    """
    y = _labels(y)
    k = int(n_classes) if n_classes is not None else int(y.max()) + 1
    counts = np.bincount(y, minlength=k)
    if len(counts) > k:
        raise LabelError(f"y holds labels up to {len(counts) - 1} but n_classes={k}")
    if np.any(counts == 0):
        raise ConfigError(f"classes {np.flatnonzero(counts == 0).tolist()} have no example; "
                          "drop them or pass a smaller n_classes")
    return {c: float(len(y) / (k * counts[c])) for c in range(k)}


def balanced_dataset(x, y, batch_size: int = 32, mode: str = "oversample", seed: int = 0,
                     n_classes: int | None = None) -> tuple[tf.data.Dataset, int]:
    """A ``tf.data`` pipeline whose batches hold every class in (close to) equal numbers.

    Each class gets its own shuffled, repeated stream; ``tf.data.Dataset.sample_from_datasets``
    draws from them with equal probability. An epoch has ``k * max_count`` examples with
    ``"oversample"`` (minorities repeat) or ``k * min_count`` with ``"undersample"`` (each epoch
    sees a fresh subset of the majority).

    Args:
        x, y: Features and integer labels.
        batch_size: Rows per batch.
        mode: ``"oversample"`` or ``"undersample"``.
        seed: Seed of the shuffles and of the class draw.
        n_classes: Number of classes; default ``max(y) + 1``.

    Returns:
        ``(dataset, steps_per_epoch)``: batches of ``(x, y)``; iterate it once per epoch.

    Raises:
        UnknownNameError: Unknown ``mode``. ConfigError: A class has no example.

    Example:
        >>> ds, steps = balanced_dataset(x, y, batch_size=64, mode="oversample")
        >>> model.fit(ds, epochs=10)
    """
    if mode not in ("oversample", "undersample"):
        raise unknown_name("mode", mode, ("oversample", "undersample"))
    y = _labels(y)
    weights = class_weights(y, n_classes)  # also checks every class is present
    k = len(weights)
    x = np.asarray(x, dtype=np.float32)
    counts = np.bincount(y, minlength=k)
    streams = []
    for c in range(k):
        idx = np.flatnonzero(y == c)
        ds = tf.data.Dataset.from_tensor_slices((x[idx], y[idx]))
        streams.append(ds.shuffle(len(idx), seed=seed + c, reshuffle_each_iteration=True).repeat())
    per_epoch = k * int(counts.max() if mode == "oversample" else counts.min())
    mixed = tf.data.Dataset.sample_from_datasets(streams, weights=[1.0 / k] * k, seed=seed)
    steps = int(np.ceil(per_epoch / batch_size))
    return mixed.take(per_epoch).batch(batch_size).prefetch(tf.data.AUTOTUNE), steps


def smote(x, y, seed: int = 0, k_neighbors: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """SMOTE (Chawla et al. 2002) on flattened rows, reshaped back to ``x``'s shape.

    Every minority class is filled up to the majority count with points interpolated between a
    row and one of its ``k_neighbors`` nearest neighbours of the same class (imbalanced-learn).

    Args:
        x: Features, ``(n, ...)`` (images are flattened for the neighbour search).
        y: Integer labels.
        seed: Random seed.
        k_neighbors: Neighbours; lowered to ``min_count - 1`` for a very rare class.

    Returns:
        ``(x_resampled, y_resampled)``: the original rows followed by the synthetic ones.

    Raises:
        ConfigError: A class has fewer than 2 examples.
    """
    from imblearn.over_sampling import SMOTE

    y = _labels(y)
    x = np.asarray(x, dtype=np.float32)
    counts = np.bincount(y)
    smallest = counts[counts > 0].min()
    if smallest < 2:
        raise ConfigError(f"SMOTE needs at least 2 examples per class; the rarest class has {smallest}")
    sampler = SMOTE(k_neighbors=min(k_neighbors, int(smallest) - 1), random_state=seed)
    flat, y_res = sampler.fit_resample(x.reshape(len(x), -1), y)
    return flat.reshape((-1,) + x.shape[1:]).astype(np.float32), y_res.astype(np.int64)


def augmenter(rotation: float = 0.05, translation: float = 0.1, zoom: float = 0.1,
              seed: int = 0) -> keras.Sequential:
    """Keras preprocessing layers for digit images: small rotation, shift and zoom, no flip.

    Flips are left out on purpose: a mirrored digit is another symbol (or none). Empty areas are
    filled with zeros, the background of the digits.

    Args:
        rotation: Max rotation as a fraction of a full turn (0.05 = 18 degrees).
        translation: Max shift as a fraction of height / width.
        zoom: Max zoom in or out as a fraction.
        seed: Seed of the layers.
    """
    return keras.Sequential([
        keras.layers.RandomRotation(rotation, fill_mode="constant", seed=seed),
        keras.layers.RandomTranslation(translation, translation, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 2),
    ], name="augmenter")


def augment(x, y, seed: int = 0, target_count: int | None = None, batch_size: int = 256,
            **augmenter_kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Offline augmentation: add augmented copies of each class's images up to ``target_count``.

    Args:
        x: Images ``(n, height, width, channels)``.
        y: Integer labels.
        seed: Seed of the draws and of the layers.
        target_count: Rows per class after augmentation; default the majority count.
        batch_size: Rows per call of the augmentation layers.
        **augmenter_kwargs: ``rotation``, ``translation``, ``zoom`` of :func:`augmenter`.

    Returns:
        ``(x_augmented, y_augmented)``: the original rows followed by the new ones.

    Raises:
        InputShapeError: ``x`` is not a batch of images.
    """
    y = _labels(y)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise InputShapeError(
            f"augment expects images (n, height, width, channels), received shape {x.shape}")
    layers = augmenter(seed=seed, **augmenter_kwargs)
    counts = np.bincount(y)
    target = int(counts.max() if target_count is None else target_count)
    rng = np.random.default_rng(seed)
    new_x, new_y = [x], [y]
    for c, count in enumerate(counts):
        if 0 < count < target:
            src = x[rng.choice(np.flatnonzero(y == c), target - count, replace=True)]
            for i in range(0, len(src), batch_size):
                new_x.append(np.asarray(layers(src[i:i + batch_size], training=True)))
            new_y.append(np.full(target - count, c))
    return np.concatenate(new_x).astype(np.float32), np.concatenate(new_y).astype(np.int64)


# --------------------------------------------------------------------------------- training
def default_model(input_shape: tuple[int, ...], n_classes: int) -> keras.Model:
    """A small CNN for images (rank-3 inputs) or an MLP for vectors, softmax output."""
    inputs = keras.Input(input_shape)
    h = inputs
    if len(input_shape) == 3:
        h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(h)
        if min(input_shape[:2]) >= 16:
            h = keras.layers.MaxPooling2D()(h)
            h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
            h = keras.layers.MaxPooling2D()(h)
        h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(64, activation="relu")(h)
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(h), name="classifier")


def check_remedies(remedies: Sequence[str]) -> tuple[str, ...]:
    """Validate a combination of remedies (see :data:`REMEDIES`)."""
    remedies = (remedies,) if isinstance(remedies, str) else tuple(remedies)
    for r in remedies:
        if r not in REMEDIES:
            raise unknown_name("remedy", r, REMEDIES)
    if "oversample" in remedies and "undersample" in remedies:
        raise ConfigError("remedies 'oversample' and 'undersample' exclude each other; choose one")
    return remedies


def train_classifier(x, y, remedies: Sequence[str] = (), build_model: Callable | None = None,
                     epochs: int = 10, batch_size: int = 32, learning_rate: float = 1e-3,
                     seed: int = 0, validation_data=None, callbacks=None, verbose=0,
                     n_classes: int | None = None):
    """Train a classifier on imbalanced data with any combination of remedies.

    Data-level remedies run first, on the arrays: ``augment`` then ``smote``. Then the batches
    come from a balanced sampler (``oversample`` / ``undersample``) or plain shuffled arrays,
    and ``class_weights`` (computed on the data actually fed) weight the loss. ``augment`` and
    ``smote`` fill every class up to the majority count, so a sampler or class weights added to
    them change nothing.

    Args:
        x, y: Training features and integer labels.
        remedies: Names from :data:`REMEDIES`; ``()`` trains a plain baseline.
        build_model: ``build_model(input_shape, n_classes) -> keras.Model`` with softmax output;
            default :func:`default_model`.
        epochs, batch_size, learning_rate: Training settings (Adam).
        seed: Seeds the model, the samplers and the data remedies.
        validation_data, callbacks, verbose: As in ``keras.Model.fit``.
        n_classes: Number of classes; default ``max(y) + 1``.

    Returns:
        ``(model, history)``.

    Raises:
        UnknownNameError: Unknown remedy. ConfigError: ``oversample`` with ``undersample``.

    Example:
        >>> model, _ = train_classifier(x_imb, y_imb, remedies=("augment", "class_weights"))
        >>> classification_report(model, x_test, y_test)["macro_avg"]["f1"]
    """
    remedies = check_remedies(remedies)
    y = _labels(y)
    k = int(n_classes) if n_classes is not None else int(y.max()) + 1
    x = check_features(x, np.shape(x)[1:])
    y = check_labels(y, k, len(x))
    if "augment" in remedies:
        x, y = augment(x, y, seed=seed)
    if "smote" in remedies:
        x, y = smote(x, y, seed=seed)
    keras.utils.set_random_seed(seed)
    model = (build_model or default_model)(x.shape[1:], k)
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    weights = class_weights(y, k) if "class_weights" in remedies else None
    mode = next((r for r in remedies if r in ("oversample", "undersample")), None)
    fit_kwargs = dict(epochs=epochs, class_weight=weights, validation_data=validation_data,
                      callbacks=callbacks, verbose=verbose)
    if mode:
        ds, _ = balanced_dataset(x, y, batch_size, mode=mode, seed=seed, n_classes=k)
        history = model.fit(ds, shuffle=False, **fit_kwargs)  # the sampler shuffles
    else:
        history = model.fit(x, y, batch_size=batch_size, shuffle=True, **fit_kwargs)
    return model, history


# --------------------------------------------------------------------------------- reports
def _predicted_labels(model_or_predictions, x, batch_size: int) -> np.ndarray:
    if hasattr(model_or_predictions, "predict"):
        if x is None:
            raise ConfigError("x is required when a model is given; pass the inputs to predict")
        out = model_or_predictions.predict(x, verbose=0, batch_size=batch_size)
    else:
        out = np.asarray(model_or_predictions)
    return out.argmax(-1) if out.ndim == 2 else out.reshape(-1).astype(np.int64)


def classification_report(model_or_predictions, x=None, y=None, n_classes: int | None = None,
                          class_names: Sequence[str] | None = None, batch_size: int = 512) -> dict:
    """Accuracy, per-class accuracy, precision, recall, F1 and their macro / weighted averages.

    Args:
        model_or_predictions: A model with ``predict`` (then ``x`` is required), or predictions:
            class probabilities ``(n, k)`` or predicted labels ``(n,)``.
        x: Inputs for the model; ignored for predictions.
        y: True integer labels.
        n_classes: Number of classes; default from the predictions and labels.
        class_names: Names for the rows; default ``"0"``, ``"1"``...
        batch_size: Prediction batch size.

    Returns:
        ``{"accuracy", "balanced_accuracy", "per_class": [{"class", "support", "accuracy",
        "precision", "recall", "f1"}...], "macro_avg": {...}, "weighted_avg": {...},
        "confusion_matrix": (k, k) array (rows true, columns predicted)}``. Per-class accuracy is
        the share of the class's examples predicted correctly (its recall). Undefined ratios
        (no prediction of a class) are 0, as scikit-learn's ``zero_division=0``.

    Raises:
        LabelError: ``y`` and the predictions differ in length.
    """
    if y is None:
        raise ConfigError("y (the true labels) is required")
    pred = _predicted_labels(model_or_predictions, x, batch_size)
    y = _labels(y)
    if len(pred) != len(y):
        raise LabelError(f"{len(pred)} predictions for {len(y)} labels; they must match")
    k = int(n_classes) if n_classes is not None else int(max(y.max(), pred.max())) + 1
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    tp, support, predicted = np.diag(cm).astype(float), cm.sum(1).astype(float), cm.sum(0).astype(float)
    ratio = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b > 0)  # noqa: E731
    precision, recall = ratio(tp, predicted), ratio(tp, support)
    f1 = ratio(2 * precision * recall, precision + recall)
    names = list(class_names) if class_names is not None else [str(c) for c in range(k)]
    per_class = [{"class": names[c], "support": int(support[c]), "accuracy": float(recall[c]),
                  "precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c])}
                 for c in range(k)]
    share = support / support.sum()
    avg = lambda w: {"precision": float(np.sum(w * precision)),  # noqa: E731
                     "recall": float(np.sum(w * recall)), "f1": float(np.sum(w * f1))}
    present = support > 0
    return {"accuracy": float(tp.sum() / len(y)),
            "balanced_accuracy": float(recall[present].mean()),
            "per_class": per_class, "macro_avg": avg(np.full(k, 1.0 / k)),
            "weighted_avg": avg(share), "confusion_matrix": cm}


def report_rows(report: dict) -> list[dict]:
    """Flatten a :func:`classification_report` into table rows (classes, then the averages)."""
    rows = [dict(r) for r in report["per_class"]]
    total = sum(r["support"] for r in rows)
    for name in ("macro_avg", "weighted_avg"):
        rows.append({"class": name, "support": total, **report[name]})
    return rows


def confusion_matrix_figure(report_or_matrix, class_names: Sequence[str] | None = None,
                            normalize: bool = True, title: str = "Confusion matrix"):
    """Draw a confusion matrix (rows: true class, columns: predicted class).

    Args:
        report_or_matrix: A :func:`classification_report` dict or a ``(k, k)`` count matrix.
        class_names: Tick labels; default the report's class names or ``0..k-1``.
        normalize: Colour and annotate row shares (per-class accuracy on the diagonal);
            counts are printed beside them.
        title: Figure title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(report_or_matrix, dict):
        cm = np.asarray(report_or_matrix["confusion_matrix"])
        class_names = class_names or [r["class"] for r in report_or_matrix["per_class"]]
    else:
        cm = np.asarray(report_or_matrix)
    k = len(cm)
    class_names = list(class_names or [str(c) for c in range(k)])
    rows = cm.sum(1, keepdims=True)
    shown = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0) if normalize else cm
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * k, 0.8 + 0.6 * k))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}\n({cm[i, j]})" if normalize else str(cm[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.6 * (shown.max() or 1) else "black")
    ax.set(xticks=range(k), yticks=range(k), xticklabels=class_names, yticklabels=class_names,
           xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
