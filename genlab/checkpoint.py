"""Resumable training: an epoch backup that survives ``SIGKILL`` and keeps the whole training state.

:class:`EpochBackup` is a ``keras.callbacks.BackupAndRestore`` whose backup holds everything a
resumed ``fit`` needs to continue as if it had never stopped:

- the model's weights and its optimizers' variables (``model.save_weights``);
- the state of every ``keras.random.SeedGenerator`` of the model (Keras saves none of them), so
  noise, dropout masks and sampled codes continue the same stream;
- the epoch count, the logs of every finished epoch (``history``), and the state of stateful
  callbacks such as ``EarlyStopping`` and ``ReduceLROnPlateau`` (their ``wait`` / ``best``
  counters and kept best weights);
- whether the fit finished: a finished fit restored by a new ``fit`` call runs no epoch at all.

Backups are written all-or-nothing: the weights go to a new file named by the epoch, the state
to a temporary file that then takes the name ``backup.json`` in one rename; ``backup.json`` only
ever names a complete weights file. A process killed at any instant leaves the previous complete
backup, and the resumed fit repeats only the epoch it was in when killed.

For exact resumption the data of epoch ``e`` must depend only on ``e`` (e.g. a shuffle seeded with
``(seed, e)``): a new process does not continue a ``tf.data`` shuffle where the old one stopped.
:func:`finished_epochs` reads the epoch a fit will resume at, before ``fit`` builds its data.

Under ``MultiWorkerMirroredStrategy`` every worker restores from the same folder (a shared
filesystem on a real cluster) and only the chief writes (``write=genlab.distribute.is_chief()``).

Example:
    >>> backup = EpochBackup("ckpt/fit")
    >>> model.fit(dataset, epochs=100, callbacks=[early_stopping, backup])   # the backup last
    >>> # killed, started again with the same arguments: resumes after the last finished epoch
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import keras
import numpy as np

from genlab.errors import SavedStateError

#: The state file of a backup folder.
STATE_FILE = "backup.json"
#: Attributes of stateful Keras callbacks kept in a backup (arrays and lists of arrays go to ``.npz``).
CALLBACK_STATE = {
    "EarlyStopping": ("wait", "stopped_epoch", "best", "best_epoch", "best_weights"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
}


def read_backup(backup_dir: str | os.PathLike) -> dict | None:
    """The state of the last complete backup in ``backup_dir`` (``None`` when there is none).

    Raises:
        SavedStateError: ``backup.json`` is unreadable or names a weights file that is absent.
    """
    path = Path(backup_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
        weights = Path(backup_dir) / state["weights"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise SavedStateError(f"{path} is not a complete backup ({exc}); delete {backup_dir} to train from the "
                              "start") from exc
    if not weights.is_file():
        raise SavedStateError(f"{path} names {weights.name}, which is missing; delete {backup_dir} to train from "
                              "the start")
    return state


def finished_epochs(backup_dir: str | os.PathLike | None) -> int:
    """Epochs finished by the fit backed up in ``backup_dir`` (0 without a backup): where it resumes."""
    if backup_dir is None:
        return 0
    state = read_backup(backup_dir)
    return 0 if state is None else int(state["epoch"])


def fit_finished(backup_dir: str | os.PathLike | None) -> bool:
    """Whether the fit backed up in ``backup_dir`` ran to its end (a new ``fit`` call then trains nothing)."""
    state = None if backup_dir is None else read_backup(backup_dir)
    return bool(state and state.get("finished"))


def _rng_variables(model) -> list:
    """The state variables of the model's seed generators, in a fixed order."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def _callback_key(callback) -> str | None:
    for cls in type(callback).__mro__:
        if cls.__name__ in CALLBACK_STATE:
            return cls.__name__
    return None


