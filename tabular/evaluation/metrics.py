"""Fidelity and utility metrics of synthetic tables: detection, efficacy, column shapes, pair trends.

- **Detection**: RandomForest(100 trees), 4-fold stratified cross-validated ROC AUC separating
  real training rows (0) from synthetic rows (1); and a logistic regression the same way (the
  SDMetrics ``LogisticDetection`` score is ``1 - (2 max(AUC, 0.5) - 1)``). 0.5 = indistinguishable.
- **Efficacy**: a RandomForest(100) trained on synthetic rows and one trained on the real training
  rows, both scored on the real test rows by ROC AUC (one-vs-rest macro average for a
  multi-class target), and their ratio.
- **Column shapes**: KS complement for numeric columns (a missing value counts as a point below
  every number, so the missing share is scored too), total-variation complement for discrete ones.
- **Column-pair trends**: correlation similarity ``1 - |r_real - r_syn| / 2`` (Pearson on rows
  where both are observed) for two numeric columns, contingency similarity
  ``1 - TV(joint_real, joint_syn)`` otherwise (numbers cut into 10 quantile bins of the real data,
  missing values their own bin).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tabular.evaluation.features import as_labels, as_numbers

#: The protocol's settings: change them only to run another protocol.
PROTOCOL = {"n_estimators": 100, "cv_folds": 4}


def detection_scores(real: np.ndarray, synthetic: np.ndarray, seed: int = 0,
                     n_estimators: int = PROTOCOL["n_estimators"], folds: int = PROTOCOL["cv_folds"],
                     n_jobs: int | None = -1) -> dict:
    """Cross-validated ROC AUC of a RandomForest and a logistic regression telling real from synthetic.

    Args:
        real: Encoded real rows (label 0).
        synthetic: Encoded synthetic rows (label 1).
        seed: Seed of the folds and the forest.
        n_estimators: Trees (the protocol: 100).
        folds: Stratified folds (the protocol: 4; fewer when a side has fewer rows).
        n_jobs: Forest parallelism.

    Returns:
        ``{"detection_auc", "detection_auc_std", "lr_detection_auc", "lr_detection_score",
        "importances"}`` (importances averaged over the fold models).
    """
    x = np.vstack([real, synthetic]).astype(np.float32)
    y = np.r_[np.zeros(len(real), np.int64), np.ones(len(synthetic), np.int64)]
    folds = max(2, min(folds, len(real), len(synthetic)))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    rf_aucs, lr_aucs, importances = [], [], np.zeros(x.shape[1])
    for train_idx, test_idx in splitter.split(x, y):
        forest = RandomForestClassifier(n_estimators, random_state=seed, n_jobs=n_jobs)
        forest.fit(x[train_idx], y[train_idx])
        rf_aucs.append(roc_auc_score(y[test_idx], forest.predict_proba(x[test_idx])[:, 1]))
        importances += forest.feature_importances_ / folds
        logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        logistic.fit(x[train_idx], y[train_idx])
        lr_aucs.append(roc_auc_score(y[test_idx], logistic.predict_proba(x[test_idx])[:, 1]))
    lr_auc = float(np.mean(lr_aucs))
    return {"detection_auc": float(np.mean(rf_aucs)), "detection_auc_std": float(np.std(rf_aucs)),
            "lr_detection_auc": lr_auc, "lr_detection_score": 1.0 - (2.0 * max(lr_auc, 0.5) - 1.0),
            "importances": importances}


def forest_auc(x_train, y_train, x_test, y_test, seed: int = 0, n_estimators: int = PROTOCOL["n_estimators"],
               n_jobs: int | None = -1) -> float:
    """ROC AUC on ``(x_test, y_test)`` of a RandomForest fitted on ``(x_train, y_train)``.

    Labels are strings. Binary: the AUC of the second class (sorted); multi-class: the one-vs-rest
    macro AUC over the test classes. A class the training rows lack gets probability 0; a training
    set of one class gives a constant classifier (AUC 0.5).
    """
    classes = sorted(set(y_test))
    if len(set(y_train)) < 2:
        return 0.5
    forest = RandomForestClassifier(n_estimators, random_state=seed, n_jobs=n_jobs).fit(x_train, y_train)
    proba = np.zeros((len(x_test), len(classes)))
    learned = forest.predict_proba(x_test)
    for j, c in enumerate(forest.classes_):
        if c in classes:
            proba[:, classes.index(c)] = learned[:, j]
    if len(classes) == 2:
        return float(roc_auc_score(np.asarray(y_test) == classes[1], proba[:, 1]))
    proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
    return float(roc_auc_score(y_test, proba, multi_class="ovr", labels=classes))


def _numbers_with_missing(series: pd.Series, col: str, floor: float) -> np.ndarray:
    values = as_numbers(series, col)
    return np.where(np.isnan(values), floor, values)


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str]) -> pd.DataFrame:
    """KS complement (numeric) or total-variation complement (discrete) per column."""
    rows = []
    for col in real.columns:
        if col in continuous:
            r, s = as_numbers(real[col], col), as_numbers(synthetic[col], col)
            floor = float(np.nanmin(np.r_[r, s, 0.0])) - 1.0  # missing: a point below every number
            stat = ks_2samp(np.where(np.isnan(r), floor, r), np.where(np.isnan(s), floor, s)).statistic
            rows.append((col, "continuous", "KSComplement", 1.0 - float(stat)))
        else:
            p = pd.Series(as_labels(real[col])).value_counts(normalize=True)
            q = pd.Series(as_labels(synthetic[col])).value_counts(normalize=True)
            tv = 0.5 * float(p.subtract(q, fill_value=0.0).abs().sum())
            rows.append((col, "categorical", "TVComplement", 1.0 - tv))
    return pd.DataFrame(rows, columns=["column", "kind", "metric", "score"])


def _codes(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str], bins: int = 10):
    """Integer codes per column, shared by both frames (numbers: quantile bins of the real data,
    missing values the last bin)."""
    out_r, out_s, sizes = {}, {}, {}
    for col in real.columns:
        if col in continuous:
            r, s = as_numbers(real[col], col), as_numbers(synthetic[col], col)
            observed = r[~np.isnan(r)]
            edges = np.unique(np.quantile(observed, np.linspace(0, 1, bins + 1))[1:-1]) if len(observed) else []
            sizes[col] = len(edges) + 2
            out_r[col], out_s[col] = (np.where(np.isnan(v), len(edges) + 1, np.searchsorted(edges, v, side="right"))
                                      for v in (r, s))
        else:
            cats = pd.Index(sorted(set(as_labels(real[col])) | set(as_labels(synthetic[col]))))
            out_r[col] = cats.get_indexer(as_labels(real[col]))
            out_s[col] = cats.get_indexer(as_labels(synthetic[col]))
            sizes[col] = len(cats)
    return out_r, out_s, sizes


def _joint(a, b, ka, kb) -> np.ndarray:
    counts = np.bincount(a * kb + b, minlength=ka * kb).astype(np.float64)
    return counts / counts.sum()


def _cramers_v(joint: np.ndarray, ka: int, kb: int, n: int) -> float:
    table = joint.reshape(ka, kb)
    expected = np.outer(table.sum(1), table.sum(0))
    mask = expected > 0
    chi2 = n * float(((table - expected)[mask] ** 2 / expected[mask]).sum())
    k = min((table.sum(1) > 0).sum(), (table.sum(0) > 0).sum())
    return float(np.sqrt(chi2 / (n * (k - 1)))) if k > 1 else 0.0


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r on rows where both are observed; 0 when a column is constant (e.g. collapsed)."""
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def column_pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str],
                       bins: int = 10) -> pd.DataFrame:
    """Correlation similarity (two numeric columns) or contingency similarity (otherwise) per pair.

    ``real`` / ``synthetic`` hold the Pearson correlations, or Cramér's V of the binned pairs,
    used by the heatmap.
    """
    codes_r, codes_s, sizes = _codes(real, synthetic, continuous, bins)
    numbers = {c: (as_numbers(real[c], c), as_numbers(synthetic[c], c)) for c in continuous if c in real.columns}
    cols, rows = list(real.columns), []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if a in numbers and b in numbers:
                r, s = _pearson(numbers[a][0], numbers[b][0]), _pearson(numbers[a][1], numbers[b][1])
                rows.append((a, b, "CorrelationSimilarity", 1.0 - abs(r - s) / 2.0, r, s))
            else:
                ka, kb = sizes[a], sizes[b]
                jr, js = _joint(codes_r[a], codes_r[b], ka, kb), _joint(codes_s[a], codes_s[b], ka, kb)
                rows.append((a, b, "ContingencySimilarity", 1.0 - 0.5 * float(np.abs(jr - js).sum()),
                             _cramers_v(jr, ka, kb, len(real)), _cramers_v(js, ka, kb, len(synthetic))))
    return pd.DataFrame(rows, columns=["column_a", "column_b", "metric", "score", "real", "synthetic"])
