"""Domain of validity in the latent space: is an input like the data the classifier was trained on?

Two tests, fitted on the training set's latent codes:

* **Isotropic distance.** An isotropic Gaussian N(c, sigma^2 I) (one scalar sigma, maximum
  likelihood) is fitted to the *sampled* z of the training data. An input's ``distance`` is
  ``||z_mean - c|| / sigma``: how many sigmas its code lies from the centre. ``in_domain`` is
  ``distance <= k``. Under the fitted Gaussian ``distance^2`` follows a chi-square law with
  ``latent_dim`` degrees of freedom, which gives ``distance_p_value``.
* **Per-dimension test.** A diagonal Gaussian (mean m_j, standard deviation s_j) is fitted to the
  training ``z_mean``. For a new code the statistic ``t_j = (z_j - m_j) / (s_j * sqrt(1 + 1/n))``
  follows Student's t with ``n - 1`` degrees of freedom: the prediction-interval form of the
  t-test, which accounts for m_j and s_j being estimated from n rows (a z-test would treat them as
  known; the two agree for large n). ``p_values`` are two-sided per dimension; ``confidence`` is
  the Bonferroni-combined ``min(1, d * min_j p_j)``, a valid p-value for "every dimension is
  consistent with the training data" whatever the dependence between dimensions.

When training labels are given, a third, class-conditional test is fitted (:class:`ClassDomain`):
a classifier's codes form one cluster per class, which a single Gaussian describes badly (the
space between clusters counts as "typical"). Each class gets its own mean and all share one full
covariance (the pooled within-class covariance, as in Lee et al. 2018, "A simple unified
framework for detecting out-of-distribution samples and adversarial attacks"); an input's
``class_distance`` is its Mahalanobis distance to the nearest class mean.

A fourth test needs no distributional assumption (:class:`NeighbourDomain`): the distance from
the input's L2-normalised z_mean to its k-th nearest normalised training code (Sun et al. 2022,
"Out-of-distribution detection with deep nearest neighbors"), calibrated on the training codes'
own leave-one-out k-th neighbour distances.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import tensorflow as tf

from genlab.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class DomainScore:
    """Scores of a batch of inputs (arrays with one row per input)."""

    distance: np.ndarray
    distance_p_value: np.ndarray
    p_values: np.ndarray
    confidence: np.ndarray
    in_domain: np.ndarray
    typicality_p_value: np.ndarray | None = None
    reconstruction_error: np.ndarray | None = None
    reconstruction_p_value: np.ndarray | None = None
    combined_p_value: np.ndarray | None = None
    class_distance: np.ndarray | None = None
    class_p_value: np.ndarray | None = None
    neighbour_distance: np.ndarray | None = None
    neighbour_p_value: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class LatentDomain:
    """Fitted latent-space domain (see module docstring).

    Attributes:
        centre: Mean of the training sampled z, ``(d,)``.
        sigma: Isotropic standard deviation of the training sampled z (scalar).
        mean: Mean of the training z_mean, ``(d,)``.
        std: Standard deviation of the training z_mean, ``(d,)``.
        n: Number of training rows.
        k: In-domain radius in sigmas.
    """

    centre: np.ndarray
    sigma: float
    mean: np.ndarray
    std: np.ndarray
    n: int
    k: float = 3.0

    @classmethod
    def fit(cls, z_sampled: np.ndarray, z_mean: np.ndarray, k: float = 3.0) -> "LatentDomain":
        """Fit both Gaussians to training codes ``(n, d)``.

        Raises:
            ConfigError: Fewer than 3 rows, mismatched shapes, or ``k <= 0``.
        """
        z_sampled, z_mean = np.asarray(z_sampled, np.float64), np.asarray(z_mean, np.float64)
        if z_sampled.ndim != 2 or z_sampled.shape != z_mean.shape or len(z_mean) < 3:
            raise ConfigError(
                f"fit needs sampled z and z_mean of the same shape (n >= 3, d); received "
                f"{z_sampled.shape} and {z_mean.shape}")
        if k <= 0:
            raise ConfigError(f"k must be > 0 sigmas, received {k}")
        centre = z_sampled.mean(axis=0)
        sigma = float(np.sqrt(np.mean((z_sampled - centre) ** 2)))  # isotropic MLE
        std = z_mean.std(axis=0, ddof=1)
        return cls(centre, sigma, z_mean.mean(axis=0), np.maximum(std, 1e-12), len(z_mean), float(k))

    @property
    def dim(self) -> int:
        return len(self.centre)

    def score_tensors(self, z_mean: tf.Tensor) -> dict:
        """TensorFlow version of :meth:`score` (used inside exported SavedModels)."""
        z = tf.cast(z_mean, tf.float64)
        d = float(self.dim)
        distance = tf.norm(z - self.centre, axis=-1) / self.sigma
        # chi-square survival function with d degrees of freedom: Q(d/2, x/2)
        distance_p = tf.math.igammac(tf.constant(d / 2.0, tf.float64), tf.square(distance) / 2.0)
        df = float(self.n - 1)
        t = (z - self.mean) / (self.std * np.sqrt(1.0 + 1.0 / self.n))
        # two-sided Student-t p-value: I_{df / (df + t^2)}(df / 2, 1 / 2)
        p = tf.math.betainc(tf.constant(df / 2, tf.float64), tf.constant(0.5, tf.float64),
                            df / (df + tf.square(t)))
        confidence = tf.minimum(d * tf.reduce_min(p, axis=-1), tf.constant(1.0, tf.float64))
        return {"distance": tf.cast(distance, tf.float32),
                "distance_p_value": tf.cast(distance_p, tf.float32),
                "p_values": tf.cast(p, tf.float32),
                "confidence": tf.cast(confidence, tf.float32),
                "in_domain": distance <= self.k}

    def score(self, z_mean: np.ndarray) -> DomainScore:
        """Score latent means ``(n, d)``; see the module docstring for each field."""
        z_mean = np.asarray(z_mean, np.float32)
        if z_mean.ndim != 2 or z_mean.shape[1] != self.dim:
            raise ConfigError(f"z_mean must have shape (n, {self.dim}), received {z_mean.shape}")
        return DomainScore(**{k: v.numpy() for k, v in self.score_tensors(z_mean).items()})

    def to_json(self) -> str:
        """Serialise to JSON (arrays as lists)."""
        d = dataclasses.asdict(self)
        return json.dumps({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in d.items()})

    @classmethod
    def from_json(cls, text: str) -> "LatentDomain":
        d = json.loads(text)
        for key in ("centre", "mean", "std"):
            d[key] = np.asarray(d[key], np.float64)
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class ClassDomain:
    """Class means with a shared (tied) covariance in latent space (see module docstring).

    Attributes:
        means: Class means of the training z_mean, ``(n_classes, d)``.
        whitening: ``L^-1`` where ``L L^T`` is the pooled within-class covariance (plus a small
            ridge), ``(d, d)``; ``||L^-1 (z - m_c)||`` is the Mahalanobis distance to class c.
    """

    means: np.ndarray
    whitening: np.ndarray

    @classmethod
    def fit(cls, z_mean: np.ndarray, labels: np.ndarray, ridge: float = 1e-6) -> "ClassDomain":
        """Fit class means and the pooled covariance to training codes ``(n, d)`` and labels ``(n,)``.

        Raises:
            ConfigError: Shapes disagree, or a class has fewer than 2 rows.
        """
        z = np.asarray(z_mean, np.float64)
        labels = np.asarray(labels).reshape(-1)
        if z.ndim != 2 or len(labels) != len(z):
            raise ConfigError(f"class domain needs z_mean (n, d) and n labels; received {z.shape} and "
                              f"{labels.shape}")
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < 2:
            raise ConfigError(f"class {classes[counts.argmin()].item()!r} has {counts.min()} training row; every "
                              "class needs at least 2 to fit the class domain")
        means = np.stack([z[labels == c].mean(axis=0) for c in classes])
        centred = z - means[np.searchsorted(classes, labels)]
        cov = centred.T @ centred / (len(z) - len(classes))
        cov += ridge * max(np.trace(cov) / len(cov), 1e-12) * np.eye(len(cov))
        return cls(means, np.linalg.inv(np.linalg.cholesky(cov)))

    def distance_tensor(self, z_mean) -> tf.Tensor:
        """Mahalanobis distance of each code to its nearest class mean, ``(n,)`` float64."""
        z = tf.cast(z_mean, tf.float64)
        diff = z[:, None, :] - tf.constant(self.means)[None]                       # (n, k, d)
        white = tf.einsum("ij,nkj->nki", tf.constant(self.whitening), diff)
        return tf.sqrt(tf.reduce_min(tf.reduce_sum(tf.square(white), axis=-1), axis=-1))

    def distances(self, z_mean) -> np.ndarray:
        return self.distance_tensor(np.asarray(z_mean)).numpy()


def _unit(z) -> tf.Tensor:
    z = tf.cast(z, tf.float32)
    return z / tf.maximum(tf.norm(z, axis=-1, keepdims=True), 1e-12)


@dataclasses.dataclass(frozen=True)
class NeighbourDomain:
    """k-th nearest-neighbour distance among L2-normalised training codes (see module docstring).

    Attributes:
        reference: Normalised training codes, ``(m, d)`` (a seeded subsample when there are more
            than ``max_reference`` rows, which bounds the cost and the exported model's size).
        k: Which neighbour.
    """

    reference: np.ndarray
    k: int = 10

    @classmethod
    def fit(cls, z_mean: np.ndarray, k: int = 10, max_reference: int = 20_000,
            seed: int = 0) -> tuple["NeighbourDomain", np.ndarray]:
        """Fit to training codes; returns the domain and every training row's calibration distance.

        A training row inside the reference set is its own nearest neighbour, so its calibration
        distance is taken to the (k+1)-th neighbour (leave-one-out); other rows use the k-th.

        Raises:
            ConfigError: ``k`` not a positive int, or fewer than ``k + 1`` rows.
        """
        z = np.asarray(z_mean, np.float32)
        if not isinstance(k, int) or k < 1 or len(z) < k + 1:
            raise ConfigError(f"the neighbour test needs an int k >= 1 and more than k training rows; "
                              f"received k={k!r} with {len(z)} rows")
        chosen = np.arange(len(z))
        if len(z) > max_reference:
            chosen = np.sort(np.random.default_rng(seed).choice(len(z), max_reference, replace=False))
        dom = cls(_unit(z[chosen]).numpy(), k)
        in_ref = np.zeros(len(z), bool)
        in_ref[chosen] = True
        calib = np.empty(len(z), np.float64)
        for start in range(0, len(z), 1024):
            block = slice(start, start + 1024)
            both = dom.distance_tensor(z[block], ks=(k, k + 1)).numpy()
            calib[block] = np.where(in_ref[block], both[:, 1], both[:, 0])
        return dom, calib

    def distance_tensor(self, z_mean, ks=None) -> tf.Tensor:
        """Distance to the k-th nearest reference code, ``(n,)`` float64 (``(n, len(ks))`` for ``ks``)."""
        ks = (self.k,) if ks is None else tuple(ks)
        sims = tf.matmul(_unit(z_mean), tf.constant(self.reference), transpose_b=True)
        top = tf.math.top_k(sims, k=max(ks)).values                     # descending similarity
        dist = tf.sqrt(tf.maximum(2.0 - 2.0 * tf.cast(tf.gather(top, [k - 1 for k in ks], axis=1), tf.float64), 0.0))
        return dist[:, 0] if len(ks) == 1 else dist


def _empirical_tail(sorted_ref: np.ndarray, values, upper: bool):
    """Empirical one-sided p-value ``(count + 1) / (n + 1)`` of ``values`` among ``sorted_ref``."""
    n = len(sorted_ref)
    ref = tf.constant(sorted_ref)
    if upper:  # count of reference values >= value
        count = n - tf.searchsorted(ref, values, side="left")
    else:      # count of reference values <= value
        count = tf.searchsorted(ref, values, side="right")
    return tf.cast(count + 1, tf.float64) / (n + 1)


class Domain:
    """A :class:`LatentDomain` bound to the VAEC whose encoder produced it; scores raw inputs.

    Besides the Gaussian tests of :class:`LatentDomain` it adds two empirical tests, calibrated
    on the training rows themselves:

    * ``typicality_p_value``: two-sided, of the input's ``distance`` among the training rows'
      distances. Inputs unlike the training data are often mapped *closer* to the centre than
      training data (noise images land near the origin of a VAE's latent space), which a
      one-sided distance misses; a typicality test flags both sides (Nalisnick et al. 2019,
      "Detecting out-of-distribution inputs to deep generative models using typicality").
    * ``reconstruction_p_value``: share of training rows the decoder reconstructs at least as
      badly, ``(count + 1) / (n + 1)``; used only when the decoder was trained
      (``fit_all_parts`` or ``fit_autoencoder`` ran), otherwise reported but left out of the
      combination.

    * ``neighbour_p_value``: share of training rows whose (leave-one-out) k-th neighbour distance
      is at least the input's ``neighbour_distance``.
    * ``class_p_value`` (when ``fit_domain`` got labels): share of training rows at least as far
      from their nearest class mean (Mahalanobis, tied covariance) as the input,
      ``(count + 1) / (n + 1)``; ``class_distance`` is that distance.

    ``combined_p_value`` is the Bonferroni combination ``min(1, m * min(p))`` of ``confidence``,
    ``typicality_p_value``, ``neighbour_p_value`` and, where they apply,
    ``reconstruction_p_value`` and ``class_p_value`` (m tests).

    Example:
        >>> domain = model.fit_domain(x_train)
        >>> s = domain.score(x_new)
        >>> s.distance, s.in_domain, s.confidence, s.typicality_p_value, s.combined_p_value
    """

    def __init__(self, model, latent: LatentDomain, train_errors: np.ndarray,
                 train_distances: np.ndarray, use_reconstruction: bool,
                 classes: ClassDomain | None = None, train_class_distances: np.ndarray | None = None,
                 neighbours: NeighbourDomain | None = None, train_neighbour_distances: np.ndarray | None = None):
        self.model = model
        self.latent = latent
        self.train_errors = np.sort(np.asarray(train_errors, np.float64))
        self.train_distances = np.sort(np.asarray(train_distances, np.float64))
        self.use_reconstruction = bool(use_reconstruction)
        if (classes is None) != (train_class_distances is None):
            raise ConfigError("give both classes and train_class_distances, or neither")
        self.classes = classes
        if (neighbours is None) != (train_neighbour_distances is None):
            raise ConfigError("give both neighbours and train_neighbour_distances, or neither")
        self.neighbours = neighbours
        self.train_neighbour_distances = None if neighbours is None else np.sort(
            np.asarray(train_neighbour_distances, np.float64))
        self.train_class_distances = None if classes is None else np.sort(
            np.asarray(train_class_distances, np.float64))

    def score_tensors(self, x, z_mean) -> dict:
        """TensorFlow scores of inputs ``x`` with codes ``z_mean`` (used by the export too)."""
        from vaec.losses import reconstruction_error

        out = self.latent.score_tensors(z_mean)
        x_hat = self.model.decoder(z_mean, training=False)
        err = tf.cast(reconstruction_error(x, x_hat, self.model.config.reconstruction_loss), tf.float64)
        recon_p = _empirical_tail(self.train_errors, err, upper=True)
        dist = tf.cast(out["distance"], tf.float64)
        typical_p = tf.minimum(2.0 * tf.minimum(_empirical_tail(self.train_distances, dist, False),
                                                _empirical_tail(self.train_distances, dist, True)),
                               tf.constant(1.0, tf.float64))
        tests = [tf.cast(out["confidence"], tf.float64), typical_p]
        if self.use_reconstruction:
            tests.append(recon_p)
        for name, part, reference in (("neighbour", self.neighbours, self.train_neighbour_distances),
                                      ("class", self.classes, self.train_class_distances)):
            if part is not None:  # both are "how far from the training codes", calibrated empirically
                dist_part = part.distance_tensor(z_mean)
                p_part = _empirical_tail(reference, dist_part, upper=True)
                tests.append(p_part)
                out[f"{name}_distance"] = tf.cast(dist_part, tf.float32)
                out[f"{name}_p_value"] = tf.cast(p_part, tf.float32)
        combined = tf.minimum(len(tests) * tf.reduce_min(tf.stack(tests, axis=-1), axis=-1),
                              tf.constant(1.0, tf.float64))
        out["typicality_p_value"] = tf.cast(typical_p, tf.float32)
        out["reconstruction_error"] = tf.cast(err, tf.float32)
        out["reconstruction_p_value"] = tf.cast(recon_p, tf.float32)
        out["combined_p_value"] = tf.cast(combined, tf.float32)
        return out

    def score(self, x, batch_size: int = 1024) -> DomainScore:
        """Encode ``x`` (inference mode) and score it; see :class:`DomainScore`."""
        from genlab.checks import check_features

        x = check_features(x, self.model.config.input_shape)
        parts = []
        for start in range(0, len(x), batch_size):
            xb = tf.constant(x[start:start + batch_size])
            z_mean, _, _ = self.model.encoder(xb, training=False)
            parts.append({k: v.numpy() for k, v in self.score_tensors(xb, z_mean).items()})
        return DomainScore(**{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
