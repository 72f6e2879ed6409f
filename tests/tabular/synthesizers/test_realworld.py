"""A real-world table end to end: every column kind, constraints, range conditions, sample_remaining,
save / load / export, and the errors of bad input. Small data and few epochs: the figures that
matter are measured by runs/tabular_messy.py."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import ConfigError, InvalidValueError, UnknownNameError
from tabular import Synthesizer
from tabular.constraints import FixedCombinations, Inequality, Predicate
from tabular.data import consistency_table
from tabular.data.messy import messy_constraints, messy_table
from tabular.encoding import MinMaxOneHotEncoder
from tabular.encoding.table import TableTransformer
from tabular.metadata import Metadata
from tabular.synthesizers import TVAEConfig
from tabular.synthesizers.sampler import GraphSampler

from .test_sampler import coupled_network

SMALL = dict(epochs=2, batch_size=200, latent_dim=16, hidden=(32, 32), prior_components=5)
GENERATED = ("person_id", "case_number", "name", "email", "notes")


@pytest.fixture(scope="module")
def messy():
    return messy_table(800, categories=300, seed=1)


@pytest.fixture(scope="module")
def fitted(messy):
    meta = Metadata.detect(messy, constraints=messy_constraints())
    meta.update_column("charge_code", kind="high_cardinality", keep=20)
    return Synthesizer("tvae", metadata=meta, seed=0, **SMALL).fit(messy)


@pytest.fixture(scope="module")
def rows(fitted):
    return fitted.sample(1500, seed=1)


def test_sampled_rows_have_the_columns_and_dtypes_and_copy_no_identifier_or_personal_value(messy, fitted, rows):
    assert list(rows.columns) == list(messy.columns)
    assert rows.dtypes.astype(str).to_dict() == messy.dtypes.astype(str).to_dict()
    for col in GENERATED:
        assert not set(rows[col].dropna()) & set(messy[col].dropna()), col
    assert rows["person_id"].is_unique and rows["case_number"].is_unique
    assert rows["case_number"].str.fullmatch(r"1[2-4]\d{6}(CF|MM)10A").all()
    assert rows["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@[a-z.]+").all()
    assert (rows["source"] == "county").all() and rows["violent_recid"].isna().all()
    assert rows["c_jail_in"].isna().any() and rows["priors_count"].isna().any() and rows["is_recid"].isna().any()
    assert rows["charge_code"].nunique() > 20  # the tail bucket is drawn from the tail's categories
    assert set(rows["rate"]) <= set(messy["rate"])  # float32-origin rates: only the fitted values


def test_every_constraint_holds_in_every_row(messy, rows):
    jail_in = pd.to_datetime(rows["c_jail_in"], format="%Y-%m-%d %H:%M:%S")
    jail_out = pd.to_datetime(rows["c_jail_out"], format="%Y-%m-%d %H:%M:%S")
    both = jail_in.notna() & jail_out.notna()
    assert both.sum() > 200 and (jail_in[both] <= jail_out[both]).all()
    assert (rows["priors_count"].dropna() >= 0).all() and (rows["age"] >= 18).all()
    seen = set(zip(messy["charge_degree"], messy["degree_class"]))
    assert set(zip(rows["charge_degree"], rows["degree_class"])) <= seen


def test_graph_checks_keep_the_models_own_rows_never_repaired():
    """A stand-in network gives degree/level pairs that break the allowed combinations in about 30 %
    of rows, and sets ``age`` high exactly in the allowed rows: kept rows must all have a high age
    (a repaired pair would keep its low age)."""
    frame = pd.DataFrame({"degree": ["F", "F", "M"] * 50, "level": ["F1", "F2", "M1"] * 50,
                          "age": np.tile([20, 40, 60], 50)})
    meta = Metadata.detect(frame, constraints=[FixedCombinations(["degree", "level"])])
    table = TableTransformer(meta).fit(frame)
    enc = MinMaxOneHotEncoder(table.model_types_).fit(table.to_model(frame))
    degree, level, age = (enc.spans_of(c)[r] for c, r in (("degree", "category"), ("level", "category"),
                                                         ("age", "value")))

    def network(z, cond):
        bad = z[:, 0] > 0.5244  # P = 0.3
        cols = [tf.zeros((tf.shape(z)[0], 1))] * enc.output_width_
        on = lambda flag: tf.where(flag, 50.0, -50.0)[:, None]  # noqa: E731
        cols[degree.start + 1], cols[degree.start] = on(bad), on(~bad)      # M (with F1: never seen) when bad
        cols[level.start] = on(tf.ones_like(bad))                           # F1
        cols[age.start] = tf.where(bad, -1.0, 1.0)[:, None]                 # age 20 when bad, else 60
        return tf.concat(cols, axis=1)

    sampler = GraphSampler(enc, network, latent_dim=2, activated=True, check=lambda c: table.checks_tf(c, enc))
    codes, drawn, accepted = sampler.sample_codes(tf.constant(400, tf.int64), tf.constant(0, tf.int64),
                                                  sampler.unconditioned())
    out = enc.frame_from_codes(codes.numpy())
    assert len(out) == 400 and (out["degree"] == "F").all() and (out["level"] == "F1").all()
    assert (out["age"] == 60).all()
    assert 0.6 < int(accepted) / int(drawn) < 0.8


def test_range_conditions_on_dates_and_numbers(fitted, messy):
    rows = fitted.sample(200, conditions={"c_jail_in": ("2013-06-01", "2013-12-31"), "age": (30, 40)}, seed=2)
    jail_in = pd.to_datetime(rows["c_jail_in"], format="%Y-%m-%d %H:%M:%S")
    assert jail_in.between("2013-06-01", "2013-12-31 23:59:59").all() and rows["age"].between(30, 40).all()
    tail = messy["charge_code"].value_counts().index[-1]  # a category in the tail bucket
    rows = fitted.sample(50, conditions={"charge_code": [tail]}, seed=3)
    assert (rows["charge_code"] == tail).all()


def test_bad_conditions_name_the_column_and_the_fix(fitted):
    with pytest.raises(InvalidValueError, match=r"'c_jail_in' lies outside the fitted range \[2012.*condition inside"):
        fitted.sample(10, conditions={"c_jail_in": ("2020-01-01", "2021-01-01")})
    with pytest.raises(InvalidValueError, match="'age' lies outside the fitted range"):
        fitted.sample(10, conditions={"age": (100, 120)})
    with pytest.raises(InvalidValueError, match="cannot condition on column 'email': its values are pii"):
        fitted.sample(10, conditions={"email": "a@b.c"})
    with pytest.raises(InvalidValueError, match="'charge_code' = 'nope' is not a category"):
        fitted.sample(10, conditions={"charge_code": "nope"})
    with pytest.raises(UnknownNameError, match="cannot condition on column 'salary'"):
        fitted.sample(10, conditions={"salary": (1, 2)})


def test_sample_remaining_keeps_the_known_columns(fitted, messy):
    known = messy[["age", "sex", "c_jail_in", "charge_code"]].iloc[:25].copy()
    known.index = [f"r{i}" for i in range(25)]
    out = fitted.sample_remaining(known, seed=4)
    assert list(out.index) == list(known.index) and list(out.columns) == list(messy.columns)
    for col in known.columns:
        assert out[col].equals(known[col]), col
    jail_in, jail_out = pd.to_datetime(out["c_jail_in"]), pd.to_datetime(out["c_jail_out"])
    both = jail_in.notna() & jail_out.notna()
    assert both.sum() > 5 and (jail_out[both] >= jail_in[both]).all()  # the stay goes with the known jail_in
    with pytest.raises(UnknownNameError, match="known has column\\(s\\) \\['salary'\\]"):
        fitted.sample_remaining(known.assign(salary=1))


class CoupledSynthesizer(Synthesizer):
    """A synthesizer whose "model" is the sampler tests' stand-in network (no training): ``B = y``
    exactly when ``A = c``, ``retired = yes`` exactly for ages 63 and up."""

    method = "coupled_test"  # not registered
    config_class = TVAEConfig

    def make_encoder(self):
        return MinMaxOneHotEncoder(self.column_types, self.seed)

    def build_model(self, encoder, x, frame):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    def train(self, model, encoder, data, epochs, callbacks, verbose):
        return {}

    def sampler_parts(self):
        return {"network": coupled_network(self.encoder_), "latent_dim": 3, "activated": True}


def test_sample_remaining_fills_rows_from_the_model_conditioned_on_the_known_values():
    """Known A and age of each row are its conditions: the filled B and retired follow the model's
    rule for that row (random or unconditioned filling would not). The network never generates
    A = "b" and its age threshold (62.375) falls inside the rounding interval of 62, so those rows
    are left out of the strict check; a "b" row is relaxed and counted."""
    synth = CoupledSynthesizer(epochs=1).fit(consistency_table(2000, seed=0))
    known = consistency_table(300, rare_share=0.2, seed=9)[["A", "age"]]
    known = known[(known["A"] != "b") & (known["age"] != 62)]
    out = synth.sample_remaining(known, seed=1)
    assert out[["A", "age"]].equals(known)
    assert ((out["retired"] == "yes") == (out["age"] >= 63)).all()
    assert ((out["B"] == "y") == (out["A"] == "c")).all() and (out["A"] == "c").sum() > 20
    assert synth.last_relaxed_ == 0
    never = pd.DataFrame({"A": ["b", "c"], "age": [30, 70]})
    out = synth.sample_remaining(never, seed=2)
    assert out[["A", "age"]].equals(never) and synth.last_relaxed_ == 1


def test_save_load_and_export_keep_the_table_layer(fitted, tmp_path):
    fitted.save(tmp_path / "s")
    again = Synthesizer.load(tmp_path / "s")
    assert again.table_.summary() == fitted.table_.summary()
    pd.testing.assert_frame_equal(again.sample(100, seed=5), fitted.sample(100, seed=5))
    with pytest.warns(UserWarning, match="leaves out column\\(s\\) \\['case_number', 'name', 'email', 'notes'\\]"):
        fitted.export(tmp_path / "e")
    schema = json.loads((tmp_path / "e" / "genlab_schema.json").read_text())
    assert schema["python_only"] == {"columns": ["case_number", "name", "email", "notes"],
                                     "constraints": ["age >= 18"]}
    assert "checked in the graph" in fitted.table_.summary()
    assert "match the Python synthesizer" in fitted.check_export(tmp_path / "e", n=200)
    loaded = tf.saved_model.load(str(tmp_path / "e"))
    out = loaded.sample(n=tf.constant(300, tf.int64), seed=tf.constant(0, tf.int64))
    jail_in, jail_out = out["c_jail_in"].numpy(), out["c_jail_out"].numpy()
    both = ~np.isnan(jail_in) & ~np.isnan(jail_out)
    assert both.any() and (jail_in[both] <= jail_out[both]).all()  # seconds since 1970, order kept
    assert (out["person_id"].numpy() > fitted.table_.state_["per_column"]["person_id"]["max"]).all()


def test_function_predicates_are_kept_and_must_be_given_to_load(messy, tmp_path):
    def short_stay(rows):
        stay = pd.to_datetime(rows["c_jail_out"]) - pd.to_datetime(rows["c_jail_in"])
        return (stay.isna() | (stay <= pd.Timedelta(days=60))).to_numpy()

    frame = messy[short_stay(messy)].reset_index(drop=True)
    synth = Synthesizer("tvae", seed=0, constraints=[Predicate(function=short_stay)], **SMALL).fit(frame)
    rows = synth.sample(300, seed=0)
    assert short_stay(rows).all()
    synth.save(tmp_path / "p")
    with pytest.raises(Exception, match="predicates=\\{'short_stay': the_function\\}"):
        Synthesizer.load(tmp_path / "p")
    assert short_stay(Synthesizer.load(tmp_path / "p", predicates={"short_stay": short_stay}).sample(100)).all()


def test_bad_input_fails_before_anything_is_fitted_or_written(messy, tmp_path):
    synth = Synthesizer("tvae", seed=0, constraints=[Inequality("c_jail_out", "c_jail_in", strict=True),
                                                     Inequality("c_jail_in", "c_jail_out")], **SMALL)
    with pytest.raises(ConfigError, match="cycle with a strict inequality"):
        synth.fit(messy)
    assert not hasattr(synth, "model_") and not hasattr(synth, "table_")
    bad = messy.assign(dob=messy["dob"].where(messy.index != 7, "not a date"))
    with pytest.raises(InvalidValueError, match=r"'dob' is datetime in format '%Y-%m-%d' but 1 values do not parse"):
        Synthesizer("tvae", metadata=Metadata.detect(messy), **SMALL).fit(bad)
    with pytest.raises(InvalidValueError, match="'age >= 30' is violated by"):
        Synthesizer("tvae", constraints=[Predicate("age >= 30")], **SMALL).fit(messy)
    assert not list(tmp_path.iterdir())
