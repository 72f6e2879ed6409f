"""Quickstart: the VAEC breast-cancer study at small scale (2 seeds, 60 epochs; about a minute)."""

from __future__ import annotations

from genlab.runner import RunDir, RunOptions
from runs.vaec_breast_cancer import QUICK, StudySettings, run_study


def main(options: RunOptions) -> RunDir:
    return run_study(options, "quickstart", StudySettings.from_options(options, default=QUICK))
