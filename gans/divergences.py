"""KL, JS and Wasserstein-1 between two parallel line segments: why WGANs use the earth mover.

The example of Arjovsky, Chintala & Bottou (2017, "Wasserstein GAN", Example 1): with
``Z ~ U[0, 1]``, ``P_0`` is the law of ``(0, Z)`` and ``P_theta`` the law of ``(theta, Z)`` in
the plane. For ``theta != 0`` the supports are disjoint, so

- ``KL(P_0 || P_theta) = KL(P_theta || P_0) = +inf``,
- ``JS(P_0, P_theta) = log 2`` (natural log),
- ``W_1(P_0, P_theta) = |theta|``,

and all three are 0 at ``theta = 0``. Only ``W_1`` is continuous in ``theta`` and gives a
gradient that points the generator towards the data.

The sample-based estimates use ``n`` points of each distribution: ``W_1`` exactly between the
two empirical measures (an optimal one-to-one matching, :func:`scipy.optimize.linear_sum_assignment`),
KL and JS between 2-D histograms on a shared grid.

Example:
    >>> closed_form(0.5)
    {'theta': 0.5, 'kl': inf, 'js': 0.6931..., 'wasserstein': 0.5}
    >>> p, q = sample_segments(0.5, n=500, seed=0)
    >>> wasserstein1_estimate(p, q)  # >= 0.5, close to it
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from genlab.errors import ConfigError

LOG2 = math.log(2.0)


def kl_divergence(theta):
    """Closed-form ``KL(P_0 || P_theta)``: 0 at ``theta = 0``, ``+inf`` elsewhere (array-friendly)."""
    theta = np.asarray(theta, dtype=np.float64)
    return np.where(theta == 0, 0.0, np.inf)


def js_divergence(theta):
    """Closed-form ``JS(P_0, P_theta)`` in nats: 0 at ``theta = 0``, ``log 2`` elsewhere."""
    theta = np.asarray(theta, dtype=np.float64)
    return np.where(theta == 0, 0.0, LOG2)


def wasserstein_distance(theta):
    """Closed-form ``W_1(P_0, P_theta) = |theta|`` (move every point horizontally by ``theta``)."""
    return np.abs(np.asarray(theta, dtype=np.float64))


def closed_form(theta: float) -> dict:
    """The three closed forms at one ``theta`` as a flat record."""
    return {"theta": float(theta), "kl": float(kl_divergence(theta)),
            "js": float(js_divergence(theta)), "wasserstein": float(wasserstein_distance(theta))}


def sample_segments(theta: float, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points of ``P_0`` and ``n`` independent points of ``P_theta``.

    Args:
        theta: Horizontal offset of the second segment.
        n: Points per distribution (>= 1).
        seed: Seed of a local ``numpy.random.Generator``.

    Returns:
        Two ``(n, 2)`` arrays.

    Raises:
        ConfigError: ``n`` is not a positive int.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive int, received {n!r}")
    rng = np.random.default_rng(seed)
    p = np.column_stack([np.zeros(n), rng.uniform(0, 1, n)])
    q = np.column_stack([np.full(n, float(theta)), rng.uniform(0, 1, n)])
    return p, q


def wasserstein1_estimate(p: np.ndarray, q: np.ndarray) -> float:
    """Exact ``W_1`` between two empirical measures of equal size (Euclidean ground cost).

    With ``n`` points each and uniform weights an optimal transport plan is a permutation
    (Birkhoff), found by the Hungarian algorithm in ``O(n^3)``: keep ``n`` to a few thousand.

    Args:
        p: ``(n, d)`` sample.
        q: ``(n, d)`` sample.

    Returns:
        The mean distance of the optimal matching.

    Raises:
        ConfigError: The samples differ in size or dimension.
    """
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.ndim != 2 or p.shape != q.shape:
        raise ConfigError(
            f"p and q must be (n, d) arrays of the same shape, received {p.shape} and {q.shape}")
    cost = cdist(p, q)  # (n, n)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def _histograms(p: np.ndarray, q: np.ndarray, bin_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Normalised 2-D histograms of ``p`` and ``q`` on one grid, bins centred on the data's minimum."""
    both = np.vstack([p, q])
    edges = [np.arange(lo - bin_width / 2, hi + bin_width, bin_width)
             for lo, hi in zip(both.min(axis=0), both.max(axis=0))]
    hp, _, _ = np.histogram2d(p[:, 0], p[:, 1], bins=edges)
    hq, _, _ = np.histogram2d(q[:, 0], q[:, 1], bins=edges)
    return hp.ravel() / hp.sum(), hq.ravel() / hq.sum()


