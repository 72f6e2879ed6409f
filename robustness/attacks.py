"""Adversarial attacks on image classifiers: FGSM, PGD (L-infinity) and targeted L1 noise.

Convention: the attacked model maps a batch of inputs to **class probabilities** (a softmax
output, as every genlab classifier does). Pass ``from_logits=True`` for a model that outputs
logits. The cross-entropy is Keras' ``sparse_categorical_crossentropy``, which recovers the logits
behind a Keras softmax so that confident predictions still give useful gradients.

Each attack has two layers:

- ``*_batch`` functions work on one batch of tensors, are pure TensorFlow (``GradientTape``) and
  can be called inside a ``train_step`` (see :mod:`robustness.adversarial`).
- the public functions (:func:`fgsm`, :func:`pgd`, :func:`targeted_noise`) check their arguments,
  run the batch function through one ``tf.function`` over batches of ``batch_size`` rows and
  return NumPy arrays.

The model is run in inference mode (``training=False``) while an attack is computed.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from genlab.checks import check_features
from genlab.errors import ConfigError
from robustness._checks import (
    check_batch_size, check_clip, check_data, check_number, check_steps)

#: Default valid range of the inputs: images scaled to [0, 1].
UNIT_RANGE = (0.0, 1.0)


# --------------------------------------------------------------------------------- helpers
def per_example_loss(model, x, y, from_logits: bool = False, training: bool = False):
    """Cross-entropy of ``model(x)`` against integer labels ``y``, one value per row."""
    out = model(x, training=training)
    return keras.losses.sparse_categorical_crossentropy(y, out, from_logits=from_logits)


def input_gradient(model, x, y, from_logits: bool = False):
    """Gradient of the summed cross-entropy with respect to the inputs ``x`` (same shape as ``x``)."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(per_example_loss(model, x, y, from_logits))
    return tape.gradient(loss, x)


def _clip(x, clip):
    return x if clip is None else tf.clip_by_value(x, clip[0], clip[1])


def _uniform_noise(shape, dtype, seed):
    """U[-1, 1] noise; ``seed`` is None, an int, a ``SeedGenerator`` or a stateless seed tensor."""
    if isinstance(seed, (tf.Tensor, tf.Variable, np.ndarray)):
        return tf.random.stateless_uniform(shape, tf.cast(seed, tf.int32), -1.0, 1.0, dtype=dtype)
    return keras.random.uniform(shape, -1.0, 1.0, dtype=dtype, seed=seed)


def fgsm_batch(model, x, y, epsilon, clip=UNIT_RANGE, targeted: bool = False,
               from_logits: bool = False):
    """Fast gradient sign method on one batch: ``x + epsilon * sign(grad_x CE(model(x), y))``.

    Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015.
    With ``targeted=True`` ``y`` holds target labels and the step goes down the gradient
    (towards the target) instead of up.

    Args:
        model: Callable ``x -> probabilities`` (or logits with ``from_logits=True``).
        x: Float tensor, a batch of inputs.
        y: Integer tensor of shape ``(batch,)``: true labels, or targets when ``targeted``.
        epsilon: Step size, the L-infinity size of the perturbation.
        clip: ``(low, high)`` valid range applied after the step, or ``None``.
        targeted: Move towards ``y`` instead of away from it.
        from_logits: The model outputs logits.

    Returns:
        The adversarial batch (a tensor).
    """
    x = tf.convert_to_tensor(x)
    direction = tf.sign(input_gradient(model, x, y, from_logits))  # (batch, *input_shape)
    if targeted:
        direction = -direction
    return _clip(x + tf.cast(epsilon, x.dtype) * direction, clip)


