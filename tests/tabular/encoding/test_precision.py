"""Numeric precision and modes: float32-origin values, grids, exact modes decoded exactly, kept tails."""

import numpy as np
import pandas as pd
import pytest

from tabular.encoding import MinMaxOneHotEncoder, ModeSpecificEncoder
from tabular.encoding.columns import precision
from tabular.encoding.mode_specific import REACH, fit_modes

RATES = np.float32([1.5, 2.0, 2.5, 3.1, 3.3, 4.2, 5.0, 5.5, 6.1, 7.7])


def test_float32_origin_values_get_their_decimals():
    rate = np.random.default_rng(0).choice(RATES, 500).astype(np.float64)  # 3.0999999046325684 for 3.1
    got = precision(rate, "continuous")
    assert (got["decimals"], got["step"], got["float32"]) == (1, None, True)
    assert got["levels"] == sorted(set(rate.tolist()))
    # genuinely float64 values are not mistaken for float32 ones, nor are short decimals
    assert precision(np.random.default_rng(0).normal(size=200), "continuous")["decimals"] is None
    quarters = np.tile([0.25, 0.5, 1.75, 3.0], 10)
    assert precision(quarters, "continuous") == {"decimals": 2, "step": 0.25, "float32": False,
                                                 "levels": [0.25, 0.5, 1.75, 3.0]}
    assert precision(np.arange(100, 10000, 100.0), "integer")["step"] == 100.0


@pytest.mark.parametrize("cls", [MinMaxOneHotEncoder, ModeSpecificEncoder])
def test_decoding_gives_only_the_fitted_values_of_a_float32_rate(cls):
    """Measured before: a 10-value float32 rate decoded to 1,746 distinct values."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"rate": rng.choice(RATES, 1000).astype(np.float64),
                          "amount": np.round(rng.gamma(2.0, 300.0, 1000), -2)})
    enc = cls().fit(frame)
    raw = rng.normal(0, 2, size=(5000, enc.output_width_)).astype(np.float32)
    out = enc.inverse_transform(raw)
    assert set(out["rate"]) <= set(frame["rate"])  # bit-identical to fitted values
    assert set(out["amount"] % 100) == {0}  # on the grid of hundreds


def test_exact_modes_decode_to_their_value_whatever_the_position():
    frame = pd.DataFrame({"n": np.random.default_rng(0).choice([1, 2, 3, 7], 500)})
    enc = ModeSpecificEncoder().fit(frame)
    assert all(enc.info("n")["exact"])
    raw = np.zeros((4, enc.output_width_), np.float32)
    raw[:, 0] = [0.9, -0.9, 0.5, -0.5]  # positions far from the mode centres
    raw[np.arange(4), 1 + np.arange(4)] = 10.0  # one mode each
    assert enc.inverse_transform(raw)["n"].tolist() == [1, 2, 3, 7]


def test_a_thin_tail_gets_a_mode_that_reaches_it():
    """Measured before: a ratio with real max 3.0 decoded to at most 0.92."""
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.gamma(2.0, 0.1, 2300), rng.uniform(1.0, 3.0, 15)])
    means, stds, weights, exact = fit_modes(values, 10, 0)
    means, stds = np.asarray(means), np.asarray(stds)
    reach = np.min(np.abs(values[:, None] - means[None, :]) / (REACH * stds[None, :]), axis=1)
    assert (reach <= 1.0).all()
    assert max(m + REACH * s for m, s in zip(means, stds)) >= values.max()
    assert not any(exact)


def test_exact_values_gives_integer_columns_one_mode_per_value():
    frame = pd.DataFrame({"age": np.random.default_rng(0).integers(18, 90, 2000)})
    assert ModeSpecificEncoder().fit(frame).spans_of("age")["mode"].dim < 72
    enc = ModeSpecificEncoder(exact_values=100).fit(frame)
    assert enc.spans_of("age")["mode"].dim == 72 and all(enc.info("age")["exact"])
    back = enc.inverse_transform(enc.transform(frame))
    assert back["age"].equals(frame["age"])
