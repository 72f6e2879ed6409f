import math

import keras
import numpy as np
import pytest

from genlab.errors import UnknownNameError
from vaec import Sampling, kl_loss, kl_per_dimension, prediction_loss, reconstruction_loss


def test_kl_golden_values():
    # KL(N(mu, s^2) || N(0, 1)) = -log s + (s^2 + mu^2)/2 - 1/2
    mu = np.array([[0.0, 1.0, 0.0]], np.float32)
    log_var = np.array([[0.0, 0.0, math.log(4.0)]], np.float32)
    want = [0.0, 0.5, -math.log(2.0) + 4.0 / 2 - 0.5]
    np.testing.assert_allclose(kl_per_dimension(mu, log_var), [want], rtol=1e-6)
    # summed over dimensions, averaged over the batch
    batch_mu = np.concatenate([mu, np.zeros_like(mu)])
    batch_lv = np.concatenate([log_var, np.zeros_like(log_var)])
    assert float(kl_loss(batch_mu, batch_lv)) == pytest.approx(sum(want) / 2, rel=1e-6)


def test_reconstruction_and_prediction_golden_values():
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    x_hat = np.array([[0.5, 0.0], [0.0, 0.0]], np.float32)
    assert float(reconstruction_loss(x, x_hat, "mse")) == pytest.approx((0.25 + 1.0) / 2)
    p = np.array([[0.8, 0.2], [0.5, 0.5]], np.float32)
    bce = -(math.log(0.8) + math.log(0.8) + math.log(0.5) + math.log(0.5)) / 2
    assert float(reconstruction_loss(x, p, "bce")) == pytest.approx(bce, rel=1e-5)
    assert float(prediction_loss(np.array([0, 1]), p)) == pytest.approx(
        -(math.log(0.8) + math.log(0.5)) / 2, rel=1e-6)


def test_unknown_reconstruction_loss_names_the_choices():
    x = np.zeros((2, 2), np.float32)
    with pytest.raises(UnknownNameError, match="unknown reconstruction loss 'l1'; expected one of: bce, mse"):
        reconstruction_loss(x, x, "l1")


def test_sampling_mean_and_variance():
    n = 200_000
    z_mean = np.full((n, 2), [1.0, -2.0], np.float32)
    z_log_var = np.full((n, 2), [math.log(0.25), math.log(4.0)], np.float32)
    z = keras.ops.convert_to_numpy(Sampling(seed=3)([z_mean, z_log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.02)


def test_sampling_seeded_and_serializable():
    zm, lv = np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)
    a, b = Sampling(seed=7), Sampling(seed=7)
    np.testing.assert_array_equal(a([zm, lv]), b([zm, lv]))
    assert not np.array_equal(a([zm, lv]), a([zm, lv]))  # the generator advances
    clone = Sampling.from_config(a.get_config())
    assert clone.get_config() == a.get_config() and clone.seed == 7
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(a))
    assert isinstance(restored, Sampling) and restored.seed == 7
