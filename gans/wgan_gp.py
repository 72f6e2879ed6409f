"""WGAN with gradient penalty (Gulrajani et al., 2017, "Improved Training of Wasserstein GANs")."""

from __future__ import annotations

import keras

from gans.adversarial import WassersteinModel
from gans.losses import gradient_penalty
from gans.networks import has_batch_norm
from genlab.errors import ConfigError


@keras.saving.register_keras_serializable(package="gans")
class WGANGP(WassersteinModel):
    """WGAN-GP: critic loss ``E f(G(z)) - E f(x) + lambda * E (|grad f(x_hat)| - 1)^2``.

    ``x_hat`` mixes real and generated samples with ``alpha ~ U[0, 1]`` per sample (see
    :func:`~gans.losses.gradient_penalty`); for a conditional model the label channels are held
    fixed and only the sample is interpolated. The critic must not contain BatchNorm.

    Defaults follow the paper: ``gp_weight`` (lambda) 10, ``critic_steps`` 5, Adam(1e-4, beta_1=0,
    beta_2=0.9) for each network. Logged metrics: ``d_loss``, ``g_loss``, ``wasserstein``
    (``E f(x) - E f(G(z))``) and ``gradient_penalty`` (without the lambda factor).

    Args:
        generator: Model ``(batch, latent_dim + n_classes) -> (batch, *sample_shape)``.
        critic: Model from samples (+ label channels) to ``(batch, 1)`` scores, without BatchNorm.
        gp_weight: lambda (>= 0).
        critic_steps: Critic updates per generator update (>= 1; n_critic in the paper).
        one_sided: Penalise only gradient norms above 1.
        n_classes: Number of classes of a conditional model; 0 for unconditional.
        seed: Integer seed of the noise and alpha stream.
        **kwargs: Standard ``keras.Model`` arguments.

    Raises:
        ConfigError: The critic contains BatchNorm, ``gp_weight`` is negative, or a count/shape
            is invalid.

    Example:
        >>> model = WGANGP(dcgan_generator(64, n_classes=10), dcgan_critic(n_classes=10), n_classes=10)
        >>> model.compile()
        >>> model.fit(images, labels, epochs=10, batch_size=64)
        >>> sevens = model.generate(16, labels=7)
    """

    METRIC_NAMES = ("d_loss", "g_loss", "wasserstein", "gradient_penalty")

    def __init__(self, generator, critic, gp_weight: float = 10.0, critic_steps: int = 5,
                 one_sided: bool = False, n_classes: int = 0, seed: int | None = None, **kwargs):
        if not isinstance(gp_weight, (int, float)) or gp_weight < 0:
            raise ConfigError(f"gp_weight must be >= 0, received {gp_weight!r}; the paper uses 10")
        if has_batch_norm(critic):
            raise ConfigError(
                f"critic {critic.name!r} contains BatchNormalization, which breaks the per-sample "
                "gradient penalty; build it without (e.g. dcgan_critic(batch_norm=False)) or use "
                "LayerNormalization")
        super().__init__(generator, critic, critic_steps=critic_steps, n_classes=n_classes, seed=seed, **kwargs)
        self.gp_weight = float(gp_weight)
        self.one_sided = bool(one_sided)

    def critic_terms(self, real, fake, one_hot) -> dict:
        terms = super().critic_terms(real, fake, one_hot)
        gp = gradient_penalty(lambda x, training: self.critic_scores(x, one_hot, training), real, fake,
                              seed=self.seed_generator, one_sided=self.one_sided)
        return {**terms, "d_loss": terms["d_loss"] + self.gp_weight * gp, "gradient_penalty": gp}

    def default_optimizer(self):
        return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)

    def get_config(self):
        return {**super().get_config(), "gp_weight": self.gp_weight, "one_sided": self.one_sided}
