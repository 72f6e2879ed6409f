"""What a table holds: column kinds and their options, keys and constraints, readable and editable.

:meth:`Metadata.detect` looks at a frame (dtypes, values on a sample, column names) and proposes a
kind per column (:mod:`tabular.encoding.kinds`); the user reads it (``print(meta)``), edits it
(:meth:`Metadata.update_column`, :meth:`Metadata.add_constraint`), saves it as JSON and gives it
to a synthesizer, which saves it with itself.

Example:
    >>> from tabular import Metadata, Synthesizer
    >>> from tabular.constraints import Inequality
    >>> meta = Metadata.detect(frame)
    >>> print(meta)                                   # one line per column: kind and why
    >>> meta.update_column("c_charge_desc", kind="high_cardinality", keep=300)
    >>> meta.add_constraint(Inequality("c_jail_in", "c_jail_out"))
    >>> meta.save("compas_meta.json")
    >>> synth = Synthesizer("tvae", metadata=meta).fit(frame)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from genlab.errors import ConfigError, InputShapeError, SavedStateError
from tabular.constraints import as_constraint, constraint_from_json, constraint_to_json
from tabular.encoding.columns import check_frame
from tabular.encoding.kinds import KINDS, check_spec, detect_column

#: Version of the JSON format.
FORMAT = 1


class Metadata:
    """Column kinds (with options) and constraints of a table.

    Args:
        columns: ``{column: {"kind": ..., options...}}`` in the table's column order (options:
            ``format`` for ``datetime``; ``keep`` for ``high_cardinality``; ``entity`` and
            ``handling`` (``"fake"`` / ``"drop"``) for ``pii``; ``handling`` for ``text``).
        constraints: :mod:`tabular.constraints` objects (or their JSON dicts).

    Raises:
        ConfigError: An unknown kind or option, or a constraint of an unknown type.
    """

    def __init__(self, columns: Mapping[str, dict] | None = None, constraints: Sequence = ()):
        self.columns = {c: check_spec(c, dict(spec)) for c, spec in (columns or {}).items()}
        self.constraints = [as_constraint(c) for c in constraints]

    # ------------------------------------------------------------------------------ building
    @classmethod
    def detect(cls, frame: pd.DataFrame, column_types: Mapping[str, str | dict] | None = None,
               constraints: Sequence = ()) -> "Metadata":
        """Propose a kind for every column of ``frame``; ``column_types`` overrides some.

        Args:
            frame: The table.
            column_types: ``{column: kind}`` or ``{column: {"kind": ..., options...}}`` declared by the user.
            constraints: Constraints to add.

        Raises:
            InputShapeError: ``column_types`` names a column the frame lacks.
            ConfigError: An unknown kind or option.
        """
        frame = check_frame(frame)
        declared = dict(column_types or {})
        absent = [c for c in declared if c not in frame.columns]
        if absent:
            raise InputShapeError(f"column_types names column(s) {absent}, which the frame lacks (columns "
                                  f"{list(frame.columns)}); fix the names or drop the overrides")
        columns = {}
        for col in frame.columns:
            if col in declared:
                spec = declared[col] if isinstance(declared[col], dict) else {"kind": declared[col]}
                columns[col] = {**spec, "reason": "declared"}
            else:
                columns[col] = detect_column(frame[col], col)
        return cls(columns, constraints)

    def update_column(self, column: str, kind: str | None = None, **options) -> "Metadata":
        """Change a column's kind and / or options; return ``self``.

        Raises:
            InputShapeError: An unknown column.
            ConfigError: An unknown kind or option.
        """
        if column not in self.columns:
            raise InputShapeError(f"metadata has no column {column!r} (columns {list(self.columns)}); fix the name")
        old = self.columns[column]
        spec = {"kind": kind, **options} if kind not in (None, old["kind"]) else {**old, **options}
        self.columns[column] = check_spec(column, {**spec, "reason": "declared"})
        return self

    def add_constraint(self, *constraints) -> "Metadata":
        """Append constraints; return ``self``."""
        self.constraints += [as_constraint(c) for c in constraints]
        return self

    # ------------------------------------------------------------------------------ reading
    @property
    def kinds(self) -> dict[str, str]:
        """``{column: kind}``."""
        return {c: spec["kind"] for c, spec in self.columns.items()}

    @property
    def keys(self) -> list[str]:
        """The identifier columns (kind ``id``)."""
        return [c for c, spec in self.columns.items() if spec["kind"] == "id"]

    def summary(self, described: Mapping[str, str] | None = None) -> str:
        """One line per column (kind, then what was learned or why it was detected) and per constraint.

        Args:
            described: ``{column: text}`` replacing the detection reason (a fitted synthesizer gives
                what it learned: formats, units, ranges, layouts).
        """
        described = described or {}
        width = max(len(c) for c in self.columns) if self.columns else 0
        lines = [f"{len(self.columns)} columns: " + ", ".join(
            f"{sum(1 for s in self.columns.values() if s['kind'] == k)} {k}" for k in KINDS
            if any(s["kind"] == k for s in self.columns.values()))]
        for col, spec in self.columns.items():
            options = {k: v for k, v in spec.items() if k not in ("kind", "reason") and v is not None}
            text = described.get(col) or spec.get("reason", "") + (f" {options}" if options else "")
            lines.append(f"  {col:<{width}}  {spec['kind']:<16}  {text}")
        for c in self.constraints:
            lines.append(f"  constraint: {c.describe()}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """Plain JSON (``json.dumps`` works on it)."""
        return {"format": FORMAT, "columns": {c: dict(s) for c, s in self.columns.items()},
                "constraints": [constraint_to_json(c) for c in self.constraints]}

    @classmethod
    def from_dict(cls, data: dict, predicates: Mapping | None = None) -> "Metadata":
        """Rebuild from :meth:`to_dict`; Python function predicates come from ``predicates``.

        Raises:
            SavedStateError: Not a metadata dict, or a function predicate not given.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("columns"), dict):
            got = f"keys {sorted(data)[:5]}" if isinstance(data, dict) else type(data).__name__
            raise SavedStateError(f"not a genlab metadata dict of format {FORMAT} (received {got}); write it with "
                                  "Metadata.to_dict() or Metadata.save()")
        try:
            constraints = [constraint_from_json(c, predicates) for c in data.get("constraints", [])]
            return cls(data["columns"], constraints)
        except (ConfigError, TypeError) as exc:
            raise SavedStateError(f"invalid metadata: {exc}") from exc

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON to ``path`` (through a temporary file and one rename)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, predicates: Mapping | None = None) -> "Metadata":
        """Read a file written by :meth:`save`.

        Raises:
            SavedStateError: Missing or not valid metadata JSON.
        """
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SavedStateError(f"cannot read metadata from {path} ({exc}); give a file written by "
                                  "Metadata.save") from exc
        return cls.from_dict(data, predicates)


def as_metadata(value) -> Metadata | None:
    """``None``, a :class:`Metadata`, its dict, or a path to its JSON -> :class:`Metadata` (or ``None``).

    Raises:
        ConfigError: Anything else.
    """
    if value is None or isinstance(value, Metadata):
        return value
    if isinstance(value, dict):
        return Metadata.from_dict(value)
    if isinstance(value, (str, os.PathLike)):
        return Metadata.load(value)
    raise ConfigError(f"metadata must be a Metadata, its dict or a JSON path, received {type(value).__name__}")
