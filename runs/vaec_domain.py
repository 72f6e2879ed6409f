"""Out-of-domain detection with the VAEC's latent domain scores against the max-softmax baseline.

Three shifts, each scored by AUROC (in-distribution test rows = negatives, shifted rows =
positives): (i) MNIST trained on digits 0-8, the held-out digit 9 as the shift; (ii) uniform-noise
images against the same model; (iii) breast cancer, test rows whose 30 values are permuted across
columns. Scores: the isotropic ``distance`` in sigmas, ``1 - confidence`` of the per-dimension
Student-t tests, ``1 - reconstruction p-value`` (how unusual the decoder's error is among the
training rows; meaningful where the decoder was trained), ``1 - typicality p-value`` (two-sided
empirical test of the distance), ``1 - combined p-value`` (Bonferroni of the tests that apply),
the
class-conditional ``class distance`` (Mahalanobis distance to the nearest class mean of the
training codes, shared covariance), the ``neighbour distance`` (to the 10th nearest normalised
training code), and the baseline
``1 - max softmax probability`` of the same classifier.
MNIST needs ``--data-dir`` (a folder with ``mnist.npz``) unless keras can download it.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from genlab import data
from genlab.runner import RunDir, RunOptions, aggregate
from genlab.seeding import set_seed
from runs.vaec_breast_cancer import CONFIG as CANCER_CONFIG
from vaec import VAEC, VAECConfig

MNIST_CONFIG = VAECConfig(input_shape=(28, 28, 1), n_classes=9, latent_dim=16, conv_filters=(32, 64),
                          encoder_layers=(128,), head_layers=(64,), reconstruction_loss="bce",
                          classifier_kl_weight=0.01, prediction_weight=100.0)
STRATEGIES = ("all_parts", "var_mlp_classifier")


def _scores(model: VAEC, domain, x) -> dict:
    s = domain.score(x)
    probs = model.predict(x, verbose=0, batch_size=512)
    return {"distance": s.distance, "1 - confidence": 1.0 - s.confidence,
            "1 - reconstruction p-value": 1.0 - s.reconstruction_p_value,
            "1 - typicality p-value": 1.0 - s.typicality_p_value,
            "class distance": s.class_distance,
            "neighbour distance": s.neighbour_distance,
            "1 - combined p-value": 1.0 - s.combined_p_value,
            "1 - max softmax (baseline)": 1.0 - probs.max(axis=1)}


def _auroc_rows(shift, strategy, seed, model, domain, x_in, x_out) -> list[dict]:
    s_in, s_out = _scores(model, domain, x_in), _scores(model, domain, x_out)
    labels = np.r_[np.zeros(len(x_in)), np.ones(len(x_out))]
    return [{"shift": shift, "strategy": strategy, "score": name, "seed": seed,
             "auroc": roc_auc_score(labels, np.r_[s_in[name], s_out[name]])} for name in s_in]


def _permute_rows(x: np.ndarray, rng) -> np.ndarray:
    return np.stack([row[rng.permutation(len(row))] for row in x])


def main(options: RunOptions) -> RunDir:
    run = RunDir("vaec_domain", options.out)
    seeds = options.seeds or (1 if options.quick else 3)
    records = []

    cancer = data.breast_cancer(seed=42)
    cancer_epochs = options.epochs or (60 if options.quick else 150)
    for strategy in STRATEGIES:
        for seed in range(seeds):
            set_seed(seed)
            model = VAEC(dataclasses.replace(CANCER_CONFIG, seed=seed))
            model.fit_strategy(strategy, cancer.x_train, cancer.y_train, epochs=cancer_epochs, verbose=0)
            domain = model.fit_domain(cancer.x_train, cancer.y_train)
            shifted = _permute_rows(cancer.x_test, np.random.default_rng(seed))
            records += _auroc_rows("breast cancer: permuted columns", strategy, seed, model, domain,
                                   cancer.x_test, shifted)
        print(f"  breast cancer, {strategy}: done", flush=True)

    mnist = data.mnist(options.data_dir)
    train = mnist.y_train != 9
    x_tr, y_tr = mnist.x_train[train], mnist.y_train[train]
    if options.quick:
        x_tr, y_tr = x_tr[:6000], y_tr[:6000]
    x_in, x_nine = mnist.x_test[mnist.y_test != 9], mnist.x_test[mnist.y_test == 9]
    mnist_epochs = options.epochs or (2 if options.quick else 8)
    for strategy in STRATEGIES:
        for seed in range(seeds):
            set_seed(seed)
            start = time.perf_counter()
            model = VAEC(dataclasses.replace(MNIST_CONFIG, seed=seed))
            model.fit_strategy(strategy, x_tr, y_tr, epochs=mnist_epochs, batch_size=128, verbose=0)
            domain = model.fit_domain(x_tr, y_tr)
            noise = np.random.default_rng(seed).uniform(size=(2000, 28, 28, 1)).astype(np.float32)
            acc = float((model.predict(x_in, verbose=0, batch_size=512).argmax(1)
                         == mnist.y_test[mnist.y_test != 9]).mean())
            records += _auroc_rows("MNIST 0-8: held-out digit 9", strategy, seed, model, domain, x_in, x_nine)
            records += _auroc_rows("MNIST 0-8: uniform noise", strategy, seed, model, domain, x_in, noise)
            print(f"  MNIST, {strategy} seed {seed}: accuracy on 0-8 {acc:.4f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)

    table = aggregate(records, ["shift", "strategy", "score"], ["auroc"])
    notes = (f"Seeds: {seeds}. Breast cancer: seed-42 split, {cancer_epochs} epochs, latent 2. "
             f"MNIST: conv VAEC, latent {MNIST_CONFIG.latent_dim}, trained on digits 0-8 "
             f"({len(x_tr)} images, {mnist_epochs} epochs); 2,000 uniform-noise images.\n"
             "AUROC 1.0: the score ranks every shifted input above every in-distribution one; 0.5: chance.")
    run.write_results(table, "VAEC out-of-domain detection (AUROC)",
                      ["shift", "strategy", "score", "auroc", "n_seeds"], notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
