"""The encoder contract, checked for every encoder: kinds, spans, round trips, JSON state, graph decoding."""

import json

import numpy as np
import pandas as pd
import pytest

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, NotFittedError
from tabular.encoding import ENCODERS, MinMaxOneHotEncoder, ModeSpecificEncoder, QuantileEncoder, Span, encoder_from_state

from ..conftest import mixed_frame

ENCODER_CLASSES = [MinMaxOneHotEncoder, ModeSpecificEncoder, QuantileEncoder]


@pytest.fixture(scope="module")
def mixed():
    return mixed_frame()


@pytest.mark.parametrize("cls", ENCODER_CLASSES)
def test_kinds_spans_and_width(cls, mixed):
    enc = cls().fit(mixed)
    assert enc.kinds_ == {"count": "integer", "price": "continuous", "city": "categorical", "member": "boolean",
                          "label": "categorical"}
    # spans tile the row without gaps or overlaps, in column order
    assert enc.spans_[0].start == 0 and enc.spans_[-1].stop == enc.output_width_
    for a, b in zip(enc.spans_, enc.spans_[1:]):
        assert b.start == a.stop
    # one main block per column; QuantileEncoder's few-level integers are one exact-levels 'mode' block
    main = ("value", "mode", "category") if cls is QuantileEncoder else ("value", "category")
    assert [s.column for s in enc.spans_ if s.role in main] == list(mixed.columns)
    roles = {(s.column, s.role): s for s in enc.spans_}
    assert roles[("price", "missing")].dim == 2 and ("count", "missing") not in roles  # only where values are missing
    assert roles[("city", "category")].dim == 5  # 4 cities + missing
    assert roles[("member", "category")].dim == 2
    assert all(isinstance(s, Span) for s in enc.spans_)
    assert enc.layout()[0] == [0, enc.spans_[0].dim, enc.spans_[0].activation]


@pytest.mark.parametrize("cls", ENCODER_CLASSES)
def test_round_trip_keeps_values_missing_values_and_dtypes(cls, mixed):
    enc = cls().fit(mixed)
    x = enc.transform(mixed)
    assert x.shape == (len(mixed), enc.output_width_) and x.dtype == np.float32
    for s in enc.spans_:
        if s.activation == "softmax":
            np.testing.assert_array_equal(x[:, s.start:s.stop].sum(1), 1.0)
    back = enc.inverse_transform(x)
    assert list(back.columns) == list(mixed.columns)
    np.testing.assert_array_equal(back["count"].to_numpy(), mixed["count"].to_numpy())
    assert back["price"].isna().equals(mixed["price"].isna())
    observed = mixed["price"].notna().to_numpy()
    error = np.abs(back["price"].to_numpy(float)[observed] - mixed["price"].to_numpy(float)[observed])
    # exact to the learned 2 decimals (mode-specific: except a value > 4 std from its drawn mode)
    assert np.mean(error <= 0.0051) > 0.99
    assert back["city"].isna().equals(mixed["city"].isna())
    assert (back["city"].dropna() == mixed["city"].dropna()).all()
    assert back["member"].dtype == bool and (back["member"] == mixed["member"]).all()
    assert back["count"].dtype == mixed["count"].dtype


@pytest.mark.parametrize("cls", ENCODER_CLASSES)
def test_state_is_json_and_rebuilds_the_same_encoder(cls, mixed):
    enc = cls({"count": "categorical"}, seed=3).fit(mixed)
    assert enc.kinds_["count"] == "categorical"
    state = json.loads(json.dumps(enc.get_state()))
    again = encoder_from_state(state)
    assert type(again) is cls and again.spans_ == enc.spans_
    np.testing.assert_array_equal(again.transform(mixed, seed=1), enc.transform(mixed, seed=1))
    assert set(ENCODERS) >= {"minmax_onehot", "mode_specific", "quantile"}


def test_state_of_another_encoder_is_refused(mixed):
    state = MinMaxOneHotEncoder().fit(mixed).get_state()
    with pytest.raises(ConfigError, match="state is of encoder 'minmax_onehot', not 'mode_specific'"):
        ModeSpecificEncoder.from_state(state)
    with pytest.raises(ConfigError, match="known encoders"):
        encoder_from_state({"encoder": "pickle"})


