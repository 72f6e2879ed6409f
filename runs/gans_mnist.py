"""Image GANs on MNIST: DCGAN, WGAN-clip, WGAN-GP, conditional WGAN-GP, latent WGAN; FD, coverage.

Models (28x28, generators dense 7x7 -> two stride-2 transposed convs, critics two stride-2 convs;
see gans.networks): ``dcgan`` (GAN, latent 64, BatchNorm discriminator, Adam 2e-4 / 0.5, batch
128); ``wgan_clip`` with the original study's settings (batch 256, RMSprop 5e-4, n_critic 5,
clip 0.12, noise 10); ``wgan_gp`` (latent 64, lambda 10, n_critic 5, Adam 1e-4 / 0 / 0.9, batch
128); ``cwgan_gp`` (the same, conditioned on the digit); ``latent_wgan`` (conv autoencoder with
latent 15 trained first with BCE, then WGAN-clip with noise 10 and the original study's settings on
its standardised codes, MLP 128-128 networks). Generators are tanh models on images in [-1, 1];
the latent model decodes to [0, 1].

Evaluation (DESIGN.md "Images"): the cached project MNIST CNN (gans.metrics.metric_classifier,
conv32-conv64-dense128, >= 99 % test accuracy) gives the Frechet distance in its 128 penultimate
features between N generated images and N test images, with the real-vs-real value (N training vs
the same N test images) beside it; class coverage (classes above 5 %, KL to uniform) of the N
samples; and for the conditional model the accuracy of the requested digit (N/10 per digit).

Budget: ``SPEEDS`` are images/s measured in the full run of 2026-11-22 (two processes side by
side on 2 shared cores, callbacks included). Default epochs (``EPOCHS``: dcgan, wgan_clip and
wgan_gp 8 each for an equal-epoch comparison, cwgan_gp 15, autoencoder 3 then latent_wgan 30) make
the full run about 2.5 hours there; split it over two processes with ``--only``. ``--epochs``
overrides all of them, ``--quick`` trains one epoch on 4,096 images. FD, coverage and conditional
accuracy of 2,000 samples are also measured after every epoch (``QualityTracker``). Plots: per-model sample grids from fixed noise every epoch (PNG and
TensorBoard), 10 samples per digit from the conditional model, interpolation strips in noise and
latent space. Needs ``--data-dir`` (a folder with ``mnist.npz``) unless keras can download MNIST.
"""

from __future__ import annotations

import json
import time

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gans import (GAN, WGAN, WGANGP, LatentGAN, SampleGridCallback, conv_autoencoder, dcgan_critic,
                  dcgan_generator, image_grid, mlp_critic, mlp_generator)
from gans.interpolation import generator_path, latent_path, plot_strips
from gans.metrics import class_coverage, classifier_frechet_distance, conditional_accuracy, metric_classifier
from genlab import data
from genlab.layers import LayerSpec
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback

#: Default epochs per model for the ~40-minute full run (autoencoder epochs under "autoencoder").
EPOCHS = {"dcgan": 8, "wgan_clip": 8, "wgan_gp": 8, "cwgan_gp": 15, "latent_wgan": 30, "autoencoder": 3}
#: Batch size per model (the original study's 256 for the clipped and latent WGANs).
BATCH = {"dcgan": 128, "wgan_clip": 256, "wgan_gp": 128, "cwgan_gp": 128, "latent_wgan": 256}
#: Training images/s in the split full run of 2026-11-22 (load average 15-27 on the 2 cores from
#: other jobs, callbacks included; on a quieter machine benchmarks/gans_xla.py measured dcgan
#: 1,564, wgan_clip 943, wgan_gp 554, cwgan_gp 435, latent_wgan 8,630).
SPEEDS = {"dcgan": 1041, "wgan_clip": 234, "wgan_gp": 244, "cwgan_gp": 173, "latent_wgan": 8779,
          "autoencoder": 1545}
MODELS = tuple(BATCH)


def build(name: str, autoencoder=None, jit_compile: bool = False):
    """Build and compile model ``name``; returns ``(model, image_range)`` with range (-1, 1) or (0, 1)."""
    if name == "dcgan":
        model = GAN(dcgan_generator(64), dcgan_critic(batch_norm=True), seed=0)
        model.compile(jit_compile=jit_compile)
    elif name == "wgan_clip":
        model = WGAN(dcgan_generator(10), dcgan_critic(), clip_value=0.12, n_critic=5, seed=0)
        model.compile(keras.optimizers.RMSprop(5e-4), keras.optimizers.RMSprop(5e-4), jit_compile=jit_compile)
    elif name in ("wgan_gp", "cwgan_gp"):
        k = 10 if name == "cwgan_gp" else 0
        model = WGANGP(dcgan_generator(64, n_classes=k), dcgan_critic(n_classes=k), n_classes=k, seed=0)
        model.compile(jit_compile=jit_compile)
    elif name == "latent_wgan":
        specs = (LayerSpec(128, "leaky_relu"), LayerSpec(128, "leaky_relu"))
        code = autoencoder.latent_dim
        gan = WGAN(mlp_generator(10, code, (128, 128)), mlp_critic(code, specs), clip_value=0.12, n_critic=5,
                   seed=0)
        model = LatentGAN(gan, autoencoder.encoder, autoencoder.decoder)
        model.compile(keras.optimizers.RMSprop(5e-4), keras.optimizers.RMSprop(5e-4), jit_compile=jit_compile)
        return model, (0.0, 1.0)
    else:
        raise KeyError(name)
    return model, (-1.0, 1.0)