class EpochBackup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` with atomic backups, RNG and callback state, and a finished mark.

    Put it **last** in the callback list, after the callbacks whose state it keeps, so that it saves
    their state as of the end of the epoch.

    Args:
        backup_dir: Folder of the backups (created on the first save; used by nothing else).
        stateful: Callbacks whose counters to keep (``EarlyStopping`` and subclasses,
            ``ReduceLROnPlateau``); others raise.
        write: Write backups (``False`` on the non-chief workers of a multi-worker fit: they restore
            from the chief's backups and write nothing).
        delete_checkpoint: Remove the folder when the fit ends (default ``False``: keep it, marked
            finished, so that running the same fit again trains nothing).

    Attributes:
        history: ``{metric: [value per epoch]}`` of every finished epoch, restored ones included.
        restored_epoch: The epoch the last ``fit`` resumed at (0 when it started afresh).

    Raises:
        ConfigError: A ``stateful`` callback of an unsupported type.
    """

    def __init__(self, backup_dir: str | os.PathLike, stateful=(), write: bool = True,
                 delete_checkpoint: bool = False):
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=delete_checkpoint)
        from genlab.errors import ConfigError

        for callback in stateful:
            if _callback_key(callback) is None:
                raise ConfigError(f"EpochBackup keeps the state of {sorted(CALLBACK_STATE)} callbacks (and their "
                                  f"subclasses), received {type(callback).__name__}")
        self.path = Path(backup_dir)
        self.stateful, self.write = list(stateful), bool(write)
        self.history: dict[str, list[float]] = {}
        self.restored_epoch = 0

    # ------------------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self._load_model()

    def _load_model(self):
        self.history, self.restored_epoch = {}, 0
        state = read_backup(self.path)
        if state is None:
            return
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)  # its variables must exist to be loaded
        model.load_weights(self.path / state["weights"])
        arrays = np.load(self.path / state["arrays"], allow_pickle=False)
        rng = _rng_variables(model)
        if len(rng) != state["rng"]:
            raise SavedStateError(f"{self.path}: the backup holds {state['rng']} random-number streams, the model "
                                  f"{len(rng)}; it was written by another model: delete the folder")
        for i, variable in enumerate(rng):
            variable.assign(arrays[f"rng_{i}"])
        for i, callback in enumerate(self.stateful):
            self._restore_callback(i, callback, state["callbacks"][i], arrays)
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.restored_epoch = int(state["epoch"])
        self._current_epoch = self.restored_epoch
        # A finished fit runs no epoch; an unfinished one continues after its last finished epoch.
        model._initial_epoch = self.params.get("epochs", state["epoch"]) if state.get("finished") else state["epoch"]

    def _restore_callback(self, i: int, callback, values: dict, arrays) -> None:
        for name, value in values.items():
            if value == "__array__":
                value = arrays[f"cb{i}_{name}"]
            elif value == "__arrays__":
                value = [arrays[f"cb{i}_{name}_{j}"] for j in range(int(arrays[f"cb{i}_{name}_n"]))]
            setattr(callback, name, value)

    # ------------------------------------------------------------------------------ save
    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self._save_model(finished=True)
        self.model._initial_epoch = None  # Keras keeps it on the model: a later fit would skip epochs
        super().on_train_end(logs)

    def _save_model(self, finished: bool = False):
        if not self.write:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        tag = f"epoch{self._current_epoch:06d}-{uuid.uuid4().hex[:8]}"
        weights, arrays_file = f"{tag}.weights.h5", f"{tag}.state.npz"
        self.model.save_weights(self.path / weights, overwrite=True)
        arrays = {f"rng_{i}": np.asarray(v.numpy()) for i, v in enumerate(_rng_variables(self.model))}
        callbacks = [self._callback_state(i, cb, arrays) for i, cb in enumerate(self.stateful)]
        with open(self.path / arrays_file, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        state = {"epoch": self._current_epoch, "finished": finished, "weights": weights, "arrays": arrays_file,
                 "rng": sum(k.startswith("rng_") for k in arrays), "callbacks": callbacks, "history": self.history}
        tmp = self.path / f".{STATE_FILE}.{tag}.tmp"
        with open(tmp, "w") as fh:
            fh.write(json.dumps(state, default=float))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / STATE_FILE)  # the one step that switches to the new backup
        for old in self.path.iterdir():  # earlier backups and leftovers of killed saves
            if old.name != STATE_FILE and not old.name.startswith(tag):
                old.unlink(missing_ok=True)

    @staticmethod
    def _callback_state(i: int, callback, arrays: dict) -> dict:
        values = {}
        for name in CALLBACK_STATE[_callback_key(callback)]:
            value = getattr(callback, name, None)
            if isinstance(value, np.ndarray):
                arrays[f"cb{i}_{name}"], values[name] = value, "__array__"
            elif isinstance(value, list) and value and all(isinstance(a, np.ndarray) for a in value):
                arrays.update({f"cb{i}_{name}_{j}": a for j, a in enumerate(value)})
                arrays[f"cb{i}_{name}_n"], values[name] = np.asarray(len(value)), "__arrays__"
            else:
                values[name] = value.item() if isinstance(value, np.generic) else value
        return values


__all__ = ["CALLBACK_STATE", "EpochBackup", "STATE_FILE", "finished_epochs", "fit_finished", "read_backup"]
