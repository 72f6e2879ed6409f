"""Quickstart: the VAEC breast-cancer study and the tabular Adult study at small scale (a few minutes).

Part 1 is ``vaec_breast_cancer`` at its ``--quick`` sizes (2 seeds, 60 epochs), written to the run
directory itself. Part 2 is a short ``tabular_adult``: the conditional GAN and the autoencoder +
least-squares GAN on 4,000 Adult training rows, 5 epochs, one seed, no augmentation, evaluated
with the full suite and written to ``<run dir>/tabular_adult/``. ``--epochs`` and ``--seeds``
apply to both parts. Neither part's numbers are the protocol's: the full studies are
``genlab run vaec_breast_cancer`` and ``genlab run tabular_adult``.
"""

from __future__ import annotations

import dataclasses

from genlab.runner import RunDir, RunOptions
from runs import tabular_adult
from runs.vaec_breast_cancer import QUICK, StudySettings, run_study

#: Models of the tabular part: the study's conditional GAN and its autoencoder + GAN.
TABULAR_MODELS = ("cgan", "ae_gan")


def main(options: RunOptions) -> RunDir:
    run = run_study(options, "quickstart", StudySettings.from_options(options, default=QUICK))
    tabular_options = dataclasses.replace(options, out=str(run.path / "tabular_adult"), only=TABULAR_MODELS)
    settings = tabular_adult.StudySettings.from_options(tabular_options, default=tabular_adult.QUICKSTART)
    tabular = tabular_adult.run_study(tabular_options, "quickstart_tabular", settings)
    print("\nVAEC on breast cancer:")
    run.print_paths()
    print("\nTabular GANs on Adult:")
    tabular.print_paths()
    return run
