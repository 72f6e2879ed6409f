"""Image GANs on MNIST: DCGAN, WGAN-clip, WGAN-GP, conditional WGAN-GP, latent WGAN; FD, coverage.

Models: ``gans.zoo`` (``dcgan``, ``wgan_clip`` with the original study's settings, ``wgan_gp``,
``cwgan_gp``, ``latent_wgan`` on the codes of a conv autoencoder trained first with BCE); their
architectures, optimizers and batch sizes are listed there. Generators are tanh models on images in
[-1, 1]; the latent model decodes to [0, 1].

Evaluation (docs/gans.md, "Evaluating image generators"): the cached project MNIST CNN
(gans.metrics.metric_classifier, conv32-conv64-dense128, >= 99 % test accuracy) gives the Frechet
distance in its 128 penultimate features between N generated images and N test images, with the
real-vs-real value (N training vs the same N test images) beside it; class coverage (classes above
5 %, KL to uniform) of the N samples; and for the conditional model the accuracy of the requested
digit (N/10 per digit). The same scores of 2,000 samples are also measured after every epoch
(``gans.quality.QualityTracker``).

Budget: ``SPEEDS`` are images/s measured in the full run of 2026-11-22 (two processes side by
side on 2 shared cores, callbacks included; ``gans.zoo.measure_speeds`` measures them again).
Default epochs (``EPOCHS``: dcgan, wgan_clip and wgan_gp 8 each for an equal-epoch comparison,
cwgan_gp 15, autoencoder 3 then latent_wgan 30) make the full run about 2.5 hours there; split it
over two processes with ``--only``. ``--epochs`` overrides all of them, ``--quick`` trains one
epoch on 4,096 images. Plots: per-model sample grids from fixed noise every epoch (PNG and
TensorBoard), 10 samples per digit from the conditional model, interpolation strips in noise and
latent space, the quality per epoch. Needs ``--data-dir`` (a folder with ``mnist.npz``) unless
keras can download MNIST.

Resumes: started again with the same ``--out`` (and ``--seeds`` / ``--epochs`` / ``--quick``) after
a kill, it keeps the row of every (model, seed) that finished (``parts/<model>-seed<k>.json``;
seed 0's models are restored from their checkpoints, not retrained, for the plots and exports) and
resumes the fit in progress from its last finished epoch (``checkpoints/<model>-seed<k>/``; the
autoencoder of ``latent_wgan`` in ``checkpoints/autoencoder-seed<k>/``).
"""

from __future__ import annotations

import json
import time

import numpy as np

from gans import LatentGAN, SampleGridCallback, image_grid, zoo
from gans.interpolation import generator_path, latent_path, plot_strips
from gans.metrics import classifier_frechet_distance, metric_classifier
from gans.quality import QualityTracker, plot_quality, sample_quality, to_unit
from genlab import data
from genlab.checkpoint import resume_epoch
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback

#: Default epochs per model for the full run (autoencoder epochs under "autoencoder").
EPOCHS = {"dcgan": 8, "wgan_clip": 8, "wgan_gp": 8, "cwgan_gp": 15, "latent_wgan": 30, "autoencoder": 3}
#: Training images/s in the split full run of 2026-11-22 (load average 15-27 on the 2 cores from
#: other jobs, callbacks included; on a quieter machine benchmarks/gans_xla.py measured dcgan
#: 1,564, wgan_clip 943, wgan_gp 554, cwgan_gp 435, latent_wgan 8,630).
SPEEDS = {"dcgan": 1041, "wgan_clip": 234, "wgan_gp": 244, "cwgan_gp": 173, "latent_wgan": 8779,
          "autoencoder": 1545}
MODELS = zoo.NAMES
#: Requested-digit accuracy drawn as the target in the quality plot.
TARGET_ACCURACY = 0.97


