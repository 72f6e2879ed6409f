"""Run infrastructure shared by the experiments in ``runs/``.

Each experiment writes into one run directory (default ``runs/output/NAME-<timestamp>/``)::

    results.md     the table a person reads
    results.json   the same rows: a list of flat records with snake_case keys
    tensorboard/   TensorBoard logs (``tensorboard --logdir <run dir>/tensorboard``)
    plots/         PNG figures
    export/        SavedModels, where the experiment exports one

A long run resumes. It gives :class:`RunDir` its ``arguments`` (``run.json``: a run started again
into the same directory with other ones is refused), saves the record of every part it finishes
(a model, a seed) with :meth:`RunDir.finish` (``parts/<part>.json``, written in one rename) and
trains the part in progress with ``checkpoint_dir=run.checkpoint_dir(part)``
(``checkpoints/<part>/``). Started again after a kill, it takes the records of the finished parts
(:meth:`RunDir.finished`) instead of training them again and resumes the interrupted part from
its last finished epoch. ``results.json`` is written last: the command line refuses a run
directory that holds one (a finished run).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import uuid
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from genlab.errors import PathExistsError

#: Default parent of run directories: ``runs/output`` in the current working directory.
DEFAULT_OUTPUT = Path("runs") / "output"


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """Options every run accepts on the command line.

    Attributes:
        out: Run directory; ``None`` creates ``runs/output/NAME-<timestamp>``.
        data_dir: Directory holding local copies of data sets (e.g. ``mnist.npz``); ``None``
            uses the loaders' defaults (embedded data or a download).
        seeds: Number of seeds to aggregate over; ``None`` uses the run's default.
        epochs: Training epochs; ``None`` uses the run's default.
        quick: Small, fast version for a first look (minutes on a laptop CPU).
        only: Names of the parts of a run to do (e.g. some models), for runs that support it;
            ``None`` does all of them. Lets a long run be split over processes.
    """

    out: str | None = None
    data_dir: str | None = None
    seeds: int | None = None
    epochs: int | None = None
    quick: bool = False
    only: tuple[str, ...] | None = None

    def select(self, names: Sequence[str]) -> tuple[str, ...]:
        """The parts of ``names`` that ``only`` keeps, in ``names``' order (all when ``only`` is unset).

        Raises:
            UnknownNameError: ``only`` names a part that ``names`` lacks.
        """
        if self.only is None:
            return tuple(names)
        from genlab.errors import unknown_name

        for name in self.only:
            if name not in names:
                raise unknown_name("part", name, names)
        return tuple(n for n in names if n in self.only)


def with_options(settings, options: RunOptions, **extra):
    """Apply ``--seeds`` / ``--epochs`` to a frozen settings dataclass that has those fields.

    Args:
        settings: The run's full or quick settings (a frozen dataclass).
        options: The parsed command line.
        **extra: More fields to replace (e.g. other epoch counts that ``--epochs`` also sets).

    Returns:
        A copy of ``settings`` with the given options applied.
    """
    names = {f.name for f in dataclasses.fields(settings)}
    changes = {k: getattr(options, k) for k in ("seeds", "epochs")
               if k in names and getattr(options, k)}
    return dataclasses.replace(settings, **changes, **extra)


class RunDir:
    """A run directory with the standard layout (see module docstring).

    Args:
        name: Run name, used in the default directory name.
        out: Explicit directory; created if missing.
        arguments: What a resumed run must share with the one that started the directory (JSON:
            epochs, seeds, quick...), kept in ``run.json``; ``None`` keeps and checks nothing.

    Raises:
        PathExistsError: ``out`` is a file, or holds a run started with other ``arguments``.
    """

    RUN_FILE = "run.json"

    def __init__(self, name: str, out: str | os.PathLike | None = None, arguments: Mapping | None = None):
        if out is None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            out = DEFAULT_OUTPUT / f"{name}-{stamp}"
        self.path = Path(out)
        if self.path.exists() and not self.path.is_dir():
            raise PathExistsError(f"run directory {self.path} is a file; give a folder for the run's outputs")
        if arguments is not None:
            self._check_arguments(name, json.loads(json.dumps(dict(arguments), default=_json_default)))
        self.path.mkdir(parents=True, exist_ok=True)
        self.name = name
        if arguments is not None and not (self.path / self.RUN_FILE).is_file():
            _write_atomic(self.path / self.RUN_FILE, {"run": name, "arguments": self.arguments})

    def _check_arguments(self, name: str, arguments: dict) -> None:
        self.arguments = arguments
        path = self.path / self.RUN_FILE
        if not path.is_file():
            return
        previous = json.loads(path.read_text())
        old = previous.get("arguments", {})
        changed = sorted(k for k in set(old) | set(arguments) if old.get(k) != arguments.get(k))
        if previous.get("run") != name or changed:
            what = ", ".join(f"{k} {old.get(k)!r} (now {arguments.get(k)!r})" for k in changed)
            raise PathExistsError(f"run directory {self.path} holds a {previous.get('run')} run started with other "
                                  f"arguments: {what or 'another run'}; start it again with the same options "
                                  "(--seeds, --epochs, --quick) to resume it, or give a new --out")

    # ------------------------------------------------------------------------------ resumption
    def _part_file(self, part: str) -> Path:
        return self.path / "parts" / f"{part}.json"

    def finished(self, part: str):
        """The record :meth:`finish` saved for ``part`` (``None`` when the part has not finished)."""
        path = self._part_file(part)
        return json.loads(path.read_text())["record"] if path.is_file() else None

    def finish(self, part: str, record):
        """Save the record of a finished ``part`` (JSON, in one rename); return it.

        A run started again into this directory takes it from :meth:`finished` instead of doing
        the part again.
        """
        path = self._part_file(part)
        path.parent.mkdir(exist_ok=True)
        _write_atomic(path, {"part": part, "record": record})
        return json.loads(path.read_text())["record"]  # what a resumed run will read

    def checkpoint_dir(self, part: str) -> Path:
        """The checkpoint folder of ``part``'s fits (``checkpoints/<part>``; give it as ``checkpoint_dir``)."""
        return self.path / "checkpoints" / part

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def plots(self) -> Path:
        p = self.path / "plots"
        p.mkdir(exist_ok=True)
        return p

    @property
    def export(self) -> Path:
        return self.path / "export"

    def write_results(self, rows: Sequence[Mapping], title: str, columns: Sequence[str] | None = None,
                      notes: str = "") -> tuple[Path, Path]:
        """Write ``results.md`` (title, table, notes), then ``results.json`` (the rows; in one rename,
        last: its presence marks a finished run)."""
        rows = [dict(r) for r in rows]
        md = f"# {title}\n\n{markdown_table(rows, columns)}\n"
        if notes:
            md += f"\n{notes.strip()}\n"
        md_path = self.path / "results.md"
        md_path.write_text(md)
        json_path = self.path / "results.json"
        tmp = json_path.with_name(f".results.json.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps(rows, indent=2, default=_json_default) + "\n")
        os.replace(tmp, json_path)
        return md_path, json_path

    def report(self, rows: Sequence[Mapping], title: str, columns: Sequence[str] | None = None,
               notes: str = "") -> None:
        """:meth:`write_results`, then print the table, the notes and :meth:`print_paths` (a run's last words)."""
        self.write_results(rows, title, columns, notes)
        print(f"\n{markdown_table([dict(r) for r in rows], columns)}\n")
        if notes:
            print(notes.strip())
        self.print_paths()

    def print_paths(self) -> None:
        """Print where the report, logs, plots and export are (the last lines of every run)."""
        print(f"report:      {self.path / 'results.md'}")
        print(f"results:     {self.path / 'results.json'}")
        if self.tensorboard.exists():
            print(f"tensorboard: tensorboard --logdir {self.tensorboard}")
        if (self.path / "plots").exists():
            print(f"plots:       {self.path / 'plots'}")
        if self.export.exists():
            print(f"export:      {self.export}")


def _write_atomic(path: Path, value) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps(value, indent=1, default=_json_default) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def markdown_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None) -> str:
    """Render rows as a Markdown table. ``x`` with an ``x_std`` beside it prints as ``x ± std``."""
    if not rows:
        return "(no rows)"
    if columns is None:
        columns = [k for k in rows[0] if not k.endswith("_std")]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = []
        for c in columns:
            cell = _fmt(r.get(c))
            std = r.get(f"{c}_std")
            if std is not None and cell != "–":
                cell += f" ± {_fmt(std)}"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def aggregate(records: Iterable[Mapping], by: Sequence[str], values: Sequence[str]) -> list[dict]:
    """Group records by ``by`` keys and report ``mean`` and ``std`` (population) of ``values``.

    Returns one flat record per group: the ``by`` keys, ``<value>`` (the mean), ``<value>_std`` and
    ``n_seeds``. ``None`` values are ignored; a value missing in every record stays ``None``; the
    std of a single value is ``None`` (a table then shows no ``± 0``).
    """
    groups: dict[tuple, list[Mapping]] = {}
    for r in records:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    out = []
    for key, rs in groups.items():
        row = dict(zip(by, key))
        for v in values:
            xs = [float(r[v]) for r in rs if r.get(v) is not None]
            row[v] = float(np.mean(xs)) if xs else None
            row[f"{v}_std"] = float(np.std(xs)) if len(xs) > 1 else None  # one seed: no spread to show
        row["n_seeds"] = len(rs)
        out.append(row)
    return out
