"""Tabular GAN / cGAN: networks from the study's specs, training, snapping, decoding, export."""

import keras
import numpy as np
import pandas as pd
import pytest

from genlab.errors import ConfigError, LabelError
from genlab.export import reload_and_compare
from tabular.gan import (RestoreBestEarlyStopping, TabularCGAN, TabularGAN, TabularGANConfig,
                         export_generator)
from tabular.transformer import TabularTransformer

TINY = TabularGANConfig(latent_dim=4, generator_layers=(16, 16), discriminator_layers=(8,), batch_size=64)


@pytest.fixture
def transformer(frame):
    return TabularTransformer(target="label", positive_label="yes").fit(frame)


def _dense_units(model):
    return [l.units for l in model.layers if isinstance(l, keras.layers.Dense)]


def test_default_networks_are_the_studys(transformer):
    model = TabularGAN.build(transformer, seed=0)
    assert model.generator.input_shape == (None, 32)
    assert _dense_units(model.generator) == [64, 128, 256, 512, 256, transformer.output_width_]
    assert model.generator.layers[-1].activation.__name__ == "tanh"
    assert any(isinstance(l, keras.layers.BatchNormalization) for l in model.generator.layers)
    assert any(isinstance(l, keras.layers.LeakyReLU) for l in model.generator.layers)
    assert _dense_units(model.discriminator) == [64, 32, 1]
    model.compile()
    assert model.g_optimizer.weight_decay and model.g_optimizer is not model.d_optimizer


def test_cgan_gives_the_label_to_both_networks(transformer):
    model = TabularCGAN.build(transformer, seed=0)
    assert model.generator.input_shape == (None, 32 + 2)
    assert model.discriminator.input_shape == (None, transformer.feature_width_ + 2)


def test_train_and_generate_rows_in_schema(frame, transformer):
    model = TabularGAN.build(transformer, TINY, seed=0)
    history = model.train(transformer.transform(frame), epochs=2, warmup=0, patience=5)
    assert set(history.history) == {"d_loss", "g_loss"}
    rows = model.generate(50)
    assert list(rows.columns) == list(frame.columns) and len(rows) == 50
    assert (rows.dtypes == frame.dtypes).all()
    assert set(rows["colour"]) <= {"red", "green", "blue"} and set(rows["label"]) <= {"yes", "no"}
    x, labels = model.generate_encoded(20)
    assert labels is None
    for span in transformer.spans_for("categorical"):
        np.testing.assert_array_equal(x[:, span.start:span.stop].sum(axis=1), 1.0)
    with pytest.raises(LabelError, match="unconditional"):
        model.generate(5, label="yes")


def test_cgan_generates_the_requested_label(frame, transformer):
    model = TabularCGAN.build(transformer, TINY, seed=0)
    x, y = transformer.transform(frame, include_target=False), transformer.transform_target(frame)
    model.train(x, y, epochs=1)
    assert model.positive_rate == pytest.approx(y.mean())
    assert (model.generate(30, label="yes")["label"] == "yes").all()
    assert (model.generate(30, label=0)["label"] == "no").all()
    assert set(model.generate(200)["label"]) == {"yes", "no"}
    with pytest.raises(LabelError, match="needs labels"):
        model.train(x, epochs=1)


def test_config_round_trip(transformer):
    model = TabularCGAN.build(transformer, TINY, seed=3)
    clone = TabularCGAN.from_config(model.get_config())
    assert (clone.n_classes, clone.seed, clone.weight_decay) == (2, 3, TINY.weight_decay)
    assert clone.generator.output_shape == model.generator.output_shape


def test_bad_config():
    with pytest.raises(ConfigError, match="epochs"):
        TabularGANConfig(epochs=0)


def test_early_stopping_restores_best_weights_at_the_end():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    stopper = RestoreBestEarlyStopping(monitor="g_loss", mode="min", patience=10,
                                       restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        model.layers[0].kernel.assign([[float(epoch)]])
        stopper.on_epoch_end(epoch, {"g_loss": loss})
    stopper.on_train_end()
    assert float(model.layers[0].kernel.numpy()[0, 0]) == 1.0


def test_exported_generator_matches(frame, transformer, tmp_path):
    model = TabularCGAN.build(transformer, TINY, seed=0)
    z = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[[0, 1] * 4]
    export_generator(model, tmp_path / "g")
    expected = model.generator(np.concatenate([z, y], 1), training=False).numpy()
    out = reload_and_compare(tmp_path / "g", [z, y], expected, atol=1e-5)
    decoded = transformer.inverse_transform(out, labels=y.argmax(1))
    assert isinstance(decoded, pd.DataFrame) and list(decoded["label"]) == ["no", "yes"] * 4


def test_save_and_load(frame, transformer, tmp_path):
    model = TabularCGAN.build(transformer, TINY, seed=0)
    model.train(transformer.transform(frame, include_target=False), transformer.transform_target(frame), epochs=1)
    model.save(tmp_path / "m")
    clone = TabularCGAN.load(tmp_path / "m")
    z = np.random.default_rng(1).normal(size=(5, 4 + 2)).astype(np.float32)
    np.testing.assert_allclose(clone.generator(z, training=False).numpy(),
                               model.generator(z, training=False).numpy(), atol=1e-6)
    assert clone.positive_rate == model.positive_rate
    assert list(clone.generate(3, label="yes")["label"]) == ["yes"] * 3
    with pytest.raises(ConfigError, match="lacks"):
        TabularCGAN.load(tmp_path / "nothing")
