"""Latent-space figures of a VAEC, and a callback that draws them during training."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from genlab.tensorboard import FigureLogger, doubling_epochs  # noqa: E402


def _project(train: np.ndarray, others: list[np.ndarray], method: str):
    """Return 2-D views of latent codes and a label for the axes."""
    if train.shape[1] == 1:
        pad = lambda a: np.concatenate([a, np.zeros_like(a)], axis=1)  # noqa: E731
        return pad(train), [pad(o) for o in others], "z[0] (1-D latent, y = 0)"
    if train.shape[1] == 2 or method == "first":
        return train[:, :2], [o[:, :2] for o in others], "first two latent dimensions"
    # PCA fitted on the training z_mean so every panel shares the projection.
    centre = train.mean(axis=0)
    _, _, vt = np.linalg.svd(train - centre, full_matrices=False)
    proj = lambda a: (a - centre) @ vt[:2].T  # noqa: E731
    return proj(train), [proj(o) for o in others], "PCA of the latent codes (components 1-2)"


def latent_figure(model, x_train, y_train, x_test, y_test, epoch: int | None = None,
                  max_points: int = 2000, projection: str = "pca", class_names=None):
    """Three rows x two columns of latent scatter plots, coloured by class.

    Rows: sampled z on fixed [-5, 5] axes; z_mean on fixed [-3, 3] axes; z_mean on axes fitted to
    the data. Columns: train (left) and test (right). For latent_dim > 2 the codes are projected
    (``projection="pca"``, fitted on train z_mean, or ``"first"`` two dimensions) and the title
    says which.

    Returns:
        A matplotlib Figure.
    """
    rng = np.random.default_rng(0)  # a fixed subset, so figures across epochs are comparable
    def subset(x, y):
        idx = rng.permutation(len(x))[:max_points]
        return x[idx], np.asarray(y)[idx]
    x_train, y_train = subset(x_train, y_train)
    x_test, y_test = subset(x_test, y_test)
    zm_tr, _, z_tr = model.encode(x_train)
    zm_te, _, z_te = model.encode(x_test)
    zm_tr2, (z_tr2, zm_te2, z_te2), how = _project(zm_tr, [z_tr, zm_te, z_te], projection)
    fig, axes = plt.subplots(3, 2, figsize=(9, 12), dpi=80)
    rows = [("sampled z", (z_tr2, z_te2), 5.0), ("z_mean", (zm_tr2, zm_te2), 3.0),
            ("z_mean (flexible axes)", (zm_tr2, zm_te2), None)]
    n_classes = model.config.n_classes
    if n_classes <= 10:  # one distinct colour per class
        cmap = matplotlib.colors.ListedColormap(plt.get_cmap("tab10").colors[:n_classes])
    else:
        cmap = plt.get_cmap("viridis", n_classes)
    for r, (label, (a_tr, a_te), lim) in enumerate(rows):
        for c, (pts, ys, part) in enumerate(((a_tr, y_train, "train"), (a_te, y_test, "test"))):
            ax = axes[r, c]
            sc = ax.scatter(pts[:, 0], pts[:, 1], c=ys, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5,
                            s=6, alpha=0.7)
            if lim is not None:
                ax.set_xlim(-lim, lim)
                ax.set_ylim(-lim, lim)
            ax.set_title(f"{part}: {label}", fontsize=10)
    cbar = fig.colorbar(sc, ax=axes, ticks=range(n_classes), shrink=0.6)
    if class_names is not None:
        cbar.ax.set_yticklabels(list(class_names))
    when = f" after epoch {epoch}" if epoch is not None else ""
    fig.suptitle(f"VAEC latent space{when} — {how}")
    return fig


class LatentPlotCallback(FigureLogger):
    """Log :func:`latent_figure` to TensorBoard (and PNG) at epochs 8, 16, 32, ... by default.

    Args:
        train: ``(x_train, y_train)`` to plot on the left.
        test: ``(x_test, y_test)`` to plot on the right.
        log_dir: TensorBoard directory.
        png_dir: Directory for ``latent_epochNNNN.png`` files; ``None`` for TensorBoard only.
        epochs: 1-based epochs to draw at; default doubling from 8.
        **figure_kwargs: Passed to :func:`latent_figure` (``max_points``, ``projection``...).
    """

    def __init__(self, train, test, log_dir: str | os.PathLike, png_dir=None, epochs=None,
                 tag: str = "latent", **figure_kwargs):
        epochs = doubling_epochs(8) if epochs is None else epochs
        make = lambda model, epoch: latent_figure(model, *train, *test, epoch=epoch,  # noqa: E731
                                                  **figure_kwargs)
        super().__init__(make, log_dir, tag, epochs=epochs, png_dir=png_dir)