def _kl(a: np.ndarray, b: np.ndarray) -> float:
    support = a > 0
    if np.any(b[support] == 0):
        return math.inf
    return float(np.sum(a[support] * np.log(a[support] / b[support])))


def histogram_divergences(p: np.ndarray, q: np.ndarray, bin_width: float = 0.05) -> dict:
    """KL and JS between 2-D histograms of two samples (plug-in estimates, in nats).

    Bins are squares of side ``bin_width``; segments closer than ``bin_width / 2`` share bins
    and look identical, farther than ``bin_width`` they never do. Both estimates are biased
    upwards at ``theta = 0`` by sampling noise (more so with small bins or few points).

    Args:
        p: ``(n, 2)`` sample of the first distribution.
        q: ``(m, 2)`` sample of the second.
        bin_width: Side of a bin (> 0).

    Returns:
        ``{"kl": KL(p || q), "js": JS(p, q)}``; ``kl`` is ``inf`` when ``p`` fills a bin ``q`` leaves empty.

    Raises:
        ConfigError: ``bin_width`` is not positive.
    """
    if not bin_width > 0:
        raise ConfigError(f"bin_width must be > 0, received {bin_width!r}")
    a, b = _histograms(np.asarray(p, np.float64), np.asarray(q, np.float64), bin_width)
    m = 0.5 * (a + b)
    return {"kl": _kl(a, b), "js": 0.5 * _kl(a, m) + 0.5 * _kl(b, m)}


def estimate(theta: float, n: int = 500, seed: int | None = None, bin_width: float = 0.05) -> dict:
    """Sample-based estimates of KL, JS and ``W_1`` at one ``theta`` as a flat record."""
    p, q = sample_segments(theta, n, seed)
    hist = histogram_divergences(p, q, bin_width)
    return {"theta": float(theta), "kl_estimate": hist["kl"], "js_estimate": hist["js"],
            "wasserstein_estimate": wasserstein1_estimate(p, q)}


def plot_divergences(thetas, estimates: list[dict] | None = None):
    """Plot the three divergences against ``theta``; optional estimates as markers.

    KL is ``+inf`` off zero: drawn as a band at the top of the axes.

    Args:
        thetas: Values of ``theta`` for the closed-form curves (include 0 to show the jump).
        estimates: Records from :func:`estimate` to overlay.

    Returns:
        A matplotlib figure.
    """
    import matplotlib.pyplot as plt

    thetas = np.sort(np.asarray(thetas, dtype=np.float64))
    fig, ax = plt.subplots(figsize=(6.5, 5))
    top = max(1.2, float(np.abs(thetas).max()) * 1.1)
    ax.plot(thetas, wasserstein_distance(thetas), color="tab:blue", label="W-1 = |θ|")
    nonzero = thetas[thetas != 0]
    for side in (nonzero[nonzero < 0], nonzero[nonzero > 0]):
        ax.plot(side, js_divergence(side), color="tab:orange")
        ax.plot(side, np.full_like(side, top * 0.97), color="tab:red", lw=3)
    ax.plot([0], [0], "o", color="black", label="all three at θ = 0")
    ax.plot([], [], color="tab:orange", label="JS = log 2 (θ ≠ 0)")
    ax.plot([], [], color="tab:red", lw=3, label="KL = +∞ (θ ≠ 0)")
    if estimates:
        th = np.array([e["theta"] for e in estimates])
        ax.plot(th, [e["wasserstein_estimate"] for e in estimates], "x", color="tab:blue",
                label="W-1, optimal matching of samples")
        ax.plot(th, [e["js_estimate"] for e in estimates], "+", color="tab:orange",
                label="JS, histograms of samples")
    ax.set(xlabel="θ", ylabel="divergence (nats) / distance", ylim=(-0.05, top),
           title="P = (0, U[0,1]) vs Q = (θ, U[0,1])")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    return fig