def pgd_batch(model, x, y, epsilon, steps: int, step_size, random_start: bool = True,
              targeted: bool = False, clip=UNIT_RANGE, seed=None, from_logits: bool = False):
    """Projected gradient descent (L-infinity) on one batch.

    Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018.
    Each step takes a signed-gradient step of ``step_size``, then projects onto the ``epsilon``
    ball around ``x`` and onto the valid range ``clip``.

    Args:
        model, x, y, targeted, clip, from_logits: As in :func:`fgsm_batch`.
        epsilon: Radius of the L-infinity ball.
        steps: Number of gradient steps (Python int).
        step_size: Size of each signed step.
        random_start: Start from a uniform point of the ball instead of ``x``.
        seed: Random start seed: ``None``, an int, a ``keras.random.SeedGenerator`` (advanced at
            every call, as a model's generator should be) or a stateless seed tensor of shape (2,).

    Returns:
        The adversarial batch (a tensor).
    """
    x = tf.convert_to_tensor(x)
    eps = tf.cast(epsilon, x.dtype)
    alpha = tf.cast(step_size, x.dtype) * (-1.0 if targeted else 1.0)
    lo, hi = x - eps, x + eps
    if clip is not None:  # the feasible set is the ball intersected with the valid range
        lo, hi = tf.maximum(lo, clip[0]), tf.minimum(hi, clip[1])
    x_adv = x
    if random_start:
        noise = _uniform_noise(tf.shape(x), x.dtype, seed)  # U[-1, 1], shape of x
        x_adv = tf.clip_by_value(x + eps * noise, lo, hi)

    def body(i, x_adv):
        step = alpha * tf.sign(input_gradient(model, x_adv, y, from_logits))
        return i + 1, tf.clip_by_value(x_adv + step, lo, hi)

    # An explicit while_loop (not autograph, which Keras' train function does not apply here):
    # the model is traced once whatever the number of steps.
    _, x_adv = tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), x_adv))
    return x_adv


def targeted_noise_batch(model, x, target, c=0.01, steps: int = 100, learning_rate=0.01,
                         clip=UNIT_RANGE, initial_noise=None, from_logits: bool = False,
                         beta_1: float = 0.9, beta_2: float = 0.999, adam_epsilon: float = 1e-7):
    """Targeted noise on one batch: minimise ``CE(model(x + delta), target) + c * ||delta||_1``.

    The noise ``delta`` is optimised with Adam (Kingma & Ba, 2015), written out on tensors so
    that every batch starts with fresh moment estimates; after each step ``x + delta`` is clipped
    to the valid range. Each row's objective is independent of the other rows. As in Carlini &
    Wagner (2017), each row returns the smallest-L1 noise that reached the target during the
    search (the last noise if none did).

    Returns:
        ``(x_adv, success)``: the adversarial batch and a boolean vector, ``True`` where the model
        predicts ``target`` on ``x_adv``.
    """
    x = tf.convert_to_tensor(x)
    delta = tf.zeros_like(x) if initial_noise is None else tf.cast(initial_noise, x.dtype)
    delta = _clip(x + delta, clip) - x
    m, v = tf.zeros_like(x), tf.zeros_like(x)
    lr, c = tf.cast(learning_rate, x.dtype), tf.cast(c, x.dtype)
    reduce_axes = tuple(range(1, x.shape.rank))
    row_shape = tf.concat([tf.shape(x)[:1], tf.ones_like(tf.shape(x)[1:])], 0)  # (batch, 1, ...)
    best, best_l1 = delta, tf.fill(tf.shape(x)[:1], tf.constant(np.inf, x.dtype))
    def body(t, delta, m, v, best, best_l1):
        with tf.GradientTape() as tape:
            tape.watch(delta)
            out = model(x + delta, training=False)
            ce = keras.losses.sparse_categorical_crossentropy(target, out, from_logits=from_logits)
            l1 = tf.reduce_sum(tf.abs(delta), axis=reduce_axes)  # (batch,)
            objective = tf.reduce_sum(ce + c * l1)
        # Keep, per row, the smallest successful noise seen so far (this step's delta, pre-update).
        better = tf.equal(tf.argmax(out, -1, output_type=target.dtype), target) & (l1 < best_l1)
        best = tf.where(tf.reshape(better, row_shape), delta, best)
        best_l1 = tf.where(better, l1, best_l1)
        g = tape.gradient(objective, delta)
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * tf.square(g)
        t = t + 1
        tf_t = tf.cast(t, x.dtype)
        m_hat = m / (1.0 - tf.pow(beta_1, tf_t))
        v_hat = v / (1.0 - tf.pow(beta_2, tf_t))
        delta = _clip(x + delta - lr * m_hat / (tf.sqrt(v_hat) + adam_epsilon), clip) - x
        return t, delta, m, v, best, best_l1

    _, delta, _, _, best, best_l1 = tf.while_loop(
        lambda t, *_: t < steps, body, (tf.constant(0), delta, m, v, best, best_l1))
    # Rows that never succeeded keep their last noise; check the final one as well.
    found = tf.math.is_finite(best_l1)
    x_adv = x + tf.where(tf.reshape(found, row_shape), best, delta)
    pred = tf.argmax(model(x_adv, training=False), axis=-1, output_type=target.dtype)
    return x_adv, tf.equal(pred, target)


