"""Column kinds of real tables: detection, the table layer's round trips, generated values, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from genlab.errors import ConfigError, InputShapeError, InvalidValueError
from tabular.encoding.kinds import Datetime, HighCardinality, Identifier, detect_column
from tabular.encoding.patterns import FakeText, KeyPattern, ValueHashes, shape_of
from tabular.encoding.table import TableTransformer
from tabular.metadata import Metadata


def real_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    first = rng.choice(["Anna", "Ben", "Carla", "David", "Elena", "Frank"], n)
    last = ["".join(rng.choice(["ba", "ker", "son", "mil", "ton", "ris"], 3)).capitalize() for _ in range(n)]
    stamps = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s")
    return pd.DataFrame({
        "row_id": rng.permutation(n) + 1,
        "case": [f"{y}{k:06d}CF" for y, k in zip(rng.choice(["13", "14"], n), rng.choice(10**6, n, replace=False))],
        "full_name": [f"{a} {b}" for a, b in zip(first, last)],
        "mail": [f"{a.lower()}{i}@gmail.com" for i, a in enumerate(first)],
        "born": (pd.Timestamp("1980-01-01") + pd.to_timedelta(rng.integers(0, 7000, n), unit="D")).strftime("%d/%m/%Y"),
        "seen": pd.Series(stamps).dt.tz_localize("Europe/Oslo"),
        "code": [f"K{c:04d}" for c in rng.integers(0, 1500, n)] if n > 1500 else [f"K{c:04d}" for c in range(n)],
        "note": [" ".join(rng.choice(["the", "court", "ordered", "release", "after", "review"], 7)) for _ in range(n)],
        "fixed": "x",
        "nothing": np.full(n, np.nan),
        "amount": np.round(rng.gamma(2.0, 300.0, n), -2),
        "flag": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"),
    })


def test_detection_names_every_kind():
    frame = real_frame()
    kinds = {c: detect_column(frame[c], c)["kind"] for c in frame.columns}
    assert kinds == {"row_id": "id", "case": "id", "full_name": "pii", "mail": "pii", "born": "datetime",
                     "seen": "datetime", "code": "id", "note": "text", "fixed": "constant", "nothing": "empty",
                     "amount": "integer", "flag": "boolean"}
    assert detect_column(frame["born"], "born")["format"] == "%d/%m/%Y"
    assert detect_column(frame["mail"], "mail")["entity"] == "email"
    # repeated codes are categories, not identifiers; beyond 1,000 of them a high-cardinality column
    many = pd.Series([f"K{i % 1200:04d}" for i in range(3000)])
    assert detect_column(many, "code")["kind"] == "high_cardinality"
    assert detect_column(many.str[:3], "code")["kind"] == "categorical"
    # an integer column that is unique but neither named nor laid out as identifiers stays numeric
    assert detect_column(pd.Series(np.arange(0, 3000, 7)), "weight")["kind"] == "integer"


def test_datetime_round_trips_in_the_input_dtype_and_format():
    frame = real_frame()
    born = frame["born"].where(np.arange(len(frame)) % 9 != 0, None)  # missing values kept
    for series, unit in ((born, "D"), (frame["seen"], "s")):
        state = Datetime().fit(series, "c", {"kind": "datetime", "format": None}, None)
        assert state["unit"] == unit
        model = Datetime().to_model(series, "c", state)
        assert model.isna().equals(series.isna())
        back = Datetime().from_model(model, state, len(model), 0, 0)
        assert str(back.dtype) == str(series.dtype)
        same = (back == series) | (back.isna() & series.isna())
        assert same.all()
    # a tz-aware column's model values are UTC counts: 2014-01-01 00:00 Oslo is 2013-12-31 23:00 UTC
    state = Datetime().fit(frame["seen"], "seen", {"kind": "datetime", "format": None}, None)
    one = pd.Series([pd.Timestamp("2014-01-01 00:00", tz="Europe/Oslo")])
    assert Datetime().to_model(one, "seen", state)[0] == pd.Timestamp("2013-12-31 23:00").value // 10**9


def test_high_cardinality_model_width_does_not_grow_with_categories():
    rng = np.random.default_rng(0)
    widths = []
    for k in (2000, 20000):
        series = pd.Series([f"c{v}" for v in np.concatenate([np.arange(k), rng.integers(0, 50, 5 * k)])])
        state = HighCardinality().fit(series, "c", {"kind": "high_cardinality", "keep": 30}, rng)
        model = HighCardinality().to_model(series, "c", state)
        widths.append(model.nunique())
        drawn = HighCardinality().from_model(pd.Series([state["bucket"]] * 20000), state, 20000, 0, 0)
        assert set(drawn) <= set(state["tail"]) and drawn.nunique() > 100  # the tail, drawn by frequency
    assert widths == [31, 31]


def test_identifiers_are_new_unique_and_in_the_layout():
    frame = real_frame()
    rng = np.random.default_rng(0)
    ints = Identifier().fit(frame["row_id"], "row_id", {"kind": "id"}, rng)
    out = Identifier().generate(500, ints, 0, 0, rng)
    assert out.is_unique and out.min() > frame["row_id"].max() and out.dtype == frame["row_id"].dtype
    keys = Identifier().fit(frame["case"], "case", {"kind": "id"}, rng)
    out = Identifier().generate(2000, keys, 0, 1, rng)
    assert out.is_unique and not set(out) & set(frame["case"])
    assert out.str.fullmatch(r"1[34]\d{6}CF").all()  # the year and degree tokens, six digits
    with pytest.raises(InvalidValueError, match="'row_id' is an id but holds 1 repeated values.*categorical"):
        Identifier().fit(pd.Series([1, 2, 2, 3]), "row_id", {"kind": "id"}, rng)


def test_keys_never_repeat_a_training_key_even_when_the_layout_is_small():
    """Two-digit keys leave 100 values: all 60 training keys must be skipped."""
    train = [f"{i:02d}" for i in range(60)]
    rng = np.random.default_rng(0)
    out = KeyPattern.learn(train).generate(40, rng, ValueHashes.of(train, rng))
    assert sorted(out) == [f"{i:02d}" for i in range(60, 100)]


def test_fakes_keep_the_shape_and_never_a_training_value():
    names = ["Ann-Marie O'Neil", "Bo Li", "Carl Svensson"] * 30
    rng = np.random.default_rng(0)
    fake = FakeText.learn(names, rng)
    out = fake.generate(300, rng, ValueHashes.of(names, rng))
    assert not set(out) & set(names)
    assert {shape_of(v) for v in out} <= {shape_of(v) for v in names}
    assert "Ann" not in json.dumps(fake.get_state())  # shapes only, no letters of the values
    emails = [f"user{i}@gmail.com" for i in range(50)] + ["x1@rare.org"]
    out = FakeText.learn(emails, rng, email=True).generate(200, rng, ValueHashes.of(emails, rng))
    assert sum(v.endswith("@gmail.com") for v in out) > 150 and not any(v.endswith("@rare.org") for v in out)
    assert not ValueHashes.of(emails, rng).contains(out).any()


def test_table_layer_round_trip_and_generated_columns():
    frame = real_frame()
    table = TableTransformer(seed=0).fit(frame)
    model = table.to_model(frame)
    assert set(model.columns) == {"born", "seen", "amount", "flag"}
    assert table.model_types_ == {"born": "integer", "seen": "integer", "amount": "integer", "flag": "boolean"}
    back = table.finish(table.from_model(model, seed=0), seed=0)
    assert list(back.columns) == list(frame.columns)
    assert (back.dtypes.astype(str) == frame.dtypes.astype(str)).all()
    for col in ("born", "seen", "amount", "flag", "fixed"):
        assert back[col].equals(frame[col]), col
    assert back["nothing"].isna().all()
    for col in ("row_id", "case", "full_name", "mail", "code", "note"):
        assert not set(back[col]) & set(frame[col]), col
    state = json.loads(json.dumps(table.get_state()))
    again = TableTransformer.from_state(state)
    assert again.to_model(frame).equals(model)


def test_dropped_personal_data_is_left_out_with_a_warning():
    frame = real_frame()
    meta = Metadata.detect(frame).update_column("note", handling="drop")
    with pytest.warns(UserWarning, match="'note' \\(text\\) is left out"):
        table = TableTransformer(meta).fit(frame)
    assert "note" not in table.output_columns()
    assert "note" not in table.finish(table.from_model(table.to_model(frame), 0), 0).columns


def test_bad_kinds_and_unparseable_values_name_the_column_and_the_fix():
    frame = real_frame()
    with pytest.raises(InvalidValueError, match=r"'fixed' is declared datetime but its values, e.g. \['x'\].*format"):
        TableTransformer(column_types={"fixed": "datetime"}).fit(frame)
    bad = frame.assign(born=frame["born"].where(np.arange(len(frame)) != 3, "31/02/1990"))
    with pytest.raises(InvalidValueError, match=r"'born' is datetime in format '%d/%m/%Y' but 1 values do not parse, "
                                                r"e.g. \['31/02/1990'\]"):
        TableTransformer(Metadata.detect(frame)).fit(bad)
    with pytest.raises(ConfigError, match="'born': kind 'date' is not a column kind"):
        Metadata.detect(frame, {"born": "date"})
    with pytest.raises(ConfigError, match="'code' \\(high_cardinality\\) has unknown option\\(s\\) \\['format'\\]"):
        Metadata.detect(frame).update_column("code", kind="high_cardinality", format="%Y")
    with pytest.raises(InputShapeError, match="metadata describes column\\(s\\) \\['gone'\\]"):
        TableTransformer(Metadata({"gone": {"kind": "integer"}})).fit(frame)
