"""XLA against no XLA for every image GAN of ``runs/gans_mnist.py``: training images per second.

Each model is built twice (``jit_compile`` False / True), warmed up on 512 images (tracing and
XLA compilation excluded), then timed on one epoch of ``--images`` MNIST-sized images; the two
settings alternate ``--repeats`` times so that load from other processes hits both alike. Prints
a table of images/s and the speed-up (> 1: XLA is faster).

    python benchmarks/gans_xla.py --data-dir ../shared/data/mnist [--images 2048] [--repeats 2]

Run it from the repository root (it imports the models of ``runs/gans_mnist.py``).

Without ``--data-dir`` random images stand in for MNIST (the speed does not depend on content).
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from runs.gans_mnist import BATCH, _inputs, build, train_autoencoder

NAMES = ("dcgan", "wgan_clip", "wgan_gp", "cwgan_gp", "latent_wgan")


def images_per_second(name: str, jit: bool, x01, y, ae) -> float:
    """One warm-up fit on 512 images, then one timed epoch on all of ``x01``."""
    keras.utils.set_random_seed(0)
    model, _ = build(name, ae, jit_compile=jit)
    x, labels = _inputs(name, x01, y)
    model.fit(x[:512], None if labels is None else labels[:512], epochs=1, batch_size=BATCH[name], verbose=0)
    start = time.perf_counter()
    model.fit(x, labels, epochs=1, batch_size=BATCH[name], verbose=0)
    return len(x) / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    if args.data_dir:
        from genlab import data

        split = data.mnist(args.data_dir)
        x01, y = split.x_train[:args.images], split.y_train[:args.images]
    else:
        rng = np.random.default_rng(0)
        x01 = rng.random((args.images, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, args.images)
    ae = train_autoencoder(x01, epochs=1, verbose=0)
    rows = []
    for name in NAMES:
        speeds = {False: [], True: []}
        for _ in range(args.repeats):
            for jit in (False, True):
                speeds[jit].append(images_per_second(name, jit, x01, y, ae))
        plain, xla = np.median(speeds[False]), np.median(speeds[True])
        rows.append((name, plain, xla, xla / plain))
        print(f"{name}: {plain:.0f} images/s without XLA, {xla:.0f} with (x{xla / plain:.2f})", flush=True)
    print("\n| model | images/s, jit_compile=False | images/s, jit_compile=True | speed-up |\n|---|---|---|---|")
    for name, plain, xla, ratio in rows:
        print(f"| {name} | {plain:.0f} | {xla:.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
