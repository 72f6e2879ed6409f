"""TableSource and scan_table: one streaming pass gives the statistics of the whole table and a
bounded uniform sample; bad files are refused when the source is opened."""

import numpy as np
import pandas as pd
import pytest

from genlab.errors import InputShapeError
from tabular.data.files import TableSource
from tabular.data.stream import scan_table
from tabular.encoding.columns import fit_column

from ..conftest import mixed_frame


@pytest.fixture
def parts(tmp_path):
    """mixed_frame(900) with a row number, as three Parquet files of 100-row groups."""
    frame = mixed_frame(900, seed=4)
    frame["row"] = np.arange(len(frame))
    frame["flag"] = pd.array(np.where(np.arange(len(frame)) % 3 == 0, None, False), dtype="boolean")  # never True
    for i in range(3):
        frame.iloc[300 * i:300 * (i + 1)].to_parquet(tmp_path / f"part{i}.parquet", index=False, row_group_size=100)
    return tmp_path, frame


def test_scan_statistics_are_those_of_the_whole_table(parts):
    # Catches statistics kept from one chunk or from the sample only: the range, missing rate and
    # category frequencies would differ from those of the whole frame.
    folder, frame = parts
    scan = scan_table(TableSource(folder, chunk_rows=70), reservoir_rows=50)
    assert scan.rows == len(frame)
    for col in frame.columns:
        expected = fit_column(frame[col], col, None, False)
        got = scan.stats[col].info()
        assert got.keys() == expected.keys(), col
        for key, value in expected.items():
            if isinstance(value, float) or (isinstance(value, list) and value and isinstance(value[0], float)):
                np.testing.assert_allclose(got[key], value, rtol=1e-12, err_msg=f"{col}.{key}")
            else:
                assert got[key] == value, f"{col}.{key}"
    # a boolean column that never holds True has no True category (sampling made True rows)
    assert scan.stats["flag"].info()["categories"] == [False]


def test_reservoir_is_bounded_uniform_and_independent_of_the_chunk_size(parts):
    folder, frame = parts
    samples = [scan_table(TableSource(folder, chunk_rows=size), reservoir_rows=90, seed=1).sample
               for size in (7, 100, 5000)]
    for sample in samples:
        assert len(sample) == 90
        assert sample.equals(samples[0])
    rows = samples[0]["row"].to_numpy()
    assert len(set(rows)) == 90
    # Drawn from the whole table, not its first rows (a reservoir that stops filling once full):
    # every file contributes about a third.
    per_file = np.bincount(rows // 300, minlength=3)
    assert per_file.min() >= 15, per_file


def test_bad_files_are_refused_when_the_source_is_opened(parts, tmp_path_factory):
    folder, frame = parts
    (folder / "part3.parquet").write_bytes(b"PAR1 not really a parquet file")
    with pytest.raises(InputShapeError, match=r"part3.parquet: cannot be read as parquet"):
        TableSource(folder)
    (folder / "part3.parquet").unlink()
    frame.drop(columns="city").iloc[:10].to_parquet(folder / "part4.parquet", index=False)
    with pytest.raises(InputShapeError, match=r"part4.parquet: its columns differ.*missing \['city'\]"):
        TableSource(folder)
    (folder / "part4.parquet").unlink()
    other = frame.iloc[:10].copy()
    other["count"] = other["count"].astype(str)
    other.to_parquet(folder / "part5.parquet", index=False)
    with pytest.raises(InputShapeError, match=r"part5.parquet: column 'count' holds text values, number"):
        TableSource(folder)
    with pytest.raises(InputShapeError, match="no file matches"):
        TableSource(str(folder / "*.csv"))
    with pytest.raises(InputShapeError, match="holds no .csv or .parquet"):
        TableSource(tmp_path_factory.mktemp("empty"))
