"""One suite for every registered method: fit on a mixed frame (integer, float, categorical, boolean,
missing values), sample, conditions, save / load, checkpoints, export loaded with plain TensorFlow."""

import dataclasses
import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import (ConfigError, ExportMismatchError, InvalidValueError, NotFittedError, PathExistsError, SavedStateError,
                           UnknownNameError)
from tabular.synthesizers import (AEGANConfig, AEWGANGPConfig, CGANConfig, CTGANConfig, DiffusionConfig, GANConfig,
                                  Synthesizer, TVAEConfig, budget_field, methods)

from ..conftest import mixed_frame

TINY = {
    "tvae": TVAEConfig(epochs=3, latent_dim=8, hidden=(16,), batch_size=100, prior_components=3),
    "ctgan": CTGANConfig(epochs=2, latent_dim=8, generator_dims=(16,), critic_dims=(16,), pac=5, batch_size=100),
    "gan": GANConfig(epochs=2, latent_dim=8, generator_layers=(16,), discriminator_layers=(16,), batch_size=100,
                     warmup=0, patience=5),
    "cgan": CGANConfig(epochs=2, latent_dim=8, generator_layers=(16,), discriminator_layers=(16,), batch_size=100,
                       warmup=0, patience=5, condition_column="label"),
    "ae_gan": AEGANConfig(epochs=2, latent_dim=4, ae_hidden=(16,), ae_epochs=2, noise_dim=4, gan_hidden=(16,),
                          batch_size=100),
    "ae_wgan_gp": AEWGANGPConfig(epochs=2, latent_dim=4, ae_hidden=(16,), ae_epochs=2, noise_dim=4,
                                 gan_hidden=(16,), batch_size=100, critic_steps=2),
    "diffusion": DiffusionConfig(updates=8, batch_size=100, width=16, depth=1, steps=4),
}

#: Methods whose conditions are met by rejection alone (no conditional input).
REJECTION_ONLY = {"gan", "ae_gan", "ae_wgan_gp"}


def test_every_registered_method_is_in_the_suite():
    assert set(methods()) == set(TINY)


def test_budget_field_names_each_methods_training_length():
    # A benchmark passing its epoch budget as epochs=... to every method broke on "diffusion" (no such
    # field): the registry says which field sets each method's training length, and it must exist.
    for method in methods():
        field = budget_field(method)
        assert Synthesizer(method, **{field: 7}).config.__getattribute__(field) == 7, method
    assert budget_field("diffusion") == "updates" and budget_field("tvae") == "epochs"
    with pytest.raises(UnknownNameError, match="rk4"):
        budget_field("rk4")


@pytest.fixture(scope="module")
def frame():
    return mixed_frame()


@pytest.fixture(scope="module")
def fitted(frame, tmp_path_factory):
    """Each method fitted once, with a whole-model checkpoint and a backup callback."""
    out = {}
    for method, config in TINY.items():
        folder = tmp_path_factory.mktemp(method)
        callbacks = [keras.callbacks.ModelCheckpoint(str(folder / "last.keras")),
                     keras.callbacks.BackupAndRestore(str(folder / "backup"))]
        out[method] = (Synthesizer(method, config, seed=0).fit(frame, callbacks=callbacks), folder)
    return out


def _check_schema(rows: pd.DataFrame, frame: pd.DataFrame):
    assert list(rows.columns) == list(frame.columns)
    counts = rows["count"].to_numpy()
    assert np.issubdtype(counts.dtype, np.integer) and counts.min() >= 0 and counts.max() <= frame["count"].max()
    price = rows["price"].dropna().to_numpy(float)
    assert price.min() >= frame["price"].min() and price.max() <= frame["price"].max()
    np.testing.assert_allclose(price, np.round(price, 2), atol=1e-9)  # learned precision
    assert set(rows["city"].dropna()) <= set(frame["city"].dropna())
    assert set(rows["label"]) <= {"high", "low"} and rows["member"].dtype == bool


