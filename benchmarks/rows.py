"""Fit speed and peak memory of a synthesizer streamed from Parquet tables of growing size.

For every size (default 10^5 and 10^6 rows; add 10^7 with ``--sizes 100000,1000000,10000000``)
the script writes an Adult-like table (``benchmarks/adult_like.py``, row groups of 100,000 rows)
and fits ``Synthesizer(METHOD).fit(path)`` on it in a fresh process, so that each size's peak
resident memory (``ru_maxrss``) is its own. It reports, per size:

- ``fit_seconds``: the whole ``fit`` (one streaming pass for the statistics and the sample, the
  encoder fitted on the sample, training, the sampler traced);
- ``epoch_seconds`` and ``rows_per_second``: the training epochs alone (the first epoch, which
  traces the training step, left out when there are several); ``rows_per_cpu_second`` the same per
  second of the process's CPU time (all its threads), the figure that compares sizes measured
  while other jobs share the machine;
- ``peak_rss_mb``: the process's peak resident memory.

Usage::

    python benchmarks/rows.py [--sizes 100000,1000000] [--epochs 1] [--method tvae] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

FIT = r'''
import json, resource, sys, time
import keras
from genlab.quiet import import_tensorflow
import_tensorflow()
from tabular import Synthesizer

path, method, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
marks = {}

class Marks(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        marks.setdefault("begin", []).append((time.perf_counter(), time.process_time()))
    def on_epoch_end(self, epoch, logs=None):
        marks.setdefault("end", []).append((time.perf_counter(), time.process_time()))

start = time.perf_counter()
synth = Synthesizer(method, epochs=epochs, seed=0).fit(path, callbacks=[Marks()])
fit_seconds = time.perf_counter() - start
times = [e[0] - b[0] for b, e in zip(marks["begin"], marks["end"])]
cpu = [e[1] - b[1] for b, e in zip(marks["begin"], marks["end"])]
kept, kept_cpu = (times[1:], cpu[1:]) if len(times) > 1 else (times, cpu)
print("RESULT " + json.dumps({"fit_seconds": fit_seconds, "epoch_seconds": sum(kept) / len(kept),
                              "epoch_cpu_seconds": sum(kept_cpu) / len(kept_cpu), "first_epoch_seconds": times[0],
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--method", default="tvae")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from adult_like import write_adult_like

    from genlab.runner import RunDir

    run = RunDir("bench_rows", args.out)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        path = write_adult_like(run.path / f"adult_like_{size}.parquet", size, seed=0)
        write_seconds = time.perf_counter() - start
        done = subprocess.run([sys.executable, "-c", FIT, str(path), args.method, str(args.epochs)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
        result = {"rows": size, "method": args.method, "epochs": args.epochs, "write_seconds": write_seconds,
                  **result, "rows_per_second": size / result["epoch_seconds"],
                  "rows_per_cpu_second": size / result["epoch_cpu_seconds"]}
        results.append(result)
        path.unlink()  # the tables are large; the figures are kept
        print(json.dumps(result), flush=True)
    base = results[0]
    for r in results:
        r["rss_vs_smallest"] = r["peak_rss_mb"] / base["peak_rss_mb"]
        r["rows_per_second_vs_smallest"] = r["rows_per_second"] / base["rows_per_second"]
        r["rows_per_cpu_second_vs_smallest"] = r["rows_per_cpu_second"] / base["rows_per_cpu_second"]
    run.write_results(results, f"Fit from Parquet: rows/s and peak memory by table size ({args.method})")
    for r in results:
        print(f"{r['rows']:>10,} rows  fit {r['fit_seconds']:8.1f} s  epoch {r['epoch_seconds']:8.1f} s  "
              f"{r['rows_per_second']:9,.0f} rows/s ({r['rows_per_second_vs_smallest']:.2f}x)  "
              f"{r['rows_per_cpu_second']:9,.0f} rows/CPU s ({r['rows_per_cpu_second_vs_smallest']:.2f}x)  "
              f"peak RSS {r['peak_rss_mb']:7,.0f} MB ({r['rss_vs_smallest']:.2f}x)")
    run.print_paths()
    return 0


if __name__ == "__main__":
    sys.exit(main())