def train_autoencoder(x01, epochs: int, verbose: int = 2):
    """Conv autoencoder (32-64 conv + BatchNorm, latent 15) trained with BCE on images in [0, 1]."""
    ae = conv_autoencoder((28, 28, 1), latent_dim=15)
    ae.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    ae.fit(x01, x01, epochs=epochs, batch_size=128, verbose=verbose)
    return ae


def _inputs(name, x01, y):
    """fit arguments: images in the model's range, labels only for the conditional model."""
    x = x01 if name == "latent_wgan" else x01 * 2.0 - 1.0
    return x, (y if name == "cwgan_gp" else None)


def measure_speed(x01, y, n_images: int = 4096, names=MODELS) -> dict[str, float]:
    """Training images per second of each model on ``n_images`` (after one warm-up epoch on 512)."""
    speeds = {}
    ae = conv_autoencoder((28, 28, 1), latent_dim=15)
    for name in names:
        model, _ = build(name, ae)
        x, labels = _inputs(name, x01[:n_images], y[:n_images])
        warm = None if labels is None else labels[:512]
        model.fit(x[:512], warm, epochs=1, batch_size=BATCH[name], verbose=0)  # tracing excluded
        start = time.perf_counter()
        model.fit(x, labels, epochs=1, batch_size=BATCH[name], verbose=0)
        speeds[name] = n_images / (time.perf_counter() - start)
        print(f"{name}: {speeds[name]:.0f} images/s", flush=True)
    ae.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    start = time.perf_counter()
    ae.fit(x01[:n_images], x01[:n_images], epochs=1, batch_size=128, verbose=0)
    speeds["autoencoder"] = n_images / (time.perf_counter() - start)
    print(f"autoencoder: {speeds['autoencoder']:.0f} images/s", flush=True)
    return speeds


def to_unit(images, image_range) -> np.ndarray:
    """Images in ``image_range`` -> [0, 1], the classifier's input range."""
    lo, hi = image_range
    return np.clip((np.asarray(images) - lo) / (hi - lo), 0.0, 1.0)


def evaluate(name, model, image_range, classifier, test01, fd_real, n: int) -> dict:
    """FD to ``test01[:n]``, class coverage, and conditional accuracy for the conditional model."""
    labels = np.arange(n) % 10 if name == "cwgan_gp" else None
    fake = to_unit(model.generate(n, labels=labels), image_range)
    coverage = class_coverage(classifier, fake)
    return {"fd": classifier_frechet_distance(classifier, test01[:n], fake), "fd_real_vs_real": fd_real,
            "classes_covered": coverage.n_covered, "kl_to_uniform": coverage.kl_to_uniform,
            "min_class_fraction": float(coverage.fractions.min()),
            "max_class_fraction": float(coverage.fractions.max()),
            "conditional_accuracy":
                None if labels is None else conditional_accuracy(classifier, fake, labels)}


class QualityTracker(keras.callbacks.Callback):
    """Frechet distance, coverage and conditional accuracy of ``n`` samples after every epoch.

    ``history`` holds one record per epoch; the values also go to TensorBoard (``quality/*``),
    so models can be compared at equal epochs whatever their final epoch counts.
    """

    def __init__(self, name, image_range, classifier, test01, fd_real, n: int, log_dir):
        super().__init__()
        self.args = (name, image_range, classifier, test01, fd_real, n)
        self.writer = tf.summary.create_file_writer(str(log_dir))
        self.history: list[dict] = []
        self.seconds = 0.0  # time spent here, to subtract from the training time

    def on_epoch_end(self, epoch, logs=None):
        start = time.perf_counter()
        name, image_range, classifier, test01, fd_real, n = self.args
        row = evaluate(name, self.model, image_range, classifier, test01, fd_real, n)
        self.history.append({"epoch": epoch + 1, **row})
        with self.writer.as_default(step=epoch + 1):
            for key in ("fd", "kl_to_uniform", "conditional_accuracy"):
                if row[key] is not None:
                    tf.summary.scalar(f"quality/{key}", row[key])
        self.writer.flush()
        acc = row["conditional_accuracy"]
        print(f"  {name} epoch {epoch + 1}: FD {row['fd']:.2f} (n={n}), {row['classes_covered']} classes"
              + ("" if acc is None else f", requested-digit accuracy {acc:.4f}"), flush=True)
        self.seconds += time.perf_counter() - start


