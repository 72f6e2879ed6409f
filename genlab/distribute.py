"""Helpers for ``tf.distribute``: loss scaling in ``train_step``, and multi-worker training.

- :func:`scale_for_replicas` — divide a per-replica mean loss by the replica count (``fit`` sums
  the replicas' gradients).
- :func:`read_tf_config`, :func:`worker_strategy` — the cluster a process belongs to, from the
  ``TF_CONFIG`` environment variable, and TensorFlow's own ``MultiWorkerMirroredStrategy`` for it.
- :func:`loopback_cluster`, :func:`tf_config` — the ``TF_CONFIG`` of ``n`` workers on this host
  (``127.0.0.1`` and free ports), what :mod:`genlab.launch` gives the processes it starts.
- :func:`is_chief` — whether this process writes checkpoints and outputs.

``TF_CONFIG`` is TensorFlow's format: ``{"cluster": {"worker": ["host:port", ...]}, "task":
{"type": "worker", "index": i}}``; every worker of a cluster runs the same program with its own
``index``. Worker 0 is the chief.
"""

from __future__ import annotations

import json
import os
import socket

import tensorflow as tf

from genlab.errors import ConfigError


def num_replicas() -> int:
    """Replicas of the current ``tf.distribute`` strategy (1 outside any strategy)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_for_replicas(loss):
    """Divide a per-replica mean loss by the replica count before taking gradients.

    Under ``MirroredStrategy`` each replica sees ``global_batch / n`` rows and ``fit`` *sums* the
    replicas' gradients, so a per-replica batch mean must be divided by ``n`` for the update to
    equal the single-device update on the global batch. Log trackers with the unscaled value.
    """
    n = num_replicas()
    return loss if n == 1 else loss / tf.cast(n, loss.dtype)


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """Whether this process writes checkpoints and outputs: the chief of a multi-worker strategy, else ``True``."""
    strategy = strategy or tf.distribute.get_strategy()
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def read_tf_config(text: str | None = None) -> dict | None:
    """The parsed ``TF_CONFIG`` (default: the environment's), ``None`` when it is unset or empty.

    Raises:
        ConfigError: Not JSON, or without ``cluster.worker`` (a list of ``host:port``) and a
            ``task`` whose ``index`` names one of them.
    """
    text = os.environ.get("TF_CONFIG", "") if text is None else text
    if not text.strip():
        return None
    try:
        config = json.loads(text)
        workers = config["cluster"]["worker"]
        task = config["task"]
        index = task["index"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"TF_CONFIG is not a TensorFlow cluster configuration ({exc}); expected "
                          '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": i}}') from exc
    if not isinstance(workers, list) or not workers or not all(isinstance(w, str) and ":" in w for w in workers):
        raise ConfigError(f"TF_CONFIG cluster.worker must be a non-empty list of 'host:port', received {workers!r}")
    if task.get("type") == "worker" and not (isinstance(index, int) and 0 <= index < len(workers)):
        raise ConfigError(f"TF_CONFIG task.index must be in [0, {len(workers)}), received {index!r}")
    return config


def worker_strategy() -> tf.distribute.Strategy | None:
    """``MultiWorkerMirroredStrategy`` for the cluster of ``TF_CONFIG``, or ``None`` when it is unset.

    Call it at the start of the program, before TensorFlow runs any operation (the collective
    operations of the strategy are configured when the runtime starts). Every worker must make
    the same calls in the same order (``fit``, ``evaluate``...): they meet at each step.

    Raises:
        ConfigError: A malformed ``TF_CONFIG``.
    """
    if read_tf_config() is None:
        return None
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    _patch_keras_build_for_multi_worker()
    return strategy


def _patch_keras_build_for_multi_worker() -> None:
    """Two fixes that let Keras 3's ``fit`` (3.15) train under ``MultiWorkerMirroredStrategy``.

    1. Before training, Keras peeks at one distributed batch to build the model and averages it
       over the replicas with ``strategy.reduce("MEAN", batch)``; the collective ops of a
       multi-worker strategy reduce single tensors only, so a tuple batch (``(x, y)``) fails with
       "Attempt to convert a value (PerReplica...)". The batch is only needed for its shapes: the
       patched step takes this worker's own replica batch.
    2. After every step, Keras averages the step's logs over the replicas with
       ``strategy.reduce("MEAN", value, axis=0)``, which fails on the scalar losses and metrics
       ("Invalid reduction dimension 0 for input with 0 dimensions"): scalars are averaged over
       the replicas instead (``axis=None``).

    Other strategies, and single-worker clusters, run Keras' code unchanged.
    """
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.TensorFlowTrainer._maybe_symbolic_build, "_genlab_multi_worker", False):
        return
    original_build, original_reduce = trainer.TensorFlowTrainer._maybe_symbolic_build, trainer.reduce_per_replica

    def multi_worker(strategy) -> bool:
        return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and \
            strategy.extended._in_multi_worker_mode()

    def build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is None or not multi_worker(strategy):
            return original_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            data_batch = tf.nest.map_structure(
                lambda v: strategy.experimental_local_results(v)[0]
                if isinstance(v, tf.distribute.DistributedValues) else v, next(it))
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not multi_worker(strategy):
            return original_reduce(values, strategy, reduction)

        def one(v):
            local = strategy.experimental_local_results(v)[0] if isinstance(v, tf.distribute.DistributedValues) else v
            if tf.is_tensor(local) and local.shape.rank == 0:
                return strategy.reduce("MEAN", v, axis=None)
            return original_reduce(v, strategy, reduction)

        return tf.nest.map_structure(one, values)

    build._genlab_multi_worker = True
    trainer.TensorFlowTrainer._maybe_symbolic_build = build
    trainer.reduce_per_replica = reduce_per_replica


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct TCP ports free on ``host`` now (bound together, then released)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def loopback_cluster(workers: int, ports: list[int] | None = None) -> dict:
    """The ``cluster`` of ``workers`` processes on this host, on loopback addresses.

    Raises:
        ConfigError: ``workers`` < 1, or ``ports`` of the wrong length.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be an int >= 1, received {workers!r}")
    ports = free_ports(workers) if ports is None else list(ports)
    if len(ports) != workers:
        raise ConfigError(f"give one port per worker: {workers} workers, {len(ports)} ports")
    return {"worker": [f"127.0.0.1:{p}" for p in ports]}


def tf_config(cluster: dict, index: int) -> str:
    """The ``TF_CONFIG`` value of worker ``index`` of ``cluster``."""
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": int(index)}})


__all__ = ["free_ports", "is_chief", "loopback_cluster", "num_replicas", "read_tf_config", "scale_for_replicas",
           "tf_config", "worker_strategy"]
