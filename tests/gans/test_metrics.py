"""Image metrics: Frechet distance golden values, classifier features, coverage, conditional accuracy."""

import numpy as np
import pytest
from scipy import linalg

from gans import metrics
from genlab.errors import InputShapeError, LabelError


def test_frechet_distance_matches_closed_form_for_gaussians():
    rng = np.random.default_rng(0)
    mu_a, mu_b = np.array([0.0, 1.0, -1.0]), np.array([1.0, 0.0, 0.5])
    cov_a = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    cov_b = np.array([[1.0, -0.2, 0.1], [-0.2, 0.7, 0.0], [0.1, 0.0, 1.5]])
    a = rng.multivariate_normal(mu_a, cov_a, size=200_000)
    b = rng.multivariate_normal(mu_b, cov_b, size=200_000)
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(linalg.sqrtm(cov_a @ cov_b)))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_frechet_distance_of_diagonal_gaussians_and_identical_sets():
    # Diagonal covariances: d^2 = |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2.
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, size=(100_000, 2))
    b = rng.normal(2.0, 3.0, size=(100_000, 2))
    assert metrics.frechet_distance(a, b) == pytest.approx(2 * 4 + 2 * 4, rel=0.02)
    assert metrics.frechet_distance(a[:500], a[:500]) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_rejects_mismatched_widths():
    with pytest.raises(InputShapeError, match="same d"):
        metrics.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))


def test_classifier_is_accurate_and_features_are_penultimate(classifier, digits):
    assert metrics.accuracy(classifier, digits.x_test, digits.y_test) > 0.8
    feats = metrics.features(classifier, digits.x_test[:10])
    assert feats.shape == (10, 32)


def test_classifier_frechet_distance_real_vs_real_below_real_vs_noise(classifier, digits):
    real_a, real_b = digits.x_train[:200], digits.x_test[:200]
    noise = np.random.default_rng(0).uniform(size=real_a.shape).astype(np.float32)
    rr = metrics.classifier_frechet_distance(classifier, real_a, real_b)
    rn = metrics.classifier_frechet_distance(classifier, real_a, noise)
    assert 0 <= rr < rn
    with pytest.raises(InputShapeError, match="same number"):
        metrics.classifier_frechet_distance(classifier, real_a, noise[:100])
    with pytest.raises(InputShapeError, match="images must be"):
        metrics.classifier_frechet_distance(classifier, real_a[:, :4], noise[:, :4])


def test_class_coverage_of_real_and_collapsed_sets(classifier, digits):
    real = metrics.class_coverage(classifier, digits.x_test)
    assert real.n_covered == 10 and real.kl_to_uniform < 0.05
    assert real.fractions.sum() == pytest.approx(1.0)
    zeros = digits.x_test[digits.y_test == 0]
    collapsed = metrics.class_coverage(classifier, zeros)
    assert collapsed.n_covered == 1
    assert collapsed.kl_to_uniform > 0.8 * np.log(10)


def test_conditional_accuracy(classifier, digits):
    x, y = digits.x_test, digits.y_test
    assert metrics.conditional_accuracy(classifier, x, y) > 0.8
    assert metrics.conditional_accuracy(classifier, x, (y + 1) % 10) < 0.2
    with pytest.raises(LabelError, match="one label per image"):
        metrics.conditional_accuracy(classifier, x, y[:3])


def test_metric_classifier_loads_from_cache(classifier, tmp_path):
    classifier.save(tmp_path / "mnist_classifier.keras")
    (tmp_path / "mnist_classifier.txt").write_text("0.5\n")
    loaded = metrics.metric_classifier(cache_dir=tmp_path)  # no data_dir needed: cached
    assert loaded.test_accuracy == 0.5
    x = np.zeros((2,) + tuple(classifier.input_shape[1:]), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), classifier.predict(x, verbose=0), atol=1e-6)
