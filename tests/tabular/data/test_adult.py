"""Adult loader: embedded files, parsing quirks, download checksum and cache (network mocked)."""

import gzip
import hashlib
import io
from pathlib import Path

import pytest

import tabular.data.adult as adult_mod
from genlab.errors import UnknownNameError
from tabular.data.adult import ADULT_COLUMNS, ADULT_SHA256, ChecksumError, load_adult, parse_adult


def test_embedded_train_file(adult):
    assert adult.shape == (32561, 15)
    assert tuple(adult.columns) == ADULT_COLUMNS
    assert set(adult["income"]) == {"<=50K", ">50K"}
    assert not (adult == "?").any().any()
    assert (adult["workclass"] == "Unknown").sum() == 1836
    assert adult["age"].dtype == "int64"


def test_test_file_quirks_handled():
    test = load_adult(split="test")
    assert len(test) == 16281  # the "|1x3 Cross validator" line is skipped
    assert set(test["income"]) == {"<=50K", ">50K"}  # trailing dots removed


def test_embedded_files_match_uci_checksums():
    data_dir = Path(adult_mod.__file__).parent
    for name, digest in ADULT_SHA256.items():
        with gzip.open(data_dir / f"{name}.gz", "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == digest
    assert "CC BY 4.0" in (data_dir / "ATTRIBUTION.md").read_text()


def test_parse_small_bytes():
    raw = (b"|1x3 Cross validator\n"
           b"25, ?, 226802, 11th, 7, Never-married, ?, Own-child, Black, Male, 0, 0, 40, United-States, >50K.\n\n")
    frame = parse_adult(raw)
    assert frame.loc[0, "workclass"] == "Unknown" and frame.loc[0, "income"] == ">50K"


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_checks_sha256_and_caches(tmp_path, monkeypatch):
    with gzip.open(Path(adult_mod.__file__).parent / "adult.data.gz", "rb") as fh:
        good = fh.read()
    calls = []

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        return _Response(good)

    monkeypatch.setattr(adult_mod.urllib.request, "urlopen", fake_urlopen)
    frame = load_adult(source="uci", cache_dir=tmp_path)
    assert len(frame) == 32561 and (tmp_path / "adult.data").exists()
    load_adult(source="uci", cache_dir=tmp_path)
    assert len(calls) == 1  # second load served from the cache


def test_download_with_bad_checksum_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(adult_mod.urllib.request, "urlopen", lambda url, timeout=None: _Response(b"tampered"))
    with pytest.raises(ChecksumError, match="sha256"):
        load_adult(source="uci", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unknown_source():
    with pytest.raises(UnknownNameError, match="embedded, uci"):
        load_adult(source="kaggle")
