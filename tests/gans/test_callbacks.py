"""SampleGridCallback: image summary and PNG every epoch, from the same fixed noise."""

import glob

import keras
import numpy as np
import tensorflow as tf

from gans import WGANGP, SampleGridCallback, dcgan_critic, dcgan_generator


def test_sample_grid_writes_image_summary_from_fixed_noise(tmp_path):
    keras.utils.set_random_seed(0)
    model = WGANGP(dcgan_generator(4, n_classes=3, filters=(4, 4)), dcgan_critic(n_classes=3, filters=(4, 4)),
                   n_classes=3, critic_steps=1, seed=0)
    model.compile()
    cb = SampleGridCallback(tmp_path / "tb", latent_dim=4, n_classes=3, cols=2, png_dir=tmp_path / "png")
    noise = cb.noise.copy()
    assert noise.shape == (6, 4 + 3)
    np.testing.assert_array_equal(noise[:, 4:].argmax(1), [0, 0, 1, 1, 2, 2])  # one row per class
    x = np.random.default_rng(0).uniform(-1, 1, size=(8, 28, 28, 1)).astype(np.float32)
    model.fit(x, np.arange(8) % 3, epochs=2, batch_size=4, verbose=0, callbacks=[cb])
    assert cb.logged_epochs == [1, 2]
    np.testing.assert_array_equal(cb.noise, noise)
    np.testing.assert_allclose(cb.last_images, model.generator.predict(noise, verbose=0), atol=1e-5)
    assert len(glob.glob(str(tmp_path / "png" / "samples_epoch*.png"))) == 2
    events = glob.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))
    steps = [ev.step for e in events for ev in tf.compat.v1.train.summary_iterator(e)
             for v in ev.summary.value if v.tag == "samples"]
    assert sorted(steps) == [1, 2]
