"""Quickstart: the VAEC breast-cancer study at small scale (2 seeds, 60 epochs; minutes on a CPU)."""

from __future__ import annotations

from genlab.runner import RunDir, RunOptions
from runs.vaec_breast_cancer import StudySettings, run_study

#: Sizes of the quickstart: small enough for a laptop CPU in a few minutes.
QUICK = StudySettings(seeds=2, epochs=60, fresh_splits=0)


def main(options: RunOptions) -> RunDir:
    settings = StudySettings.from_options(options, quick_defaults=QUICK)
    if not options.quick:
        settings = StudySettings.from_options(RunOptions(quick=True, seeds=options.seeds,
                                                         epochs=options.epochs), QUICK)
    return run_study(options, "quickstart", settings)
