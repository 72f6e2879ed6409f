"""``genlab synth``: synthetic data from a CSV or Parquet file, without writing a script.

::

    genlab synth fit data.csv --out model/ [--epochs N] [--method NAME] [--seed S] [--type COL=KIND ...]
                     [--checkpoint-dir DIR]
    genlab synth sample model/ -n 10000 -o synthetic.csv [--where "income=>50K"] [--where "age=30..40"] [--seed S]
    genlab synth evaluate data.csv synthetic.csv --target COLUMN --out report/ [--test test.csv]
    genlab synth export model/ exported/

``fit`` takes one file, a glob pattern (quoted) or a directory of tables; methods that stream
(``tvae``, ``ctgan``) read it in chunks without holding it in memory. With ``--checkpoint-dir``
a killed fit started again with the same arguments resumes after its last finished epoch. Under
``genlab launch --workers N -- genlab synth fit ...`` every worker trains its share of each
global batch (``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``) and the chief alone saves.

Every error is one line naming the problem and the fix, with exit code 2; outputs are written
in one rename each, so a failed command leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    """Add ``synth`` and its four commands to the ``genlab`` parser."""
    synth = subparsers.add_parser("synth", help="fit, sample, evaluate and export synthesizers on CSV / Parquet files",
                                  description=__doc__.splitlines()[0])
    sub = synth.add_subparsers(dest="synth_command", required=True)
    fit = sub.add_parser("fit", help="fit a synthesizer on a table and save it")
    fit.add_argument("data", help="training table: a .csv or .parquet file, a glob pattern or a directory")
    fit.add_argument("--out", required=True, help="folder to save the synthesizer in")
    fit.add_argument("--method", default="tvae", help="synthesis method (default tvae; see tabular.methods())")
    fit.add_argument("--epochs", type=int, help="training epochs (default: the method's)")
    fit.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    fit.add_argument("--type", action="append", default=[], metavar="COLUMN=KIND",
                     help="declare a column's kind (continuous, integer, categorical, boolean); repeatable")
    fit.add_argument("--checkpoint-dir", help="folder of resumable state: a killed fit run again resumes there")
    sample = sub.add_parser("sample", help="draw rows from a saved synthesizer")
    sample.add_argument("model", help="folder written by 'genlab synth fit'")
    sample.add_argument("-n", type=int, required=True, help="rows to draw")
    sample.add_argument("-o", "--output", required=True, help="output table (.csv or .parquet)")
    sample.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                        help="a condition every row meets: COLUMN=VALUE for a category, COLUMN=LOW..HIGH for a "
                             "numeric range; repeat a column for several categories")
    sample.add_argument("--seed", type=int, help="sampling seed (default: the synthesizer's)")
    evaluate = sub.add_parser("evaluate", help="score a synthetic table against the real one")
    evaluate.add_argument("real", help="the real table the synthesizer learned")
    evaluate.add_argument("synthetic", help="the synthetic table")
    evaluate.add_argument("--target", required=True, help="label column for the efficacy scores")
    evaluate.add_argument("--out", required=True, help="folder for report.md, metrics.json and figures")
    evaluate.add_argument("--test", help="real rows the synthesizer never saw; without it, 20 %% of the real "
                                         "table are held out (stratified, seed 0)")
    export = sub.add_parser("export", help="write a SavedModel that samples rows with plain TensorFlow")
    export.add_argument("model", help="folder written by 'genlab synth fit'")
    export.add_argument("out", help="new or empty folder for the SavedModel")


def parse_conditions(items, columns) -> dict:
    """``["income=>50K", "age=30..40", "city=Oslo", "city=Perth"]`` -> conditions for ``sample``.

    Raises:
        InvalidValueError: An item without ``=``, or a malformed range.
    """
    from genlab.errors import InvalidValueError

    out: dict = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column:
            raise InvalidValueError(f"--where {item!r} is not COLUMN=VALUE; e.g. --where 'income=>50K'")
        if ".." in value and column in columns:
            low, _, high = value.partition("..")
            try:
                out[column] = (float(low) if low else None, float(high) if high else None)
            except ValueError as exc:
                raise InvalidValueError(f"--where {item!r}: a range is LOW..HIGH with numbers, e.g. age=30..40") from exc
            continue
        previous = out.get(column)
        out[column] = value if previous is None else (previous if isinstance(previous, list) else [previous]) + [value]
    return out


def run(args) -> int:
    """Carry out one ``genlab synth`` command."""
    from genlab.quiet import device_summary, import_tensorflow

    command = args.synth_command
    strategy = None
    if command == "fit":
        from genlab.distribute import worker_strategy

        strategy = worker_strategy()  # under TF_CONFIG; before TensorFlow runs any operation
    if command in ("fit", "sample", "export"):
        print(f"genlab: {device_summary()}", flush=True)
    else:  # TensorFlow is imported below all the same: without its start-up lines
        import_tensorflow()
    from tabular.data.files import read_table, write_table
    from tabular.synthesizers import Synthesizer

    if command == "fit":
        from genlab.progress import EpochBar

        from genlab.distribute import is_chief
        from tabular.data.files import TableSource

        source = TableSource(args.data)  # checks every file before anything is trained or written
        types = dict(item.partition("=")[::2] for item in args.type)
        overrides = {} if args.epochs is None else {"epochs": args.epochs}
        synth = Synthesizer(args.method, column_types=types, seed=args.seed, strategy=strategy, **overrides)
        synth.fit(args.data, callbacks=[EpochBar(f"fit {args.method}")], checkpoint_dir=args.checkpoint_dir)
        if not is_chief(strategy):
            return 0  # the chief saves
        path = synth.save(args.out)
        rows = "" if source.rows is None else f"{source.rows} rows, "  # CSV files: not counted twice
        epochs = len(next(iter(synth.history_.values())))  # the epochs trained (a method may set them by the table)
        print(f"saved: {path} ({rows}{len(source.columns)} columns, {epochs} epochs, "
              f"{synth.seconds_per_epoch_:.2f} s/epoch)")
    elif command == "sample":
        synth = Synthesizer.load(args.model)
        conditions = parse_conditions(args.where, synth.encoder_.columns_)
        rows = synth.sample(args.n, conditions=conditions or None, seed=args.seed)
        print(f"wrote: {write_table(rows, args.output)} ({len(rows)} rows)")
    elif command == "evaluate":
        from sklearn.model_selection import train_test_split

        from tabular.evaluation import evaluate

        real, synthetic = read_table(args.real), read_table(args.synthetic)
        if args.test:
            train, test = real, read_table(args.test)
        else:
            train, test = train_test_split(real, test_size=0.2, stratify=real.get(args.target), random_state=0)
            print("held out 20 % of the real table as the test part (efficacy and DCR share assume the "
                  "synthesizer never saw it; give --test otherwise)")
        result = evaluate(train, test, synthetic[[c for c in train.columns if c in synthetic.columns]],
                          target=args.target, out_dir=args.out)
        m = result.metrics
        print(f"detection AUC {m['detection_auc']:.3f} (0.5 ideal), logistic {m['lr_detection_auc']:.3f}, "
              f"shapes {m['column_shapes']:.3f}, trends {m['column_pair_trends']:.3f}, efficacy ratio "
              f"{m['efficacy_ratio']:.3f}, DCR share {m['dcr_share']:.3f} (0.5 ideal)")
        print(f"report: {result.files[0]}")
    else:
        synth = Synthesizer.load(args.model)
        path = synth.export(args.out)
        print(f"exported: {path}  ({synth.check_export(path, n=200)})")
    return 0


def main(argv=None) -> int:
    """``genlab synth ...`` on its own (the ``genlab`` command dispatches here)."""
    parser = argparse.ArgumentParser(prog="genlab")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["synth", *(argv or [])]))
