"""The graph sampler with a stand-in network: conditions are met by rejection, never forced, and
conditioning categories follow the training frequencies."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import InvalidValueError, UnknownNameError
from tabular.data import consistency_table
from tabular.encoding import MinMaxOneHotEncoder
from tabular.synthesizers.sampler import GraphSampler


@pytest.fixture(scope="module")
def table():
    return consistency_table(4000, seed=0)


@pytest.fixture(scope="module")
def encoder(table):
    return MinMaxOneHotEncoder().fit(table)


def coupled_network(encoder):
    """Rows whose ``A`` is "c" about 1 % of the time, with ``B`` = "y" exactly when ``A`` = "c",
    ``retired`` = "yes" exactly when the scaled age is above 0.25 (ages 63 and up), and a city balance unlike the
    data's: Lima 50 %, Oslo 10 %, Perth 40 % (the data: 60 / 30 / 10)."""
    a, b = encoder.spans_of("A")["category"], encoder.spans_of("B")["category"]
    city = encoder.spans_of("city")["category"]
    age, retired = encoder.spans_of("age")["value"], encoder.spans_of("retired")["category"]
    width = encoder.output_width_

    def network(z, cond):
        n = tf.shape(z)[0]
        is_c = z[:, 0] > 2.326  # P = 1 %
        cols = [tf.zeros((n, 1))] * width
        logit = lambda on: tf.where(on, 50.0, -50.0)[:, None]  # noqa: E731
        cols[a.start + 2], cols[a.start] = logit(is_c), logit(~is_c)  # categories a, b, c (sorted)
        cols[b.start + 1], cols[b.start] = logit(is_c), logit(~is_c)  # x, y
        scaled = tf.tanh(z[:, 1:2])
        cols[age.start] = scaled
        old = scaled[:, 0] > 0.25
        cols[retired.start + 1], cols[retired.start] = logit(old), logit(~old)  # no, yes
        u = tf.math.erf(z[:, 2] / 2 ** 0.5) * 0.5 + 0.5  # uniform
        cols[city.start], cols[city.start + 1] = logit(u < 0.5), logit((u >= 0.5) & (u < 0.6))  # Lima, Oslo
        cols[city.start + 2] = logit(u >= 0.6)  # Perth
        return tf.concat(cols, axis=1)

    return network


def test_conditions_hold_and_rows_are_the_models_own(encoder):
    sampler = GraphSampler(encoder, coupled_network(encoder), latent_dim=3, activated=True)
    cond = sampler.conditions_from_dict({"A": "c"})
    codes, drawn, accepted = sampler.sample_codes(tf.constant(500, tf.int64), tf.constant(0, tf.int64), cond)
    rows = encoder.frame_from_codes(codes.numpy())
    assert len(rows) == 500 and (rows["A"] == "c").all()
    assert (rows["B"] == "y").all()  # forced rows would keep their own B = "x"
    rate = int(accepted) / int(drawn)
    assert 0.007 < rate < 0.013  # the network's 1 %: rounds sized from the rate, none forced
    ranged = encoder.frame_from_codes(sampler.sample_codes(
        tf.constant(400, tf.int64), tf.constant(1, tf.int64), sampler.conditions_from_dict({"age": (63, 89)}))[0].numpy())
    assert ranged["age"].between(63, 89).all() and (ranged["retired"] == "yes").all()


def test_several_allowed_categories_share_rows_by_training_frequency(encoder, table):
    """The model makes Oslo : Perth = 1 : 4, the data 3 : 1; the rows follow the data."""
    sampler = GraphSampler(encoder, coupled_network(encoder), latent_dim=3, activated=True)
    cond = sampler.conditions_from_dict({"city": ["Oslo", "Perth"]})
    codes, _, _ = sampler.sample_codes(tf.constant(4000, tf.int64), tf.constant(0, tf.int64), cond)
    rows = encoder.frame_from_codes(codes.numpy())
    assert len(rows) == 4000 and rows["city"].isin(["Oslo", "Perth"]).all()
    oslo, perth = (table["city"] == "Oslo").mean(), (table["city"] == "Perth").mean()
    assert (rows["city"] == "Oslo").mean() == pytest.approx(oslo / (oslo + perth), abs=0.02)
    plain = encoder.frame_from_codes(sampler.sample_codes(tf.constant(4000, tf.int64), tf.constant(1, tf.int64),
                                                          sampler.conditions_from_dict(None))[0].numpy())
    assert (plain["city"] == "Oslo").mean() == pytest.approx(0.1, abs=0.02)  # unconditioned: the model's own


