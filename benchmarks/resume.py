"""A synthesizer fit killed with SIGKILL in the middle of an epoch, started again, beside an uninterrupted fit.

The script writes an Adult-like table (``--rows``, default 20,000, Parquet row groups of 2,000
rows; ``benchmarks/adult_like.py``) and runs three fits of ``Synthesizer(METHOD, epochs=EPOCHS)``
on it, each in its own process, all with ``genlab.seeding.set_seed(0, deterministic=True)``:

1. uninterrupted, without a checkpoint;
2. with ``checkpoint_dir``, killed by this script with ``SIGKILL`` half an epoch after the backup
   of epoch ``--kill-after`` was written (nothing of the fit runs after the signal);
3. the same command as 2, started again: it resumes after the last finished epoch.

It reports, for the uninterrupted and the resumed fit: the epochs each process trained, the
last epoch's loss, the largest weight difference between the two, and the column-shape score
(KS / TV complement, ``tabular.evaluation``) of 5,000 sampled rows against the table.

Usage::

    python benchmarks/resume.py [--rows 20000] [--epochs 6] [--kill-after 3] [--method tvae] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

FIT = r'''
import json, sys
import keras, numpy as np
from genlab.quiet import import_tensorflow
import_tensorflow()
from genlab.seeding import set_seed
from tabular import Synthesizer
from tabular.data.files import read_table
from tabular.evaluation.metrics import column_shapes

path, method, epochs, checkpoint, weights = sys.argv[1:6]
set_seed(0, deterministic=True)
ran = []

class Epochs(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        ran.append(epoch)
        print(f"EPOCH {epoch}", flush=True)

synth = Synthesizer(method, epochs=int(epochs), seed=0).fit(
    path, callbacks=[Epochs()], checkpoint_dir=None if checkpoint == "-" else checkpoint)
np.savez(weights, *synth.model_.get_weights())
real = read_table(path).iloc[:5000]
rows = synth.sample(5000, seed=1)
continuous = [c for c in real.columns if real[c].dtype.kind in "if"]
shapes = float(column_shapes(real, rows, continuous)["score"].mean())
loss = {k: v[-1] for k, v in synth.history_.items()}
print("RESULT " + json.dumps({"epochs_trained": ran, "epochs_in_history": len(synth.history_["loss"]),
                              "last_loss": loss["loss"], "column_shapes": shapes}), flush=True)
'''


def fit_command(table: Path, method: str, epochs: int, checkpoint: Path | None, weights: Path) -> list[str]:
    return [sys.executable, "-c", FIT, str(table), method, str(epochs), str(checkpoint or "-"), str(weights)]


def result(stdout: str) -> dict:
    return json.loads(next(line for line in stdout.splitlines() if line.startswith("RESULT "))[7:])


def run_timed(command: list) -> tuple:
    """Run ``command``; return the completed process and its wall-clock seconds (stderr's tail printed on failure)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
    return done, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--kill-after", type=int, default=3, help="kill half an epoch after this many finished epochs")
    parser.add_argument("--method", default="tvae")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np
    from adult_like import write_adult_like

    from genlab.checkpoint import STATE_FILE, finished_epochs
    from genlab.runner import RunDir

    run = RunDir("bench_resume", args.out)
    table = write_adult_like(run.path / "table.parquet", args.rows, seed=1, row_group=2000)
    checkpoint = run.path / "checkpoint"

    plain, plain_seconds = run_timed(fit_command(table, args.method, args.epochs, None, run.path / "plain.npz"))
    if plain.returncode:
        return 1

    # The fit to kill: wait for the backups of epochs kill_after - 1 and kill_after, then half an epoch.
    victim = subprocess.Popen(fit_command(table, args.method, args.epochs, checkpoint, run.path / "killed.npz"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state, stamps = checkpoint / "train" / STATE_FILE, {}
    while victim.poll() is None:
        done = finished_epochs(checkpoint / "train") if state.exists() else 0
        stamps.setdefault(done, time.monotonic())
        if done >= args.kill_after:
            epoch_seconds = stamps[done] - stamps.get(done - 1, stamps[min(stamps)])
            time.sleep(epoch_seconds / 2)
            os.kill(victim.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    code = victim.wait()
    killed_at = finished_epochs(checkpoint / "train")
    if code != -signal.SIGKILL:
        print(f"the fit ended by itself (code {code}) before it was killed; use a larger --epochs", file=sys.stderr)
        return 1

    resumed, resumed_seconds = run_timed(fit_command(table, args.method, args.epochs, checkpoint,
                                                     run.path / "resumed.npz"))
    if resumed.returncode:
        return 1

    a, b = np.load(run.path / "plain.npz"), np.load(run.path / "resumed.npz")
    diff = max(float(np.max(np.abs(a[k] - b[k]))) for k in a.files)
    rows = [{"fit": "uninterrupted", "seconds": plain_seconds, **result(plain.stdout)},
            {"fit": f"SIGKILL after {killed_at} epochs, resumed", "seconds": resumed_seconds,
             **result(resumed.stdout)}]
    for r in rows:
        r["epochs_trained"] = ",".join(str(e) for e in r["epochs_trained"])
        r["max_weight_difference"] = diff
    run.write_results(rows, f"Resume after SIGKILL ({args.method}, {args.rows:,} rows, {args.epochs} epochs)")
    for r in rows:
        print(f"{r['fit']:40s} epochs trained [{r['epochs_trained']}] of {r['epochs_in_history']}, last loss "
              f"{r['last_loss']:.6f}, column shapes {r['column_shapes']:.4f}, {r['seconds']:.0f} s")
    print(f"largest weight difference, resumed vs uninterrupted: {diff:.3g}")
    table.unlink()
    run.print_paths()
    return 0


if __name__ == "__main__":
    sys.exit(main())
