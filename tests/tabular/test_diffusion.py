"""QuantileEncoder (round trips, spikes, exact levels, missing values, JSON state), TabularDiffusion
(training, the graph sampler, tf.distribute scaling, serialization) and the "diffusion" synthesizer
(conditions by inpainting, sampling settings, export)."""

import dataclasses
import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from genlab.errors import ConfigError, InputShapeError, InvalidValueError, NotFittedError, UnknownNameError
from tabular.encoding import QuantileEncoder, Span, encoder_from_state
from tabular.models.diffusion import SOLVERS, DiffusionMLP, TabularDiffusion
from tabular.synthesizers import DiffusionConfig, Synthesizer
from tabular.synthesizers import diffusion as diffusion_synthesizers
from tabular.synthesizers.diffusion import LARGE_TABLE_ROWS, DiffusionSampler, DiffusionSynthesizer

def mixed_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Every hard case: ties, a 90 % spike, decimals, missing numbers and categories, booleans,
    nullable integers, few-level integers with missing values, and wide columns (interpolated
    when max_support is small)."""
    rng = np.random.default_rng(seed)
    gain = np.where(rng.random(n) < 0.9, 0, rng.integers(1000, 20000, n))
    hours = rng.choice(np.r_[np.arange(10, 70, 2), [40] * 30], n)
    price = np.round(rng.lognormal(3, 1, n), 2)
    weight = rng.normal(70, 12, n)
    weight[rng.random(n) < 0.1] = np.nan
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), n).astype(object)
    colour[rng.random(n) < 0.05] = None
    visits = pd.array(rng.integers(0, 5, n), dtype="Int64")
    visits[rng.random(n) < 0.1] = pd.NA
    kids = rng.integers(0, 4, n).astype(float)
    kids[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"gain": gain, "hours": hours, "price": price, "weight": weight, "colour": colour,
                         "member": rng.random(n) < 0.3, "visits": visits, "kids": kids})


# ---------------------------------------------------------------------------------------- encoder
# (3, 50): every column with more than 3 values goes through 50 interpolation knots (plus spikes)
@pytest.mark.parametrize("max_support, n_quantiles", [(1000, 1000), (3, 50)])
def test_round_trip_is_exact_with_dtypes(max_support, n_quantiles):
    frame = mixed_frame()
    enc = QuantileEncoder(max_support=max_support, n_quantiles=n_quantiles).fit(frame)
    back = enc.inverse_transform(enc.transform(frame))
    # an integer column with missing values comes back as pandas' nullable Int64 (the Encoder contract)
    pd.testing.assert_frame_equal(back, frame.astype({"kids": "Int64"}), check_dtype=True)
    np.testing.assert_array_equal(back["gain"].to_numpy(), frame["gain"].to_numpy())  # exact, not close


def test_spans_layout_and_kinds():
    enc = QuantileEncoder().fit(mixed_frame())
    assert enc.kinds_ == {"gain": "integer", "hours": "integer", "price": "continuous", "weight": "continuous",
                          "colour": "categorical", "member": "boolean", "visits": "integer", "kids": "integer"}
    roles = [(s.column, s.role, s.start, s.dim, s.activation) for s in enc.spans_]
    # visits / kids: integers with <= max_levels levels are exact levels (a softmax 'mode' block)
    assert roles == [("gain", "value", 0, 1, "linear"), ("hours", "value", 1, 1, "linear"),
                     ("price", "value", 2, 1, "linear"), ("weight", "value", 3, 1, "linear"),
                     ("weight", "missing", 4, 2, "softmax"), ("colour", "category", 6, 4, "softmax"),
                     ("member", "category", 10, 2, "softmax"), ("visits", "mode", 12, 5, "softmax"),
                     ("visits", "missing", 17, 2, "softmax"), ("kids", "mode", 19, 4, "softmax"),
                     ("kids", "missing", 23, 2, "softmax")]
    assert enc.output_width_ == 25 and enc.spans_[0] == Span("gain", "value", 0, 1, "linear")
    assert [s.role for s in QuantileEncoder(max_levels=0).fit(mixed_frame()).spans_][-4:] == \
        ["value", "missing", "value", "missing"]


def test_spikes_and_ties_encode_to_a_standard_normal():
    # Without tie-breaking the 90 % spike at 0 would collapse onto one point (std far below 1).
    frame = pd.DataFrame({"gain": np.where(np.arange(5000) % 10 == 0, np.arange(5000), 0)})
    z = QuantileEncoder().fit(frame).transform(frame)[:, 0]
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05
    assert np.unique(z).size == z.size
    back = QuantileEncoder().fit(frame).inverse_transform(z[:, None])["gain"]
    np.testing.assert_array_equal(back.to_numpy(), frame["gain"].to_numpy())  # the spike decodes exactly


def test_decoding_stays_in_the_fitted_support_and_range():
    frame = mixed_frame()
    enc = QuantileEncoder().fit(frame)
    z = np.random.default_rng(1).normal(0, 3, (2000, enc.output_width_)).astype(np.float32)
    z[:2, 0] = [-50.0, 50.0]
    out = enc.inverse_transform(z)
    assert set(out["gain"]) <= set(frame["gain"]) and set(out["hours"]) <= set(frame["hours"])
    assert out["gain"].iloc[0] == 0 and out["gain"].iloc[1] == frame["gain"].max()
    assert set(out["kids"].dropna()) <= {0, 1, 2, 3} and out["kids"].isna().any()
    wide = QuantileEncoder(max_support=3, n_quantiles=50).fit(frame).inverse_transform(z)
    assert wide["price"].between(frame["price"].min(), frame["price"].max()).all()
    assert np.allclose(wide["price"], wide["price"].round(2))  # learned precision: 2 decimals
    assert len(set(wide["price"]) - set(frame["price"])) > 100  # interpolated between knots


def test_state_is_json_and_rebuilds_the_same_encoder():
    frame = mixed_frame()
    enc = QuantileEncoder(max_support=3, n_quantiles=50, seed=4).fit(frame)
    state = json.loads(json.dumps(enc.get_state()))
    assert state["encoder"] == "quantile" and state["params"]["n_quantiles"] == 50
    again = encoder_from_state(state)
    assert isinstance(again, QuantileEncoder) and again.max_support == 3
    np.testing.assert_array_equal(again.transform(frame), enc.transform(frame))
    z = np.random.default_rng(0).normal(size=(50, enc.output_width_))
    pd.testing.assert_frame_equal(again.inverse_transform(z), enc.inverse_transform(z))


def test_encoder_errors_name_the_column_and_leave_no_state():
    frame = mixed_frame()
    with pytest.raises(NotFittedError, match="call fit"):
        QuantileEncoder().transform(frame)
    bad = frame.assign(price=frame["price"].where(frame.index != 3, np.inf))
    enc = QuantileEncoder()
    with pytest.raises(InvalidValueError, match="'price' holds 1 infinite"):
        enc.fit(bad)
    assert not hasattr(enc, "state_")
    with pytest.raises(InvalidValueError, match="'price' is declared integer but holds fractional"):
        QuantileEncoder({"price": "integer"}).fit(frame)
    with pytest.raises(InputShapeError, match="names column 'nope'"):
        QuantileEncoder({"nope": "integer"}).fit(frame)
    with pytest.raises(ConfigError, match="max_support must be an int >= 2"):
        QuantileEncoder(max_support=1).fit(frame)
    enc = QuantileEncoder().fit(frame)
    with pytest.raises(InputShapeError, match=r"\['hours'\] seen by fit are missing"):
        enc.transform(frame.drop(columns="hours"))
    with pytest.raises(InvalidValueError, match="'colour' holds categories \\['pink'\\]"):
        enc.transform(frame.assign(colour="pink"))
    with pytest.raises(InvalidValueError, match="'hours' has missing values but had none"):
        enc.transform(frame.assign(hours=np.nan))
    with pytest.raises(InputShapeError, match=r"shape \(n, 25\)"):
        enc.inverse_transform(np.zeros((3, 14)))
    with pytest.raises(InvalidValueError, match="holds values \\[9.0\\] not seen by fit"):
        enc.transform(frame.assign(kids=9))


# ---------------------------------------------------------------------------------------- model
def toy(n: int = 512, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    level = np.where(group == "c", "high", rng.choice(["low", "high"], n))
    value = rng.normal(0, 1, n) + 3.0 * (group == "b")
    return pd.DataFrame({"group": group, "level": level, "value": np.round(value, 3)})


def encoded_toy(n=512):
    enc = QuantileEncoder().fit(toy(n))
    return enc, enc.transform(toy(n))


def small_model(enc, **kwargs):
    return TabularDiffusion(enc.spans_, enc.output_width_, **{"width": 32, "depth": 2, "steps": 8, **kwargs})


def test_call_denoises_in_the_encoded_layout():
    enc, x = encoded_toy()
    model = small_model(enc)
    masked = np.ones((len(x), 2), np.float32)  # two categorical blocks: group, level
    value = enc.spans_[-1].start
    out = model([x * (np.arange(x.shape[1]) == value), masked, np.full(len(x), 1e-3, np.float32)]).numpy()
    assert out.shape == x.shape
    for span in enc.spans_[:2]:  # category probabilities
        np.testing.assert_allclose(out[:, span.start:span.stop].sum(1), 1.0, rtol=1e-5)
    # near t = 0 the noise level is ~0.002: the preconditioning returns the given numbers
    np.testing.assert_allclose(out[:, value], x[:, value], atol=0.02)
    far = model([x, masked, np.full(len(x), 1.0, np.float32)]).numpy()[:, value]
    assert np.abs(far - x[:, value]).mean() > 0.3  # at t = 1 the input numbers carry ~no weight


@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_denoiser_layer_config_round_trip(activation):
    layer = DiffusionMLP(7, 5, width=16, depth=2, activation=activation, name="d")
    clone = DiffusionMLP.from_config(layer.get_config())
    assert (clone.input_dim, clone.output_dim, clone.width, clone.depth, clone.activation) == (7, 5, 16, 2, activation)
    clone.set_weights(layer.get_weights())
    x, t = np.random.default_rng(0).normal(size=(4, 7)).astype(np.float32), np.zeros((1, 32), np.float32)
    np.testing.assert_allclose(clone(x, t).numpy(), layer(x, t).numpy(), rtol=1e-6)
    # the sampler's fused pass computes the same function; in bfloat16 up to its rounding
    np.testing.assert_allclose(layer.call_inference(x, t).numpy(), layer(x, t).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.call_inference(x, t, "bfloat16").numpy(), layer(x, t).numpy(), atol=0.05)
    other = DiffusionMLP(7, 5, width=16, depth=2, activation="silu" if activation == "relu" else "relu")
    other.set_weights(layer.get_weights())
    assert np.abs(other(x, t).numpy() - layer(x, t).numpy()).max() > 1e-3  # the activation is used


def test_denoiser_saved_before_the_activation_option_loads_with_silu():
    # Saves made before the option hold SiLU weights and no "activation" field: they load with the
    # constructors' default, which must stay SiLU (a changed default would make them sample
    # silently wrong rows; such a change needs a fallback for those saves).
    config = DiffusionMLP(7, 5, width=16, depth=1, activation="silu").get_config()
    del config["activation"]
    assert DiffusionMLP.from_config(config).activation == "silu"
    spans = [[0, 1, "linear"], [1, 2, "softmax"]]
    config = TabularDiffusion(spans, 3, width=8, depth=1, activation="silu").get_config()
    del config["activation"]
    assert TabularDiffusion.from_config(config).activation == "silu"
    fields = dataclasses.asdict(DiffusionConfig(activation="relu"))
    assert DiffusionConfig(**fields).activation == "relu"
    del fields["activation"]
    assert DiffusionConfig(**fields).activation == "silu"  # what Synthesizer.load builds from the state
    with pytest.raises(ConfigError, match="activation"):
        DiffusionMLP(7, 5, activation="gelu")


def test_training_lowers_the_loss():
    enc, x = encoded_toy()
    keras.utils.set_random_seed(0)
    model = small_model(enc)
    model.compile(keras.optimizers.Adam(3e-3))
    noise = np.asarray(model.draw_noise(len(x)))  # fixed draws: the loss compares like with like
    before = [float(v) for v in model.diffusion_losses(x, noise)]
    model.fit(x, epochs=60, batch_size=128, verbose=0)
    after = [float(v) for v in model.diffusion_losses(x, noise)]
    # The numeric loss is mostly irreducible (high noise levels); both must fall.
    assert after[0] < 0.95 * before[0] and after[1] < 0.9 * before[1], (before, after)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sampler_is_deterministic_and_honours_steps(solver):
    enc, _ = encoded_toy()
    model = small_model(enc, solver=solver)
    a = model.sample(300, seed=3, steps=4)
    np.testing.assert_array_equal(a, model.sample(300, seed=3, steps=4))
    assert not np.array_equal(a, model.sample(300, seed=4, steps=4))
    assert not np.allclose(a, model.sample(300, seed=3, steps=5))
    assert np.isfinite(a).all()
    assert a.shape == (300, enc.output_width_) and a.dtype == np.float32
    for span in enc.spans_:  # every categorical block is exactly one-hot
        if span.activation == "softmax":
            np.testing.assert_array_equal(a[:, span.start:span.stop].sum(1), 1.0)
    # batching does not change the rows' distribution code path: chunks of 100 are seeded per chunk
    assert model.sample(250, seed=3, steps=4, batch_size=100).shape == (250, enc.output_width_)


def test_solvers_agree_on_one_step_and_differ_on_more():
    # One step jumps from sigma_max to the denoised rows whatever the solver; later steps differ.
    enc, _ = encoded_toy()
    model = small_model(enc)
    one = {solver: model.sample(100, seed=0, steps=1, solver=solver) for solver in SOLVERS}
    three = {solver: model.sample(100, seed=0, steps=3, solver=solver) for solver in SOLVERS}
    for solver in SOLVERS[1:]:
        np.testing.assert_allclose(one[solver], one["euler"], atol=1e-4)  # float32 cancellation at sigma 80
        assert not np.allclose(three[solver], three["euler"], atol=1e-3), solver


def test_config_turns_updates_into_epochs_and_checks_fields():
    config = DiffusionConfig(updates=1000, batch_size=256)
    assert config.epochs_for(25600) == 10 and config.batch_for(25600) == 256
    # a small table: batches of an eighth of it, and at most 3 updates per row (the memorisation guard)
    assert config.batch_for(800) == 100 and config.updates_for(800) == 1000 and config.epochs_for(800) == 125
    assert config.batch_for(100) == 12 and config.updates_for(100) == 300
    assert config.epochs_for(100) == 38  # whole batches only: 100 rows make 8 batches of 12
    default = DiffusionConfig()  # Adult's 26,048 rows: the epoch cap, 958 epochs; 800 rows: 2,400 updates
    assert (default.batch_for(26048), default.updates_for(26048), default.epochs_for(26048)) == (1024, 23949, 958)
    assert (default.batch_for(800), default.updates_for(800), default.epochs_for(800)) == (100, 2400, 300)
    # mid-size tables: at most max_epochs_for epochs (300 at 800 rows, times the cube root of rows / 800);
    # 12,000 updates (1,500 epochs) in batches of 500 memorised 4,000 rows of Adult
    assert (default.batch_for(4000), default.updates_for(4000), default.epochs_for(4000)) == (500, 4103, 513)
    assert default.updates_for(12000) == 8138 and default.epochs_for(12000) == 740  # 11 batches per epoch
    assert default.updates_for(16000) == 12214  # the patients table: 815 epochs instead of 1,000
    assert DiffusionConfig(max_epochs=100).updates_for(4000) == 1367
    # the width follows the table unless set: 128 from LARGE_TABLE_ROWS rows, 256 below
    assert default.width is None and (default.width_for(26048), default.width_for(800)) == (128, 256)
    assert (default.width_for(LARGE_TABLE_ROWS), default.width_for(LARGE_TABLE_ROWS - 1)) == (128, 256)
    assert DiffusionConfig(width=64).width_for(800) == 64 == DiffusionConfig(width=64).width_for(26048)
    with pytest.raises(ConfigError, match="DiffusionConfig.width must be an int >= 1"):
        DiffusionConfig(width=0)
    with pytest.raises(ConfigError, match="updates_per_row must be a number > 0"):
        DiffusionConfig(updates_per_row=0)
    with pytest.raises(ConfigError, match="max_epochs must be a number > 0"):
        DiffusionConfig(max_epochs=0)
    with pytest.raises(UnknownNameError, match="unknown DiffusionConfig.solver 'rk4'"):
        DiffusionConfig(solver="rk4")
    with pytest.raises(ConfigError, match="ema_momentum must be in \\[0, 1\\)"):
        DiffusionConfig(ema_momentum=1.0)
    with pytest.raises(ConfigError, match="sigma_max must be a number > 0.002"):
        DiffusionConfig(sigma_max=0.001)
    with pytest.raises(ConfigError, match="DiffusionConfig.updates must be an int >= 1"):
        DiffusionConfig(updates=0)
    # the learning rate: cosine-decayed from 2e-3 on large tables; small ones keep the constant 1e-3 of their guards
    assert (default.schedule_for(LARGE_TABLE_ROWS), default.learning_rate_for(LARGE_TABLE_ROWS)) == ("cosine", 2e-3)
    assert (default.schedule_for(LARGE_TABLE_ROWS - 1), default.learning_rate_for(800)) == ("constant", 1e-3)
    assert DiffusionConfig(lr_schedule="constant").schedule_for(26048) == "constant"
    assert DiffusionConfig(lr_schedule="cosine", learning_rate=5e-4).learning_rate_for(800) == 5e-4
    with pytest.raises(UnknownNameError, match="unknown DiffusionConfig.lr_schedule 'linear'"):
        DiffusionConfig(lr_schedule="linear")
    with pytest.raises(ConfigError, match="learning_rate must be a number > 0"):
        DiffusionConfig(learning_rate=0.0)


@pytest.mark.parametrize("steps", [6, 10, 4])
def test_reveal_plan_spreads_a_rows_columns_and_keeps_each_uniform(steps):
    # Six categorical columns. A row's columns come due in different steps (at most ceil(6 / steps)
    # per step): independent reveal steps made several columns due at once, drawn independently
    # of each other. Each column's reveal step stays uniform over the steps (MDLM's marginal): a
    # fixed order of the columns would break that.
    spans = [[0, 1, "linear"]] + [[1 + 2 * j, 2, "softmax"] for j in range(6)]
    model = TabularDiffusion(spans, 13, width=8, depth=0)
    n = 20000
    at, round_of, rounds, gumbel = model._reveal_plan(n, steps, tf.constant([0, 1]))
    at, round_of = at.numpy().astype(int), round_of.numpy().astype(int)
    assert at.shape == (n, 6) and gumbel.shape == (n, 12) and at.min() == 0 and at.max() == steps - 1
    per_step = np.stack([np.bincount(row, minlength=steps) for row in at])  # (n, steps) columns due
    assert per_step.max() == -(-6 // steps) and per_step.min() >= 6 // steps
    # the columns of a row due in one step are revealed in different rounds (one per row per round)
    assert int(rounds) == -(-6 // steps) and round_of.min() == 0 and round_of.max() == int(rounds) - 1
    keys = at * int(rounds) + round_of  # (step, round) of each column: distinct within a row
    assert all(len(set(row)) == 6 for row in keys[:2000])
    for j in range(6):
        share = np.bincount(at[:, j], minlength=steps) / n
        assert np.abs(share - 1.0 / steps).max() < 0.015, (j, share)


def test_unmask_draws_the_argmax_within_the_revealed_columns_block():
    # _unmask takes one argmax over the whole output row restricted to the slots of the column due
    # at this position; it must equal argmax(logits + gumbel) within that column's block, never
    # pick a number's column, leave the other columns and rows with nothing due alone, and never
    # reveal a column whose position is 0 (clamped).
    spans = [[0, 1, "linear"], [1, 3, "softmax"], [4, 2, "softmax"], [6, 5, "softmax"]]
    model = TabularDiffusion(spans, 11, width=8, depth=0)
    rng = np.random.default_rng(0)
    n, blocks, now = 500, [(0, 3), (3, 2), (5, 5)], 4.0
    noisy = rng.normal(size=(n, 11)).astype(np.float32)  # [number | 10 logits + gumbel]
    noisy[:, 0] = 1e6  # a number's column must never win
    column_due = rng.choice([0.0, 2.0, 3.0, 5.0], size=(n, 3)).astype(np.float32)  # 0: clamped
    column = rng.integers(-1, 3, n)  # the column due now per row, -1: none
    column_due[column >= 0, column[column >= 0]] = now
    clamped = rng.uniform(size=n) < 0.2  # rows whose due column is clamped instead
    column_due[clamped & (column >= 0), column[clamped & (column >= 0)]] = 0.0
    slot_due = np.concatenate([np.zeros((n, 1), np.float32), column_due[:, [0, 0, 0, 1, 1, 2, 2, 2, 2, 2]]], 1)
    masked = (column_due > 0).astype(np.float32)
    slots = np.zeros((n, 10), np.float32)
    out_slots, out_masked = [np.asarray(v) for v in model._unmask(
        *map(tf.constant, (noisy, slots, masked, slot_due, column_due)), tf.constant(now))]
    expected, revealed = np.zeros((n, 10), np.float32), np.zeros((n, 3), np.float32)
    for r in range(n):
        j = column[r]
        if j >= 0 and not clamped[r]:
            o, k = blocks[j]
            expected[r, o + np.argmax(noisy[r, 1 + o:1 + o + k])] = 1.0
            revealed[r, j] = 1.0
    assert expected.sum() > 200
    np.testing.assert_array_equal(out_slots, expected)
    np.testing.assert_array_equal(out_masked, masked - revealed)


def test_several_columns_due_in_one_step_are_all_revealed():
    # With fewer steps than categorical columns, a row reveals several columns in one step (in
    # rounds); every block must end exactly one-hot, and a clamped column keep its category.
    enc, _ = encoded_toy()
    model = small_model(enc)
    assert model.layout.n_disc >= 2
    start = model.layout.discrete[0][0]
    for conditions in (None, {start: 1}):
        rows = model.sample(200, seed=1, steps=1, conditions=conditions)
        for span in enc.spans_:
            if span.activation == "softmax":
                np.testing.assert_array_equal(rows[:, span.start:span.stop].sum(1), 1.0)
    assert (rows[:, start + 1] == 1.0).all()


def test_steps_run_in_one_graph_loop():
    enc, _ = encoded_toy()
    model = small_model(enc)
    fn = model.sample_graph()
    graph = fn.get_concrete_function().graph
    assert any(op.type in ("While", "StatelessWhile") for op in graph.get_operations())
    cond = tf.constant(model.condition_matrix(10))
    out = fn(cond, tf.constant([1, 2]), tf.constant(3))
    np.testing.assert_array_equal(out.numpy(), fn(cond, tf.constant([1, 2]), tf.constant(3)).numpy())


def test_conditions_are_clamped_and_checked():
    enc, _ = encoded_toy()
    model = small_model(enc)
    start = enc.spans_of("group")["category"].start  # categories a, b, c
    rows = enc.inverse_transform(model.sample(200, seed=0, conditions={start: 2}))
    assert (rows["group"] == "c").all()
    per_row = np.arange(200) % 3
    rows = enc.inverse_transform(model.sample(200, seed=0, conditions={start: per_row}))
    np.testing.assert_array_equal(rows["group"].to_numpy(), np.array(["a", "b", "c"])[per_row])
    with pytest.raises(InputShapeError, match="not the start of a categorical block"):
        model.sample(5, conditions={5: 0})
    with pytest.raises(InvalidValueError, match=r"indices in \[0, 3\)"):
        model.sample(5, conditions={start: 3})


def tiny_synth(**overrides):
    config = DiffusionConfig(updates=480, batch_size=128, width=64, depth=2, steps=10, learning_rate=3e-3,
                             ema_momentum=0.0)
    return Synthesizer("diffusion", config, seed=1, **overrides)


@pytest.fixture(scope="module")
def trained():
    return tiny_synth().fit(toy(1024))


def test_conditional_rows_follow_the_learned_dependency(trained):
    # 'c' always goes with 'high'; unconditional 'high' is ~60 %. Inpainting must carry the link.
    rows = trained.sample(500, conditions={"group": "c"}, seed=1)
    assert (rows["group"] == "c").all() and (rows["level"] == "high").mean() >= 0.95
    assert trained.last_acceptance_rate_ == 1.0  # a clamped category is met by the model, not by rejection
    rows = trained.sample(500, conditions={"group": "b"}, seed=1)
    assert rows["value"].mean() > 2.0  # the numbers follow the clamped category too (b: mean 3)
    free = trained.sample(2000, seed=1)
    assert 0.5 < (free["level"] == "high").mean() < 0.8 and free["group"].nunique() == 3


def test_only_single_category_conditions_are_clamped(trained):
    sampler = trained.graph_sampler()
    assert isinstance(sampler, DiffusionSampler) and sampler.latent_dim == 1  # one number: 'value'
    cond = sampler.conditions_from_dict({"group": "b", "level": ["low", "high"]})
    np.testing.assert_array_equal(sampler.clamp(cond, 3).numpy(), [[1, -1]] * 3)  # group: b; level free
    cond = sampler.conditions_from_dict({"level": "low", "value": (0.0, 1.0)})
    np.testing.assert_array_equal(sampler.clamp(cond, 2).numpy(), [[-1, 1]] * 2)
    rows = trained.sample(100, conditions={"level": "low", "value": (0.0, 1.0)}, seed=2)
    assert (rows["level"] == "low").all() and rows["value"].between(0.0, 1.0).all()
    assert trained.last_acceptance_rate_ < 1.0  # the range is met by rejection


@pytest.mark.parametrize("large_from, width", [(1000, 256), (50, 128)])
def test_fit_builds_the_width_of_the_tables_rows(monkeypatch, large_from, width):
    # Catches fit building the denoiser from the config's None (or a fixed width) instead of
    # DiffusionConfig.width_for the rows it fits.
    monkeypatch.setattr(diffusion_synthesizers, "LARGE_TABLE_ROWS", large_from)
    synth = Synthesizer("diffusion", DiffusionConfig(updates=2, depth=1, steps=2), seed=0).fit(toy(64))
    assert synth.model_.width == width and synth.model_.denoiser.project.kernel.shape[1] == width


@pytest.mark.parametrize("epochs", [None, 3])
def test_cosine_schedule_decays_over_the_fits_updates(epochs, tmp_path):
    # Catches the schedule left at its placeholder length (the rate 0 after one update) or spanning
    # the config's updates instead of the epochs fit was given, a constant rate under "cosine", and
    # a schedule that the saved model cannot be loaded with.
    config = DiffusionConfig(updates=40, width=8, depth=1, steps=2, lr_schedule="cosine", learning_rate=0.01)
    synth = Synthesizer("diffusion", config, seed=0).fit(toy(64), epochs=epochs)  # 8 batches of 8 per epoch
    synth.save(tmp_path / "synth")
    pd.testing.assert_frame_equal(Synthesizer.load(tmp_path / "synth").sample(50, seed=1), synth.sample(50, seed=1))
    updates = 8 * (5 if epochs is None else epochs)
    optimizer = synth.model_.optimizer
    assert int(optimizer.iterations.numpy()) == updates
    schedule = optimizer._learning_rate  # the schedule object (optimizer.learning_rate is its current value)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(updates // 2)) == pytest.approx(0.005, rel=1e-5)  # half way down the cosine
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)  # the fit ended at rate 0
    constant = Synthesizer("diffusion", DiffusionConfig(updates=8, width=8, depth=1, steps=2), seed=0).fit(toy(64))
    assert float(constant.model_.optimizer.learning_rate) == pytest.approx(1e-3)  # 64 rows: constant


def test_fit_caps_the_updates_of_a_small_table():
    # 64 rows in batches of 8: 400 updates would be 50 epochs; 0.5 updates per row caps them at 32 (4 epochs).
    synth = Synthesizer("diffusion", DiffusionConfig(updates=400, updates_per_row=0.5, width=16, depth=1, steps=2),
                        seed=0).fit(toy(64))
    assert len(synth.history_["loss"]) == 4


def test_steps_and_solver_are_sampling_arguments(trained, tmp_path):
    default = trained.sample(200, seed=3)
    pd.testing.assert_frame_equal(trained.sample(200, seed=3, steps=10, solver="dpmpp2m"), default)
    fewer = trained.sample(200, seed=3, steps=4)
    assert not fewer.equals(default) and len(fewer) == 200
    assert not trained.sample(200, seed=3, solver="euler").equals(default)
    pd.testing.assert_frame_equal(trained.sample(200, seed=3), default)  # back to the config's setting
    path = trained.export(tmp_path / "export")  # the export samples with the config's setting
    assert "match the Python synthesizer" in trained.check_export(path, n=200, seed=3)
    # an export with 4 steps samples what sample(steps=4) samples (and not the default's rows)
    loaded = tf.saved_model.load(str(trained.export(tmp_path / "export4", steps=4)))
    value = loaded.sample(n=tf.constant(200, tf.int64), seed=tf.constant(3, tf.int64))["value"].numpy()
    np.testing.assert_array_equal(value, fewer["value"].to_numpy(dtype=float))
    pd.testing.assert_frame_equal(trained.sample(200, seed=3), default)  # the config's setting again
    with pytest.raises(ConfigError, match="steps must be an int >= 1"):
        trained.sample(10, steps=0)
    with pytest.raises(UnknownNameError, match="unknown solver 'rk4'"):
        trained.sample(10, solver="rk4")


def test_precision_is_a_sampling_argument(trained, tmp_path, monkeypatch):
    import tabular.models.diffusion as diffusion_module

    f32 = trained.sample(400, seed=3, precision="float32")
    b16 = trained.sample(400, seed=3, precision="bfloat16")
    assert not f32["value"].equals(b16["value"])  # the products are rounded: other numbers...
    assert abs(f32["value"].mean() - b16["value"].mean()) < 0.3  # ...from the same model
    assert (f32["group"] == b16["group"]).mean() > 0.8
    # "auto", the default: bfloat16 where the CPU has bfloat16 units, float32 elsewhere
    for units, expected in ((False, f32), (True, b16)):
        monkeypatch.setattr(diffusion_module, "bfloat16_units", lambda units=units: units)
        pd.testing.assert_frame_equal(trained.sample(400, seed=3, precision="auto"), expected)
        pd.testing.assert_frame_equal(trained.sample(400, seed=3), expected)
    # an export keeps its precision: a bfloat16 export samples the bfloat16 rows
    loaded = tf.saved_model.load(str(trained.export(tmp_path / "b16", precision="bfloat16")))
    value = loaded.sample(n=tf.constant(400, tf.int64), seed=tf.constant(3, tf.int64))["value"].numpy()
    np.testing.assert_array_equal(value, b16["value"].to_numpy(dtype=float))
    with pytest.raises(UnknownNameError, match="unknown precision 'float16'"):
        trained.sample(10, precision="float16")
    with pytest.raises(UnknownNameError, match="unknown DiffusionConfig.precision 'float16'"):
        DiffusionConfig(precision="float16")


def test_distributed_step_matches_single_device(two_cpu_strategy):
    enc, x = encoded_toy(64)
    x = x[:16]
    probe = small_model(enc)
    noise = np.asarray(probe.draw_noise(16))  # the same draws per row on both setups
    keras.utils.set_random_seed(0)
    single = small_model(enc)
    weights = single.get_weights()
    # SGD, not Adam: Adam's first step is invariant to the loss scale and would hide an error.
    single.compile(keras.optimizers.SGD(0.1))
    with two_cpu_strategy.scope():
        dist = small_model(enc)
        dist.set_weights(weights)
        dist.compile(keras.optimizers.SGD(0.1))
    h_single = single.fit(x, noise, epochs=1, batch_size=16, shuffle=False, verbose=0)
    h_dist = dist.fit(x, noise, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert dist.distribute_strategy.num_replicas_in_sync == 2
    moved = 0
    for a, b, w0 in zip(single.get_weights(), dist.get_weights(), weights):
        np.testing.assert_allclose(b, a, atol=2e-5, rtol=1e-4)
        moved += not np.allclose(a, w0)
    assert moved >= 8
    np.testing.assert_allclose(h_dist.history["loss"], h_single.history["loss"], rtol=1e-4)


def test_config_and_keras_file_round_trip(tmp_path):
    enc, x = encoded_toy()
    other = "silu" if TabularDiffusion(enc.layout(), enc.output_width_).activation == "relu" else "relu"
    model = small_model(enc, cat_weight=0.5, seed=7, activation=other)  # not the default: it must be saved
    model.compile()
    model.fit(x, epochs=1, batch_size=256, verbose=0)
    clone = TabularDiffusion.from_config(json.loads(json.dumps(model.get_config())))
    assert (clone.width, clone.depth, clone.cat_weight, clone.seed, clone.steps, clone.activation) == \
        (32, 2, 0.5, 7, 8, other)
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, TabularDiffusion)
    np.testing.assert_array_equal(loaded.sample(50, seed=1), model.sample(50, seed=1))
    loaded.fit(x, epochs=1, batch_size=256, verbose=0)  # the optimizer came back compiled


def test_model_rejects_bad_arguments():
    enc, _ = encoded_toy()
    with pytest.raises(ConfigError, match="spans must cover"):
        TabularDiffusion(enc.spans_[:-1], enc.output_width_)
    with pytest.raises(ConfigError, match="steps must be an int >= 1"):
        small_model(enc).sample(3, steps=0)
    with pytest.raises(ConfigError, match="n must be an int >= 1"):
        small_model(enc).sample(0)
