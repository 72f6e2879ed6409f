"""genlab's tabular synthesizers against CTGAN (SDV's PyTorch package) on Adult, side by side in one run.

Protocol (``docs/tabular.md``): embedded ``adult.data``, ``?`` -> ``Unknown``, stratified 80/20 split
with seed 42 (26,048 / 6,513 rows). Every model trains on the training part with the same epoch
budget (``diffusion``: its default number of updates; the ``epochs`` column says how many epochs
each trained) and its default batch size, synthesizes as many rows as the training part, and is scored by
:func:`tabular.evaluate` (RandomForest and logistic detection, efficacy, column shapes, pair trends,
exact copies, distance to closest record). A real-vs-real row (the training part's two stratified
halves) shows the ideal values. Mean ± std over seeds; seconds per epoch are wall-clock on the same
CPU in the same process (CTGAN: fit time minus its data-transformer time, over the epochs; genlab:
the mean epoch time after the first, compiling epoch), also as process CPU seconds (robust to other
jobs sharing the machine); total fit seconds include everything.

CTGAN is optional: it pins ``pandas<3`` and needs PyTorch, so it lives in a separate environment::

    python3 -m venv ../bench-venv
    ../bench-venv/bin/pip install torch ctgan      # CPU wheels are enough
    ../bench-venv/bin/pip install -e .             # genlab + TensorFlow
    ../bench-venv/bin/python benchmarks/tabular_vs_ctgan.py --epochs 300 --seeds 3

Without ``ctgan`` importable the script runs genlab alone and says so.

Options: ``--epochs N`` (default 300, CTGAN's default; for the methods whose training length is
counted in epochs — ``tabular.synthesizers.budget_field`` — the others, ``diffusion``, train their
default number of updates, or ``--set updates=N``), ``--seeds N`` (3), ``--first-seed K``,
``--methods tvae,ctgan`` (genlab methods, default ``tvae``), ``--set KEY=VALUE`` (override a field of
the genlab methods' configs, repeatable: an ablation such as ``--set prior_components=0``),
``--rows N`` (subsample the training part: not the protocol),
``--out DIR``, ``--part reference|genlab|ctgan`` (one part only); ``--merge DIR DIR ...`` aggregates
the ``records.json`` of parts run in parallel processes (e.g. one seed and one model each, on a
crowded machine) into one table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.runner import RunDir, aggregate
from tabular import Synthesizer, evaluate, load_adult
from tabular.synthesizers import budget_field

METRICS = ("detection_auc", "lr_detection_auc", "lr_detection_score", "column_shapes", "column_pair_trends",
           "efficacy_synthetic_auc", "efficacy_real_auc", "efficacy_ratio", "exact_copy_rate",
           "exact_copy_rate_holdout", "dcr_synthetic_median", "dcr_holdout_median", "dcr_share", "epochs",
           "seconds_per_epoch", "cpu_seconds_per_epoch", "fit_seconds")
ADULT_DISCRETE = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
                  "native-country", "income"]


def ctgan_available() -> bool:
    try:
        import ctgan  # noqa: F401
    except ImportError:
        return False
    return True


def fit_ctgan(train: pd.DataFrame, epochs: int, seed: int):
    """Fit CTGAN with its defaults and the given epochs.

    Returns:
        ``(model, fit seconds, wall seconds per epoch, CPU seconds per epoch)``; per-epoch figures
        leave out CTGAN's data-transformer time.
    """
    import torch
    from ctgan import CTGAN
    from ctgan.synthesizers import ctgan as ctgan_module

    prep = {"seconds": 0.0, "cpu": 0.0}
    base = ctgan_module.DataTransformer

    class TimedTransformer(base):  # times CTGAN's data preparation, to leave pure epochs
        def fit(self, *args, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return super().fit(*args, **kwargs)
            finally:
                prep["seconds"] += time.perf_counter() - start
                prep["cpu"] += time.process_time() - cpu

        def transform(self, *args, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return super().transform(*args, **kwargs)
            finally:
                prep["seconds"] += time.perf_counter() - start
                prep["cpu"] += time.process_time() - cpu

    ctgan_module.DataTransformer = TimedTransformer
    try:
        torch.manual_seed(seed)
        np.random.seed(seed)
        model = CTGAN(epochs=epochs, batch_size=500, enable_gpu=False)
        model.set_random_state(seed)
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(train, discrete_columns=ADULT_DISCRETE)
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        ctgan_module.DataTransformer = base
    return model, total, (total - prep["seconds"]) / epochs, (total_cpu - prep["cpu"]) / epochs


def budget(method: str, epochs: int) -> dict:
    """``{"epochs": epochs}`` for a method whose training length is counted in epochs, ``{}`` for the
    others (``budget_field``: ``"diffusion"`` counts updates), which train their default length."""
    return {"epochs": epochs} if budget_field(method) == "epochs" else {}


def parse_setting(item: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)`` with the value read as JSON when it parses (numbers, booleans)."""
    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def report(records: list, run: RunDir, setting: str) -> list:
    """Aggregate per-seed records (mean ± std), write ``results.md`` / ``results.json`` and print the table."""
    references = [r for r in records if r["model"] == "real_vs_real"][:1]  # one per merged run: keep one
    records = references + [r for r in records if r["model"] != "real_vs_real"]
    table = aggregate(records, ["model"], list(METRICS))
    genlab_rows = [r for r in table if r["model"].startswith("genlab")]
    ctgan_row = next((r for r in table if r["model"] == "ctgan (SDV)"), None)
    seeds = sorted({r["seed"] for r in records if r["model"] != "real_vs_real"})
    notes = [f"{setting}, seeds {seeds}; mean ± std over seeds. Lower is better for detection AUCs; higher for "
             "shapes, trends, efficacy and lr_detection_score."]
    if ctgan_row is not None:
        for r in genlab_rows:
            speed = ctgan_row["seconds_per_epoch"] / r["seconds_per_epoch"]
            cpu_speed = ctgan_row["cpu_seconds_per_epoch"] / r["cpu_seconds_per_epoch"]
            wins = {"detection_auc": r["detection_auc"] < ctgan_row["detection_auc"],
                    "lr_detection_auc": r["lr_detection_auc"] < ctgan_row["lr_detection_auc"],
                    "column_shapes": r["column_shapes"] > ctgan_row["column_shapes"],
                    "column_pair_trends": r["column_pair_trends"] > ctgan_row["column_pair_trends"],
                    "efficacy_ratio": r["efficacy_ratio"] > ctgan_row["efficacy_ratio"]}
            notes.append(f"{r['model']} vs CTGAN: throughput {speed:.2f}x CTGAN's in wall seconds per epoch, "
                         f"{cpu_speed:.2f}x in CPU seconds per epoch; better on "
                         f"{sum(wins.values())}/5 acceptance metrics: "
                         + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in wins.items()))
    else:
        notes.append("CTGAN is not installed in this environment: genlab ran alone (see the module docstring "
                     "for the separate environment).")
    columns = ["model"] + list(METRICS) + ["n_seeds"]
    run.report(table, "genlab synthesizer vs CTGAN on Adult", columns, "\n\n".join(notes))
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=300,
                        help="epochs of the methods whose budget is epochs (diffusion trains its default updates)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", default="tvae", help="genlab methods, comma-separated (tvae, ctgan, diffusion)")
    parser.add_argument("--rows", type=int, default=None, help="subsample the training part (smoke test)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a field of the genlab methods' configs (repeatable), e.g. --set "
                             "prior_components=0 for an ablation; the model's name shows the overrides")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    parser.add_argument("--merge", nargs="+", default=None,
                        help="run directories of earlier runs (e.g. one seed each, run in parallel): "
                             "aggregate their records.json into one table, without training")
    parser.add_argument("--part", choices=("all", "reference", "genlab", "ctgan"), default="all",
                        help="run one part only (the real-vs-real reference, genlab or CTGAN), to spread a "
                             "benchmark over parallel processes and --merge them")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.merge:
        records = [r for d in args.merge for r in json.loads((Path(d) / "records.json").read_text())]
        run = RunDir("bench_tabular_vs_ctgan", args.out)
        report(records, run, f"merged from {len(args.merge)} runs ({', '.join(args.merge)})")
        return 0
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    overrides = dict(parse_setting(item) for item in args.set)
    suffix = "".join(f" {k}={v}" for k, v in overrides.items())

    frame = load_adult()
    train, test = train_test_split(frame, test_size=0.2, stratify=frame["income"], random_state=42)
    if args.rows and args.rows < len(train):
        train, _ = train_test_split(train, train_size=args.rows, stratify=train["income"], random_state=0)
        print(f"--rows: {len(train)} training rows (a smoke test, not the protocol)")
    run = RunDir("bench_tabular_vs_ctgan", args.out)
    have_ctgan = ctgan_available()
    print(f"train {len(train)} rows, test {len(test)} rows; epochs {args.epochs}; seeds {args.seeds}; "
          f"genlab methods {methods}; CTGAN: {'yes' if have_ctgan else 'NOT INSTALLED - genlab alone'}",
          flush=True)

    records = []
    if args.part in ("all", "reference"):
        half_a, half_b = train_test_split(train, test_size=0.5, stratify=train["income"], random_state=0)
        reference = evaluate(half_a, test, half_b, target="income", seed=0)
        records.append({"model": "real_vs_real", "seed": 0, **reference.metrics})
        print("real vs real:", {k: round(reference.metrics[k], 4) for k in METRICS if k in reference.metrics},
              flush=True)

    if args.part == "reference":
        (run.path / "records.json").write_text(json.dumps(records, indent=2, default=str) + "\n")
        return 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        contenders = ([(f"genlab-{m}{suffix}", m) for m in methods] if args.part in ("all", "genlab") else []) \
            + ([("ctgan (SDV)", None)] if have_ctgan and args.part in ("all", "ctgan") else [])
        for name, method in contenders:
            start = time.perf_counter()
            if method is None:
                model, fit_seconds, per_epoch, cpu_per_epoch = fit_ctgan(train, args.epochs, seed)
                epochs = args.epochs
                synthetic = model.sample(len(train))
            else:
                synth = Synthesizer(method, seed=seed, **{**budget(method, args.epochs), **overrides}).fit(train)
                fit_seconds, per_epoch = time.perf_counter() - start, synth.seconds_per_epoch_
                cpu_per_epoch = synth.cpu_seconds_per_epoch_
                epochs = len(synth.history_["loss"])
                synthetic = synth.sample(len(train), seed=seed)
            result = evaluate(train, test, synthetic[train.columns], target="income", seed=seed)
            row = {"model": name, "seed": seed, **result.metrics, "seconds_per_epoch": per_epoch,
                   "cpu_seconds_per_epoch": cpu_per_epoch, "fit_seconds": fit_seconds, "epochs": epochs}
            records.append(row)
            print(f"seed {seed} {name:14s}: " + ", ".join(f"{k} {row[k]:.4f}" for k in METRICS if k in row),
                  flush=True)
            (run.path / "records.json").write_text(json.dumps(records, indent=2, default=str) + "\n")

    report(records, run, f"Adult, protocol split (train {len(train)}, test {len(test)}), {args.epochs} epochs "
                          "(the methods counted in epochs; diffusion: its updates, see the epochs column), "
                          "default batch sizes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
