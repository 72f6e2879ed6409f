"""Golden values of the GAN losses on tiny hand-computed inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans import losses
from genlab.errors import ConfigError


def log_sigmoid(x):
    return -np.log1p(np.exp(-x))


def test_bce_losses_match_formula():
    real = np.array([[2.0], [-1.0]], np.float32)
    fake = np.array([[0.5], [-3.0]], np.float32)
    expected_d = -np.mean(log_sigmoid(real)) - np.mean(np.log1p(-1 / (1 + np.exp(-fake))))
    expected_g = -np.mean(log_sigmoid(fake))
    np.testing.assert_allclose(float(losses.bce_discriminator_loss(real, fake)), expected_d, rtol=1e-6)
    np.testing.assert_allclose(float(losses.bce_generator_loss(fake)), expected_g, rtol=1e-6)
    # At logits 0 (D = 1/2 everywhere) the discriminator loss is 2 log 2.
    zeros = np.zeros((3, 1), np.float32)
    np.testing.assert_allclose(float(losses.bce_discriminator_loss(zeros, zeros)), 2 * np.log(2), rtol=1e-6)


def test_wasserstein_losses():
    real = np.array([[1.0], [3.0]], np.float32)
    fake = np.array([[-1.0], [0.0]], np.float32)
    assert float(losses.wasserstein_critic_loss(real, fake)) == pytest.approx(-0.5 - 2.0)
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(0.5)


def test_least_squares_losses_golden_values():
    real = np.array([[2.0], [0.0]], np.float32)
    fake = np.array([[0.5], [-1.0]], np.float32)
    # D: 1/2 mean((2-1)^2, (0-1)^2) + 1/2 mean(0.5^2, (-1)^2) = 0.5 + 0.3125
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(0.8125)
    # Swapped arguments give 2.0625: the real and fake targets are not interchangeable.
    assert float(losses.least_squares_discriminator_loss(fake, real)) == pytest.approx(2.0625)
    # G: 1/2 mean((0.5-1)^2, (-1-1)^2) = 1/2 * 2.125
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(1.0625)
    # At the optimum of D (real -> 1, fake -> 0) its loss is 0 and G's loss is 1/2.
    ones, zeros = np.ones((3, 1), np.float32), np.zeros((3, 1), np.float32)
    assert float(losses.least_squares_discriminator_loss(ones, zeros)) == 0.0
    assert float(losses.least_squares_generator_loss(zeros)) == pytest.approx(0.5)


def linear_critic(w):
    """f(x) = w . x (flattened): gradient w everywhere, so the norm is |w| at every point."""
    w = tf.constant(w, tf.float32)

    def critic(x, training=False):
        return tf.reduce_sum(x * w, axis=list(range(1, len(x.shape))))[:, None]

    return critic


@pytest.mark.parametrize("shape", [(3,), (2, 2, 1)], ids=["rank2", "rank4"])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_gradient_penalty_linear_critic(shape, scale):
    rng = np.random.default_rng(0)
    w = rng.normal(size=shape).astype(np.float32)
    w *= scale / np.linalg.norm(w)  # |w| = scale
    real = rng.normal(size=(4, *shape)).astype(np.float32)
    fake = rng.normal(size=(4, *shape)).astype(np.float32)
    critic = linear_critic(w)
    gp = float(losses.gradient_penalty(critic, real, fake, seed=1, epsilon=0.0))
    assert gp == pytest.approx((scale - 1) ** 2, rel=1e-5)
    one = float(losses.gradient_penalty(critic, real, fake, seed=1, one_sided=True, epsilon=0.0))
    assert one == pytest.approx(max(scale - 1, 0) ** 2, rel=1e-5, abs=1e-12)


def test_gradient_penalty_epsilon_inside_sqrt_and_alpha():
    # A quadratic critic f(x) = 0.5 |x|^2 has gradient x: the norm depends on where alpha mixes.
    critic = lambda x, training=False: 0.5 * tf.reduce_sum(x * x, axis=1, keepdims=True)  # noqa: E731
    real = np.array([[2.0, 0.0], [0.0, 0.0]], np.float32)
    fake = np.zeros((2, 2), np.float32)
    alpha = np.array([0.25, 0.7], np.float32)
    # x_hat = [0.5, 0], [0, 0]: norms sqrt(0.25 + eps) and sqrt(eps).
    eps = 0.01
    expected = np.mean((np.sqrt([0.25 + eps, eps]) - 1) ** 2)
    got = float(losses.gradient_penalty(critic, real, fake, alpha=alpha, epsilon=eps))
    assert got == pytest.approx(expected, rel=1e-6)
    # The gradient of the penalty through a zero critic gradient stays finite.
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(lambda x, training=False: v * critic(x), real, fake, alpha=alpha)
    assert np.isfinite(tape.gradient(gp, v).numpy())


def test_gradient_penalty_alpha_uniform_per_sample():
    x = losses.interpolate(np.ones((2, 2, 2, 1)), np.zeros((2, 2, 2, 1)), np.array([0.2, 0.9]))
    np.testing.assert_allclose(x.numpy()[:, :, :, 0], [np.full((2, 2), 0.2), np.full((2, 2), 0.9)])
    # Drawn alphas: one per sample in [0, 1], reproducible from an integer seed.
    critic = linear_critic(np.array([2.0], np.float32))
    a = float(losses.gradient_penalty(critic, np.ones((8, 1)), np.zeros((8, 1)), seed=3))
    b = float(losses.gradient_penalty(critic, np.ones((8, 1)), np.zeros((8, 1)), seed=3))
    assert a == b == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ConfigError, match="epsilon must be >= 0"):
        losses.gradient_penalty(critic, np.ones((1, 1)), np.zeros((1, 1)), epsilon=-1.0)


def test_clip_weights():
    v = keras.Variable(np.array([-0.5, 0.005, 0.3], np.float32))
    losses.clip_weights([v], 0.01)
    np.testing.assert_allclose(v.numpy(), [-0.01, 0.005, 0.01])
    with pytest.raises(ConfigError, match="c must be > 0"):
        losses.clip_weights([v], 0.0)


class RecordingQuadraticCritic:
    """f(x) = 1/2 |x|^2 per sample (non-linear: its gradient x_hat depends on where alpha mixes).

    Records the interpolates it is called with, so the test can read the alphas that were drawn.
    """

    def __init__(self):
        self.inputs = []

    def __call__(self, x, training=False):
        self.inputs.append(x.numpy())
        return 0.5 * tf.reduce_sum(tf.square(x), axis=list(range(1, len(x.shape))))[:, None]


@pytest.mark.parametrize("shape", [(3,), (4, 4, 2)], ids=["rank2_rows", "rank4_images"])
def test_gradient_penalty_draws_one_alpha_per_sample(shape):
    rng = np.random.default_rng(0)
    fake = rng.normal(size=(16, *shape)).astype(np.float32)
    real = fake + 1.0 + rng.uniform(size=fake.shape).astype(np.float32)  # real - fake >= 1 everywhere
    critic = RecordingQuadraticCritic()
    eps = 0.5  # large, so that sqrt(s + eps) and sqrt(s) + eps differ clearly
    gp = float(losses.gradient_penalty(critic, real, fake, seed=keras.random.SeedGenerator(7), epsilon=eps))
    (x_hat,) = critic.inputs
    alpha = (x_hat - fake) / (real - fake)  # (16, *shape): the mixing weight seen at every element
    axes = tuple(range(1, alpha.ndim))
    # One alpha per sample: a per-element (or per-pixel) draw would vary inside a sample.
    np.testing.assert_allclose(alpha, np.broadcast_to(alpha.mean(axis=axes, keepdims=True), alpha.shape), atol=1e-5)
    per_sample = alpha.mean(axis=axes)
    assert per_sample.min() >= 0 and per_sample.max() <= 1 and per_sample.std() > 0.15  # U[0, 1], drawn
    # Hand-computed penalty: the critic's gradient at x_hat is x_hat itself.
    a = per_sample.reshape((-1,) + (1,) * len(shape))
    mix = a * real + (1 - a) * fake
    norms = np.sqrt(np.sum(mix.astype(np.float64) ** 2, axis=axes) + eps)
    assert gp == pytest.approx(np.mean((norms - 1) ** 2), rel=1e-5)
    # With alpha ~ U[0, 1] drawn per element instead, this critic's gradient norms change.
    per_element = rng.uniform(size=fake.shape)
    mix_e = per_element * real + (1 - per_element) * fake
    assert np.abs(np.sqrt(np.sum(mix_e ** 2, axis=axes) + eps) - norms).max() > 0.5


def test_gradient_penalty_seed_fixes_the_draw_for_a_nonlinear_critic():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(8, 2, 2, 1)).astype(np.float32)
    fake = rng.normal(size=(8, 2, 2, 1)).astype(np.float32)
    critic = RecordingQuadraticCritic()
    a = float(losses.gradient_penalty(critic, real, fake, seed=3))
    b = float(losses.gradient_penalty(critic, real, fake, seed=3))
    c = float(losses.gradient_penalty(critic, real, fake, seed=4))
    assert a == b and a != pytest.approx(c, rel=1e-3)  # the critic is non-linear: alpha matters
    np.testing.assert_array_equal(critic.inputs[0], critic.inputs[1])
