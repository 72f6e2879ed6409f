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

Above the backup, :class:`FitCheckpoint` is the folder of one resumable fit: the fit's arguments
(``fit.json``, compared when the fit is started again: a checkpoint of other arguments is refused)
and one backup folder per training stage. :func:`epoch_batches` serves arrays in batches whose
order in epoch ``e`` is drawn from ``(seed, e)`` only, and :func:`resumable_fit` puts the three
together for the ``fit(..., checkpoint_dir=...)`` of every genlab Keras model
(:class:`genlab.callbacks.GuardedFit`).

Example:
    >>> backup = EpochBackup("ckpt/fit")
    >>> model.fit(dataset, epochs=100, callbacks=[early_stopping, backup])   # the backup last
    >>> # killed, started again with the same arguments: resumes after the last finished epoch
    >>> model.fit(x, y, epochs=100, checkpoint_dir="ckpt/vaec")  # a genlab model does all of it
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Sequence

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
    if callable(getattr(callback, "backup_state", None)):
        return "backup_state"
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
            ``ReduceLROnPlateau``, and any callback with ``backup_state()`` returning JSON and
            ``restore_state(state)``); others raise.
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
        if len(state["callbacks"]) != len(self.stateful):
            raise SavedStateError(f"{self.path}: the backup holds the state of {len(state['callbacks'])} stateful "
                                  f"callback(s), this fit has {len(self.stateful)}; resume with the same callbacks")
        for i, callback in enumerate(self.stateful):
            self._restore_callback(i, callback, state["callbacks"][i], arrays)
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.restored_epoch = int(state["epoch"])
        self._current_epoch = self.restored_epoch
        # A finished fit runs no epoch; an unfinished one continues after its last finished epoch.
        model._initial_epoch = self.params.get("epochs", state["epoch"]) if state.get("finished") else state["epoch"]

    def _restore_callback(self, i: int, callback, values: dict, arrays) -> None:
        if _callback_key(callback) == "backup_state":
            callback.restore_state(values["state"])
            return
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
        if _callback_key(callback) == "backup_state":
            return {"state": callback.backup_state()}
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


def is_stateful(callback) -> bool:
    """Whether :class:`EpochBackup` can keep the state of ``callback`` (see ``stateful``)."""
    return _callback_key(callback) is not None


class FitCheckpoint:
    """The checkpoint folder of one resumable fit: its arguments and one backup folder per stage.

    Layout: ``fit.json`` (the arguments a resumed fit must share with the one that wrote the
    folder) and one :class:`EpochBackup` folder per training stage (:meth:`stage`). Built when a
    fit starts: a folder written by a fit with other arguments, or holding something else, is
    refused before anything is trained or written.

    Args:
        directory: The folder (created by :meth:`start`).
        arguments: What identifies the fit (JSON: data fingerprint, epochs, seeds, configuration...).
        write: Whether this process writes (``False`` on non-chief workers).

    Raises:
        PathExistsError: ``directory`` is a file, a folder holding something else, or the checkpoint
            of a fit with other arguments (the message names them).
    """

    FILE = "fit.json"

    def __init__(self, directory: str | os.PathLike, arguments: dict, write: bool = True):
        from genlab.errors import PathExistsError

        self.path, self.write = Path(directory), bool(write)
        self.arguments = json.loads(json.dumps(arguments, default=str))
        if not self.path.exists():
            return
        saved = self.path / self.FILE
        if not self.path.is_dir() or (not saved.is_file() and any(self.path.iterdir())):
            raise PathExistsError(f"checkpoint_dir {self.path} exists and is not a fit checkpoint; give a new or "
                                  "empty folder")
        if saved.is_file():
            previous = json.loads(saved.read_text())["arguments"]
            changed = sorted(k for k in set(previous) | set(self.arguments) if previous.get(k) != self.arguments.get(k))
            if changed:
                raise PathExistsError(f"checkpoint_dir {self.path} holds the checkpoint of a fit with other {changed}; "
                                      "resume with the same arguments and data, or give a new folder (or delete it "
                                      "to start over)")

    def stage(self, name: str) -> Path:
        """The backup folder of training stage ``name``."""
        return self.path / name

    def start(self) -> None:
        """Write ``fit.json`` (in one rename) unless it is there; call it once the input is checked."""
        if not self.write or (self.path / self.FILE).is_file():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{self.FILE}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps({"format": 1, "arguments": self.arguments}, indent=1) + "\n")
        os.replace(tmp, self.path / self.FILE)


