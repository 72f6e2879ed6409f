import json

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import f1_score

from genlab import data
from genlab.errors import ConfigError, GenlabError, LabelError, NotFittedError, UnknownNameError
from genlab.layers import LayerSpec
from genlab.seeding import set_seed
from vaec import VAECConfig
from vaec.semisup import ACTIVE_UNIT_VARIANCE, CLASSIFIERS, M1, M1Config, balanced_label_indices


# ----------------------------------------------------------------------------- balanced draws
def test_balanced_draw_has_exact_per_class_counts_and_distinct_rows():
    y = data.digits_images().y_train
    idx = balanced_label_indices(y, 50, seed=3)
    assert len(idx) == 50 and len(np.unique(idx)) == 50  # without replacement
    assert np.array_equal(np.bincount(y[idx], minlength=10), np.full(10, 5))
    assert np.array_equal(idx, np.sort(idx))


def test_balanced_draw_is_reproducible_by_seed():
    y = np.repeat(np.arange(4), 25)
    a, b = balanced_label_indices(y, 8, seed=0), balanced_label_indices(y, 8, seed=0)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, balanced_label_indices(y, 8, seed=1))


def test_balanced_draw_errors():
    y = np.repeat(np.arange(3), [10, 10, 2])
    with pytest.raises(ConfigError, match="not divisible by the 3 classes.*e.g. 9 or 12"):
        balanced_label_indices(y, 10, seed=0)
    with pytest.raises(LabelError, match="class 2 has 2 rows.*needs 3 per class.*at most 6"):
        balanced_label_indices(y, 9, seed=0)
    with pytest.raises(ConfigError, match="positive integer"):
        balanced_label_indices(y, 0, seed=0)
    with pytest.raises(LabelError, match="vector of class labels"):
        balanced_label_indices(y[:, None], 3, seed=0)
    # A class with no rows at all (n_classes given) is reported, not skipped.
    with pytest.raises(LabelError, match="class 3 has 0 rows"):
        balanced_label_indices(y, 4, seed=0, n_classes=4)


# ----------------------------------------------------------------------------- M1 on digits
def tiny_config(**kw):
    vae = VAECConfig(input_shape=(8, 8, 1), n_classes=10, latent_dim=8, conv_filters=(8,),
                     encoder_layers=(LayerSpec(32),), reconstruction_loss="bce", seed=0)
    return M1Config(vae=vae, **{"n_unlabelled": 300, "self_training_max_iter": 3, **kw})


@pytest.fixture(scope="module")
def fitted():
    split = data.digits_images()
    set_seed(0)
    m1 = M1(tiny_config()).fit_vae(split.x_train, epochs=15, batch_size=64, verbose=0)
    idx = balanced_label_indices(split.y_train, 100, seed=0)
    unlabelled = np.delete(split.x_train, idx, axis=0)
    m1.fit_classifiers(split.x_train[idx], split.y_train[idx], x_unlabelled=unlabelled)
    return m1, split


def test_m1_runs_end_to_end_and_beats_chance(fitted):
    m1, split = fitted
    scores = m1.evaluate(split.x_test, split.y_test)
    assert set(scores) == set(CLASSIFIERS)
    predictions = m1.predict(split.x_test)
    # Chance: the macro F1 of labels drawn with the training-class frequencies, independent of x.
    chance = DummyClassifier(strategy="stratified", random_state=0).fit(split.x_train.reshape(len(split.x_train), -1),
                                                                        split.y_train)
    chance_f1 = f1_score(split.y_test, chance.predict(split.x_test.reshape(len(split.x_test), -1)), average="macro")
    for name, s in scores.items():
        assert set(s) == {"accuracy", "precision", "recall", "f1"}
        assert s["accuracy"] > 0.5, (name, s)  # chance is 0.1 with 10 labels per digit
        # The reported F1 is the macro F1 of the predictions, and far above chance.
        assert s["f1"] == pytest.approx(f1_score(split.y_test, predictions[name], average="macro"), abs=1e-9)
        assert s["f1"] > 0.5 > 3 * chance_f1, (name, s, chance_f1)
    # Self-training really saw unlabelled codes (-1 in its transduction means never labelled).
    st = m1.classifiers_["self_training_svc"]
    assert len(st.transduction_) == 100 + 300
    # Active units: exactly the latent coordinates whose posterior mean varies over the images.
    variance = m1.vae.encode(split.x_train)[0].var(axis=0)
    assert np.array_equal(m1.active_units_, np.flatnonzero(variance > ACTIVE_UNIT_VARIANCE))
    assert 0 < len(m1.active_units_) <= 8


def test_save_load_round_trip_gives_identical_predictions(fitted, tmp_path):
    m1, split = fitted
    m1.save(tmp_path / "m1")
    assert not list((tmp_path / "m1").glob("*.pkl"))
    loaded = M1.load(tmp_path / "m1")
    before, after = m1.predict(split.x_test), loaded.predict(split.x_test)
    for name in CLASSIFIERS:
        assert np.array_equal(before[name], after[name]), name
    np.testing.assert_allclose(loaded.codes(split.x_test[:20]), m1.codes(split.x_test[:20]), atol=1e-6)


def test_load_refuses_other_sklearn_version_and_tampered_svm(fitted, tmp_path):
    m1, _ = fitted
    m1.save(tmp_path / "a")
    meta = json.loads((tmp_path / "a" / "m1.json").read_text())
    meta["sklearn_version"] = "0.1.0"
    (tmp_path / "a" / "m1.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="scikit-learn 0.1.0.*re-fit"):
        M1.load(tmp_path / "a")
    m1.save(tmp_path / "b")
    with np.load(tmp_path / "b" / "classifiers.npz") as f:
        arrays = dict(f)
    arrays["linear_svc/coef_"] = -arrays["linear_svc/coef_"]
    np.savez(tmp_path / "b" / "classifiers.npz", **arrays)
    with pytest.raises(ConfigError, match="'linear_svc' does not reproduce"):
        M1.load(tmp_path / "b")


def test_m1_errors(fitted, tmp_path):
    m1, split = fitted
    fresh = M1(tiny_config())
    with pytest.raises(NotFittedError, match="call fit_vae"):
        fresh.codes(split.x_test)
    with pytest.raises(UnknownNameError, match="unknown classifier 'tsvm'"):
        tiny_config(classifiers=("tsvm",))
    with pytest.raises(UnknownNameError, match="unknown fitted classifier"):
        m1.predict(split.x_test[:5], classifier="nope")
    with pytest.raises(LabelError, match="single class"):
        m1.fit_classifiers(split.x_train[:3], np.zeros(3, int))
    with pytest.raises(GenlabError, match="not a saved M1: missing vae.keras"):
        M1.load(tmp_path)
