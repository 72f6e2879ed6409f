"""The UCI Adult (Census Income) data set: embedded copy or download with checksum and cache.

The three UCI files ship gzipped in ``tabular/data/`` (CC BY 4.0, Becker & Kohavi 1996; see
``tabular/data/ATTRIBUTION.md``). :func:`load_adult` reads them into a DataFrame with named
columns, ``?`` replaced by ``Unknown`` and the test file's quirks removed (its first line
``|1x3 Cross validator`` and the trailing dots of its labels ``<=50K.`` / ``>50K.``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.request
from pathlib import Path

import pandas as pd

from genlab.errors import ChecksumError, ConfigError, GenlabError, unknown_name

#: Column names of Adult, in file order; ``income`` is the target.
ADULT_COLUMNS = (
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
    "native-country", "income",
)
#: Categorical columns of Adult (the other columns are integers).
ADULT_CATEGORICAL = (
    "workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
    "native-country", "income",
)
#: Continuous (integer-valued) columns of Adult.
ADULT_CONTINUOUS = tuple(c for c in ADULT_COLUMNS if c not in ADULT_CATEGORICAL)
#: The target column and its positive class.
ADULT_TARGET, ADULT_POSITIVE = "income", ">50K"

#: sha256 of the uncompressed UCI files.
ADULT_SHA256 = {
    "adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "adult.names": "c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a",
}
#: UCI archive location of the files.
ADULT_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/"
#: Rows of the two files after parsing.
ADULT_ROWS = {"train": 32561, "test": 16281}

_DATA_DIR = Path(__file__).resolve().parent


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _embedded_bytes(name: str) -> bytes:
    path = _DATA_DIR / f"{name}.gz"
    if not path.exists():
        raise GenlabError(
            f"the embedded Adult file {path} is missing: the package was installed without its data. "
            "Reinstall genlab (its setup.cfg lists tabular/data/*.gz as package data) or use "
            "load_adult(source='uci')")
    with gzip.open(path, "rb") as fh:
        return fh.read()


def default_cache_dir() -> Path:
    """``$GENLAB_CACHE/adult`` or ``~/.cache/genlab/adult``."""
    root = os.environ.get("GENLAB_CACHE") or Path.home() / ".cache" / "genlab"
    return Path(root) / "adult"


def download_adult_file(name: str, cache_dir: str | os.PathLike | None = None,
                        url: str = ADULT_URL, timeout: float = 60.0) -> bytes:
    """Return the bytes of one UCI Adult file, downloading it into the cache on first use.

    Args:
        name: ``"adult.data"``, ``"adult.test"`` or ``"adult.names"``.
        cache_dir: Cache directory; ``None`` uses :func:`default_cache_dir`.
        url: Base URL of the UCI archive.
        timeout: Seconds before the download gives up.

    Returns:
        The file's bytes, checked against :data:`ADULT_SHA256`.

    Raises:
        UnknownNameError: ``name`` is not one of the three files.
        ChecksumError: The downloaded file does not match its sha256 (nothing is cached then).
    """
    if name not in ADULT_SHA256:
        raise unknown_name("Adult file", name, ADULT_SHA256)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / name
    if path.exists():
        raw = path.read_bytes()
        if _sha256(raw) == ADULT_SHA256[name]:
            return raw
        path.unlink()  # a corrupt or partial cache entry: fetch again
    with urllib.request.urlopen(url + name, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        raw = response.read()
    digest = _sha256(raw)
    if digest != ADULT_SHA256[name]:
        raise ChecksumError(
            f"{url + name}: sha256 {digest} does not match the expected {ADULT_SHA256[name]}; the "
            "file changed upstream or the download was altered. Use load_adult(source='embedded')")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(raw)
    tmp.replace(path)  # atomic: a crash never leaves a half-written cache entry
    return raw


def parse_adult(raw: bytes) -> pd.DataFrame:
    """Parse the bytes of ``adult.data`` or ``adult.test`` into a DataFrame.

    Skips the ``|1x3 Cross validator`` line and blank lines, strips the trailing dot of test
    labels, replaces ``?`` by ``Unknown`` and types the continuous columns as ``int64``.
    """
    lines = [ln for ln in raw.decode("utf-8").splitlines() if ln.strip() and not ln.startswith("|")]
    frame = pd.read_csv(io.StringIO("\n".join(lines)), header=None, names=list(ADULT_COLUMNS),
                        skipinitialspace=True, dtype=str, keep_default_na=False)
    for col in ADULT_CATEGORICAL:
        frame[col] = frame[col].str.strip().replace("?", "Unknown")
    frame[ADULT_TARGET] = frame[ADULT_TARGET].str.rstrip(".")
    for col in ADULT_CONTINUOUS:
        frame[col] = frame[col].astype("int64")
    return frame


def load_adult(source: str = "embedded", cache_dir: str | os.PathLike | None = None,
               split: str = "train") -> pd.DataFrame:
    """Load UCI Adult as a DataFrame with named columns (see :data:`ADULT_COLUMNS`).

    Args:
        source: ``"embedded"`` (the copy shipped in the package, no network) or ``"uci"``
            (download from the UCI archive with a sha256 check, cached in ``cache_dir``).
        cache_dir: Download cache for ``source="uci"``; ``None`` uses :func:`default_cache_dir`.
        split: ``"train"`` (``adult.data``, 32,561 rows — the evaluation protocol's file),
            ``"test"`` (``adult.test``, 16,281 rows) or ``"all"`` (both, train first).

    Returns:
        DataFrame: integer columns ``age, fnlwgt, education-num, capital-gain, capital-loss,
        hours-per-week``; string columns otherwise, ``?`` replaced by ``Unknown``; ``income`` is
        ``"<=50K"`` or ``">50K"``.

    Raises:
        UnknownNameError: ``source`` or ``split`` is not one of the choices.
        ChecksumError: A downloaded file fails its checksum.

    Example:
        >>> adult = load_adult()
        >>> adult.shape
        (32561, 15)
    """
    if source not in ("embedded", "uci"):
        raise unknown_name("source", source, ("embedded", "uci"))
    files = {"train": ["adult.data"], "test": ["adult.test"], "all": ["adult.data", "adult.test"]}
    if split not in files:
        raise unknown_name("split", split, files)
    if source == "embedded" and cache_dir is not None:
        raise ConfigError("cache_dir is only used with source='uci'; drop it or set source='uci'")
    frames = []
    for name in files[split]:
        raw = _embedded_bytes(name) if source == "embedded" else download_adult_file(name, cache_dir)
        frames.append(parse_adult(raw))
    return pd.concat(frames, ignore_index=True)


def adult_names_text() -> str:
    """The UCI description of the columns (``adult.names``), from the embedded copy."""
    return _embedded_bytes("adult.names").decode("utf-8", errors="replace")
