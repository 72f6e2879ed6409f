"""Wasserstein GAN with weight clipping (Arjovsky, Chintala & Bottou, 2017)."""

from __future__ import annotations

import keras

from gans.adversarial import WassersteinModel
from gans.losses import clip_weights
from genlab.errors import ConfigError


@keras.saving.register_keras_serializable(package="gans")
class WGAN(WassersteinModel):
    """WGAN: a critic kept (roughly) Lipschitz by clipping its weights into ``[-c, c]``.

    Each train step runs ``critic_steps`` critic updates, clipping after each, then one generator
    update. Default optimizers: RMSprop(5e-5) for each network, as in the paper (momentum-based
    optimizers made training unstable there). Logged metrics: ``d_loss``, ``g_loss`` and
    ``wasserstein`` (``E f(x) - E f(G(z))`` on the last critic step, the distance estimate up
    to the critic's Lipschitz constant).

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        critic: Model from samples (+ label channels) to ``(batch, 1)`` scores.
        clip_value: ``c`` (> 0), 0.01 in the paper.
        critic_steps: Critic updates per generator update (>= 1), 5 in the paper (n_critic).
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        seed: Integer seed of the noise stream.
        **kwargs: Standard ``keras.Model`` arguments.

    Raises:
        ConfigError: ``clip_value`` is not positive, or a count/shape is invalid.

    Example:
        >>> wgan = WGAN(mlp_generator(8, 2), mlp_critic(2), clip_value=0.01)
        >>> wgan.compile()
        >>> wgan.fit(points, epochs=100, batch_size=64)
    """

    def __init__(self, generator, critic, clip_value: float = 0.01, critic_steps: int = 5,
                 n_classes: int = 0, seed: int | None = None, **kwargs):
        if not isinstance(clip_value, (int, float)) or not clip_value > 0:
            raise ConfigError(f"clip_value must be > 0, received {clip_value!r}; the paper uses 0.01")
        super().__init__(generator, critic, critic_steps=critic_steps, n_classes=n_classes, seed=seed, **kwargs)
        self.clip_value = float(clip_value)

    def after_critic_update(self) -> None:
        clip_weights(self.discriminator.trainable_variables, self.clip_value)

    def default_optimizer(self):
        return keras.optimizers.RMSprop(5e-5)

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}
