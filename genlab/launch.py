"""Start ``n`` worker processes of one program on this host, each with its ``TF_CONFIG``.

``genlab launch --workers 2 -- genlab synth fit data.parquet --out model/`` runs the command twice,
as worker 0 (the chief) and worker 1 of a cluster on loopback addresses (``127.0.0.1`` and free
ports). The program creates ``tf.distribute.MultiWorkerMirroredStrategy`` from ``TF_CONFIG``
(:func:`genlab.distribute.worker_strategy`; ``genlab synth fit`` does it by itself) and trains
with it. On a real cluster no launcher is needed: every machine runs the same program with its
own ``TF_CONFIG``.

Options: pin each worker to CPU cores (``--cores 0,1``: worker ``i`` gets core ``i``), write each
worker's output to ``LOG_DIR/worker-<i>.log`` (by default it is printed with a ``[worker i]``
prefix), stop after ``--timeout`` seconds. When a worker fails, the others are stopped (they
would wait for it forever at the next step) and the launcher exits with the failure's code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

from genlab.errors import ConfigError

#: Seconds a worker gets to end after the launcher asks it to stop, before it is killed.
GRACE_SECONDS = 10


def resolve_command(command: Sequence[str]) -> list[str]:
    """``genlab ...`` and ``python ...`` run with this interpreter (the same environment)."""
    command = list(command)
    if not command:
        raise ConfigError("give the command every worker runs, e.g. genlab launch --workers 2 -- genlab synth fit "
                          "data.parquet --out model/")
    if command[0] == "genlab":
        return [sys.executable, "-m", "genlab.cli", *command[1:]]
    if command[0] in ("python", "python3"):
        return [sys.executable, *command[1:]]
    return command


def check_cores(cores: Sequence[int] | None) -> list[int] | None:
    """The cores to pin workers to, each one this process may run on.

    Raises:
        ConfigError: A core this process cannot use.
    """
    if cores is None:
        return None
    allowed = os.sched_getaffinity(0)
    bad = [c for c in cores if c not in allowed]
    if bad or not cores:
        raise ConfigError(f"cores {bad or list(cores)} are not usable here; this process may run on cores "
                          f"{sorted(allowed)}")
    return list(cores)


def _pump(stream, sink, prefix: str) -> None:
    for line in iter(stream.readline, b""):
        sink.write(prefix + line.decode(errors="replace"))
        sink.flush()
    stream.close()


def _stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for p in processes:
        try:
            p.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def launch(command: Sequence[str], workers: int, cores: Sequence[int] | None = None,
           log_dir: str | os.PathLike | None = None, timeout: float | None = None, env: dict | None = None,
           ports: Sequence[int] | None = None) -> list[int]:
    """Run ``command`` as ``workers`` processes of one loopback cluster; wait for all of them.

    Args:
        command: The program and its arguments (``genlab`` and ``python`` use this interpreter).
        workers: Number of worker processes (>= 1).
        cores: CPU cores to pin the workers to, worker ``i`` on ``cores[i % len(cores)]``
            (``None``: no pinning).
        log_dir: Write worker ``i``'s output to ``log_dir/worker-<i>.log`` (``None``: print it,
            each line prefixed with ``[worker i]``).
        timeout: Seconds before every worker still running is stopped (``None``: no limit).
        env: Extra environment variables of every worker.
        ports: The workers' ports (default: free ports).

    Returns:
        The exit codes, by worker (a worker stopped by the launcher has a negative code).

    Raises:
        ConfigError: No command, ``workers`` < 1, unusable cores.
    """
    from genlab.distribute import loopback_cluster, tf_config

    argv, cores = resolve_command(command), check_cores(cores)
    cluster = loopback_cluster(workers, None if ports is None else list(ports))
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
    processes, pumps, logs = [], [], []
    try:
        for i in range(workers):
            worker_env = {**os.environ, **(env or {}), "TF_CONFIG": tf_config(cluster, i)}
            pin = None if cores is None else {cores[i % len(cores)]}
            out = open(Path(log_dir) / f"worker-{i}.log", "wb") if log_dir is not None else subprocess.PIPE
            if log_dir is not None:
                logs.append(out)
            process = subprocess.Popen(argv, env=worker_env, stdout=out, stderr=subprocess.STDOUT,
                                       preexec_fn=(lambda cpus=pin: os.sched_setaffinity(0, cpus)) if pin else None)
            processes.append(process)
            if log_dir is None:
                pump = threading.Thread(target=_pump, args=(process.stdout, sys.stdout, f"[worker {i}] "), daemon=True)
                pump.start()
                pumps.append(pump)
        deadline = None if timeout is None else time.monotonic() + timeout
        while any(p.poll() is None for p in processes):
            if any(p.poll() not in (None, 0) for p in processes) or (deadline and time.monotonic() > deadline):
                _stop(processes)  # a failed worker leaves the others waiting at their next step
                break
            time.sleep(0.2)
    except BaseException:
        _stop(processes)
        raise
    finally:
        for pump in pumps:
            pump.join(timeout=5)
        for log in logs:
            log.close()
    return [p.returncode for p in processes]


def add_parser(subparsers) -> None:
    """Add ``launch`` to the ``genlab`` command line."""
    p = subparsers.add_parser("launch", help="run a program as N workers of a multi-worker cluster on this host",
                              description=__doc__.splitlines()[0])
    p.add_argument("--workers", "-n", type=int, required=True, help="number of worker processes")
    p.add_argument("--cores", help="comma-separated CPU cores; worker i runs on core i (e.g. 0,1)")
    p.add_argument("--log-dir", help="write worker i's output to LOG_DIR/worker-<i>.log instead of printing it")
    p.add_argument("--timeout", type=float, help="stop the workers after this many seconds")
    p.add_argument("program", nargs=argparse.REMAINDER, help="the command every worker runs, after --")


def run(args) -> int:
    """Carry out ``genlab launch``: the exit code is 0 when every worker succeeded, else the first failure's."""
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if args.workers is None or args.workers < 1:
        raise ConfigError(f"--workers must be an int >= 1, received {args.workers}")
    cores = None
    if args.cores:
        try:
            cores = [int(c) for c in args.cores.split(",") if c.strip()]
        except ValueError as exc:
            raise ConfigError(f"--cores takes comma-separated core numbers, e.g. 0,1; received {args.cores!r}") from exc
    codes = launch(program, args.workers, cores=cores, log_dir=args.log_dir, timeout=args.timeout)
    failed = [(i, c) for i, c in enumerate(codes) if c != 0]
    print(f"genlab launch: {args.workers} workers, exit codes {codes}", flush=True)
    return failed[0][1] if failed and failed[0][1] > 0 else (1 if failed else 0)


__all__ = ["add_parser", "check_cores", "launch", "resolve_command", "run"]
