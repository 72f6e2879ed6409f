"""Small image classifiers used by the robustness experiments."""

from __future__ import annotations

import keras


def mnist_cnn(filters: tuple[int, int] = (32, 64), dense: int = 128, n_classes: int = 10,
              input_shape: tuple[int, int, int] = (28, 28, 1)) -> keras.Model:
    """CNN ``image -> class probabilities``: conv-pool-conv-pool-dense, ReLU, softmax output.

    Args:
        filters: Filters of the two 3x3 convolutions.
        dense: Units of the hidden dense layer.
        n_classes: Number of classes.
        input_shape: Image shape ``(h, w, c)``.

    Returns:
        An uncompiled ``keras.Sequential`` model named ``mnist_cnn``.
    """
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(filters[0], 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(filters[1], 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(dense, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ], name="mnist_cnn")