def main(options: RunOptions) -> RunDir:
    names = options.select(MODELS)  # before anything is written: a wrong --only fails fast
    epochs_of = {name: options.epochs or (1 if options.quick else EPOCHS[name]) for name in EPOCHS}
    run = RunDir("gans_mnist", options.out,
                 arguments={"seeds": options.seeds or 1, "epochs": epochs_of, "quick": options.quick})
    split = data.mnist(options.data_dir)
    x01, y = split.x_train, split.y_train
    if options.quick:
        x01, y = x01[:4096], y[:4096]
    n_eval = 1000 if options.quick else 10000  # the 10,000 test images; 10,000 samples for coverage
    classifier = metric_classifier(options.data_dir)
    print(f"metric classifier: test accuracy {classifier.test_accuracy:.4f}", flush=True)
    test01 = split.x_test
    # Same n, disjoint sets: the floor that sampling noise alone gives.
    fd_real = classifier_frechet_distance(classifier, test01[:n_eval], split.x_train[-n_eval:])
    print(f"real vs real Frechet distance (n={n_eval}): {fd_real:.3f}", flush=True)

    n_track = 500 if options.quick else 2000
    fd_track = classifier_frechet_distance(classifier, test01[:n_track], split.x_train[-n_track:])
    records, strips, titles, histories = [], [], [], {}
    for seed in range(options.seeds or 1):
        ae = None
        for name in names:
            part = f"{name}-seed{seed}"
            row = run.finished(part)
            if row is not None and seed != 0:  # finished before a stop: its row, no training
                records.append(row)
                continue
            spec = zoo.entry(name)
            epochs = epochs_of[name]
            if spec.latent and ae is None:
                ae, ae_seconds = autoencoder(run, x01, seed, epochs_of["autoencoder"])
            set_seed(seed)
            model = zoo.build(name, ae)
            x, labels = zoo.fit_inputs(name, x01, y)
            tb = run.tensorboard / name / f"seed{seed}"
            grid = SampleGridCallback(tb / "images", latent_dim=model.latent_dim, n_classes=model.n_classes,
                                      png_dir=run.plots / name if seed == 0 else None,
                                      value_range=spec.image_range)
            tracker = QualityTracker(classifier, test01, n_track, spec.image_range, tb / "quality", name=name)
            trained = epochs - resume_epoch(run.checkpoint_dir(part))  # the epochs this process trains
            start = time.perf_counter()
            # Resumes after the last finished epoch; a finished fit (seed 0, for its plots) is restored.
            model.fit(x, labels, epochs=epochs, batch_size=spec.batch_size, verbose=2,
                      callbacks=[grid, tracker, scalar_callback(tb)], checkpoint_dir=run.checkpoint_dir(part))
            if row is None:
                seconds = time.perf_counter() - start - tracker.seconds
                row = {"model": name, "seed": seed, "epochs": epochs, "fd_real_vs_real": fd_real,
                       # None when the fit had finished before a stop (killed while it was scored)
                       "seconds_per_epoch": seconds / trained if trained else None,
                       "images_per_second": len(x) * trained / seconds if trained else None,
                       **sample_quality(model, classifier, test01, n_eval, spec.image_range)}
                if spec.latent:
                    row["autoencoder_seconds"] = ae_seconds
                row["per_epoch"] = [{k: h[k] for k in ("epoch", "fd", "kl_to_uniform", "conditional_accuracy")}
                                    for h in tracker.history]
                row = run.finish(part, row)
                print(f"{name}: FD {row['fd']:.2f} (real {fd_real:.2f}), {row['classes_covered']} classes, "
                      f"{row['seconds_per_epoch'] or 0:.0f} s/epoch", flush=True)
            records.append(row)
            if seed == 0:
                histories[name] = row["per_epoch"]
                strips.append(to_unit(generator_path(model, steps=10, label=7 if model.n_classes else None)[1],
                                      spec.image_range))
                titles.append(f"{name}: noise path" + (" (digit 7)" if model.n_classes else ""))
                save_seed0_outputs(run, name, model, spec.image_range)
        if seed == 0 and ae is not None:
            a, b = split.x_test[y_index(split.y_test, 3)], split.x_test[y_index(split.y_test, 8)]
            strips.append(latent_path(ae.encoder, ae.decoder, a, b, steps=10)[1])
            titles.append("autoencoder: latent path 3 -> 8 (test images)")
        if seed == 0:
            plot_strips(strips, titles).savefig(run.plots / "interpolation.png")
            plot_quality(histories, fd_track, n_track, TARGET_ACCURACY).savefig(run.plots / "quality_per_epoch.png")

    values = ["fd", "fd_real_vs_real", "classes_covered", "min_class_fraction", "max_class_fraction",
              "kl_to_uniform", "conditional_accuracy",
              "seconds_per_epoch", "images_per_second"]
    table = aggregate(records, ["model", "epochs"], values)
    for row in table:  # one seed: no spread to show; the real-vs-real floor never varies
        for v in values:
            if row["n_seeds"] == 1 or v == "fd_real_vs_real":
                row.pop(f"{v}_std")
    notes = (f"Training images: {len(x01)}; FD between {n_eval} generated and {n_eval} test images in the "
             f"metric classifier's 128 penultimate features (test accuracy {classifier.test_accuracy:.4f}); "
             f"fd_real_vs_real: {n_eval} training vs the same {n_eval} test images. classes_covered: "
             "predicted classes holding > 5 % of the samples; kl_to_uniform in nats (0 = balanced, "
             "2.30 = one class); min/max_class_fraction: the rarest and the commonest predicted digit. "
             "conditional_accuracy: requested digit recognised (cwgan_gp only). "
             "latent_wgan's time excludes its autoencoder (autoencoder_seconds in records.json, the per-seed rows); "
             "the speed of a fit resumed after a stop is that of its resumed epochs. "
             "Plots: plots/<model>/samples_epoch*.png, plots/cwgan_gp_per_digit.png, "
             "plots/interpolation.png, plots/quality_per_epoch.png (FD of 2,000 samples after every epoch: "
             "the equal-epoch comparison; per_epoch in records.json).")
    run.write_results(table, "Image GANs on MNIST: Frechet distance, class coverage, speed",
                      ["model", "epochs"] + values, notes)
    (run.path / "records.json").write_text(json.dumps(records, indent=2, default=float))  # per seed
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run


