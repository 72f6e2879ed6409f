"""Semi-supervised MNIST, M1: a conv VAE on all 60,000 images, SVMs on z_mean with few labels.

Kingma et al. (2014) model M1: the VAE (``VAEC.fit_autoencoder``, Glorot-uniform initialisation,
BCE reconstruction, latent 32) learns from every training image without labels; for n_labels in
{100, 600, 1000, 3000} and 5 balanced label draws each (n_labels / 10 per digit), LinearSVC (the
original study), RBF SVC and a self-training RBF SVM (labelled + sampled unlabelled codes) are
fitted on z_mean (active units, standardised) and scored on the full 10,000-image test set (accuracy, macro
precision / recall / F1, mean ± std over draws). Beside them: the original study's M1 + LinearSVC
accuracy and the published M1 + TSVM (Kingma et al. 2014, Table 1). Needs ``--data-dir`` (a
folder with ``mnist.npz``) unless keras can download MNIST.
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
from tqdm import tqdm

from genlab import data
from genlab.layers import LayerSpec
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback
from vaec import VAECConfig
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
METRICS = ("accuracy", "precision", "recall", "f1")


def main(options: RunOptions) -> RunDir:
    run = RunDir("semisup_mnist", options.out)
    split = data.mnist(options.data_dir)
    x_tr, y_tr = split.x_train, split.y_train
    n_labels, n_draws, config = N_LABELS, options.seeds or 5, CONFIG
    if options.quick:
        x_tr, y_tr = x_tr[:6000], y_tr[:6000]
        n_labels, n_draws = (100, 1000), options.seeds or 2
        config = dataclasses.replace(CONFIG, n_unlabelled=1000, self_training_max_iter=4)
    epochs = options.epochs or (2 if options.quick else 15)

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
                   callbacks=[scalar_callback(run.tensorboard / "vae")])
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
        idx = balanced_label_indices(y_tr, n, seed=draw)
        start = time.perf_counter()
        m1.fit_classifiers(x_tr[idx], y_tr[idx], x_unlabelled=np.delete(x_tr, idx, axis=0), seed=draw)
        seconds = time.perf_counter() - start
        for name, scores in m1.evaluate_codes(z_test, split.y_test).items():
            records.append({"n_labels": n, "classifier": name, "draw": draw, "seconds": seconds,
                            **{k: 100 * v for k, v in scores.items()}})
        tqdm.write(f"n_labels={n} draw={draw}: " + ", ".join(
            f"{r['classifier']} {r['accuracy']:.1f}%" for r in records[-len(config.classifiers):]))
    m1.save(checkpoint)

    rows = aggregate(records, by=("n_labels", "classifier"), values=METRICS)
    for row in rows:
        row["original_m1_linear_svc_accuracy"] = ORIGINAL_M1_LINEAR_SVC.get(row["n_labels"])
        row["kingma_m1_tsvm_accuracy"] = KINGMA_M1_TSVM.get(row["n_labels"])
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
        "study's M1 + LinearSVC and of Kingma et al. 2014 M1 + TSVM (Table 1, 100 - error %). "
        "Per-draw records in draws.json; the last draw's M1 (vae.keras + SVM arrays) in m1/.")
    run.write_results(rows, "Semi-supervised MNIST: M1 (VAE codes + SVMs)",
                      ["n_labels", "classifier", *METRICS, "original_m1_linear_svc_accuracy",
                       "kingma_m1_tsvm_accuracy", "n_seeds"], notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
