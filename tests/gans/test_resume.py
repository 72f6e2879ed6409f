"""fit(checkpoint_dir=...) of an image GAN (a conditional conv WGAN-GP): killed mid-epoch and started
again it resumes after the last finished epoch and ends with the weights of an uninterrupted fit; a
finished fit is not retrained; a LatentGAN resumes too."""

import keras
import numpy as np
import pytest

from gans import LSGAN, LatentGAN, mlp_critic, mlp_generator
from tests.gans.conftest import CODE_DIM
from tests.conftest import Count
from tests.genlab.fit_resume_job import train
from tests.genlab.resume_helpers import assert_same_weights, killed_then_resumed


def test_image_gan_killed_mid_epoch_resumes_to_the_uninterrupted_weights(tmp_path):
    # Deterministic mode, SIGKILL in epoch 1: the noise stream, both optimizers and the epoch's
    # batches must all come back for the weights to match.
    resumed, reference = killed_then_resumed(tmp_path, "gan", 1, lambda ckpt: ckpt / "train")
    assert list(resumed["epochs_train"]) == [1, 2]  # epoch 0 is not repeated
    assert list(reference["epochs_train"]) == [0, 1, 2]
    assert_same_weights(resumed, reference)


def test_a_finished_gan_fit_is_restored_not_retrained(tmp_path):
    model, history = train("gan", tmp_path)
    count = Count()
    again, again_history = train("gan", tmp_path, lambda stage: [count])
    assert count.epochs == []
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert again_history["train"].history == history["train"].history
    # the noise stream is restored too: both draw the same next samples
    np.testing.assert_array_equal(again.generate(4, labels=1), model.generate(4, labels=1))


class Stop(keras.callbacks.Callback):
    """Raise as epoch 1 begins (epoch 0 is backed up)."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("stopped")


def test_latent_gan_resumes(tmp_path, rows, dense_autoencoder):
    def fit(folder, callbacks=()):
        keras.utils.set_random_seed(0)
        model = LatentGAN(LSGAN(mlp_generator(3, CODE_DIM, (8,)), mlp_critic(CODE_DIM, (8,)), seed=0),
                          dense_autoencoder.encoder, dense_autoencoder.decoder)
        model.compile()
        model.fit(rows[:64], epochs=3, batch_size=16, verbose=0, checkpoint_dir=folder, callbacks=list(callbacks))
        return model

    reference = fit(tmp_path / "ref")
    with pytest.raises(RuntimeError, match="stopped"):
        fit(tmp_path / "b", [Stop()])
    count = Count()
    resumed = fit(tmp_path / "b", [count])
    assert count.epochs == [1, 2]
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
