import numpy as np
import pytest
import tensorflow as tf

from genlab.errors import ConfigError, InputShapeError, LabelError
from robustness.attacks import fgsm, input_gradient, per_example_loss, pgd, targeted_noise
from tests.robustness.conftest import accuracy


def _loss(model, x, y):
    return per_example_loss(model, tf.constant(x), tf.constant(y, tf.int32)).numpy()


def test_fgsm_moves_every_input_by_epsilon_along_the_gradient_sign(digits, digits_cnn):
    x, y, eps = digits.x_test[:64], digits.y_test[:64], 0.05
    x_adv = fgsm(digits_cnn, x, y, eps, clip=None)
    grad = input_gradient(digits_cnn, tf.constant(x), tf.constant(y, tf.int32)).numpy()
    moved = x_adv - x
    np.testing.assert_array_equal(np.sign(moved), np.sign(grad))
    nonzero = grad != 0
    assert nonzero.mean() > 0.9  # the conv net sees almost every pixel
    np.testing.assert_allclose(np.abs(moved[nonzero]), eps, atol=1e-6)
    np.testing.assert_allclose(np.abs(moved).reshape(len(x), -1).max(1), eps, atol=1e-6)
    assert np.mean(_loss(digits_cnn, x_adv, y) > _loss(digits_cnn, x, y)) > 0.95


def test_fgsm_clips_to_the_valid_range_and_lowers_accuracy(digits, digits_cnn):
    x, y = digits.x_test, digits.y_test
    x_adv = fgsm(digits_cnn, x, y, 0.2, batch_size=128)
    assert x_adv.shape == x.shape and x_adv.dtype == np.float32
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert np.abs(x_adv - x).max() <= 0.2 + 1e-6
    assert accuracy(digits_cnn, x_adv, y) < accuracy(digits_cnn, x, y) - 0.3


def test_targeted_fgsm_steps_towards_the_target(digits, digits_cnn):
    x = digits.x_test[:64]
    target = (digits.y_test[:64] + 1) % 10
    x_adv = fgsm(digits_cnn, x, target, 0.05, clip=None, targeted=True)
    grad = input_gradient(digits_cnn, tf.constant(x), tf.constant(target, tf.int32)).numpy()
    np.testing.assert_array_equal(np.sign(x_adv - x), -np.sign(grad))
    assert np.mean(_loss(digits_cnn, x_adv, target) < _loss(digits_cnn, x, target)) > 0.95


def test_fgsm_with_zero_epsilon_is_identity(digits, digits_cnn):
    x = digits.x_test[:10]
    np.testing.assert_array_equal(fgsm(digits_cnn, x, digits.y_test[:10], 0.0), x)


@pytest.mark.parametrize("random_start", [True, False])
def test_pgd_stays_in_the_ball_and_the_valid_range(digits, digits_cnn, random_start):
    x, y, eps = digits.x_test, digits.y_test, 0.1
    x_adv = pgd(digits_cnn, x, y, eps, steps=5, step_size=0.04, random_start=random_start, seed=0,
                batch_size=200)
    assert np.abs(x_adv - x).max() <= eps + 1e-6
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    x_fgsm = fgsm(digits_cnn, x, y, eps)
    assert accuracy(digits_cnn, x_adv, y) <= accuracy(digits_cnn, x_fgsm, y) + 0.02


def test_pgd_seed_makes_the_random_start_reproducible(digits, digits_cnn):
    x, y = digits.x_test[:32], digits.y_test[:32]
    a = pgd(digits_cnn, x, y, 0.1, 1, 0.01, seed=3)
    np.testing.assert_array_equal(a, pgd(digits_cnn, x, y, 0.1, 1, 0.01, seed=3))
    assert not np.array_equal(a, pgd(digits_cnn, x, y, 0.1, 1, 0.01, seed=4))


