"""TensorFlow's start-up chatter is filtered; `genlab list` answers without TensorFlow."""

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
