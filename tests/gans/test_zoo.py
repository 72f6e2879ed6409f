"""The MNIST model factory: settings of each named model, fit inputs, speed measurement."""

import time

import keras
import numpy as np
import pytest

from gans import GAN, WGAN, WGANGP, LatentGAN, conv_autoencoder, has_batch_norm, mlp_critic, mlp_generator, zoo
from genlab.errors import ConfigError, InputShapeError, UnknownNameError


@pytest.fixture(scope="module")
def autoencoder():
    return conv_autoencoder((28, 28, 1), latent_dim=zoo.CODE_DIM)  # untrained: only shapes matter here


def optimizer_settings(opt):
    return type(opt).__name__, pytest.approx(float(opt.learning_rate))


@pytest.mark.parametrize("name, cls, latent, n_classes, steps, optimizer", [
    ("dcgan", GAN, 64, 0, 1, ("Adam", 2e-4)),
    ("wgan_clip", WGAN, 10, 0, 5, ("RMSprop", 5e-4)),
    ("wgan_gp", WGANGP, 64, 0, 5, ("Adam", 1e-4)),
    ("cwgan_gp", WGANGP, 64, 10, 5, ("Adam", 1e-4)),
    ("latent_wgan", WGAN, 10, 0, 5, ("RMSprop", 5e-4)),
])
def test_build_gives_the_documented_models(autoencoder, name, cls, latent, n_classes, steps, optimizer):
    model = zoo.build(name, autoencoder=autoencoder, seed=3)
    gan = model.gan if isinstance(model, LatentGAN) else model
    assert isinstance(model, LatentGAN) == zoo.MNIST_MODELS[name].latent
    assert type(gan) is cls and gan.seed == 3
    assert (gan.latent_dim, gan.n_classes, gan.critic_steps) == (latent, n_classes, steps)
    assert zoo.MNIST_MODELS[name].conditional == bool(n_classes)
    for opt in (gan.g_optimizer, gan.d_optimizer):
        assert optimizer_settings(opt) == optimizer
    assert gan.g_optimizer is not gan.d_optimizer
    if cls is WGAN:
        assert gan.clip_value == pytest.approx(0.12)
    assert has_batch_norm(gan.discriminator) == (name == "dcgan")
    shape = (28, 28, 1) if not isinstance(model, LatentGAN) else (zoo.CODE_DIM,)
    assert tuple(gan.generator.output_shape[1:]) == shape


def test_build_errors(autoencoder):
    with pytest.raises(UnknownNameError, match="unknown model 'vae'"):
        zoo.build("vae")
    with pytest.raises(ConfigError, match="pass autoencoder="):
        zoo.build("latent_wgan")


def test_fit_inputs_scale_to_each_models_range():
    x01 = np.array([[0.0, 0.5, 1.0]], np.float32)
    y = np.array([7])
    x, labels = zoo.fit_inputs("dcgan", x01, y)
    np.testing.assert_allclose(x, [[-1.0, 0.0, 1.0]])
    assert labels is None
    x, labels = zoo.fit_inputs("latent_wgan", x01, y)
    np.testing.assert_allclose(x, x01)
    assert labels is None
    x, labels = zoo.fit_inputs("cwgan_gp", x01, y)
    np.testing.assert_array_equal(labels, y)
    with pytest.raises(ConfigError, match="cwgan_gp is conditional"):
        zoo.fit_inputs("cwgan_gp", x01)


def test_images_per_second_times_one_epoch_after_the_warmup():
    keras.utils.set_random_seed(0)
    model = GAN(mlp_generator(2, 2, (8,)), mlp_critic(2, (8,)), seed=0)
    model.compile()
    x = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
    start = time.perf_counter()
    speed = zoo.images_per_second(model, x, batch_size=32, warmup=64)
    elapsed = time.perf_counter() - start
    assert int(model.g_optimizer.iterations) == 64 // 32 + 256 // 32  # warm-up, then the whole set
    assert 256 / speed <= elapsed  # images over the timed part, which is inside the call
    # 200 rows end with a batch of 8: the warm-up ends with one too (2 + 1 steps), traced before timing.
    zoo.images_per_second(model, x[:200], batch_size=32, warmup=64)
    assert int(model.g_optimizer.iterations) == 10 + 3 + 7
    with pytest.raises(InputShapeError, match="fewer than warmup=512"):
        zoo.images_per_second(model, x)


def test_measure_speeds_reports_each_model_and_the_autoencoder():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x01, y = rng.uniform(size=(32, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 32)
    lines = []
    speeds = zoo.measure_speeds(x01, y, names=("dcgan",), warmup=16, report=lines.append)
    assert set(speeds) == {"dcgan", "autoencoder"}
    assert lines == [f"dcgan: {speeds['dcgan']:.0f} images/s", f"autoencoder: {speeds['autoencoder']:.0f} images/s"]
    with pytest.raises(UnknownNameError):
        zoo.measure_speeds(x01, y, names=("nope",))
