"""EveryNEpochs prints every n-th epoch and the last one, including an early-stopped last one."""

import keras
import numpy as np
import pytest

from genlab.progress import EveryNEpochs


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_prints_every_n_and_the_last_epoch(capsys):
    x = np.ones((8, 3), np.float32)
    printer = EveryNEpochs(3, "toy")
    _model().fit(x, x[:, :1], epochs=7, verbose=0, callbacks=[printer])
    epochs = [int(line.split("epoch ")[1].split(":")[0]) for line in printer.lines]
    assert epochs == [3, 6, 7]
    out = capsys.readouterr().out
    assert "toy: epoch 3: loss " in out and out.count("\n") == 3


def test_prints_the_epoch_where_early_stopping_ends():
    x = np.ones((8, 3), np.float32)
    # min_delta so large that no epoch improves: stops after patience + 1 epochs
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=1e9)
    printer = EveryNEpochs(10)
    _model().fit(x, x[:, :1], epochs=50, verbose=0, callbacks=[stopper, printer])
    assert len(printer.lines) == 1 and printer.lines[0].startswith("  epoch 2:")


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        EveryNEpochs(n)
