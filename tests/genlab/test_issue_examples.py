"""One regression test per example of the reliability issue ("no silent wrong result").

Each test reproduces a bad input or fault that once gave a wrong result without a word, a deep
traceback, or unbounded memory, and asserts the clear ``genlab.errors`` refusal or the correct
result. Examples covered elsewhere are named at the end of this docstring, so the list is complete:

- a VAEC feature of 1e30 and a GAN on a NaN row: ``tests/genlab/test_nonfinite_guard.py``;
- the exported ``sample`` with n = -5 and ``decode_noise`` on NaN noise:
  ``tests/tabular/synthesizers/test_registry.py::test_export_refuses_bad_n_and_non_finite_noise``;
- Fashion-MNIST offline: ``tests/genlab/test_data.py``; a save killed midway:
  ``tests/tabular/synthesizers/test_kill_during_save.py``.
"""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab import cli
from genlab.errors import ConfigError, InputShapeError, InvalidValueError, LabelError, SavedStateError
from tabular import evaluate
from tabular.synthesizers import Synthesizer, TVAEConfig
from tabular.synthesizers.base import _sha256, _state_digest

TINY = TVAEConfig(epochs=4, latent_dim=4, hidden=(16,), batch_size=80, prior_components=2)
N = 80


# ---------------------------------------------------------------------------------------------- VAEC
def _vaec(rng):
    from vaec import VAEC, VAECConfig

    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = VAEC(VAECConfig(input_shape=(4,), n_classes=2, latent_dim=2, encoder_layers=(8,),
                            decoder_layers=(8,), head_layers=(8,)))
    return model, x, y


def test_vaec_predict_and_export_refuse_nan_and_inf_rows(rng, tmp_path):
    """predict and the export scored NaN / inf rows as finite ~0.5 probabilities and in_domain = True."""
    model, x, y = _vaec(rng)
    model.fit_all_parts(x, y, epochs=1, batch_size=32, verbose=0)
    bad = x[:4].copy()
    bad[1, 2], bad[3, 0] = np.nan, np.inf
    with pytest.raises(InvalidValueError, match=r"NaN or infinite values in 2 rows \(first rows: \[1, 3\]\)"):
        model.predict(bad, verbose=0)
    assert np.isfinite(model.predict(x[:4], verbose=0)).all()
    loaded = tf.saved_model.load(model.export(tmp_path / "export", domain=model.fit_domain(x, y)))
    assert loaded.serve(tf.constant(x[:4]))["in_domain"].shape == (4,)
    for row in (1, 3):
        with pytest.raises(tf.errors.InvalidArgumentError, match="features must be finite"):
            loaded.serve(tf.constant(bad[[0, row]]))


def test_vaec_refuses_soft_and_nan_labels_and_bad_epochs_or_batch_size(rng):
    """Two-column float labels were silently argmax-ed; epochs=-1 and batch_size=0 were accepted."""
    model, x, y = _vaec(rng)
    soft = rng.random((len(x), 2))
    with pytest.raises(LabelError, match=r"y has 2 columns but is not one-hot: 64 rows .*soft labels"):
        model.fit_all_parts(x, soft, epochs=1, verbose=0)
    onehot = np.eye(2)[y]
    onehot[5] = np.nan
    with pytest.raises(LabelError, match=r"not one-hot: 1 rows \(first rows \[5\]"):
        model.fit_all_parts(x, onehot, epochs=1, verbose=0)
    with pytest.raises(LabelError, match="must hold integer class indices"):
        model.fit_all_parts(x, np.where(np.arange(len(x)) == 7, np.nan, y), epochs=1, verbose=0)
    with pytest.raises(ConfigError, match="epochs must be an int >= 1, received -1"):
        model.fit_all_parts(x, y, epochs=-1, verbose=0)
    with pytest.raises(ConfigError, match="batch_size must be an int >= 1, received 0"):
        model.fit_all_parts(x, y, batch_size=0, verbose=0)
    assert model.trained_strategies == set()  # nothing was compiled or trained
    history = model.fit_all_parts(x, np.eye(2)[y], epochs=1, verbose=0)  # true one-hot rows still work
    assert np.isfinite(history.history["loss"]).all()


# ---------------------------------------------------------------------------------------------- tabular
def _messy(seed=0) -> pd.DataFrame:
    """One frame with every problem column of the issue (each checked by its own test below)."""
    rng = np.random.default_rng(seed)
    c = rng.choice(["u", "v", "", "w"], N).astype(object)
    c[rng.random(N) < 0.2] = None
    frame = pd.DataFrame({
        "a": rng.normal(size=N),
        "outlier": np.r_[1e300, rng.normal(50, 5, N - 1)],             # one 1e300 among ordinary floats
        "whole": np.r_[1e300, rng.integers(0, 9, N - 1)].astype(float),  # whole numbers and 1e300 (no int64)
        "tiny": np.round(rng.uniform(1, 9, N), 3) * 1e-12,               # values around 1e-12
        "huge": 2**62 + rng.integers(0, 1000, N) * 1000,                  # int64 near 2**62
        "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 500, N), "D"),
        "c": c,                                                           # "" and missing are two values
    })
    ids = [f"id{i:05d}" for i in rng.choice(100_000, 60, replace=False)]
    frame["key"] = ids + [ids[i] for i in rng.integers(0, 60, N - 60)]  # 60 unique string ids in 80 rows
    return frame


