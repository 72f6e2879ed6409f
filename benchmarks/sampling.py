"""Sampling latency and throughput of a fitted synthesizer, in Python and from its SavedModel export.

Fits a synthesizer on the embedded Adult table (``--epochs``, default 5; a method counted in updates,
such as ``diffusion``, trains that many epochs' worth of 1,024-row updates: latency does not depend on
training length), saves and exports it, then in a fresh process (a user's session):

- ``Synthesizer.load`` seconds (it traces the graph sampler once) and the first ``sample`` call;
- median latency of ``sample(n)`` for n = 1, 100 and 10,000 (5 calls each), and of a conditional
  ``sample(100, {"income": ">50K"})``;
- rows per second for 10^6 rows, from Python and from the SavedModel (``tf.saved_model.load``,
  first call and a second call).

Usage::

    python benchmarks/sampling.py [--method tvae] [--epochs 5] [--rows 1000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

MEASURE = r'''
import json, statistics, sys, time
t0 = time.perf_counter()
from genlab.quiet import import_tensorflow
tf = import_tensorflow()
from tabular import Synthesizer
folder, export, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {"import_seconds": time.perf_counter() - t0}
t = time.perf_counter(); synth = Synthesizer.load(folder); out["load_seconds"] = time.perf_counter() - t
t = time.perf_counter(); synth.sample(1); out["first_sample_seconds"] = time.perf_counter() - t
for n in (1, 100, 10000):
    times = []
    for i in range(5):
        t = time.perf_counter(); synth.sample(n, seed=i); times.append(time.perf_counter() - t)
    out[f"sample_{n}_seconds"] = statistics.median(times)
times = []
for i in range(5):
    t = time.perf_counter(); synth.sample(100, conditions={"income": ">50K"}, seed=i); times.append(time.perf_counter() - t)
out["conditional_sample_100_seconds"] = statistics.median(times)
t = time.perf_counter(); synth.sample(rows, seed=1); out["python_rows_per_second"] = rows / (time.perf_counter() - t)
t = time.perf_counter(); model = tf.saved_model.load(export); out["export_load_seconds"] = time.perf_counter() - t
for label in ("first", "second"):
    t = time.perf_counter()
    result = model.sample(n=tf.constant(rows, tf.int64), seed=tf.constant(2, tf.int64))
    _ = {k: v.numpy() for k, v in result.items()}
    out[f"export_rows_per_second_{label}_call"] = rows / (time.perf_counter() - t)
t = time.perf_counter()
_ = model.sample(n=tf.constant(100, tf.int64), seed=tf.constant(3, tf.int64))
out["export_sample_100_seconds"] = time.perf_counter() - t
print("RESULT " + json.dumps(out))
'''


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="tvae")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    from genlab.runner import RunDir
    from tabular import Synthesizer, load_adult
    from tabular.synthesizers.base import budget_field

    run = RunDir("bench_sampling", args.out)
    start = time.perf_counter()
    table = load_adult()
    field = budget_field(args.method)  # "updates" for diffusion: --epochs epochs' worth of 1,024-row batches
    length = args.epochs if field == "epochs" else max(1, args.epochs * len(table) // 1024)
    synth = Synthesizer(args.method, seed=0, **{field: length}).fit(table)
    fit_seconds = time.perf_counter() - start
    synth.save(run.path / "model")
    synth.export(run.export)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(run.path / "model"), str(run.export), str(args.rows)],
                          capture_output=True, text=True, check=True)
    result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    result = {"method": args.method, "epochs": args.epochs, "fit_seconds": fit_seconds, **result}
    run.write_results([result], f"Sampling latency and throughput ({args.method}, Adult schema)")
    for key, value in result.items():
        print(f"{key:36s} {value:,.3f}" if isinstance(value, float) else f"{key:36s} {value}")
    run.print_paths()
    return 0


if __name__ == "__main__":
    sys.exit(main())
