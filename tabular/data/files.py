"""Reading and writing tables as files: CSV and Parquet, chosen by the file's suffix.

A table is one file, a glob pattern (``"parts/*.parquet"``) or a directory (its ``.csv`` /
``.parquet`` / ``.pq`` files); :class:`TableSource` reads it in chunks, so a table larger than
memory can be streamed (:mod:`tabular.data.stream`). Every file is checked when the source is
opened — it exists, it can be read, and it has the first file's columns (and, for Parquet, the
same kinds of types) — so a bad file stops a fit before anything is written.

Writes are all-or-nothing: the table goes to a temporary file beside the target, which then takes
its name in one rename, so a failed or interrupted write leaves no half-written file.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from genlab.errors import InputShapeError, InvalidValueError, PathExistsError

#: Suffixes and their format.
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Rows per chunk when a table is read in pieces.
CHUNK_ROWS = 65536


def table_format(path: str | os.PathLike) -> str:
    """``"csv"`` or ``"parquet"`` from the suffix.

    Raises:
        InvalidValueError: Another suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidValueError(f"{path}: unknown table format {suffix or '(no suffix)'!r}; use a .csv or "
                                ".parquet file")
    return FORMATS[suffix]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def table_paths(source: str | os.PathLike) -> list[Path]:
    """The files of a table: one file, the files a glob pattern matches, or a directory's table files.

    Args:
        source: A ``.csv`` / ``.parquet`` / ``.pq`` file, a glob pattern (``*``, ``?``, ``[``), or a
            directory (its table files, not recursive; names starting with ``.`` or ``_`` skipped).

    Returns:
        The files, sorted by name.

    Raises:
        InputShapeError: Nothing exists at ``source``, the pattern matches no table file, or the
            directory holds none.
        InvalidValueError: An unknown suffix, or CSV and Parquet files mixed.
    """
    text = os.fspath(source)
    path = Path(text)
    if any(ch in text for ch in "*?["):
        paths = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if not paths:
            raise InputShapeError(f"{text}: no file matches this pattern; check the path and the pattern")
    elif path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS
                       and not p.name.startswith((".", "_")))
        if not paths:
            raise InputShapeError(f"{path}: the directory holds no .csv or .parquet file")
    elif path.is_file():
        paths = [path]
    else:
        if path.suffix:
            table_format(path)  # a wrong suffix is the likelier mistake: say so first
        raise InputShapeError(f"{path}: no such file or directory; give a .csv or .parquet table, a glob pattern or "
                              "a directory of tables")
    kinds = {table_format(p) for p in paths}
    if len(kinds) > 1:
        raise InvalidValueError(f"{text}: mixes CSV and Parquet files ({', '.join(p.name for p in paths[:4])}...); "
                                "give files of one format")
    return paths


