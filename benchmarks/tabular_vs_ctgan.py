"""genlab's tabular synthesizers against SDV's CTGAN and TVAE (PyTorch), side by side in one run.

Tables (``--table``):

- ``adult`` — the protocol (``docs/tabular.md``): embedded ``adult.data``, ``?`` -> ``Unknown``,
  stratified 80/20 split with seed 42 (26,048 / 6,513 rows), target ``income``;
- ``patients`` — :func:`tabular.data.patients_table` (20,000 rows built in code: ten numeric and
  four categorical columns, a four-class target ``risk``), stratified 80/20 split with seed 42;
- ``small`` — an 800-row stratified subsample (``random_state`` = the seed) of Adult's protocol
  training part, scored on the same test part: a method must not fall apart on small data.

Every model trains on the training part with its defaults (SDV's: 300 epochs; genlab's TVAE: 300
epochs; genlab's CTGAN: 300 epochs, more on a small table — at least 10,000 updates; ``diffusion``:
its default number of updates; the ``epochs`` column says how many epochs each trained) or with
one epoch budget for all (``--epochs``), and its default batch size, synthesizes as many rows as the training part, and is scored by :func:`tabular.evaluate`
(RandomForest and logistic detection, efficacy, column shapes, pair trends, exact copies) plus the
DCR share of ``benchmarks/diffusion_adult.py`` (0.5: no memorisation). A real-vs-real row (the
training part's two stratified halves) shows the ideal values. Speed, on the same CPU in the same
process: seconds per epoch (SDV: fit time minus its data-transformer time, over the epochs;
genlab: the mean epoch time after the first, compiling epoch), wall and process CPU seconds (robust
to other jobs sharing the machine), total fit seconds, rows per second of ``sample`` and (genlab)
of the exported SavedModel, and the process's peak resident memory so far (run one model per
process — ``--models`` — for a per-model figure).

SDV's models are optional: ``ctgan`` pins ``pandas<3`` and needs PyTorch, so they live in a
separate environment::

    python3 -m venv ../bench-venv
    ../bench-venv/bin/pip install torch ctgan      # CPU wheels are enough
    ../bench-venv/bin/pip install -e .             # genlab + TensorFlow
    ../bench-venv/bin/python benchmarks/tabular_vs_ctgan.py --seeds 3

Without ``ctgan`` importable the script runs genlab alone and says so.

Options: ``--epochs N`` (exactly N epochs for SDV's models and the genlab methods whose training
length is counted in epochs — ``tabular.synthesizers.budget_field`` — default: each model's own;
``diffusion`` trains its default number of updates, or ``--set updates=N``), ``--seeds N`` (3), ``--first-seed K``,
``--methods tvae,ctgan`` (genlab methods, default ``tvae``; ``all``: every method of
``tabular.methods()``, the original study's too; ``cgan`` conditions on the table's target unless
``--set condition_column=...`` names another column), ``--models`` (a subset of the run's
models by name, e.g. ``sdv-tvae``: one model per process), ``--set KEY=VALUE`` (override a field
of the genlab methods' configs, repeatable: an ablation such as ``--set prior_components=0``),
``--rows N`` (subsample the training part: not the protocol), ``--out DIR`` (records go to
``records.json`` after every model; a rerun into the same folder skips the models done),
``--part reference|genlab|ctgan`` (one part only); ``--merge DIR DIR ...`` aggregates the
``records.json`` of parts run in parallel processes (e.g. one seed and one model each, on a
crowded machine) into one table (``DIR=sdv-ctgan,sdv-tvae``: only those models of ``DIR``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.runner import RunDir, aggregate
from tabular import Synthesizer, evaluate, load_adult, patients_table
from tabular import methods as methods_registered
from tabular.synthesizers import budget_field

sys.path.insert(0, str(Path(__file__).resolve().parent))
from diffusion_adult import SMALL_ROWS, dcr_share, exported_rows_per_second  # noqa: E402

METRICS = ("detection_auc", "lr_detection_auc", "lr_detection_score", "column_shapes", "column_pair_trends",
           "efficacy_synthetic_auc", "efficacy_real_auc", "efficacy_ratio", "exact_copy_rate",
           "exact_copy_rate_holdout", "dcr_share", "epochs", "seconds_per_epoch", "cpu_seconds_per_epoch",
           "fit_seconds", "fit_cpu_seconds", "sample_rows_per_second", "export_rows_per_second",
           "export_rows_per_cpu_second", "peak_memory_mb")
TABLES = ("adult", "patients", "small")
SDV = ("sdv-ctgan", "sdv-tvae")
SDV_EPOCHS = 300  # SDV's default


def load_table(name: str, seed: int) -> tuple:
    """``(train, test, target)`` of one of ``TABLES`` (see the module docstring)."""
    if name == "patients":
        frame, target = patients_table(), "risk"
    else:
        frame, target = load_adult(), "income"
    train, test = train_test_split(frame, test_size=0.2, stratify=frame[target], random_state=42)
    if name == "small":
        train = train_test_split(train, train_size=SMALL_ROWS, stratify=train[target], random_state=seed)[0]
    return train, test, target


def ctgan_available() -> bool:
    try:
        import ctgan  # noqa: F401
    except ImportError:
        return False
    return True


def fit_sdv(name: str, train: pd.DataFrame, epochs: int, seed: int):
    """Fit SDV's CTGAN (``"sdv-ctgan"``) or TVAE (``"sdv-tvae"``) with their defaults, batch 500 and
    the given epochs; the non-numeric columns are declared discrete.

    Returns:
        ``(model, fit seconds, fit CPU seconds, wall seconds per epoch, CPU seconds per epoch)``;
        per-epoch figures leave out the data-transformer time.
    """
    import torch
    from ctgan import CTGAN, TVAE
    from ctgan.synthesizers import ctgan as ctgan_module
    from ctgan.synthesizers import tvae as tvae_module

    module = ctgan_module if name == "sdv-ctgan" else tvae_module
    prep = {"seconds": 0.0, "cpu": 0.0}
    base = module.DataTransformer

    class TimedTransformer(base):  # times the data preparation, to leave pure epochs
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

    module.DataTransformer = TimedTransformer
    discrete = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    try:
        torch.manual_seed(seed)
        np.random.seed(seed)
        model = (CTGAN if name == "sdv-ctgan" else TVAE)(epochs=epochs, batch_size=500, enable_gpu=False)
        model.set_random_state(seed)
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(train, discrete_columns=discrete)
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        module.DataTransformer = base
    return model, total, total_cpu, (total - prep["seconds"]) / epochs, (total_cpu - prep["cpu"]) / epochs


def budget(method: str, epochs: int | None) -> dict:
    """``{"epochs": epochs}`` for a method whose training length is counted in epochs, ``{}`` for the
    others (``budget_field``: ``"diffusion"`` counts updates) and when ``epochs`` is ``None``: they
    train their default length (``"ctgan"``: 300 epochs, more on a small table)."""
    return {"epochs": epochs} if epochs is not None and budget_field(method) == "epochs" else {}


def parse_setting(item: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)`` with the value read as JSON when it parses (numbers, booleans)."""
    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def report(records: list, run: RunDir, setting: str) -> list:
    """Aggregate per-seed records (mean ± std) by table and model, write ``results.md`` /
    ``results.json`` and print the table."""
    references = {}
    for r in records:  # one reference per table (merged runs may bring several)
        if r["model"] == "real_vs_real":
            references.setdefault(r.get("table", "adult"), r)
    records = list(references.values()) + [r for r in records if r["model"] != "real_vs_real"]
    for r in records:
        r.setdefault("table", "adult")
    table = aggregate(records, ["table", "model"], list(METRICS))
    seeds = sorted({r["seed"] for r in records if r["model"] != "real_vs_real"})
    notes = [f"{setting}, seeds {seeds}; mean ± std over seeds. Lower is better for detection AUCs and the DCR "
             "share (0.5: no memorisation); higher for shapes, trends, efficacy and lr_detection_score."]
    for name in sorted({r["table"] for r in table}):
        rows = [r for r in table if r["table"] == name]
        for sdv in (r for r in rows if r["model"] in SDV):
            for r in (r for r in rows if r["model"].startswith("genlab")):
                wins = {"detection_auc": r["detection_auc"] < sdv["detection_auc"],
                        "lr_detection_auc": r["lr_detection_auc"] < sdv["lr_detection_auc"],
                        "column_shapes": r["column_shapes"] > sdv["column_shapes"],
                        "column_pair_trends": r["column_pair_trends"] > sdv["column_pair_trends"],
                        "efficacy_ratio": r["efficacy_ratio"] > sdv["efficacy_ratio"]}
                notes.append(f"{name}: {r['model']} vs {sdv['model']}: fit {sdv['fit_seconds'] / r['fit_seconds']:.2f}x "
                             f"faster in wall seconds, {sdv['fit_cpu_seconds'] / r['fit_cpu_seconds']:.2f}x in CPU "
                             f"seconds; better on {sum(wins.values())}/5 quality metrics: "
                             + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in wins.items()))
        if name == "small":
            notes.append("small: efficacy ratio >= 0.90 " + ", ".join(
                f"{r['model']} {r['efficacy_ratio']:.3f} {'met' if r['efficacy_ratio'] >= 0.90 else 'MISSED'}"
                for r in rows if r["model"] != "real_vs_real"))
    if not any(r["model"] in SDV for r in table):
        notes.append("No SDV model in these records: genlab ran alone (SDV's ctgan package is not installed in "
                     "this environment — see the module docstring for the separate one — or --models left SDV out).")
    columns = ["table", "model"] + list(METRICS) + ["n_seeds"]
    run.report(table, "genlab synthesizers vs SDV's CTGAN and TVAE", columns, "\n\n".join(notes))
    return table


