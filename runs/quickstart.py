"""Quickstart: genlab's tabular synthesizer on Adult (fit, conditional sample, evaluation, export scored in a fresh process), then the VAEC.

Part 1, the flagship: a TVAE synthesizer (the default method) is fitted on the training part of the
embedded Adult table (protocol split: stratified 80/20, seed 42; 26,048 rows) for 60 epochs,
samples as many rows as the training part, and is evaluated against the real test part beside a
real-vs-real reference (RandomForest and logistic detection, efficacy, column shapes, pair
trends, DCR share; report and figures in ``tabular/eval/``). It then samples 1,000 rows with
``income = ">50K"``, is exported as a SavedModel, and a fresh Python process that imports only
TensorFlow loads the export and samples rows from it. Part 2 is ``vaec_breast_cancer`` with one
seed of its ``--quick`` sizes (every strategy, 60 epochs).

``--epochs`` sets both parts' epochs; ``--quick`` is a smoke test (2,000 Adult rows, 3 epochs).
The full studies are ``genlab run tabular_synth``, ``benchmarks/tabular_vs_ctgan.py`` and
``genlab run vaec_breast_cancer``.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time

from sklearn.model_selection import train_test_split

from genlab.progress import EpochBar
from genlab.runner import RunDir, RunOptions, markdown_table
from genlab.tensorboard import scalar_callback
from runs.vaec_breast_cancer import QUICK, StudySettings, run_study
from tabular import Synthesizer, TabularDataset, evaluate, load_adult, write_table

#: Epochs of the tabular part (about a minute on two CPU cores).
EPOCHS = 60
TARGET = "income"
#: The VAEC part: every strategy once (one seed, 60 epochs; about a minute on two CPU cores).
VAEC = dataclasses.replace(QUICK, seeds=1)
SHOWN = ("detection_auc", "lr_detection_auc", "column_shapes", "column_pair_trends", "efficacy_ratio", "dcr_share")

#: What the fresh process runs: plain TensorFlow, no genlab.
SCORE = r"""
import sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
rows = model.sample_conditional(n=tf.constant(5, tf.int64), seed=tf.constant(0, tf.int64),
                                conditions=tf.constant(["income=>50K"]))
cols = ["age", "education", "occupation", "hours-per-week", "income"]
print("  " + " | ".join(cols))
for i in range(5):
    values = [rows[c][i].numpy() for c in cols]
    print("  " + " | ".join(v.decode() if isinstance(v, bytes) else str(v) for v in values))
"""


def tabular_part(options: RunOptions, run: RunDir) -> dict:
    """Fit, sample, evaluate and export the synthesizer; return the summary figures."""
    epochs = options.epochs or (3 if options.quick else EPOCHS)
    split = TabularDataset(load_adult(), TARGET).split(test_size=0.2, seed=42, verbose=False)
    train, test = split.train, split.test
    if options.quick:
        train, _ = train_test_split(train, train_size=2000, stratify=train[TARGET], random_state=0)
    print(f"\n== 1. Tabular synthesizer (TVAE) on Adult: {len(train):,} training rows, {epochs} epochs ==", flush=True)
    start = time.perf_counter()
    synth = Synthesizer("tvae", epochs=epochs, seed=0)
    synth.fit(train, callbacks=[scalar_callback(run.tensorboard / "tvae"), EpochBar("fit tvae", stream=sys.stdout)])
    fit_seconds = time.perf_counter() - start
    synth.save(run.path / "tabular" / "synthesizer")
    synthetic = synth.sample(len(train), seed=0)
    write_table(synthetic, run.path / "tabular" / "synthetic.csv", overwrite=True)

    half_a, half_b = train_test_split(train, test_size=0.5, stratify=train[TARGET], random_state=0)
    reference = evaluate(half_a, test, half_b, target=TARGET, plots=False).metrics
    result = evaluate(train, test, synthetic, target=TARGET, out_dir=run.path / "tabular" / "eval",
                      title=f"TVAE on Adult, {epochs} epochs")
    rows = [{"rows": "real vs real (training halves)", **{k: reference[k] for k in SHOWN}},
            {"rows": f"genlab TVAE, {epochs} epochs", **{k: result.metrics[k] for k in SHOWN}}]
    print(markdown_table(rows, ["rows", *SHOWN]))

    rich = synth.sample(1000, conditions={TARGET: ">50K"}, seed=1)
    print(f"\nconditional sample, income = '>50K': {len(rich)} rows, all '>50K': {bool((rich[TARGET] == '>50K').all())}; "
          f"{synth.last_acceptance_rate_:.0%} of the rows drawn met the condition (the real share is "
          f"{(train[TARGET] == '>50K').mean():.0%}); mean age {rich['age'].mean():.1f} against "
          f"{train.loc[train[TARGET] == '>50K', 'age'].mean():.1f} in the real '>50K' rows")

    synth.export(run.export)
    print(f"\nexported to {run.export}; a fresh process with plain TensorFlow samples from it:")
    done = subprocess.run([sys.executable, "-c", SCORE, str(run.export)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the exported SavedModel could not be scored in a fresh process:\n{done.stderr}")
    print(done.stdout.rstrip())
    return {"epochs": epochs, "rows": len(train), "fit_seconds": fit_seconds, "reference": reference,
            "metrics": result.metrics, "report": result.files[0]}


def main(options: RunOptions) -> RunDir:
    run = RunDir("quickstart", options.out)
    tab = tabular_part(options, run)
    print("\n== 2. VAE + classifier on breast cancer ==", flush=True)
    vaec_options = RunOptions(out=str(run.path / "vaec"), seeds=options.seeds, epochs=options.epochs)
    vaec = run_study(vaec_options, "quickstart_vaec", StudySettings.from_options(vaec_options, default=VAEC))
    best = max(json.loads((vaec.path / "results.json").read_text()), key=lambda r: r["accuracy"])

    m, ref = tab["metrics"], tab["reference"]
    print("\n== Summary ==")
    print(f"tabular: TVAE fitted on {tab['rows']:,} Adult rows in {tab['fit_seconds']:.0f} s ({tab['epochs']} epochs); "
          f"RandomForest detection AUC {m['detection_auc']:.3f} (real vs real {ref['detection_auc']:.3f}, 0.5 = "
          f"indistinguishable), column shapes {m['column_shapes']:.3f} ({ref['column_shapes']:.3f}), efficacy ratio "
          f"{m['efficacy_ratio']:.3f} ({ref['efficacy_ratio']:.3f}), DCR share {m['dcr_share']:.3f} (0.5 = no copying)")
    print(f"vaec: best strategy {best['strategy']}, test accuracy {best['accuracy']:.3f}")
    print(f"tabular report: {tab['report']}")
    print(f"vaec report:    {vaec.path / 'results.md'}")
    print(f"plots:          {run.path / 'tabular' / 'eval'} and {vaec.plots}")
    print(f"tensorboard:    tensorboard --logdir {run.path}")
    print(f"export:         {run.export} (tabular) and {vaec.export} (vaec)")
    return run