def plot_quality(histories: dict[str, list[dict]], fd_real: float, n: int):
    """FD (and conditional accuracy) against epoch for every model: the equal-epoch comparison."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        axes[0].plot(epochs, [h["fd"] for h in history], marker="o", label=name)
        if history and history[0]["conditional_accuracy"] is not None:
            axes[1].plot(epochs, [h["conditional_accuracy"] for h in history], marker="o", label=name)
    axes[0].axhline(fd_real, color="gray", ls="--", label="real vs real")
    axes[0].set(xlabel="epoch", ylabel=f"Frechet distance (n={n})", yscale="log", title="sample quality per epoch")
    axes[1].axhline(0.97, color="gray", ls="--", label="97 % target")
    axes[1].set(xlabel="epoch", ylabel="requested digit recognised", title="conditional accuracy per epoch")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def main(options: RunOptions) -> RunDir:
    names = options.select(MODELS)  # before anything is written: a wrong --only fails fast
    run = RunDir("gans_mnist", options.out)
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
        set_seed(seed)
        ae = None
        if "latent_wgan" in names:
            ae_epochs = options.epochs or (1 if options.quick else EPOCHS["autoencoder"])
            start = time.perf_counter()
            ae = train_autoencoder(x01, ae_epochs)
            ae_seconds = time.perf_counter() - start
        for name in names:
            set_seed(seed)
            epochs = options.epochs or (1 if options.quick else EPOCHS[name])
            model, image_range = build(name, ae)
            x, labels = _inputs(name, x01, y)
            tb = run.tensorboard / name / f"seed{seed}"
            grid = SampleGridCallback(tb / "images", latent_dim=model.latent_dim, n_classes=model.n_classes,
                                      png_dir=run.plots / name if seed == 0 else None,
                                      value_range=image_range)
            tracker = QualityTracker(name, image_range, classifier, test01, fd_track, n_track, tb / "quality")
            start = time.perf_counter()
            model.fit(x, labels, epochs=epochs, batch_size=BATCH[name], verbose=2,
                      callbacks=[grid, scalar_callback(tb), tracker])
            seconds = time.perf_counter() - start - tracker.seconds
            row = {"model": name, "seed": seed, "epochs": epochs, "seconds_per_epoch": seconds / epochs,
                   "images_per_second": len(x) * epochs / seconds,
                   **evaluate(name, model, image_range, classifier, test01, fd_real, n_eval)}
            if name == "latent_wgan":
                row["autoencoder_seconds"] = ae_seconds
            row["per_epoch"] = [{k: h[k] for k in ("epoch", "fd", "kl_to_uniform", "conditional_accuracy")}
                                for h in tracker.history]
            if seed == 0:
                histories[name] = tracker.history
            records.append(row)
            print(f"{name}: FD {row['fd']:.2f} (real {fd_real:.2f}), {row['classes_covered']} classes, "
                  f"{row['seconds_per_epoch']:.0f} s/epoch", flush=True)
            if seed == 0:
                run.export.mkdir(exist_ok=True)
                nets = {"generator": model.gan.generator, "decoder": model.decoder} \
                    if isinstance(model, LatentGAN) else {"generator": model.generator}
                for part, net in nets.items():
                    net.save(run.export / f"{name}_{part}.keras")
                path = generator_path(model, steps=10, label=7 if model.n_classes else None)[1]
                strips.append(to_unit(path, image_range))
                titles.append(f"{name}: noise path" + (" (digit 7)" if model.n_classes else ""))
                if name == "cwgan_gp":
                    digits = model.generate(100, labels=np.repeat(np.arange(10), 10))
                    image_grid(to_unit(digits, image_range), rows=10, value_range=(0, 1),
                               title="cwgan_gp: 10 samples per digit (row = requested digit)").savefig(
                        run.plots / "cwgan_gp_per_digit.png")
        if seed == 0 and ae is not None:
            a, b = split.x_test[y_index(split.y_test, 3)], split.x_test[y_index(split.y_test, 8)]
            strips.append(latent_path(ae.encoder, ae.decoder, a, b, steps=10)[1])
            titles.append("autoencoder: latent path 3 -> 8 (test images)")
        if seed == 0:
            plot_strips(strips, titles).savefig(run.plots / "interpolation.png")
            plot_quality(histories, fd_track, n_track).savefig(run.plots / "quality_per_epoch.png")

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
             "latent_wgan's time excludes its autoencoder (autoencoder_seconds in records.json, the per-seed rows). "
             "Plots: plots/<model>/samples_epoch*.png, plots/cwgan_gp_per_digit.png, "
             "plots/interpolation.png, plots/quality_per_epoch.png (FD of 2,000 samples after every epoch: "
             "the equal-epoch comparison; per_epoch in records.json).")
    run.write_results(table, "Image GANs on MNIST: Frechet distance, class coverage, speed",
                      ["model", "epochs"] + values, notes)
    (run.path / "records.json").write_text(json.dumps(records, indent=2, default=float))  # per seed
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run


def y_index(labels, digit: int) -> int:
    """Index of the first example of ``digit``."""
    return int(np.flatnonzero(labels == digit)[0])