def _run_batched(compiled, model, rows, *args, batch_size: int):
    """Call ``compiled(model, *row_batches, *args)`` over batches of ``rows``; concatenate outputs.

    ``compiled`` is one of the module's ``tf.function`` objects, so repeated calls (other
    epsilons, other batches) reuse its trace; numbers are passed as tensors for the same reason.
    """
    args = [tf.constant(a, tf.float32) if isinstance(a, float) else a for a in args]
    outs = []
    for start in range(0, len(rows[0]), batch_size):
        batch = [tf.constant(r[start:start + batch_size]) for r in rows]
        res = compiled(model, *batch, *args)
        outs.append(tuple(np.asarray(r) for r in (res if isinstance(res, tuple) else (res,))))
    merged = tuple(np.concatenate(parts) for parts in zip(*outs))
    return merged if len(merged) > 1 else merged[0]


# One trace per model and static options (clip, targeted...), shared by every call.
_fgsm_compiled = tf.function(fgsm_batch, reduce_retracing=True)


def _pgd_rows(model, x, y, seeds, epsilon, steps, step_size, random_start, targeted, clip, from_logits):
    # seeds holds one (seed, batch index) row per input; the batch uses its first row.
    return pgd_batch(model, x, y, epsilon, steps, step_size, random_start, targeted, clip,
                     seeds[0], from_logits)


def _targeted_rows(model, x, target, noise, c, steps, learning_rate, clip, from_logits):
    return targeted_noise_batch(model, x, target, c, steps, learning_rate, clip, noise, from_logits)


_pgd_compiled = tf.function(_pgd_rows, reduce_retracing=True)
_targeted_compiled = tf.function(_targeted_rows, reduce_retracing=True)


# --------------------------------------------------------------------------------- public API
def fgsm(model, x, y, epsilon: float, clip=UNIT_RANGE, targeted: bool = False,
         from_logits: bool = False, batch_size: int = 256) -> np.ndarray:
    """Fast gradient sign method: one signed-gradient step of size ``epsilon`` per input.

    Args:
        model: Keras model ``x -> class probabilities`` (``from_logits=True``: logits).
        x: Inputs, ``(n, *input_shape)``, inside ``clip``.
        y: Integer labels (or one-hot rows); the target labels when ``targeted``.
        epsilon: L-infinity size of the step, ``>= 0``.
        clip: Valid input range ``(low, high)`` applied after the step; ``None`` to skip.
        targeted: Step towards the labels ``y`` instead of away from them.
        from_logits: The model outputs logits.
        batch_size: Rows per gradient computation.

    Returns:
        Adversarial inputs, float32, same shape as ``x``.

    Raises:
        ConfigError: ``epsilon`` negative or not finite, bad ``clip`` or ``batch_size``.
        InputShapeError, LabelError: ``x`` or ``y`` do not fit the model.

    Example:
        >>> x_adv = fgsm(classifier, x_test, y_test, epsilon=0.1)
        >>> (classifier.predict(x_adv).argmax(1) == y_test).mean()
    """
    epsilon = check_number("epsilon", epsilon)
    clip, batch_size = check_clip(clip), check_batch_size(batch_size)
    x, y = check_data(model, x, y)
    return _run_batched(_fgsm_compiled, model, (x, y), epsilon, clip, targeted, from_logits,
                        batch_size=batch_size)


