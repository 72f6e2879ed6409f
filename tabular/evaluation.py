"""Evaluation of synthetic tables: the fixed "Tabular" protocol of DESIGN.md plus SDMetrics-style scores.

:func:`evaluate` takes the real training part, the real test part and a synthetic frame (same
schema) and returns an :class:`EvaluationResult`; with ``out_dir`` it also writes ``report.md``
and PNG figures (per-feature distributions, association-difference heatmap, detector importances).

Protocol (the original study's, kept fixed so numbers compare):

- **Detection**: RandomForest(100 trees), 4-fold stratified cross-validated ROC AUC separating
  real-train rows (0) from synthetic rows (1), on one-hot features (continuous columns min-max
  scaled, the target as a binary column). 0.5 = indistinguishable, 1.0 = fully separable.
- **Efficacy**: a RandomForest(100) trained on synthetic rows and one trained on the real
  training part, both scored by ROC AUC on the real test part; reported with their ratio.

Added: logistic-regression detection (SDMetrics ``LogisticDetection`` score
``1 - (2 * max(AUC, 0.5) - 1)``), column shapes (KS complement for continuous columns, total
variation complement for categorical ones), column-pair trends (correlation similarity for two
continuous columns, contingency similarity otherwise, continuous columns cut into 10 quantile
bins of the real data), the exact-copy rate (synthetic rows equal to a real training row) and the
distance to the closest real training record (DCR) of synthetic rows, beside the same distance
for real test rows (the holdout baseline).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.transformer import TabularTransformer, _check_frame

#: The protocol's settings (DESIGN.md, "Tabular"): change them only to run another protocol.
PROTOCOL = {"n_estimators": 100, "cv_folds": 4}

#: Figures of the original study, the floor our models must reach (``None``: not reported).
STUDY_FIGURES = {
    "gan": {"detection_auc": 1.00, "efficacy_ratio": 0.56},
    "cgan": {"detection_auc": 1.00, "efficacy_ratio": 0.63},
}


@dataclasses.dataclass
class EvaluationResult:
    """What :func:`evaluate` measured.

    Attributes:
        metrics: Flat ``{name: float}``: ``detection_auc``, ``detection_auc_std`` (over folds),
            ``lr_detection_auc``, ``lr_detection_score``, ``efficacy_synthetic_auc``,
            ``efficacy_real_auc``, ``efficacy_ratio``, ``column_shapes``, ``column_pair_trends``,
            ``exact_copy_rate``, ``dcr_synthetic_median``, ``dcr_holdout_median``,
            ``dcr_synthetic_5pct``, ``dcr_holdout_5pct``, and the row counts.
        column_shapes: One row per column: ``column``, ``kind``, ``metric``, ``score``.
        pair_trends: One row per column pair: ``column_a``, ``column_b``, ``metric``, ``score``,
            ``real``, ``synthetic`` (correlation, or Cramér's V for contingency pairs).
        importances: Detector importances per one-hot feature (``feature``, ``column``,
            ``importance``), largest first.
        column_importances: The same summed per source column.
        files: Paths written (``report.md``, PNGs), empty without ``out_dir``.
    """

    metrics: dict
    column_shapes: pd.DataFrame
    pair_trends: pd.DataFrame
    importances: pd.DataFrame
    column_importances: pd.DataFrame
    files: list = dataclasses.field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The metrics as a tidy ``(metric, value)`` frame."""
        return pd.DataFrame({"metric": list(self.metrics), "value": list(self.metrics.values())})

    def top_features(self, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` source columns the detector relied on most."""
        top = self.column_importances.head(k)
        return list(zip(top["column"], top["importance"].round(4)))

    def to_markdown(self, title: str = "Synthetic data evaluation") -> str:
        m = self.metrics
        lines = [f"# {title}", "",
                 f"Rows: real train {m['n_real_train']}, real test {m['n_real_test']}, "
                 f"synthetic {m['n_synthetic']}.", "",
                 "| metric | value | ideal |", "|---|---|---|"]
        ideal = {"detection_auc": "0.5", "lr_detection_auc": "0.5", "lr_detection_score": "1",
                 "efficacy_ratio": "1", "column_shapes": "1", "column_pair_trends": "1",
                 "exact_copy_rate": "≈ real-vs-real rate"}
        for key, value in m.items():
            if key.startswith("n_"):
                continue
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            lines.append(f"| {key} | {shown} | {ideal.get(key, '')} |")
        lines += ["", "## Detector's top columns (RandomForest importances summed per source column)", "",
                  "| column | importance |", "|---|---|"]
        lines += [f"| {c} | {v:.4f} |" for c, v in self.top_features(10)]
        lines += ["", "## Detector's top one-hot features", "", "| feature | column | importance |",
                  "|---|---|---|"]
        lines += [f"| {r.feature} | {r.column} | {r.importance:.4f} |"
                  for r in self.importances.head(10).itertuples()]
        lines += ["", "## Column shapes", "", "| column | kind | metric | score |", "|---|---|---|---|"]
        lines += [f"| {r.column} | {r.kind} | {r.metric} | {r.score:.4f} |"
                  for r in self.column_shapes.itertuples()]
        worst = self.pair_trends.nsmallest(10, "score")
        lines += ["", "## Column-pair trends: the 10 worst pairs", "",
                  "| column a | column b | metric | score | real | synthetic |", "|---|---|---|---|---|---|"]
        lines += [f"| {r.column_a} | {r.column_b} | {r.metric} | {r.score:.4f} | {r.real:.4f} | "
                  f"{r.synthetic:.4f} |" for r in worst.itertuples()]
        figures = [Path(f).name for f in self.files if str(f).endswith(".png")]
        if figures:
            lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- checks
def _check_inputs(real_train, real_test, synthetic, target) -> list[str]:
    frames = {"real_train": real_train, "real_test": real_test, "synthetic": synthetic}
    for name, frame in frames.items():
        _check_frame(frame, name)
    columns = list(real_train.columns)
    if target not in columns:
        raise InputShapeError(f"target column {target!r} is missing from real_train (columns {columns}); "
                              "pass target= the name of the label column")
    for name in ("real_test", "synthetic"):
        missing = [c for c in columns if c not in frames[name].columns]
        if missing:
            raise InputShapeError(
                f"{name} lacks column(s) {missing} of real_train; every frame needs the same schema: "
                "decode synthetic rows with the transformer's inverse_transform")
    for name in ("real_train", "real_test"):
        if frames[name][target].nunique() < 2:
            raise LabelError(f"{name}[{target!r}] holds a single class; efficacy needs both classes: "
                             "use a stratified split")
    return columns


# ---------------------------------------------------------------------------------------- metrics
def detection_scores(real: np.ndarray, synthetic: np.ndarray, seed: int = 0,
                     n_estimators: int = PROTOCOL["n_estimators"], folds: int = PROTOCOL["cv_folds"],
                     n_jobs: int | None = -1) -> dict:
    """Cross-validated ROC AUC of a RandomForest and a logistic regression telling real from synthetic.

    Args:
        real: Encoded real rows (label 0).
        synthetic: Encoded synthetic rows (label 1).
        seed: Seed of the folds and the forest.
        n_estimators: Trees (the protocol: 100).
        folds: Stratified folds (the protocol: 4).
        n_jobs: Forest parallelism.

    Returns:
        ``{"detection_auc", "detection_auc_std", "lr_detection_auc", "lr_detection_score",
        "importances"}`` (importances averaged over the fold models).
    """
    x = np.vstack([real, synthetic]).astype(np.float32)
    y = np.r_[np.zeros(len(real), np.int64), np.ones(len(synthetic), np.int64)]
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


def forest_auc(x_train, y_train, x_test, y_test, seed: int = 0,
               n_estimators: int = PROTOCOL["n_estimators"], n_jobs: int | None = -1) -> float:
    """ROC AUC on ``(x_test, y_test)`` of a RandomForest fitted on ``(x_train, y_train)``.

    A training set holding one class gives a constant classifier: AUC 0.5.
    """
    if len(np.unique(y_train)) < 2:
        return 0.5
    forest = RandomForestClassifier(n_estimators, random_state=seed, n_jobs=n_jobs).fit(x_train, y_train)
    return float(roc_auc_score(y_test, forest.predict_proba(x_test)[:, 1]))


def efficacy_scores(x_synthetic, y_synthetic, x_real, y_real, x_test, y_test, seed: int = 0,
                    n_estimators: int = PROTOCOL["n_estimators"], n_jobs: int | None = -1) -> dict:
    """ROC AUC on the real test part of forests trained on synthetic and on real rows, and the ratio
    (all arrays encoded alike)."""
    synthetic_auc = forest_auc(x_synthetic, y_synthetic, x_test, y_test, seed, n_estimators, n_jobs)
    real_auc = forest_auc(x_real, y_real, x_test, y_test, seed, n_estimators, n_jobs)
    return {"efficacy_synthetic_auc": synthetic_auc, "efficacy_real_auc": real_auc,
            "efficacy_ratio": synthetic_auc / real_auc}


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str]) -> pd.DataFrame:
    """KS complement (continuous) or total-variation complement (categorical) per column."""
    rows = []
    for col in real.columns:
        if col in continuous:
            stat = ks_2samp(real[col].to_numpy(float), synthetic[col].to_numpy(float)).statistic
            rows.append((col, "continuous", "KSComplement", 1.0 - float(stat)))
        else:
            p = real[col].astype(str).value_counts(normalize=True)
            q = synthetic[col].astype(str).value_counts(normalize=True)
            tv = 0.5 * float(p.subtract(q, fill_value=0.0).abs().sum())
            rows.append((col, "categorical", "TVComplement", 1.0 - tv))
    return pd.DataFrame(rows, columns=["column", "kind", "metric", "score"])


def _codes(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str], bins: int = 10):
    """Integer codes per column, shared by both frames (continuous: quantile bins of the real data)."""
    out_r, out_s, sizes = {}, {}, {}
    for col in real.columns:
        if col in continuous:
            edges = np.unique(np.quantile(real[col].to_numpy(float), np.linspace(0, 1, bins + 1))[1:-1])
            out_r[col] = np.searchsorted(edges, real[col].to_numpy(float), side="right")
            out_s[col] = np.searchsorted(edges, synthetic[col].to_numpy(float), side="right")
            sizes[col] = len(edges) + 1
        else:
            cats = pd.Index(sorted(set(real[col].astype(str)) | set(synthetic[col].astype(str))))
            out_r[col] = cats.get_indexer(real[col].astype(str))
            out_s[col] = cats.get_indexer(synthetic[col].astype(str))
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


def _pearson(a: pd.Series, b: pd.Series) -> float:
    """Pearson r; 0 when a column is constant (e.g. a collapsed synthetic column)."""
    a, b = a.to_numpy(float), b.to_numpy(float)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def column_pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str],
                       bins: int = 10) -> pd.DataFrame:
    """Correlation similarity (two continuous columns) or contingency similarity (otherwise) per pair.

    ``CorrelationSimilarity = 1 - |r_real - r_syn| / 2`` (Pearson);
    ``ContingencySimilarity = 1 - TV(joint_real, joint_syn)``. ``real`` / ``synthetic`` hold the
    Pearson correlations, or Cramér's V of the binned pairs, used by the heatmap.
    """
    codes_r, codes_s, sizes = _codes(real, synthetic, continuous, bins)
    cols, rows = list(real.columns), []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if a in continuous and b in continuous:
                r, s = _pearson(real[a], real[b]), _pearson(synthetic[a], synthetic[b])
                rows.append((a, b, "CorrelationSimilarity", 1.0 - abs(r - s) / 2.0, r, s))
            else:
                ka, kb = sizes[a], sizes[b]
                jr = _joint(codes_r[a], codes_r[b], ka, kb)
                js = _joint(codes_s[a], codes_s[b], ka, kb)
                rows.append((a, b, "ContingencySimilarity", 1.0 - 0.5 * float(np.abs(jr - js).sum()),
                             _cramers_v(jr, ka, kb, len(real)), _cramers_v(js, ka, kb, len(synthetic))))
    return pd.DataFrame(rows, columns=["column_a", "column_b", "metric", "score", "real", "synthetic"])


def _row_keys(frame: pd.DataFrame, columns, continuous) -> pd.Series:
    norm = pd.DataFrame({c: frame[c].to_numpy(float) if c in continuous else frame[c].astype(str).to_numpy()
                         for c in columns})
    return pd.util.hash_pandas_object(norm, index=False)


def privacy_scores(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame,
                   x_train: np.ndarray, x_test: np.ndarray, x_synthetic: np.ndarray,
                   continuous: Sequence[str], max_rows: int = 2000, seed: int = 0) -> dict:
    """Exact-copy rate and distance to the closest real training record (Euclidean, encoded rows).

    The DCR of synthetic rows is reported beside that of real test rows: a synthesizer that
    copies training rows has a DCR well below the holdout's.
    """
    columns = list(real_train.columns)
    train_keys = set(_row_keys(real_train, columns, continuous))
    copies = float(np.mean([k in train_keys for k in _row_keys(synthetic, columns, continuous)]))
    holdout_copies = float(np.mean([k in train_keys for k in _row_keys(real_test, columns, continuous)]))
    rng = np.random.default_rng(seed)
    index = NearestNeighbors(n_neighbors=1).fit(x_train)

    def dcr(x):
        take = rng.choice(len(x), size=min(max_rows, len(x)), replace=False)
        return index.kneighbors(x[take])[0][:, 0]

    d_syn, d_hold = dcr(x_synthetic), dcr(x_test)
    return {"exact_copy_rate": copies, "exact_copy_rate_holdout": holdout_copies,
            "dcr_synthetic_median": float(np.median(d_syn)), "dcr_holdout_median": float(np.median(d_hold)),
            "dcr_synthetic_5pct": float(np.quantile(d_syn, 0.05)),
            "dcr_holdout_5pct": float(np.quantile(d_hold, 0.05))}


# ---------------------------------------------------------------------------------------- plots
def plot_distributions(real: pd.DataFrame, synthetic: pd.DataFrame, continuous: Sequence[str],
                       max_categories: int = 12):
    """Grid of per-feature plots: overlaid histograms (continuous), side-by-side bars (categorical)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = list(real.columns)
    ncols = 4
    nrows = int(np.ceil(len(cols) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, col in zip(axes.ravel(), cols):
        if col in continuous:
            both = np.r_[real[col].to_numpy(float), synthetic[col].to_numpy(float)]
            edges = np.histogram_bin_edges(both, bins=30)
            ax.hist(real[col].to_numpy(float), bins=edges, alpha=0.55, density=True, label="real")
            ax.hist(synthetic[col].to_numpy(float), bins=edges, alpha=0.55, density=True, label="synthetic")
        else:
            p = real[col].astype(str).value_counts(normalize=True)
            q = synthetic[col].astype(str).value_counts(normalize=True)
            cats = p.index[:max_categories]
            pos = np.arange(len(cats))
            ax.bar(pos - 0.2, p.reindex(cats).fillna(0), 0.4, label="real")
            ax.bar(pos + 0.2, q.reindex(cats).fillna(0), 0.4, label="synthetic")
            ax.set_xticks(pos, [str(c)[:14] for c in cats], rotation=70, fontsize=7)
        ax.set_title(col, fontsize=10)
    for ax in axes.ravel()[len(cols):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _association_matrices(pairs: pd.DataFrame, columns: Sequence[str]):
    k = len(columns)
    pos = {c: i for i, c in enumerate(columns)}
    real, syn = np.eye(k), np.eye(k)
    for r in pairs.itertuples():
        i, j = pos[r.column_a], pos[r.column_b]
        real[i, j] = real[j, i] = r.real
        syn[i, j] = syn[j, i] = r.synthetic
    return real, syn


def plot_association_difference(pairs: pd.DataFrame, columns: Sequence[str]):
    """Heatmap of ``|association_real - association_synthetic|`` (Pearson r or Cramér's V)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real, syn = _association_matrices(pairs, columns)
    diff = np.abs(real - syn)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    im = ax.imshow(diff, cmap="Reds", vmin=0, vmax=max(0.2, float(diff.max())))
    ax.set_xticks(range(len(columns)), columns, rotation=70, fontsize=8)
    ax.set_yticks(range(len(columns)), columns, fontsize=8)
    for i in range(len(columns)):
        for j in range(len(columns)):
            ax.text(j, i, f"{diff[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, label="|real - synthetic| (Pearson r or Cramér's V)")
    ax.set_title("Association difference")
    fig.tight_layout()
    return fig


def plot_importances(column_importances: pd.DataFrame, k: int = 15):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = column_importances.head(k)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(top) + 1))
    ax.barh(top["column"], top["importance"])
    ax.set_xlabel("detector importance (summed per column)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------- evaluate
def evaluate(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame,
             target: str = "income", categorical: Sequence[str] | None = None,
             continuous: Sequence[str] | None = None, out_dir: str | os.PathLike | None = None,
             seed: int = 0, n_estimators: int = PROTOCOL["n_estimators"],
             folds: int = PROTOCOL["cv_folds"], dcr_rows: int = 2000, plots: bool = True,
             title: str = "Synthetic data evaluation", n_jobs: int | None = -1) -> EvaluationResult:
    """Score ``synthetic`` against the real data with the protocol of DESIGN.md ("Tabular").

    The three frames must share ``real_train``'s columns. Features are one-hot encoded by a
    :class:`~tabular.transformer.TabularTransformer` fitted on all three frames (the union of
    categories, so rare categories of one part still encode); continuous columns are min-max
    scaled to [-1, 1].

    Args:
        real_train: Real training part (the detector's class 0, the real efficacy baseline).
        real_test: Real test part, used only for scoring efficacy and as the DCR holdout.
        synthetic: Synthetic rows (as many as ``real_train`` in the protocol).
        target: Binary label column.
        categorical, continuous: Column lists; ``None`` infers from dtypes.
        out_dir: Write ``report.md``, ``metrics.json`` and PNGs here (created only after every
            metric is computed: nothing is written when the inputs are invalid).
        seed: Seed of folds, forests and the DCR subsample.
        n_estimators: Trees of every forest (the protocol: 100).
        folds: Detection folds (the protocol: 4).
        dcr_rows: Rows sampled for the distance to closest record.
        plots: Write the figures (with ``out_dir``).
        title: Report title.
        n_jobs: Forest parallelism.

    Returns:
        :class:`EvaluationResult`.

    Raises:
        InputShapeError: A frame is empty or lacks a column of ``real_train``.
        LabelError: A real part holds a single class.
        InvalidValueError: NaN / non-numeric continuous values, missing categories.

    Example:
        >>> result = evaluate(split.train, split.test, model.generate(len(split.train)),
        ...                   out_dir="runs/output/x/eval")
        >>> result.metrics["detection_auc"], result.metrics["efficacy_ratio"]
    """
    if n_estimators < 1 or folds < 2:
        raise ConfigError(f"n_estimators must be >= 1 and folds >= 2, received {n_estimators}, {folds}")
    columns = _check_inputs(real_train, real_test, synthetic, target)
    real_train, real_test, synthetic = (f[columns].reset_index(drop=True)
                                        for f in (real_train, real_test, synthetic))
    encoder = TabularTransformer(categorical, continuous, target).fit(
        pd.concat([real_train, real_test, synthetic], ignore_index=True))
    cont = encoder.continuous_
    x_tr, x_te, x_sy = (encoder.transform(f, include_target=True) for f in (real_train, real_test, synthetic))
    y_tr, y_te, y_sy = (encoder.transform_target(f) for f in (real_train, real_test, synthetic))
    width = encoder.feature_width_

    detection = detection_scores(x_tr, x_sy, seed, n_estimators, folds, n_jobs)
    raw_importances = detection.pop("importances")
    # The real baseline is encoded from the real parts only, so it never depends on the synthetic
    # rows (a category only they hold would widen the encoding and change the forest's draws).
    real_encoder = TabularTransformer(categorical, continuous, target).fit(
        pd.concat([real_train, real_test], ignore_index=True))
    synthetic_auc = forest_auc(x_sy[:, :width], y_sy, x_te[:, :width], y_te, seed, n_estimators, n_jobs)
    real_auc = forest_auc(real_encoder.transform(real_train, include_target=False), y_tr,
                          real_encoder.transform(real_test, include_target=False), y_te,
                          seed, n_estimators, n_jobs)
    efficacy = {"efficacy_synthetic_auc": synthetic_auc, "efficacy_real_auc": real_auc,
                "efficacy_ratio": synthetic_auc / real_auc}
    shapes = column_shapes(real_train, synthetic, cont)
    pairs = column_pair_trends(real_train, synthetic, cont)
    privacy = privacy_scores(real_train, real_test, synthetic, x_tr, x_te, x_sy, cont, dcr_rows, seed)

    importances = pd.DataFrame({"feature": encoder.feature_names_, "column": encoder.index_map_,
                                "importance": raw_importances}).sort_values("importance", ascending=False)
    by_column = (importances.groupby("column", as_index=False)["importance"].sum()
                 .sort_values("importance", ascending=False).reset_index(drop=True))
    metrics = {**detection, **efficacy, "column_shapes": float(shapes["score"].mean()),
               "column_pair_trends": float(pairs["score"].mean()), **privacy,
               "n_real_train": len(real_train), "n_real_test": len(real_test), "n_synthetic": len(synthetic)}
    result = EvaluationResult(metrics, shapes, pairs, importances.reset_index(drop=True), by_column)
    if out_dir is not None:
        _write_report(result, Path(out_dir), real_train, synthetic, cont, columns, plots, title)
    return result


def _write_report(result: EvaluationResult, out: Path, real, synthetic, continuous, columns, plots, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    if plots:
        figures = {"distributions.png": plot_distributions(real, synthetic, continuous),
                   "association_difference.png": plot_association_difference(result.pair_trends, columns),
                   "detector_importances.png": plot_importances(result.column_importances)}
        for name, fig in figures.items():
            fig.savefig(out / name, dpi=90)
            plt.close(fig)
            result.files.append(out / name)
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n")
    result.files.append(out / "metrics.json")
    (out / "report.md").write_text(result.to_markdown(title))
    result.files.insert(0, out / "report.md")
