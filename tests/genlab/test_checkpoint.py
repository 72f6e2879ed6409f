"""EpochBackup: an interrupted fit resumed from its backup ends as the uninterrupted one; backups are
atomic; a finished fit trains nothing; stateful callbacks and random streams come back."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.checkpoint import STATE_FILE, EpochBackup, finished_epochs, fit_finished, read_backup
from genlab.errors import ConfigError, SavedStateError
from ..conftest import Count

EPOCHS, STEPS, BATCH = 5, 4, 8


def make_model():
    """A small model whose steps draw random numbers: dropout and a Gaussian noise layer."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5, seed=1), keras.layers.GaussianNoise(0.3, seed=2),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def dataset(first_epoch):
    """Batches of epoch e drawn from (0, e) only: a resumed fit sees the batches of an uninterrupted one."""
    x = np.random.default_rng(0).normal(size=(STEPS * BATCH, 3)).astype(np.float32)
    y = x.sum(1, keepdims=True)

    def generate():
        for epoch in range(first_epoch, EPOCHS):
            order = np.random.default_rng([0, epoch]).permutation(len(x))
            for s in range(STEPS):
                rows = order[s * BATCH:(s + 1) * BATCH]
                yield x[rows], y[rows]

    spec = (tf.TensorSpec((BATCH, 3), tf.float32), tf.TensorSpec((BATCH, 1), tf.float32))
    return tf.data.Dataset.from_generator(generate, output_signature=spec)


class Stop(keras.callbacks.Callback):
    """Raise in the middle of an epoch (0-based), as a process killed there would stop."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == STEPS // 2:
            raise RuntimeError("stopped")


def fit(model, backup_dir, callbacks=()):
    first = finished_epochs(backup_dir)
    backup = EpochBackup(backup_dir)
    history = model.fit(dataset(first), epochs=EPOCHS, steps_per_epoch=STEPS, verbose=0, shuffle=False,
                        callbacks=[*callbacks, backup])
    return backup, history


def test_interrupted_fit_resumes_to_the_uninterrupted_weights(tmp_path):
    reference = make_model()
    ref_backup, _ = fit(reference, tmp_path / "ref")
    model = make_model()
    with pytest.raises(RuntimeError, match="stopped"):
        fit(model, tmp_path / "b", [Stop(2)])
    assert finished_epochs(tmp_path / "b") == 2 and not fit_finished(tmp_path / "b")
    resumed, count = make_model(), Count()  # a new process: fresh weights, optimizer and random streams
    backup, _ = fit(resumed, tmp_path / "b", [count])
    assert count.epochs == [2, 3, 4]  # no finished epoch is repeated
    assert backup.restored_epoch == 2
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(reference.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert backup.history["loss"] == ref_backup.history["loss"]  # every epoch's logs, the restored ones too
    assert fit_finished(tmp_path / "b")
    assert resumed._initial_epoch is None  # a later fit of the same model starts at its own epoch 0


def test_random_streams_are_part_of_the_backup(tmp_path):
    # Without the seed generators' state, the resumed epochs replay the dropout masks and noise
    # of the first epochs: the weights differ.
    model = make_model()
    with pytest.raises(RuntimeError):
        fit(model, tmp_path / "b", [Stop(2)])
    state = read_backup(tmp_path / "b")
    arrays = np.load(tmp_path / "b" / state["arrays"])
    assert state["rng"] == 2 and not np.array_equal(arrays["rng_0"], [1, 0])  # the streams have moved


def test_finished_fit_trains_no_epoch(tmp_path):
    model = make_model()
    fit(model, tmp_path / "b")
    trained = [w.copy() for w in model.get_weights()]
    again, count = make_model(), Count()
    fit(again, tmp_path / "b", [count])
    assert count.epochs == []
    for a, b in zip(trained, again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_killed_save_leaves_the_previous_backup(tmp_path):
    model = make_model()
    with pytest.raises(RuntimeError):
        fit(model, tmp_path / "b", [Stop(3)])
    folder = tmp_path / "b"
    state = read_backup(folder)
    # What a process killed in the middle of the next save leaves: a newer weights file and a
    # partial state file, never renamed.
    (folder / "epoch000004-deadbeef.weights.h5").write_bytes(b"partial")
    (folder / f".{STATE_FILE}.epoch000004-deadbeef.tmp").write_text('{"epoch": 4, "wei')
    assert read_backup(folder) == state and finished_epochs(folder) == 3
    resumed, count = make_model(), Count()
    fit(resumed, folder, [count])
    assert count.epochs == [3, 4]
    assert sorted(p.name for p in folder.iterdir() if "deadbeef" in p.name) == []  # leftovers removed


def test_early_stopping_counters_survive_the_interruption(tmp_path):
    def stopper():
        return keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0, restore_best_weights=True)

    def run(folder, extra=()):
        model, stop = make_model(), stopper()
        first = finished_epochs(folder)
        backup = EpochBackup(folder, stateful=[stop])
        model.fit(dataset(first), epochs=EPOCHS, steps_per_epoch=STEPS, verbose=0, shuffle=False,
                  callbacks=[stop, *extra, backup])
        return model, stop

    reference, ref_stop = run(tmp_path / "ref")
    assert ref_stop.stopped_epoch == 1  # min_delta 10: no epoch improves enough
    with pytest.raises(RuntimeError):
        run(tmp_path / "b", [Stop(1)])
    resumed, stop = run(tmp_path / "b")
    # Restarted from scratch, the counter would let one more epoch run before stopping.
    assert stop.stopped_epoch == 1 and stop.wait == ref_stop.wait
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_worker_that_does_not_write_leaves_nothing(tmp_path):
    model = make_model()
    model.fit(dataset(0), epochs=2, steps_per_epoch=STEPS, verbose=0, shuffle=False,
              callbacks=[EpochBackup(tmp_path / "b", write=False)])
    assert not (tmp_path / "b").exists()


def test_bad_backups_and_callbacks_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="keeps the state of"):
        EpochBackup(tmp_path, stateful=[keras.callbacks.TerminateOnNaN()])
    (tmp_path / STATE_FILE).write_text(json.dumps({"epoch": 2, "weights": "missing.weights.h5"}))
    with pytest.raises(SavedStateError, match="missing"):
        finished_epochs(tmp_path)


class Tally(keras.callbacks.Callback):
    """A callback with its own state (``backup_state`` / ``restore_state``), like QualityTracker."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(epoch)

    def backup_state(self):
        return {"seen": self.seen}

    def restore_state(self, state):
        self.seen = list(state["seen"])


def test_callbacks_with_a_backup_state_get_it_back(tmp_path):
    # Without it a resumed fit's per-epoch records (quality curves, plotted epochs) lose the epochs
    # trained before the stop.
    def run(tally, extra=()):
        first = finished_epochs(tmp_path)
        make_model().fit(dataset(first), epochs=EPOCHS, steps_per_epoch=STEPS, verbose=0, shuffle=False,
                         callbacks=[tally, *extra, EpochBackup(tmp_path, stateful=[tally])])

    with pytest.raises(RuntimeError):
        run(Tally(), [Stop(2)])
    tally = Tally()
    run(tally)
    assert tally.seen == [0, 1, 2, 3, 4]
