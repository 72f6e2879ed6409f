"""The evaluation report: :class:`EvaluationResult`, its markdown and its figures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from tabular.evaluation.features import as_labels, as_numbers


@dataclasses.dataclass
class EvaluationResult:
    """What :func:`evaluate` measured.

    Attributes:
        metrics: Flat ``{name: float}``: ``detection_auc``, ``detection_auc_std`` (over folds),
            ``lr_detection_auc``, ``lr_detection_score``, ``efficacy_synthetic_auc``,
            ``efficacy_real_auc``, ``efficacy_ratio``, ``column_shapes``, ``column_pair_trends``,
            ``exact_copy_rate``, ``exact_copy_rate_holdout``, ``dcr_synthetic_median``,
            ``dcr_holdout_median``, ``dcr_synthetic_5pct``, ``dcr_holdout_5pct``, ``dcr_share``,
            and the row counts.
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
                 "exact_copy_rate": "≈ exact_copy_rate_holdout", "dcr_share": "0.5"}
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
            r, s = as_numbers(real[col], col), as_numbers(synthetic[col], col)
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            edges = np.histogram_bin_edges(np.r_[r, s], bins=30)
            ax.hist(r, bins=edges, alpha=0.55, density=True, label="real")
            ax.hist(s, bins=edges, alpha=0.55, density=True, label="synthetic")
        else:
            p = pd.Series(as_labels(real[col])).value_counts(normalize=True)
            q = pd.Series(as_labels(synthetic[col])).value_counts(normalize=True)
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


def write_report(result: EvaluationResult, out: Path, real, synthetic, continuous, columns, plots, title):
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
