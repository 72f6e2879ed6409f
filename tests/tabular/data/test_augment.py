"""Class balancing, frame to frame: noisy oversampling and SMOTENC balance the classes with valid rows."""

import numpy as np
import pytest

from genlab.errors import ConfigError, InputShapeError, LabelError
from tabular.data import noisy_oversample, smote_balance


def test_noisy_oversample_balances_and_jitters(frame, capsys):
    aug = noisy_oversample(frame, "label", noise=0.05, seed=0)
    n_no = int((frame["label"] == "no").sum())
    assert aug.counts_after == {"no": n_no, "yes": n_no} and aug.counts_before["yes"] < n_no
    assert "class counts" in capsys.readouterr().out
    out = aug.frame
    assert list(out.columns) == list(frame.columns) and dict(out.dtypes) == dict(frame.dtypes)
    assert out["age"].between(frame["age"].min(), frame["age"].max()).all()
    np.testing.assert_array_equal(out["hours"], out["hours"].round(1))  # the column's precision kept
    assert set(out["colour"]) <= set(frame["colour"])
    # every new minority row lies within the jitter (0.05 of half the range) of some real minority row
    real = frame[frame["label"] == "yes"]
    half = (frame["hours"].max() - frame["hours"].min()) / 2
    new = out[out["label"] == "yes"].merge(frame, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"]
    assert len(new) > 0
    d = np.abs(new["hours"].to_numpy()[:, None] - real["hours"].to_numpy()[None, :]).min(axis=1)
    assert d.max() <= 0.05 * half + 0.05 + 1e-9  # jitter plus rounding to 1 decimal


def test_smotenc_balances_with_valid_categories(frame):
    aug = smote_balance(frame, "label", seed=0)
    assert aug.method == "smotenc" and aug.counts_after["no"] == aug.counts_after["yes"]
    assert set(aug.frame["colour"]) <= set(frame["colour"]) and set(aug.frame["sex"]) <= set(frame["sex"])
    assert aug.frame["age"].dtype == frame["age"].dtype
    assert len(aug.frame) == 2 * int((frame["label"] == "no").sum())


def test_smote_without_categoricals(frame):
    aug = smote_balance(frame[["age", "hours", "label"]], "label", seed=0)
    assert aug.method == "smote" and len(set(aug.counts_after.values())) == 1


def test_single_class_training_part(frame):
    with pytest.raises(LabelError, match="single class.*stratified"):
        noisy_oversample(frame[frame["label"] == "no"], "label")


def test_bad_arguments(frame):
    with pytest.raises(ConfigError, match="noise"):
        noisy_oversample(frame, "label", noise=-0.1)
    with pytest.raises(InputShapeError, match="target column 'y' is missing"):
        smote_balance(frame, "y")
    holes = frame.copy()
    holes.loc[3, "age"] = np.nan
    with pytest.raises(LabelError, match=r"\['age'\] have missing values"):
        noisy_oversample(holes, "label")
