"""Adversarial MNIST: FGSM / PGD / targeted-noise attacks on a CNN, and FGSM / PGD adversarial training.

Protocol: one small CNN architecture trained three ways for the same number of epochs (standard,
FGSM adversarial training at epsilon 0.1 with a 50/50 clean/adversarial loss, PGD adversarial
training at epsilon 0.1 with 5 steps on adversarial examples only). Each model is attacked on a
fixed slice of the MNIST test set with FGSM and PGD (10 steps, step 2.5 * epsilon / 10, random
start) at epsilon 0, 0.05, 0.1, 0.2, 0.3, and with targeted L1 noise (target = (label + 1) mod 10).
Accuracies are mean ± std over seeds; the robustness curves of seed 0 are plotted.
"""

from __future__ import annotations

import dataclasses
import time

import keras

from genlab import data
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.tensorboard import scalar_callback
from robustness.adversarial import AdversarialTrainer, plot_robustness_curves, robustness_curve
from robustness.attacks import fgsm, targeted_noise

EPSILONS = (0.0, 0.05, 0.1, 0.2, 0.3)
#: Training variants: None for standard training, else AdversarialTrainer settings.
VARIANTS = {
    "standard": None,
    "fgsm_adversarial": dict(attack="fgsm", epsilon=0.1, adversarial_weight=0.5),
    "pgd_adversarial": dict(attack="pgd", epsilon=0.1, steps=5, adversarial_weight=1.0),
}


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """Sizes of the study; ``quick`` trains on a slice for one epoch and attacks fewer images."""

    seeds: int = 2
    epochs: int = 3
    batch_size: int = 64
    n_train: int | None = None  # None: all 60,000 training images
    n_test: int = 2000  # attacked test images (the first ones of the test set)
    n_targeted: int = 200
    pgd_steps: int = 10

    @classmethod
    def from_options(cls, options: RunOptions) -> "StudySettings":
        base = (cls(seeds=1, epochs=1, n_train=3000, n_test=300, n_targeted=50, pgd_steps=5)
                if options.quick else cls())
        return dataclasses.replace(base, seeds=options.seeds or base.seeds,
                                   epochs=options.epochs or base.epochs)


def build_cnn(seed: int) -> keras.Model:
    """MNIST CNN ``(28, 28, 1) -> 10 probabilities``: conv32-pool-conv64-pool-dense128."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="mnist_cnn")


def train_variant(name: str, x, y, seed: int, settings: StudySettings, run: RunDir) -> keras.Model:
    """Train one variant from scratch and return the classifier."""
    model = build_cnn(seed)
    callbacks = [scalar_callback(run.tensorboard / f"{name}/seed{seed}")]
    fit = dict(epochs=settings.epochs, batch_size=settings.batch_size, callbacks=callbacks, verbose=2)
    if VARIANTS[name] is None:
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, **fit)
    else:
        trainer = AdversarialTrainer(model, seed=seed, **VARIANTS[name])
        trainer.compile(keras.optimizers.Adam(1e-3))
        trainer.fit(x, y, **fit)
    return model


def example_figure(model, x, y, epsilon: float = 0.2):
    """Clean images, FGSM images and their predictions, one column per example."""
    import matplotlib.pyplot as plt

    x_adv = fgsm(model, x, y, epsilon)
    fig, axes = plt.subplots(2, len(x), figsize=(1.2 * len(x), 2.8))
    for i in range(len(x)):
        for row, images in enumerate((x, x_adv)):
            pred = int(model(images[i:i + 1], training=False).numpy().argmax())
            axes[row, i].imshow(images[i, ..., 0], cmap="gray", vmin=0, vmax=1)
            axes[row, i].set_title(f"pred {pred}", fontsize=8)
            axes[row, i].axis("off")
    fig.suptitle(f"top: clean, bottom: FGSM epsilon {epsilon}", fontsize=9)
    fig.tight_layout()
    return fig


def main(options: RunOptions) -> RunDir:
    settings = StudySettings.from_options(options)
    run = RunDir("adversarial", options.out)
    mnist = data.mnist(options.data_dir)
    n = settings.n_train or len(mnist.x_train)
    x, y = mnist.x_train[:n], mnist.y_train[:n]
    xt, yt = mnist.x_test[:settings.n_test], mnist.y_test[:settings.n_test]
    print(f"MNIST: {n} training images, {len(xt)} attacked test images; "
          f"{settings.seeds} seed(s) x {len(VARIANTS)} variants, {settings.epochs} epochs", flush=True)
    records, curves = [], {}
    for seed in range(settings.seeds):
        for name in VARIANTS:
            start = time.perf_counter()
            model = train_variant(name, x, y, seed, settings, run)
            train_seconds = time.perf_counter() - start
            row = {"variant": name, "seed": seed, "train_seconds": train_seconds}
            for attack in ("fgsm", "pgd"):
                rows = robustness_curve(model, xt, yt, EPSILONS, attack=attack, steps=settings.pgd_steps,
                                        seed=seed)
                row.update({f"{attack}_{r['epsilon']:g}": r["accuracy"] for r in rows})
                if seed == 0:
                    curves[f"{name} / {attack}"] = rows
            k = settings.n_targeted
            _, success = targeted_noise(model, xt[:k], (yt[:k] + 1) % 10, c=0.01, steps=100)
            row["targeted_success"] = float(success.mean())
            records.append(row)
            print(f"  {name:18s} seed {seed}: clean {row['fgsm_0']:.4f}  FGSM@0.1 {row['fgsm_0.1']:.4f}  "
                  f"PGD@0.1 {row['pgd_0.1']:.4f}  targeted success {row['targeted_success']:.3f}  "
                  f"({train_seconds:.0f} s training)", flush=True)
            if seed == 0:
                example_figure(model, xt[:8], yt[:8]).savefig(run.plots / f"examples_{name}.png", dpi=100)
    fig = plot_robustness_curves(curves, title="MNIST accuracy under attack (seed 0)")
    fig.savefig(run.plots / "robustness_curves.png", dpi=120)
    attack_columns = [f"{a}_{e:g}" for a in ("fgsm", "pgd") for e in EPSILONS if e > 0]
    values = ["fgsm_0", *attack_columns, "targeted_success", "train_seconds"]
    table = [{"variant": r["variant"], **{("clean" if k == "fgsm_0" else k): r[k] for k in values},
              "n_seeds": r["n_seeds"], **{(("clean" if k == "fgsm_0" else k) + "_std"): r[f"{k}_std"]
                                          for k in values}}
             for r in aggregate(records, ["variant"], values)]
    notes = (
        f"{n} training images, {settings.epochs} epoch(s), batch {settings.batch_size}, Adam 1e-3; "
        f"attacks on the first {len(xt)} test images (targeted noise: the first {settings.n_targeted}, "
        "target (label + 1) mod 10, c = 0.01, 100 Adam steps of 0.01, success = predicted target).\n"
        "Columns `fgsm_<eps>` / `pgd_<eps>`: accuracy under the attack at L-infinity radius eps "
        f"(PGD: {settings.pgd_steps} steps of 2.5 * eps / steps, random start). "
        "FGSM adversarial training: epsilon 0.1, loss 0.5 clean + 0.5 adversarial; PGD adversarial "
        "training: epsilon 0.1, 5 steps, adversarial loss only."
    )
    columns = ["variant", "clean", *attack_columns, "targeted_success", "train_seconds", "n_seeds"]
    run.write_results(table, "Adversarial attacks and training on MNIST", columns, notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