def epoch_batches(arrays: Sequence[np.ndarray], batch: int, seed: int, first_epoch: int, epochs: int,
                  shuffle: bool = True, drop_remainder: bool = False) -> tuple:
    """``(dataset, steps)``: aligned ``arrays`` batched, every row once per epoch, epochs ``first_epoch..``.

    The order of epoch ``e`` is a permutation drawn from ``(seed, e)`` only (the row order when
    ``shuffle`` is false), so a fit resumed at epoch ``e`` sees the batches an uninterrupted fit
    saw. Give ``fit`` the dataset with ``steps_per_epoch=steps``: one iterator runs through all
    the epochs. A finished fit (``first_epoch == epochs``) still yields its last epoch: Keras may
    look at one batch before it trains (or not).

    Args:
        arrays: Arrays of the same length (features, labels...).
        batch: Batch size.
        seed: Seed of the epoch orders.
        first_epoch: The epoch the fit starts at.
        epochs: Epochs of the fit.
        shuffle: Draw each epoch's order (``False``: the rows in order every epoch).
        drop_remainder: Drop the last partial batch of an epoch (``False``: keep it, as Keras does).
    """
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    steps = max(n // batch if drop_remainder else -(-n // batch), 1)

    def generate():
        for epoch in range(min(first_epoch, epochs - 1), epochs):
            order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
            for step in range(steps):
                rows = order[step * batch:(step + 1) * batch]
                yield tuple(a[rows] for a in arrays)

    import tensorflow as tf

    shape = (batch,) if drop_remainder else (None,)
    spec = tuple(tf.TensorSpec(shape + a.shape[1:], tf.as_dtype(a.dtype)) for a in arrays)
    return tf.data.Dataset.from_generator(generate, output_signature=spec).prefetch(4), steps


def array_fingerprint(*arrays) -> dict:
    """What identifies training arrays: their shapes, dtypes and a digest of their bytes."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.shape}{a.dtype.str}".encode())
        digest.update(memoryview(a).cast("B"))
    return {"shapes": [list(np.shape(a)) for a in arrays], "sha256": digest.hexdigest()}


def _plain(value):
    """A configuration without auto-generated names (``adam_3`` in one process is ``adam`` in the next)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("name", "module", "registered_name")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def model_fingerprint(model) -> dict:
    """What identifies a compiled Keras model for a resumed fit: its class, weight shapes, own
    configuration (nested networks are known by their weight shapes) and compile configuration."""
    config = {k: v for k, v in model.get_config().items()
              if k not in ("trainable", "dtype") and not (isinstance(v, dict) and "class_name" in v)}
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    return _plain({"class": type(model).__name__, "weights": [list(v.shape) for v in model.weights],
                   "config": json.loads(json.dumps(config, default=str)),
                   "compile": json.loads(json.dumps(compiled, default=str))})


def resume_epoch(checkpoint_dir: str | os.PathLike | None) -> int:
    """The epoch a :func:`resumable_fit` in ``checkpoint_dir`` starts at (its epochs when finished, 0
    without a checkpoint): ``epochs - resume_epoch(dir)`` epochs are trained by the next call."""
    return 0 if checkpoint_dir is None else finished_epochs(Path(checkpoint_dir) / "train")


#: ``fit`` arguments :func:`resumable_fit` cannot keep apart from the epochs it serves.
_NOT_RESUMABLE = ("validation_split", "sample_weight", "class_weight", "steps_per_epoch", "initial_epoch")


def resumable_fit(model, fit, x, y=None, *, checkpoint_dir: str | os.PathLike, epochs: int = 1,
                  batch_size: int | None = None, shuffle: bool = True, callbacks=(), seed: int = 0, **kwargs):
    """``fit`` (a model's ``keras.Model.fit``) made resumable in ``checkpoint_dir``.

    A :class:`FitCheckpoint` holds the fit's arguments (model, compile configuration, data
    fingerprint, ``epochs``, ``batch_size``, ``shuffle``, ``seed``) and the :class:`EpochBackup`
    of its one stage (``train/``, last in the callbacks, keeping the state of every stateful
    callback given). Array input is served by :func:`epoch_batches`: epoch ``e``'s order comes
    from ``(seed, e)``, so a resumed fit ends with the weights of an uninterrupted one. A
    ``tf.data.Dataset`` is passed through: the fit resumes at the right epoch with the restored
    weights, optimizers and random streams, but the dataset's epochs after the restart are its
    first iterations again (bit-exact only if the dataset's epochs do not depend on how often it
    was iterated), and it is known by its element spec and cardinality only.

    Returns:
        The ``History`` of ``fit``, holding every finished epoch's logs (the restored ones too).

    Raises:
        ConfigError: An argument it cannot resume (``validation_split``, ``sample_weight``,
            ``class_weight``, ``steps_per_epoch``, ``initial_epoch``).
        PathExistsError: ``checkpoint_dir`` holds the checkpoint of a fit with other arguments.
    """
    import tensorflow as tf

    from genlab.distribute import is_chief
    from genlab.errors import ConfigError

    given = sorted(k for k in _NOT_RESUMABLE if k in kwargs and kwargs[k] is not None
                   and not (isinstance(kwargs[k], (int, float)) and kwargs[k] == 0))
    if given:
        raise ConfigError(f"fit with checkpoint_dir serves the epochs itself and cannot resume with {given}; "
                          "drop them (or drop checkpoint_dir)")
    kwargs = {k: v for k, v in kwargs.items() if k not in _NOT_RESUMABLE}
    batch_size = 32 if batch_size is None else int(batch_size)
    if isinstance(x, tf.data.Dataset):
        data = {"dataset": str(x.element_spec), "cardinality": int(x.cardinality())}
        arrays = None
    else:
        if x is None:
            raise ConfigError("fit with checkpoint_dir needs x: arrays (and y), or a tf.data.Dataset")
        arrays = tuple(np.asarray(a) for a in ((x,) if y is None else (x, y)))
        data = array_fingerprint(*arrays)
    arguments = {"model": model_fingerprint(model), "data": data, "epochs": int(epochs), "batch_size": batch_size,
                 "shuffle": bool(shuffle), "seed": int(seed)}
    checkpoint = FitCheckpoint(checkpoint_dir, arguments, write=is_chief(model.distribute_strategy))
    stage = checkpoint.stage("train")
    callbacks = list(callbacks or [])
    backup = EpochBackup(stage, stateful=[c for c in callbacks if is_stateful(c)], write=checkpoint.write)
    checkpoint.start()
    callbacks.append(backup)
    if arrays is None:  # shuffle=False: a dataset brings its own order (Keras would warn otherwise)
        history = fit(x, epochs=epochs, callbacks=callbacks, shuffle=False, **kwargs)
    else:
        dataset, steps = epoch_batches(arrays, batch_size, seed, finished_epochs(stage), epochs, shuffle)
        history = fit(dataset, epochs=epochs, steps_per_epoch=steps, callbacks=callbacks, shuffle=False, **kwargs)
    history.history = {k: list(v) for k, v in backup.history.items()}
    history.epoch = list(range(max((len(v) for v in backup.history.values()), default=0)))
    return history


__all__ = ["CALLBACK_STATE", "EpochBackup", "FitCheckpoint", "STATE_FILE", "array_fingerprint", "epoch_batches",
           "finished_epochs", "fit_finished", "is_stateful", "model_fingerprint", "read_backup", "resumable_fit",
           "resume_epoch"]
