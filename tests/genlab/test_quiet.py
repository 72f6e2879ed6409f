"""TensorFlow's start-up chatter is filtered; `genlab list` answers without TensorFlow."""

import os
import subprocess
import sys

from genlab.quiet import NOISE


def test_known_start_up_lines_are_noise_and_others_are_kept():
    noise = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1796139162.127458   23349 cudart_stub.cc:31] Could not find cuda drivers on your machine",
        "E0000 00:00:1796139162.127458   23349 cuda_executor.cc:1228] failed call to cuInit: UNKNOWN ERROR (303)",
        "I0000 00:00:1796139450.763108    4624 port.cc:153] oneDNN custom operations are on.",
    ]
    kept = ["E0000 00:00:1796139162.127458   23349 op_kernel.cc:1857] OP_REQUIRES failed: out of memory",
            "Traceback (most recent call last):", "genlab: unknown run 'x'"]
    assert all(NOISE.match(line) for line in noise)
    assert not any(NOISE.match(line) for line in kept)


def test_list_does_not_import_tensorflow():
    code = ("import sys, genlab.cli; genlab.cli.main(['list']); "
            "sys.exit(1 if 'tensorflow' in sys.modules or 'keras' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "quickstart" in done.stdout


def test_synth_evaluate_prints_no_start_up_lines(tmp_path):
    # Catches a `genlab synth` command that imports TensorFlow before the filter (evaluate printed
    # cudart_stub / cuInit lines while fit, sample and export did not).
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.choice(["a", "b"], 60)})
    frame.to_csv(tmp_path / "real.csv", index=False)
    frame.sample(frac=1.0, random_state=1).to_csv(tmp_path / "synthetic.csv", index=False)
    code = ("import sys, genlab.cli; sys.exit(genlab.cli.main(['synth', 'evaluate', sys.argv[1], sys.argv[2], "
            "'--target', 'y', '--out', sys.argv[3]]))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell (conftest sets it)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "real.csv"), str(tmp_path / "synthetic.csv"),
                           str(tmp_path / "report")], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "detection AUC" in done.stdout
    assert not [line for line in done.stderr.splitlines() if NOISE.match(line)], done.stderr
