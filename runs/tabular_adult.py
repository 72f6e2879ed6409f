"""Tabular GAN, cGAN and autoencoder+GAN on UCI Adult, with and without augmentation, evaluated.

Models: the synthesizer methods ``gan``, ``cgan`` (conditioned on ``income``), ``ae_gan`` (the
study's least-squares GAN on autoencoder codes) and ``ae_wgan_gp`` (a WGAN-GP on the same codes);
``--only`` picks some of them.

Protocol (``docs/tabular.md``): ``adult.data`` (embedded copy), ``?`` -> ``Unknown``, stratified
80/20 split with seed 42 (26,048 / 6,513 rows). Each model trains on the training part — as is,
after noisy random oversampling of the minority class, or after SMOTENC — and synthesizes as
many rows as the training part (the cGAN with the real training part's class counts). Every
synthetic set is scored by :func:`tabular.evaluate`: RandomForest(100) detection (4-fold CV ROC
AUC, real train vs synthetic), efficacy (RandomForest on synthetic vs on real, ROC AUC on the
real test part, and their ratio), logistic detection, column shapes, pair trends, exact copies
and distance to closest record. A real-vs-real row (the training part's two stratified halves)
shows the ideal values. Mean ± std over seeds.

``--quick`` is a smoke test: 4,000 training rows, few epochs, one seed; its numbers are not the
protocol's.

Resumes: started again with the same ``--out`` (and the same ``--seeds`` / ``--epochs`` /
``--quick``) after a kill, it keeps the rows of every (model, augmentation, seed) that finished
(``parts/``) and resumes the fit in progress from its last finished epoch
(``checkpoints/<model>-<augmentation>-seed<k>/``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.progress import EveryNEpochs
from genlab.runner import RunDir, RunOptions, aggregate, with_options
from genlab.tensorboard import scalar_callback
from tabular import (AEGANConfig, AEWGANGPConfig, CGANConfig, GANConfig, Synthesizer, TabularDataset, evaluate,
                     load_adult, noisy_oversample, smote_balance)

#: ``ae_gan`` is the study's least-squares GAN on autoencoder codes; ``ae_wgan_gp`` the WGAN-GP one.
MODELS = ("gan", "cgan", "ae_gan", "ae_wgan_gp")
AUGMENTATIONS = ("none", "noisy_oversample", "smote")
TARGET = "income"
#: Figures of the original study, the floor the models must reach.
STUDY_FIGURES = {"gan": {"detection_auc": 1.00, "efficacy_ratio": 0.56},
                 "cgan": {"detection_auc": 1.00, "efficacy_ratio": 0.63}}
METRICS = ("detection_auc", "efficacy_synthetic_auc", "efficacy_real_auc", "efficacy_ratio",
           "lr_detection_auc", "column_shapes", "column_pair_trends", "exact_copy_rate",
           "dcr_synthetic_median", "dcr_holdout_median", "dcr_share", "epochs_run", "seconds")


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """Sizes of the study; ``quick`` is a smoke test."""

    seeds: int = 3
    epochs: int = 100          # GAN / latent GAN epochs (early stopping may end sooner)
    ae_epochs: int = 100
    warmup: int = 20
    patience: int = 15
    train_rows: int | None = None  # subsample of the training part (None: all, the protocol)
    augmentations: tuple[str, ...] = AUGMENTATIONS

    @classmethod
    def from_options(cls, options: RunOptions, default: "StudySettings | None" = None) -> "StudySettings":
        """``default`` (or the full / ``--quick`` sizes) with ``--seeds`` and ``--epochs`` applied;
        ``--epochs`` sets the autoencoder's epochs too."""
        base = default or (QUICK if options.quick else cls())
        return with_options(base, options, ae_epochs=options.epochs or base.ae_epochs)

    def config(self, model: str):
        """The method's config at these sizes."""
        if model in ("gan", "cgan"):
            extra = {"condition_column": TARGET} if model == "cgan" else {}
            cls = CGANConfig if model == "cgan" else GANConfig
            return cls(epochs=self.epochs, warmup=self.warmup, patience=self.patience, **extra)
        cls = AEWGANGPConfig if model == "ae_wgan_gp" else AEGANConfig
        return cls(epochs=self.epochs, ae_epochs=self.ae_epochs)


