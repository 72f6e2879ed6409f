"""The ``"diffusion"`` synthesizer on the Adult protocol, and on a small table.

Protocol (the "Tabular" protocol of the docs): embedded ``adult.data`` (``?`` -> ``Unknown``),
stratified 80/20 split with seed 42 (26,048 / 6,513 rows). ``Synthesizer("diffusion")`` trains
with its defaults (:class:`tabular.synthesizers.DiffusionConfig`) on the training part, samples as
many rows as the training part with its default sampler, and :func:`tabular.evaluate` scores them (RandomForest
and logistic detection, column shapes, pair trends, efficacy, exact copies). Added here:

- **DCR share** (:func:`dcr_share`): the larger of the training part and the holdout subsampled
  to the other's size, an
  encoding (one-hot categories, min-max numbers) fitted on the training rows only; the share of
  synthetic rows strictly closer to their nearest training row than to their nearest holdout
  row. 0.5: no memorisation.
- Conditions (:func:`condition_checks`): rows sampled with a rare category as a condition
  (clamped by inpainting) must carry the value that category always goes with in the real rows (``RARE_PAIRS``, e.g.
  ``workclass == 'Never-worked'``, 0.023 % of rows, always with ``occupation == 'Unknown'``),
  and rows sampled with ``income == '>50K'`` are compared column by column with the real ones.
- Timings: fit seconds (wall and process CPU), seconds per epoch after the first (wall and CPU),
  sampling rows per second of ``Synthesizer.sample`` and of the exported SavedModel loaded with
  ``tf.saved_model.load`` (wall, after a call that traces the graph; and per CPU second), the
  process's peak resident memory.

Parts (``--only``): ``reference`` (the training part's two stratified halves scored like a
synthetic table: the ideal values), ``adult`` (the protocol, one record per seed) and ``small``
(an 800-row stratified subsample of the training part, scored on the same test part: the
method must not fall apart on small data). Records go to ``records.json`` after every seed; a
rerun into the same ``--out`` skips the (part, seed) pairs already there.

Usage::

    python -m benchmarks.diffusion_adult --out runs/output/diffusion_adult
    python -m benchmarks.diffusion_adult --only reference,adult --seeds 1 --out runs/output/diffusion_adult
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

from genlab.runner import RunDir, aggregate
from tabular import Synthesizer, evaluate, load_adult
from tabular.evaluation import column_shapes
from tabular.synthesizers import DiffusionConfig

SMALL_ROWS = 800
#: Rare categories that always go with one value of another column in Adult's training part:
#: (column, value, other column, the other column's value); the comments give the value's share of rows.
RARE_PAIRS = (("workclass", "Never-worked", "occupation", "Unknown"),     # 0.023 % of rows
              ("occupation", "Armed-Forces", "workclass", "Federal-gov"),  # 0.023 %
              ("education", "Preschool", "education-num", 1),              # 0.16 %
              ("relationship", "Husband", "sex", "Male"))                  # 40.6 %
CONDITIONAL_ROWS = 2000
PARTS = ("reference", "adult", "small")
METRICS = ("detection_auc", "lr_detection_auc", "column_shapes", "column_pair_trends", "efficacy_synthetic_auc",
           "efficacy_real_auc", "efficacy_ratio", "exact_copy_rate", "exact_copy_rate_holdout", "dcr_share",
           "fit_seconds", "fit_cpu_seconds", "seconds_per_epoch", "cpu_seconds_per_epoch", "epochs",
           "sample_rows_per_second", "sample_rows_per_cpu_second", "export_rows_per_second",
           "export_rows_per_cpu_second", "peak_memory_mb",
           "condition_held", "conditional_shapes") + tuple(f"consistency_{c}" for c, *_ in RARE_PAIRS)
TARGETS = {"detection_auc": ("<=", 0.60), "lr_detection_auc": ("<=", 0.52), "column_shapes": (">=", 0.99),
           "column_pair_trends": (">=", 0.98), "efficacy_ratio": (">=", 0.98), "dcr_share": ("<=", 0.55)}


def dcr_share(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> float:
    """Share of synthetic rows strictly closer to the training rows than to the holdout rows.

    The larger of the training rows and the holdout is subsampled to the other's size, so that a
    synthesizer that does not memorise lands at 0.5 (with an 800-row training table and a
    6,513-row holdout, unequal sizes put fresh rows nearer the holdout: about 0.11). Distances are Euclidean on an encoding fitted on the training rows only
    (one-hot categories ignoring unseen ones, min-max numbers).

    Args:
        train: Real training rows.
        holdout: Real rows the synthesizer never saw (the same schema).
        synthetic: Synthetic rows.
        seed: Seed of the training subsample.

    Returns:
        The share in [0, 1].
    """
    size = min(len(train), len(holdout))  # equal sizes: a small training table against a large holdout too
    train, holdout = train.sample(size, random_state=seed), holdout.sample(size, random_state=seed)
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c]) and not
               pd.api.types.is_bool_dtype(train[c])]
    categorical = [c for c in train.columns if c not in numeric]
    encoder = ColumnTransformer([("num", MinMaxScaler(), numeric),
                                 ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)])

    def prepared(frame):
        frame = frame[list(train.columns)].copy()
        frame[categorical] = frame[categorical].astype(str)
        return frame

    x_train = encoder.fit_transform(prepared(train))
    x_holdout, x_synthetic = encoder.transform(prepared(holdout)), encoder.transform(prepared(synthetic))
    to_train = NearestNeighbors(n_neighbors=1).fit(x_train).kneighbors(x_synthetic)[0][:, 0]
    to_holdout = NearestNeighbors(n_neighbors=1).fit(x_holdout).kneighbors(x_synthetic)[0][:, 0]
    return float(np.mean(to_train < to_holdout))


def fit_and_sample(train: pd.DataFrame, config: DiffusionConfig, seed: int):
    """Fit ``Synthesizer("diffusion")`` on ``train``, sample ``len(train)`` rows in Python and from its
    SavedModel export; return ``(synthetic, timings)``."""
    start, cpu = time.perf_counter(), time.process_time()
    synth = Synthesizer("diffusion", config, seed=seed).fit(train)  # fit traces the sampler once (warm_up)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    synthetic = synth.sample(len(train), seed=seed)
    sample_seconds, sample_cpu = time.perf_counter() - start, time.process_time() - cpu
    export_speed = exported_rows_per_second(synth, len(train), seed)
    timings = {**condition_checks(synth, train, seed), "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu,
               "epochs": len(synth.history_["loss"]), "seconds_per_epoch": synth.seconds_per_epoch_,
               "cpu_seconds_per_epoch": synth.cpu_seconds_per_epoch_,
               "sample_rows_per_second": len(train) / sample_seconds,
               "sample_rows_per_cpu_second": len(train) / max(sample_cpu, 1e-9),
               **export_speed, "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    return synthetic, timings


def exported_rows_per_second(synth, n: int, seed: int) -> dict:
    """Rows per wall second and per process CPU second of ``synth``'s SavedModel (loaded with
    ``tf.saved_model.load``) sampling ``n`` rows, after a 1,000-row call that traces the graph."""
    with tempfile.TemporaryDirectory() as folder:
        synth.export(Path(folder) / "export")
        exported = tf.saved_model.load(str(Path(folder) / "export"))
        _ = {k: v.numpy() for k, v in exported.sample(n=tf.constant(1000, tf.int64),
                                                      seed=tf.constant(seed + 1, tf.int64)).items()}  # traces
        start, cpu = time.perf_counter(), time.process_time()
        _ = {k: v.numpy() for k, v in exported.sample(n=tf.constant(n, tf.int64),
                                                      seed=tf.constant(seed, tf.int64)).items()}
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {"export_rows_per_second": n / seconds, "export_rows_per_cpu_second": n / max(cpu_seconds, 1e-9)}


def condition_checks(synth, train: pd.DataFrame, seed: int) -> dict:
    """Conditional sampling: consistency on rare pairs, and fidelity given the label.

    Returns:
        ``consistency_<column>`` — for each of ``RARE_PAIRS`` whose value the training rows hold,
        the share of rows sampled with ``column == value`` whose other column has the paired value
        (``None`` when the value is absent from ``train``); ``condition_held`` — the smallest share
        of rows holding their condition (1 by the synthesizer's guarantee); ``conditional_shapes`` —
        column shapes of rows sampled with ``income == '>50K'`` against the real ``>50K`` rows.
    """
    out, held = {}, []
    for column, value, other, expected in RARE_PAIRS:
        if not (train[column] == value).any():
            out[f"consistency_{column}"] = None
            continue
        rows = synth.sample(CONDITIONAL_ROWS, conditions={column: value}, seed=seed)
        held.append(float((rows[column] == value).mean()))
        out[f"consistency_{column}"] = float((rows[other] == expected).mean())
    real = train[train["income"] == ">50K"]
    rows = synth.sample(len(real), conditions={"income": ">50K"}, seed=seed)
    held.append(float((rows["income"] == ">50K").mean()))
    continuous = [c for c in train.columns if synth.encoder_.kinds_[c] in ("continuous", "integer")]
    out["conditional_shapes"] = float(column_shapes(real, rows[train.columns], continuous)["score"].mean())
    out["condition_held"] = float(np.min(held))
    return out


def score(train, test, synthetic, seed: int) -> dict:
    """:func:`tabular.evaluate` metrics plus the DCR share."""
    metrics = evaluate(train, test, synthetic[train.columns], target="income", seed=seed, plots=False).metrics
    return {**metrics, "dcr_share": dcr_share(train, test, synthetic, seed=seed)}


def report(records: list, run: RunDir, config: DiffusionConfig) -> list:
    """Aggregate per-seed records (mean ± std), check the targets, write and print the table."""
    table = aggregate(records, ["part"], list(METRICS))
    columns = ["part"] + list(METRICS) + ["n_seeds"]
    notes = [f"Model defaults: {config}. Mean ± std over seeds; timings on a shared 2-core CPU "
             "(CPU seconds are robust to other jobs, wall seconds are not)."]
    adult = next((r for r in table if r["part"] == "adult"), None)
    if adult is not None:
        checks = []
        for key, (op, bound) in TARGETS.items():
            ok = adult[key] <= bound if op == "<=" else adult[key] >= bound
            checks.append(f"{key} {adult[key]:.4f} {op} {bound}: {'met' if ok else 'MISSED'}")
        notes.append("Adult targets: " + "; ".join(checks))
    small = next((r for r in table if r["part"] == "small"), None)
    if small is not None:
        notes.append(f"Small table ({SMALL_ROWS} rows): efficacy ratio {small['efficacy_ratio']:.4f} "
                     f"(target >= 0.90: {'met' if small['efficacy_ratio'] >= 0.90 else 'MISSED'})")
    run.report(table, "Tabular diffusion on Adult", columns, "\n\n".join(notes))
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {PARTS}")
    parser.add_argument("--out", default=None, help="run directory (rerun into it to resume)")
    parser.add_argument("--updates", type=int, default=None,
                        help="override the model's training length (a smoke test, not the protocol)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; expected some of {PARTS}")
    config = DiffusionConfig() if args.updates is None else DiffusionConfig(updates=args.updates)
    if args.updates is not None:
        print(f"--updates {args.updates}: NOT the model's defaults (a smoke test)", flush=True)
    run = RunDir("bench_diffusion_adult", args.out)
    path = run.path / "records.json"
    records = json.loads(path.read_text()) if path.exists() else []
    done = {(r["part"], r["seed"]) for r in records}

    frame = load_adult()
    train, test = train_test_split(frame, test_size=0.2, stratify=frame["income"], random_state=42)
    print(f"train {len(train)} rows, test {len(test)} rows; parts {parts}; seeds "
          f"{args.first_seed}..{args.first_seed + args.seeds - 1}; {config}", flush=True)
    jobs = [("reference", 0)] if "reference" in parts else []
    jobs += [(p, s) for s in range(args.first_seed, args.first_seed + args.seeds) for p in ("adult", "small")
             if p in parts]
    for part, seed in jobs:
        if (part, seed) in done:
            print(f"{part} seed {seed}: done earlier, skipped", flush=True)
            continue
        if part == "reference":
            half_a, half_b = train_test_split(train, test_size=0.5, stratify=train["income"], random_state=0)
            row = {"part": part, "seed": seed, **score(half_a, test, half_b, seed)}
        else:
            real = train if part == "adult" else train_test_split(
                train, train_size=SMALL_ROWS, stratify=train["income"], random_state=seed)[0]
            synthetic, timings = fit_and_sample(real, config, seed)
            row = {"part": part, "seed": seed, "rows": len(real), "updates": config.updates,
                   **score(real, test, synthetic, seed), **timings}
        records.append(row)
        path.write_text(json.dumps(records, indent=2, default=float) + "\n")
        print(f"{part} seed {seed}: " + ", ".join(f"{k} {row[k]:.4f}" for k in METRICS if row.get(k) is not None),
              flush=True)
    report(records, run, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
