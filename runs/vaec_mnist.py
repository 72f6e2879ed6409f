"""VAEC on MNIST with a conv encoder/decoder: every strategy's test accuracy, latent-2 plots.

Parts (``--only`` picks some: ``all_parts``, ``ae_head``, ``mlp_classifier``,
``var_mlp_classifier``, ``latent2``):

* the table: each strategy trained from scratch on the 60,000 training images (conv 64-128,
  dense 256 with dropout 0.4, latent 16, head 64 with dropout 0.3; 12 epochs per strategy, Adam
  1e-3 with a cosine decay to 0 over each strategy's steps), test accuracy on the 10,000 test
  images from z_mean.
* ``latent2``: a latent_dim 2 model (conv 32-64, dense 128) trained with ``fit_all_parts`` for
  1,024 epochs on a fixed 2,048-image training subset (1,024 full-data epochs would take days
  on a 2-core CPU; the subset keeps the whole course of training visible), its latent space
  drawn at epochs 1, 2, 4, ..., 1024 (PNG and TensorBoard) for training and 2,000 test images.

Needs ``--data-dir`` (a folder with ``mnist.npz``) unless keras can download MNIST.

Resumes: started again with the same ``--out`` (and ``--epochs`` / ``--quick``) after a kill, it
keeps the row of every part that finished (``parts/<part>.json``) and resumes the part in progress
from its last finished epoch (``checkpoints/<part>/<strategy>/``, one folder per strategy of a
pipeline).
"""

from __future__ import annotations

import dataclasses
import time

import keras

from genlab import data
from genlab.checkpoint import resume_epoch
from genlab.layers import LayerSpec
from genlab.progress import EveryNEpochs
from genlab.runner import RunDir, RunOptions
from genlab.seeding import set_seed
from genlab.tensorboard import doubling_epochs, scalar_callback
from vaec import VAEC, LatentPlotCallback, VAECConfig

CONFIG = VAECConfig(input_shape=(28, 28, 1), n_classes=10, latent_dim=16, conv_filters=(64, 128),
                    encoder_layers=(LayerSpec(256, dropout=0.4),),
                    head_layers=(LayerSpec(64, dropout=0.3),), reconstruction_loss="bce",
                    classifier_kl_weight=0.01, prediction_weight=100.0)
#: The plotted latent-2 model: smaller, trained long on a subset.
PLOT_CONFIG = dataclasses.replace(CONFIG, latent_dim=2, conv_filters=(32, 64), encoder_layers=(LayerSpec(128),),
                                  head_layers=(LayerSpec(32),))
PLOT_IMAGES, PLOT_EPOCHS = 2048, 1024
#: Part name -> strategies run in order (``ae_head``: autoencoder, then the head on the frozen encoder).
PIPELINES = {
    "all_parts": ("all_parts",),
    "ae_head": ("autoencoder", "classifier_head"),
    "mlp_classifier": ("mlp_classifier",),
    "var_mlp_classifier": ("var_mlp_classifier",),
}
PARTS = (*PIPELINES, "latent2")


def cosine_adam(epochs: int, n_train: int, batch_size: int = 128) -> keras.optimizers.Optimizer:
    """Adam from 1e-3 with a cosine decay to 0 over ``epochs`` epochs of ``n_train`` images."""
    steps = epochs * -(-n_train // batch_size)
    return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps))


def strategy_table(run: RunDir, split, options: RunOptions, names) -> list[dict]:
    """The pipelines ``names`` of PIPELINES, each trained from scratch; test accuracy from z_mean."""
    x_tr, y_tr = split.x_train, split.y_train
    if options.quick:
        x_tr, y_tr = x_tr[:5000], y_tr[:5000]
    epochs = options.epochs or (2 if options.quick else 12)
    rows = []
    for name in names:
        row = run.finished(name)
        if row is not None:  # finished before a stop: its row, no training
            rows.append(row)
            continue
        strategies = PIPELINES[name]
        checkpoint = run.checkpoint_dir(name)
        trained = sum(epochs - resume_epoch(checkpoint / s) for s in strategies)  # epochs this process trains
        set_seed(0)
        model = VAEC(CONFIG)
        start = time.perf_counter()
        for strategy in strategies:  # a finished strategy is restored, the interrupted one resumed
            model.fit_strategy(strategy, x_tr, y_tr, epochs=epochs, batch_size=128, verbose=2,
                               optimizer=cosine_adam(epochs, len(x_tr)),
                               validation_data=(split.x_test, split.y_test),
                               callbacks=[scalar_callback(run.tensorboard / name / strategy)],
                               checkpoint_dir=checkpoint)
        seconds = time.perf_counter() - start
        acc = float((model.predict(split.x_test, verbose=0, batch_size=512).argmax(1) == split.y_test).mean())
        rows.append(run.finish(name, {
            "strategy": " -> ".join(strategies), "test_accuracy": acc, "latent_dim": CONFIG.latent_dim,
            "training_images": len(x_tr), "epochs": epochs * len(strategies), "seconds": seconds,
            "images_per_second": len(x_tr) * trained / seconds if trained else None}))
        print(f"{name}: test accuracy {acc:.4f} ({seconds:.0f} s)", flush=True)
    return rows


