"""Autoencoder latent size on MNIST, and transfer of its encoder to a classifier with 100 labels.

Part 1: the conv autoencoder of ``gans.autoencoder`` (conv 32-64, 3x3 stride 2 + BatchNorm,
linear code, mirrored decoder, sigmoid output, BCE, Adam 1e-3, batch 128) trained on the 60,000
training images for latent sizes 3, 10, 15, 20 and 100; on the 10,000 test images: reconstruction
loss (BCE and squared error per pixel) and the largest absolute off-diagonal Pearson correlation
between code coordinates (``vaec.representation.max_latent_correlation``). Plot
``plots/latent_size.png``: both against the size.

Part 2: the latent-15 encoder (the original study's) + an MLP head (128 relu units) trained on 100
balanced labelled images (10 per digit), encoder frozen vs fine-tuned
(``vaec.representation.transfer_study``), 5 label draws, accuracy on the full test set, beside the
original study's 40 % (frozen) and 80 % (fine-tuned). Trained autoencoders are kept in
``models/``; re-running into the same ``--out`` reuses them. Needs ``--data-dir`` (a folder with
``mnist.npz``) unless keras can download MNIST.
"""

from __future__ import annotations

import json

import keras

from gans.autoencoder import conv_autoencoder
from genlab import data
from genlab.runner import RunDir, RunOptions, aggregate, markdown_table
from genlab.seeding import set_seed
from genlab.tensorboard import scalar_callback
from vaec.representation import latent_size_figure, latent_size_study, transfer_study

SIZES = (3, 10, 15, 20, 100)
TRANSFER_SIZE = 15
#: Test accuracy (%) the original study reported with 100 labels.
ORIGINAL_TRANSFER = {"frozen": 40.0, "fine_tuned": 80.0}


def main(options: RunOptions) -> RunDir:
    run = RunDir("latent_size", options.out)
    split = data.mnist(options.data_dir)
    x_tr, y_tr = split.x_train, split.y_train
    epochs = options.epochs or (1 if options.quick else 8)
    n_draws = options.seeds or (2 if options.quick else 5)
    head_epochs = 30 if options.quick else 150
    if options.quick:
        x_tr, y_tr = x_tr[:6000], y_tr[:6000]

    models_dir = run.path / "models"
    saved = models_dir / "records.json"
    if saved.exists():
        # The autoencoders are the long part: a re-run into the same --out reuses them.
        records = json.loads(saved.read_text())
        models = {r["latent_dim"]: keras.saving.load_model(models_dir / f"latent_{r['latent_dim']}.keras")
                  for r in records}
        print(f"reusing the autoencoders in {models_dir}", flush=True)
    else:
        set_seed(0)
        records, models = latent_size_study(
            lambda d: conv_autoencoder((28, 28, 1), latent_dim=d), x_tr, split.x_test, sizes=SIZES,
            epochs=epochs, batch_size=128, verbose=2,
            callbacks_for=lambda d: [scalar_callback(run.tensorboard / f"latent_{d}")])
        models_dir.mkdir(exist_ok=True)
        for size, model in models.items():
            model.save(models_dir / f"latent_{size}.keras")
        for r in records:
            r.update(epochs=epochs, images=len(x_tr))
        saved.write_text(json.dumps(records, indent=2) + "\n")
    fig = latent_size_figure(records)
    fig.savefig(run.plots / "latent_size.png", dpi=120)

    transfer = transfer_study(models[TRANSFER_SIZE].encoder, x_tr, y_tr, split.x_test, split.y_test,
                              n_labels=100, draws=n_draws, head_epochs=head_epochs,
                              fine_tune_epochs=head_epochs)
    for r in transfer:
        r["accuracy"] *= 100
        print(f"transfer draw {r['draw']} {r['mode']}: {r['accuracy']:.1f}%", flush=True)
    (run.path / "transfer_draws.json").write_text(json.dumps(transfer, indent=2) + "\n")
    transfer_rows = aggregate(transfer, by=("mode",), values=("accuracy",))
    for row in transfer_rows:
        row.update(latent_dim=TRANSFER_SIZE, n_labels=100, original_accuracy=ORIGINAL_TRANSFER[row["mode"]])

    rows = [{"part": "latent_size", **r} for r in records] + \
           [{"part": "transfer", **r} for r in transfer_rows]
    size_table = markdown_table(records, ["latent_dim", "test_bce", "test_mse", "max_abs_correlation",
                                          "mean_abs_correlation", "dead_units", "seconds"])
    transfer_table = markdown_table(transfer_rows, ["mode", "latent_dim", "n_labels", "accuracy",
                                                    "original_accuracy", "n_seeds"])
    notes = (
        f"Autoencoder: gans.autoencoder.conv_autoencoder (conv 32-64 stride 2 + BatchNorm + "
        f"LeakyReLU, linear code, mirrored decoder, sigmoid), BCE, Adam 1e-3, batch 128, {epochs} "
        f"epochs on {len(x_tr)} training images per size. test_bce / test_mse: mean per pixel on "
        f"the {len(split.x_test)} test images. max_abs_correlation: the largest |Pearson r| "
        "between two different code coordinates over the test codes (mean_abs_correlation: the "
        "mean over all pairs; dead_units: coordinates constant on the test set).\n\n"
        f"## Transfer: latent-{TRANSFER_SIZE} encoder + MLP (128 relu), 100 labels\n\n"
        f"{transfer_table}\n\n"
        f"Accuracy (%) on the {len(split.x_test)} test images, mean ± std (population) over "
        f"{n_draws} balanced label draws (10 per digit, seeds 0..{n_draws - 1}). frozen: encoder "
        "weights and BatchNorm statistics fixed, codes standardised with their mean / std over the "
        "unlabelled training images, dropout 0.3, labelled images augmented (rotation ±0.03 "
        f"turn, shifts ±10 %), Adam 1e-3, batch 32, {head_epochs} epochs. fine_tuned: continues "
        f"from the frozen model with the encoder unfrozen, Adam 1e-4, {head_epochs} more epochs. "
        "original_accuracy: the original study's numbers. Per-draw records in "
        "transfer_draws.json; autoencoders in models/.")
    # results.json holds both parts' rows; results.md shows them as two tables.
    run.write_results(rows, "Autoencoder latent size on MNIST")
    (run.path / "results.md").write_text(
        f"# Autoencoder latent size on MNIST\n\n{size_table}\n\n{notes}\n")
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
