"""TabularDataset: summary and stratified split ratios."""

import numpy as np
import pytest

from genlab.errors import ConfigError
from tabular.dataset import TabularDataset


def test_summary(frame, capsys):
    ds = TabularDataset(frame, "label", positive_label="yes")
    s = ds.summary()
    assert (s.rows, s.columns, s.encoded_width, s.feature_width) == (600, 5, 8, 7)
    assert sum(s.class_counts.values()) == 600 and list(s.class_counts) == ["no", "yes"]
    assert "encoded width: 8" in str(s)


def test_protocol_split_of_adult(adult, capsys):
    ds = TabularDataset(adult, "income", positive_label=">50K")
    split = ds.split(test_size=0.2, seed=42)
    assert (len(split.train), len(split.test)) == (26048, 6513)
    out = capsys.readouterr().out
    assert "train:  26048 rows" in out and "ratio 0.24" in out
    ratios = [(p["income"] == ">50K").mean() for p in (adult, split.train, split.test)]
    np.testing.assert_allclose(ratios, ratios[0], atol=5e-4)
    assert set(split.train.index).isdisjoint(split.test.index)


def test_split_with_validation_preserves_ratios(frame):
    ds = TabularDataset(frame, "label", positive_label="yes")
    split = ds.split(test_size=0.2, val_size=0.2, seed=0, verbose=False)
    assert split.sizes() == {"train": 360, "val": 120, "test": 120}
    base = (frame["label"] == "yes").mean()
    for part in (split.train, split.val, split.test):
        assert abs((part["label"] == "yes").mean() - base) < 0.01


def test_bad_fractions(frame):
    with pytest.raises(ConfigError, match="test_size"):
        TabularDataset(frame, "label").split(test_size=0.7, val_size=0.4)


def test_encode_decode(frame):
    ds = TabularDataset(frame, "label", positive_label="yes")
    x, y = ds.encode()
    assert x.shape == (600, 7) and y.sum() == (frame["label"] == "yes").sum()
    assert ds.decode(x, y).equals(ds.frame)
