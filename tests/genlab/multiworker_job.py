"""A few training steps of a synthesizer, a VAEC strategy and an image WGAN-GP, for the multi-worker test.

Run as ``python -m tests.genlab.multiworker_job OUT`` by each worker of ``genlab.launch`` (with
``TF_CONFIG``) and, without ``TF_CONFIG``, imported by the test for the single-process reference.
Each model is set up so that noise does not matter (replicas draw other noise than one process
does), with SGD (Adam's first steps hide a loss-scale error):

- the synthesizer: TVAE whose encoder's log-variance head outputs -40 (z = mu to float precision),
  trained on the frame's global batches of CTGAN-style conditioned rows;
- VAEC ``all_parts``: the same on its encoder;
- WGAN-GP on 4x4 images: a generator that ignores its noise and a linear critic (so the gradient
  penalty does not depend on the random interpolation weights).

Every worker writes ``OUT/worker-<i>.npz``: initial and final weights of each model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

BATCH = 40
LR = 0.05


def tvae_data():
    from tests.tabular.conftest import mixed_frame

    return mixed_frame(320, seed=0)  # batch 40 <= rows // 8: the global batch is 40 in every setup


def vaec_data():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    return StandardScaler().fit_transform(data.data).astype(np.float32)[:64], data.target[:64]


def gan_data():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (32, 4, 4, 1)).astype(np.float32), np.arange(32) % 2


class Deterministic(keras.callbacks.Callback):
    """Set a VAE encoder's log-variance outputs to -40 before training, and record the weights."""

    def __init__(self, layer, latent: int):
        super().__init__()
        self.layer, self.latent, self.initial = layer, latent, None

    def on_train_begin(self, logs=None):
        kernel, bias = self.layer.get_weights()
        kernel[:, self.latent:], bias[self.latent:] = 0.0, -40.0
        self.layer.set_weights([kernel, bias])
        self.initial = [w.copy() for w in self.model.get_weights()]


def fit_synthesizer(strategy):
    """The TVAE synthesizer fitted 1 epoch (8 steps of 40 rows) with SGD; ``(initial, final)`` weights."""
    from tabular.synthesizers import TVAEConfig
    from tabular.synthesizers.tvae import TVAESynthesizer

    class SGDTVAE(TVAESynthesizer):
        def build_model(self, encoder, x, frame):
            model = super().build_model(encoder, x, frame)
            model.compile(keras.optimizers.SGD(LR))
            return model

    # CTGAN-style conditioned batches, drawn in the input pipeline from (seed, epoch): the same rows and
    # conditions in every setup. (The default, "rows", draws each row's condition column in the
    # step with the model's seed generator: replicas draw other columns than one process does.)
    config = TVAEConfig(epochs=1, batch_size=BATCH, latent_dim=4, hidden=(8,), prior_components=2,
                        condition_sampling="log_frequency")
    synth = SGDTVAE(config=config, seed=0, strategy=strategy)
    holder = {}

    class Hook(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            holder["cb"] = Deterministic(self.model.encoder.layers[-1], config.latent_dim)
            holder["cb"].set_model(self.model)
            holder["cb"].on_train_begin()

    synth.fit(tvae_data(), callbacks=[Hook()])
    return holder["cb"].initial, synth.model_.get_weights()


def fit_vaec(strategy):
    """VAEC ``all_parts``, 1 epoch of 2 steps of 32 rows with SGD; ``(initial, final)`` weights."""
    from vaec import VAEC, VAECConfig

    x, y = vaec_data()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = VAEC(VAECConfig(input_shape=(30,), n_classes=2, latent_dim=2, encoder_layers=(8,), head_layers=(6,)))
        optimizer = keras.optimizers.SGD(LR)
    hook = Deterministic(model.encoder.get_layer("z_log_var"), 0)
    model.fit_strategy("all_parts", x, y, epochs=1, batch_size=32, shuffle=False, verbose=0, optimizer=optimizer,
                       callbacks=[hook])
    return hook.initial, model.get_weights()


def fit_gan(strategy):
    """Conditional WGAN-GP on 4x4 images, 2 steps of 16 images with SGD; ``(initial, final)`` weights."""
    from gans import WGANGP

    x, y = gan_data()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        noise = keras.Input((3 + 2,))
        frozen = keras.layers.Dense(8, activation="tanh", trainable=False)
        images = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh")(frozen(noise)))
        generator = keras.Model(noise, images)
        pixels = keras.Input((4, 4, 1 + 2))
        critic = keras.Model(pixels, keras.layers.Dense(1)(keras.layers.Flatten()(pixels)))  # linear
        model = WGANGP(generator, critic, critic_steps=2, n_classes=2, seed=0)
        model.compile(g_optimizer=keras.optimizers.SGD(LR), d_optimizer=keras.optimizers.SGD(LR))
    kernel, _ = frozen.get_weights()
    kernel[:3] = 0.0  # the noise rows: the generated image depends on the label only
    frozen.set_weights([kernel, np.linspace(-1, 1, 8).astype(np.float32)])
    initial = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    return initial, model.get_weights()


FITS = {"tvae": fit_synthesizer, "vaec": fit_vaec, "gan": fit_gan}


def run_all(strategy) -> dict:
    out = {}
    for name, fit in FITS.items():
        initial, final = fit(strategy)
        out.update({f"{name}_initial_{i}": w for i, w in enumerate(initial)})
        out.update({f"{name}_final_{i}": w for i, w in enumerate(final)})
    return out


def main(out: str) -> None:
    from genlab.distribute import read_tf_config, worker_strategy

    strategy = worker_strategy()  # first: before TensorFlow runs any operation
    index = read_tf_config()["task"]["index"]
    arrays = run_all(strategy)
    arrays["replicas"] = np.asarray(strategy.num_replicas_in_sync)
    with open(Path(out) / f"worker-{index}.npz", "wb") as fh:
        np.savez(fh, **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
