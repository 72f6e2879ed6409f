"""Class balancing of a training part: noisy random oversampling and SMOTE / SMOTENC, frame to frame.

Apply these to the training part only (after the split), never to the test part. Both return an
:class:`Augmented` with the balanced frame (the input's columns and dtypes) and the class counts
before and after, so any synthesizer can then be fitted on it.

Example:
    >>> aug = noisy_oversample(split.train, target="income", seed=0)
    >>> aug.counts_before, aug.counts_after     # {'<=50K': 19775, '>50K': 6273} -> 19775 each
    >>> synth.fit(aug.frame)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.encoding.columns import check_frame, decimals, is_integer_valued, numeric_values
from tabular.evaluation.features import is_numeric


@dataclasses.dataclass(frozen=True)
class Augmented:
    """A balanced training frame.

    Attributes:
        frame: The balanced rows (original rows first, then the new ones, shuffled).
        counts_before, counts_after: ``{class: rows}``.
        method: ``"noisy_oversample"``, ``"smote"`` or ``"smotenc"``.
    """

    frame: pd.DataFrame
    counts_before: dict
    counts_after: dict
    method: str


def _counts(y) -> dict:
    values, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts)}


def _check(frame, target: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    frame = check_frame(frame, "train")
    if target not in frame.columns:
        raise InputShapeError(f"target column {target!r} is missing from the training frame (columns "
                              f"{list(frame.columns)}); pass target= the label column")
    if frame[target].nunique() < 2:
        raise LabelError(f"target column {target!r} holds a single class in the training part; there is no "
                         "minority class to oversample: use a stratified split")
    missing = [c for c in frame.columns if frame[c].isna().any()]
    if missing:
        raise LabelError(f"column(s) {missing} have missing values; oversampling needs complete rows: impute or "
                         "drop them first")
    numeric = [c for c in frame.columns if c != target and is_numeric(frame[c])]
    discrete = [c for c in frame.columns if c != target and c not in numeric]
    return frame, numeric, discrete


def _report(method, before, after, verbose):
    if verbose:
        print(f"{method}: class counts {before} -> {after}")


def _rebalanced(train: pd.DataFrame, extra: pd.DataFrame, target: str, numeric, before, method, seed,
                verbose) -> Augmented:
    """The training rows plus ``extra``, shuffled; numbers rounded to each column's precision."""
    for col in numeric:
        values = numeric_values(train[col], col, "continuous")
        digits = 0 if is_integer_valued(values) else decimals(values)
        lo, hi = np.nanmin(values), np.nanmax(values)
        new = np.clip(extra[col].to_numpy(np.float64), lo, hi)
        extra[col] = new if digits is None else np.round(new, digits)
    frame = pd.concat([train, extra], ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for col in train.columns:
        frame[col] = frame[col].astype(train[col].dtype)
    after = _counts(frame[target])
    _report(method, before, after, verbose)
    return Augmented(frame, before, after, method)


def noisy_oversample(train: pd.DataFrame, target: str, noise: float = 0.05, seed: int = 0,
                     verbose: bool = True) -> Augmented:
    """Duplicate random minority rows until every class is as large as the largest, jittering numbers.

    Each duplicate's numeric features get uniform noise of half-width ``noise`` times half the
    column's range (the study's jitter of ``noise`` in ``[-1, 1]`` scaled units), clipped to the
    column's range and rounded to its precision (integers stay integers); categories are kept.

    Args:
        train: Training part (the target included).
        target: The class column.
        noise: Half-width of the jitter in scaled units (>= 0).
        seed: Seed of the draws.
        verbose: Print the class counts.

    Raises:
        ConfigError: ``noise`` is negative.
        InputShapeError: The target is absent.
        LabelError: A single class, or missing values.
    """
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ConfigError(f"noise must be >= 0 (scaled units), received {noise!r}")
    train, numeric, _ = _check(train, target)
    y = train[target].astype(str).to_numpy()
    before = _counts(y)
    largest = max(before.values())
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(y == c), size=largest - k, replace=True) for c, k in before.items() if k < largest]
    extra = train.iloc[np.concatenate(picks)].reset_index(drop=True).copy()
    for col in numeric:
        values = numeric_values(train[col], col, "continuous")
        half_range = (np.nanmax(values) - np.nanmin(values)) / 2.0
        extra[col] = extra[col].to_numpy(np.float64) + rng.uniform(-noise, noise, len(extra)) * half_range
    return _rebalanced(train, extra, target, numeric, before, "noisy_oversample", seed, verbose)


def smote_balance(train: pd.DataFrame, target: str, k_neighbors: int = 5, seed: int = 0,
                  verbose: bool = True) -> Augmented:
    """Balance the classes with SMOTE, or SMOTENC when there are discrete columns.

    SMOTENC (Chawla et al., 2002) interpolates numeric features between minority neighbours and
    takes the most frequent category among them, so generated rows keep valid categories.

    Raises:
        InputShapeError: The target is absent.
        LabelError: A single class, missing values, or a class with at most ``k_neighbors`` rows.
    """
    from imblearn.over_sampling import SMOTE, SMOTENC

    train, numeric, discrete = _check(train, target)
    y = train[target].astype(str).to_numpy()
    before = _counts(y)
    if min(before.values()) <= k_neighbors:
        raise LabelError(f"target column {target!r}: the smallest class has {min(before.values())} rows, SMOTE "
                         f"needs more than k_neighbors={k_neighbors}; lower k_neighbors")
    features = discrete + numeric
    frame = train[features].copy()
    for c in discrete:
        frame[c] = frame[c].astype(str).astype(object)
    if discrete:
        sampler = SMOTENC(categorical_features=list(range(len(discrete))), k_neighbors=k_neighbors,
                          random_state=seed)
        method = "smotenc"
    else:
        sampler = SMOTE(k_neighbors=k_neighbors, random_state=seed)
        method = "smote"
    x_res, y_res = sampler.fit_resample(frame.to_numpy(dtype=object) if discrete else frame.to_numpy(float), y)
    resampled = pd.DataFrame(x_res[len(train):], columns=features)
    resampled[target] = np.asarray(y_res[len(train):])
    for c in discrete + [target]:  # back to the original category values (e.g. bools)
        lookup = {str(v): v for v in pd.unique(train[c])}
        resampled[c] = resampled[c].map(lambda v, lookup=lookup: lookup[str(v)])
    return _rebalanced(train, resampled[list(train.columns)], target, numeric, before, method, seed, verbose)
