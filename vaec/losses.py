"""Losses of the VAE + classifier, as pure functions of tensors."""

from __future__ import annotations

from keras import ops

from genlab.errors import unknown_name

RECONSTRUCTION_KINDS = ("mse", "bce")


def kl_per_dimension(z_mean, z_log_var):
    """KL(N(mu, sigma^2) || N(0, 1)) for every latent dimension.

    KL = -log sigma + (sigma^2 + mu^2) / 2 - 1/2, written with ``log sigma = z_log_var / 2``
    (Kingma & Welling 2014, appendix B).

    Args:
        z_mean: ``(batch, latent)`` means.
        z_log_var: ``(batch, latent)`` log variances.

    Returns:
        ``(batch, latent)`` tensor of per-dimension divergences (>= 0).
    """
    return 0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var)


def kl_loss(z_mean, z_log_var):
    """Per-dimension KL summed over latent dimensions, averaged over the batch (a scalar)."""
    return ops.mean(ops.sum(kl_per_dimension(z_mean, z_log_var), axis=-1))


def reconstruction_error(x, x_hat, kind: str = "mse"):
    """Reconstruction error of each row, summed over features: a ``(batch,)`` tensor.

    Args:
        x: Targets, ``(batch, ...)``.
        x_hat: Reconstructions, same shape (probabilities for ``"bce"``).
        kind: ``"mse"`` (squared error: Gaussian likelihood up to constants) or ``"bce"``
            (binary cross-entropy for data in [0, 1], e.g. pixel intensities).

    Returns:
        ``(batch,)`` tensor of per-row errors.

    Raises:
        UnknownNameError: ``kind`` is neither ``"mse"`` nor ``"bce"``.
    """
    if kind == "mse":
        per_element = ops.square(x - x_hat)
    elif kind == "bce":
        eps = 1e-7
        x_hat = ops.clip(x_hat, eps, 1.0 - eps)
        per_element = -(x * ops.log(x_hat) + (1.0 - x) * ops.log(1.0 - x_hat))
    else:
        raise unknown_name("reconstruction loss", kind, RECONSTRUCTION_KINDS)
    return ops.sum(ops.reshape(per_element, (ops.shape(x)[0], -1)), axis=-1)


def reconstruction_loss(x, x_hat, kind: str = "mse"):
    """:func:`reconstruction_error` averaged over the batch (a scalar)."""
    return ops.mean(reconstruction_error(x, x_hat, kind))


def prediction_loss(y, probabilities):
    """Sparse categorical cross-entropy of integer labels against class probabilities, batch mean."""
    eps = 1e-7
    p = ops.clip(probabilities, eps, 1.0)
    y = ops.cast(ops.reshape(y, (-1,)), "int32")
    picked = ops.take_along_axis(p, ops.expand_dims(y, -1), axis=-1)[:, 0]
    return -ops.mean(ops.log(picked))
