"""Semi-supervised M1 (Kingma et al. 2014): a VAE trained on every image, SVMs on its codes.

The pipeline, as in "Semi-Supervised Learning with Deep Generative Models" (Kingma, Rezende,
Mohamed, Welling, NeurIPS 2014), model M1:

1. a VAE (:class:`vaec.VAEC` trained with ``fit_autoencoder``: reconstruction + KL, no labels) on
   all training images. Its Dense / Conv2D / Conv2DTranspose kernels use Glorot-uniform
   initialisation (biases zero): Keras' default, which the VAEC builders keep, so nothing is set;
2. each image is represented by its posterior mean ``z_mean`` restricted to the *active* latent
   units (variance of ``z_mean`` over the training images > 0.01, Burda et al. 2016): collapsed
   units carry no information, only noise an RBF kernel would weigh like signal; each kept unit
   is standardised with its mean / standard deviation over the training images (a LinearSVC with
   a fixed ``C`` underfits codes of small scale);
3. classifiers on the codes of the few labelled images:

   - ``linear_svc``: ``LinearSVC`` (the original study's M1 + SVM);
   - ``rbf_svc``: ``SVC(kernel="rbf")``;
   - ``self_training_svc``: ``SelfTrainingClassifier`` around an RBF ``SVC(probability=True)``,
     fitted on the labelled codes plus (a sample of) the unlabelled codes: a self-training stand-in
     for the paper's transductive SVM.

Saving writes the VAE as ``.keras`` and the SVMs as plain arrays (``classifiers.npz``) plus JSON
(``m1.json``): no pickle, nothing executable is loaded. The arrays include scikit-learn's private
fitted attributes (``_dual_coef_``...), so files are tied to the scikit-learn minor version that
wrote them; loading checks the version and re-predicts stored probe codes to prove the restored
SVMs are identical.

Example:
    >>> cfg = M1Config(vae=VAECConfig(input_shape=(28, 28, 1), n_classes=10, latent_dim=32,
    ...                               conv_filters=(32, 64), reconstruction_loss="bce"))
    >>> m1 = M1(cfg).fit_vae(x_train, epochs=10)
    >>> idx = balanced_label_indices(y_train, 100, seed=0)
    >>> m1.fit_classifiers(x_train[idx], y_train[idx], x_unlabelled=np.delete(x_train, idx, 0))
    >>> m1.evaluate(x_test, y_test)["linear_svc"]["accuracy"]
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path

import keras
import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC, LinearSVC

from genlab.checks import check_labels
from genlab.errors import ConfigError, GenlabError, LabelError, NotFittedError, unknown_name
from vaec.config import VAECConfig
from vaec.model import VAEC

#: Classifiers M1 can fit on the codes, in table order.
CLASSIFIERS = ("linear_svc", "rbf_svc", "self_training_svc")
_FORMAT_VERSION = 1
#: A latent unit is active when Var_x[z_mean] exceeds this (Burda, Grosse, Salakhutdinov 2016).
ACTIVE_UNIT_VARIANCE = 0.01


def balanced_label_indices(y, n_labels: int, seed: int, n_classes: int | None = None) -> np.ndarray:
    """Draw ``n_labels`` row indices, ``n_labels / n_classes`` per class, without replacement.

    Args:
        y: Integer class labels, shape ``(n,)``.
        n_labels: Total number of labelled rows to draw.
        seed: Seed of the draw (``numpy.random.default_rng``); the same seed gives the same rows.
        n_classes: Number of classes; ``None`` uses the classes present in ``y``.

    Returns:
        Sorted int64 indices into ``y``, distinct, exactly ``n_labels // n_classes`` per class.

    Raises:
        ConfigError: ``n_labels`` is not a positive multiple of the number of classes.
        LabelError: ``y`` is not a label vector, or a class has fewer rows than it needs.

    Example:
        >>> idx = balanced_label_indices(y_train, 100, seed=0)   # 10 per MNIST digit
    """
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise LabelError(f"y must be a non-empty vector of class labels, received shape {y.shape}")
    classes = np.arange(n_classes) if n_classes is not None else np.unique(y)
    k = len(classes)
    if isinstance(n_labels, bool) or not isinstance(n_labels, (int, np.integer)) or n_labels <= 0:
        raise ConfigError(f"n_labels must be a positive integer, received {n_labels!r}")
    if n_labels % k:
        raise ConfigError(
            f"n_labels={n_labels} is not divisible by the {k} classes; a balanced draw needs a "
            f"multiple of {k}, e.g. {max(k, n_labels - n_labels % k)} or {n_labels + k - n_labels % k}")
    per_class = n_labels // k
    rng = np.random.default_rng(seed)
    picked = []
    for c in classes:
        rows = np.flatnonzero(y == c)
        if len(rows) < per_class:
            raise LabelError(
                f"class {c} has {len(rows)} rows but a balanced draw of n_labels={n_labels} needs "
                f"{per_class} per class; lower n_labels to at most {k * len(rows)}")
        picked.append(rng.choice(rows, size=per_class, replace=False))
    return np.sort(np.concatenate(picked)).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class M1Config:
    """Settings of the M1 pipeline.

    Attributes:
        vae: Architecture of the VAE (a :class:`VAECConfig`; its head is built but unused).
        classifiers: Which classifiers ``fit_classifiers`` trains (subset of :data:`CLASSIFIERS`).
        linear_c: ``C`` of ``LinearSVC``.
        rbf_c: ``C`` of the RBF ``SVC`` (also inside self-training).
        rbf_gamma: ``gamma`` of the RBF kernel (``"scale"`` = 1 / (n_features * var)).
        self_training_criterion: ``"threshold"`` or ``"k_best"`` (SelfTrainingClassifier).
        self_training_threshold: Probability above which an unlabelled code gets its pseudo-label.
        self_training_k_best: Pseudo-labels added per iteration with ``"k_best"``.
        self_training_max_iter: Self-training iterations.
        n_unlabelled: Unlabelled codes sampled for self-training (an RBF SVC with Platt scaling
            is quadratic-to-cubic in rows; 60,000 is out of reach on a CPU); ``None`` uses all.
        seed: Seed of the unlabelled sample and of the SVMs' ``random_state``.
    """

    vae: VAECConfig
    classifiers: tuple[str, ...] = CLASSIFIERS
    linear_c: float = 1.0
    rbf_c: float = 10.0
    rbf_gamma: str | float = "scale"
    self_training_criterion: str = "threshold"
    self_training_threshold: float = 0.9
    self_training_k_best: int = 500
    self_training_max_iter: int = 10
    n_unlabelled: int | None = 5000
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.vae, dict):
            object.__setattr__(self, "vae", VAECConfig.from_dict(self.vae))
        object.__setattr__(self, "classifiers", tuple(self.classifiers))
        for name in self.classifiers:
            if name not in CLASSIFIERS:
                raise unknown_name("classifier", name, CLASSIFIERS)
        if not self.classifiers:
            raise ConfigError("classifiers must name at least one of " + ", ".join(CLASSIFIERS))
        if self.linear_c <= 0 or self.rbf_c <= 0:
            raise ConfigError(f"linear_c and rbf_c must be > 0, received {self.linear_c}, {self.rbf_c}")
        if self.self_training_criterion not in ("threshold", "k_best"):
            raise unknown_name("self_training_criterion", self.self_training_criterion,
                               ("threshold", "k_best"))
        if not 0 < self.self_training_threshold < 1:
            raise ConfigError("self_training_threshold must be in (0, 1), received "
                              f"{self.self_training_threshold}")
        if self.self_training_k_best < 1 or self.self_training_max_iter < 1:
            raise ConfigError("self_training_k_best and self_training_max_iter must be >= 1")
        if self.n_unlabelled is not None and self.n_unlabelled < 1:
            raise ConfigError(f"n_unlabelled must be >= 1 or None, received {self.n_unlabelled}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["vae"] = self.vae.to_dict()
        d["classifiers"] = list(self.classifiers)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "M1Config":
        d = dict(d)
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"M1Config has no fields {sorted(unknown)}")
        return cls(**d)


class M1:
    """M1: VAE codes (``z_mean``) + SVM classifiers (see module docstring).

    Args:
        config: An :class:`M1Config`.

    Attributes:
        vae: The :class:`VAEC` (its encoder gives the codes).
        active_units_: Indices of the active latent units kept in the codes (from the VAE's
            training images).
        code_mean_, code_std_: Standardisation of the active units (same images).
        classifiers_: Fitted scikit-learn estimators by name, after :meth:`fit_classifiers`.
    """

    def __init__(self, config: M1Config):
        if not isinstance(config, M1Config):
            raise ConfigError(f"config must be an M1Config, received {type(config).__name__}")
        self.config = config
        self.vae = VAEC(config.vae)
        self.active_units_: np.ndarray | None = None
        self.code_mean_: np.ndarray | None = None
        self.code_std_: np.ndarray | None = None
        self.classifiers_: dict = {}
        self._unlabelled_codes: np.ndarray | None = None
        self._probe: np.ndarray | None = None

    # ------------------------------------------------------------------------------- VAE
    def fit_vae(self, x, *, epochs: int = 10, batch_size: int = 128, **fit_kwargs) -> "M1":
        """Train the VAE on unlabelled images (``VAEC.fit_autoencoder``) and fix the code scaling.

        Args:
            x: All training images (labels are never used).
            epochs, batch_size: As in ``keras.Model.fit``.
            **fit_kwargs: Passed to ``VAEC.fit_autoencoder`` (``verbose``, ``callbacks``,
                ``jit_compile``, ``validation_data=(x_val,)``...).

        Returns:
            ``self``; the encoded training images are kept as the default unlabelled pool.
        """
        self.history_ = self.vae.fit_autoencoder(x, epochs=epochs, batch_size=batch_size, **fit_kwargs)
        z_mean = self.vae.encode(x)[0]
        active = np.flatnonzero(z_mean.var(axis=0) > ACTIVE_UNIT_VARIANCE)
        # Keep every unit if all collapsed (an untrained VAE): the SVMs still get an input.
        self.active_units_ = active if len(active) else np.arange(z_mean.shape[1])
        kept = z_mean[:, self.active_units_]
        self.code_mean_, self.code_std_ = kept.mean(axis=0), kept.std(axis=0) + 1e-6
        self._unlabelled_codes = (kept - self.code_mean_) / self.code_std_
        return self

    def codes(self, x) -> np.ndarray:
        """Standardised posterior means of images ``x`` on the active units, ``(n, n_active)``."""
        if self.active_units_ is None:
            raise NotFittedError("the VAE is not trained: call fit_vae(x) first (or M1.load(dir))")
        return (self.vae.encode(x)[0][:, self.active_units_] - self.code_mean_) / self.code_std_

    # ------------------------------------------------------------------------------- SVMs
    def _build(self, name: str, seed: int):
        cfg = self.config
        if name == "linear_svc":
            return LinearSVC(C=cfg.linear_c, random_state=seed, max_iter=5000)
        if name == "rbf_svc":
            return SVC(kernel="rbf", C=cfg.rbf_c, gamma=cfg.rbf_gamma, random_state=seed)
        if name == "self_training_svc":
            # Platt-scaled probabilities decide which pseudo-labels are trusted.
            base = SVC(kernel="rbf", C=cfg.rbf_c, gamma=cfg.rbf_gamma, probability=True,
                       random_state=seed)
            return SelfTrainingClassifier(base, criterion=cfg.self_training_criterion,
                                          threshold=cfg.self_training_threshold,
                                          k_best=cfg.self_training_k_best,
                                          max_iter=cfg.self_training_max_iter)
        raise unknown_name("classifier", name, CLASSIFIERS)

    def fit_classifiers(self, x_labelled, y_labelled, x_unlabelled=None,
                        seed: int | None = None) -> "M1":
        """Fit every configured classifier on the codes of the labelled images.

        Args:
            x_labelled: Labelled images.
            y_labelled: Their integer labels in ``[0, n_classes)``.
            x_unlabelled: Images without labels for self-training; ``None`` uses the VAE's
                training images (which may include the labelled ones). ``config.n_unlabelled``
                of them are sampled (seeded) before encoding.
            seed: Seed of the unlabelled sample and the SVMs' ``random_state``; ``None`` uses
                ``config.seed`` (a run gives each label draw its own).

        Returns:
            ``self``.

        Raises:
            NotFittedError: The VAE is not trained.
            LabelError: Bad labels, or fewer than two classes among them.
            ConfigError: Self-training needs unlabelled images and none are available.
        """
        cfg = self.config
        z_lab = self.codes(x_labelled)
        y_lab = check_labels(y_labelled, cfg.vae.n_classes, len(z_lab), "y_labelled")
        if len(np.unique(y_lab)) < 2:
            raise LabelError("y_labelled holds a single class; an SVM needs at least two")
        seed = cfg.seed if seed is None else int(seed)
        rng = np.random.default_rng(seed)
        self.classifiers_ = {}
        for name in cfg.classifiers:
            est = self._build(name, seed)
            if name == "self_training_svc":
                z_unl = self._unlabelled_pool(x_unlabelled, rng)
                z = np.concatenate([z_lab, z_unl])
                y = np.concatenate([y_lab, np.full(len(z_unl), -1)])  # -1 marks "no label"
                with warnings.catch_warnings():
                    # scikit-learn 1.9 deprecates SVC(probability=True); behaviour is unchanged.
                    warnings.filterwarnings("ignore", "The `probability` parameter", FutureWarning)
                    est.fit(z, y)
            else:
                est.fit(z_lab, y_lab)
            self.classifiers_[name] = est
        self._probe = z_lab[:16]
        return self

    def _unlabelled_pool(self, x_unlabelled, rng) -> np.ndarray:
        n = self.config.n_unlabelled
        if x_unlabelled is None:
            if self._unlabelled_codes is None:
                raise ConfigError(
                    "self_training_svc needs unlabelled images: pass x_unlabelled (a loaded M1 "
                    "does not keep the VAE's training codes)")
            pool = self._unlabelled_codes
            return pool if n is None or n >= len(pool) else pool[rng.choice(len(pool), n, replace=False)]
        x_unlabelled = np.asarray(x_unlabelled)
        if n is not None and n < len(x_unlabelled):
            x_unlabelled = x_unlabelled[np.sort(rng.choice(len(x_unlabelled), n, replace=False))]
        return self.codes(x_unlabelled)

    def _checked_name(self, name: str):
        if not self.classifiers_:
            raise NotFittedError("no classifier is fitted: call fit_classifiers first")
        if name not in self.classifiers_:
            raise unknown_name("fitted classifier", name, self.classifiers_)
        return self.classifiers_[name]

    def predict(self, x, classifier: str | None = None):
        """Predicted labels: one array for ``classifier``, else a dict over every fitted one."""
        return self.predict_codes(self.codes(x), classifier)

    def predict_codes(self, z, classifier: str | None = None):
        """As :meth:`predict`, from codes already computed with :meth:`codes`."""
        if classifier is not None:
            return self._checked_name(classifier).predict(z)
        if not self.classifiers_:
            raise NotFittedError("no classifier is fitted: call fit_classifiers first")
        return {name: est.predict(z) for name, est in self.classifiers_.items()}

    def evaluate(self, x, y) -> dict[str, dict[str, float]]:
        """Accuracy and macro precision / recall / F1 of each fitted classifier on ``(x, y)``.

        Returns:
            ``{classifier: {"accuracy", "precision", "recall", "f1"}}`` (fractions in [0, 1];
            macro averages over the classes present in ``y``, 0 for a class never predicted).
        """
        return self.evaluate_codes(self.codes(x), y)

    def evaluate_codes(self, z, y) -> dict[str, dict[str, float]]:
        """As :meth:`evaluate`, from codes already computed with :meth:`codes`."""
        predictions = self.predict_codes(z)
        y = check_labels(y, self.config.vae.n_classes, len(z), "y")
        out = {}
        for name, pred in predictions.items():
            p, r, f, _ = precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
            out[name] = {"accuracy": float(accuracy_score(y, pred)), "precision": float(p),
                         "recall": float(r), "f1": float(f)}
        return out

    # ------------------------------------------------------------------------------- save / load
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``vae.keras``, ``classifiers.npz`` (arrays only) and ``m1.json`` to ``directory``."""
        if self.active_units_ is None:
            raise NotFittedError("nothing to save: call fit_vae first")
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self.vae.save(path / "vae.keras")
        arrays = {"active_units": self.active_units_, "code_mean": self.code_mean_,
                  "code_std": self.code_std_}
        meta = {"format_version": _FORMAT_VERSION, "sklearn_version": sklearn.__version__,
                "config": self.config.to_dict(), "classifiers": {}}
        for name, est in self.classifiers_.items():
            meta["classifiers"][name] = _export_estimator(est, name, arrays)
        if self._probe is not None:
            arrays["probe_codes"] = self._probe
            for name, est in self.classifiers_.items():
                arrays[f"probe_prediction/{name}"] = est.predict(self._probe)
        np.savez(path / "classifiers.npz", **arrays)
        (path / "m1.json").write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "M1":
        """Inverse of :meth:`save`.

        Raises:
            GenlabError: Missing files.
            ConfigError: Written by another scikit-learn minor version, or the restored SVMs do
                not reproduce the stored probe predictions.
        """
        path = Path(directory)
        missing = [f for f in ("vae.keras", "classifiers.npz", "m1.json") if not (path / f).exists()]
        if missing:
            raise GenlabError(f"{path} is not a saved M1: missing {', '.join(missing)}; "
                              "pass the directory M1.save wrote")
        meta = json.loads((path / "m1.json").read_text())
        if _minor(meta["sklearn_version"]) != _minor(sklearn.__version__):
            raise ConfigError(
                f"{path} holds SVMs saved with scikit-learn {meta['sklearn_version']}, this is "
                f"{sklearn.__version__}; install scikit-learn {_minor(meta['sklearn_version'])}.x or "
                "re-fit the classifiers with fit_classifiers")
        m1 = cls(M1Config.from_dict(meta["config"]))
        m1.vae = keras.saving.load_model(path / "vae.keras")
        with np.load(path / "classifiers.npz", allow_pickle=False) as f:
            arrays = dict(f)
        m1.active_units_ = arrays["active_units"]
        m1.code_mean_, m1.code_std_ = arrays["code_mean"], arrays["code_std"]
        m1.classifiers_ = {name: _import_estimator(spec, name, arrays)
                           for name, spec in meta["classifiers"].items()}
        if "probe_codes" in arrays:
            m1._probe = arrays["probe_codes"]
            for name, est in m1.classifiers_.items():
                if not np.array_equal(est.predict(m1._probe), arrays[f"probe_prediction/{name}"]):
                    raise ConfigError(f"restored classifier {name!r} does not reproduce its saved "
                                      "predictions; re-fit it with fit_classifiers")
        return m1


