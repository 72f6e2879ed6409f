import json
import pickle

import numpy as np
import pytest
import sklearn.exceptions
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline

from genlab.errors import (ChecksumError, ConfigError, GenlabError, InputShapeError, InvalidValueError,
                           LabelError, UnknownNameError)
from genlab.errors import NotFittedError as GenlabNotFitted
from vaec import VAECClassifier
from vaec.estimator import BestValidationWeights, InputTypeError

# Raw (unstandardised) breast cancer: the estimator must standardise itself.
_DATA = load_breast_cancer()
X, Y = _DATA.data[:300], _DATA.target[:300]
X_NEW, Y_NEW = _DATA.data[300:420], _DATA.target[300:420]


def small(**kw):
    return VAECClassifier(**{"latent_dim": 2, "encoder_layers": (16,), "head_layers": (8,), "batch_size": 32,
                             "learning_rate": 1e-2, "epochs": 40, "patience": 10, "random_state": 0, **kw})


def named(y):
    # Sorting puts "aa_benign" (integer label 1) first: a swapped label code would score ~5 %.
    return np.where(y == 0, "zz_malignant", "aa_benign")


@pytest.fixture(scope="module")
def fitted():
    return small().fit(X, Y)


@pytest.fixture(scope="module")
def fitted_names():
    return small().fit(X, named(Y))


def test_learns_raw_features_and_names_string_labels_in_class_order(fitted_names):
    clf = fitted_names
    assert clf.classes_.tolist() == ["aa_benign", "zz_malignant"]
    assert clf.score(X_NEW, named(Y_NEW)) > 0.9
    proba = clf.predict_proba(X_NEW)
    assert proba[Y_NEW == 0, 1].mean() > 0.8  # the malignant column is the "zz_malignant" one
    assert set(clf.predict(X_NEW)) <= set(clf.classes_)


def test_clone_and_set_params_round_trip(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_")  # clone keeps parameters only
    copy.set_params(latent_dim=3, encoder_layers=(12,))
    assert fitted.get_params()["latent_dim"] == 2
    copy.fit(X, Y)
    assert copy.transform(X_NEW).shape == (len(X_NEW), 3)
    assert copy.model_.config.encoder_layers[0].units == 12
    assert copy.get_feature_names_out().tolist() == ["vaecclassifier0", "vaecclassifier1", "vaecclassifier2"]


def test_transform_is_z_mean_of_standardised_features(fitted):
    z_mean, _, _ = fitted.model_.encode(((X_NEW - fitted.mean_) / fitted.scale_).astype(np.float32))
    np.testing.assert_allclose(fitted.transform(X_NEW), z_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fitted.mean_, X.mean(axis=0))


def test_pipeline_feature_step_and_cross_val_score():
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(small(), LogisticRegression()), X, Y, cv=folds)
    assert scores.mean() > 0.9  # z_mean is a useful feature step


@pytest.mark.slow  # starting two worker processes that import TensorFlow takes 30-90 s here
def test_joblib_workers_send_fitted_estimators_back():
    # n_jobs=2 pickles the estimator to the workers and the fitted clones back.
    folds = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, Y))
    out = cross_validate(small(epochs=15), X, Y, cv=folds, n_jobs=2, return_estimator=True)
    for (_, test), est, score in zip(folds, out["estimator"], out["test_score"]):
        assert isinstance(est, VAECClassifier) and est.model_.encoder is not None
        assert est.score(X[test], Y[test]) == pytest.approx(score)
        assert score > 0.85


def test_pickle_carries_weights_not_keras_objects(fitted):
    state = fitted.__getstate__()
    assert isinstance(state["model_"], dict) and "weights" in state["model_"]
    assert fitted.model_ is not state["model_"]  # the live estimator keeps its model
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X_NEW), fitted.predict_proba(X_NEW))


def test_reproducible_with_a_seed_and_global_state_restored():
    state = np.random.get_state()
    a = small(epochs=3).fit(X, Y).predict_proba(X_NEW)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2] == state[2]
    np.testing.assert_array_equal(small(epochs=3).fit(X, Y).predict_proba(X_NEW), a)
    assert not np.allclose(small(epochs=3, random_state=1).fit(X, Y).predict_proba(X_NEW), a)


def _validation_log_loss(clf, x, y):
    val = clf.validation_indices_
    proba = clf.predict_proba(x[val])
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(val)), y[val]], 1e-15, 1))))


def test_early_stopping_restores_the_best_validation_weights():
    # Random labels: the validation loss rises once the network memorises the training rows.
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 2, len(X))
    clf = small(latent_dim=4, encoder_layers=(64,), head_layers=(64,), learning_rate=2e-2, epochs=200,
                patience=8, validation_fraction=0.3).fit(X, noise)
    losses = clf.validation_log_loss_
    assert clf.n_epochs_ == clf.best_epoch_ + 8 < 200  # stopped early, patience epochs after the best
    assert losses[-1] > min(losses) + 1e-3  # the last epoch was worse than the best one ...
    assert _validation_log_loss(clf, X, noise) == pytest.approx(min(losses), abs=1e-6)  # ... and was undone
    assert len(np.intersect1d(clf.validation_indices_, np.arange(len(X)))) == round(0.3 * len(X))


def test_best_weights_restored_when_the_epoch_ceiling_ends_training():
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 2, len(X))
    clf = small(learning_rate=2e-2, encoder_layers=(64,), epochs=25, patience=1000,
                validation_fraction=0.3).fit(X, noise)
    assert clf.n_epochs_ == 25 and clf.best_epoch_ < 25
    assert _validation_log_loss(clf, X, noise) == pytest.approx(min(clf.validation_log_loss_), abs=1e-6)


