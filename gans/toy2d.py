"""2-D toy: a GAN learns the parabola ``y = x^2`` on ``x in [-1, 1]``; figures show how.

Each frame draws the real points (green) and generated points (purple) over a background
coloured by the discriminator (``D(x) = sigmoid(logit)`` for :class:`~gans.GAN`, the critic
score for the Wasserstein models), with arrows at generated points showing the direction the
generator's loss pushes them (``-d L_G / d x``). Frames are logged every ``frame_every``
steps to TensorBoard and as PNGs by :class:`genlab.tensorboard.FigureLogger`: one Keras
"epoch" here is ``frame_every`` steps.

Example:
    >>> config = ToyConfig(steps=2000, model="gan")
    >>> model, history = train_toy(config)
    >>> mean_distance_to_parabola(model.generate(1000))
"""

from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

from gans.gan import GAN
from gans.networks import mlp_critic, mlp_generator
from gans.wgan_gp import WGANGP
from genlab.errors import ConfigError, unknown_name
from genlab.layers import LayerSpec
from genlab.tensorboard import FigureLogger

#: Model kinds :func:`build_toy_model` knows.
TOY_MODELS = ("gan", "wgan_gp")


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    """Settings of the 2-D toy.

    Attributes:
        model: ``"gan"`` (BCE, non-saturating) or ``"wgan_gp"``.
        latent_dim: Noise width.
        hidden: Units of the hidden layers of both networks (leaky ReLU in D, ReLU in G).
        n_real: Size of the fixed real sample (x uniform on [-1, 1], y = x^2).
        batch_size: Batch size.
        steps: Train steps in total (rounded up to a multiple of ``frame_every``).
        frame_every: Steps between figure frames (one Keras epoch).
        learning_rate: Adam learning rate of both networks (betas 0.5, 0.999 for the GAN;
            0, 0.9 for WGAN-GP as in the paper).
        critic_steps: Critic updates per generator update for WGAN-GP (the GAN uses 1).
        seed: Seed of data, weights and noise.
        jit_compile: Compile the step with XLA.
    """

    model: str = "gan"
    latent_dim: int = 2
    hidden: tuple[int, ...] = (64, 64)
    n_real: int = 4096
    batch_size: int = 128
    steps: int = 2000
    frame_every: int = 250
    learning_rate: float = 1e-3
    critic_steps: int = 2
    seed: int = 0
    jit_compile: bool = True

    def __post_init__(self):
        if self.model not in TOY_MODELS:
            raise unknown_name("toy model", self.model, TOY_MODELS)
        for name in ("latent_dim", "n_real", "batch_size", "steps", "frame_every", "critic_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"ToyConfig.{name} must be a positive int, received {value!r}")

    @property
    def epochs(self) -> int:
        """Keras epochs of ``frame_every`` steps covering ``steps``."""
        return -(-self.steps // self.frame_every)


def parabola_points(n: int, seed: int | None = None) -> np.ndarray:
    """``n`` points ``(x, x^2)`` with ``x ~ U[-1, 1]``, as float32 ``(n, 2)``."""
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, n)
    return np.column_stack([x, x**2]).astype(np.float32)


def distance_to_parabola(points, grid: int = 4001) -> np.ndarray:
    """Euclidean distance of each point to the arc ``{(t, t^2): t in [-1, 1]}``.

    The arc is sampled at ``grid`` values of ``t``; the error is below half the spacing of two
    samples (under 1e-3 with the default grid).

    Args:
        points: ``(n, 2)`` array.
        grid: Number of samples of the arc.

    Returns:
        ``(n,)`` distances.
    """
    points = np.asarray(points, np.float64)
    t = np.linspace(-1.0, 1.0, grid)
    arc = np.column_stack([t, t**2])  # (grid, 2)
    out = np.empty(len(points))
    for start in range(0, len(points), 512):  # bounded memory: (512, grid) distances at a time
        chunk = points[start:start + 512]
        d2 = ((chunk[:, None, :] - arc[None, :, :]) ** 2).sum(-1)  # (chunk, grid)
        out[start:start + 512] = np.sqrt(d2.min(axis=1))
    return out


def mean_distance_to_parabola(points) -> float:
    """Mean of :func:`distance_to_parabola`: 0 when every point lies on the arc."""
    return float(distance_to_parabola(points).mean())


def build_toy_model(config: ToyConfig) -> GAN | WGANGP:
    """Build and compile the model of ``config`` (MLP generator and critic, 2-D samples)."""
    keras.utils.set_random_seed(config.seed)
    generator = mlp_generator(config.latent_dim, 2, [LayerSpec(u, "relu") for u in config.hidden])
    critic = mlp_critic(2, [LayerSpec(u, "leaky_relu") for u in config.hidden])
    lr = config.learning_rate
    if config.model == "gan":
        model = GAN(generator, critic, seed=config.seed)
        optimizers = [keras.optimizers.Adam(lr, beta_1=0.5) for _ in range(2)]
    else:
        model = WGANGP(generator, critic, critic_steps=config.critic_steps, seed=config.seed)
        optimizers = [keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.9) for _ in range(2)]
    model.compile(*optimizers, jit_compile=config.jit_compile)
    return model


