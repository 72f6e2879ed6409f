"""Class balancing of the training part: noisy random oversampling and SMOTE / SMOTENC.

Apply these to the training part only (after the split), never to the test part.
Both return an :class:`Augmented` with encoded features, labels and the class counts before
and after, and print the counts.

Example:
    >>> aug = noisy_oversample(split.train, ds.transformer, seed=0)
    >>> aug.counts_before, aug.counts_after     # {0: 19775, 1: 6273} -> {0: 19775, 1: 19775}
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, LabelError
from tabular.transformer import TabularTransformer, _check_frame


@dataclasses.dataclass(frozen=True)
class Augmented:
    """Balanced encoded training data.

    Attributes:
        x: ``(n, feature_width)`` float32 encoded features (target excluded).
        y: ``(n,)`` int64 labels, 1 = positive class.
        counts_before, counts_after: ``{label: rows}``.
        method: ``"noisy_oversample"``, ``"smote"`` or ``"smotenc"``.
    """

    x: np.ndarray
    y: np.ndarray
    counts_before: dict
    counts_after: dict
    method: str

    def with_target(self) -> np.ndarray:
        """Features with the label appended as the last column (the unconditional GAN's input)."""
        return np.concatenate([self.x, self.y[:, None].astype(np.float32)], axis=1)


def _counts(y) -> dict:
    values, counts = np.unique(y, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


def _check(frame, transformer: TabularTransformer):
    frame = _check_frame(frame, "train")
    transformer._check_fitted()
    if transformer.target is None:
        raise ConfigError("augmentation balances the target: the transformer needs target='column'")
    y = transformer.transform_target(frame)
    if len(np.unique(y)) < 2:
        raise LabelError(f"target column {transformer.target!r} holds a single class in the training part; "
                         "there is no minority class to oversample: use a stratified split")
    return frame, y


def _report(method, before, after, verbose):
    if verbose:
        print(f"{method}: class counts {before} -> {after}")


def noisy_oversample(train: pd.DataFrame, transformer: TabularTransformer, noise: float = 0.05,
                     seed: int = 0, verbose: bool = True) -> Augmented:
    """Duplicate random minority rows until the classes are 50/50, jittering continuous features.

    Each duplicate's continuous features get uniform noise in ``[-noise, noise]`` (scaled units,
    the [-1, 1] range of the transformer) and are clipped to ``[-1, 1]``; one-hot groups are kept.

    Args:
        train: Training part (original schema, target included).
        transformer: Fitted transformer with a target.
        noise: Half-width of the jitter (>= 0).
        seed: Seed of the draws.
        verbose: Print the class counts.

    Raises:
        ConfigError: ``noise`` is negative or the transformer has no target.
        LabelError: The training part holds a single class.
    """
    if noise < 0:
        raise ConfigError(f"noise must be >= 0 (scaled units), received {noise!r}")
    train, y = _check(train, transformer)
    x = transformer.transform(train, include_target=False)
    before = _counts(y)
    minority = min(before, key=before.get)
    need = max(before.values()) - before[minority]
    rng = np.random.default_rng(seed)
    pick = rng.choice(np.flatnonzero(y == minority), size=need, replace=True)
    extra = x[pick].copy()
    cont = transformer.continuous_indices()
    extra[:, cont] = np.clip(extra[:, cont] + rng.uniform(-noise, noise, (need, len(cont))), -1.0, 1.0)
    x_out = np.concatenate([x, extra]).astype(np.float32)
    y_out = np.concatenate([y, np.full(need, minority, np.int64)])
    order = rng.permutation(len(y_out))
    after = _counts(y_out)
    _report("noisy_oversample", before, after, verbose)
    return Augmented(x_out[order], y_out[order], before, after, "noisy_oversample")


def smote_balance(train: pd.DataFrame, transformer: TabularTransformer, k_neighbors: int = 5,
                  seed: int = 0, verbose: bool = True) -> Augmented:
    """Balance the classes to 50/50 with SMOTE, or SMOTENC when there are categorical columns.

    SMOTENC (Chawla et al., 2002) interpolates continuous features between minority neighbours
    and takes the most frequent category among them, so generated rows keep valid categories;
    it runs on the original columns, and the result is then encoded.

    Raises:
        LabelError: A single class, or fewer minority rows than ``k_neighbors + 1``.
    """
    from imblearn.over_sampling import SMOTE, SMOTENC

    train, y = _check(train, transformer)
    before = _counts(y)
    if min(before.values()) <= k_neighbors:
        raise LabelError(f"target column {transformer.target!r}: the minority class has {min(before.values())} "
                         f"rows, SMOTE needs more than k_neighbors={k_neighbors}; lower k_neighbors")
    features = transformer.categorical_ + transformer.continuous_
    frame = train[features].copy()
    for c in transformer.categorical_:
        frame[c] = frame[c].astype(str).astype(object)
    for c in transformer.continuous_:
        frame[c] = frame[c].astype(np.float64)
    if transformer.categorical_:
        sampler = SMOTENC(categorical_features=list(range(len(transformer.categorical_))),
                          k_neighbors=k_neighbors, random_state=seed)
        method = "smotenc"
    else:
        sampler = SMOTE(k_neighbors=k_neighbors, random_state=seed)
        method = "smote"
    x_res, y_res = sampler.fit_resample(frame.to_numpy(dtype=object) if transformer.categorical_
                                        else frame.to_numpy(), y)
    resampled = pd.DataFrame(x_res, columns=features)
    for c in transformer.continuous_:
        resampled[c] = resampled[c].astype(np.float64)
    x_out = transformer.transform(resampled, include_target=False)
    y_out = np.asarray(y_res, dtype=np.int64)
    after = _counts(y_out)
    _report(method, before, after, verbose)
    return Augmented(x_out, y_out, before, after, method)