def test_targeted_noise_reaches_the_target(digits, digits_cnn):
    x = digits.x_test[:60]
    target = (digits.y_test[:60] + 3) % 10
    x_adv, success = targeted_noise(digits_cnn, x, target, c=0.01, steps=100, learning_rate=0.01)
    assert success.dtype == bool and success.shape == (60,)
    assert success.mean() >= 0.9
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    pred = digits_cnn.predict(x_adv, verbose=0).argmax(1)
    np.testing.assert_array_equal(success, pred == target)
    # the smallest successful noise is kept: measured 0.14 per pixel on average
    assert np.abs(x_adv - x).mean() < 0.2


def test_targeted_noise_accepts_one_target_for_all_and_a_larger_c_gives_less_noise(digits, digits_cnn):
    x = digits.x_test[:20]
    small, _ = targeted_noise(digits_cnn, x, 4, c=0.001, steps=30)
    large, _ = targeted_noise(digits_cnn, x, 4, c=0.5, steps=30)
    assert np.abs(large - x).sum() < np.abs(small - x).sum()


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x, y: fgsm(m, x, y, -0.1), ConfigError, "epsilon must be a finite number >= 0"),
    (lambda m, x, y: fgsm(m, x, y, float("nan")), ConfigError, "epsilon"),
    (lambda m, x, y: fgsm(m, x, y, 0.1, clip=(1, 0)), ConfigError, "low < high"),
    (lambda m, x, y: fgsm(m, x[:, :4], y, 0.1), InputShapeError, r"expects \(n_rows, 8, 8, 1\)"),
    (lambda m, x, y: fgsm(m, x, y[:3], 0.1), LabelError, "3 labels for 6 rows"),
    (lambda m, x, y: fgsm(m, x, y + 10, 0.1), LabelError, "outside"),
    (lambda m, x, y: pgd(m, x, y, 0.1, steps=0, step_size=0.01), ConfigError,
     "steps must be an integer >= 1"),
    (lambda m, x, y: pgd(m, x, y, 0.1, steps=2.5, step_size=0.01), ConfigError, "steps"),
    (lambda m, x, y: pgd(m, x, y, -1, steps=2, step_size=0.01), ConfigError, "epsilon"),
    (lambda m, x, y: pgd(m, x, y, 0.1, steps=2, step_size=0), ConfigError,
     "step_size must be a finite number > 0"),
    (lambda m, x, y: targeted_noise(m, x, y, c=-1), ConfigError, "c must be"),
    (lambda m, x, y: targeted_noise(m, x, y, steps=0), ConfigError, "steps"),
    (lambda m, x, y: targeted_noise(m, x, y, learning_rate=0), ConfigError, "learning_rate"),
    (lambda m, x, y: targeted_noise(m, x, y, initial_noise=np.zeros((2, 8, 8, 1))), ConfigError,
     "initial_noise"),
    (lambda m, x, y: fgsm(m, x, y, 0.1, batch_size=0), ConfigError, "batch_size"),
])
def test_bad_arguments_raise_clear_errors(digits, digits_cnn, call, error, match):
    with pytest.raises(error, match=match):
        call(digits_cnn, digits.x_test[:6], digits.y_test[:6])


def test_logits_model_with_from_logits_gives_the_same_attack(digits, digits_cnn):
    import keras

    logits = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(16, 3, activation="relu"),
                               keras.layers.Flatten(), keras.layers.Dense(10)])
    logits.set_weights(digits_cnn.get_weights())
    x, y = digits.x_test[:32], digits.y_test[:32]
    a = fgsm(digits_cnn, x, y, 0.1, clip=None)
    b = fgsm(logits, x, y, 0.1, clip=None, from_logits=True)
    assert np.mean(a == b) > 0.99  # signs agree except where the gradient is ~0
    p_a = pgd(digits_cnn, x, y, 0.1, 3, 0.05, seed=1)
    p_b = pgd(logits, x, y, 0.1, 3, 0.05, seed=1, from_logits=True)
    assert np.mean(np.isclose(p_a, p_b, atol=1e-6)) > 0.98
