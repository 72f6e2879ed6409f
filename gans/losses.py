"""GAN losses as pure functions of model outputs (outputs first, then options).

Every loss returns a scalar: the mean over the batch on the current replica. Under
``tf.distribute`` divide it with :func:`genlab.distribute.scale_for_replicas` before taking
gradients (the models in this package do).

Conventions: ``*_logits`` are unbounded discriminator outputs (no sigmoid); ``*_scores`` are
linear outputs of a least-squares discriminator or a Wasserstein critic (any real number,
higher means "more real").
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from genlab.errors import ConfigError


def _softplus(x):
    return ops.softplus(ops.cast(x, "float32"))


def bce_generator_loss(fake_logits):
    """Non-saturating generator loss of the original GAN.

    ``L_G = -E[log D(G(z))] = mean(softplus(-l_fake))`` with ``D = sigmoid(l)``
    (Goodfellow et al., 2014, "Generative Adversarial Nets", section 3: maximise log D(G(z))
    instead of minimising log(1 - D(G(z))) for stronger early gradients).

    Args:
        fake_logits: Discriminator logits on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss.
    """
    return ops.mean(_softplus(-ops.cast(fake_logits, "float32")))


def bce_discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy discriminator loss of the original GAN.

    ``L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = mean(softplus(-l_real)) + mean(softplus(l_fake))``
    (Goodfellow et al., 2014, "Generative Adversarial Nets", eq. 1), computed from logits for
    numerical stability.

    Args:
        real_logits: Discriminator logits on real samples, shape ``(batch, ...)``.
        fake_logits: Discriminator logits on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss (sum of the real and fake halves, each a batch mean).
    """
    real = ops.mean(_softplus(-ops.cast(real_logits, "float32")))
    fake = ops.mean(_softplus(fake_logits))
    return real + fake


def wasserstein_critic_loss(real_scores, fake_scores):
    """Critic loss of the Wasserstein GAN.

    ``L_C = E[f(G(z))] - E[f(x)]``; minimising it maximises the Kantorovich-Rubinstein estimate
    ``E[f(x)] - E[f(G(z))]`` of the Wasserstein-1 distance over (approximately) 1-Lipschitz ``f``
    (Arjovsky, Chintala & Bottou, 2017, "Wasserstein GAN", eq. 3 and Algorithm 1).

    Args:
        real_scores: Critic outputs on real samples, shape ``(batch, ...)``.
        fake_scores: Critic outputs on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss; its negative is the Wasserstein estimate.
    """
    return ops.mean(ops.cast(fake_scores, "float32")) - ops.mean(ops.cast(real_scores, "float32"))


def wasserstein_generator_loss(fake_scores):
    """Generator loss of the Wasserstein GAN: ``L_G = -E[f(G(z))]``.

    (Arjovsky, Chintala & Bottou, 2017, "Wasserstein GAN", Algorithm 1.)

    Args:
        fake_scores: Critic outputs on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss.
    """
    return -ops.mean(ops.cast(fake_scores, "float32"))


def least_squares_discriminator_loss(real_scores, fake_scores):
    """Least-squares discriminator loss: ``L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]``.

    (Mao et al., 2017, "Least Squares Generative Adversarial Networks", eq. 2 with the targets
    a = 0 for generated and b = 1 for real samples.) The discriminator has a linear output.

    Args:
        real_scores: Discriminator outputs on real samples, shape ``(batch, ...)``.
        fake_scores: Discriminator outputs on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss (sum of the real and fake halves, each half a batch mean).
    """
    real = ops.cast(real_scores, "float32")
    fake = ops.cast(fake_scores, "float32")
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_generator_loss(fake_scores):
    """Least-squares generator loss: ``L_G = 1/2 E[(D(G(z)) - 1)^2]``.

    (Mao et al., 2017, "Least Squares Generative Adversarial Networks", eq. 2 with c = 1: the
    generator pulls its samples' scores towards the "real" target.)

    Args:
        fake_scores: Discriminator outputs on generated samples, shape ``(batch, ...)``.

    Returns:
        Scalar loss.
    """
    return 0.5 * ops.mean(ops.square(ops.cast(fake_scores, "float32") - 1.0))