QUICK = StudySettings(seeds=1, epochs=4, ae_epochs=4, warmup=1, patience=2, train_rows=4000)
#: Sizes of the quickstart's tabular part (which picks the models): one seed, no augmentation.


def training_frame(augmentation: str, train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The training part as is, or balanced by noisy oversampling (jitter 0.05) or SMOTENC."""
    if augmentation == "none":
        return train
    if augmentation == "noisy_oversample":
        return noisy_oversample(train, TARGET, noise=0.05, seed=seed).frame
    return smote_balance(train, TARGET, seed=seed).frame


def part_name(model: str, augmentation: str, seed: int) -> str:
    """The name of one fit in the run directory (its record and checkpoint folder)."""
    return f"{model}-{augmentation}-seed{seed}"


def fit_synthesizer(model: str, augmentation: str, train: pd.DataFrame, seed: int, settings: StudySettings,
                    run: RunDir) -> Synthesizer:
    """Fit one synthesizer, resumable in the run's checkpoint folder (a finished fit is loaded)."""
    log = run.tensorboard / model / augmentation / f"seed{seed}"
    label = f"{model} {augmentation} seed {seed}"
    synth = Synthesizer(model, settings.config(model), seed=seed)
    return synth.fit(training_frame(augmentation, train, seed), callbacks=[scalar_callback(log), EveryNEpochs(25, label)],
                     checkpoint_dir=run.checkpoint_dir(part_name(model, augmentation, seed)))


def train_and_sample(model: str, augmentation: str, train: pd.DataFrame, seed: int, settings: StudySettings,
                     run: RunDir):
    """Fit one synthesizer; return it, its synthetic frame (as many rows as ``train``) and epochs run."""
    synth = fit_synthesizer(model, augmentation, train, seed, settings, run)
    if model == "cgan":  # the real training part's class counts, one conditional sample per class
        counts = train[TARGET].value_counts()
        synthetic = pd.concat([synth.sample(int(k), conditions={TARGET: c}, seed=seed) for c, k in counts.items()],
                              ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    else:
        synthetic = synth.sample(len(train), seed=seed)
    return synth, synthetic, len(synth.history_["g_loss"])


def _write_records(run: RunDir, records: list) -> None:
    """Per-seed rows to ``records.json`` (rewritten after every row)."""
    (run.path / "records.json").write_text(json.dumps(records, indent=2, default=str) + "\n")


def run_study(options: RunOptions, name: str, settings: StudySettings) -> RunDir:
    models = options.select(MODELS)  # before anything is written
    run = RunDir(name, options.out, arguments=dataclasses.asdict(settings))
    ds = TabularDataset(load_adult(), TARGET)
    print(ds.summary())
    split = ds.split(test_size=0.2, seed=42)
    train = split.train
    if settings.train_rows is not None and settings.train_rows < len(train):
        train, _ = train_test_split(train, train_size=settings.train_rows, stratify=train[TARGET], random_state=0)
        print(f"--quick: {len(train)} training rows (not the protocol)")

    records = []
    half_a, half_b = train_test_split(train, test_size=0.5, stratify=train[TARGET], random_state=0)
    reference = run.finished("real_vs_real")
    if reference is None:
        start = time.perf_counter()
        result = evaluate(half_a, split.test, half_b, target=TARGET, out_dir=run.path / "eval" / "real_vs_real",
                          title="Real vs real (training part halves)")
        reference = run.finish("real_vs_real", {"model": "real_vs_real", "augmentation": "none", "seed": 0,
                                                **result.metrics, "epochs_run": None,
                                                "seconds": time.perf_counter() - start})
    records.append(reference)
    print(f"real vs real: detection {reference['detection_auc']:.4f}, "
          f"efficacy ratio {reference['efficacy_ratio']:.4f}", flush=True)

    for model in models:
        for augmentation in settings.augmentations:
            for seed in range(settings.seeds):
                part = part_name(model, augmentation, seed)
                row = run.finished(part)
                if row is not None:  # finished before the run was stopped: its row, not a new fit
                    records.append(row)
                    print(f"  {part}: finished earlier, not trained again", flush=True)
                    continue
                start = time.perf_counter()
                synth, synthetic, epochs_run = train_and_sample(model, augmentation, train, seed, settings, run)
                out = run.path / "eval" / part if seed == 0 else None
                result = evaluate(train, split.test, synthetic, target=TARGET, seed=seed, out_dir=out,
                                  title=f"{model}, augmentation {augmentation}, seed {seed}")
                row = run.finish(part, {"model": model, "augmentation": augmentation, "seed": seed, **result.metrics,
                                        "epochs_run": epochs_run, "seconds": time.perf_counter() - start,
                                        "top_detector_columns": ", ".join(c for c, _ in result.top_features(3))})
                records.append(row)
                _write_records(run, records)  # a run stopped part-way keeps the rows it finished
                print(f"  {model:10s} {augmentation:16s} seed {seed}: detection {row['detection_auc']:.4f} "
                      f"efficacy ratio {row['efficacy_ratio']:.4f} shapes {row['column_shapes']:.3f} "
                      f"({epochs_run} epochs, {row['seconds']:.0f} s)", flush=True)

    table = aggregate(records, ["model", "augmentation"], list(METRICS))
    generative = [r for r in table if r["model"] != "real_vs_real"]
    best = max(generative, key=lambda r: (r["efficacy_ratio"] or 0.0) - (r["detection_auc"] or 1.0))
    # seed 0 of the best: loaded from its checkpoint (finished), not trained again
    shutil.rmtree(run.export, ignore_errors=True)  # left by a run stopped after its export
    fit_synthesizer(best["model"], best["augmentation"], train, 0, settings, run).export(run.export)
    print(f"exported {best['model']} / {best['augmentation']} (seed 0) to {run.export}: sample(n, seed) -> rows")

    study = "; ".join(f"{k}: detection AUC {v['detection_auc']:.2f}, efficacy ratio {v['efficacy_ratio']:.2f}"
                      for k, v in STUDY_FIGURES.items())
    notes = (
        f"Training rows: {len(train)}; test rows: {len(split.test)}; {settings.seeds} seed(s); "
        f"GAN epochs <= {settings.epochs} (early stopping on g_loss after {settings.warmup} warm-up epochs, "
        f"patience {settings.patience}, best weights restored); autoencoder epochs <= {settings.ae_epochs}.\n"
        f"Study figures (the floor): {study}.\n"
        "Detection AUC: 0.5 ideal; efficacy ratio: 1 ideal; DCR share: 0.5 ideal. `real_vs_real` scores one half "
        "of the training part against the other (its efficacy baseline is trained on a half).\n"
        f"Exported: `{best['model']}` / `{best['augmentation']}` (seed 0) to `export/`, a SavedModel whose "
        "`sample(n, seed)` returns decoded rows.\n"
        "Per-model reports with figures: `eval/<model>-<augmentation>-seed0/report.md`. `seconds` of a fit "
        "resumed after a stop counts the resumed part only."
        + ("\n\n**--quick smoke run: not the protocol's numbers.**" if settings.train_rows else "")
    )
    columns = ["model", "augmentation", "detection_auc", "efficacy_ratio", "efficacy_synthetic_auc",
               "efficacy_real_auc", "lr_detection_auc", "column_shapes", "column_pair_trends",
               "exact_copy_rate", "dcr_synthetic_median", "dcr_holdout_median", "dcr_share", "epochs_run", "seconds",
               "n_seeds"]
    run.write_results(table, "Tabular GANs on UCI Adult", columns, notes)
    _write_records(run, records)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run


def main(options: RunOptions) -> RunDir:
    return run_study(options, "tabular_adult", StudySettings.from_options(options))