def test_too_rare_conditions_return_fewer_rows(encoder):
    sampler = GraphSampler(encoder, coupled_network(encoder), latent_dim=3, activated=True, max_candidates=2000)
    cond = sampler.conditions_from_dict({"A": "c", "B": "x"})  # the network never makes this pair
    codes, drawn, accepted = sampler.sample_codes(tf.constant(5, tf.int64), tf.constant(0, tf.int64), cond)
    assert len(codes) == 0 and int(accepted) == 0 and int(drawn) == 2000


def test_conditioning_positions_follow_training_frequencies(encoder, table):
    """Several allowed categories are drawn with their training shares (0.30 / 0.10 -> 0.75 / 0.25)."""
    sampler = GraphSampler(encoder, coupled_network(encoder), latent_dim=3, position="any")
    cond = sampler.conditions_from_dict({"city": ["Oslo", "Perth"]})
    pos = sampler.positions(cond, 20000, tf.constant([0, 1], tf.int64)).numpy()
    names = np.asarray(sampler.condition_names)[pos]
    shares = pd.Series(names).value_counts(normalize=True)
    oslo, perth = (table["city"] == "Oslo").mean(), (table["city"] == "Perth").mean()
    assert set(shares.index) == {"city=Oslo", "city=Perth"}
    assert shares["city=Oslo"] == pytest.approx(oslo / (oslo + perth), abs=0.02)
    # the most restrictive conditioned column decides: A = "c" (0.6 %) over city
    both = sampler.conditions_from_dict({"city": ["Oslo", "Perth"], "A": "c"})
    assert set(np.asarray(sampler.condition_names)[sampler.positions(both, 100, tf.constant([0, 2], tf.int64))
                                                       .numpy()]) == {"A=c"}
    # unconditioned with position "any": columns uniformly, categories by frequency
    free = np.asarray(sampler.condition_names)[sampler.positions(sampler.conditions_from_dict(None), 60000,
                                                                 tf.constant([0, 3], tf.int64)).numpy()]
    assert np.mean([n.startswith("city=") for n in free]) == pytest.approx(1 / 4, abs=0.01)  # A, B, retired, city
    fixed = GraphSampler(encoder, coupled_network(encoder), latent_dim=3, position="city")
    drawn = np.asarray(fixed.condition_names)[fixed.positions(fixed.conditions_from_dict(None), 20000,
                                                              tf.constant([0, 4], tf.int64)).numpy()]
    assert pd.Series(drawn).value_counts(normalize=True)["city=Lima"] == pytest.approx(0.6, abs=0.02)


def test_bad_conditions(encoder):
    sampler = GraphSampler(encoder, coupled_network(encoder), latent_dim=3)
    with pytest.raises(UnknownNameError, match="cannot condition on column 'nope'"):
        sampler.conditions_from_dict({"nope": 1})
    with pytest.raises(InvalidValueError, match="'d' is not a category of 'A'"):
        sampler.conditions_from_dict({"A": "d"})
    with pytest.raises(InvalidValueError, match="lists no value"):
        sampler.conditions_from_dict({"A": []})
    with pytest.raises(InvalidValueError, match="must be a \\(low, high\\) range"):
        sampler.conditions_from_dict({"age": 30})
    with pytest.raises(InvalidValueError, match="empty or not numeric"):
        sampler.conditions_from_dict({"age": (40, 30)})
    with pytest.raises(InvalidValueError, match="outside the fitted range"):
        sampler.conditions_from_dict({"age": (200, 300)})
    with pytest.raises(InvalidValueError, match="had no missing value"):
        sampler.conditions_from_dict({"A": None})
    with pytest.raises(UnknownNameError, match="position must be"):
        GraphSampler(encoder, coupled_network(encoder), latent_dim=3, position="nope")
