"""Evaluation of synthetic tables: :func:`evaluate` with the fixed protocol and a report.

:func:`evaluate` takes the real training part, the real test part and a synthetic frame (same
columns; missing values allowed), a named binary or multi-class target, and returns an
:class:`EvaluationResult`; with ``out_dir`` it also writes ``report.md``, ``metrics.json`` and
PNG figures (per-column distributions, association-difference heatmap, detector importances).
Metrics: :mod:`tabular.evaluation.metrics` (detection, efficacy, shapes, trends) and
:mod:`tabular.evaluation.privacy` (exact copies, distance to closest record, DCR share). Every
feature encoding is fitted on the real training rows only (:mod:`tabular.evaluation.features`).
The protocol is described in ``docs/tabular.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.encoding.columns import check_frame
from tabular.evaluation.features import FeatureEncoder, as_labels
from tabular.evaluation.metrics import (PROTOCOL, column_pair_trends, column_shapes, detection_scores,
                                        forest_auc)
from tabular.evaluation.privacy import dcr_scores, exact_copy_rates
from tabular.evaluation.report import (EvaluationResult, plot_association_difference, plot_distributions,
                                       plot_importances, write_report)


def _check_inputs(real_train, real_test, synthetic, target) -> list[str]:
    frames = {"real_train": real_train, "real_test": real_test, "synthetic": synthetic}
    for name, frame in frames.items():
        check_frame(frame, name)
    for name in ("real_train", "synthetic"):
        if len(frames[name]) < 2:
            raise InputShapeError(f"{name} has {len(frames[name])} row; detection is cross-validated over at least 2 "
                                  f"folds and needs at least 2 {name} rows: give more rows")
    columns = list(real_train.columns)
    if target not in columns:
        raise InputShapeError(f"target column {target!r} is missing from real_train (columns {columns}); "
                              "pass target= the name of the label column")
    for name in ("real_test", "synthetic"):
        missing = [c for c in columns if c not in frames[name].columns]
        if missing:
            raise InputShapeError(f"{name} lacks column(s) {missing} of real_train; every frame needs the same "
                                  "columns: decode synthetic rows with the synthesizer (or the encoder's "
                                  "inverse_transform)")
    for name in ("real_train", "real_test"):
        labels = as_labels(frames[name][target])
        if len(set(labels)) < 2:
            raise LabelError(f"{name}[{target!r}] holds a single class; efficacy needs at least two classes: "
                             "use a stratified split")
    return columns


def evaluate(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame, *, target: str,
             continuous: Sequence[str] | None = None, out_dir: str | os.PathLike | None = None, seed: int = 0,
             n_estimators: int = PROTOCOL["n_estimators"], folds: int = PROTOCOL["cv_folds"], dcr_rows: int = 2000,
             plots: bool = True, title: str = "Synthetic data evaluation", n_jobs: int | None = -1) -> EvaluationResult:
    """Score ``synthetic`` against the real data.

    Args:
        real_train: Real training part (the detector's class 0, the real efficacy baseline, the
            reference of every encoding and distance).
        real_test: Real test part: scores efficacy and is the holdout of the DCR checks.
        synthetic: Synthetic rows (as many as ``real_train`` in the protocol).
        target: Label column (binary or multi-class; rows where it is missing are left out of efficacy).
        continuous: Columns scored as numbers; ``None``: the numeric (non-boolean) ones.
        out_dir: Write ``report.md``, ``metrics.json`` and PNGs here (created only after every
            metric is computed: nothing is written when the inputs are invalid).
        seed: Seed of folds, forests and the DCR subsamples.
        n_estimators: Trees of every forest (the protocol: 100).
        folds: Detection folds (the protocol: 4).
        dcr_rows: Rows sampled for the distances to closest record.
        plots: Write the figures (with ``out_dir``).
        title: Report title.
        n_jobs: Forest parallelism.

    Returns:
        :class:`EvaluationResult`.

    Raises:
        InputShapeError: A frame is empty or lacks a column of ``real_train``; ``real_train`` or
            ``synthetic`` has fewer than 2 rows.
        LabelError: A real part holds a single class.
        InvalidValueError: Non-numeric values in a numeric column.

    Example:
        >>> result = evaluate(train, test, synth.sample(len(train)), target="income", out_dir="eval")
        >>> result.metrics["detection_auc"], result.metrics["efficacy_ratio"]
    """
    if n_estimators < 1 or folds < 2:
        raise ConfigError(f"n_estimators must be >= 1 and folds >= 2, received {n_estimators}, {folds}")
    columns = _check_inputs(real_train, real_test, synthetic, target)
    real_train, real_test, synthetic = (f[columns] for f in (real_train, real_test, synthetic))
    encoder = FeatureEncoder(continuous).fit(real_train, missing_in=(real_test, synthetic))
    cont = encoder.continuous_
    # encoded with each frame's own index, so a bad value is reported at the caller's row label
    x_tr, x_te, x_sy = (encoder.transform(f) for f in (real_train, real_test, synthetic))
    real_train, real_test, synthetic = (f.reset_index(drop=True) for f in (real_train, real_test, synthetic))
    detection = detection_scores(x_tr, x_sy, seed, n_estimators, folds, n_jobs)
    raw_importances = detection.pop("importances")

    features = FeatureEncoder(continuous, exclude=(target,)).fit(real_train, missing_in=(real_test, synthetic))
    labelled = {name: f[f[target].notna()] for name, f in (("train", real_train), ("test", real_test),
                                                            ("synthetic", synthetic))}
    xs = {k: features.transform(f) for k, f in labelled.items()}
    ys = {k: as_labels(f[target]) for k, f in labelled.items()}
    synthetic_auc = forest_auc(xs["synthetic"], ys["synthetic"], xs["test"], ys["test"], seed, n_estimators, n_jobs)
    real_auc = forest_auc(xs["train"], ys["train"], xs["test"], ys["test"], seed, n_estimators, n_jobs)
    if real_auc <= 0.0:
        raise LabelError(f"the classifier trained on real_train scores ROC AUC {real_auc} on real_test, so the "
                         f"efficacy ratio (synthetic AUC / real AUC) is undefined; {target!r} does not carry over "
                         "from real_train to real_test at these sizes: use larger (stratified) parts")
    efficacy = {"efficacy_synthetic_auc": synthetic_auc, "efficacy_real_auc": real_auc,
                "efficacy_ratio": synthetic_auc / real_auc}
    shapes = column_shapes(real_train, synthetic, cont)
    pairs = column_pair_trends(real_train, synthetic, cont)
    privacy = {**exact_copy_rates(real_train, real_test, synthetic, cont),
               **dcr_scores(x_tr, x_te, x_sy, dcr_rows, seed)}

    importances = pd.DataFrame({"feature": encoder.feature_names_, "column": encoder.index_map_,
                                "importance": raw_importances}).sort_values("importance", ascending=False)
    by_column = (importances.groupby("column", as_index=False)["importance"].sum()
                 .sort_values("importance", ascending=False).reset_index(drop=True))
    metrics = {**detection, **efficacy, "column_shapes": float(shapes["score"].mean()),
               "column_pair_trends": float(pairs["score"].mean()) if len(pairs) else 1.0, **privacy,
               "n_real_train": len(real_train), "n_real_test": len(real_test), "n_synthetic": len(synthetic)}
    result = EvaluationResult(metrics, shapes, pairs, importances.reset_index(drop=True), by_column)
    if out_dir is not None:
        write_report(result, Path(out_dir), real_train, synthetic, cont, columns, plots, title)
    return result


__all__ = ["EvaluationResult", "FeatureEncoder", "PROTOCOL", "column_pair_trends", "column_shapes", "dcr_scores",
           "detection_scores", "evaluate", "exact_copy_rates", "forest_auc", "plot_association_difference",
           "plot_distributions", "plot_importances"]
