"""Small resumable fits of the image families, in deterministic mode, in a process that may kill itself.

``python -m tests.genlab.fit_resume_job FAMILY CHECKPOINT OUT [KILL_EPOCH]`` trains ``FAMILY`` with
``checkpoint_dir=CHECKPOINT`` after ``set_seed(0, deterministic=True)``:

- ``vaec``: a conv VAEC (dropout, sampling) on 8x8 images, ``fit_autoencoder`` then
  ``fit_classifier_head`` (:data:`EPOCHS` each): a two-stage pipeline;
- ``gan``: a conditional conv WGAN-GP on 28x28 images (:data:`EPOCHS`).

With ``KILL_EPOCH`` it kills its own process with ``SIGKILL`` after the second batch of that
(0-based) epoch of the last stage — nothing of Python runs after that, as after a crash. Otherwise
it saves ``OUT`` (``.npz``): the model's weights and, per stage, the epochs that ``fit`` trained.
The tests also import :func:`train` to run the same fits in their own process.
"""

from __future__ import annotations

import sys

import keras
import numpy as np

from tests.conftest import Count, Kill

EPOCHS, BATCH = 3, 16
#: The stages of each family, in order.
STAGES = {"vaec": ("autoencoder", "classifier_head"), "gan": ("train",)}


def images(family: str):
    """48 synthetic images and 3-class labels (8x8 for the VAEC, 28x28 in [-1, 1] for the GAN)."""
    rng = np.random.default_rng(0)
    y = np.arange(48) % 3
    side = 8 if family == "vaec" else 28
    x = rng.uniform(0, 1, (48, side, side, 1)).astype(np.float32)
    x[..., : side // 2, :] += y[:, None, None, None] / 3  # a class signal
    x = np.clip(x, 0, 1)
    return (x, y) if family == "vaec" else (2 * x - 1, y)


def build(family: str):
    """The model, weights drawn from seed 0 (a new process draws the same)."""
    keras.utils.set_random_seed(0)
    if family == "vaec":
        from genlab.layers import LayerSpec
        from vaec import VAEC, VAECConfig

        return VAEC(VAECConfig(input_shape=(8, 8, 1), n_classes=3, latent_dim=2, conv_filters=(4, 8),
                               encoder_layers=(LayerSpec(8, dropout=0.3),), head_layers=(LayerSpec(8),),
                               reconstruction_loss="bce", seed=0))
    from gans import WGANGP, dcgan_critic, dcgan_generator

    model = WGANGP(dcgan_generator(4, n_classes=3, filters=(4, 2)), dcgan_critic(n_classes=3, filters=(2, 4)),
                   n_classes=3, critic_steps=2, seed=0)
    model.compile()
    return model


def train(family: str, checkpoint, callbacks=lambda stage: [], epochs: int = EPOCHS):
    """Fit ``family`` with ``checkpoint_dir=checkpoint``; ``callbacks(stage)`` gives each stage's extra callbacks.

    Returns:
        ``(model, {stage: History})``.
    """
    x, y = images(family)
    model = build(family)
    fit = dict(epochs=epochs, batch_size=BATCH, verbose=0, checkpoint_dir=checkpoint)
    if family == "gan":
        return model, {"train": model.fit(x, y, callbacks=callbacks("train"), **fit)}
    return model, {"autoencoder": model.fit_autoencoder(x, callbacks=callbacks("autoencoder"), **fit),
                   "classifier_head": model.fit_classifier_head(x, y, callbacks=callbacks("classifier_head"), **fit)}


if __name__ == "__main__":
    from genlab.seeding import set_seed

    family, checkpoint, out = sys.argv[1], sys.argv[2], sys.argv[3]
    kill = int(sys.argv[4]) if len(sys.argv) > 4 else None
    set_seed(0, deterministic=True)
    counts = {stage: Count() for stage in STAGES[family]}
    last = STAGES[family][-1]
    model, _ = train(family, checkpoint,
                     lambda stage: [counts[stage]] + ([Kill(kill)] if kill is not None and stage == last else []))
    if kill is not None:
        sys.exit(3)  # not reached: the process killed itself
    np.savez(out, **{f"w{i}": w for i, w in enumerate(model.get_weights())},
             **{f"epochs_{stage}": np.asarray(c.epochs, np.int64) for stage, c in counts.items()})