def method_overrides(method: str, overrides: dict, target: str) -> dict:
    """The config overrides of one genlab method: ``"cgan"`` conditions on the table's ``target`` unless
    ``overrides`` names its ``condition_column`` (the original study conditioned on Adult's income)."""
    if method == "cgan" and "condition_column" not in overrides:
        return {**overrides, "condition_column": target}
    return overrides


def fit_and_sample(name: str, method: str | None, train: pd.DataFrame, args, overrides: dict, seed: int) -> tuple:
    """Fit one model, sample ``len(train)`` rows; ``(synthetic, timings)``."""
    start, cpu = time.perf_counter(), time.process_time()
    if method is None:
        epochs = SDV_EPOCHS if args.epochs is None else args.epochs
        model, fit_seconds, fit_cpu, per_epoch, cpu_per_epoch = fit_sdv(name, train, epochs, seed)
        export = {}
    else:
        synth = Synthesizer(method, seed=seed, **{**budget(method, args.epochs), **overrides}).fit(train)
        fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
        per_epoch, cpu_per_epoch = synth.seconds_per_epoch_, synth.cpu_seconds_per_epoch_
        epochs, model = len(next(iter(synth.history_.values()))), synth  # GANs log d_loss / g_loss
    start = time.perf_counter()
    synthetic = model.sample(len(train)) if method is None else model.sample(len(train), seed=seed)
    sample_seconds = time.perf_counter() - start
    if method is not None:
        export = exported_rows_per_second(model, len(train), seed)
    return synthetic, {"seconds_per_epoch": per_epoch, "cpu_seconds_per_epoch": cpu_per_epoch,
                       "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu, "epochs": epochs,
                       "sample_rows_per_second": len(train) / sample_seconds, **export,
                       "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", choices=TABLES, default="adult")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of every method whose budget is epochs (default: each method's default; "
                             "SDV's: 300; diffusion trains its default updates)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", default="tvae",
                        help=f"genlab methods, comma-separated, or all ({', '.join(methods_registered())})")
    parser.add_argument("--models", default=None,
                        help="only these models of the run, comma-separated names (e.g. genlab-tvae,sdv-tvae)")
    parser.add_argument("--rows", type=int, default=None, help="subsample the training part (smoke test)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a field of the genlab methods' configs (repeatable), e.g. --set "
                             "prior_components=0 for an ablation; the model's name shows the overrides")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    parser.add_argument("--merge", nargs="+", default=None,
                        help="run directories of earlier runs (e.g. one seed each, run in parallel): "
                             "aggregate their records.json into one table, without training; DIR=model,model "
                             "takes only those models' records from DIR")
    parser.add_argument("--part", choices=("all", "reference", "genlab", "ctgan"), default="all",
                        help="run one part only (the real-vs-real reference, genlab or SDV's models), to spread a "
                             "benchmark over parallel processes and --merge them")
    parser.add_argument("--out", default=None, help="run directory (rerun into it to resume)")
    args = parser.parse_args(argv)
    if args.merge:
        records = []
        for item in args.merge:  # DIR, or DIR=model,model: only those models' records (and the reference)
            folder, _, only = item.partition("=")
            wanted = {m.strip() for m in only.split(",") if m.strip()}
            records += [r for r in json.loads((Path(folder) / "records.json").read_text())
                        if not wanted or r["model"] in wanted or r["model"] == "real_vs_real"]
        run = RunDir("bench_tabular_vs_ctgan", args.out)
        report(records, run, f"merged from {len(args.merge)} runs ({', '.join(args.merge)})")
        return 0
    methods = list(methods_registered()) if args.methods == "all" else \
        [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(methods) - set(methods_registered()))
    if unknown:
        parser.error(f"--methods {unknown} not among tabular.methods() {list(methods_registered())}")
    overrides = dict(parse_setting(item) for item in args.set)
    suffix = "".join(f" {k}={v}" for k, v in overrides.items())
    have_sdv = ctgan_available()
    names = ([(f"genlab-{m}{suffix}", m) for m in methods] if args.part in ("all", "genlab") else []) \
        + ([(n, None) for n in SDV] if have_sdv and args.part in ("all", "ctgan") else [])
    if args.models is not None:
        wanted = {m.strip() for m in args.models.split(",")}
        unknown = wanted - {n for n, _ in names}
        if unknown:
            parser.error(f"--models {sorted(unknown)} not among this run's models {[n for n, _ in names]}")
        names = [(n, m) for n, m in names if n in wanted]

    run = RunDir("bench_tabular_vs_ctgan", args.out)
    path = run.path / "records.json"
    records = json.loads(path.read_text()) if path.exists() else []
    done = {(r.get("table", "adult"), r["model"], r["seed"]) for r in records}
    train, test, target = load_table(args.table, args.first_seed)
    print(f"table {args.table}: train {len(train)} rows, test {len(test)} rows; epochs {args.epochs or 'default'}; seeds "
          f"{args.seeds}; models {[n for n, _ in names]}; SDV: {'yes' if have_sdv else 'NOT INSTALLED - genlab alone'}",
          flush=True)

    def save(row):
        records.append(row)
        path.write_text(json.dumps(records, indent=2, default=str) + "\n")

    if args.part in ("all", "reference") and (args.table, "real_vs_real", 0) not in done:
        half_a, half_b = train_test_split(train, test_size=0.5, stratify=train[target], random_state=0)
        reference = evaluate(half_a, test, half_b, target=target, seed=0, plots=False).metrics
        save({"table": args.table, "model": "real_vs_real", "seed": 0, **reference,
              "dcr_share": dcr_share(half_a, test, half_b)})
        print("real vs real:", {k: round(reference[k], 4) for k in METRICS if k in reference}, flush=True)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        train, test, target = load_table(args.table, seed)
        if args.rows and args.rows < len(train):
            train, _ = train_test_split(train, train_size=args.rows, stratify=train[target], random_state=0)
            print(f"--rows: {len(train)} training rows (a smoke test, not the protocol)")
        for name, method in names:
            if (args.table, name, seed) in done:
                print(f"seed {seed} {name}: done earlier, skipped", flush=True)
                continue
            synthetic, timings = fit_and_sample(name, method, train, args,
                                                method_overrides(method, overrides, target), seed)
            synthetic = synthetic[train.columns]
            metrics = evaluate(train, test, synthetic, target=target, seed=seed, plots=False).metrics
            row = {"table": args.table, "model": name, "seed": seed, "rows": len(train), **metrics,
                   "dcr_share": dcr_share(train, test, synthetic, seed=seed), **timings}
            save(row)
            print(f"seed {seed} {name:14s}: " + ", ".join(f"{k} {row[k]:.4f}" for k in METRICS if k in row),
                  flush=True)

    report(records, run, f"{args.table}, train {len(train)} / test {len(test)} rows, {args.epochs or 'default'} epochs "
                         "(the methods counted in epochs; diffusion: its updates, see the epochs column), "
                         "default batch sizes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
