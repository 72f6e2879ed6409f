"""Synthesizer training rows/s with 1 worker on one core and with 2 workers on one core each.

The script writes an Adult-like table (``--rows``, default 40,000; Parquet row groups of 2,000
rows, so each worker streams its own share of them; ``benchmarks/adult_like.py``) and fits
``Synthesizer(METHOD)`` on it with ``genlab.launch.launch``: first 1 worker pinned to core 0, then 2
workers pinned to cores 0 and 1 (``MultiWorkerMirroredStrategy`` on loopback, one replica per
worker), both with the same global batch (``--batch``, default 500), ``--repeats`` times in
alternation. Each worker scans the table and fits the encoder itself; the figure is the training
alone: ``rows / seconds per epoch`` over the epochs after the first (which traces the step),
measured by the chief.

Usage::

    python benchmarks/scaling.py [--rows 40000] [--epochs 3] [--batch 500] [--repeats 1] [--method tvae] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def worker(table: str, out: str, method: str, epochs: int, batch: int) -> None:
    """One worker of a launched fit (``TF_CONFIG`` set by the launcher); the chief writes ``out``."""
    from genlab.distribute import is_chief, worker_strategy

    strategy = worker_strategy()  # before TensorFlow runs any operation
    from tabular import Synthesizer

    synth = Synthesizer(method, epochs=epochs, batch_size=batch, seed=0, strategy=strategy).fit(table)
    if is_chief(strategy):
        Path(out).write_text(json.dumps({"seconds_per_epoch": synth.seconds_per_epoch_,
                                         "cpu_seconds_per_epoch": synth.cpu_seconds_per_epoch_,
                                         "replicas": int(strategy.num_replicas_in_sync)}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--method", default="tvae")
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", nargs=2, metavar=("TABLE", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, args.method, args.epochs, args.batch)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from adult_like import write_adult_like

    from genlab.launch import launch
    from genlab.runner import RunDir

    run = RunDir("bench_scaling", args.out)
    table = write_adult_like(run.path / "table.parquet", args.rows, seed=2, row_group=2000)
    speeds = {1: [], 2: []}
    for repeat in range(args.repeats):
        for workers, cores in ((1, [0]), (2, [0, 1])):
            out = run.path / f"w{workers}-{repeat}.json"
            command = ["python", os.path.abspath(__file__), "--worker", str(table), str(out), "--method", args.method,
                       "--epochs", str(args.epochs), "--batch", str(args.batch)]
            load = os.getloadavg()[0]
            start = time.perf_counter()
            codes = launch(command, workers, cores=cores, log_dir=run.path / f"logs-w{workers}-{repeat}",
                           env={"TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""})
            if codes != [0] * workers:
                print(f"{workers} workers failed with {codes}; logs in {run.path}", file=sys.stderr)
                return 1
            got = json.loads(out.read_text())
            speeds[workers].append(args.rows / got["seconds_per_epoch"])
            print(f"{workers} worker(s) on cores {cores}: {speeds[workers][-1]:,.0f} rows/s "
                  f"({got['seconds_per_epoch']:.1f} s/epoch, replicas {got['replicas']}, whole launch "
                  f"{time.perf_counter() - start:.0f} s, load average {load:.1f})", flush=True)
    one, two = statistics.median(speeds[1]), statistics.median(speeds[2])
    rows = [{"workers": w, "cores": w, "global_batch": args.batch, "rows_per_second": statistics.median(speeds[w]),
             "runs": len(speeds[w]), "ratio_to_one_worker": statistics.median(speeds[w]) / one} for w in (1, 2)]
    run.write_results(rows, f"Multi-worker scaling ({args.method}, {args.rows:,} rows, global batch {args.batch})")
    print(f"2 workers / 1 worker: {two / one:.2f}x ({two:,.0f} vs {one:,.0f} rows/s)")
    table.unlink()
    run.print_paths()
    return 0


if __name__ == "__main__":
    sys.exit(main())
