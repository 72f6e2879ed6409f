import numpy as np
import pytest

from genlab.errors import ConfigError
from vaec import VAECConfig
from vaec.channels import eliminate_channels


def test_noise_channels_are_removed_and_signal_kept():
    rng = np.random.default_rng(0)
    n = 600
    factors = rng.normal(size=(n, 2))
    mix = rng.normal(size=(2, 5))
    signal = factors @ mix + 0.05 * rng.normal(size=(n, 5))
    signal = (signal - signal.mean(0)) / signal.std(0)
    noise = rng.normal(size=(n, 3))
    # interleave so position does not give the answer away
    x = np.concatenate([signal[:, :2], noise[:, :1], signal[:, 2:4], noise[:, 1:], signal[:, 4:]], axis=1)
    names = ["s0", "s1", "n0", "s2", "s3", "n1", "n2", "s4"]
    y = (factors[:, 0] > 0).astype(int)
    result = eliminate_channels(
        x[:450], y[:450], x[450:], threshold=0.5, names=names, epochs=40, verbose=False,
        make_config=lambda d: VAECConfig(input_shape=(d,), n_classes=2, latent_dim=2,
                                         encoder_layers=(16,), head_layers=(8,), kl_weight=0.1,
                                         learning_rate=1e-2))
    assert set(result.dropped) == {"n0", "n1", "n2"}
    assert result.kept == ("s0", "s1", "s2", "s3", "s4")
    assert max(result.steps[-1].errors) <= 0.5
    assert len(result.steps) == 4


def test_bad_arguments():
    x = np.zeros((10, 3), np.float32)
    cfg = lambda d: VAECConfig(input_shape=(d,), n_classes=2)  # noqa: E731
    with pytest.raises(ConfigError, match="threshold must be > 0"):
        eliminate_channels(x, np.zeros(10), x, threshold=0, make_config=cfg)
    with pytest.raises(ConfigError, match="2 names for 3 channels"):
        eliminate_channels(x, np.zeros(10), x, threshold=1, make_config=cfg, names=["a", "b"])