@pytest.mark.parametrize("cls", ENCODER_CLASSES)
def test_decoding_clips_to_the_fitted_range(cls, mixed):
    """Network outputs far outside the encoded range still decode inside [min, max]."""
    enc = cls().fit(mixed)
    raw = np.random.default_rng(0).normal(0, 50, size=(500, enc.output_width_)).astype(np.float32)
    out = enc.inverse_transform(raw)
    price = out["price"].dropna()
    assert price.min() >= mixed["price"].min() and price.max() <= mixed["price"].max()
    np.testing.assert_allclose(price, price.round(2), atol=1e-9)
    assert out["count"].between(mixed["count"].min(), mixed["count"].max()).all()


def test_minmax_scaling_is_the_studys(mixed):
    enc = MinMaxOneHotEncoder().fit(mixed)
    x = enc.transform(mixed)
    value = enc.spans_of("count")["value"]
    lo, hi = mixed["count"].min(), mixed["count"].max()
    np.testing.assert_allclose(x[:, value.start], 2 * (mixed["count"] - lo) / (hi - lo) - 1, atol=1e-6)


def test_mode_specific_finds_both_modes_of_a_bimodal_column(mixed):
    means = np.asarray(ModeSpecificEncoder().fit(mixed).info("count")["means"])
    assert (means < 10).any() and (means > 45).any()  # groups 0..4 and 50..59


@pytest.mark.parametrize("cls", ENCODER_CLASSES)
def test_bad_input(cls, mixed):
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().transform(mixed)
    enc = cls().fit(mixed)
    with pytest.raises(InputShapeError, match=r"\['label'\] seen by fit are missing"):
        enc.transform(mixed.drop(columns="label"))
    with pytest.raises(InvalidValueError, match="'city' holds categories \\['Rome'\\] not seen by fit"):
        enc.transform(mixed.assign(city="Rome"))
    with pytest.raises(InvalidValueError, match="'count' has missing values but had none"):
        enc.transform(mixed.assign(count=np.where(np.arange(len(mixed)) == 0, np.nan, mixed["count"])))
    with pytest.raises(InputShapeError, match=r"shape \(n, \d+\), received \(2, 3\)"):
        enc.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ConfigError, match="seed must be an int >= 0"):
        cls(seed=-1).fit(mixed)


def test_bad_frames_raise_clear_errors(mixed):
    enc = ModeSpecificEncoder()
    with pytest.raises(InvalidValueError, match="must be a pandas DataFrame"):
        enc.fit(mixed.to_numpy())
    with pytest.raises(InputShapeError, match="empty"):
        enc.fit(mixed.iloc[:0])
    with pytest.raises(InputShapeError, match="not strings: \\[0\\].*astype\\(str\\)"):
        enc.fit(pd.DataFrame({0: [1, 2], "a": [3, 4]}))
    bad = mixed.copy()
    bad["price"] = bad["price"].astype(object)
    bad.loc[3, "price"] = "n/a"
    with pytest.raises(InvalidValueError, match=r"'price'.*non-numeric.*\['n/a'\].*categorical"):
        ModeSpecificEncoder({"price": "continuous"}).fit(bad)
    with pytest.raises(InvalidValueError, match="'price' holds 1 infinite"):
        enc.fit(mixed.assign(price=np.where(np.arange(len(mixed)) == 0, np.inf, mixed["price"])))
    with pytest.raises(InvalidValueError, match="'note' has no observed value.*drop the column"):
        enc.fit(mixed.assign(note=np.nan))
    with pytest.raises(InvalidValueError, match="'count' is declared integer but holds fractional"):
        ModeSpecificEncoder({"count": "integer"}).fit(mixed.assign(count=mixed["count"] + 0.5))
    with pytest.raises(InputShapeError, match="column_types names column 'nope'"):
        ModeSpecificEncoder({"nope": "integer"}).fit(mixed)
    with pytest.raises(ConfigError, match="'city'.*'text' is not a column kind"):
        ModeSpecificEncoder({"city": "text"}).fit(mixed)
    with pytest.raises(ConfigError, match="max_modes must be an int in \\[1, 50\\]"):
        ModeSpecificEncoder(max_modes=0).fit(mixed)
    assert not hasattr(enc, "state_")  # failed fits leave no state


def test_identifier_column_is_refused_unless_declared():
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"x": rng.normal(size=1500), "key": [f"id{i}" for i in range(1500)]})
    with pytest.raises(InvalidValueError, match="'key'.*1500 distinct values.*identifier"):
        ModeSpecificEncoder().fit(big)
    assert ModeSpecificEncoder({"key": "categorical"}).fit(big).kinds_["key"] == "categorical"
