"""tabular.synth on a mixed frame it has never seen: integer, float, categorical, boolean, missing values.

Covers the transformer round trip, fit / sample / conditions / save-load for both methods, the
SavedModel export loaded with plain TensorFlow, and bad input (clear errors, nothing written).
"""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import (ConfigError, InputShapeError, InvalidValueError, NotFittedError,
                           UnknownNameError)
from tabular.synth import (CTGANConfig, MixedTransformer, Synthesizer, TabularVAE, TVAEConfig)

SMALL_VAE = TVAEConfig(latent_dim=16, hidden=(32, 32), batch_size=100)
SMALL_GAN = CTGANConfig(latent_dim=16, generator_dims=(32, 32), critic_dims=(32, 32), pac=5, batch_size=100)


def mixed_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Integer (two modes), float with 2 decimals and missing values, categorical with missing
    values, boolean, and a label tied to the other columns."""
    rng = np.random.default_rng(seed)
    count = np.where(rng.random(n) < 0.6, rng.integers(0, 5, n), rng.integers(50, 60, n))
    price = np.round(rng.gamma(2.0, 10.0, n) + 1.0, 2)
    price[rng.random(n) < 0.15] = np.nan
    city = rng.choice(["Lyon", "Oslo", "Quito", "Perth"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[rng.random(n) < 0.1] = None
    member = rng.random(n) < 0.35
    label = np.where((count > 20) | member, "high", "low")
    return pd.DataFrame({"count": count, "price": price, "city": city, "member": member, "label": label})


@pytest.fixture(scope="module")
def frame():
    return mixed_frame()


@pytest.fixture(scope="module")
def fitted_vae(frame):
    return Synthesizer("tvae", SMALL_VAE, epochs=30, seed=0).fit(frame)


@pytest.fixture(scope="module")
def fitted_gan(frame):
    return Synthesizer("ctgan", SMALL_GAN, epochs=3, seed=0).fit(frame)


# ---------------------------------------------------------------------------------------- transformer
def test_transformer_infers_types_and_round_trips(frame):
    t = MixedTransformer().fit(frame)
    assert t.kinds_ == {"count": "integer", "price": "continuous", "city": "categorical", "member": "boolean",
                        "label": "categorical"}
    assert t.info("price")["decimals"] == 2 and t.info("price")["has_missing"]
    assert not t.info("count")["has_missing"] and t.info("city")["has_missing"]
    x = t.transform(frame)
    assert x.shape == (len(frame), t.output_width_) and x.dtype == np.float32
    back = t.inverse_transform(x)
    assert list(back.columns) == list(frame.columns)
    np.testing.assert_array_equal(back["count"].to_numpy(), frame["count"].to_numpy())
    assert back["price"].isna().equals(frame["price"].isna())
    observed = frame["price"].notna().to_numpy()
    error = np.abs(back["price"].to_numpy(float)[observed] - frame["price"].to_numpy(float)[observed])
    # exact to the learned 2 decimals, except a value whose sampled mode lies > 4 std away (clipped)
    assert np.mean(error <= 0.0051) > 0.99
    assert back["city"].isna().equals(frame["city"].isna())
    assert (back["city"].dropna() == frame["city"].dropna()).all()
    assert back["member"].dtype == bool and (back["member"] == frame["member"]).all()


def test_transformer_finds_modes_of_a_bimodal_column(frame):
    t = MixedTransformer().fit(frame)
    means = np.asarray(t.info("count")["means"])
    # One group around 0..4, one around 50..59: at least one mode in each.
    assert (means < 10).any() and (means > 45).any()


def test_transformer_overrides_and_state_round_trip(frame):
    t = MixedTransformer({"count": "categorical"}).fit(frame)
    assert t.kinds_["count"] == "categorical"
    again = MixedTransformer.from_state(t.state_)
    np.testing.assert_array_equal(again.transform(frame, seed=1), t.transform(frame, seed=1))


# ---------------------------------------------------------------------------------------- synthesizer
def _check_schema(rows: pd.DataFrame, frame: pd.DataFrame):
    assert list(rows.columns) == list(frame.columns)
    counts = rows["count"].to_numpy()
    assert np.issubdtype(counts.dtype, np.integer) and counts.min() >= 0 and counts.max() <= frame["count"].max()
    price = rows["price"].dropna().to_numpy(float)
    assert price.min() >= frame["price"].min() and price.max() <= frame["price"].max()
    np.testing.assert_allclose(price, np.round(price, 2), atol=1e-9)  # learned precision
    assert set(rows["city"].dropna()) <= set(frame["city"].dropna())
    assert set(rows["label"]) <= {"high", "low"} and rows["member"].dtype == bool


@pytest.mark.parametrize("which", ["fitted_vae", "fitted_gan"])
def test_fit_sample_schema_and_conditions(which, frame, request):
    synth = request.getfixturevalue(which)
    rows = synth.sample(300, seed=1)
    assert len(rows) == 300
    _check_schema(rows, frame)
    assert rows["price"].isna().any()  # missing values are modelled, not dropped
    assert synth.seconds_per_epoch_ > 0
    cond = synth.sample(120, conditions={"label": "high", "city": ["Oslo", "Perth"]}, seed=2)
    assert len(cond) == 120 and (cond["label"] == "high").all() and cond["city"].isin(["Oslo", "Perth"]).all()
    assert synth.sample(50, conditions={"member": True})["member"].all()
    pd.testing.assert_frame_equal(synth.sample(40, seed=3), synth.sample(40, seed=3))


def test_vae_learns_the_marginals(fitted_vae, frame):
    rows = fitted_vae.sample(len(frame), seed=0)
    for col in ("city", "label", "member"):
        p = frame[col].astype(str).value_counts(normalize=True)
        q = rows[col].astype(str).value_counts(normalize=True)
        assert 0.5 * p.subtract(q, fill_value=0).abs().sum() < 0.2, col
    # the bimodal integer column: both groups come back
    assert (rows["count"] < 10).mean() > 0.3 and (rows["count"] > 45).mean() > 0.15


def test_save_load_round_trip(fitted_vae, fitted_gan, tmp_path):
    for i, synth in enumerate((fitted_vae, fitted_gan)):
        synth.save(tmp_path / f"s{i}")
        assert sorted(p.name for p in (tmp_path / f"s{i}").iterdir()) == ["model.keras", "synthesizer.json"]
        again = Synthesizer.load(tmp_path / f"s{i}")
        pd.testing.assert_frame_equal(again.sample(80, seed=5), synth.sample(80, seed=5))
        cond = again.sample(30, conditions={"label": "low"}, seed=6)
        assert (cond["label"] == "low").all()


def test_export_loads_with_plain_tensorflow(fitted_vae, frame, tmp_path):
    path = fitted_vae.export(tmp_path / "export")
    loaded = tf.saved_model.load(str(path))
    out = loaded.sample(n=tf.constant(64), seed=tf.constant(3, tf.int64))
    assert set(out) == set(frame.columns)
    assert out["count"].dtype == tf.int64 and out["price"].dtype == tf.float64
    assert out["city"].dtype == tf.string and out["member"].dtype == tf.bool
    counts, price = out["count"].numpy(), out["price"].numpy()
    assert counts.shape == (64,) and counts.min() >= 0 and counts.max() <= frame["count"].max()
    observed = price[~np.isnan(price)]
    assert observed.min() >= frame["price"].min() and observed.max() <= frame["price"].max()
    assert {c.decode() for c in out["city"].numpy()} <= {"Lyon", "Oslo", "Quito", "Perth", ""}
    # the export reproduces the Python sampler (same seed, same graph code)
    python = fitted_vae.sample(64, seed=3)
    np.testing.assert_array_equal(counts, python["count"].to_numpy())
    cond = loaded.sample_conditional(n=tf.constant(50), seed=tf.constant(0, tf.int64),
                                     conditions=tf.constant(["label=high", "city=Quito"]))
    assert {v.decode() for v in cond["label"].numpy()} == {"high"}
    assert {v.decode() for v in cond["city"].numpy()} == {"Quito"}
    noise = np.random.default_rng(0).normal(size=(7, 16)).astype(np.float32)
    decoded = loaded.decode_noise(noise=tf.constant(noise), seed=tf.constant(0, tf.int64))
    assert decoded["label"].shape == (7,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown condition"):
        loaded.sample_conditional(n=tf.constant(5), seed=tf.constant(0, tf.int64),
                                  conditions=tf.constant(["label=medium"]))


# ---------------------------------------------------------------------------------------- bad input
def test_bad_frames_raise_clear_errors(frame):
    with pytest.raises(InvalidValueError, match="must be a pandas DataFrame"):
        Synthesizer(config=SMALL_VAE, epochs=1).fit(frame.to_numpy())
    with pytest.raises(InputShapeError, match="empty"):
        Synthesizer(config=SMALL_VAE, epochs=1).fit(frame.iloc[:0])
    bad = frame.copy()
    bad["price"] = bad["price"].astype(object)
    bad.loc[3, "price"] = "n/a"
    with pytest.raises(InvalidValueError, match=r"'price'.*non-numeric.*\['n/a'\].*categorical"):
        Synthesizer(config=SMALL_VAE, epochs=1, column_types={"price": "continuous"}).fit(bad)
    inf = frame.copy()
    inf.loc[0, "price"] = np.inf
    with pytest.raises(InvalidValueError, match="'price' holds 1 infinite"):
        Synthesizer(config=SMALL_VAE, epochs=1).fit(inf)
    empty_col = frame.assign(note=np.nan)
    with pytest.raises(InvalidValueError, match="'note' has no observed value.*drop the column"):
        Synthesizer(config=SMALL_VAE, epochs=1).fit(empty_col)
    with pytest.raises(InvalidValueError, match="'count' is declared integer but holds fractional"):
        Synthesizer(config=SMALL_VAE, epochs=1, column_types={"count": "integer"}).fit(
            frame.assign(count=frame["count"] + 0.5))
    with pytest.raises(InputShapeError, match="column_types names column 'nope'"):
        Synthesizer(config=SMALL_VAE, epochs=1, column_types={"nope": "integer"}).fit(frame)
    with pytest.raises(ConfigError, match="'city'.*'text' is not a column type"):
        Synthesizer(config=SMALL_VAE, epochs=1, column_types={"city": "text"}).fit(frame)


def test_identifier_column_is_rejected():
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"x": rng.normal(size=1500), "key": [f"id{i}" for i in range(1500)]})
    with pytest.raises(InvalidValueError, match="'key'.*1500 distinct values.*identifier"):
        MixedTransformer().fit(big)


def test_bad_configs_and_conditions(fitted_vae):
    with pytest.raises(UnknownNameError, match="unknown synthesis method 'gan'"):
        Synthesizer("gan")
    with pytest.raises(ConfigError, match="takes a CTGANConfig"):
        Synthesizer("ctgan", SMALL_VAE)
    with pytest.raises(ConfigError, match="multiple of pac"):
        CTGANConfig(batch_size=99, pac=10)
    with pytest.raises(ConfigError, match="epochs must be an int >= 1"):
        Synthesizer(epochs=0)
    with pytest.raises(ConfigError, match="prior_components must be an int >= 0"):
        TVAEConfig(prior_components=-1)
    with pytest.raises(UnknownNameError, match="'price' is continuous.*column_types"):
        fitted_vae.sample(10, conditions={"price": 3.0})
    with pytest.raises(UnknownNameError, match="cannot condition on column 'colour'"):
        fitted_vae.sample(10, conditions={"colour": "red"})
    with pytest.raises(InvalidValueError, match="'medium' is not a category of 'label'.*high"):
        fitted_vae.sample(10, conditions={"label": "medium"})
    with pytest.raises(ConfigError, match="n must be an int >= 1"):
        fitted_vae.sample(0)


def test_nothing_written_on_errors(fitted_vae, tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        Synthesizer().save(tmp_path / "a")
    with pytest.raises(NotFittedError, match="not fitted"):
        Synthesizer().export(tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "other.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="holds other files"):
        fitted_vae.save(busy)
    with pytest.raises(FileExistsError, match="not empty"):
        fitted_vae.export(busy)
    assert sorted(p.name for p in busy.iterdir()) == ["other.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".synth-")] == []


def test_mixture_prior_draws_follow_the_mixture():
    spans = [[0, 1, "tanh"], [1, 3, "softmax"]]
    plain = TabularVAE(spans, data_dim=4, latent_dim=2, hidden=(8,), prior_components=0)
    eps = np.random.default_rng(0).normal(size=(50_000, 2)).astype(np.float32)
    seed = tf.constant([1, 2], tf.int64)
    np.testing.assert_array_equal(plain.latent_from_noise(eps, seed).numpy(), eps)
    model = TabularVAE(spans, data_dim=4, latent_dim=2, hidden=(8,), prior_components=2)
    np.testing.assert_array_equal(model.latent_from_noise(eps, seed).numpy(), eps)  # before fit_prior: N(0, I)
    model.prior_logits.assign(np.log([0.25, 0.75]).astype(np.float32))
    model.prior_means.assign(np.array([[-10.0, 0.0], [10.0, 5.0]], np.float32))
    model.prior_scales.assign(np.array([[1.0, 2.0], [0.5, 0.1]], np.float32))
    z = model.latent_from_noise(eps, seed).numpy()
    right = z[:, 0] > 0
    assert abs(right.mean() - 0.75) < 0.01
    np.testing.assert_allclose(z[right].mean(0), [10.0, 5.0], atol=0.02)
    np.testing.assert_allclose(z[right].std(0), [0.5, 0.1], rtol=0.03)
    np.testing.assert_allclose(z[~right].std(0), [1.0, 2.0], rtol=0.03)
    # a component is a shift and scale of the same noise row
    np.testing.assert_allclose(z[right], [10.0, 5.0] + np.array([0.5, 0.1]) * eps[right], rtol=1e-5, atol=1e-5)


def test_fit_prior_matches_the_posterior_and_pads_components(frame):
    synth = Synthesizer("tvae", TVAEConfig(latent_dim=4, hidden=(16,), batch_size=100, prior_components=3),
                        epochs=2, seed=0).fit(frame)
    weights = np.exp(synth.model_.prior_logits.numpy())
    assert weights.shape == (3,) and abs(weights.sum() - 1.0) < 1e-5
    assert (synth.model_.prior_scales.numpy() > 0).all()
    x = synth.transformer_.transform(frame)
    stats = synth.model_.encoder(x).numpy()
    mixture_mean = weights @ synth.model_.prior_means.numpy()
    np.testing.assert_allclose(mixture_mean, stats[:, :4].mean(0), atol=0.15)  # one posterior draw per row
    spans = [[0, 1, "tanh"], [1, 3, "softmax"]]
    small = TabularVAE(spans, data_dim=4, latent_dim=2, hidden=(8,), prior_components=5)
    small.fit_prior(np.eye(4, dtype=np.float32)[[0, 1, 2]] + [[0.0, 1.0, 0.0, 0.0]])  # 3 rows < 5 components
    assert np.isclose(np.exp(small.prior_logits.numpy()).sum(), 1.0, atol=1e-5)
    assert (np.exp(small.prior_logits.numpy()[3:]) == 0).all()


def test_vae_model_serializes():
    spans = [[0, 1, "tanh"], [1, 3, "softmax"], [4, 2, "softmax"]]
    model = TabularVAE(spans, data_dim=6, latent_dim=4, hidden=(8,), seed=3, prior_components=2)
    again = TabularVAE.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    x = np.eye(6, dtype=np.float32)
    assert model(x).shape == (6, 6)
