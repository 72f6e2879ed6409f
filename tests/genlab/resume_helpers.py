"""What the VAEC and GAN resume tests share: run :mod:`tests.genlab.fit_resume_job` in a process
that kills itself, resume it in another, and compare with an uninterrupted fit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from genlab.checkpoint import finished_epochs


def job(family: str, checkpoint, out, kill: int | None = None) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "tests.genlab.fit_resume_job", family, str(checkpoint), str(out)]
    return subprocess.run(args + ([] if kill is None else [str(kill)]), capture_output=True, text=True, timeout=600)


def killed_then_resumed(tmp_path, family: str, kill: int, last_stage_dir):
    """Kill a fit in (0-based) epoch ``kill`` of its last stage, resume it, fit once more uninterrupted.

    Returns:
        ``(resumed, reference)``: the ``.npz`` of the resumed and of the uninterrupted process.
    """
    checkpoint = tmp_path / "ckpt"
    killed = job(family, checkpoint, tmp_path / "never.npz", kill)
    assert killed.returncode == -9, killed.stderr[-2000:]  # SIGKILL, in the middle of the epoch
    assert finished_epochs(last_stage_dir(checkpoint)) == kill  # the epochs before it were backed up
    for out, ckpt in (("resumed", checkpoint), ("reference", tmp_path / "fresh")):
        done = job(family, ckpt, tmp_path / f"{out}.npz")
        assert done.returncode == 0, done.stderr[-3000:]
    return np.load(tmp_path / "resumed.npz"), np.load(tmp_path / "reference.npz")


def assert_same_weights(a, b) -> None:
    names = sorted(k for k in a.files if k.startswith("w"))
    assert names == sorted(k for k in b.files if k.startswith("w"))
    for name in names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
