"""What an autoencoder's code is worth: latent-size study and transfer to a small classifier.

Two questions about the representation learned by a (deterministic) autoencoder:

1. **Latent size.** :func:`latent_size_study` trains one autoencoder per code width and reports,
   on test images, the reconstruction loss and :func:`max_latent_correlation`, the largest
   absolute Pearson correlation between two different code coordinates (how redundant the code
   is). :func:`latent_size_figure` draws both against the width.
2. **Transfer.** :func:`transfer_classifier` puts a small MLP head (one hidden layer of 128) on a
   copy of the pretrained encoder, either frozen (the encoder's weights and BatchNorm statistics
   fixed: Keras 3 runs a ``trainable=False`` sub-model in inference mode) or fine-tuned, and
   :func:`transfer_study` trains it on a few balanced labelled images per draw and scores it on
   the test set. Three things make 100 labels go further than a plain ``fit``: the codes are
   standardised with statistics of the *unlabelled* training images (a head on codes of
   arbitrary scale trains badly), the labelled images are augmented with small random shifts and
   rotations, and fine-tuning starts from the trained frozen head with a 10x smaller learning
   rate (linear-probe-then-fine-tune, Kumar et al. 2022), so the random head does not wreck the
   pretrained features in the first steps.

The module does not build autoencoders itself: :func:`latent_size_study` takes a builder such as
``gans.autoencoder.conv_autoencoder`` (``vaec`` depends on ``genlab`` only), and the transfer
functions take any encoder ``keras.Model`` images -> codes.

Example:
    >>> from gans.autoencoder import conv_autoencoder
    >>> records, models = latent_size_study(lambda d: conv_autoencoder((28, 28, 1), d),
    ...                                     x_train, x_test, sizes=(3, 15, 100), epochs=5)
    >>> latent_size_figure(records).savefig("latent_size.png")
    >>> rows = transfer_study(models[15].encoder, x_train, y_train, x_test, y_test, n_labels=100)
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import keras
import numpy as np

from genlab.checks import check_labels
from genlab.errors import ConfigError, InputShapeError
from vaec.semisup import balanced_label_indices

#: Transfer modes, in the order :func:`transfer_study` trains them.
TRANSFER_MODES = ("frozen", "fine_tuned")


def max_latent_correlation(codes) -> float:
    """Largest ``|corr(z_i, z_j)|`` over pairs ``i != j`` of code coordinates (Pearson, over rows).

    Constant coordinates have no defined correlation and are left out (a code with fewer than two
    varying coordinates gives 0).

    Args:
        codes: ``(n, d)`` codes, ``n >= 2``.

    Returns:
        A float in [0, 1].

    Raises:
        InputShapeError: ``codes`` is not a 2-D array with at least two rows.

    Example:
        >>> max_latent_correlation(np.c_[x, 2 * x + 1, noise])   # 1.0
    """
    z = np.asarray(codes, np.float64)
    if z.ndim != 2 or len(z) < 2:
        raise InputShapeError(f"codes must be a 2-D array (rows, coordinates) with at least 2 rows, "
                              f"received shape {z.shape}")
    z = z[:, z.std(axis=0) > 1e-12]
    if z.shape[1] < 2:
        return 0.0
    corr = np.corrcoef(z, rowvar=False)
    np.fill_diagonal(corr, 0.0)
    return float(np.abs(corr).max())


def reconstruction_loss(autoencoder: keras.Model, x, batch_size: int = 1000) -> dict[str, float]:
    """Mean per-pixel binary cross-entropy and squared error of ``autoencoder(x)`` against ``x``.

    Args:
        autoencoder: A model images -> reconstructions in [0, 1] (inference mode is used).
        x: Images in [0, 1].
        batch_size: Rows per forward pass.

    Returns:
        ``{"bce": ..., "mse": ...}`` averaged over every pixel of every image (BCE is the loss
        ``compile(..., "binary_crossentropy")`` trains).
    """
    x = np.asarray(x, np.float32)
    bce = mse = 0.0
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        rec = np.clip(np.asarray(autoencoder(xb, training=False)), 1e-7, 1 - 1e-7)
        bce += float(-(xb * np.log(rec) + (1 - xb) * np.log(1 - rec)).sum())
        mse += float(np.square(xb - rec).sum())
    return {"bce": bce / x.size, "mse": mse / x.size}


def latent_size_study(build: Callable[[int], keras.Model], x_train, x_test,
                      sizes: Sequence[int] = (3, 10, 15, 20, 100), epochs: int = 10,
                      batch_size: int = 128, learning_rate: float = 1e-3, verbose: int = 0,
                      callbacks_for: Callable[[int], list] | None = None):
    """Train one autoencoder per code width; test reconstruction loss and code correlation.

    Args:
        build: ``latent_dim -> model`` with ``encoder`` and ``decoder`` attributes, images in
            [0, 1] (e.g. ``lambda d: conv_autoencoder((28, 28, 1), d)``); compiled here with
            Adam and binary cross-entropy.
        x_train, x_test: Images in [0, 1].
        sizes: Code widths to compare.
        epochs, batch_size, learning_rate: Training of each autoencoder.
        verbose: ``fit`` verbosity.
        callbacks_for: Optional ``latent_dim -> callbacks`` (e.g. TensorBoard per size).

    Returns:
        ``(records, models)``: one record per size (``latent_dim``, ``test_bce``, ``test_mse``,
        ``train_bce`` (last epoch), ``max_abs_correlation``, ``mean_abs_correlation``,
        ``dead_units`` (coordinates constant on the test set), ``seconds``), and the trained
        models by size.

    Raises:
        ConfigError: ``sizes`` is empty or holds a width < 1.
    """
    sizes = tuple(int(s) for s in sizes)
    if not sizes or min(sizes) < 1:
        raise ConfigError(f"sizes must be a non-empty list of code widths >= 1, received {sizes}")
    records, models = [], {}
    for size in sizes:
        model = build(size)
        model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy")
        start = time.perf_counter()
        history = model.fit(x_train, x_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
                            callbacks=callbacks_for(size) if callbacks_for else None)
        seconds = time.perf_counter() - start
        codes = np.asarray(model.encoder.predict(x_test, batch_size=1000, verbose=0))
        rec = reconstruction_loss(model, x_test)
        varying = codes[:, codes.std(axis=0) > 1e-12]
        mean_abs = 0.0
        if varying.shape[1] >= 2:
            corr = np.abs(np.corrcoef(varying, rowvar=False))
            mean_abs = float(corr[~np.eye(len(corr), dtype=bool)].mean())
        records.append({"latent_dim": size, "test_bce": rec["bce"], "test_mse": rec["mse"],
                        "train_bce": float(history.history["loss"][-1]),
                        "max_abs_correlation": max_latent_correlation(codes),
                        "mean_abs_correlation": mean_abs,
                        "dead_units": int(codes.shape[1] - varying.shape[1]), "seconds": seconds})
        models[size] = model
    return records, models


def latent_size_figure(records: Sequence[dict]):
    """Test reconstruction loss (left axis) and max |correlation| (right axis) against code width.

    Args:
        records: As returned by :func:`latent_size_study`.

    Returns:
        A matplotlib ``Figure`` (log-scaled width axis).
    """
    import matplotlib.pyplot as plt

    sizes = [r["latent_dim"] for r in records]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sizes, [r["test_bce"] for r in records], "o-", color="tab:blue")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("latent size")
    ax.set_ylabel("test reconstruction loss (BCE per pixel)", color="tab:blue")
    right = ax.twinx()
    right.plot(sizes, [r["max_abs_correlation"] for r in records], "s--", color="tab:red")
    right.set_ylabel("max |Pearson r| between code coordinates", color="tab:red")
    right.set_ylim(0, 1.05)
    ax.set_title("Reconstruction and code redundancy vs latent size")
    fig.tight_layout()
    return fig


def _augmenter(seed: int) -> keras.Sequential:
    return keras.Sequential([keras.layers.RandomRotation(0.03, fill_mode="constant", seed=seed),
                             keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant",
                                                            seed=seed + 1)], name="augment")


def transfer_classifier(encoder: keras.Model, n_classes: int = 10, hidden: int = 128,
                        code_mean=None, code_std=None, dropout: float = 0.3, augment: bool = True,
                        seed: int = 0) -> keras.Model:
    """A copy of ``encoder`` (pretrained weights) + standardisation + MLP head (``hidden`` relu units).

    The encoder is cloned so that every classifier starts from the same pretrained weights; the
    copy starts frozen (``trainable=False``: weights and BatchNorm statistics fixed). Call
    :func:`set_encoder_trainable` (and recompile) to fine-tune it.

    Args:
        encoder: Pretrained model images -> ``(batch, d)`` codes.
        n_classes: Output classes (softmax).
        hidden: Width of the single hidden layer.
        code_mean, code_std: Per-coordinate standardisation of the codes (e.g. over unlabelled
            training images); ``None`` leaves the codes as they are.
        dropout: Dropout rate before the hidden and the output layer.
        augment: Random rotations (±0.03 turn) and shifts (±10 %) of the input images, active in
            training only.
        seed: Seed of the augmentation and dropout.

    Returns:
        A functional ``keras.Model`` images -> class probabilities, with sub-model ``"encoder"``.
    """
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    copy.name = "encoder"
    copy.trainable = False
    d = int(encoder.output_shape[-1])
    mean = np.zeros(d) if code_mean is None else np.asarray(code_mean, np.float64)
    std = np.ones(d) if code_std is None else np.maximum(np.asarray(code_std, np.float64), 1e-6)
    inputs = keras.Input(encoder.input_shape[1:], name="image")
    x = _augmenter(seed)(inputs) if augment else inputs
    z = copy(x)
    z = keras.layers.Normalization(mean=mean, variance=std ** 2, name="standardise")(z)
    z = keras.layers.Dropout(dropout, seed=seed)(z)
    z = keras.layers.Dense(hidden, activation="relu", name="hidden")(z)
    z = keras.layers.Dropout(dropout, seed=seed + 1)(z)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")(z)
    return keras.Model(inputs, outputs, name="transfer_classifier")


def set_encoder_trainable(model: keras.Model, trainable: bool, name: str = "encoder") -> None:
    """Freeze or unfreeze the sub-model ``name`` of ``model``, BatchNorm layers always frozen.

    Unfrozen, the encoder's weights train but its BatchNormalization layers stay
    ``trainable=False``, i.e. in inference mode with the pretrained moving statistics: batch
    statistics of a few dozen labelled (augmented) images would otherwise replace the ones learned
    on all images, and test accuracy collapses (seen here: 58 % frozen -> 37 % "fine-tuned"). A
    ``training=False`` call argument inside a functional model does not prevent that in Keras 3
    (``fit`` passes ``training=True`` down); the layer flag does. Recompile after calling this.

    Args:
        model: A model holding the encoder as a layer (e.g. :func:`transfer_classifier`'s).
        trainable: ``True`` to fine-tune the encoder, ``False`` to freeze it entirely.
        name: Name of the encoder layer.
    """
    encoder = model.get_layer(name)
    encoder.trainable = trainable
    stack = list(getattr(encoder, "layers", []))
    while stack:  # nested models too
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def transfer_study(encoder: keras.Model, x_train, y_train, x_test, y_test, n_labels: int = 100,
                   draws: int = 5, n_classes: int = 10, head_epochs: int = 150,
                   fine_tune_epochs: int = 150, batch_size: int = 32, learning_rate: float = 1e-3,
                   fine_tune_learning_rate: float = 1e-4, augment: bool = True,
                   verbose: int = 0) -> list[dict]:
    """Frozen vs fine-tuned encoder + MLP head trained on ``n_labels`` balanced labels, per draw.

    Per draw (seed ``0 .. draws-1``, :func:`balanced_label_indices`): a
    :func:`transfer_classifier` with the encoder frozen is trained ``head_epochs`` epochs
    (Adam ``learning_rate``) and scored (``frozen``); then its encoder is unfrozen and the whole
    model trained ``fine_tune_epochs`` more epochs with Adam ``fine_tune_learning_rate``
    (``fine_tuned``). The codes are standardised with their mean / std over ``x_train`` (labels
    unused).

    Args:
        encoder: Pretrained encoder images -> codes.
        x_train, y_train: Training images and labels (only the drawn rows' labels are used).
        x_test, y_test: Test images and labels.
        n_labels: Labelled images per draw (a multiple of ``n_classes``).
        draws: Number of label draws.
        n_classes: Number of classes.
        head_epochs, fine_tune_epochs: Epochs of the two stages (over the ``n_labels`` images).
        batch_size: Batch size of both stages.
        learning_rate, fine_tune_learning_rate: Adam learning rates of the two stages.
        augment: Random shifts and rotations of the labelled images (see
            :func:`transfer_classifier`).
        verbose: ``fit`` verbosity.

    Returns:
        One record per (draw, mode): ``draw``, ``mode`` (``"frozen"`` / ``"fine_tuned"``),
        ``n_labels``, ``accuracy`` (fraction of test images), ``seconds``.

    Raises:
        LabelError / ConfigError: From :func:`balanced_label_indices` and label checks.
    """
    x_train, x_test = np.asarray(x_train, np.float32), np.asarray(x_test, np.float32)
    y_train = check_labels(y_train, n_classes, len(x_train), "y_train")
    y_test = check_labels(y_test, n_classes, len(x_test), "y_test")
    codes = np.asarray(encoder.predict(x_train, batch_size=1000, verbose=0))
    mean, std = codes.mean(axis=0), codes.std(axis=0)
    records = []
    for draw in range(draws):
        idx = balanced_label_indices(y_train, n_labels, seed=draw, n_classes=n_classes)
        keras.utils.set_random_seed(draw)
        model = transfer_classifier(encoder, n_classes, code_mean=mean, code_std=std,
                                    augment=augment, seed=draw)
        start = time.perf_counter()
        for mode, epochs, lr in zip(TRANSFER_MODES, (head_epochs, fine_tune_epochs),
                                    (learning_rate, fine_tune_learning_rate)):
            set_encoder_trainable(model, mode == "fine_tuned")
            model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
            model.fit(x_train[idx], y_train[idx], epochs=epochs, batch_size=batch_size,
                      verbose=verbose, shuffle=True)
            pred = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
            records.append({"draw": draw, "mode": mode, "n_labels": n_labels,
                            "accuracy": float((pred == y_test).mean()),
                            "seconds": time.perf_counter() - start})
    return records
