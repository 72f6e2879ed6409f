import glob

import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, LabelError, UnknownNameError
from genlab.export import reload_and_compare
from genlab.layers import LayerSpec
from vaec import VAEC, LatentPlotCallback, VAECConfig


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    x = StandardScaler().fit_transform(data.data).astype(np.float32)
    return x[:96], data.target[:96]


def small_config(**kw):
    base = dict(input_shape=(30,), n_classes=2, latent_dim=2,
                encoder_layers=(LayerSpec(8, batch_norm=True),), head_layers=(6,), seed=1)
    return VAECConfig(**{**base, **kw})


def snapshot(model):
    return {v.path: np.array(v.numpy()) for v in model.weights}


def part_of(model):
    """Map variable id -> the sub-model that owns it."""
    return {id(v): name for name in ("encoder", "decoder", "classifier_head")
            for v in getattr(model, name).weights}


EXPECTED_PARTS = {
    "all_parts": {"encoder", "decoder", "classifier_head"},
    "autoencoder": {"encoder", "decoder"},
    "classifier_head": {"classifier_head"},
    "mlp_classifier": {"encoder", "classifier_head"},
    "var_mlp_classifier": {"encoder", "classifier_head"},
}


@pytest.mark.parametrize("strategy", VAEC.STRATEGIES)
def test_strategy_changes_exactly_its_variables(cancer, strategy):
    x, y = cancer
    keras.utils.set_random_seed(0)
    model = VAEC(small_config())
    before = snapshot(model)
    model.fit_strategy(strategy, x, y, epochs=1, batch_size=32, verbose=0)
    after = snapshot(model)
    updated = {id(v) for v in model.strategy_variables(strategy)}
    parts = part_of(model)
    for v in model.trainable_weights:
        changed = not np.array_equal(before[v.path], after[v.path])
        part = parts[id(v)]
        should = id(v) in updated
        assert changed == should, f"{strategy}: {v.path} changed={changed}, expected {should}"
        assert (part in EXPECTED_PARTS[strategy]) or not changed
    if strategy == "mlp_classifier":  # no sampling: the log-variance layer is not trained
        assert all("z_log_var" not in v.path for v in model.strategy_variables(strategy))
    # Non-trainable state (BatchNorm statistics) of parts outside the strategy stays put.
    for v in model.non_trainable_weights:
        part = parts.get(id(v))
        if part is not None and part not in EXPECTED_PARTS[strategy]:
            np.testing.assert_array_equal(before[v.path], after[v.path], err_msg=v.path)


def test_frozen_encoder_batchnorm_statistics_unchanged(cancer):
    x, y = cancer
    model = VAEC(small_config())
    model.fit_autoencoder(x, epochs=1, verbose=0)
    bn = [v for v in model.encoder.non_trainable_weights if "moving" in v.path]
    assert bn, "test config must have BatchNorm in the encoder"
    stats = [np.array(v.numpy()) for v in bn]
    enc = [np.array(v.numpy()) for v in model.encoder.weights]
    model.fit_classifier_head(x, y, epochs=2, verbose=0)
    for v, s in zip(bn, stats):
        np.testing.assert_array_equal(v.numpy(), s)
    for v, s in zip(model.encoder.weights, enc):
        np.testing.assert_array_equal(v.numpy(), s)


def test_var_mlp_predicts_deterministically_from_z_mean(cancer):
    x, y = cancer
    model = VAEC(small_config())
    model.fit_var_mlp_classifier(x, y, epochs=2, verbose=0)
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)
    probs, z_mean = model.mlp_classifier_with_z.predict(x, verbose=0)
    np.testing.assert_allclose(probs, p1, atol=1e-6)
    np.testing.assert_allclose(model.classifier_head.predict(z_mean, verbose=0), p1, atol=1e-6)
    np.testing.assert_allclose(model.mlp_classifier.predict(x, verbose=0), p1, atol=1e-6)