@pytest.mark.parametrize("method", TINY)
def test_fit_sample_and_conditions(method, fitted, frame):
    synth, _ = fitted[method]
    assert type(synth).method == method and synth.seconds_per_epoch_ > 0
    rows = synth.sample(300, seed=1)
    assert len(rows) == 300
    _check_schema(rows, frame)
    pd.testing.assert_frame_equal(synth.sample(40, seed=3), synth.sample(40, seed=3))
    assert not synth.sample(40, seed=3).equals(synth.sample(40, seed=4))
    label, cities = "high", ["Oslo", "Perth"]
    if method in REJECTION_ONLY:
        # an unconditional model barely trained may never produce a given pair; ask for pairs it does produce
        pairs = rows.dropna(subset=["city"]).value_counts(["label", "city"])
        label = pairs.index[0][0]
        cities = [city for (lab, city) in pairs.index if lab == label][:2]
    cond = synth.sample(60, conditions={"label": label, "city": cities}, seed=2)
    assert len(cond) == 60 and (cond["label"] == label).all() and cond["city"].isin(cities).all()
    assert 0 < synth.last_acceptance_rate_ <= 1
    low, high = rows["count"].quantile([0.2, 0.8])  # a range the (barely trained) model does produce
    ranged = synth.sample(30, conditions={"count": (low, high)}, seed=5)
    assert ranged["count"].between(low, high).all()


