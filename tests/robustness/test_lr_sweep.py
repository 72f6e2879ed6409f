import keras
import numpy as np
import pytest

from genlab.errors import ConfigError, UnknownNameError
from robustness.lr_sweep import lr_grid, lr_range_test, lr_sweep, plot_loss_curves
from tests.robustness.conftest import small_cnn


def test_lr_grid_spans_the_decades():
    grid = lr_grid()
    assert len(grid) == 10
    np.testing.assert_allclose(grid, 10.0 ** np.arange(-10, 0))
    assert len(lr_grid(1e-4, 1e-1, per_decade=3)) == 10
    with pytest.raises(ConfigError, match="0 < low < high"):
        lr_grid(1e-1, 1e-3)


def test_lr_sweep_curves_and_figure(digits, tmp_path):
    x, y = digits.x_train[:256], digits.y_train[:256]
    curves = lr_sweep(lambda: small_cnn(0), x, y, learning_rates=[1e-10, 1e-3, 1e-1], epochs=2,
                      batch_size=64, log_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lr_1e-01", "lr_1e-03", "lr_1e-10"]
    assert list(curves) == [1e-10, 1e-3, 1e-1] and all(len(c) == 2 for c in curves.values())
    # same initial weights: the tiny rate leaves the loss where every run starts
    assert curves[1e-10][0] == pytest.approx(curves[1e-10][1], abs=1e-4)
    assert curves[1e-1][-1] < curves[1e-3][-1] < curves[1e-10][-1]
    fig = plot_loss_curves(curves)
    assert len(fig.axes[0].lines) == 3


@pytest.mark.parametrize("optimizer, low, high", [("sgd", 1e-2, 2.0), ("adam", 1e-3, 0.1)])
def test_range_test_suggests_a_sensible_rate(digits, optimizer, low, high):
    # Measured (100 steps, seeds 0-2): SGD steepest 0.42-0.51, Adam steepest 0.012-0.015,
    # Adam min-loss/10 0.004-0.03.
    model = small_cnn(0)
    before = [w.copy() for w in model.get_weights()]
    result = lr_range_test(model, digits.x_train, digits.y_train, steps=100, optimizer=optimizer)
    assert low <= result.suggestion() <= high
    assert low / 10 <= result.suggestion("min_fraction") <= high
    assert result.suggestion() <= result.min_loss_lr
    assert len(result.learning_rates) == len(result.losses) == len(result.smoothed)
    assert np.all(np.diff(result.learning_rates) > 0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # weights restored
    assert len(result.figure().axes[0].lines) == 4


def test_suggested_rate_trains_better_than_a_hundredth_of_it(digits):
    x, y = digits.x_train, digits.y_train
    suggested = lr_range_test(small_cnn(0), x, y, steps=100, optimizer="adam").suggestion()
    losses = {}
    for lr in (suggested, suggested / 100):
        model = small_cnn(0)
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
        losses[lr] = model.fit(x, y, epochs=2, batch_size=64, verbose=0).history["loss"][-1]
    assert np.isfinite(losses[suggested]) and losses[suggested] < losses[suggested / 100]


def test_range_test_stops_when_the_loss_diverges(digits):
    result = lr_range_test(small_cnn(0), digits.x_train, digits.y_train, min_lr=1e-3, max_lr=1e4,
                           steps=60)
    assert result.stopped_early and len(result.losses) < 60


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(min_lr=1.0, max_lr=0.1), ConfigError, "0 < min_lr < max_lr"),
    (dict(steps=2), ConfigError, "steps must be an integer >= 5"),
    (dict(beta=1.0), ConfigError, "beta"),
    (dict(optimizer="lion"), UnknownNameError, "unknown optimizer 'lion'"),
])
def test_range_test_rejects_bad_settings(digits, kwargs, error, match):
    with pytest.raises(error, match=match):
        lr_range_test(small_cnn(0), digits.x_train[:64], digits.y_train[:64], **kwargs)