def pgd(model, x, y, epsilon: float, steps: int, step_size: float, random_start: bool = True,
        targeted: bool = False, clip=UNIT_RANGE, seed: int | None = None, from_logits: bool = False,
        batch_size: int = 256) -> np.ndarray:
    """Projected gradient descent attack in the L-infinity ball of radius ``epsilon``.

    Args:
        model, x, y, clip, targeted, from_logits, batch_size: As in :func:`fgsm`.
        epsilon: Radius of the L-infinity ball around each input, ``>= 0``.
        steps: Number of signed-gradient steps, ``>= 1``.
        step_size: Size of each step, ``> 0`` (``2.5 * epsilon / steps`` is a common choice).
        random_start: Start from a uniform random point of the ball.
        seed: Integer seed of the random start (``None``: Keras' global generator).

    Returns:
        Adversarial inputs, float32, within ``epsilon`` of ``x`` and inside ``clip``.

    Raises:
        ConfigError: Negative ``epsilon``, ``steps < 1``, ``step_size <= 0``, bad ``clip``.
        InputShapeError, LabelError: ``x`` or ``y`` do not fit the model.

    Example:
        >>> x_adv = pgd(classifier, x_test, y_test, epsilon=0.1, steps=10, step_size=0.025, seed=0)
    """
    epsilon = check_number("epsilon", epsilon)
    steps = check_steps(steps)
    step_size = check_number("step_size", step_size, strict=True)
    clip, batch_size = check_clip(clip), check_batch_size(batch_size)
    x, y = check_data(model, x, y)
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))  # fresh entropy, not the global RNG
    # One stateless seed per batch: (seed, batch index).
    seeds = np.stack([np.full(len(x), int(seed)), np.arange(len(x)) // batch_size], 1).astype(np.int32)
    return _run_batched(_pgd_compiled, model, (x, y, seeds), epsilon, tf.constant(steps), step_size,
                        random_start, targeted, clip, from_logits, batch_size=batch_size)


def targeted_noise(model, x, target, c: float = 0.01, steps: int = 100, learning_rate: float = 0.01,
                   clip=UNIT_RANGE, initial_noise=None, from_logits: bool = False,
                   batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Find small (L1) noise that makes the model predict ``target``.

    Minimises ``CE(model(x + delta), target) + c * ||delta||_1`` per input with Adam, starting from
    zero noise, with ``x + delta`` clipped to the valid range after every step, and keeps the
    smallest-L1 noise that reached the target (see :func:`targeted_noise_batch`).

    Args:
        model, x, clip, from_logits, batch_size: As in :func:`fgsm`.
        target: Target class per input (int vector, one-hot rows, or one int for all inputs).
        c: Weight of the L1 norm of the noise, ``>= 0``; larger gives sparser, smaller noise and
            fewer successes.
        steps: Adam steps, ``>= 1``.
        learning_rate: Adam learning rate, ``> 0``.
        initial_noise: Starting noise, same shape as ``x``; ``None`` starts from zero.

    Returns:
        ``(x_adv, success)``: adversarial inputs (float32, shape of ``x``) and a boolean vector,
        ``True`` where the model predicts ``target`` on ``x_adv``.

    Raises:
        ConfigError: Negative ``c``, ``steps < 1``, ``learning_rate <= 0``, bad ``clip``.
        InputShapeError, LabelError: ``x``, ``target`` or ``initial_noise`` do not fit.

    Example:
        >>> x_adv, ok = targeted_noise(classifier, x_test[:100], target=3, c=0.01, steps=200)
        >>> ok.mean()
    """
    c = check_number("c", c)
    steps = check_steps(steps)
    learning_rate = check_number("learning_rate", learning_rate, strict=True)
    clip, batch_size = check_clip(clip), check_batch_size(batch_size)
    if np.ndim(target) == 0 and np.ndim(x) >= 2:
        target = np.full(len(x), target)
    x, target = check_data(model, x, target, name_y="target")
    if initial_noise is None:
        noise = np.zeros_like(x)
    else:
        noise = check_features(initial_noise, x.shape[1:], name="initial_noise")
        if len(noise) != len(x):
            raise ConfigError(f"initial_noise has {len(noise)} rows for {len(x)} inputs; they must match")
    x_adv, success = _run_batched(_targeted_compiled, model, (x, target, noise), c, tf.constant(steps),
                                  learning_rate, clip, from_logits, batch_size=batch_size)
    return x_adv, success.astype(bool)
