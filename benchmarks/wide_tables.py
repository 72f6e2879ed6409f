"""Memory and speed on wide tables with a high-cardinality column.

Builds tables of 10^4 - 10^6 rows with 20 - 100 columns (half continuous, a quarter integer, a
quarter categorical with 3 - 12 categories) and one column of 10^3 - 10^5 categories (every
category at least once, then Zipf-like frequencies), fits a synthesizer (TVAE by default, the
wide column declared ``high_cardinality``: its 200 most frequent categories kept, the tail as one
bucket; declared because when rows and categories are equal every category occurs once, and
detection rightly takes such a column for a key) and prints, per size:

- fit seconds per epoch (the compiling first epoch excluded) and the whole fit's seconds;
- sampling rows per second (``sample(n)``, after the warm-up ``fit`` does);
- peak resident memory of the process (each size runs in a fresh process), and the model width.

``--categorical`` adds the same sizes with the wide column declared plain ``categorical`` (one-hot
over every category, as CTGAN does), to show what the tail bucket saves; sizes whose one-hot
encoding alone would need more than ``--max-onehot-gb`` are skipped and reported as such.

Usage::

    python benchmarks/wide_tables.py [--sizes 1e4x20x1e3,1e5x20x1e5,...] [--epochs 2] [--categorical]
                                     [--sample 20000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

#: Default sizes: rows x columns x categories.
SIZES = ("1e4x20x1e3", "1e5x20x1e3", "1e5x20x1e4", "1e5x20x1e5", "1e5x100x1e4", "1e6x20x1e5")


def wide_table(rows: int, columns: int, categories: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` x ``columns`` with one ``categories``-valued column ``wide`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    data = {}
    n_cont, n_int = columns // 2, columns // 4
    n_cat = columns - 1 - n_cont - n_int
    shared = rng.normal(size=rows)
    for j in range(n_cont):
        data[f"x{j}"] = np.round(0.6 * shared + rng.normal(size=rows) * (1 + j % 3), 3)
    for j in range(n_int):
        data[f"n{j}"] = rng.poisson(2 + j % 7, rows) + (shared > 0) * (j % 5)
    for j in range(n_cat):
        k = 3 + j % 10
        data[f"c{j}"] = np.asarray([f"v{i}" for i in range(k)], dtype=object)[
            np.minimum((np.abs(shared + rng.normal(size=rows)) * k / 3).astype(int), k - 1)]
    seen = min(categories, rows)
    ranks = np.arange(categories)
    weights = 1.0 / (ranks + 10.0) ** 1.1
    codes = np.concatenate([rng.permutation(categories)[:seen],
                            rng.choice(categories, rows - seen, p=weights / weights.sum())])
    rng.shuffle(codes)
    data["wide"] = np.asarray([f"w{i:06d}" for i in range(categories)], dtype=object)[codes]
    return pd.DataFrame(data)


def parse_size(text: str) -> tuple[int, int, int]:
    rows, columns, categories = (int(float(p)) for p in text.lower().split("x"))
    return rows, columns, categories


def measure(size: str, method: str, epochs: int, sample: int, declared: bool) -> dict:
    """Fit and sample one size in this process; the peak memory is this process's."""
    from tabular import Synthesizer

    rows, columns, categories = parse_size(size)
    start = time.perf_counter()
    frame = wide_table(rows, columns, categories)
    build = time.perf_counter() - start
    types = {"wide": "categorical" if declared else "high_cardinality"}
    start = time.perf_counter()
    synth = Synthesizer(method, epochs=epochs, column_types=types).fit(frame)
    fit = time.perf_counter() - start
    n = min(sample, rows)
    start = time.perf_counter()
    out = synth.sample(n, seed=1)
    rate = n / (time.perf_counter() - start)
    return {"size": size, "rows": rows, "columns": columns, "categories": categories,
            "wide_column": "categorical (one-hot)" if declared else synth.table_.kind("wide"),
            "model_width": synth.encoder_.output_width_, "build_seconds": round(build, 1),
            "fit_seconds": round(fit, 1), "seconds_per_epoch": round(synth.seconds_per_epoch_, 2),
            "sample_rows_per_second": round(rate), "sampled_wide_categories": int(out["wide"].nunique()),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated ROWSxCOLUMNSxCATEGORIES")
    parser.add_argument("--method", default="tvae")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=20000, help="rows sampled to time sampling")
    parser.add_argument("--categorical", action="store_true", help="also declare the wide column categorical")
    parser.add_argument("--max-onehot-gb", type=float, default=4.0)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: measure one size here
    parser.add_argument("--declared", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.method, args.epochs, args.sample, args.declared)), flush=True)
        return 0

    from genlab.runner import RunDir

    run = RunDir("bench_wide_tables", args.out)
    records = []
    jobs = [(s, False) for s in args.sizes.split(",")] + ([(s, True) for s in args.sizes.split(",")]
                                                        if args.categorical else [])
    for size, declared in jobs:
        rows, _, categories = parse_size(size)
        if declared and rows * categories * 4 / 1e9 > args.max_onehot_gb:
            record = {"size": size, "wide_column": "categorical (one-hot)",
                      "skipped": f"the one-hot block alone needs {rows * categories * 4 / 1e9:.0f} GB"}
        else:
            cmd = [sys.executable, __file__, "--one", size, "--method", args.method, "--epochs", str(args.epochs),
                   "--sample", str(args.sample)] + (["--declared"] if declared else [])
            done = subprocess.run(cmd, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            record = json.loads(lines[-1]) if done.returncode == 0 and lines else {
                "size": size, "wide_column": "categorical (one-hot)" if declared else "detected",
                "failed": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
        records.append(record)
        print(json.dumps(record), flush=True)
        (run.path / "records.json").write_text(json.dumps(records, indent=2) + "\n")
    run.report(records, "Memory and speed on wide tables",
                      notes=f"method {args.method}, {args.epochs} epochs (seconds per epoch exclude the first), "
                            f"{args.sample} rows sampled; peak RSS of a fresh process per size.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