@pytest.fixture(scope="module")
def messy():
    return _messy()


@pytest.fixture(scope="module")
def synth(messy):
    return Synthesizer("tvae", TINY, seed=0).fit(messy)


@pytest.fixture(scope="module")
def rows(synth):
    return synth.sample(400, seed=1)


def test_a_1e300_outlier_column_samples_inside_its_fitted_range(messy, rows):
    """65 % of the values of such a column came out as -9.22e18 (an int64 overflow)."""
    for col in ("outlier", "whole"):
        values = rows[col].to_numpy()
        assert values.dtype == np.float64 and np.isfinite(values).all(), col
        assert values.min() >= messy[col].min() and values.max() <= messy[col].max(), col


def test_values_around_1e_12_keep_their_precision(messy, rows):
    """They all sampled as 0.0 (a fixed 1e-9 tolerance decided the column had 0 decimals)."""
    values = rows["tiny"].to_numpy()
    assert values.min() >= messy["tiny"].min() and values.max() <= messy["tiny"].max()
    assert len(np.unique(values)) > 20


def test_integers_near_2_62_keep_distinct_values_inside_the_exact_range(messy, rows):
    """They collapsed to one or two values, one above the largest training integer."""
    values = rows["huge"]
    assert values.dtype == np.int64
    assert values.min() >= messy["huge"].min() and values.max() <= messy["huge"].max()  # exact int comparison
    assert values.nunique() > 20


def test_datetime64_column_round_trips(messy, rows, synth):
    """A datetime64 column failed with its own dates "not seen by fit"."""
    assert rows["day"].dtype == messy["day"].dtype
    assert rows["day"].min() >= messy["day"].min() and rows["day"].max() <= messy["day"].max()
    assert rows["day"].nunique() > 20
    within = synth.sample(20, conditions={"day": ("2020-03-01", "2020-06-30")}, seed=2)["day"]
    assert within.between(pd.Timestamp("2020-03-01"), pd.Timestamp("2020-06-30")).all()


def test_empty_string_and_missing_stay_distinct_categories(synth, rows):
    """sample(conditions={"c": None}) returned "" instead of missing values."""
    assert rows["c"].isna().any() and (rows["c"] == "").any()
    missing = synth.sample(30, conditions={"c": None}, seed=3)["c"]
    assert missing.isna().all()
    empty = synth.sample(30, conditions={"c": ""}, seed=3)["c"]
    assert empty.notna().all() and (empty == "").all()


def test_mostly_unique_string_ids_are_never_copied(messy, synth, rows):
    """60 unique string ids in 80 rows were modelled as categories and copied into synthetic rows."""
    assert synth.table_.kind("key") == "id"
    assert not set(rows["key"].dropna()) & set(messy["key"])
    assert rows["key"].dropna().is_unique


def test_sample_sizes_beyond_the_bound_are_refused_before_any_work(synth):
    """sample(10**9) grew memory until ResourceExhaustedError; sample(2**31) wrapped int32 inside pandas."""
    for n in (10**9, 2**31, -5, 0, 2.5, True):
        with pytest.raises(ConfigError, match=f"n must be an int in \\[1, 100,000,000\\], received {n!r}"):
            synth.sample(n)


