"""GAN / LSGAN / WGAN / WGAN-GP: training through fit, clipping, conditioning, serialization, errors."""

import keras
import numpy as np
import pytest

from gans import (GAN, LSGAN, WGAN, WGANGP, AdversarialModel, WassersteinModel, dcgan_critic, dcgan_generator,
                  losses, mlp_critic, mlp_generator)
from genlab.errors import ConfigError, LabelError
from genlab.layers import LayerSpec

MODELS = {"gan": (GAN, {}), "lsgan": (LSGAN, {"generator_steps": 2}), "wgan": (WGAN, {"critic_steps": 2, "clip_value": 0.05}),
          "wgan_gp": (WGANGP, {"critic_steps": 2})}


def make(name, n_classes=0, seed=0):
    cls, kwargs = MODELS[name]
    generator = mlp_generator(4, 2, (8,), n_classes=n_classes)
    critic = mlp_critic(2, (LayerSpec(8, "leaky_relu"),), n_classes=n_classes)
    return cls(generator, critic, n_classes=n_classes, seed=seed, **kwargs)


def toy_data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("n_classes", [0, 2], ids=["plain", "conditional"])
def test_jit_fit_updates_both_networks(name, n_classes):
    keras.utils.set_random_seed(0)
    model = make(name, n_classes)
    model.compile(g_optimizer=keras.optimizers.Adam(1e-2), d_optimizer=keras.optimizers.Adam(1e-2),
                  jit_compile=True)
    g0, d0 = model.generator.get_weights(), model.discriminator.get_weights()
    x, y = toy_data()
    history = model.fit(x, y if n_classes else None, epochs=1, batch_size=16, verbose=0)
    assert set(history.history) == set(type(model).METRIC_NAMES)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert any(not np.allclose(a, b) for a, b in zip(g0, model.generator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(d0, model.discriminator.get_weights()))
    samples = model.generate(5, labels=1 if n_classes else None)
    assert samples.shape == (5, 2) and np.isfinite(samples).all()


def test_wgan_weights_stay_clipped():
    keras.utils.set_random_seed(0)
    model = make("wgan")
    assert max(np.abs(w).max() for w in model.critic.get_weights()) > 0.05  # clipping has work to do
    model.compile(g_optimizer=keras.optimizers.RMSprop(1e-2), d_optimizer=keras.optimizers.RMSprop(1e-2))
    model.fit(toy_data()[0], epochs=1, batch_size=16, verbose=0)
    for w in model.critic.get_weights():
        assert np.abs(w).max() <= 0.05 + 1e-7


def test_default_optimizers():
    for name, expected in (("gan", ("Adam", 2e-4, 0.5)), ("lsgan", ("Adam", 2e-4, 0.5)),
                           ("wgan", ("RMSprop", 5e-5, None)),
                           ("wgan_gp", ("Adam", 1e-4, 0.0))):
        model = make(name)
        model.compile()
        opt = model.d_optimizer
        assert opt is not model.g_optimizer and type(opt).__name__ == expected[0]
        assert float(opt.learning_rate) == pytest.approx(expected[1])
        if expected[2] is not None:
            assert opt.beta_1 == expected[2]
    gp = WGANGP(mlp_generator(4, 2), mlp_critic(2))
    gp.compile()
    assert (gp.gp_weight, gp.critic_steps, gp.g_optimizer.beta_2) == (10.0, 5, 0.9)


def test_conditional_dcgan_critic_sees_label_maps():
    keras.utils.set_random_seed(0)
    model = WGANGP(dcgan_generator(8, n_classes=3, filters=(8, 4)),
                   dcgan_critic(n_classes=3, filters=(4, 8)), n_classes=3, critic_steps=1, seed=0)
    assert model.critic.input_shape == (None, 28, 28, 4)
    model.compile(jit_compile=True)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    bn = [layer for layer in model.generator.layers if isinstance(layer, keras.layers.BatchNormalization)][0]
    moving_mean = bn.moving_mean.numpy().copy()
    model.fit(x, np.array([0, 1, 2, 1]), epochs=1, batch_size=4, verbose=0)
    # The generator ran with training=True in the step: its BatchNorm statistics moved.
    assert not np.allclose(bn.moving_mean.numpy(), moving_mean)
    # The label moves the score: maps as channels, one class per sample.
    scores = [model.critic_scores(x[:1], np.eye(3, dtype=np.float32)[[k]], training=False) for k in range(3)]
    assert len({round(float(s[0, 0]), 6) for s in scores}) == 3
    images = model.generate(6, labels=[0, 1, 2, 0, 1, 2])
    assert images.shape == (6, 28, 28, 1) and np.abs(images).max() <= 1


@pytest.mark.parametrize("name", MODELS)
def test_keras_file_round_trip(tmp_path, name):
    model = make(name, n_classes=2, seed=7)
    model.compile()
    x, y = toy_data(16)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    config, loaded_config = model.get_config(), loaded.get_config()
    for key in ("n_classes", "seed", "critic_steps", "generator_steps", "clip_value", "gp_weight", "one_sided"):
        assert loaded_config.get(key) == config.get(key)
    z = np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_allclose(loaded(z), model(z), atol=1e-6)
    assert type(loaded.g_optimizer) is type(model.g_optimizer)
    assert loaded.d_optimizer is not loaded.g_optimizer


def test_config_round_trip_without_saving():
    model = make("wgan_gp", n_classes=2, seed=3)
    clone = WGANGP.from_config(model.get_config())
    assert (clone.n_classes, clone.seed, clone.latent_dim, clone.critic_steps) == (2, 3, 4, 2)
    assert "generator_steps" not in model.get_config()  # one generator update: not an argument
    lsgan = LSGAN.from_config(make("lsgan", seed=5).get_config())
    assert (lsgan.critic_steps, lsgan.generator_steps, lsgan.seed) == (1, 2, 5)


def test_lsgan_steps_follow_the_least_squares_losses():
    keras.utils.set_random_seed(0)
    model = make("lsgan")
    model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    x = toy_data(16)[0]
    noise = model._noise(16)
    fake = model.generator(noise)
    expected = losses.least_squares_discriminator_loss(model.critic_scores(x), model.critic_scores(fake))
    terms = model.critic_terms(x, fake, None)
    assert float(terms["d_loss"]) == pytest.approx(float(expected))
    # The BCE model scores the same batch differently: the LSGAN is not a renamed GAN.
    assert float(terms["d_loss"]) != pytest.approx(float(losses.bce_discriminator_loss(
        model.critic_scores(x), model.critic_scores(fake))))
    scores = np.array([[0.0], [2.0]], np.float32)
    assert float(model.generator_loss(scores)) == pytest.approx(0.5)  # 1/2 mean(1, 1)


def test_subclass_hooks_are_public_and_checked():
    @keras.saving.register_keras_serializable(package="tests")
    class Hinge(AdversarialModel):
        def critic_terms(self, real, fake, one_hot):
            real_s, fake_s = self.critic_scores(real, one_hot), self.critic_scores(fake, one_hot)
            return {"d_loss": keras.ops.mean(keras.ops.relu(1 - real_s)) + keras.ops.mean(keras.ops.relu(1 + fake_s))}

        def generator_loss(self, fake_scores):
            return -keras.ops.mean(fake_scores)

        def default_optimizer(self):
            return keras.optimizers.SGD(0.01)

    keras.utils.set_random_seed(0)
    model = Hinge(mlp_generator(4, 2, (8,)), mlp_critic(2, (8,)), critic_steps=2, seed=0)
    model.compile()
    history = model.fit(toy_data()[0], epochs=1, batch_size=16, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"} and model.d_optimizer.iterations == 4

    class Unlisted(Hinge):  # a term missing from METRIC_NAMES
        def critic_terms(self, real, fake, one_hot):
            return {**super().critic_terms(real, fake, one_hot), "margin": 0.0}

    bad = Unlisted(mlp_generator(4, 2, (8,)), mlp_critic(2, (8,)), seed=0)
    bad.compile()
    with pytest.raises(ConfigError, match="add the extra names to METRIC_NAMES"):
        bad.fit(toy_data()[0], epochs=1, batch_size=16, verbose=0)
    with pytest.raises(NotImplementedError, match="critic_terms"):
        AdversarialModel(mlp_generator(4, 2), mlp_critic(2)).critic_terms(None, None, None)
    assert issubclass(WGAN, WassersteinModel) and issubclass(LSGAN, AdversarialModel)


def test_errors():
    with pytest.raises(ConfigError, match="BatchNormalization"):
        WGANGP(dcgan_generator(8), dcgan_critic(batch_norm=True))
    with pytest.raises(ConfigError, match="critic input must be"):
        WGAN(mlp_generator(4, 3), mlp_critic(2))
    with pytest.raises(ConfigError, match="clip_value must be > 0"):
        WGAN(mlp_generator(4, 2), mlp_critic(2), clip_value=0)
    with pytest.raises(ConfigError, match="critic_steps must be a positive int"):
        WGANGP(mlp_generator(4, 2), mlp_critic(2), critic_steps=0)
    with pytest.raises(ConfigError, match="generator_steps must be a positive int"):
        LSGAN(mlp_generator(4, 2), mlp_critic(2), generator_steps=0)
    with pytest.raises(ValueError, match="d_steps"):
        GAN(mlp_generator(4, 2), mlp_critic(2), d_steps=2)  # the old name is gone
    with pytest.raises(ConfigError, match="same object"):
        opt = keras.optimizers.SGD()
        make("gan").compile(g_optimizer=opt, d_optimizer=opt)
    cond = make("gan", n_classes=2)
    with pytest.raises(LabelError, match="labels are required"):
        cond.generate(3)
    with pytest.raises(LabelError, match=r"labels must be 3 integers in \[0, 2\)"):
        cond.generate(3, labels=[0, 1, 2])
    with pytest.raises(LabelError, match="unconditional"):
        make("gan").generate(3, labels=1)
    cond.compile()
    with pytest.raises(LabelError, match="give fit"):
        cond.fit(toy_data()[0], epochs=1, verbose=0)