@pytest.mark.parametrize("method", TINY)
def test_save_load_and_checkpoints(method, fitted, tmp_path):
    synth, folder = fitted[method]
    synth.save(tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["model.keras", "synthesizer.json"]
    again = Synthesizer.load(tmp_path / "s")
    assert type(again) is type(synth) and again.config == synth.config
    pd.testing.assert_frame_equal(again.sample(80, seed=5), synth.sample(80, seed=5))
    assert (again.sample(30, conditions={"label": "low"}, seed=6)["label"] == "low").all()
    synth.save(tmp_path / "s")  # over an earlier save: replaced, nothing left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
    # Keras' checkpoint callbacks work on the model: the whole-model file reloads
    reloaded = keras.saving.load_model(folder / "last.keras", compile=False)
    assert type(reloaded) is type(synth.model_)
    assert not (folder / "backup").exists() or not any((folder / "backup").iterdir())  # removed after success


@pytest.mark.parametrize("method", TINY)
def test_export_samples_like_python(method, fitted, frame, tmp_path):
    synth, _ = fitted[method]
    path = synth.export(tmp_path / "export")
    assert "match the Python synthesizer" in synth.check_export(path, n=100)
    other = fitted["gan" if method != "gan" else "tvae"][0]
    with pytest.raises(ExportMismatchError, match="differs from Python's sample"):
        other.check_export(path, n=100)
    loaded = tf.saved_model.load(str(path))
    n, seed = tf.constant(64, tf.int64), tf.constant(3, tf.int64)
    out = loaded.sample(n=n, seed=seed)
    assert set(out) == set(frame.columns)
    assert out["count"].dtype == tf.int64 and out["price"].dtype == tf.float64
    assert out["city"].dtype == tf.string and out["member"].dtype == tf.bool
    python = synth.sample(64, seed=3)
    np.testing.assert_array_equal(out["count"].numpy(), python["count"].to_numpy())
    np.testing.assert_array_equal(np.isnan(out["price"].numpy()), python["price"].isna().to_numpy())
    cond = loaded.sample_conditional(n=tf.constant(20, tf.int64), seed=seed,
                                     conditions=tf.constant(["label=high", "city=Quito"]))
    assert {v.decode() for v in cond["label"].numpy()} == {"high"}
    assert {v.decode() for v in cond["city"].numpy()} == {"Quito"}
    noise = np.random.default_rng(0).normal(size=(7, synth.graph_sampler().latent_dim)).astype(np.float32)
    assert loaded.decode_noise(noise=tf.constant(noise), seed=seed)["label"].shape == (7,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown condition"):
        loaded.sample_conditional(n=tf.constant(5, tf.int64), seed=seed, conditions=tf.constant(["label=medium"]))


def test_tampered_or_partial_saves_are_refused(fitted, tmp_path):
    synth, _ = fitted["tvae"]
    synth.save(tmp_path / "s")
    state_file = tmp_path / "s" / "synthesizer.json"
    state = json.loads(state_file.read_text())
    state["encoder"]["per_column"]["price"]["max"] = -1.0
    state_file.write_text(json.dumps(state))
    with pytest.raises(SavedStateError, match="changed after it was saved"):
        Synthesizer.load(tmp_path / "s")
    synth.save(tmp_path / "t")
    model = tmp_path / "t" / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(SavedStateError, match="partial or mixed save"):
        Synthesizer.load(tmp_path / "t")
    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "synthesizer.json").write_text("{")
    (tmp_path / "u" / "model.keras").write_text("")
    with pytest.raises(SavedStateError, match="not a complete synthesizer state"):
        Synthesizer.load(tmp_path / "u")
    with pytest.raises(SavedStateError, match="holds no saved synthesizer"):
        Synthesizer.load(tmp_path / "nothing")


def test_bad_configs_and_calls(fitted, frame, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown synthesis method 'vae'"):
        Synthesizer("vae")
    with pytest.raises(ConfigError, match="takes a CTGANConfig"):
        Synthesizer("ctgan", TINY["tvae"])
    with pytest.raises(ConfigError, match="unknown setting\\(s\\) \\['epoch'\\]"):
        Synthesizer("tvae", epoch=3)
    with pytest.raises(ConfigError, match="TVAEConfig.epochs must be an int >= 1"):
        Synthesizer(epochs=0)
    with pytest.raises(ConfigError, match="prior_components must be an int >= 0"):
        TVAEConfig(prior_components=-1)
    with pytest.raises(ConfigError, match="set condition_column"):
        Synthesizer("cgan", TINY["gan"].__class__ is GANConfig and CGANConfig(epochs=1)).fit(frame)
    with pytest.raises(UnknownNameError, match="'price' is not a discrete column"):
        Synthesizer("cgan", CGANConfig(epochs=1, condition_column="price")).fit(frame)
    synth, _ = fitted["tvae"]
    with pytest.raises(ConfigError, match="n must be an int in \\[1, 100,000,000\\]"):
        synth.sample(0)
    with pytest.raises(InvalidValueError, match="'medium' is not a category of 'label'.*high"):
        synth.sample(10, conditions={"label": "medium"})
    with pytest.raises(NotFittedError, match="not fitted"):
        Synthesizer().save(tmp_path / "a")
    with pytest.raises(NotFittedError, match="not fitted"):
        Synthesizer().export(tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "other.txt").write_text("keep")
    with pytest.raises(PathExistsError, match="not a saved synthesizer"):
        synth.save(busy)
    with pytest.raises(PathExistsError, match="not an empty folder"):
        synth.export(busy)
    assert sorted(p.name for p in busy.iterdir()) == ["other.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_refuses_bad_n_and_non_finite_noise(fitted, tmp_path):
    """The exported ``sample`` returned 0 rows for n = -5 and ``decode_noise`` turned NaN noise into rows."""
    synth, _ = fitted["tvae"]
    loaded = tf.saved_model.load(str(synth.export(tmp_path / "export")))
    seed = tf.constant(0, tf.int64)
    for bad in (-5, 0, 10**9):
        with pytest.raises(tf.errors.InvalidArgumentError, match="n must be"):
            loaded.sample(n=tf.constant(bad, tf.int64), seed=seed)
    noise = np.zeros((4, synth.graph_sampler().latent_dim), np.float32)
    assert len(loaded.decode_noise(noise=tf.constant(noise), seed=seed)["label"]) == 4
    noise[1, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="noise must be finite"):
        loaded.decode_noise(noise=tf.constant(noise), seed=seed)


class _StepsPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.steps[-1] += 1


@pytest.mark.parametrize("method", ["tvae", "ctgan", "gan"])
def test_a_small_table_gets_several_steps_per_epoch(method, frame):
    # With batch 500, an 800-row table made one update per epoch (the batch was only capped at the
    # rows): TVAE's efficacy ratio fell to 0.85 on 800 Adult rows. Every method's batch is now at most
    # an eighth of the rows, so each epoch of the 400-row frame makes 8 steps (batch 50).
    counter = _StepsPerEpoch()
    config = dataclasses.replace(TINY[method], batch_size=500, epochs=1)
    Synthesizer(method, config, seed=0).fit(frame, callbacks=[counter])
    assert counter.steps[-1] == 8, counter.steps


def test_ctgan_default_epochs_make_enough_updates_on_a_small_table(frame, monkeypatch):
    # 300 epochs of 800 rows are 2,400 updates: genlab's CTGAN reached efficacy ratio 0.56 there. By
    # default it trains at least min_updates updates; a number of epochs given is kept exactly.
    from tabular.synthesizers import ctgan as ctgan_module

    config = CTGANConfig()
    assert config.batch_for(26048) == 500 and config.epochs_for(26048) == 300  # Adult: 15,600 updates
    assert config.batch_for(800) == 100 and config.epochs_for(800) == 1250  # 8 updates per epoch
    assert CTGANConfig(epochs=300).epochs_for(800) == 300 and CTGANConfig(min_updates=0).epochs_for(800) == 300
    assert CTGANConfig(pac=30).batch_for(800) == 90  # whole packs
    # fit takes its epochs from the rule: 400 rows, batches of 50 (8 per epoch), 40 updates -> 5 epochs
    monkeypatch.setattr(ctgan_module, "DEFAULT_EPOCHS", 1)
    tiny = dataclasses.replace(TINY["ctgan"], epochs=None, min_updates=40, batch_size=500)
    synth = Synthesizer("ctgan", tiny, seed=0).fit(frame)
    assert len(synth.history_["g_loss"]) == 5
    assert len(Synthesizer("ctgan", tiny, seed=0).fit(frame, epochs=2).history_["g_loss"]) == 2
    with pytest.raises(ConfigError, match="CTGANConfig.epochs must be an int >= 1"):
        CTGANConfig(epochs=0)


class _GeneratorWeights(keras.callbacks.Callback):
    """The generator's weights after every batch (one generator update each)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append([w.numpy().copy() for w in self.model.generator.trainable_variables])


def test_gan_leaves_the_moving_average_of_its_generator_weights(frame):
    # With ema_momentum the generator fit leaves is the running average of its weights after every
    # update (first value: the weights after the first update), not the last weights. Catches an
    # average never copied in, copied from the discriminator's optimizer, or with another momentum.
    config = dataclasses.replace(TINY["gan"], epochs=3, patience=100, ema_momentum=0.8)
    seen = _GeneratorWeights()
    synth = Synthesizer("gan", config, seed=0).fit(frame, callbacks=[seen])
    assert len(seen.seen) == 3 * 8  # 400 rows in batches of 50 (at most an eighth of the table)
    expected = seen.seen[0]
    for weights in seen.seen[1:]:
        expected = [0.8 * a + 0.2 * w for a, w in zip(expected, weights)]
    final = [w.numpy() for w in synth.model_.generator.trainable_variables]
    for got, want, last in zip(final, expected, seen.seen[-1]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert any(not np.allclose(g, last) for g, last in zip(final, seen.seen[-1]))  # not the last weights
    with pytest.raises(ConfigError, match="GANConfig.ema_momentum must be in \\[0, 1\\)"):
        GANConfig(ema_momentum=1.0)  # an average that never moves: the untrained generator


def test_gan_default_epochs_make_enough_updates_on_a_small_table(frame, monkeypatch, tmp_path):
    # The study's 100 epochs with early stopping trained a few hundred updates on 800 rows (the
    # GAN stopped after about 38 epochs). By default a small table gets min_updates updates, all
    # run: early stopping must not cut them; a number of epochs given keeps early stopping.
    from tabular.synthesizers import study

    config = GANConfig()
    assert config.epochs_for(26048) == 100 and config.stops_early(26048)  # Adult: 204 updates per epoch
    assert config.epochs_for(800) == 2500 and not config.stops_early(800)  # batches of 100: 8 per epoch
    assert GANConfig(epochs=100).epochs_for(800) == 100 and GANConfig(epochs=100).stops_early(800)
    assert GANConfig(min_updates=0).epochs_for(800) == 100 and GANConfig(min_updates=0).stops_early(800)
    # cgan trains a shorter floor (its longer fits sat closer to the training rows); Adult keeps 100
    assert CGANConfig().epochs_for(800) == 625 and not CGANConfig().stops_early(800)
    assert CGANConfig().epochs_for(26048) == 100 and CGANConfig().stops_early(26048)
    assert CGANConfig(min_updates=20000).epochs_for(800) == 2500
    # fit takes its epochs from the rule: 400 rows, batches of 50 (8 per epoch), 96 updates -> 12
    # epochs, every one run although patience 0 from epoch 0 would stop at the first epoch whose
    # generator loss is not the lowest yet
    monkeypatch.setattr(study, "DEFAULT_GAN_EPOCHS", 1)
    tiny = dataclasses.replace(TINY["gan"], epochs=None, min_updates=96, batch_size=500, warmup=0, patience=0)
    raised = Synthesizer("gan", tiny, seed=0).fit(frame)
    assert len(raised.history_["g_loss"]) == 12
    stopped = Synthesizer("gan", dataclasses.replace(tiny, epochs=12), seed=0).fit(frame)
    assert len(stopped.history_["g_loss"]) < 12  # the same run with epochs given stops early
    # the generator's moving average comes with the raised length only (ema_momentum=None)
    assert raised.ema_momentum() == study.SMALL_TABLE_EMA and raised.model_.g_optimizer.use_ema
    assert stopped.ema_momentum() == 0.0 and not stopped.model_.g_optimizer.use_ema
    again = Synthesizer.load(raised.save(tmp_path / "raised"))  # the averaged generator saves and loads
    pd.testing.assert_frame_equal(again.sample(50, seed=3), raised.sample(50, seed=3))
    with pytest.raises(ConfigError, match="GANConfig.epochs must be an int >= 1"):
        GANConfig(epochs=0)