def test_training_improves_accuracy(cancer):
    x, y = cancer
    keras.utils.set_random_seed(0)
    model = VAEC(small_config())
    history = model.fit_mlp_classifier(x, y, epochs=40, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert history.history["prediction_loss"][-1] < history.history["prediction_loss"][0]


def test_config_and_keras_file_round_trip(cancer, tmp_path):
    x, y = cancer
    model = VAEC(small_config(latent_dim=3, reconstruction_loss="mse"))
    model.fit_all_parts(x, y, epochs=1, verbose=0)
    clone = VAEC.from_config(model.get_config())
    assert clone.config == model.config
    assert VAECConfig.from_dict(model.config.to_dict()) == model.config
    path = tmp_path / "vaec.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VAEC) and loaded.config == model.config
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_export_round_trip(cancer, tmp_path):
    x, y = cancer
    model = VAEC(small_config())
    model.fit_var_mlp_classifier(x, y, epochs=1, verbose=0)
    model.export(tmp_path / "export")
    z_mean, z_log_var, _ = model.encode(x)
    got = reload_and_compare(tmp_path / "export", x, {
        "probabilities": model.predict(x, verbose=0), "z_mean": z_mean, "z_log_var": z_log_var},
        atol=1e-5)
    assert set(got) == {"probabilities", "z_mean", "z_log_var"}


def test_bad_input_raises_named_errors(cancer):
    x, y = cancer
    model = VAEC(small_config())
    with pytest.raises(InputShapeError, match=r"shape \(96, 29\); the model expects \(n_rows, 30\)"):
        model.fit_all_parts(x[:, :29], y, verbose=0)
    bad = x.copy()
    bad[3, 4] = np.nan
    with pytest.raises(InvalidValueError, match="NaN"):
        model.fit_mlp_classifier(bad, y, verbose=0)
    with pytest.raises(LabelError, match=r"outside \[0, 2\)"):
        model.fit_mlp_classifier(x, np.where(y == 1, 2, 0), verbose=0)
    with pytest.raises(LabelError, match="validation y has 5 labels for 10 rows"):
        model.fit_mlp_classifier(x, y, verbose=0, validation_data=(x[:10], y[:5]))
    with pytest.raises(LabelError, match="y is required"):
        model.fit_classifier_head(x, None, verbose=0)
    with pytest.raises(UnknownNameError, match="unknown strategy 'mlp'.*mlp_classifier"):
        model.fit_strategy("mlp", x, y)
    with pytest.raises(UnknownNameError, match="unknown option 'epoch'"):
        model.fit_all_parts(x, y, epoch=3)
    with pytest.raises(ConfigError, match="validation_data must be a tuple"):
        model.fit_mlp_classifier(x, y, verbose=0, validation_data=x[:10])
    with pytest.raises(ConfigError, match="reconstruction_loss must be"):
        small_config(reconstruction_loss="l1")
    with pytest.raises(ConfigError, match="not divisible"):
        VAECConfig(input_shape=(10, 10, 1), n_classes=2, conv_filters=(8, 8))


def test_conv_model_on_digits_and_latent_plots(tmp_path):
    from genlab.data import digits_images

    split = digits_images()
    cfg = VAECConfig(input_shape=(8, 8, 1), n_classes=10, latent_dim=3, conv_filters=(8, 16),
                     encoder_layers=(32,), head_layers=(16,), reconstruction_loss="bce")
    model = VAEC(cfg)
    cb = LatentPlotCallback((split.x_train, split.y_train), (split.x_test, split.y_test),
                            log_dir=tmp_path / "tb", png_dir=tmp_path / "png", epochs=(1,),
                            max_points=300)
    history = model.fit_all_parts(split.x_train, split.y_train, epochs=2, batch_size=64, verbose=0,
                                  validation_data=(split.x_test, split.y_test), callbacks=[cb])
    assert set(history.history) >= {"loss", "reconstruction_loss", "kl_loss", "prediction_loss",
                                    "accuracy", "sampled_accuracy", "val_loss", "val_accuracy"}
    assert model.decoder(split.x_test[:2, :2, :2, 0].reshape(2, 4)[:, :3]).shape == (2, 8, 8, 1)
    assert cb.logged_epochs == [1, 2]
    assert len(glob.glob(str(tmp_path / "png" / "latent_epoch*.png"))) == 2
