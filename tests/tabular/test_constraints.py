"""Constraints and metadata: safe expressions, JSON, contradictions, training violations, transforms."""

import json

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import ConfigError, InvalidValueError, SavedStateError
from tabular.constraints import FixedCombinations, Inequality, Predicate, Range, evaluate_expression, positive
from tabular.encoding import ModeSpecificEncoder
from tabular.encoding.table import TableTransformer
from tabular.metadata import Metadata


def stays(n=400, seed=0):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s")
    end = start + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s")
    kind = rng.choice(["F", "M"], n)
    return pd.DataFrame({"jail_in": start.strftime("%Y-%m-%d %H:%M:%S"), "jail_out": end.strftime("%Y-%m-%d %H:%M:%S"),
                         "age": rng.integers(18, 70, n), "priors": rng.integers(0, 9, n), "degree": kind,
                         "level": np.where(kind == "F", rng.choice(["F1", "F2"], n), "M1")})


def test_expressions_evaluate_rows_and_refuse_code():
    frame = pd.DataFrame({"age": [17, 30, 70, np.nan], "job": ["a", "b", "retired", "b"], "my col": [1, 2, 3, 4]})
    assert evaluate_expression("age >= 18 and (job != 'retired' or age > 60)", frame).tolist() == [False, True, True,
                                                                                                     False]
    assert evaluate_expression("18 <= age < 65", frame).tolist() == [False, True, False, False]
    assert evaluate_expression("job in ['a', 'retired'] or missing(age)", frame).tolist() == [True, False, True, True]
    assert evaluate_expression("`my col` * 2 > 5", frame).tolist() == [False, False, True, True]
    for bad in ("__import__('os').system('x')", "age.__class__", "[x for x in age]", "lambda: 1"):
        with pytest.raises(ConfigError, match="not allowed|not a valid expression"):
            Predicate(bad)
    with pytest.raises(InvalidValueError, match="names column 'agee'"):
        evaluate_expression("agee > 1", frame)


def test_constraints_round_trip_as_json_and_function_predicates_must_be_given_back():
    def adult(rows):
        return (rows["age"] >= 18).to_numpy()

    meta = Metadata.detect(stays(), constraints=[Inequality("jail_in", "jail_out"), positive("priors"),
                                                 FixedCombinations(["degree", "level"]), Predicate("age < 90"),
                                                 Predicate(function=adult)])
    data = json.loads(json.dumps(meta.to_dict()))
    with pytest.raises(SavedStateError, match="Python predicate 'adult'.*predicates=\\{'adult': the_function\\}"):
        Metadata.from_dict(data)
    again = Metadata.from_dict(data, predicates={"adult": adult})
    assert again.constraints == meta.constraints and again.kinds == meta.kinds
    assert "constraint: jail_in <= jail_out" in again.summary()


def test_training_rows_that_violate_a_constraint_are_named():
    frame = stays()
    frame.loc[[5, 17], "jail_out"] = "2013-01-01 00:00:00"
    with pytest.raises(InvalidValueError, match=r"'jail_in <= jail_out' is violated by 2 training row\(s\), index "
                                                r"\[5, 17\]; fix or drop these rows"):
        TableTransformer(Metadata.detect(frame, constraints=[Inequality("jail_in", "jail_out")])).fit(frame)
    with pytest.raises(InvalidValueError, match="'age > 20' is violated by"):
        TableTransformer(Metadata.detect(frame, constraints=[Predicate("age > 20")])).fit(frame)


@pytest.mark.parametrize("constraints, message", [
    ([Range("age", 50, 40)], "allows no value"),
    ([Range("age", low=60), Range("priors", high=3), Inequality("age", "priors")], "contradict each other: no value of 'age'"),
    ([Inequality("age", "priors", strict=True), Inequality("priors", "age")], "cycle with a strict inequality"),
    ([Inequality("age", "degree")], "needs two numeric or two datetime columns"),
    ([Range("degree", low=1)], "needs a numeric or datetime column"),
    ([FixedCombinations(["degree", "age"])], "needs discrete columns"),
    ([Inequality("age", "nope")], "names column 'nope', which the frame lacks"),
])
def test_contradictory_or_misplaced_constraints_are_refused(constraints, message):
    frame = stays()
    with pytest.raises((ConfigError, ValueError), match=message):
        TableTransformer(Metadata.detect(frame, constraints=constraints)).fit(frame)


def test_an_inequality_becomes_a_gap_and_comes_back_in_the_graph():
    frame = stays()[["jail_in", "jail_out"]]
    table = TableTransformer(Metadata.detect(frame, constraints=[Inequality("jail_in", "jail_out")])).fit(frame)
    model = table.to_model(frame)
    gap = model["jail_out"].to_numpy()
    assert (gap >= 0).all() and gap.max() <= 10**6  # seconds of the stay, not a timestamp
    enc = ModeSpecificEncoder(table.model_types_).fit(model)
    codes = np.stack([pd.to_numeric(model[c]).to_numpy(np.float64) for c in enc.columns_], axis=1)
    restored = table.restore_tf(tf.constant(codes), enc.columns_).numpy()
    back = table.from_model(pd.DataFrame(restored, columns=enc.columns_).astype(model.dtypes.to_dict()), seed=0)
    assert back["jail_out"].equals(frame["jail_out"])


def test_graph_checks_reject_rows_that_break_a_combination_or_a_range():
    frame = stays()
    meta = Metadata.detect(frame, constraints=[FixedCombinations(["degree", "level"]), Range("priors", 0, 8)])
    table = TableTransformer(meta).fit(frame)
    enc = ModeSpecificEncoder(table.model_types_).fit(table.to_model(frame))
    col = enc.columns_.index
    # degree F / M (0, 1), level F1 / F2 / M1 (0, 1, 2): M with F2 never occurs; priors 9 is out of range
    codes = np.zeros((4, len(enc.columns_)))
    codes[:, col("degree")] = [0, 1, 1, 0]
    codes[:, col("level")] = [1, 2, 1, 0]
    codes[:, col("priors")] = [3, 3, 3, 9]
    assert table.checks_tf(tf.constant(codes), enc).numpy().tolist() == [True, True, False, False]
