"""Adversarial MNIST: FGSM / PGD / targeted-noise attacks on a CNN, and FGSM / PGD adversarial training.

Protocol: one small CNN architecture trained three ways (standard and FGSM adversarial training at
epsilon 0.1 with a 50/50 clean/adversarial loss for ``epochs``; PGD adversarial training in the
setting of Madry et al. 2018, epsilon 0.3 on adversarial examples only, random start, with fewer
steps (7 of 2.5 * 0.3 / 7) and epochs (``pgd_epochs``) than the paper's 40 steps and ~83 epochs so
that it fits a CPU). Clean accuracy is measured on the 10,000 test images. Each model is attacked
on a fixed slice of the MNIST test set with FGSM and PGD (10 steps, step 2.5 * epsilon / 10,
random start) at epsilon 0, 0.05, 0.1, 0.2, 0.3, and with targeted L1 noise (target = (label + 1)
mod 10) on the first 1,000 test images, reporting the success rate and the mean / max L-infinity
norm of the noise. The PGD-trained model is also evaluated as in Madry et al.: PGD-40 (step 0.01,
random start) at epsilon 0.3 on the 10,000 test images (their result: 89.3 % to 93.2 %).
Accuracies are mean ± std over seeds; the robustness curves of seed 0 are plotted.
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from genlab import data
from genlab.runner import RunDir, RunOptions, aggregate, with_options
from genlab.tensorboard import scalar_callback
from robustness.adversarial import AdversarialTrainer, plot_robustness_curves, robustness_curve
from robustness.attacks import fgsm, pgd, targeted_noise
from robustness.models import mnist_cnn

EPSILONS = (0.0, 0.05, 0.1, 0.2, 0.3)
#: Training variants: None for standard training, else AdversarialTrainer settings.
VARIANTS = {
    "standard": None,
    "fgsm_adversarial": dict(attack="fgsm", epsilon=0.1, adversarial_weight=0.5),
    # 7 steps of 0.107: with 3 steps of 0.25 (measured, 6 epochs) training collapsed into gradient
    # masking from epoch 4 on (catastrophic overfitting): clean accuracy fell to 74 %, accuracy
    # under the 3-step training attack rose to 97 %, under PGD-40 it was 0.01 %.
    "pgd_adversarial": dict(attack="pgd", epsilon=0.3, steps=7, adversarial_weight=1.0),
}
#: Madry et al.'s MNIST evaluation: PGD with 40 steps of 0.01 at epsilon 0.3, random start.
MADRY_EVAL = dict(epsilon=0.3, steps=40, step_size=0.01)


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """Sizes of the study; ``quick`` trains on a slice for one epoch and attacks fewer images."""

    # One seed, 6 + 8 epochs: the full run took 19 min on 2 shared CPU cores (training measured at
    # 4,900 / 1,700 / 660 images/s for standard / FGSM / PGD-7), so it fits a working session.
    seeds: int = 1
    # Standard and FGSM training. Measured, standard CNN: 4 epochs of constant Adam 1e-3 gave 98.80 %,
    # 4 cosine-decayed 99.03 %, 6 cosine-decayed 99.17 % on the 10,000 test images.
    epochs: int = 6
    pgd_epochs: int = 8  # PGD training (Madry et al.: 100,000 steps of 50, ~83 epochs)
    learning_rate: float = 1e-3  # Adam, cosine-decayed to 1 % of it over each training
    batch_size: int = 64
    n_train: int | None = None  # None: all 60,000 training images
    n_test: int = 2000  # attacked test images (the first ones of the test set)
    n_targeted: int = 1000
    pgd_steps: int = 10
    n_madry: int | None = None  # test images of the PGD-40 evaluation; None: all 10,000

    @classmethod
    def from_options(cls, options: RunOptions) -> "StudySettings":
        """Defaults (or the quick sizes) with ``--seeds`` and ``--epochs`` (all variants) applied."""
        base = (cls(seeds=1, epochs=1, pgd_epochs=1, n_train=3000, n_test=300, n_targeted=50,
                    pgd_steps=5, n_madry=300)
                if options.quick else cls())
        return with_options(base, options, pgd_epochs=options.epochs or base.pgd_epochs)

    def epochs_of(self, variant: str) -> int:
        return self.pgd_epochs if variant == "pgd_adversarial" else self.epochs


def build_cnn(seed: int) -> keras.Model:
    """MNIST CNN ``(28, 28, 1) -> 10 probabilities``: conv32-pool-conv64-pool-dense128."""
    keras.utils.set_random_seed(seed)
    return mnist_cnn((32, 64), 128)


def make_optimizer(settings: StudySettings, variant: str, n: int) -> keras.optimizers.Optimizer:
    """Adam whose learning rate decays along a cosine to 1 % over the variant's training steps."""
    steps = settings.epochs_of(variant) * -(-n // settings.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, steps, alpha=0.01)
    return keras.optimizers.Adam(schedule)


def train_variant(name: str, x, y, seed: int, settings: StudySettings, run: RunDir) -> keras.Model:
    """Train one variant from scratch and return the classifier."""
    model = build_cnn(seed)
    optimizer = make_optimizer(settings, name, len(x))
    callbacks = [scalar_callback(run.tensorboard / f"{name}/seed{seed}")]
    fit = dict(epochs=settings.epochs_of(name), batch_size=settings.batch_size, callbacks=callbacks,
               verbose=2)
    if VARIANTS[name] is None:
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, **fit)
    else:
        trainer = AdversarialTrainer(model, seed=seed, **VARIANTS[name])
        trainer.compile(optimizer)
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


