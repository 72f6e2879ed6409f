"""TabularTransformer: round trip, one-hot layout, index map, snapping and bad input."""

import numpy as np
import pandas as pd
import pytest

from genlab.errors import GenlabError, InputShapeError, InvalidValueError, LabelError
from tabular.transformer import NotFittedError, TabularTransformer


def fitted(frame):
    return TabularTransformer(target="label", positive_label="yes").fit(frame)


def test_fit_returns_self_and_learns_schema(frame):
    t = TabularTransformer(target="label", positive_label="yes")
    assert t.fit(frame) is t
    assert t.categorical_ == ["colour", "sex"] and t.continuous_ == ["age", "hours"]
    assert t.categories_["sex"] == ["F", "M"]  # a binary column keeps both one-hot columns
    assert t.feature_width_ == 1 + 3 + 1 + 2 and t.output_width_ == 8
    assert t.target_classes_ == ("no", "yes")


def test_index_map_and_feature_names(frame):
    t = fitted(frame)
    assert t.index_map_ == ["age", "colour", "colour", "colour", "hours", "sex", "sex", "label"]
    assert t.feature_names_[1:4] == ["colour=blue", "colour=green", "colour=red"]
    spans = {s.column: s for s in t.spans_}
    assert (spans["colour"].start, spans["colour"].dim, spans["colour"].activation) == (1, 3, "softmax")


def test_encoding_values(frame):
    t = fitted(frame)
    x = t.transform(frame)
    assert x.dtype == np.float32 and x.shape == (len(frame), 8)
    assert x[:, [0, 4]].min() == -1.0 and x[:, [0, 4]].max() == 1.0
    np.testing.assert_array_equal(x[:, 1:4].sum(axis=1), 1.0)
    np.testing.assert_array_equal(x[:, -1], (frame["label"] == "yes").to_numpy())


def test_round_trip_is_identity_on_real_rows(frame):
    t = fitted(frame)
    pd.testing.assert_frame_equal(t.inverse_transform(t.transform(frame)), frame)


def test_round_trip_adult(adult):
    t = TabularTransformer(target="income", positive_label=">50K").fit(adult)
    assert t.output_width_ == 109
    pd.testing.assert_frame_equal(t.inverse_transform(t.transform(adult)), adult)


def test_snap_makes_each_group_one_hot(frame):
    t = fitted(frame)
    rng = np.random.default_rng(0)
    raw = rng.uniform(-1.5, 1.5, (50, t.output_width_)).astype(np.float32)
    snapped = t.snap(raw)
    for span in t.spans_for("categorical"):
        block = snapped[:, span.start:span.stop]
        np.testing.assert_array_equal(block.sum(axis=1), 1.0)
        np.testing.assert_array_equal(block.argmax(axis=1), raw[:, span.start:span.stop].argmax(axis=1))
    assert set(np.unique(snapped[:, -1])) <= {0.0, 1.0}
    assert np.abs(snapped[:, t.continuous_indices()]).max() <= 1.0
    decoded = t.inverse_transform(raw)
    assert set(decoded["colour"]) <= {"red", "green", "blue"} and decoded["age"].between(18, 79).all()


def test_features_only_with_labels(frame):
    t = fitted(frame)
    x = t.transform(frame, include_target=False)
    y = t.transform_target(frame)
    pd.testing.assert_frame_equal(t.inverse_transform(x, labels=y), frame)


def test_declared_columns(frame):
    t = TabularTransformer(categorical=["colour", "sex", "age"], target="label").fit(frame)
    assert t.continuous_ == ["hours"] and len(t.categories_["age"]) == frame["age"].nunique()


# ------------------------------------------------------------------------------------- bad input
def test_missing_column_at_fit_and_transform(frame):
    with pytest.raises(InputShapeError, match=r"\['income'\].*missing.*rename"):
        TabularTransformer(target="income").fit(frame)
    t = fitted(frame)
    with pytest.raises(InputShapeError, match=r"\['colour'\] seen by fit are missing.*refit"):
        t.transform(frame.drop(columns="colour"))


def test_unseen_category_at_transform(frame):
    t = fitted(frame)
    bad = frame.copy()
    bad.loc[3, "colour"] = "purple"
    with pytest.raises(InvalidValueError, match=r"'colour'.*\['purple'\] not seen by fit.*refit"):
        t.transform(bad)


def test_nan_in_continuous_column(frame):
    bad = frame.astype({"hours": float})
    bad.loc[5, "hours"] = np.nan
    with pytest.raises(InvalidValueError, match=r"continuous column 'hours'.*NaN.*impute"):
        TabularTransformer(target="label").fit(bad)
    with pytest.raises(InvalidValueError, match="'hours'"):
        fitted(frame).transform(bad)


def test_non_numeric_value_in_continuous_column(frame):
    bad = frame.astype({"age": object})
    bad.loc[7, "age"] = "forty"
    with pytest.raises(InvalidValueError, match=r"continuous column 'age'.*\['forty'\].*categorical"):
        TabularTransformer(continuous=["age", "hours"], target="label").fit(bad)


def test_empty_frame(frame):
    with pytest.raises(InputShapeError, match="no rows"):
        TabularTransformer(target="label").fit(frame.iloc[:0])


def test_single_class_target(frame):
    one = frame[frame["label"] == "no"]
    with pytest.raises(LabelError, match=r"'label' expected exactly two classes, received 1.*stratified"):
        TabularTransformer(target="label").fit(one)


def test_failed_fit_leaves_no_state(frame):
    t = TabularTransformer(target="label")
    with pytest.raises(GenlabError):
        t.fit(frame[frame["label"] == "no"])
    assert not [k for k in vars(t) if k.endswith("_")]
    with pytest.raises(NotFittedError, match="call fit"):
        t.transform(frame)


def test_refit_failure_keeps_previous_fit(frame):
    t = fitted(frame)
    with pytest.raises(GenlabError):
        t.fit(frame.iloc[:0])
    assert t.output_width_ == 8


def test_errors_are_value_errors(frame):
    with pytest.raises(ValueError):
        TabularTransformer(target="label").fit(frame.iloc[:0])


def test_wrong_width_at_inverse(frame):
    with pytest.raises(InputShapeError, match=r"\(n, 7\) or \(n, 8\)"):
        fitted(frame).inverse_transform(np.zeros((2, 5)))


def test_round_trip_of_bool_and_integer_coded_categories(frame):
    mixed = frame.assign(flag=frame["sex"] == "F", grade=(frame["age"] // 20).astype("int64"))
    t = TabularTransformer(categorical=["colour", "sex", "flag", "grade"], target="label").fit(mixed)
    assert "flag" in t.categorical_ and len(t.categories_["grade"]) == mixed["grade"].nunique()
    pd.testing.assert_frame_equal(t.inverse_transform(t.transform(mixed)), mixed)