def test_without_validation_trains_every_epoch(fitted):
    clf = small(epochs=7, validation_fraction=0.0).fit(X, Y)
    assert clf.n_epochs_ == clf.best_epoch_ == 7 and clf.validation_log_loss_ == []
    assert len(clf.validation_indices_) == 0
    # Validation rows are stratified: both classes in proportion (about 10 % each).
    val_counts = np.bincount(Y[fitted.validation_indices_])
    np.testing.assert_allclose(val_counts / np.bincount(Y), 0.1, atol=0.01)


def test_callback_alone_on_a_keras_model_stops_and_restores():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    x = np.array([[1.0, 0.0], [0.0, 1.0]] * 8, dtype="float32")
    y_train, y_val = np.tile([0, 1], 8), np.tile([1, 0], 8)  # validation labels are the opposite
    cb = BestValidationWeights(x, y_val, patience=3)
    model.fit(x, y_train, epochs=50, verbose=0, callbacks=[cb])
    assert cb.best_epoch == 1 and len(cb.losses) == 4  # only gets worse after the first epoch
    assert cb.log_loss() == pytest.approx(cb.losses[0], abs=1e-6)


# ----------------------------------------------------------------------------------- save / load
def test_save_load_round_trip_with_string_labels(fitted_names, tmp_path):
    clf = fitted_names
    path = clf.save(tmp_path / "clf")
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "estimator.json"]
    loaded = VAECClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_NEW), clf.predict_proba(X_NEW))
    np.testing.assert_array_equal(loaded.transform(X_NEW), clf.transform(X_NEW))
    np.testing.assert_array_equal(loaded.predict(X_NEW), clf.predict(X_NEW))
    assert loaded.classes_.dtype == clf.classes_.dtype and loaded.get_params() == clf.get_params()
    assert (loaded.best_epoch_, loaded.n_epochs_) == (clf.best_epoch_, clf.n_epochs_)
    clf.save(path)  # a second save replaces the first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clf"]


def test_load_rejects_damaged_or_foreign_folders(fitted, tmp_path):
    path = fitted.save(tmp_path / "clf")
    raw = bytearray((path / "arrays.npz").read_bytes())
    raw[-100] ^= 0xFF
    (path / "arrays.npz").write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match="arrays.npz has sha256 .* the file is damaged"):
        VAECClassifier.load(path)
    meta = json.loads((path / "estimator.json").read_text())
    (path / "estimator.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(GenlabError, match="version 99; this genlab reads"):
        VAECClassifier.load(path)
    with pytest.raises(GenlabError, match="needs estimator.json and arrays.npz"):
        VAECClassifier.load(tmp_path / "nothing")


def test_save_writes_nothing_when_it_cannot(fitted, tmp_path):
    with pytest.raises(GenlabNotFitted, match="nothing to save"):
        small().save(tmp_path / "unfitted")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a saved VAECClassifier"):
        fitted.save(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


# ----------------------------------------------------------------------------------- bad input
def test_bad_training_input_raises_genlab_errors_and_fits_nothing():
    clf = small()
    bad = X.copy()
    bad[3, 2] = np.nan
    cases = [
        ((bad, Y), InvalidValueError, "Input X contains NaN"),
        ((X, None), LabelError, "requires y to be passed"),
        ((X, Y[:-1]), LabelError, "inconsistent numbers of samples"),
        ((X, np.zeros(len(X))), LabelError, "one class"),
        ((X, np.linspace(0, 1, len(X))), LabelError, "Unknown label type"),
        ((X[:, 0], Y), InputShapeError, "Expected 2D array"),
        ((sparse.csr_matrix(X), Y), InputTypeError, "Sparse data"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            clf.fit(*args)
        assert not hasattr(clf, "model_") and not hasattr(clf, "n_features_in_")
    with pytest.raises(TypeError):  # sparse input is also a TypeError, as scikit-learn expects
        clf.fit(sparse.csr_matrix(X), Y)


@pytest.mark.parametrize("params, error, message", [
    ({"strategy": "autoencoder"}, UnknownNameError, "unknown strategy 'autoencoder'"),
    ({"validation_fraction": 1.0}, ConfigError, r"validation_fraction must lie in \[0, 1\)"),
    ({"patience": 0}, ConfigError, "patience must be an integer >= 1"),
    ({"latent_dim": 0}, ConfigError, "latent_dim must be >= 1"),
])
def test_bad_parameters_fail_at_fit(params, error, message):
    clf = small(**params)  # __init__ only stores, as scikit-learn requires
    with pytest.raises(error, match=message):
        clf.fit(X, Y)
    assert not hasattr(clf, "model_")


def test_bad_prediction_input(fitted):
    with pytest.raises(InputShapeError, match="X has 5 features, but VAECClassifier is expecting 30"):
        fitted.predict(X_NEW[:, :5])
    bad = X_NEW.copy()
    bad[0, 0] = np.inf
    with pytest.raises(InvalidValueError, match="infinity"):
        fitted.transform(bad)
    with pytest.raises(GenlabNotFitted, match="not fitted yet"):
        small().predict(X_NEW)
    with pytest.raises(sklearn.exceptions.NotFittedError):  # the same error, as scikit-learn sees it
        small().predict_proba(X_NEW)


@pytest.mark.parametrize("validation_fraction", [0.1, 0.0])
def test_diverged_training_raises_instead_of_returning_nan(validation_fraction):
    clf = small(learning_rate=1e12, epochs=5, validation_fraction=validation_fraction)
    with pytest.raises(ConfigError, match="training diverged.*lower learning_rate"):
        clf.fit(X, Y)
    assert not hasattr(clf, "model_")
