"""The ``genlab`` command line: ``list``, ``run NAME [options]``, ``synth ...`` and ``launch``.

Each experiment is a module ``runs/NAME.py`` with a docstring (its first line is shown by
``genlab list``) and a function ``main(options: RunOptions) -> RunDir``. ``genlab synth`` fits,
samples, evaluates and exports synthesizers on CSV / Parquet files (:mod:`tabular.cli`);
``genlab launch --workers N -- COMMAND`` runs a command as N workers of a multi-worker cluster on
this host (:mod:`genlab.launch`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from genlab.errors import unknown_name
from genlab.runner import RunOptions


def available_runs() -> dict[str, str]:
    """Map run name -> first docstring line, for every module in the ``runs`` package."""
    import runs

    names = {}
    for info in pkgutil.iter_modules(runs.__path__):
        if info.name.startswith("_"):
            continue
        names[info.name] = _first_line(info.name)
    return names


def _first_line(name: str) -> str:
    # Read the docstring without importing (imports pull in TensorFlow, which is slow).
    import ast
    import runs

    for path in runs.__path__:
        try:
            with open(f"{path}/{name}.py", encoding="utf-8") as fh:
                doc = ast.get_docstring(ast.parse(fh.read())) or ""
            return doc.strip().splitlines()[0] if doc.strip() else ""
        except FileNotFoundError:
            continue
    return ""


def run(name: str, options: RunOptions):
    """Import ``runs.<name>`` (dashes accepted for underscores) and call its ``main``."""
    module_name = name.replace("-", "_")
    known = available_runs()
    if module_name not in known:
        raise unknown_name("run", name, known)
    from genlab.quiet import device_summary

    print(f"genlab: {device_summary()}", flush=True)
    module = importlib.import_module(f"runs.{module_name}")
    return module.main(options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="name the available runs, one line each")
    p = sub.add_parser("run", help="run an experiment from runs/")
    p.add_argument("name", help="run name, e.g. quickstart (see `genlab list`)")
    p.add_argument("--out", help="run directory (default runs/output/NAME-<timestamp>)")
    p.add_argument("--data-dir", help="directory with local data copies, e.g. ~/data (a folder holding mnist.npz)")
    p.add_argument("--seeds", type=int, help="number of seeds (default: the run's own)")
    p.add_argument("--epochs", type=int, help="training epochs (default: the run's own)")
    p.add_argument("--quick", action="store_true", help="small, fast version")
    p.add_argument("--only", help="comma-separated parts of the run to do (runs that support it, e.g. "
                                  "gans_mnist models); default all")
    from genlab.launch import add_parser as add_launch
    from tabular.cli import add_parser as add_synth

    add_synth(sub)
    add_launch(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        for name, line in sorted(available_runs().items()):
            print(f"{name:24s} {line}")
        return 0
    if args.command == "synth":
        from tabular.cli import run as run_synth

        return _plainly(run_synth, args)
    if args.command == "launch":
        from genlab.launch import run as run_launch

        return _plainly(run_launch, args)
    for label in ("seeds", "epochs"):
        value = getattr(args, label)
        if value is not None and value <= 0:
            print(f"genlab: --{label} must be a positive integer, received {value}", file=sys.stderr)
            return 2
    if args.out is not None:
        problem = _out_problem(Path(args.out))
        if problem:
            print(f"genlab: {problem}", file=sys.stderr)
            return 2
    options = RunOptions(out=args.out, data_dir=args.data_dir, seeds=args.seeds,
                         epochs=args.epochs, quick=args.quick,
                         only=tuple(p for p in args.only.split(",") if p) if args.only else None)
    return _plainly(lambda: run(args.name, options) and 0)


def _out_problem(out: Path) -> str | None:
    """Why ``--out`` cannot take a run: a file, or a finished run (its ``results.json`` written last)."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file; give a folder"
    if (out / "results.json").exists():
        return (f"--out {out} holds a finished run (results.json); give a new --out, or delete {out} to run it "
                "again")
    return None


def _plainly(fn, *args) -> int:
    """Run ``fn``; a genlab error becomes one line on standard error and exit code 2 (bugs keep their traceback)."""
    from genlab.errors import GenlabError

    try:
        return fn(*args) or 0
    except GenlabError as exc:
        print(f"genlab: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
