"""Channel elimination: drop input channels (features) that the VAEC cannot reconstruct.

The loop: train a fresh VAEC with ``fit_all_parts`` on the current channels, measure each
channel's reconstruction error on validation data (decoded from z_mean), drop the worst channel,
and repeat until every remaining channel reconstructs below ``threshold``. Channels that carry no
structure shared with the others (noise) cannot pass through a small latent space and go first.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

from genlab.checks import check_features, check_labels
from genlab.errors import ConfigError
from vaec.config import VAECConfig
from vaec.model import VAEC


@dataclasses.dataclass(frozen=True)
class EliminationStep:
    """One round: the channels trained on, their validation errors, and what was dropped."""

    channels: tuple[str, ...]
    errors: tuple[float, ...]
    dropped: str | None


@dataclasses.dataclass(frozen=True)
class EliminationResult:
    """Outcome of :func:`eliminate_channels`: the kept channels (names and column indices)."""

    kept: tuple[str, ...]
    kept_indices: tuple[int, ...]
    steps: tuple[EliminationStep, ...]

    @property
    def dropped(self) -> tuple[str, ...]:
        return tuple(s.dropped for s in self.steps if s.dropped is not None)


def channel_errors(model: VAEC, x: np.ndarray) -> np.ndarray:
    """Mean squared reconstruction error per channel, decoding z_mean (inference mode)."""
    z_mean, _, _ = model.encode(x)
    x_hat = np.asarray(model.decoder.predict(z_mean, verbose=0, batch_size=1024))
    return np.mean((x - x_hat) ** 2, axis=0)


def eliminate_channels(
    x_train, y_train, x_val, threshold: float,
    make_config: Callable[[int], VAECConfig],
    names: Sequence[str] | None = None,
    epochs: int = 100, batch_size: int = 32, min_channels: int = 1, seed: int = 0,
    verbose: bool = True,
) -> EliminationResult:
    """Drop the worst-reconstructed channel until all reconstruct below ``threshold``.

    Args:
        x_train: Training features ``(n, d)`` (standardised: an error of 1.0 then equals
            predicting the channel's mean).
        y_train: Training labels (``fit_all_parts`` also learns the classifier head).
        x_val: Validation features on which errors are measured.
        threshold: Largest acceptable per-channel validation MSE.
        make_config: ``make_config(n_channels) -> VAECConfig`` for the current width.
        names: Channel names (default ``"0"``, ``"1"``, ...).
        epochs, batch_size: Training of each round.
        min_channels: Never go below this many channels.
        seed: Seed of every round's model.
        verbose: Print one line per round.

    Returns:
        An :class:`EliminationResult`.

    Raises:
        ConfigError: Non-positive threshold, ``min_channels`` outside ``[1, d]``, or wrong names.
    """
    from genlab.seeding import set_seed

    x_train = np.asarray(x_train, np.float32)
    d = x_train.shape[1] if x_train.ndim == 2 else 0
    x_train = check_features(x_train, (d,), "x_train")
    x_val = check_features(x_val, (d,), "x_val")
    if threshold <= 0:
        raise ConfigError(f"threshold must be > 0, received {threshold}")
    if not 1 <= min_channels <= d:
        raise ConfigError(f"min_channels must lie in [1, {d}], received {min_channels}")
    names = tuple(str(i) for i in range(d)) if names is None else tuple(str(n) for n in names)
    if len(names) != d:
        raise ConfigError(f"{len(names)} names for {d} channels")
    keep = list(range(d))
    steps = []
    while True:
        set_seed(seed)
        cfg = make_config(len(keep))
        y = check_labels(y_train, cfg.n_classes, len(x_train), "y_train")
        model = VAEC(cfg)
        model.fit_all_parts(x_train[:, keep], y, epochs=epochs, batch_size=batch_size, verbose=0)
        errors = channel_errors(model, x_val[:, keep])
        worst = int(np.argmax(errors))
        done = errors[worst] <= threshold or len(keep) <= min_channels
        dropped = None if done else names[keep[worst]]
        steps.append(EliminationStep(tuple(names[i] for i in keep),
                                     tuple(float(e) for e in errors), dropped))
        if verbose:
            print(f"  {len(keep):3d} channels: worst {names[keep[worst]]!r} error {errors[worst]:.3f}"
                  + ("" if done else " -> dropped"), flush=True)
        if done:
            break
        keep.pop(worst)
    return EliminationResult(tuple(names[i] for i in keep), tuple(keep), tuple(steps))
