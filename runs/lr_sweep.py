"""Learning rates on MNIST: loss curves for 1e-10 ... 1e-1 in one figure, and the LR range test.

Protocol: one small CNN, the same initial weights for every learning rate (seeded), SGD on a
fixed slice of the MNIST training set; the loss curves per epoch are drawn in one figure and the
test accuracy after the last epoch is reported. Then the learning-rate range test (Smith 2017:
learning rate growing exponentially from 1e-7 to 10 over a few hundred steps) for SGD and Adam
suggests a rate (steepest fall of the smoothed loss, and a tenth of the rate at the smallest
loss); both suggestions are checked by training with them for the same epochs.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from genlab import data
from genlab.runner import RunDir, RunOptions, with_options
from robustness.lr_sweep import lr_grid, lr_range_test, lr_sweep, make_optimizer, plot_loss_curves
from robustness.models import mnist_cnn


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """Sizes of the study; ``quick`` uses fewer images, epochs and range-test steps."""

    n_train: int = 10_000
    epochs: int = 5
    batch_size: int = 64
    range_steps: int = 300
    seed: int = 0

    @classmethod
    def from_options(cls, options: RunOptions) -> "StudySettings":
        return with_options(cls(n_train=2000, epochs=2, range_steps=100) if options.quick else cls(),
                            options)


def build_cnn() -> keras.Model:
    """MNIST CNN ``(28, 28, 1) -> 10 probabilities``: conv16-pool-conv32-pool-dense64."""
    return mnist_cnn((16, 32), 64)


def _accuracy(model, x, y) -> float:
    return float(np.mean(model.predict(x, verbose=0, batch_size=1024).argmax(1) == y))


def _train_and_score(lr: float, optimizer: str, x, y, xt, yt, s: StudySettings) -> tuple[float, float]:
    keras.utils.set_random_seed(s.seed)
    model = build_cnn()
    model.compile(make_optimizer(optimizer, lr), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=s.epochs, batch_size=s.batch_size, verbose=0)
    return float(history.history["loss"][-1]), _accuracy(model, xt, yt)


def main(options: RunOptions) -> RunDir:
    s = StudySettings.from_options(options)
    run = RunDir("lr_sweep", options.out)
    mnist = data.mnist(options.data_dir)
    x, y = mnist.x_train[:s.n_train], mnist.y_train[:s.n_train]
    xt, yt = mnist.x_test, mnist.y_test
    rows = []

    rates = lr_grid(1e-10, 1e-1)
    print(f"loss curves: SGD, {len(rates)} learning rates, {s.n_train} images, {s.epochs} epochs", flush=True)
    models = []  # lr_sweep builds one model per rate, in order; keep them to score them

    def build():
        models.append(build_cnn())
        return models[-1]

    curves = lr_sweep(build, x, y, rates, epochs=s.epochs, batch_size=s.batch_size, optimizer="sgd",
                      seed=s.seed, log_dir=run.tensorboard / "sweep")
    for lr, model in zip(rates, models):
        rows.append({"part": "sweep", "optimizer": "sgd", "lr": f"{lr:.1e}", "learning_rate": lr,
                     "epoch1_loss": curves[lr][0], "final_loss": curves[lr][-1],
                     "test_accuracy": _accuracy(model, xt, yt)})
        print(f"  lr {lr:.0e}: loss {curves[lr][0]:.4f} -> {curves[lr][-1]:.4f}, "
              f"test accuracy {rows[-1]['test_accuracy']:.4f}", flush=True)
    plot_loss_curves(curves, title="MNIST CNN, SGD: training loss per learning rate").savefig(
        run.plots / "loss_curves.png", dpi=120)

    for optimizer in ("sgd", "adam"):
        keras.utils.set_random_seed(s.seed)
        result = lr_range_test(build_cnn(), x, y, steps=s.range_steps, batch_size=s.batch_size,
                               optimizer=optimizer, seed=s.seed)
        result.figure(title=f"Range test, {optimizer}").savefig(run.plots / f"range_test_{optimizer}.png",
                                                               dpi=120)
        for method in ("steepest", "min_fraction"):
            lr = result.suggestion(method)
            final_loss, accuracy = _train_and_score(lr, optimizer, x, y, xt, yt, s)
            rows.append({"part": f"range test: {method}", "optimizer": optimizer, "lr": f"{lr:.2e}",
                         "learning_rate": lr,
                         "epoch1_loss": None, "final_loss": final_loss, "test_accuracy": accuracy})
            print(f"  range test {optimizer} {method}: lr {lr:.2e} -> test accuracy {accuracy:.4f}",
                  flush=True)

    notes = (
        f"{s.n_train} training images, batch {s.batch_size}, {s.epochs} epochs, seed {s.seed} (same "
        "initial weights for every row); test accuracy on the 10,000 MNIST test images.\n"
        f"Range test: {s.range_steps} steps, learning rate 1e-7 -> 10 exponentially, stopped when "
        "the running loss exceeds 4x its minimum; `steepest` = rate of the steepest fall of the "
        "centred-average loss per decade before its minimum, `min_fraction` = 0.1 x the rate at the "
        "minimum. Each suggestion is then used for a full training of the same length."
    )
    columns = ["part", "optimizer", "lr", "epoch1_loss", "final_loss", "test_accuracy"]
    run.write_results(rows, "Learning rates on MNIST: sweep and range test", columns, notes)
    print((run.path / "results.md").read_text())
    run.print_paths()
    return run