# ----------------------------------------------------------------------------- SVM state as arrays
_ESTIMATORS = {"LinearSVC": LinearSVC, "SVC": SVC, "SelfTrainingClassifier": SelfTrainingClassifier}


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _jsonable(value, what: str):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise ConfigError(f"cannot store {what} of type {type(value).__name__} without pickle")


def _export_estimator(est, prefix: str, arrays: dict) -> dict:
    """Describe a fitted estimator as JSON + arrays (added to ``arrays`` under ``prefix/``)."""
    kind = type(est).__name__
    if kind not in _ESTIMATORS:
        raise ConfigError(f"cannot save a {kind}; expected one of {sorted(_ESTIMATORS)}")
    spec = {"kind": kind, "params": {}, "state": {}, "tuples": []}
    for key, value in est.get_params(deep=False).items():
        if key != "estimator":
            spec["params"][key] = _jsonable(value, f"{prefix} parameter {key}")
    for key, value in vars(est).items():
        if key in spec["params"] or key == "estimator":
            continue
        if key == "estimator_":
            spec["estimator_"] = _export_estimator(value, f"{prefix}/estimator_", arrays)
        elif isinstance(value, np.ndarray):
            arrays[f"{prefix}/{key}"] = value
        elif isinstance(value, tuple):
            spec["state"][key] = [_jsonable(v, f"{prefix}.{key}") for v in value]
            spec["tuples"].append(key)
        else:
            spec["state"][key] = _jsonable(value, f"{prefix}.{key}")
    return spec


def _import_estimator(spec: dict, prefix: str, arrays: dict):
    cls = _ESTIMATORS.get(spec["kind"])
    if cls is None:
        raise ConfigError(f"unknown estimator kind {spec['kind']!r} in the saved M1")
    if "estimator_" in spec:
        inner = _import_estimator(spec["estimator_"], f"{prefix}/estimator_", arrays)
        est = cls(clone(inner), **spec["params"])
        est.estimator_ = inner
    else:
        est = cls(**spec["params"])
    for key, value in spec["state"].items():
        setattr(est, key, tuple(value) if key in spec["tuples"] else value)
    for key, value in arrays.items():
        if key.startswith(prefix + "/") and "/" not in key[len(prefix) + 1:]:
            setattr(est, key[len(prefix) + 1:], value)
    return est