def autoencoder(run: RunDir, x01, seed: int, epochs: int):
    """The autoencoder of ``latent_wgan`` for ``seed`` and its training seconds (resumed, or restored
    from its checkpoint when it finished before a stop)."""
    part = f"autoencoder-seed{seed}"
    set_seed(seed)
    start = time.perf_counter()
    ae = zoo.train_autoencoder(x01, epochs, checkpoint_dir=run.checkpoint_dir(part))
    record = run.finished(part) or run.finish(part, {"seconds": time.perf_counter() - start})
    return ae, record["seconds"]


def save_seed0_outputs(run: RunDir, name: str, model, image_range) -> None:
    """Export the generator (and decoder) as ``.keras``; for the conditional model, 10 samples per digit."""
    run.export.mkdir(exist_ok=True)
    nets = {"generator": model.gan.generator, "decoder": model.decoder} \
        if isinstance(model, LatentGAN) else {"generator": model.generator}
    for part, net in nets.items():
        net.save(run.export / f"{name}_{part}.keras")
    if model.n_classes:
        digits = model.generate(100, labels=np.repeat(np.arange(10), 10))
        image_grid(to_unit(digits, image_range), rows=10, value_range=(0, 1),
                   title=f"{name}: 10 samples per digit (row = requested digit)").savefig(
            run.plots / f"{name}_per_digit.png")


def y_index(labels, digit: int) -> int:
    """Index of the first example of ``digit``."""
    return int(np.flatnonzero(labels == digit)[0])