def latent2_course(run: RunDir, split, options: RunOptions) -> tuple[dict, list[int]]:
    """The latent-2 model trained long on a subset, its latent space drawn at doubling epochs."""
    row = run.finished("latent2")
    if row is not None:  # finished before a stop
        return row, row.pop("plotted_epochs")
    n = 512 if options.quick else PLOT_IMAGES
    epochs = options.epochs or (8 if options.quick else PLOT_EPOCHS)
    x_tr, y_tr = split.x_train[:n], split.y_train[:n]
    trained = epochs - resume_epoch(run.checkpoint_dir("latent2") / "all_parts")
    set_seed(0)
    model = VAEC(PLOT_CONFIG)
    plots = LatentPlotCallback((x_tr, y_tr), (split.x_test[:2000], split.y_test[:2000]),
                               log_dir=run.tensorboard / "latent2" / "images",
                               png_dir=run.plots / "latent2", epochs=doubling_epochs(1, epochs),
                               class_names=split.class_names)
    start = time.perf_counter()
    model.fit_all_parts(x_tr, y_tr, epochs=epochs, batch_size=128, verbose=0,
                        callbacks=[plots, scalar_callback(run.tensorboard / "latent2"), EveryNEpochs(64)],
                        checkpoint_dir=run.checkpoint_dir("latent2"))
    seconds = time.perf_counter() - start
    acc = float((model.predict(split.x_test, verbose=0, batch_size=512).argmax(1) == split.y_test).mean())
    row = run.finish("latent2", {"strategy": "all_parts (latent 2, plotted)", "test_accuracy": acc, "latent_dim": 2,
                                 "training_images": n, "epochs": epochs, "seconds": seconds,
                                 "images_per_second": n * trained / seconds if trained else None,
                                 "plotted_epochs": sorted(plots.logged_epochs)})
    print(f"latent 2: test accuracy {acc:.4f} after {epochs} epochs on {n} images ({seconds:.0f} s)", flush=True)
    return row, row.pop("plotted_epochs")


def main(options: RunOptions) -> RunDir:
    parts = options.select(PARTS)  # before anything is written
    run = RunDir("vaec_mnist", options.out, arguments={"epochs": options.epochs, "quick": options.quick})
    split = data.mnist(options.data_dir)
    rows, plotted = strategy_table(run, split, options, [p for p in parts if p in PIPELINES]), []
    if "latent2" in parts:
        row, plotted = latent2_course(run, split, options)
        rows.append(row)
    notes = ("Test: the 10,000 test images. Table models: conv encoder 64-128 (3x3, stride 2) -> dense 256 "
             "(dropout 0.4) -> z (16); decoder mirrors it; head z -> 64 (dropout 0.3) -> 10; BCE "
             "reconstruction; prediction_weight 100 (the summed BCE of 784 pixels would otherwise drown the "
             "classification loss); classifier_kl_weight 0.01; Adam 1e-3 with cosine decay, batch 128; "
             "epochs counts all stages of a pipeline; seconds of a part resumed after a stop count the "
             "resumed epochs only. Latent-2 model: conv 32-64 -> dense 128 -> z (2) -> "
             f"head 32, trained on the first {PLOT_IMAGES} training images"
             + (f"; plots at epochs {plotted} in plots/latent2 and TensorBoard (latent2/images)." if plotted else "."))
    run.write_results(rows, "VAEC on MNIST: test accuracy per strategy",
                      ["strategy", "test_accuracy", "latent_dim", "training_images", "epochs", "seconds",
                       "images_per_second"], notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
