"""Fixtures shared by the gans tests: sklearn's 8x8 digits and a tiny classifier trained on them,
small table rows and a dense autoencoder of them."""

import keras
import numpy as np
import pytest

from gans import Autoencoder, metrics
from genlab.data import digits_images
from genlab.layers import build_mlp


@pytest.fixture(scope="session")
def digits():
    return digits_images()


@pytest.fixture(scope="session")
def classifier(digits):
    # Tiny classifier on sklearn's 8x8 digits (never MNIST or the network in tests).
    return metrics.train_classifier(digits.x_train, digits.y_train, epochs=12, batch_size=64, verbose=0,
                                    filters=(8, 16), dense=32)


#: Width of the table rows of the dense fixtures, and the code width of their autoencoder.
ROW_WIDTH, CODE_DIM = 5, 3


@pytest.fixture(scope="session")
def rows():
    """256 float32 table rows in [-1, 1] on a 2-D manifold: (u, v, uv, u^2 - 1/2, tanh(u + v))."""
    u, v = np.random.default_rng(0).uniform(-1, 1, (2, 256))
    return np.column_stack([u, v, u * v, u**2 - 0.5, np.tanh(u + v)]).astype(np.float32)


@pytest.fixture(scope="session")
def dense_autoencoder(rows):
    """A dense autoencoder of ``rows`` (tanh code of width 3, tanh output), briefly trained."""
    keras.utils.set_random_seed(0)
    ae = Autoencoder(build_mlp(ROW_WIDTH, (16,), CODE_DIM, "tanh", name="encoder"),
                     build_mlp(CODE_DIM, (16,), ROW_WIDTH, "tanh", name="decoder"))
    ae.compile(keras.optimizers.Adam(1e-2), "mse")
    ae.fit(rows, rows, epochs=10, batch_size=32, verbose=0)
    return ae
