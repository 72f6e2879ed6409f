"""TabularDataset: summary and stratified split ratios."""

import numpy as np
import pytest

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.data import TabularDataset


def test_summary(frame):
    s = TabularDataset(frame, "label").summary()
    assert (s.rows, s.columns) == (600, 5)
    assert s.kinds == {"age": "integer", "colour": "categorical", "hours": "continuous", "sex": "categorical",
                       "label": "categorical"}
    assert sum(s.class_counts.values()) == 600 and list(s.class_counts) == ["no", "yes"]
    assert "3 categorical" in str(s) and "target 'label'" in str(s)


def test_protocol_split_of_adult(adult, capsys):
    split = TabularDataset(adult, "income").split(test_size=0.2, seed=42)
    assert (len(split.train), len(split.test)) == (26048, 6513)
    out = capsys.readouterr().out
    assert "train:  26048 rows" in out and ">50K 0.24" in out
    ratios = [(p["income"] == ">50K").mean() for p in (adult, split.train, split.test)]
    np.testing.assert_allclose(ratios, ratios[0], atol=5e-4)
    assert set(split.train.index).isdisjoint(split.test.index)


def test_split_with_validation_preserves_ratios(frame):
    split = TabularDataset(frame, "label").split(test_size=0.2, val_size=0.2, seed=0, verbose=False)
    assert split.sizes() == {"train": 360, "val": 120, "test": 120}
    base = (frame["label"] == "yes").mean()
    for part in (split.train, split.val, split.test):
        assert abs((part["label"] == "yes").mean() - base) < 0.01


def test_bad_input(frame):
    with pytest.raises(ConfigError, match="test_size"):
        TabularDataset(frame, "label").split(test_size=0.7, val_size=0.4)
    with pytest.raises(InputShapeError, match="target column 'nope' is missing"):
        TabularDataset(frame, "nope")
    with pytest.raises(LabelError, match="numeric with"):
        TabularDataset(frame, "hours")
