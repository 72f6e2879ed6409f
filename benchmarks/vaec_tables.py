"""VAECClassifier against standard classifiers on small tables, by repeated stratified cross-validation.

Tables: every classification table scikit-learn ships without a download (breast cancer, wine,
iris, digits) and one built imbalanced table (``make_classification``, 3 classes in proportions
85 / 10 / 5 %). Models: the three VAEC classifier strategies (:class:`vaec.VAECClassifier`),
logistic regression and ``MLPClassifier`` (each after a ``StandardScaler``) and
``HistGradientBoostingClassifier``. Each model runs with its defaults (``default``) and with a
small grid of four points searched inside the training folds only (``grid``): by 3-fold
cross-validation for the scikit-learn models (13 fits per fold), on the estimator's own validation
rows for the VAEC (:class:`ValidationGridSearch`, 4 fits per fold).

Protocol: ``RepeatedStratifiedKFold`` with 5 folds x ``--repeats`` repeats (default 5, seeded);
the grid variant runs on the first ``--grid-repeats`` repeats (default 1, to keep the whole
benchmark to a few CPU hours). Every model runs single-threaded. Accuracy, macro F1, log loss and
fit seconds (wall and process CPU) are written after
every fold to ``records.jsonl`` in the output directory, so an interrupted run resumes where it
stopped; ``results.md`` / ``results.json`` aggregate them (mean ± std over folds). The VAEC
(``var_mlp_classifier``, defaults) latent space of the first fold of each table goes to
``plots/latent_<table>.png``.

``--select`` runs the study that chose VAECClassifier's defaults instead: candidate settings on
tables that are *not* in the benchmark (a 2,000-row sample of Adult, one-hot; a 2,000-image
sample of MNIST, flattened, which needs ``--data-dir``; two generated tables), 5-fold stratified
cross-validation with other seeds.

Examples::

    nice -n 5 python -m benchmarks.vaec_tables --out runs/output/vaec_tables
    python -m benchmarks.vaec_tables --only wine,iris --models vaec_var_mlp_classifier,logreg --repeats 1
    python -m benchmarks.vaec_tables --out runs/output/vaec_tables --report   # table from records only
    python -m benchmarks.vaec_tables --report --out DIR --merge DIR_A DIR_B    # parts run in parallel
    nice -n 5 python -m benchmarks.vaec_tables --select --data-dir DIR --out runs/output/vaec_select
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One thread per model: fair fit seconds, and OpenMP's spinning threads (gradient boosting) were
# measured 40x slower in wall time than one thread on this crowded 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine, make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, log_loss  # noqa: E402
from sklearn.model_selection import (GridSearchCV, ParameterGrid, RepeatedStratifiedKFold,  # noqa: E402
                                     StratifiedKFold)
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import tensorflow as tf  # noqa: E402

from genlab.errors import GenlabError  # noqa: E402
from genlab.runner import RunDir, aggregate, markdown_table  # noqa: E402
from vaec.estimator import VAECClassifier  # noqa: E402

METRICS = ("accuracy", "macro_f1", "log_loss", "fit_seconds", "fit_cpu_seconds")
#: Seeds of the benchmark's folds; the selection study uses SELECTION_SEED instead.
BENCHMARK_SEED = 0
SELECTION_SEED = 1000


# ----------------------------------------------------------------------------------------- tables
def imbalanced_table():
    """1,000 rows, 20 features (5 informative, 5 redundant), 3 classes at 85 / 10 / 5 %."""
    return make_classification(n_samples=1000, n_features=20, n_informative=5, n_redundant=5,
                               n_classes=3, n_clusters_per_class=1, weights=[0.85, 0.10, 0.05],
                               flip_y=0.01, random_state=0)


TABLES = {
    "breast_cancer": lambda data_dir: load_breast_cancer(return_X_y=True),
    "wine": lambda data_dir: load_wine(return_X_y=True),
    "iris": lambda data_dir: load_iris(return_X_y=True),
    "digits": lambda data_dir: load_digits(return_X_y=True),
    "imbalanced": lambda data_dir: imbalanced_table(),
}


def _sample(x, y, n: int, seed: int):
    """A stratified sample of ``n`` rows."""
    from sklearn.model_selection import train_test_split

    xs, _, ys, _ = train_test_split(x, y, train_size=n, stratify=y, random_state=seed)
    return xs, ys


def adult_sample(data_dir=None):
    """2,000 rows of the embedded Adult table; categories one-hot, income as the label."""
    import pandas as pd
    from tabular import load_adult

    frame = load_adult()
    y = (frame.pop("income") == ">50K").to_numpy().astype(int)
    x = pd.get_dummies(frame, dtype=float).to_numpy()
    return _sample(x, y, 2000, seed=7)


def mnist_sample(data_dir):
    """2,000 MNIST training images as 784 pixel features in [0, 1]."""
    from genlab.data import mnist

    split = mnist(data_dir)
    return _sample(split.x_train.reshape(len(split.x_train), -1), split.y_train, 2000, seed=7)


SELECTION_TABLES = {
    "adult_2000": adult_sample,
    "mnist_2000": mnist_sample,
    "generated_4class": lambda data_dir: make_classification(
        n_samples=600, n_features=30, n_informative=8, n_redundant=6, n_classes=4,
        class_sep=1.0, random_state=101),
    "generated_noisy": lambda data_dir: make_classification(
        n_samples=300, n_features=20, n_informative=4, n_redundant=2, flip_y=0.1,
        random_state=202),
}


# ----------------------------------------------------------------------------------------- models
def _vaec(strategy):
    return lambda seed: VAECClassifier(strategy, random_state=seed)


MODELS = {
    "vaec_var_mlp_classifier": _vaec("var_mlp_classifier"),
    "vaec_all_parts": _vaec("all_parts"),
    "vaec_mlp_classifier": _vaec("mlp_classifier"),
    "logreg": lambda seed: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "mlp": lambda seed: make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
    "hist_gradient_boosting": lambda seed: HistGradientBoostingClassifier(random_state=seed),
}

#: Small grids, four points each, searched inside the training folds: by 3-fold CV for the
#: scikit-learn models, on the estimator's own validation rows for the VAEC (ValidationGridSearch).
GRIDS = {
    "vaec_var_mlp_classifier": {"latent_dim": [8, 16], "classifier_kl_weight": [1e-3, 1e-2]},
    "vaec_all_parts": {"latent_dim": [8, 16], "kl_weight": [0.1, 1.0]},
    "vaec_mlp_classifier": {"latent_dim": [8, 16], "weight_decay": [0.0, 0.1]},
    "logreg": {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]},
    "mlp": {"mlpclassifier__hidden_layer_sizes": [(100,), (64, 32)],
            "mlpclassifier__alpha": [1e-4, 1e-2]},
    "hist_gradient_boosting": {"learning_rate": [0.05, 0.1], "max_leaf_nodes": [15, 31]},
}

#: Candidates of the selection study (``--select``): full VAECClassifier settings, independent
#: of the class defaults (so the study can be re-run after the defaults changed).
SELECTION_BASE = dict(strategy="var_mlp_classifier", latent_dim=8, encoder_layers=(64,), head_layers=(32,),
                      classifier_kl_weight=1e-3, learning_rate=1e-3, weight_decay=0.0, batch_size=32,
                      epochs=300, validation_fraction=0.1, patience=20)
SELECTION_CANDIDATES = {
    "base": {},
    "latent_2": {"latent_dim": 2},
    "latent_16": {"latent_dim": 16},
    "encoder_128_64": {"encoder_layers": (128, 64)},
    "encoder_32_head_16": {"encoder_layers": (32,), "head_layers": (16,)},
    "ckl_1e-2": {"classifier_kl_weight": 1e-2},
    "ckl_1e-1": {"classifier_kl_weight": 1e-1},
    "wd_0.1": {"weight_decay": 0.1},
    "lr_3e-3": {"learning_rate": 3e-3},
    "batch_64": {"batch_size": 64},
    "val_0.2": {"validation_fraction": 0.2},
    "patience_40": {"patience": 40},
    "dropout_0.2": {"encoder_layers": ({"units": 64, "dropout": 0.2},)},
    # second round: combinations of the first round's better settings
    "enc128_64_latent16": {"encoder_layers": (128, 64), "latent_dim": 16},
    "enc128_64_batch64": {"encoder_layers": (128, 64), "batch_size": 64},
    "enc128_64_latent16_batch64": {"encoder_layers": (128, 64), "latent_dim": 16, "batch_size": 64},
    "enc256_latent16": {"encoder_layers": (256,), "latent_dim": 16},
    "enc128_64_head64": {"encoder_layers": (128, 64), "head_layers": (64,)},
}


class ValidationGridSearch(BaseEstimator, ClassifierMixin):
    """Grid search for VAECClassifier on its own validation rows: one fit per grid point.

    Every point trains on the same training rows and is early-stopped on the same stratified
    validation rows (same ``random_state``); the point with the lowest best validation log loss
    is kept as it is (no refit). A 3-fold search would cost 13 fits per fold for four points.
    """

    def __init__(self, estimator, param_grid):
        self.estimator = estimator
        self.param_grid = param_grid

    def fit(self, X, y):
        best = None
        for params in ParameterGrid(self.param_grid):
            try:
                est = clone(self.estimator).set_params(**params).fit(X, y)
            except GenlabError:  # a diverged point is not a candidate
                continue
            loss = min(est.validation_log_loss_)
            if best is None or loss < best[0]:
                best = (loss, params, est)
        _, self.best_params_, self.best_estimator_ = best
        self.classes_ = self.best_estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.best_estimator_.predict_proba(X)


def make_model(name: str, variant: str, seed: int):
    """The estimator of one table row: defaults, or the grid search around them."""
    if name in SELECTION_CANDIDATES:
        return VAECClassifier(**{**SELECTION_BASE, **SELECTION_CANDIDATES[name]}, random_state=seed)
    est = MODELS[name](seed)
    if variant == "default":
        return est
    if isinstance(est, VAECClassifier):
        return ValidationGridSearch(est, GRIDS[name])
    inner = StratifiedKFold(3, shuffle=True, random_state=seed)
    return GridSearchCV(est, GRIDS[name], cv=inner, scoring="accuracy", refit=True)


# ----------------------------------------------------------------------------------------- folds
def score_fold(est, x_train, y_train, x_test, y_test) -> dict:
    """Fit on the training part; accuracy, macro F1, log loss on the test part and fit times."""
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # MLPClassifier's default 200 iterations
        try:
            est.fit(x_train, y_train)
        except GenlabError as exc:  # a diverged training: recorded, counted as a failed fold
            return {"error": str(exc)}
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    proba = est.predict_proba(x_test)
    pred = est.classes_[proba.argmax(axis=1)]
    inner = getattr(est, "best_estimator_", est)
    return {"accuracy": accuracy_score(y_test, pred),
            "macro_f1": f1_score(y_test, pred, average="macro"),
            "log_loss": log_loss(y_test, proba, labels=est.classes_),
            "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu,
            "best_params": json.dumps(getattr(est, "best_params_", None), default=str),
            "n_epochs": getattr(inner, "n_epochs_", None), "best_epoch": getattr(inner, "best_epoch_", None)}


def latent_plot(est: VAECClassifier, x_train, y_train, x_test, y_test, path: Path, title: str) -> None:
    """The latent figure of a fitted estimator (train left, test right)."""
    import matplotlib.pyplot as plt
    from vaec import latent_figure

    std = lambda x: ((x - est.mean_) / est.scale_).astype(np.float32)  # noqa: E731
    code = lambda y: np.searchsorted(est.classes_, y)  # noqa: E731
    fig = latent_figure(est.model_, std(x_train), code(y_train), std(x_test), code(y_test),
                        class_names=[str(c) for c in est.classes_])
    fig.suptitle(f"{title} — {fig.get_suptitle()}", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(tables: dict, models: list[str], variants: list[str], repeats: int, grid_repeats: int,
        seed: int, out: RunDir, data_dir=None) -> list[dict]:
    """Cross-validate every (table, model, variant), appending one record per fold."""
    records_path = out.path / "records.jsonl"
    records = read_records(records_path)
    done = {(r["table"], r["model"], r["variant"], r["repeat"], r["fold"]) for r in records}
    for table, load in tables.items():
        x, y = load(data_dir)
        x = np.asarray(x, dtype=np.float64)
        folds = list(RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=seed).split(x, y))
        print(f"{table}: {x.shape[0]} rows x {x.shape[1]} features, {len(np.unique(y))} classes", flush=True)
        for model in models:
            for variant in variants:
                n_rep = repeats if variant == "default" else min(grid_repeats, repeats)
                for k, (train, test) in enumerate(folds[:5 * n_rep]):
                    key = (table, model, variant, k // 5, k % 5)
                    if key in done:
                        continue
                    fold_seed = seed + k
                    est = make_model(model, variant, fold_seed)
                    row = {"table": table, "model": model, "variant": variant, "repeat": k // 5,
                           "fold": k % 5, **score_fold(est, x[train], y[train], x[test], y[test])}
                    if model == "vaec_var_mlp_classifier" and variant == "default" and k == 0 and "error" not in row:
                        latent_plot(est, x[train], y[train], x[test], y[test],
                                    out.plots / f"latent_{table}.png", f"{table}, fold 1")
                    with records_path.open("a") as f:
                        f.write(json.dumps(row) + "\n")
                    records.append(row)
                    if "error" in row:
                        print(f"  {model:26s} {variant:7s} r{k // 5} f{k % 5}: FAILED {row['error']}", flush=True)
                        continue
                    print(f"  {model:26s} {variant:7s} r{k // 5} f{k % 5}: acc {row['accuracy']:.4f} "
                          f"F1 {row['macro_f1']:.4f} log loss {row['log_loss']:.4f} "
                          f"({row['fit_seconds']:.1f} s)", flush=True)
    return records


# ----------------------------------------------------------------------------------------- report
def summarise(records: list[dict]) -> list[dict]:
    rows = aggregate(records, ["table", "model", "variant"], list(METRICS))
    for r in rows:
        r["n_folds"] = r.pop("n_seeds")
        r["n_failed"] = sum(1 for x in records if "error" in x and (x["table"], x["model"], x["variant"])
                            == (r["table"], r["model"], r["variant"]))
    return rows


def acceptance(rows: list[dict], vaec: str = "vaec_var_mlp_classifier") -> list[str]:
    """Per table: the VAEC with defaults against the best of logistic regression and MLP (defaults)."""
    lines = []
    by = {(r["table"], r["model"], r["variant"]): r for r in rows}
    for table in dict.fromkeys(r["table"] for r in rows):
        mine = by.get((table, vaec, "default"))
        rivals = [by[(table, m, "default")] for m in ("logreg", "mlp") if (table, m, "default") in by]
        if mine is None or not rivals:
            continue
        best = max(rivals, key=lambda r: r["accuracy"])
        gap = mine["accuracy"] - best["accuracy"]
        verdict = "above" if gap >= 0 else ("within 1 std" if -gap <= mine["accuracy_std"] else "BELOW")
        lines.append(f"- {table}: {vaec} {mine['accuracy']:.4f} ± {mine['accuracy_std']:.4f} vs "
                     f"{best['model']} {best['accuracy']:.4f} ± {best['accuracy_std']:.4f} "
                     f"(difference {gap:+.4f}): {verdict}")
    return lines


def pivot(rows: list[dict], metric: str = "accuracy") -> str:
    """One line per table, one column per (model, variant): ``mean ± std`` of ``metric``."""
    order = {m: i for i, m in enumerate([*MODELS, *SELECTION_CANDIDATES])}
    rows = sorted((r for r in rows if r.get(metric) is not None),
                  key=lambda r: (order.get(r["model"], len(order)), r["variant"] != "default"))
    cells = {(r["table"], f"{r['model']} ({r['variant']})"): r for r in rows}
    columns = list(dict.fromkeys(c for _, c in cells))
    lines = ["| table | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    tables = [*TABLES, *SELECTION_TABLES]
    def cell(r: dict) -> str:  # one fold has no spread: the mean alone
        std = r[metric + "_std"]
        return f"{r[metric]:.3f}" if std is None else f"{r[metric]:.3f} ± {std:.3f}"

    for table in sorted({t for t, _ in cells}, key=lambda t: tables.index(t) if t in tables else len(tables)):
        row = [cell(cells[(table, c)]) if (table, c) in cells else "–" for c in columns]
        lines.append(f"| {table} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def report(records: list[dict], out: RunDir, title: str, notes: str) -> None:
    rows = summarise(records)
    columns = ["table", "model", "variant", *METRICS, "n_folds", "n_failed"]
    notes += "\n\nAccuracy, mean ± std over folds:\n\n" + pivot(rows)
    lines = acceptance(rows)
    if lines:
        notes += "\n\nVAEC (var_mlp_classifier, defaults) against the best of logistic regression and MLP " \
                 "(defaults), mean accuracy ± std over folds:\n" + "\n".join(lines)
    out.write_results(rows, title, columns, notes)
    print((out.path / "results.md").read_text())
    out.print_paths()


def selection_summary(records: list[dict]) -> str:
    """Per candidate: mean accuracy on each selection table and averaged over the tables."""
    rows = summarise(records)
    tables = list(dict.fromkeys(r["table"] for r in rows))
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = {r["table"]: r for r in rows if r["model"] == model}
        row = {"candidate": model, **{t: mine[t]["accuracy"] for t in tables if t in mine}}
        if len(mine) == len(tables):
            row["mean_accuracy"] = float(np.mean([mine[t]["accuracy"] for t in tables]))
            row["mean_log_loss"] = float(np.mean([mine[t]["log_loss"] for t in tables]))
            row["mean_fit_seconds"] = float(np.mean([mine[t]["fit_seconds"] for t in tables]))
        row["failed_folds"] = sum(r["n_failed"] for r in mine.values())
        out.append(row)
    return markdown_table(out, ["candidate", *tables, "mean_accuracy", "mean_log_loss", "mean_fit_seconds",
                                "failed_folds"])


def _names(text: str | None, choices, what: str) -> list[str]:
    if text is None:
        return list(choices)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in choices]
    if unknown:
        sys.exit(f"unknown {what} {unknown}; choose from {', '.join(choices)}")
    return names


def main(argv=None) -> None:
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="output directory (resumes when it holds records.jsonl)")
    p.add_argument("--only", help="comma-separated tables")
    p.add_argument("--models", help="comma-separated models (or candidates with --select)")
    p.add_argument("--variants", default="default,grid", help="default, grid or both")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--grid-repeats", type=int, default=1)
    p.add_argument("--data-dir", help="folder with mnist.npz (or mnist/mnist.npz), for --select")
    p.add_argument("--select", action="store_true", help="run the defaults-selection study instead")
    p.add_argument("--report", action="store_true", help="only aggregate the records already written")
    p.add_argument("--merge", nargs="+", metavar="DIR",
                   help="with --report: aggregate the records of parts run in other output folders too")
    a = p.parse_args(argv)
    tables_all = SELECTION_TABLES if a.select else TABLES
    tables = {t: tables_all[t] for t in _names(a.only, tables_all, "table")}
    out = RunDir("vaec_select" if a.select else "vaec_tables", a.out)
    if a.select:
        models = _names(a.models, [*SELECTION_CANDIDATES, "logreg", "mlp"], "candidate")
        variants, repeats, seed = ["default"], 1, SELECTION_SEED
        title = "VAECClassifier defaults: selection study (tables outside the benchmark)"
    else:
        models = _names(a.models, MODELS, "model")
        variants = _names(a.variants, ("default", "grid"), "variant")
        repeats, seed = a.repeats, BENCHMARK_SEED
        title = "VAECClassifier and standard classifiers on small tables"
    if not a.report:
        run(tables, models, variants, repeats, a.grid_repeats, seed, out, a.data_dir)
    records = read_records(out.path / "records.jsonl")
    for other in a.merge or ():
        records += read_records(Path(other) / "records.jsonl")
    if a.select:
        notes = (f"5-fold stratified CV (seed {SELECTION_SEED}); base settings {SELECTION_BASE}; each "
                 "candidate changes the base as its name says.\n\n" + selection_summary(records))
    else:
        notes = (f"RepeatedStratifiedKFold 5 folds x {repeats} repeats (seed {BENCHMARK_SEED}); grids on the "
                 f"first {a.grid_repeats} repeat(s), searched inside each training part (3-fold CV; the VAEC: "
                 "lowest validation log loss on its own validation rows). Logistic "
                 "regression (max_iter 1000) and MLPClassifier follow a StandardScaler; the VAEC standardises "
                 "itself. Every model runs single-threaded; fit_seconds: wall clock on a shared 2-core CPU "
                 "(fit_cpu_seconds: process CPU).")
    report(records, out, title, notes)


if __name__ == "__main__":
    main()
