"""Latent-size study and transfer of a pretrained encoder, on scikit-learn's 8x8 digits."""

import keras
import numpy as np
import pytest

from gans.autoencoder import conv_autoencoder
from genlab import data
from genlab.errors import ConfigError, InputShapeError
from genlab.seeding import set_seed
from vaec.representation import (latent_size_figure, latent_size_study, max_latent_correlation,
                                 reconstruction_loss, set_encoder_trainable, transfer_classifier,
                                 transfer_study)


def test_max_latent_correlation_known_values(rng):
    x, noise = rng.normal(size=500), rng.normal(size=500)
    assert max_latent_correlation(np.c_[x, -2 * x + 1, noise]) == pytest.approx(1.0)
    independent = max_latent_correlation(rng.normal(size=(5000, 4)))
    assert independent < 0.05
    # r = 0.6 by construction: y = 0.6 x + 0.8 e with x, e independent unit normals.
    x, e = rng.normal(size=(2, 20000))
    assert max_latent_correlation(np.c_[x, 0.6 * x + 0.8 * e]) == pytest.approx(0.6, abs=0.02)
    # Constant (dead) coordinates are ignored, not NaN.
    assert max_latent_correlation(np.c_[x, np.ones_like(x), 0.6 * x + 0.8 * e]) == pytest.approx(0.6, abs=0.02)
    assert max_latent_correlation(np.c_[x, np.ones_like(x)]) == 0.0
    with pytest.raises(InputShapeError, match="2-D array"):
        max_latent_correlation(np.zeros(5))


def test_reconstruction_loss_of_a_perfect_and_a_constant_model():
    x = np.random.default_rng(0).integers(0, 2, (6, 4, 4, 1)).astype(np.float32)
    identity = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Identity()])
    perfect = reconstruction_loss(identity, x, batch_size=4)
    assert perfect["mse"] == pytest.approx(0.0) and perfect["bce"] < 1e-5
    half = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Lambda(lambda t: t * 0 + 0.5)])
    assert reconstruction_loss(half, x)["bce"] == pytest.approx(np.log(2), rel=1e-5)


@pytest.fixture(scope="module")
def study():
    split = data.digits_images()
    set_seed(0)
    records, models = latent_size_study(
        lambda d: conv_autoencoder((8, 8, 1), latent_dim=d, filters=(8, 16)), split.x_train,
        split.x_test, sizes=(2, 12), epochs=8, batch_size=64)
    return split, records, models


def test_latent_size_study_records_and_plot(study):
    split, records, models = study
    assert [r["latent_dim"] for r in records] == [2, 12]
    # Learned, not just run: every trained code reconstructs the test images clearly better than
    # a decoder that outputs 0.5 for every pixel, BCE log 2 (what the untrained autoencoder does:
    # measured 0.694). Eight epochs measured 0.58 (code 2) and 0.54 (code 12).
    for r in records:
        assert r["test_bce"] < np.log(2) - 0.05, r
    # The records describe the returned models' codes on the test images.
    for r in records:
        codes = np.asarray(models[r["latent_dim"]].encoder.predict(split.x_test, batch_size=1000, verbose=0))
        assert r["max_abs_correlation"] == pytest.approx(max_latent_correlation(codes), abs=1e-6)
        assert r["dead_units"] == int((codes.std(axis=0) <= 1e-12).sum())
        assert r["mean_abs_correlation"] <= r["max_abs_correlation"]
    # A wider code reconstructs better than a 2-D one.
    assert records[1]["test_mse"] < records[0]["test_mse"]
    assert models[12].encoder.output_shape == (None, 12)
    fig = latent_size_figure(records)
    assert len(fig.axes) == 2
    with pytest.raises(ConfigError, match="code widths >= 1"):
        latent_size_study(lambda d: None, split.x_train, split.x_test, sizes=(0,))


def test_frozen_encoder_keeps_weights_and_batchnorm_statistics(study):
    split, _, models = study
    encoder = models[12].encoder
    model = transfer_classifier(encoder, 10, augment=False)
    inner = model.get_layer("encoder")
    before = [w.copy() for w in inner.get_weights()]
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(split.x_train[:64], split.y_train[:64], epochs=1, batch_size=16, verbose=0)
    for a, b in zip(before, inner.get_weights()):  # kernels and moving mean / variance
        np.testing.assert_array_equal(a, b)
    # The pretrained encoder itself is untouched (the classifier holds a copy).
    for a, b in zip(before, encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Unfrozen: kernels move, BatchNorm moving statistics still do not.
    set_encoder_trainable(model, True)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(split.x_train[:64], split.y_train[:64], epochs=2, batch_size=16, verbose=0)
    changed = {v.path: not np.array_equal(a, v.numpy()) for a, v in zip(before, inner.weights)}
    assert any(c for p, c in changed.items() if "kernel" in p)
    assert not any(c for p, c in changed.items() if "moving" in p)


def test_transfer_study_beats_chance_and_reports_both_modes(study):
    split, _, models = study
    rows = transfer_study(models[12].encoder, split.x_train, split.y_train, split.x_test,
                          split.y_test, n_labels=50, draws=1, head_epochs=30, fine_tune_epochs=5,
                          batch_size=25, augment=False)
    assert [r["mode"] for r in rows] == ["frozen", "fine_tuned"]
    for r in rows:
        assert r["n_labels"] == 50 and r["draw"] == 0
        assert r["accuracy"] > 0.4, r  # chance is 0.1
