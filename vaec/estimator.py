"""A scikit-learn classifier around the VAEC: standardisation, label encoding, early stopping.

``VAECClassifier`` follows the scikit-learn estimator contract (parameters stored verbatim by
``__init__``, learned state in ``attr_`` attributes, ``fit`` returns ``self``), so it works with
``clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``. Inside ``fit`` a stratified
part of the training rows is held out; training stops when the validation log loss has not
improved for ``patience`` epochs and the weights of the best epoch are restored, so ``epochs``
is a ceiling rather than a tuning knob.

Example:
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from vaec import VAECClassifier
    >>> scores = cross_val_score(VAECClassifier(random_state=0), X, y, cv=5)
    >>> features = make_pipeline(VAECClassifier(random_state=0), LogisticRegression())
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
import sklearn.exceptions
import tensorflow as tf
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d, validate_data

from genlab import errors
from genlab.errors import (ConfigError, GenlabError, InputShapeError, InvalidValueError, LabelError,
                           TrainingDivergedError)
from genlab.layers import as_layer_specs
from vaec.config import VAECConfig
from vaec.model import VAEC

#: Strategies that train a classifier in one call (the two-stage autoencoder -> head is left out).
CLASSIFIER_STRATEGIES = ("var_mlp_classifier", "all_parts", "mlp_classifier")
#: Written into ``estimator.json``; :meth:`VAECClassifier.load` refuses other versions.
_FORMAT = "genlab.vaec.VAECClassifier"
_FORMAT_VERSION = 1
#: Rows per forward pass at prediction time (bounds memory on large inputs).
_PREDICT_BATCH = 4096


class NotFittedError(errors.NotFittedError, sklearn.exceptions.NotFittedError):
    """Used before ``fit``: a genlab error that scikit-learn also recognises as its own."""


class InputTypeError(InvalidValueError, TypeError):
    """Input of a type the model cannot read (sparse matrices, objects that are not numbers)."""


#: Words of scikit-learn's validation messages that are about shapes rather than values.
_SHAPE_WORDS = ("2D array", "feature(s)", "sample(s)", "features, but")


@contextlib.contextmanager
def _door(what: str, value_error: type | None = None):
    """Re-raise scikit-learn's validation errors as genlab types, keeping their message.

    scikit-learn's validators word their messages the way scikit-learn's own estimator checks
    expect (``"Input X contains NaN"``, ``"X has 3 features, but ... is expecting 4"``), so the
    message is kept and prefixed with the argument's name. TypeErrors stay TypeErrors
    (:class:`InputTypeError`); ValueErrors become ``value_error``, or by default
    ``InputShapeError`` for shapes and ``InvalidValueError`` for values.
    """
    try:
        yield
    except GenlabError:
        raise
    except TypeError as exc:
        raise InputTypeError(f"{what}: {exc}; pass a dense numeric array") from exc
    except ValueError as exc:
        kind = value_error or (InputShapeError if any(w in str(exc) for w in _SHAPE_WORDS)
                               else InvalidValueError)
        raise kind(f"{what}: {exc}") from exc


@contextlib.contextmanager
def _seeded(seed: int | None):
    """Seed Keras (weights, shuffling) for one fit; restore Python's and NumPy's global state."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class BestValidationWeights(keras.callbacks.Callback):
    """Early stopping on the validation log loss of a classifier, restoring the best weights.

    After every epoch the model's class probabilities on ``(x_val, y_val)`` are scored by log
    loss. Training stops once ``patience`` epochs have passed without an improvement of more
    than ``min_delta``; at the end of training (stopped early or not) the weights of the best
    epoch are put back. Training also stops when the training loss or a weight is no longer
    finite (a diverged step), and such an epoch is never kept as the best.

    Args:
        x_val: Validation features (as the model takes them).
        y_val: Integer validation labels.
        patience: Epochs without improvement before stopping.
        min_delta: Smallest decrease of the log loss that counts as an improvement.

    Attributes:
        losses: Validation log loss after each epoch.
        best_epoch: 1-based epoch of the lowest validation log loss (0: none was finite).
        diverged_epoch: 1-based epoch whose loss or weights were not finite, else ``None``.
    """

    def __init__(self, x_val, y_val, patience: int = 20, min_delta: float = 1e-4):
        super().__init__()
        self.x_val, self.y_val = tf.constant(x_val), np.asarray(y_val)
        self.patience, self.min_delta = patience, min_delta
        self.losses: list[float] = []
        self.best_epoch = 0
        self.diverged_epoch: int | None = None
        self._best, self._best_weights = math.inf, None

    def on_train_begin(self, logs=None):
        self._probabilities = tf.function(lambda x: self.model(x, training=False))

    def log_loss(self) -> float:
        """Mean log loss of the model's current probabilities on the validation rows."""
        probs = np.asarray(self._probabilities(self.x_val), dtype=np.float64)
        picked = np.clip(probs[np.arange(len(self.y_val)), self.y_val], 1e-15, 1.0)
        return float(-np.mean(np.log(picked)))

    def on_epoch_end(self, epoch, logs=None):
        loss = self.log_loss()
        self.losses.append(loss)
        if logs is not None:
            logs["val_log_loss"] = loss
        weights = self.model.get_weights()
        # A ReLU can hide NaN weights from the validation score: look at the weights themselves.
        if not (math.isfinite((logs or {}).get("loss", 0.0)) and math.isfinite(loss)
                and all(np.isfinite(w).all() for w in weights)):
            self.diverged_epoch = epoch + 1
            self.model.stop_training = True
        elif loss < self._best - self.min_delta:
            self._best, self.best_epoch, self._best_weights = loss, epoch + 1, weights
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)