def _type_family(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_dictionary(arrow_type):
        return "text"
    if pa.types.is_null(arrow_type):
        return "null"
    return str(arrow_type)


@dataclasses.dataclass(frozen=True)
class TableFile:
    """One checked file of a table: its path, column names, row count and parts.

    Attributes:
        path: The file.
        columns: Column names in the file's order.
        rows: Row count (Parquet: from its metadata; CSV: ``None`` until read).
        parts: Row groups (Parquet) or ``1`` (CSV: read from its start).
        types: ``{column: type family}`` (Parquet only).
    """

    path: Path
    columns: tuple[str, ...]
    rows: int | None
    parts: int
    types: dict | None = None


class TableSource:
    """A table on disk, read in chunks: one file, a glob pattern or a directory (see :func:`table_paths`).

    Opening a source checks every file: it can be read, and it has the first file's columns (in
    any order) and, for Parquet, the same type family per column (number, boolean, text).

    Args:
        source: The table.
        chunk_rows: Rows per chunk of :meth:`chunks` and :meth:`read_units`.

    Attributes:
        paths, format, columns: The files, ``"csv"`` or ``"parquet"``, the first file's columns.
        files: One :class:`TableFile` per path.

    Raises:
        InputShapeError: A missing or unreadable file, a file with other columns than the first,
            or a Parquet column whose type family differs from the first file's.
        InvalidValueError: An unknown suffix or mixed formats.

    Example:
        >>> source = TableSource("data/*.parquet")
        >>> for chunk in source.chunks():   # DataFrames of at most chunk_rows rows
        ...     ...
    """

    def __init__(self, source: str | os.PathLike | Sequence, chunk_rows: int = CHUNK_ROWS):
        self.source = source if isinstance(source, (str, os.PathLike)) else list(source)
        paths = table_paths(source) if isinstance(source, (str, os.PathLike)) else \
            [p for s in source for p in table_paths(s)]
        self.paths, self.format, self.chunk_rows = paths, table_format(paths[0]), int(chunk_rows)
        self.files = [self._open(p) for p in paths]
        first = self.files[0]
        self.columns = list(first.columns)
        for f in self.files[1:]:
            if set(f.columns) != set(first.columns) or len(f.columns) != len(first.columns):
                missing = sorted(set(first.columns) - set(f.columns))
                extra = sorted(set(f.columns) - set(first.columns))
                raise InputShapeError(f"{f.path}: its columns differ from the first file's ({first.path.name}): "
                                      f"missing {missing}, extra {extra}; every file of a table must have the same "
                                      "columns")
            if f.types is not None:
                for col in self.columns:
                    a, b = first.types[col], f.types[col]
                    if a != b and "null" not in (a, b):
                        raise InputShapeError(f"{f.path}: column {col!r} holds {b} values, {a} in the first file "
                                              f"({first.path.name}); every file of a table must have the same schema")

    def _open(self, path: Path) -> TableFile:
        try:
            if self.format == "parquet":
                import pyarrow.parquet as pq

                meta = pq.ParquetFile(path)
                schema = meta.schema_arrow
                names = tuple(str(n) for n in schema.names if not str(n).startswith("__index_level_"))
                types = {str(f.name): _type_family(f.type) for f in schema if str(f.name) in names}
                return TableFile(path, names, meta.metadata.num_rows, meta.num_row_groups, types)
            header = pd.read_csv(path, nrows=0)
            return TableFile(path, tuple(str(c) for c in header.columns), None, 1)
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputShapeError(f"{path}: cannot be read as {self.format} ({_first_line(exc)}); check the "
                                  "file") from exc
        except Exception as exc:  # pyarrow's own errors (ArrowInvalid derives from ValueError, others not)
            raise InputShapeError(f"{path}: cannot be read as {self.format} ({_first_line(exc)}); check the "
                                  "file") from exc

    @property
    def rows(self) -> int | None:
        """Total rows when every file's metadata holds them (Parquet), else ``None``."""
        counts = [f.rows for f in self.files]
        return None if any(c is None for c in counts) else int(sum(counts))

    def units(self) -> list[tuple[int, int]]:
        """Independently readable pieces ``(file index, part)``: row groups of Parquet files, whole CSV files."""
        return [(i, part) for i, f in enumerate(self.files) for part in range(f.parts)]

    def _frames(self, i: int, part: int | None) -> Iterator[pd.DataFrame]:
        f = self.files[i]
        try:
            if self.format == "parquet":
                import pyarrow.parquet as pq

                handle = pq.ParquetFile(f.path)
                groups = range(f.parts) if part is None else [part]
                for batch in handle.iter_batches(batch_size=self.chunk_rows, row_groups=list(groups),
                                                 columns=self.columns):
                    yield batch.to_pandas()
            else:
                for frame in pd.read_csv(f.path, chunksize=self.chunk_rows):
                    yield frame
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputShapeError(f"{f.path}: cannot be read as {self.format} ({_first_line(exc)}); check the "
                                  "file") from exc

    def _checked(self, frame: pd.DataFrame, i: int) -> pd.DataFrame:
        frame.columns = [str(c) for c in frame.columns]
        if list(frame.columns) != self.columns:
            if set(frame.columns) != set(self.columns):
                raise InputShapeError(f"{self.files[i].path}: a chunk has columns {list(frame.columns)}, expected "
                                      f"{self.columns}; check the file")
            frame = frame[self.columns]
        return frame

    def read_units(self, units: Sequence[tuple[int, int]]) -> Iterator[pd.DataFrame]:
        """Chunks of the given units, in the given order (a CSV unit is its whole file)."""
        for i, part in units:
            for frame in self._frames(i, part if self.format == "parquet" else None):
                yield self._checked(frame, i)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Every row of the table in file order, as DataFrames of at most ``chunk_rows`` rows."""
        for i in range(len(self.files)):
            for frame in self._frames(i, None):
                yield self._checked(frame, i)

    def read(self) -> pd.DataFrame:
        """The whole table as one DataFrame.

        Raises:
            InputShapeError: The table has no rows (or a file cannot be read).
        """
        frames = list(self.chunks())
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0] if frames else None
        if frame is None or len(frame) == 0:
            raise InputShapeError(f"{self.source}: the table has no rows")
        return frame

    def describe(self) -> str:
        return (str(self.paths[0]) if len(self.paths) == 1
                else f"{len(self.paths)} {self.format} files ({self.paths[0].name} ... {self.paths[-1].name})")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet table — one file, a glob pattern or a directory — into one DataFrame.

    Raises:
        InputShapeError: A file does not exist, cannot be parsed, has other columns than the
            first file, or the table holds no rows.
        InvalidValueError: An unknown suffix, or mixed formats.
    """
    if not any(ch in os.fspath(path) for ch in "*?[") and not Path(path).is_dir():
        table_format(path)  # an unknown suffix is reported as such, even for a missing file
    source = TableSource(path)
    if source.format == "csv" and len(source.files) == 1:
        path = source.paths[0]
        try:
            frame = pd.read_csv(path)
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputShapeError(f"{path}: cannot be read as csv ({_first_line(exc)}); check the file") from exc
        if len(frame) == 0:
            raise InputShapeError(f"{path}: the table has no rows")
        frame.columns = [str(c) for c in frame.columns]
        return frame
    return source.read()


def write_table(frame: pd.DataFrame, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write ``frame`` as CSV or Parquet (by suffix) in one rename.

    Raises:
        PathExistsError: ``path`` exists and ``overwrite`` is false.
        InvalidValueError: An unknown suffix.
    """
    path = Path(path)
    kind = table_format(path)
    if path.exists() and not overwrite:
        raise PathExistsError(f"{path} exists; choose another output file or remove it first")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
