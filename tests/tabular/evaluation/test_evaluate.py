"""Evaluation protocol: real vs real scores near the ideal, bad synthetic data detected, reports."""

import pytest
from sklearn.model_selection import train_test_split

import numpy as np
import pandas as pd

from genlab.errors import InputShapeError, LabelError
from tabular.data import TabularDataset
from tabular.evaluation import PROTOCOL, FeatureEncoder, column_pair_trends, column_shapes, evaluate

from ..conftest import make_frame, mixed_frame


@pytest.fixture(scope="module")
def parts():
    f = make_frame(6000, seed=0)
    return f.iloc[:2000], f.iloc[4000:], f.iloc[2000:4000]


def test_protocol_constants():
    assert PROTOCOL == {"n_estimators": 100, "cv_folds": 4}


def test_real_vs_real_small_frame(parts, tmp_path):
    train, test, other = parts
    result = evaluate(train, test, other, target="label", out_dir=tmp_path / "report")
    m = result.metrics
    assert abs(m["detection_auc"] - 0.5) < 0.05
    assert abs(m["efficacy_ratio"] - 1.0) < 0.03
    assert m["column_shapes"] > 0.95 and m["column_pair_trends"] > 0.9
    assert m["lr_detection_score"] > 0.85
    assert abs(m["exact_copy_rate"] - m["exact_copy_rate_holdout"]) < 0.02  # chance matches only
    assert 0.5 < m["dcr_synthetic_median"] / m["dcr_holdout_median"] < 2.0
    names = {p.name for p in (tmp_path / "report").iterdir()}
    assert names == {"report.md", "metrics.json", "distributions.png", "association_difference.png",
                     "detector_importances.png"}
    assert "detection_auc" in (tmp_path / "report" / "report.md").read_text()
    assert set(result.column_importances["column"]) == {"age", "colour", "hours", "sex", "label"}
    assert set(result.to_frame()["metric"]) >= {"detection_auc", "efficacy_ratio"}


def test_bad_synthetic_data_is_detected(parts):
    train, test, other = parts
    fake = other.copy()
    fake["age"] = 18  # a collapsed column
    fake["label"] = fake["label"].sample(frac=1.0, random_state=0).to_numpy()  # label unrelated to features
    result = evaluate(train, test, fake, target="label", plots=False)
    m = result.metrics
    assert m["detection_auc"] > 0.95
    assert m["efficacy_ratio"] < 0.8
    assert m["column_shapes"] < 0.9
    assert result.top_features(1)[0][0] == "age"


def test_copies_are_flagged(parts):
    train, test, _ = parts
    m = evaluate(train, test, train.iloc[:500], target="label", plots=False).metrics
    assert m["exact_copy_rate"] == 1.0 and m["dcr_synthetic_median"] == 0.0


def test_shapes_and_trends_score_a_known_difference(parts):
    """A shifted numeric column and a flipped category cost what KS and TV say they cost."""
    train = parts[0].reset_index(drop=True)
    other = train.copy()
    other["hours"] = other["hours"] + 1000.0  # every synthetic value above every real one: KS = 1
    flip = other.index[:300]
    other.loc[flip, "sex"] = np.where(other.loc[flip, "sex"] == "F", "M", "F")
    shapes = column_shapes(train, other, ["age", "hours"]).set_index("column")["score"]
    assert shapes["hours"] == pytest.approx(0.0) and shapes["age"] == pytest.approx(1.0)
    p = train["sex"].value_counts(normalize=True)
    q = other["sex"].value_counts(normalize=True)
    assert shapes["sex"] == pytest.approx(1 - 0.5 * (p - q).abs().sum())
    trends = column_pair_trends(train, other, ["age", "hours"]).set_index(["column_a", "column_b"])["score"]
    assert trends[("age", "hours")] == pytest.approx(1.0)  # a shift keeps the correlation
    assert trends[("age", "colour")] == pytest.approx(1.0)  # untouched pair


