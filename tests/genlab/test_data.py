import numpy as np
import pytest

from genlab import data
from genlab.errors import DataUnavailableError


def test_fashion_mnist_from_a_local_npz(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), "y_train": np.arange(20) % 10,
              "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), "y_test": np.arange(10)}
    (tmp_path / "fashion_mnist").mkdir()
    np.savez(tmp_path / "fashion_mnist" / "fashion_mnist.npz", **arrays)
    split = data.fashion_mnist(tmp_path)
    assert split.x_train.shape == (20, 28, 28, 1) and split.x_train.dtype == np.float32
    np.testing.assert_allclose(split.x_test[..., 0], arrays["x_test"] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(split.y_train, arrays["y_train"])
    assert split.class_names[9] == "Ankle boot"


def test_fashion_mnist_offline_is_a_quick_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_reachable", lambda host, **kw: "gaierror: no network")
    with pytest.raises(DataUnavailableError, match="does not answer .gaierror: no network.*--data-dir"):
        data.fashion_mnist(tmp_path, tfds_dir=tmp_path / "tfds")
    assert not (tmp_path / "tfds").exists()          # nothing started downloading