def accuracy(model, x, y, batch_size: int = 1000) -> float:
    """Share of ``x`` the model classifies as ``y`` (inference mode, batched)."""
    pred = np.concatenate([np.asarray(model(x[i:i + batch_size], training=False)).argmax(-1)
                           for i in range(0, len(x), batch_size)])
    return float(np.mean(pred == y))


def targeted_row(model, x, y) -> dict:
    """Targeted L1 noise towards ``(y + 1) mod 10``: success rate and L-infinity / L1 norms."""
    x_adv, success = targeted_noise(model, x, (y + 1) % 10, c=0.01, steps=100)
    noise = np.abs(x_adv - x).reshape(len(x), -1)
    linf = noise.max(1)
    return {"targeted_success": float(success.mean()), "targeted_linf_mean": float(linf.mean()),
            "targeted_linf_max": float(linf.max()), "targeted_l1_mean": float(noise.sum(1).mean())}


def main(options: RunOptions) -> RunDir:
    settings = StudySettings.from_options(options)
    run = RunDir("adversarial", options.out)
    mnist = data.mnist(options.data_dir)
    n = settings.n_train or len(mnist.x_train)
    x, y = mnist.x_train[:n], mnist.y_train[:n]
    xt, yt = mnist.x_test[:settings.n_test], mnist.y_test[:settings.n_test]
    n_madry = settings.n_madry or len(mnist.x_test)
    print(f"MNIST: {n} training images, {len(xt)} attacked test images; {settings.seeds} seed(s) x "
          f"{len(VARIANTS)} variants, {settings.epochs} epochs ({settings.pgd_epochs} for PGD training)",
          flush=True)
    records, curves = [], {}
    for seed in range(settings.seeds):
        for name in VARIANTS:
            start = time.perf_counter()
            model = train_variant(name, x, y, seed, settings, run)
            train_seconds = time.perf_counter() - start
            row = {"variant": name, "seed": seed, "train_seconds": train_seconds,
                   "train_images_per_s": n * settings.epochs_of(name) / train_seconds,
                   "clean_test": accuracy(model, mnist.x_test, mnist.y_test)}
            for attack in ("fgsm", "pgd"):
                rows = robustness_curve(model, xt, yt, EPSILONS, attack=attack, steps=settings.pgd_steps,
                                        seed=seed)
                row.update({f"{attack}_{r['epsilon']:g}": r["accuracy"] for r in rows})
                if seed == 0:
                    curves[f"{name} / {attack}"] = rows
            k = settings.n_targeted
            row.update(targeted_row(model, mnist.x_test[:k], mnist.y_test[:k]))
            if name == "pgd_adversarial":
                start = time.perf_counter()
                x_madry = pgd(model, mnist.x_test[:n_madry], mnist.y_test[:n_madry], seed=seed,
                              **MADRY_EVAL)
                row["pgd40_0.3"] = accuracy(model, x_madry, mnist.y_test[:n_madry])
                print(f"  PGD-40 at 0.3 on {n_madry} test images: {row['pgd40_0.3']:.4f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
            records.append(row)
            print(f"  {name:18s} seed {seed}: clean {row['clean_test']:.4f}  FGSM@0.1 {row['fgsm_0.1']:.4f}  "
                  f"PGD@0.1 {row['pgd_0.1']:.4f}  PGD@0.3 {row['pgd_0.3']:.4f}  targeted success "
                  f"{row['targeted_success']:.3f} (L-inf mean {row['targeted_linf_mean']:.3f}, max "
                  f"{row['targeted_linf_max']:.3f})  ({train_seconds:.0f} s training, "
                  f"{row['train_images_per_s']:.0f} images/s)", flush=True)
            if seed == 0:
                example_figure(model, xt[:8], yt[:8]).savefig(run.plots / f"examples_{name}.png", dpi=100)
    fig = plot_robustness_curves(curves, title="MNIST accuracy under attack (seed 0)")
    fig.savefig(run.plots / "robustness_curves.png", dpi=120)
    attack_columns = [f"{a}_{e:g}" for a in ("fgsm", "pgd") for e in EPSILONS if e > 0]
    values = ["clean_test", *attack_columns, "pgd40_0.3", "targeted_success", "targeted_linf_mean",
              "targeted_linf_max", "targeted_l1_mean", "train_seconds", "train_images_per_s"]
    table = aggregate(records, ["variant"], values)
    pgd_cfg = VARIANTS["pgd_adversarial"]
    notes = (
        f"{n} training images, batch {settings.batch_size}, Adam {settings.learning_rate:g} cosine-"
        "decayed to 1 % over each training; standard and FGSM training "
        f"{settings.epochs} epoch(s), PGD training {settings.pgd_epochs} epoch(s). `clean_test`: "
        f"accuracy on the {len(mnist.x_test)} test images; attacks on the first {len(xt)} test images.\n"
        "Columns `fgsm_<eps>` / `pgd_<eps>`: accuracy under the attack at L-infinity radius eps "
        f"(PGD: {settings.pgd_steps} steps of 2.5 * eps / steps, random start). `pgd40_0.3`: "
        f"accuracy under PGD-40 (step 0.01, random start) at epsilon 0.3 on the first {n_madry} "
        "test images, for the PGD-trained model (Madry et al. 2018 report 89.3-93.2 % after ~83 "
        "epochs of PGD-40 training).\n"
        f"Targeted noise on the first {settings.n_targeted} test images: target (label + 1) mod 10, "
        "c = 0.01, 100 Adam steps of 0.01, success = predicted target; `targeted_linf_mean` / "
        "`targeted_linf_max`: mean and max over images of the noise's L-infinity norm "
        "(`targeted_l1_mean`: mean L1 norm).\n"
        "FGSM adversarial training: epsilon 0.1, loss 0.5 clean + 0.5 adversarial; PGD adversarial "
        f"training: epsilon {pgd_cfg['epsilon']:g}, {pgd_cfg['steps']} steps of "
        f"{2.5 * pgd_cfg['epsilon'] / pgd_cfg['steps']:.3f}, random start, adversarial loss only. "
        "`train_seconds` is wall time on a shared 2-core CPU."
    )
    columns = ["variant", "clean_test", *attack_columns, "pgd40_0.3", "targeted_success",
               "targeted_linf_mean", "targeted_linf_max", "train_seconds", "train_images_per_s",
               "n_seeds"]
    run.write_results(table, "Adversarial attacks and training on MNIST", columns, notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
