"""The guard every genlab model adds to ``fit``: a loss that stops being finite stops training at once.

Bugs these tests catch: a model trained to its last epoch with NaN weights and no error (the guard
missing from a family's ``fit``); a guard that stops but leaves the NaN weights in place; an error
that does not say where training diverged.
"""

import numpy as np
import keras
import pytest

from genlab.callbacks import GuardedFit, StopOnNonFinite
from genlab.errors import TrainingDivergedError


class Regressor(GuardedFit, keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)


def _data(n=64, scale=1.0):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32") * scale
    return x, (x @ np.array([1.0, -2.0, 0.5], "float32"))[:, None]


def test_divergence_stops_at_once_and_restores_the_last_finite_epoch():
    model = Regressor()
    model.compile(keras.optimizers.SGD(1e-2), "mse")
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    good = [w.numpy().copy() for w in model.weights]
    model.compile(keras.optimizers.SGD(1e6), "mse")  # explodes within a few steps
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, step \d+.*loss"):
        model.fit(x, y, epochs=50, batch_size=16, verbose=0)
    for before, after in zip(good, model.weights):
        np.testing.assert_array_equal(before, after.numpy())


def test_finished_epochs_are_kept_when_a_later_one_diverges():
    model = Regressor()
    model.compile(keras.optimizers.SGD(1e-3), "mse")
    x, y = _data()
    y_bad = y.copy()
    guard = StopOnNonFinite()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[guard])
    after_one = [w.numpy().copy() for w in model.weights]
    y_bad[-1] = np.inf  # the second fit's only batch has an infinite target
    with pytest.raises(TrainingDivergedError):
        model.fit(x, y_bad, epochs=3, batch_size=64, verbose=0)
    assert all(np.isfinite(w.numpy()).all() for w in model.weights)
    for before, after in zip(after_one, model.weights):
        np.testing.assert_array_equal(before, after.numpy())


def test_guard_can_be_turned_off():
    model = Regressor()
    model.compile(keras.optimizers.SGD(1e6), "mse")
    x, y = _data()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, guard=False)
    assert not np.isfinite(history.history["loss"][-1])


def test_vaec_feature_of_1e30_stops_training_instead_of_returning_nan():
    """A feature value of 1e30 turned every VAEC loss NaN and training ran on to the end."""
    from vaec import VAEC, VAECConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    x[5, 2] = 1e30
    model = VAEC(VAECConfig(input_shape=(4,), n_classes=2, latent_dim=2, encoder_layers=(8,),
                            decoder_layers=(8,), head_layers=(8,)))
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        model.fit_all_parts(x, y, epochs=5, batch_size=16, verbose=0)
    assert all(np.isfinite(w.numpy()).all() for w in model.weights)


def test_gan_on_a_nan_row_stops_instead_of_generating_nan():
    """A GAN trained on data with one NaN row generated only NaN, and nothing stopped it."""
    from gans import GAN, mlp_critic, mlp_generator

    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    x[3] = np.nan
    model = GAN(mlp_generator(latent_dim=4, output_dim=2), mlp_critic(input_dim=2))
    model.compile()
    with pytest.raises(TrainingDivergedError):
        model.fit(x, epochs=3, batch_size=16, verbose=0)
    assert np.isfinite(model.generate(8)).all()