@pytest.mark.parametrize("columns, match", [
    ([1, "1"], r"column names that are not strings: \[1\]"),
    ([0, 1], r"column names that are not strings: \[0, 1\].*astype\(str\)"),
])
def test_non_string_column_names_are_refused_clearly(columns, match):
    """Names 1 and '1' gave two '1' columns in the output; integer names raised KeyError '0'."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 2)), columns=columns)
    with pytest.raises(InputShapeError, match=match):
        Synthesizer("tvae", TINY).fit(frame)


# ---------------------------------------------------------------------------------------------- load
def _rewrite(folder, change):
    """Apply ``change`` to the saved state and recompute its checksums, as a careful tamperer would."""
    state_file = folder / "synthesizer.json"
    state = json.loads(state_file.read_text())
    change(state)
    state["checksums"] = {"model.keras": _sha256(folder / "model.keras"), "state": _state_digest(state)}
    state_file.write_text(json.dumps(state))


def _widen(folder, width=200_000):
    """Set the first hidden width in model.keras' config to ``width`` (and refresh the checksums)."""
    model = folder / "model.keras"
    with zipfile.ZipFile(model) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    config = json.loads(parts["config.json"])
    config["config"]["hidden"] = [width]
    parts["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(model, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    _rewrite(folder, lambda state: None)


def _drop_column(state):
    state["encoder"]["columns"].remove("a")
    del state["encoder"]["per_column"]["a"]


def _min_above_max(state):
    state["encoder"]["per_column"]["a"]["min"] = 5.0
    state["encoder"]["per_column"]["a"]["max"] = -5.0


@pytest.mark.parametrize("tamper, match", [
    (lambda f: (f / "synthesizer.json").write_text((f / "synthesizer.json").read_text()[:500]),
     "not a complete synthesizer state"),
    (lambda f: (f / "model.keras").write_bytes((f / "model.keras").read_bytes()[:2000]), "partial or mixed save"),
    (lambda f: _rewrite(f, _min_above_max), r"column 'a' has range \[5.0, -5.0\].*min must be finite and <= max"),
    (lambda f: _rewrite(f, _drop_column), r"the table layer models columns \['a', .*but the encoder holds \["),
    (lambda f: _widen(f), r"configures layer widths \[200000\], wider than any of its saved weights"),
], ids=["truncated-json", "truncated-model", "min-above-max", "dropped-column", "width-200000"])
def test_half_written_or_tampered_saves_are_refused_at_load(synth, tmp_path, tamper, match):
    """A truncated JSON gave a bare JSONDecodeError, a truncated model.keras "File not found";
    tampered states (min > max, a dropped column) loaded and sampled; a width of 200,000 allocated
    until out of memory."""
    folder = synth.save(tmp_path / "s")
    Synthesizer.load(folder)  # the untouched save loads
    tamper(folder)
    with pytest.raises(SavedStateError, match=match):
        Synthesizer.load(folder)


# ---------------------------------------------------------------------------------------------- evaluate
def _eval_frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "n": rng.integers(0, 100, n).astype("int8"),
                         "c": rng.choice(["a", "b"], n), "y": rng.choice(["p", "q"], n)})


def test_evaluate_on_three_synthetic_rows_gives_defined_scores():
    """A 3-row synthetic frame gave a NaN AUC."""
    result = evaluate(_eval_frame(120, 0), _eval_frame(60, 1), _eval_frame(3, 2).assign(y="p"), target="y",
                      n_estimators=5, plots=False, n_jobs=1)
    scores = {k: v for k, v in result.metrics.items() if isinstance(v, float)}
    assert all(np.isfinite(v) for v in scores.values()), scores
    assert result.metrics["efficacy_synthetic_auc"] == 0.5  # one synthetic class: the constant classifier


def test_evaluate_reads_numbers_given_as_strings_and_names_the_users_rows():
    """Numbers as strings raised an int8 OverflowError; error rows indexed a concatenated frame
    (synthetic row 3 reported as 183)."""
    train, test = _eval_frame(180, 0), _eval_frame(60, 1)
    as_strings = _eval_frame(50, 2).assign(n=lambda f: (f["n"].astype(int) * 10).astype(str))  # "990": no int8
    numbers = evaluate(train, test, as_strings, target="y", n_estimators=5, plots=False, n_jobs=1).metrics
    assert np.isfinite(numbers["detection_auc"]) and numbers["n_synthetic"] == 50
    bad = _eval_frame(50, 2).astype({"n": object})
    bad.loc[3, "n"] = "oops"
    with pytest.raises(InvalidValueError, match=r"column 'n' .*'oops'.* \(index \[3\]\)"):
        evaluate(train, test, bad, target="y", n_estimators=5, plots=False, n_jobs=1)
    bad.index = bad.index + 500
    with pytest.raises(InvalidValueError, match=r"\(index \[503\]\)"):
        evaluate(train, test, bad, target="y", n_estimators=5, plots=False, n_jobs=1)


# ---------------------------------------------------------------------------------------------- genlab CLI
def _one_line_error(capsys, argv) -> str:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("genlab: ") and "\n" not in err and "Traceback" not in captured.err
    return err


def test_cli_out_pointing_at_a_file(capsys, tmp_path):
    (tmp_path / "f").write_text("keep")
    assert "--out" in _one_line_error(capsys, ["run", "quickstart", "--out", str(tmp_path / "f")])
    assert (tmp_path / "f").read_text() == "keep"


def test_cli_finished_out_is_refused_not_trained_again(capsys, tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "results.json").write_text("[]")
    err = _one_line_error(capsys, ["run", "vaec_breast_cancer", "--out", str(tmp_path / "r"), "--quick"])
    assert "finished run" in err and "new --out" in err
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["results.json"]


def test_cli_corrupt_mnist_npz(capsys, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    err = _one_line_error(capsys, ["run", "gans_mnist", "--quick", "--data-dir", str(tmp_path),
                                   "--out", str(tmp_path / "r")])
    assert "not a readable mnist.npz" in err and "complete copy" in err


def test_cli_offline_download(capsys, tmp_path, monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/mnist.npz: None -- "
                        "[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    err = _one_line_error(capsys, ["run", "gans_mnist", "--quick", "--out", str(tmp_path / "r")])
    assert "MNIST could not be downloaded" in err and "--data-dir" in err