def generator_push(model, points) -> np.ndarray:
    """``-d L_G / d x`` at ``points``: where the generator's loss moves generated samples."""
    x = tf.convert_to_tensor(np.asarray(points, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = model.generator_loss(model.critic_scores(x, training=False))
    return -tape.gradient(loss, x).numpy() * len(points)  # per-sample gradient, not 1/n of it


def plot_toy(model, real, n_fake: int = 300, title: str = "", limits=((-1.6, 1.6), (-0.5, 1.6)),
             resolution: int = 80):
    """One frame: critic background, real (green) and generated (purple) points, generator arrows.

    Args:
        model: A trained or training :class:`~gans.GAN` / :class:`~gans.WGANGP`.
        real: ``(n, 2)`` real points (up to 500 are drawn).
        n_fake: Generated points to draw.
        title: Figure title.
        limits: ``((xmin, xmax), (ymin, ymax))`` of the view.
        resolution: Background grid cells per axis.

    Returns:
        A matplotlib figure.
    """
    import matplotlib.pyplot as plt

    (x0, x1), (y0, y1) = limits
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    scores = keras.ops.convert_to_numpy(model.discriminator(grid, training=False))[:, 0]
    is_gan = isinstance(model, GAN)
    if is_gan:
        scores = 1.0 / (1.0 + np.exp(-scores))
    fake = model.generate(n_fake)
    push = generator_push(model, fake)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    mesh = ax.pcolormesh(gx, gy, scores.reshape(gx.shape), cmap="coolwarm", shading="auto",
                         vmin=0 if is_gan else None, vmax=1 if is_gan else None, alpha=0.8)
    fig.colorbar(mesh, ax=ax, label="D(x)" if is_gan else "critic score f(x)")
    ax.scatter(real[:500, 0], real[:500, 1], s=6, c="green", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=6, c="purple", label="generated")
    norm = np.linalg.norm(push, axis=1, keepdims=True).max() + 1e-12
    ax.quiver(fake[:, 0], fake[:, 1], push[:, 0] / norm, push[:, 1] / norm, color="black",
              angles="xy", scale_units="xy", scale=4, width=0.003)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), title=title or "real (green), generated (purple)")
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig


def train_toy(config: ToyConfig = ToyConfig(), log_dir: str | os.PathLike | None = None,
              png_dir: str | os.PathLike | None = None, verbose=0):
    """Train the toy model; optionally log a frame every ``config.frame_every`` steps.

    Args:
        config: Settings.
        log_dir: TensorBoard directory for the frames (and scalars); ``None``: no logging.
        png_dir: Directory for PNG frames; ``None``: none.
        verbose: Passed to ``fit``.

    Returns:
        ``(model, history)``; the history has one entry per frame interval.
    """
    real = parabola_points(config.n_real, config.seed)
    model = build_toy_model(config)
    data = (tf.data.Dataset.from_tensor_slices(real).shuffle(config.n_real, seed=config.seed)
            .repeat().batch(config.batch_size, drop_remainder=True))
    callbacks = []
    if log_dir is not None or png_dir is not None:
        def frame(m, epoch):
            return plot_toy(m, real, title=f"{config.model}, step {epoch * config.frame_every}")

        callbacks.append(FigureLogger(frame, log_dir if log_dir is not None else png_dir, "toy2d",
                                      png_dir=png_dir))
        if log_dir is not None:
            callbacks.append(keras.callbacks.TensorBoard(str(log_dir), write_graph=False))
    history = model.fit(data, epochs=config.epochs, steps_per_epoch=config.frame_every,
                        callbacks=callbacks, verbose=verbose, shuffle=False)
    return model, history
