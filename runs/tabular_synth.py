"""genlab's synthesizers (TVAE default, CTGAN-style conditional GAN) on Adult and on a mixed-type table.

Protocol (``docs/tabular.md``): Adult's embedded ``adult.data``, ``?`` -> ``Unknown``, stratified
80/20 split with seed 42 (26,048 / 6,513 rows). Each method of :class:`tabular.Synthesizer`
trains on the training part and synthesizes as many rows as it; :func:`tabular.evaluate` scores
the rows (RandomForest(100) 4-fold detection AUC, logistic detection, efficacy and its ratio,
column shapes, column-pair trends, exact copies beside the real-vs-real rate, distance to closest
record). A real-vs-real row (the training part's two stratified halves) gives the ideal values.
Mean ± std over seeds; seconds per epoch are wall-clock (first, compiling epoch excluded).

The second table, ``loans`` (:func:`tabular.loans_table`), is built in code: 12,000 rows with integer,
float (2 decimals), categorical and boolean columns, missing values in a numeric and a
categorical column, a bimodal integer and a binary target ``default`` that depends on several
columns — a table the synthesizer never saw while it was developed. Its efficacy is measured on
its own stratified 80/20 split.

The run also exports the first Adult TVAE as a SavedModel (``export/``), reloads it with plain
TensorFlow and checks that it samples the Python rows and meets a condition.

``--quick``: 2,000 training rows per table, few epochs, one seed (a smoke test, not the protocol).
``--only`` picks tables and/or methods (``--only loans``, ``--only adult tvae``) so parts can run
in parallel processes.
CTGAN itself (the PyTorch reference) is compared in ``benchmarks/tabular_vs_ctgan.py``.
"""

from __future__ import annotations

import dataclasses
import json
import time

from sklearn.model_selection import train_test_split

from genlab.runner import RunDir, RunOptions, aggregate, with_options
from genlab.tensorboard import scalar_callback
from tabular import Synthesizer, evaluate, load_adult, loans_table

METRICS = ("detection_auc", "lr_detection_auc", "column_shapes", "column_pair_trends", "efficacy_synthetic_auc",
           "efficacy_real_auc", "efficacy_ratio", "exact_copy_rate", "exact_copy_rate_holdout",
           "dcr_synthetic_median", "dcr_holdout_median", "dcr_share", "seconds_per_epoch", "fit_seconds")


@dataclasses.dataclass(frozen=True)
class SynthSettings:
    """Sizes of the run; ``quick`` is a smoke test."""

    seeds: int = 3
    epochs: int = 300                       # TVAE epochs (the published default)
    gan_epochs: int = 50                    # conditional GAN epochs (slower per epoch)
    methods: tuple = ("tvae", "ctgan")
    tables: tuple = ("adult", "loans")
    train_rows: int | None = None           # subsample each training part (None: the protocol)

    @classmethod
    def from_options(cls, options: RunOptions) -> "SynthSettings":
        """Apply ``--quick``, ``--seeds``, ``--epochs`` (both methods) and ``--only`` (names of tables
        and/or methods, e.g. ``--only loans`` or ``--only adult tvae``)."""
        base = QUICK if options.quick else cls()
        settings = with_options(base, options, gan_epochs=options.epochs or base.gan_epochs)
        if options.only is None:
            return settings
        chosen = options.select(settings.tables + settings.methods)
        tables = tuple(t for t in settings.tables if t in chosen) or settings.tables
        methods = tuple(m for m in settings.methods if m in chosen) or settings.methods
        return dataclasses.replace(settings, tables=tables, methods=methods)


QUICK = SynthSettings(seeds=1, epochs=5, gan_epochs=2, train_rows=2000)


def _tables(settings: SynthSettings):
    """``{name: (train, test, target)}``."""
    sources = {"adult": (load_adult, "income"), "loans": (loans_table, "default")}
    out = {}
    for name in settings.tables:
        load, target = sources[name]
        frame = load()
        train, test = train_test_split(frame, test_size=0.2, stratify=frame[target], random_state=42)
        if settings.train_rows is not None and settings.train_rows < len(train):
            train, _ = train_test_split(train, train_size=settings.train_rows, stratify=train[target],
                                        random_state=0)
        out[name] = (train, test, target)
    return out


def main(options: RunOptions) -> RunDir:
    settings = SynthSettings.from_options(options)
    run = RunDir("tabular_synth", options.out)
    records, export_note = [], ""
    for table, (train, test, target) in _tables(settings).items():
        print(f"{table}: train {len(train)} rows, test {len(test)} rows", flush=True)
        half_a, half_b = train_test_split(train, test_size=0.5, stratify=train[target], random_state=0)
        ref = evaluate(half_a, test, half_b, target=target)
        records.append({"table": table, "model": "real_vs_real", "seed": 0, **ref.metrics})
        for method in settings.methods:
            epochs = settings.epochs if method == "tvae" else settings.gan_epochs
            for seed in range(settings.seeds):
                start = time.perf_counter()
                log = run.tensorboard / table / method / f"seed{seed}"
                synth = Synthesizer(method, epochs=epochs, seed=seed).fit(train, callbacks=[scalar_callback(log)])
                fit_seconds = time.perf_counter() - start
                synthetic = synth.sample(len(train), seed=seed)
                out = run.path / "eval" / f"{table}-{method}-seed{seed}" if seed == 0 else None
                result = evaluate(train, test, synthetic, target=target, seed=seed, out_dir=out,
                                  title=f"{table}, {method}, seed {seed}")
                row = {"table": table, "model": method, "seed": seed, **result.metrics, "epochs": epochs,
                       "seconds_per_epoch": synth.seconds_per_epoch_, "fit_seconds": fit_seconds}
                records.append(row)
                print(f"  {table} {method} seed {seed}: detection {row['detection_auc']:.4f} "
                      f"lr {row['lr_detection_auc']:.4f} shapes {row['column_shapes']:.4f} "
                      f"trends {row['column_pair_trends']:.4f} efficacy {row['efficacy_ratio']:.4f} "
                      f"({synth.seconds_per_epoch_:.2f} s/epoch)", flush=True)
                if table == "adult" and method == "tvae" and seed == 0:
                    export_note = synth.check_export(synth.export(run.export))
                    print(export_note, flush=True)
    table_rows = aggregate(records, ["table", "model"], list(METRICS))
    sub = "" if settings.train_rows is None else f" (training parts subsampled to {settings.train_rows} rows)"
    notes = (f"Adult: protocol split; loans: 12,000 built rows, stratified 80/20 split{sub}. "
             f"{settings.seeds} seed(s); TVAE {settings.epochs} "
             f"epochs, conditional GAN {settings.gan_epochs} epochs, batch 500. Missing values enter the "
             "evaluation as a -1 marker (numbers) or 'Missing' (categories), for real and synthetic rows alike.\n"
             f"{export_note}\n"
             "CTGAN (PyTorch) side by side: `benchmarks/tabular_vs_ctgan.py`."
             + ("\n\n**--quick smoke run: not the protocol's numbers.**" if options.quick else ""))
    columns = ["table", "model"] + list(METRICS) + ["n_seeds"]
    run.write_results(table_rows, "genlab synthesizer on Adult and a mixed-type table", columns, notes)
    (run.path / "records.json").write_text(json.dumps(records, indent=2, default=str) + "\n")
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
