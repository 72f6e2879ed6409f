"""Tabular GAN, cGAN and autoencoder+GAN on UCI Adult, with and without augmentation, evaluated.

Models: ``gan``, ``cgan``, ``ae_gan`` (the study's least-squares GAN on autoencoder codes) and
``ae_wgan_gp`` (a WGAN-GP on the same codes); ``--only`` picks some of them.

Protocol (DESIGN.md, "Tabular"): ``adult.data`` (embedded copy), ``?`` -> ``Unknown``, stratified
80/20 split with seed 42 (26,048 / 6,513 rows). Each model trains on the training part — as is,
after noisy random oversampling of the minority class, or after SMOTENC — and synthesizes as
many rows as the training part (the cGAN draws labels at the real training ratio). Every
synthetic set is scored by :func:`tabular.evaluate`: RandomForest(100) detection (4-fold CV ROC
AUC, real train vs synthetic), efficacy (RandomForest on synthetic vs on real, ROC AUC on the
real test part, and their ratio), logistic detection, column shapes, pair trends, exact copies
and distance to closest record. A real-vs-real row (the training part's two stratified halves)
shows the ideal values. Mean ± std over seeds.

``--quick`` is a smoke test: 4,000 training rows, few epochs, one seed; its numbers are not the
protocol's.
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split

from genlab.export import export_saved_model, reload_and_compare
from genlab.progress import EveryNEpochs
from genlab.runner import RunDir, RunOptions, aggregate, with_options
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback
from tabular import (AutoencoderGAN, AutoencoderGANConfig, TabularCGAN, TabularDataset, TabularGAN,
                     TabularGANConfig, evaluate, load_adult, noisy_oversample, smote_balance)
from tabular.evaluation import STUDY_FIGURES
from tabular.gan import export_generator

#: ``ae_gan`` is the study's least-squares GAN on autoencoder codes; ``ae_wgan_gp`` the WGAN-GP one.
MODELS = ("gan", "cgan", "ae_gan", "ae_wgan_gp")
AUGMENTATIONS = ("none", "noisy_oversample", "smote")
METRICS = ("detection_auc", "efficacy_synthetic_auc", "efficacy_real_auc", "efficacy_ratio",
           "lr_detection_auc", "column_shapes", "column_pair_trends", "exact_copy_rate",
           "dcr_synthetic_median", "dcr_holdout_median", "epochs_run", "seconds")


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


QUICK = StudySettings(seeds=1, epochs=4, ae_epochs=4, warmup=1, patience=2, train_rows=4000)
#: Sizes of the quickstart's tabular part (which picks the models): one seed, no augmentation.
QUICKSTART = dataclasses.replace(QUICK, epochs=5, ae_epochs=5, augmentations=("none",))


def _training_data(model: str, augmentation: str, train, ds: TabularDataset, seed: int):
    """Encoded training arrays for one model: ``(x, y)`` for the cGAN, ``(x_with_target, None)`` else."""
    t = ds.transformer
    if augmentation == "none":
        x, y = ds.encode(train)
    elif augmentation == "noisy_oversample":
        aug = noisy_oversample(train, t, noise=0.05, seed=seed)
        x, y = aug.x, aug.y
    else:
        aug = smote_balance(train, t, seed=seed)
        x, y = aug.x, aug.y
    if model == "cgan":
        return x, y
    return np.concatenate([x, y[:, None].astype(np.float32)], axis=1), None


def train_and_sample(model_name: str, augmentation: str, train, ds: TabularDataset, seed: int,
                     settings: StudySettings, run: RunDir):
    """Train one model; return it, its synthetic frame (as many rows as ``train``) and epochs run."""
    set_seed(seed)
    x, y = _training_data(model_name, augmentation, train, ds, seed)
    log = run.tensorboard / model_name / augmentation / f"seed{seed}"
    label = f"{model_name} {augmentation} seed {seed}"
    if model_name in ("gan", "cgan"):
        cls = TabularCGAN if model_name == "cgan" else TabularGAN
        config = TabularGANConfig(epochs=settings.epochs, warmup=settings.warmup, patience=settings.patience)
        model = cls.build(ds.transformer, config, seed=seed)
        model.compile()
        history = model.train(x, y, epochs=config.epochs, batch_size=config.batch_size, warmup=config.warmup,
                              patience=config.patience, callbacks=[scalar_callback(log), EveryNEpochs(10, label)])
        epochs_run = len(history.history["g_loss"])
        if model_name == "cgan":
            rate = float((train[ds.target] == ds.transformer.target_classes_[1]).mean())
            labels = (np.random.default_rng(seed).random(len(train)) < rate).astype(np.int64)
            synthetic = model.generate(len(train), label=labels)
        else:
            synthetic = model.generate(len(train))
    else:
        variant = "wgan_gp" if model_name == "ae_wgan_gp" else "mse"
        config = AutoencoderGANConfig(variant=variant, ae_epochs=settings.ae_epochs, gan_epochs=settings.epochs)
        model = AutoencoderGAN(ds.transformer, config, seed=seed)
        histories = model.fit(x, ae_callbacks=[scalar_callback(log / "autoencoder"),
                                               EveryNEpochs(25, f"{label}, autoencoder")],
                              gan_callbacks=[scalar_callback(log / "latent_gan"),
                                             EveryNEpochs(25, f"{label}, latent GAN")])
        epochs_run = len(histories["gan"].history["g_loss"])
        synthetic = model.generate(len(train))
    return model, synthetic, epochs_run


def _export(model, run: RunDir) -> str:
    """Export the generator (for AE+GAN: latent generator then decoder) and check the reload."""
    rng = np.random.default_rng(0)
    if isinstance(model, AutoencoderGAN):
        gen, dec = model.gan.generator, model.autoencoder.decoder
        z = rng.normal(size=(16, gen.input_shape[1])).astype(np.float32)
        export_saved_model(run.export, lambda noise: dec(gen(noise, training=False), training=False),
                           [tf.TensorSpec((None, gen.input_shape[1]), tf.float32, name="noise")], [gen, dec])
        expected = dec(gen(z, training=False), training=False).numpy()
        reload_and_compare(run.export, z, expected, atol=1e-5)
        return "serve(noise) -> encoded rows"
    export_generator(model, run.export)
    z = rng.normal(size=(16, model.latent_dim)).astype(np.float32)
    if model.conditional:
        y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 16)]
        expected = model.generator(np.concatenate([z, y], 1), training=False).numpy()
        reload_and_compare(run.export, [z, y], expected, atol=1e-5)
        return "serve(noise, label_one_hot) -> encoded rows"
    reload_and_compare(run.export, z, model.generator(z, training=False).numpy(), atol=1e-5)
    return "serve(noise) -> encoded rows"


def _write_records(run: RunDir, records: list) -> None:
    """Per-seed rows to ``records.json`` (rewritten after every row)."""
    (run.path / "records.json").write_text(json.dumps(records, indent=2, default=str) + "\n")


def run_study(options: RunOptions, name: str, settings: StudySettings) -> RunDir:
    models = options.select(MODELS)  # before anything is written
    run = RunDir(name, options.out)
    ds = TabularDataset(load_adult(), "income", positive_label=">50K")
    print(ds.summary())
    split = ds.split(test_size=0.2, seed=42)
    train = split.train
    if settings.train_rows is not None and settings.train_rows < len(train):
        train, _ = train_test_split(train, train_size=settings.train_rows, stratify=train["income"],
                                    random_state=0)
        print(f"--quick: {len(train)} training rows (not the protocol)")

    records = []
    half_a, half_b = train_test_split(train, test_size=0.5, stratify=train["income"], random_state=0)
    start = time.perf_counter()
    reference = evaluate(half_a, split.test, half_b, out_dir=run.path / "eval" / "real_vs_real",
                         title="Real vs real (training part halves)")
    records.append({"model": "real_vs_real", "augmentation": "none", "seed": 0, **reference.metrics,
                    "epochs_run": None, "seconds": time.perf_counter() - start})
    print(f"real vs real: detection {reference.metrics['detection_auc']:.4f}, "
          f"efficacy ratio {reference.metrics['efficacy_ratio']:.4f}", flush=True)

    first_models = {}
    for model_name in models:
        for augmentation in settings.augmentations:
            for seed in range(settings.seeds):
                start = time.perf_counter()
                model, synthetic, epochs_run = train_and_sample(model_name, augmentation, train, ds, seed,
                                                                settings, run)
                first_models.setdefault((model_name, augmentation), model)
                out = run.path / "eval" / f"{model_name}-{augmentation}-seed{seed}" if seed == 0 else None
                result = evaluate(train, split.test, synthetic, seed=seed, out_dir=out,
                                  title=f"{model_name}, augmentation {augmentation}, seed {seed}")
                row = {"model": model_name, "augmentation": augmentation, "seed": seed, **result.metrics,
                       "epochs_run": epochs_run, "seconds": time.perf_counter() - start,
                       "top_detector_columns": ", ".join(c for c, _ in result.top_features(3))}
                records.append(row)
                _write_records(run, records)  # a run stopped part-way keeps the rows it finished
                print(f"  {model_name:7s} {augmentation:16s} seed {seed}: detection {row['detection_auc']:.4f} "
                      f"efficacy ratio {row['efficacy_ratio']:.4f} shapes {row['column_shapes']:.3f} "
                      f"({epochs_run} epochs, {row['seconds']:.0f} s)", flush=True)

    table = aggregate(records, ["model", "augmentation"], list(METRICS))
    generative = [r for r in table if r["model"] != "real_vs_real"]
    best = max(generative, key=lambda r: (r["efficacy_ratio"] or 0.0) - (r["detection_auc"] or 1.0))
    signature = _export(first_models[(best["model"], best["augmentation"])], run)
    print(f"exported the generator of {best['model']} / {best['augmentation']} (seed 0): {signature}")

    study = "; ".join(f"{k}: detection AUC {v['detection_auc']:.2f}, efficacy ratio {v['efficacy_ratio']:.2f}"
                      for k, v in STUDY_FIGURES.items())
    notes = (
        f"Training rows: {len(train)}; test rows: {len(split.test)}; {settings.seeds} seed(s); "
        f"GAN epochs <= {settings.epochs} (early stopping on g_loss after {settings.warmup} warm-up epochs, "
        f"patience {settings.patience}, best weights restored); autoencoder epochs <= {settings.ae_epochs}.\n"
        f"Study figures (the floor): {study}.\n"
        "Detection AUC: 0.5 ideal; efficacy ratio: 1 ideal. `real_vs_real` scores one half of the training "
        "part against the other (its efficacy baseline is trained on a half).\n"
        f"Exported: generator of `{best['model']}` / `{best['augmentation']}` (seed 0) to `export/`, "
        f"endpoint {signature}; decode with the transformer's `inverse_transform`.\n"
        "Per-model reports with figures: `eval/<model>-<augmentation>-seed0/report.md`."
        + ("\n\n**--quick smoke run: not the protocol's numbers.**" if settings.train_rows else "")
    )
    columns = ["model", "augmentation", "detection_auc", "efficacy_ratio", "efficacy_synthetic_auc",
               "efficacy_real_auc", "lr_detection_auc", "column_shapes", "column_pair_trends",
               "exact_copy_rate", "dcr_synthetic_median", "dcr_holdout_median", "epochs_run", "seconds",
               "n_seeds"]
    run.write_results(table, "Tabular GANs on UCI Adult", columns, notes)
    _write_records(run, records)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run


def main(options: RunOptions) -> RunDir:
    return run_study(options, "tabular_adult", StudySettings.from_options(options))
