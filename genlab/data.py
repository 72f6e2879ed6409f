"""Data set loaders used by the experiments and tests.

Tests use data that ships with scikit-learn; experiments take ``data_dir`` so that local copies
(e.g. a machine without internet access) are used instead of downloads.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from genlab.errors import DataUnavailableError, GenlabError


@dataclasses.dataclass(frozen=True)
class Split:
    """A train/test split of features and integer labels, plus feature names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()


def breast_cancer(test_size: float = 0.2, seed: int = 42) -> Split:
    """Wisconsin breast cancer (scikit-learn's copy): stratified split, standardised on train only.

    Labels: 0 = malignant, 1 = benign (scikit-learn's coding).
    """
    data = load_breast_cancer()
    x_tr, x_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=test_size, stratify=data.target, random_state=seed
    )
    scaler = StandardScaler().fit(x_tr)  # fitted on train only: no test statistics leak
    return Split(
        scaler.transform(x_tr).astype(np.float32), y_tr.astype(np.int64),
        scaler.transform(x_te).astype(np.float32), y_te.astype(np.int64),
        tuple(str(n) for n in data.feature_names), tuple(str(n) for n in data.target_names),
    )


def digits_images(test_size: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's 8x8 digits as ``(n, 8, 8, 1)`` images in [0, 1], stratified split."""
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[..., None]
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, data.target, test_size=test_size, stratify=data.target, random_state=seed
    )
    return Split(x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64),
                 class_names=tuple(str(i) for i in range(10)))


def mnist(data_dir: str | os.PathLike | None = None) -> Split:
    """MNIST as ``(n, 28, 28, 1)`` float32 images in [0, 1].

    Args:
        data_dir: Directory holding ``mnist.npz`` (in ``keras.datasets.mnist`` layout), or a parent
            with ``mnist/mnist.npz``. ``None`` downloads through ``keras.datasets.mnist``.

    Raises:
        GenlabError: ``data_dir`` is given but holds no ``mnist.npz``.
        DataUnavailableError: ``mnist.npz`` is corrupt, or the download failed (offline).
    """
    if data_dir is None:
        import keras

        try:
            (x_tr, y_tr), (x_te, y_te) = keras.datasets.mnist.load_data()
        except Exception as exc:  # noqa: BLE001 - offline, a blocked or broken download: the data is unavailable
            raise DataUnavailableError(
                f"MNIST could not be downloaded ({type(exc).__name__}: {str(exc)[:200]}); pass --data-dir with a "
                "folder holding mnist.npz, or run online once") from exc
    else:
        candidates = [Path(data_dir) / "mnist.npz", Path(data_dir) / "mnist" / "mnist.npz"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise GenlabError(
                f"no mnist.npz in {data_dir} (looked for {', '.join(map(str, candidates))}); "
                "pass the folder that holds it, or omit --data-dir to download"
            )
        try:
            with np.load(path) as f:
                x_tr, y_tr, x_te, y_te = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
        except Exception as exc:  # noqa: BLE001 - truncated zip, not a zip, missing arrays: all one problem
            raise DataUnavailableError(f"{path} is not a readable mnist.npz ({type(exc).__name__}: {exc}); "
                                       "replace it with a complete copy (keys x_train, y_train, x_test, "
                                       "y_test)") from exc
    scale = lambda a: (a.astype(np.float32) / 255.0)[..., None]  # noqa: E731
    return Split(scale(x_tr), y_tr.astype(np.int64), scale(x_te), y_te.astype(np.int64),
                 class_names=tuple(str(i) for i in range(10)))


#: Where tensorflow-datasets downloads Fashion-MNIST from (probed before a download is tried).
FASHION_MNIST_HOST = "fashion-mnist.s3-website.eu-central-1.amazonaws.com"


def _reachable(host: str, port: int = 80, timeout: float = 5.0) -> str | None:
    """``None`` when a TCP connection to ``host`` opens within ``timeout`` s, else the reason."""
    import socket

    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def fashion_mnist(data_dir: str | os.PathLike | None = None, tfds_dir: str | os.PathLike | None = None) -> Split:
    """Fashion-MNIST as ``(n, 28, 28, 1)`` float32 images in [0, 1] (10 clothing classes).

    Looks for ``fashion_mnist.npz`` (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``) in
    ``data_dir`` or ``data_dir/fashion_mnist/``; otherwise loads it through tensorflow-datasets
    (cached in ``tfds_dir``, default ``~/tensorflow_datasets``), after checking in a few seconds
    that the download site answers, so an offline machine skips instead of retrying for minutes.

    Raises:
        DataUnavailableError: Not on disk and not downloadable; the message says why.
    """
    if data_dir is not None:
        candidates = [Path(data_dir) / "fashion_mnist.npz", Path(data_dir) / "fashion_mnist" / "fashion_mnist.npz"]
        path = next((p for p in candidates if p.exists()), None)
        if path is not None:
            with np.load(path) as f:
                arrays = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
            return _fashion_split(*arrays)
    prepared = Path(tfds_dir or Path.home() / "tensorflow_datasets") / "fashion_mnist"
    if not prepared.exists():
        reason = _reachable(FASHION_MNIST_HOST)
        if reason is not None:
            where = f"no fashion_mnist.npz in {data_dir}; " if data_dir is not None else ""
            raise DataUnavailableError(
                f"Fashion-MNIST is not available: {where}its download site {FASHION_MNIST_HOST} does not "
                f"answer ({reason}). Put fashion_mnist.npz in --data-dir or run online once.")
    try:
        import tensorflow_datasets as tfds

        parts = tfds.load("fashion_mnist", split=["train", "test"], batch_size=-1, as_supervised=True,
                          data_dir=None if tfds_dir is None else str(tfds_dir))
    except Exception as exc:  # noqa: BLE001 - any loader failure means the data set is unavailable
        raise DataUnavailableError(f"Fashion-MNIST could not be loaded through tensorflow-datasets: "
                                   f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    (x_tr, y_tr), (x_te, y_te) = [(np.asarray(x)[..., 0], np.asarray(y)) for x, y in parts]
    return _fashion_split(x_tr, y_tr, x_te, y_te)


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def _fashion_split(x_tr, y_tr, x_te, y_te) -> Split:
    scale = lambda a: (np.asarray(a).astype(np.float32) / 255.0).reshape(len(a), 28, 28, 1)  # noqa: E731
    return Split(scale(x_tr), np.asarray(y_tr, np.int64), scale(x_te), np.asarray(y_te, np.int64),
                 class_names=FASHION_CLASSES)
