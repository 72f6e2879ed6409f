"""What the VAEC and GAN resume tests share: run :mod:`tests.genlab.fit_resume_job` in a process
that kills itself, resume it in another, and compare with an uninterrupted fit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from genlab.checkpoint import finished_epochs


class Job:
    """One run of :mod:`tests.genlab.fit_resume_job` in its own process, started at once."""

    def __init__(self, family: str, checkpoint, out, kill: int | None = None):
        args = [sys.executable, "-m", "tests.genlab.fit_resume_job", family, str(checkpoint), str(out)]
        self.process = subprocess.Popen(args + ([] if kill is None else [str(kill)]), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

    def wait(self) -> tuple[int, str]:
        """``(returncode, stderr)`` once the process has ended."""
        try:
            _, stderr = self.process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode, stderr


def killed_then_resumed(tmp_path, family: str, kill: int, last_stage_dir):
    """Kill a fit in (0-based) epoch ``kill`` of its last stage, resume it, fit once more uninterrupted.

    The uninterrupted fit runs in its own process (its own checkpoint folder), alongside the killed
    one: the processes share nothing but the machine.

    Returns:
        ``(resumed, reference)``: the ``.npz`` of the resumed and of the uninterrupted process.
    """
    checkpoint = tmp_path / "ckpt"
    reference = Job(family, tmp_path / "fresh", tmp_path / "reference.npz")
    try:
        code, stderr = Job(family, checkpoint, tmp_path / "never.npz", kill).wait()
        assert code == -9, stderr[-2000:]  # SIGKILL, in the middle of the epoch
        assert finished_epochs(last_stage_dir(checkpoint)) == kill  # the epochs before it were backed up
        code, stderr = Job(family, checkpoint, tmp_path / "resumed.npz").wait()
        assert code == 0, stderr[-3000:]
    finally:
        code, stderr = reference.wait()
    assert code == 0, stderr[-3000:]
    return np.load(tmp_path / "resumed.npz"), np.load(tmp_path / "reference.npz")


def assert_same_weights(a, b) -> None:
    names = sorted(k for k in a.files if k.startswith("w"))
    assert names == sorted(k for k in b.files if k.startswith("w"))
    for name in names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