class VAECClassifier(ClassNamePrefixFeaturesOutMixin, ClassifierMixin, TransformerMixin, BaseEstimator):
    """The VAEC as a scikit-learn classifier and feature extractor.

    ``fit`` standardises the features (mean and standard deviation of the training rows), encodes
    the labels (any sortable labels: integers, strings...), holds out a stratified
    ``validation_fraction`` of the rows, and trains one VAEC strategy for at most ``epochs``
    epochs, stopping when the validation log loss has not improved for ``patience`` epochs and
    restoring the best epoch's weights. ``predict_proba`` is the classifier head on ``z_mean``
    (deterministic); ``transform`` returns ``z_mean``, so the estimator can also be a feature
    step in a ``Pipeline``.

    The defaults were chosen by cross-validation on tables other than the ones of
    ``benchmarks/vaec_tables.py`` (see ``docs/vaec.md``).

    Args:
        strategy: ``"var_mlp_classifier"`` (sampled z + small KL, a variational information
            bottleneck), ``"all_parts"`` (reconstruction + KL + prediction) or ``"mlp_classifier"``
            (a plain MLP through z_mean).
        latent_dim: Size of z.
        encoder_layers: Hidden layers of the encoder (units, or genlab layer specs).
        head_layers: Hidden layers of the classifier head on z.
        kl_weight: KL weight of ``all_parts``.
        prediction_weight: Weight of the prediction loss in ``all_parts``.
        classifier_kl_weight: KL weight of ``var_mlp_classifier``.
        learning_rate: Adam learning rate.
        weight_decay: Decoupled weight decay (AdamW) when > 0.
        batch_size: Rows per gradient step.
        epochs: Most epochs to train; early stopping usually ends training sooner.
        validation_fraction: Share of the training rows held out (stratified) for early stopping,
            in ``[0, 1)``. With 0, or when there are too few rows to give every class a validation
            row and a training row, all rows train for ``epochs`` epochs.
        patience: Epochs without a lower validation log loss before training stops.
        random_state: Integer seed (weights, sampling, shuffling, validation rows) for a
            reproducible fit, or ``None``. An integer seeds Keras' global generators for the
            fit (as Keras needs); Python's and NumPy's global states are restored afterwards.
        verbose: Keras' progress output (0 silent, 1 bar, 2 one line per epoch).

    Attributes:
        classes_: The class labels, sorted.
        n_features_in_: Number of features seen in ``fit``.
        feature_names_in_: Column names, when ``fit`` got a DataFrame with string names.
        mean_, scale_: Standardisation of each feature (scale 1 for constant features).
        model_: The trained :class:`vaec.VAEC` (its inputs are standardised features).
        best_epoch_: Epoch whose weights were kept (``epochs`` without validation).
        n_epochs_: Epochs trained.
        validation_log_loss_: Validation log loss after each epoch (empty without validation).
        validation_indices_: Rows of ``X`` held out for validation (empty without validation).

    Example:
        >>> clf = VAECClassifier(random_state=0).fit(X_train, y_train)
        >>> clf.predict(X_test), clf.predict_proba(X_test), clf.transform(X_test)  # labels, probs, z_mean
        >>> clf.save("vaec-clf"); VAECClassifier.load("vaec-clf")
    """

    def __init__(self, strategy: str = "var_mlp_classifier", *, latent_dim: int = 16,
                 encoder_layers=(128, 64), head_layers=(32,), kl_weight: float = 1.0,
                 prediction_weight: float = 1.0, classifier_kl_weight: float = 1e-3,
                 learning_rate: float = 1e-3, weight_decay: float = 0.0, batch_size: int = 64,
                 epochs: int = 300, validation_fraction: float = 0.1, patience: int = 20,
                 random_state=None, verbose=0):
        self.strategy = strategy
        self.latent_dim = latent_dim
        self.encoder_layers = encoder_layers
        self.head_layers = head_layers
        self.kl_weight = kl_weight
        self.prediction_weight = prediction_weight
        self.classifier_kl_weight = classifier_kl_weight
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Train on features ``X`` (n_rows, n_features) and labels ``y`` (n_rows,).

        Returns:
            ``self``.

        Raises:
            InputShapeError, InvalidValueError, InputTypeError: ``X`` is not a finite numeric
                2-D array with rows (``InputTypeError`` is also a ``TypeError``).
            LabelError: ``y`` is missing, of another length, continuous, or has one class.
            ConfigError / UnknownNameError: A parameter is out of range or unknown.
        """
        if y is None:
            raise LabelError("VAECClassifier requires y to be passed, but the target y is None; "
                             "pass the class label of every row of X")
        with _door("X"):
            x = check_array(X, dtype=(np.float64, np.float32), input_name="X")
        with _door("y", LabelError):
            y = column_or_1d(y, warn=True)
            check_consistent_length(x, y)
            check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise LabelError(f"y holds one class ({classes[0]!r}); a classifier needs at least two "
                             "classes: check the labels or the rows selected")
        self._check_params()
        seed = self._seed()
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-12] = 1.0  # constant features stay constant (0) instead of dividing by 0
        xs = _float32_rows((x - mean) / scale)
        train, val = self._validation_split(y_idx, seed)
        config = self._vaec_config(x.shape[1], len(classes), seed)
        with _seeded(seed):
            model = VAEC(config)
            stopper = (BestValidationWeights(xs[val], y_idx[val], patience=self.patience)
                       if len(val) else None)
            # A tf.data pipeline built once and one compiled call per epoch: Keras' array
            # adapter costs several times the training itself per epoch on small tables.
            # (Tracing the multi-step loop costs about a second: short fits take one step a call.)
            steps = math.ceil(len(train) / self.batch_size)
            data = (tf.data.Dataset.from_tensor_slices((xs[train], y_idx[train]))
                    .shuffle(len(train), seed=seed, reshuffle_each_iteration=True)
                    .batch(self.batch_size))
            model.compile_strategy(self.strategy,
                                   steps_per_execution=steps if self.epochs * steps > 200 else 1)
            try:
                history = model.fit(data, epochs=self.epochs, verbose=self.verbose, shuffle=False,
                                    callbacks=[stopper] if stopper else [])
            except TrainingDivergedError as err:  # the model's own guard stopped at a non-finite loss
                where = str(err).split(" (last finite")[0]
                raise ConfigError(
                    f"{where} (learning_rate={self.learning_rate}); lower learning_rate, or look for features "
                    f"with extreme values after standardisation (largest |z|: {np.abs(xs).max():.3g})") from err
        n_epochs = len(history.history["loss"])
        if not all(np.isfinite(w).all() for w in model.get_weights()):
            raise ConfigError(
                f"training diverged: the loss or the weights stopped being finite in epoch {n_epochs} "
                f"(learning_rate={self.learning_rate}); lower learning_rate, or look for features "
                f"with extreme values after standardisation (largest |z|: {np.abs(xs).max():.3g})")
        self.classes_, self.mean_, self.scale_, self.model_ = classes, mean, scale, model
        self.n_epochs_ = n_epochs
        self.best_epoch_ = stopper.best_epoch if stopper else n_epochs
        self.validation_log_loss_ = list(stopper.losses) if stopper else []
        self.validation_indices_ = val
        validate_data(self, X, skip_check_array=True)  # n_features_in_ and feature_names_in_
        return self

    def _check_params(self) -> None:
        if self.strategy not in CLASSIFIER_STRATEGIES:
            raise errors.unknown_name("strategy", self.strategy, CLASSIFIER_STRATEGIES)
        for name in ("batch_size", "epochs", "patience"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, received {value!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(f"validation_fraction must lie in [0, 1), received "
                              f"{self.validation_fraction!r}; use 0 to train without validation")

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, (int, np.integer)) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(2**31 - 1))

    def _vaec_config(self, n_features: int, n_classes: int, seed: int | None) -> VAECConfig:
        return VAECConfig(
            input_shape=(n_features,), n_classes=n_classes, latent_dim=self.latent_dim,
            encoder_layers=as_layer_specs(self.encoder_layers), head_layers=as_layer_specs(self.head_layers),
            kl_weight=self.kl_weight, prediction_weight=self.prediction_weight,
            classifier_kl_weight=self.classifier_kl_weight, learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            seed=int(np.random.default_rng().integers(2**31 - 1)) if seed is None else seed)

    def _validation_split(self, y_idx: np.ndarray, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Stratified (train, validation) row indices; no validation rows when too few rows."""
        n, counts = len(y_idx), np.bincount(y_idx)
        n_val = math.ceil(self.validation_fraction * n)
        everything = np.arange(n)
        if n_val < len(counts) or n - n_val < len(counts) or counts.min() < 2:
            return everything, everything[:0]
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        train, val = next(splitter.split(np.zeros(n), y_idx))
        return np.sort(train), np.sort(val)

    # ------------------------------------------------------------------------------ inference
    def _standardised(self, X) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")
        with _door("X"):
            x = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return _float32_rows((x - self.mean_) / self.scale_)

    def _forward(self, X, output: str) -> np.ndarray:
        x = self._standardised(X)
        parts = []
        for i in range(0, len(x), _PREDICT_BATCH):
            z_mean, _, _ = self.model_.encoder(x[i:i + _PREDICT_BATCH], training=False)
            out = z_mean if output == "z_mean" else self.model_.classifier_head(z_mean, training=False)
            parts.append(np.asarray(out, dtype=np.float64))
        return np.concatenate(parts)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, ``(n_rows, n_classes)`` in the order of ``classes_``."""
        probs = self._forward(X, "probabilities")
        return probs / probs.sum(axis=1, keepdims=True)  # float64 rows that sum to 1

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class label of each row (labels as given to ``fit``)."""
        best = self.predict_proba(X).argmax(axis=1)
        return self.classes_[best]

    def transform(self, X) -> np.ndarray:
        """The latent code ``z_mean`` of each row, ``(n_rows, latent_dim)``."""
        return self._forward(X, "z_mean")

    @property
    def _n_features_out(self) -> int:
        return self.model_.config.latent_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # --------------------------------------------------------------------- pickle (joblib only)
    def __getstate__(self):
        """Pickle support, which joblib needs to send fitted estimators between processes.

        The Keras model travels as its config and weight arrays, never as a pickled Keras object.
        Use :meth:`save` / :meth:`load` to keep a model on disk.
        """
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__ itself
        if "model_" in state:
            model = state["model_"]
            state["model_"] = {"config": model.config.to_dict(), "weights": model.get_weights(),
                               "trained_strategies": sorted(model.trained_strategies)}
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("model_"), dict):
            state["model_"] = _rebuild(state["model_"])
        super().__setstate__(state)

    # ------------------------------------------------------------------------------ save / load
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``estimator.json`` and ``arrays.npz`` into ``directory`` (no pickle).

        The files are written into a new sibling folder that then takes the directory's name, so
        a failure leaves nothing half-written; an existing save in ``directory`` is replaced.

        Raises:
            NotFittedError: Not fitted.
            FileExistsError: ``directory`` holds files other than a saved VAECClassifier.
        """
        if not hasattr(self, "model_"):
            raise NotFittedError("nothing to save: call fit(X, y) first")
        out = Path(directory)
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "estimator.json").exists())):
            raise FileExistsError(f"{out} exists and is not a saved VAECClassifier; save into a new "
                                  "or empty directory")
        arrays = {"mean": self.mean_, "scale": self.scale_, "validation_indices": self.validation_indices_,
                  **{f"weight_{i}": w for i, w in enumerate(self.model_.get_weights())}}
        params = {k: _jsonable_param(v) for k, v in self.get_params().items()}
        meta = {"format": _FORMAT, "format_version": _FORMAT_VERSION, "params": params,
                "classes": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str
                if self.classes_.dtype != object else "object",
                "feature_names_in": getattr(self, "feature_names_in_", np.array([])).tolist() or None,
                "vaec_config": self.model_.config.to_dict(),
                "trained_strategies": sorted(self.model_.trained_strategies),
                "n_weights": len(self.model_.get_weights()), "best_epoch": self.best_epoch_,
                "n_epochs": self.n_epochs_, "validation_log_loss": self.validation_log_loss_}
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        try:
            np.savez(tmp / "arrays.npz", **arrays)
            meta["sha256"] = {"arrays.npz": _sha256(tmp / "arrays.npz")}
            (tmp / "estimator.json").write_text(json.dumps(meta, indent=1) + "\n")
            old = None
            if out.exists():
                old = out.with_name(tmp.name + "-old")
                out.rename(old)
            tmp.rename(out)
            if old is not None:
                shutil.rmtree(old)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "VAECClassifier":
        """Rebuild an estimator written by :meth:`save`.

        Raises:
            GenlabError: Not a saved VAECClassifier (missing files, other format or version).
            ChecksumError: ``arrays.npz`` does not match the checksum written beside it.
        """
        path = Path(directory)
        if not (path / "estimator.json").exists() or not (path / "arrays.npz").exists():
            raise GenlabError(f"{path} is not a saved VAECClassifier: it needs estimator.json and "
                              "arrays.npz; pass the directory VAECClassifier.save wrote")
        meta = json.loads((path / "estimator.json").read_text())
        if meta.get("format") != _FORMAT or meta.get("format_version") != _FORMAT_VERSION:
            raise GenlabError(f"{path} holds format {meta.get('format')!r} version "
                              f"{meta.get('format_version')!r}; this genlab reads {_FORMAT!r} "
                              f"version {_FORMAT_VERSION}")
        digest = _sha256(path / "arrays.npz")
        if digest != meta["sha256"]["arrays.npz"]:
            raise errors.ChecksumError(f"{path / 'arrays.npz'} has sha256 {digest}, expected "
                                       f"{meta['sha256']['arrays.npz']}: the file is damaged; save again")
        with np.load(path / "arrays.npz", allow_pickle=False) as f:
            arrays = dict(f)
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
        est = cls(**params)
        weights = [arrays[f"weight_{i}"] for i in range(meta["n_weights"])]
        est.model_ = _rebuild({"config": meta["vaec_config"], "weights": weights,
                               "trained_strategies": meta["trained_strategies"]})
        est.mean_, est.scale_ = arrays["mean"], arrays["scale"]
        est.validation_indices_ = arrays["validation_indices"]
        est.classes_ = np.asarray(meta["classes"], dtype=meta["classes_dtype"])
        est.n_features_in_ = len(est.mean_)
        if meta["feature_names_in"] is not None:
            est.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        est.best_epoch_, est.n_epochs_ = meta["best_epoch"], meta["n_epochs"]
        est.validation_log_loss_ = meta["validation_log_loss"]
        return est


def _float32_rows(z: np.ndarray) -> np.ndarray:
    """Standardised features as the float32 the network reads, refusing rows beyond float32's range
    (a feature of 1e300 is finite in float64 but infinite in float32: its probabilities would be NaN)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = z.astype(np.float32)
    rows = np.nonzero(~np.isfinite(out).all(axis=1))[0]
    if len(rows):
        raise InvalidValueError(f"X rows {rows[:5].tolist()} are beyond float32's range after standardisation "
                                f"(largest |z| {np.abs(z[rows[0]]).max():.3g}); clip or rescale those features")
    return out


def _rebuild(state: dict) -> VAEC:
    """A VAEC from its config dict and weight arrays (pickle and load)."""
    model = VAEC(VAECConfig.from_dict(state["config"]))
    model.set_weights(state["weights"])
    model.trained_strategies = set(state["trained_strategies"])
    return model


def _jsonable_param(value):
    """A constructor parameter as JSON (layer specs as dicts); refuses what JSON cannot hold."""
    if isinstance(value, (list, tuple)):
        return [s.to_dict() if hasattr(s, "to_dict") else s for s in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise ConfigError(f"cannot save parameter value {value!r} without pickle; use an int seed "
                      "or None for random_state")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

