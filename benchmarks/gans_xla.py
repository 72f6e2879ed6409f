"""XLA against no XLA for every image GAN of ``gans.zoo`` (the MNIST study): training images per second.

Each model is built twice (``jit_compile`` False / True), warmed up on 512 images (tracing and
XLA compilation excluded), then timed on one epoch of ``--images`` MNIST-sized images
(``gans.zoo.images_per_second``); the two settings alternate ``--repeats`` times so that load from
other processes hits both alike. Prints a table of images/s and the speed-up (> 1: XLA is faster).

    python -m benchmarks.gans_xla --data-dir DIR [--images 2048] [--repeats 2]

Run it from the repository root (``-m`` imports this checkout's ``gans``).

Without ``--data-dir`` random images stand in for MNIST (the speed does not depend on content).
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

from gans import zoo


def images_per_second(name: str, jit: bool, x01, y, ae) -> float:
    """Speed of a freshly built model ``name`` (weights from seed 0) with or without XLA."""
    keras.utils.set_random_seed(0)
    model = zoo.build(name, ae, jit_compile=jit)
    return zoo.images_per_second(model, *zoo.fit_inputs(name, x01, y), batch_size=zoo.entry(name).batch_size)


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
    ae = zoo.train_autoencoder(x01, epochs=1, verbose=0)
    rows = []
    for name in zoo.NAMES:
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
