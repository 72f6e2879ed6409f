"""Reading and writing tables as files: CSV and Parquet, chosen by the file's suffix.

Writes are all-or-nothing: the table goes to a temporary file beside the target, which then takes
its name in one rename, so a failed or interrupted write leaves no half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from genlab.errors import InputShapeError, InvalidValueError, PathExistsError

#: Suffixes and their format.
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


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


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet file.

    Raises:
        InputShapeError: The file does not exist, cannot be parsed, or holds no rows.
        InvalidValueError: An unknown suffix.
    """
    path = Path(path)
    kind = table_format(path)
    if not path.is_file():
        raise InputShapeError(f"{path}: no such file; give the path of a .csv or .parquet table")
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputShapeError(f"{path}: cannot be read as {kind} ({first}); check the file") from exc
    if len(frame) == 0:
        raise InputShapeError(f"{path}: the table has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


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
