"""Keras checkpoint callbacks on the adversarial models: ModelCheckpoint (.keras and .weights.h5)
and BackupAndRestore (interrupt, resume, same result as an uninterrupted run)."""

import keras
import numpy as np
import pytest

from gans import GAN, LSGAN, WGANGP, LatentGAN, mlp_critic, mlp_generator
from tests.gans.conftest import CODE_DIM, ROW_WIDTH

NAMES = ("gan", "wgan_gp", "lsgan", "latent_lsgan")
BATCH = 16  # 64 rows: 4 steps per epoch


def build(name, autoencoder):
    """A compiled tiny model with weights drawn from seed 0."""
    keras.utils.set_random_seed(0)
    width = CODE_DIM if name == "latent_lsgan" else ROW_WIDTH
    generator, critic = mlp_generator(3, width, (8,)), mlp_critic(width, (8,))
    if name == "gan":
        model = GAN(generator, critic, seed=0)
    elif name == "wgan_gp":
        model = WGANGP(generator, critic, critic_steps=2, seed=0)
    else:
        model = LSGAN(generator, critic, seed=0)
        if name == "latent_lsgan":
            model = LatentGAN(model, autoencoder.encoder, autoencoder.decoder)
    model.compile()
    return model


def adversarial(model):
    """The model that owns the optimizers (the wrapped GAN of a LatentGAN)."""
    return model.gan if isinstance(model, LatentGAN) else model


def assert_same_state(a, b):
    """Same weights (networks, code statistics, noise stream) and the same optimizer states."""
    assert len(a.weights) == len(b.weights)
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_allclose(np.asarray(vb), np.asarray(va), atol=1e-6, err_msg=va.path)
    for opt_a, opt_b in ((adversarial(a).g_optimizer, adversarial(b).g_optimizer),
                         (adversarial(a).d_optimizer, adversarial(b).d_optimizer)):
        assert type(opt_a) is type(opt_b)
        for va, vb in zip(opt_a.variables, opt_b.variables):
            np.testing.assert_allclose(np.asarray(vb), np.asarray(va), atol=1e-6, err_msg=va.path)


class InterruptAt(keras.callbacks.Callback):
    """Raise at the end of a given (0-based) epoch, as a killed process would stop."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError(f"interrupted after epoch {epoch + 1}")


@pytest.mark.parametrize("name", NAMES)
def test_model_checkpoint_whole_model_and_weights_only(tmp_path, name, rows, dense_autoencoder):
    x = rows[:64]
    model = build(name, dense_autoencoder)
    callbacks = [keras.callbacks.ModelCheckpoint(tmp_path / "model.keras"),
                 keras.callbacks.ModelCheckpoint(tmp_path / "model.weights.h5", save_weights_only=True)]
    model.fit(x, epochs=2, batch_size=BATCH, shuffle=False, verbose=0, callbacks=callbacks)

    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded) is type(model)
    assert getattr(loaded, "adapted", True)  # a LatentGAN's code statistics come back with it
    assert int(adversarial(loaded).g_optimizer.iterations) == 8
    assert_same_state(model, loaded)
    # The noise stream resumes where it stopped: both draw the same next samples.
    np.testing.assert_allclose(loaded.generate(4), model.generate(4), atol=1e-5)
    loaded.fit(x, epochs=1, batch_size=BATCH, verbose=0)  # compiled from the file: trains on
    assert int(adversarial(loaded).g_optimizer.iterations) == 12

    fresh = build(name, dense_autoencoder)
    fresh.load_weights(tmp_path / "model.weights.h5")
    assert_same_state(model, fresh)


@pytest.mark.parametrize("name", NAMES)
def test_backup_and_restore_resumes_to_the_uninterrupted_result(tmp_path, name, rows, dense_autoencoder):
    x = rows[:64]
    fit = dict(epochs=3, batch_size=BATCH, shuffle=False, verbose=0)
    reference = build(name, dense_autoencoder)
    reference.fit(x, **fit)

    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted after epoch 2"):
        build(name, dense_autoencoder).fit(
            x, callbacks=[keras.callbacks.BackupAndRestore(backup), InterruptAt(1)], **fit)
    resumed = build(name, dense_autoencoder)
    history = resumed.fit(x, callbacks=[keras.callbacks.BackupAndRestore(backup)], **fit)
    assert history.epoch == [2]  # only the missing third epoch ran
    assert int(adversarial(resumed).g_optimizer.iterations) == 12
    assert_same_state(reference, resumed)
