"""Augmentation of the training part: noisy oversampling and SMOTENC balance the classes."""

import numpy as np
import pytest

from genlab.errors import ConfigError, LabelError
from tabular.augment import noisy_oversample, smote_balance
from tabular.transformer import TabularTransformer


def _t(frame):
    return TabularTransformer(target="label", positive_label="yes").fit(frame)


def test_noisy_oversample_balances_and_jitters(frame, capsys):
    t = _t(frame)
    aug = noisy_oversample(frame, t, noise=0.05, seed=0)
    n_no = int((frame["label"] == "no").sum())
    assert aug.counts_after == {0: n_no, 1: n_no} and aug.counts_before[1] < n_no
    assert "class counts" in capsys.readouterr().out
    x = aug.x
    cont = t.continuous_indices()
    assert np.abs(x[:, cont]).max() <= 1.0
    for span in t.spans_for("categorical"):
        np.testing.assert_array_equal(x[:, span.start:span.stop].sum(axis=1), 1.0)
    # every synthetic minority row lies within 0.05 (scaled) of some real minority row
    real = t.transform(frame[frame["label"] == "yes"], include_target=False)
    minority = x[aug.y == 1]
    d = np.abs(minority[:, None, cont] - real[None, :, cont]).max(axis=2).min(axis=1)
    assert d.max() <= 0.05 + 1e-6 and (d > 0).any()
    assert aug.with_target().shape == (len(x), t.output_width_)


def test_smotenc_balances_with_valid_categories(frame):
    t = _t(frame)
    aug = smote_balance(frame, t, seed=0)
    assert aug.method == "smotenc" and aug.counts_after[0] == aug.counts_after[1]
    for span in t.spans_for("categorical"):
        np.testing.assert_array_equal(aug.x[:, span.start:span.stop].sum(axis=1), 1.0)


def test_smote_without_categoricals(frame):
    numeric = frame[["age", "hours", "label"]]
    aug = smote_balance(numeric, TabularTransformer(target="label").fit(numeric), seed=0)
    assert aug.method == "smote" and len(set(aug.counts_after.values())) == 1


def test_single_class_training_part(frame):
    t = _t(frame)
    with pytest.raises(LabelError, match="single class.*stratified"):
        noisy_oversample(frame[frame["label"] == "no"], t)


def test_negative_noise(frame):
    with pytest.raises(ConfigError, match="noise"):
        noisy_oversample(frame, _t(frame), noise=-0.1)