def test_missing_values_are_scored_not_refused():
    """Frames with missing numbers and categories evaluate; a wrong missing share costs shape score."""
    real = mixed_frame(1200, seed=0)
    train, test = real.iloc[:800], real.iloc[800:]
    same = mixed_frame(800, seed=1)
    none_missing = same.assign(price=same["price"].fillna(same["price"].median()))
    good = evaluate(train, test, same, target="label", plots=False).metrics
    bad = evaluate(train, test, none_missing, target="label", plots=False, continuous=["count", "price"])
    assert good["column_shapes"] > bad.metrics["column_shapes"]
    price = bad.column_shapes.set_index("column").loc["price", "score"]
    assert price < 0.9  # 15 % missing in the real rows, none in the synthetic ones


def test_multiclass_target_efficacy():
    f = make_frame(3000, seed=2)
    f["band"] = pd.cut(f["age"], [0, 35, 55, 100], labels=["young", "mid", "old"]).astype(str)
    train, test, other = f.iloc[:1000], f.iloc[1000:2000], f.iloc[2000:]
    m = evaluate(train, test, other, target="band", plots=False).metrics
    assert m["efficacy_real_auc"] > 0.95  # age decides the band
    shuffled = other.assign(band=other["band"].sample(frac=1.0, random_state=0).to_numpy())
    m2 = evaluate(train, test, shuffled, target="band", plots=False).metrics
    assert m2["efficacy_ratio"] < 0.7


def test_encoding_is_fitted_on_the_real_training_rows_only(parts):
    """One extreme synthetic value must not move the distances of the holdout rows."""
    train, test, other = parts
    base = evaluate(train, test, other, target="label", plots=False).metrics
    outlier = other.copy()
    outlier.iloc[0, outlier.columns.get_loc("hours")] = 400.0
    moved = evaluate(train, test, outlier, target="label", plots=False).metrics
    assert moved["dcr_holdout_median"] == pytest.approx(base["dcr_holdout_median"])
    enc = FeatureEncoder().fit(train)
    assert enc.range_["hours"] == (train["hours"].min(), train["hours"].max())


def test_dcr_share_flags_memorisation(parts):
    train, test, other = parts
    fresh = evaluate(train, test, other, target="label", plots=False).metrics["dcr_share"]
    copies = evaluate(train, test, train.sample(500, random_state=0), target="label", plots=False).metrics
    assert abs(fresh - 0.5) < 0.06
    assert copies["dcr_share"] > 0.9
    # A training table smaller than the test part: the test rows are subsampled to its size, else
    # fresh rows sit nearer the larger set and the share falls far below 0.5 (it was ~0.2 here).
    small = evaluate(train.sample(150, random_state=1), test, other, target="label", plots=False).metrics
    assert len(test) > 2 * 150 and abs(small["dcr_share"] - 0.5) < 0.08


def test_missing_column_writes_nothing(parts, tmp_path):
    train, test, other = parts
    with pytest.raises(InputShapeError, match=r"synthetic lacks column\(s\) \['sex'\].*synthesizer"):
        evaluate(train, test, other.drop(columns="sex"), target="label", out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_single_class_test_part(parts):
    train, test, other = parts
    with pytest.raises(LabelError, match="single class"):
        evaluate(train, test[test["label"] == "no"], other, target="label")


def test_real_vs_real_adult(adult):
    """The acceptance check on Adult: protocol split, training part halves as real and 'synthetic'
    (about 30 s: part of the default run because it is the issue's acceptance test)."""
    split = TabularDataset(adult, "income").split(test_size=0.2, seed=42, verbose=False)
    a, b = train_test_split(split.train, test_size=0.5, stratify=split.train["income"], random_state=0)
    m = evaluate(a, split.test, b, target="income", plots=False).metrics
    assert abs(m["detection_auc"] - 0.5) < 0.05
    assert abs(m["efficacy_ratio"] - 1.0) < 0.03


@pytest.mark.parametrize("dtype", ["string", "category", "object"])
def test_labels_keep_missing_apart_from_empty_strings(dtype):
    # Catches the per-distinct-value path giving a missing value the label of a real category (the
    # code -1 indexing the last one) or merging "" with missing.
    from tabular.evaluation.features import MISSING, as_labels

    series = pd.Series(["b", None, "", "a", None, "b"], dtype=dtype)
    assert list(as_labels(series)) == ["b", MISSING, "", "a", MISSING, "b"]
    typed = pd.Series([1, None, 3], dtype="Int64")
    assert list(as_labels(typed)) == ["1", MISSING, "3"]