def interpolate(real, fake, alpha):
    """Points ``alpha * real + (1 - alpha) * fake`` with one ``alpha`` per sample.

    Args:
        real: Real samples, ``(batch, ...)``.
        fake: Generated samples of the same shape.
        alpha: ``(batch,)`` or ``(batch, 1, ..., 1)`` mixing weights in ``[0, 1]``.

    Returns:
        The interpolates, shaped like ``real``.
    """
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    alpha = ops.reshape(ops.cast(alpha, "float32"), (-1,) + (1,) * (len(real.shape) - 1))
    return alpha * real + (1.0 - alpha) * fake  # (batch, ...)


def gradient_penalty(critic, real, fake, alpha=None, seed=None, one_sided: bool = False,
                     epsilon: float = 1e-12, training: bool = True):
    """Gradient penalty of WGAN-GP on random interpolates between real and fake samples.

    With ``x_hat = alpha * x + (1 - alpha) * G(z)``, ``alpha ~ U[0, 1]`` drawn once per sample
    (shape ``(batch, 1, ..., 1)``, so it works for vectors, images or any rank),
    ``n = sqrt(sum(grad f(x_hat)^2) + epsilon)`` summed over every non-batch axis, the penalty is
    ``mean((n - 1)^2)`` (Gulrajani et al., 2017, "Improved Training of Wasserstein GANs",
    eq. 3), or ``mean(relu(n - 1)^2)`` when ``one_sided`` (their appendix; Petzka et al., 2018,
    "On the regularization of Wasserstein GANs"). ``epsilon`` sits inside the square root so
    the gradient of the norm stays finite where the critic's gradient vanishes.

    The penalty is differentiable with respect to the critic's weights (double backprop), so
    call it inside the critic's ``GradientTape`` and multiply by ``lambda`` (10 in the paper).

    Args:
        critic: Callable ``critic(x, training=...) -> scores`` (a ``keras.Model``).
        real: Real samples, ``(batch, ...)``.
        fake: Generated samples of the same shape.
        alpha: Optional mixing weights ``(batch,)`` or ``(batch, 1, ..., 1)``; drawn from
            ``U[0, 1]`` with ``seed`` when ``None``.
        seed: ``int`` or ``keras.random.SeedGenerator`` for drawing ``alpha``.
        one_sided: Penalise only norms above 1.
        epsilon: Added to the squared norm inside the square root (>= 0).
        training: Passed to the critic.

    Returns:
        Scalar penalty (without the ``lambda`` factor).

    Raises:
        ConfigError: ``epsilon`` is negative.

    Example:
        >>> gp = gradient_penalty(critic, real_images, fake_images, seed=seed_generator)
        >>> critic_loss = wasserstein_critic_loss(real_scores, fake_scores) + 10.0 * gp
    """
    if epsilon < 0:
        raise ConfigError(f"gradient_penalty: epsilon must be >= 0, received {epsilon!r}")
    real = ops.cast(real, "float32")
    if alpha is None:
        shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        alpha = keras.random.uniform(shape, 0.0, 1.0, seed=seed)
    x_hat = interpolate(real, fake, alpha)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat, training=training)
    grads = tape.gradient(scores, x_hat)  # (batch, ...)
    axes = list(range(1, len(grads.shape)))
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + epsilon)  # (batch,)
    excess = ops.relu(norm - 1.0) if one_sided else norm - 1.0
    return ops.mean(ops.square(excess))


def clip_weights(variables, c: float) -> None:
    """Clip every variable into ``[-c, c]`` in place (the WGAN Lipschitz constraint).

    (Arjovsky, Chintala & Bottou, 2017, "Wasserstein GAN", Algorithm 1, with ``c = 0.01``.)

    Args:
        variables: Iterable of ``keras.Variable`` (e.g. ``critic.trainable_variables``).
        c: Clipping bound, > 0.

    Raises:
        ConfigError: ``c`` is not positive.
    """
    if not c > 0:
        raise ConfigError(f"clip_weights: c must be > 0, received {c!r}; the WGAN paper uses 0.01")
    for v in variables:
        v.assign(ops.clip(v, -c, c))
