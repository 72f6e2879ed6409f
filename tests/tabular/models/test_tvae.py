"""TabularVAE: the mixture prior, conditional component shares, the sigma constraint, serialization."""

import keras
import numpy as np
import tensorflow as tf

from tabular.models import TabularVAE

SPANS = [[0, 1, "tanh"], [1, 3, "softmax"], [4, 2, "softmax"]]


def test_mixture_prior_draws_follow_the_mixture():
    eps = np.random.default_rng(0).normal(size=(50_000, 2)).astype(np.float32)
    seed = tf.constant([1, 2], tf.int64)
    plain = TabularVAE(SPANS, data_dim=6, latent_dim=2, hidden=(8,), prior_components=0)
    np.testing.assert_array_equal(plain.latent_from_noise(eps, seed).numpy(), eps)
    model = TabularVAE(SPANS, data_dim=6, latent_dim=2, hidden=(8,), prior_components=2)
    np.testing.assert_array_equal(model.latent_from_noise(eps, seed).numpy(), eps)  # before fit_prior: N(0, I)
    model.prior_logits.assign(np.log([0.25, 0.75]).astype(np.float32))
    model.prior_means.assign(np.array([[-10.0, 0.0], [10.0, 5.0]], np.float32))
    model.prior_scales.assign(np.array([[1.0, 2.0], [0.5, 0.1]], np.float32))
    z = model.latent_from_noise(eps, seed).numpy()
    right = z[:, 0] > 0
    assert abs(right.mean() - 0.75) < 0.01
    np.testing.assert_allclose(z[right].std(0), [0.5, 0.1], rtol=0.03)
    np.testing.assert_allclose(z[~right].std(0), [1.0, 2.0], rtol=0.03)
    # a component is a shift and scale of the same noise row
    np.testing.assert_allclose(z[right], [10.0, 5.0] + np.array([0.5, 0.1]) * eps[right], rtol=1e-5, atol=1e-5)


def test_conditional_shares_pick_the_components_of_a_category():
    """Rows of category 0 sit in one latent cluster, category 1 in the other: P(k | category)."""
    model = TabularVAE([[0, 2, "softmax"]], data_dim=2, latent_dim=1, hidden=(4,), prior_components=2,
                       discrete=[[0, 2]])
    x = np.eye(2, dtype=np.float32)[np.r_[np.zeros(300, int), np.ones(100, int)]]
    # an encoder that puts category 0 at z = -5 and category 1 at z = +5, posterior std exp(-10)
    dense = [layer for layer in model.encoder.layers if isinstance(layer, keras.layers.Dense)]
    for layer in dense[:-1]:
        kernel, bias = layer.get_weights()
        layer.set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    hidden = dense[0].units
    kernel = np.zeros((hidden, 2), np.float32)
    dense[0].set_weights([np.tile([[1.0], [0.0]], (1, hidden)).astype(np.float32), np.zeros(hidden, np.float32)])
    kernel[:, 0] = -10.0 / hidden
    dense[-1].set_weights([kernel, np.array([5.0, -20.0], np.float32)])
    model.fit_prior(x, seed=0)
    eps = np.zeros((4000, 1), np.float32)
    seed = tf.constant([0, 1], tf.int64)
    for position, sign in ((0, -1), (1, 1)):
        z = model.latent_from_noise(eps, seed, tf.fill((4000,), position)).numpy()
        assert (np.sign(z) == sign).mean() > 0.99
    free = model.latent_from_noise(eps, seed).numpy()
    assert abs((free < 0).mean() - 0.75) < 0.03  # the unconditional mixture keeps the 3 : 1 weights


def test_fit_prior_pads_components_when_rows_are_few():
    small = TabularVAE(SPANS, data_dim=6, latent_dim=2, hidden=(8,), prior_components=5, discrete=[[1, 3], [4, 2]])
    rows = np.zeros((3, 6), np.float32)
    rows[:, 0], rows[np.arange(3), 1 + np.arange(3)], rows[:, 4] = 0.2, 1.0, 1.0
    small.fit_prior(rows)
    weights = np.exp(small.prior_logits.numpy())
    assert np.isclose(weights.sum(), 1.0, atol=1e-5) and (weights[3:] == 0).all()
    shares = np.exp(small.conditional_logits.numpy())
    np.testing.assert_allclose(shares.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(shares[4], weights, atol=1e-6)  # a category no row holds: the mixture weights


def test_sigma_stays_in_its_range_after_updates():
    model = TabularVAE(SPANS, data_dim=6, latent_dim=2, hidden=(8,), seed=0)
    # with sigma = 0.1 and errors of order 0.1-1, d loss / d sigma = 2 (1 / sigma - err^2 / sigma^3) is
    # hugely negative: one SGD step takes sigma far above 1 unless the constraint clips it
    model.compile(keras.optimizers.SGD(0.1))
    x = np.zeros((64, 6), np.float32)
    x[:, 1], x[:, 4] = 1.0, 1.0
    model.fit(x, epochs=1, batch_size=64, verbose=0)
    np.testing.assert_allclose(model.sigma.numpy(), 1.0)  # held at the upper bound


def test_model_serializes_and_reconstructs():
    model = TabularVAE(SPANS, data_dim=6, latent_dim=4, hidden=(8,), seed=3, prior_components=2,
                       discrete=[[1, 3], [4, 2]], conditional=True)
    again = TabularVAE.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    assert model.decoder.input_shape == (None, 4 + 5)  # latent + the conditional vector
    assert model(np.eye(6, dtype=np.float32)).shape == (6, 6)
