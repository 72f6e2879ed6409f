"""Shared fixtures: the digits split and one small CNN trained on it once per session."""

import keras
import numpy as np
import pytest

from genlab import data


def small_cnn(seed: int = 0) -> keras.Model:
    """A tiny digits CNN ``(8, 8, 1) -> 10 probabilities`` (about 2 s to train on 2 cores)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")


@pytest.fixture(scope="session")
def digits():
    return data.digits_images()


@pytest.fixture(scope="session")
def digits_cnn(digits):
    model = small_cnn()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(digits.x_train, digits.y_train, epochs=15, batch_size=64, verbose=0)
    return model


def accuracy(model, x, y) -> float:
    return float(np.mean(model.predict(x, verbose=0, batch_size=512).argmax(1) == y))
