"""Property-based tests: random frames and arrays thrown at every public entry point.

Each property: the entry point either raises a ``genlab.errors`` type, or returns output of the
right schema (columns, dtypes), finite where the input was, inside what was fitted (ranges,
categories); identifiers are never copied. Inputs a careful user would call clean (string names,
finite numbers, an observed value in every column...) must not be refused, so a door that refuses
everything fails too.

The default run draws few examples (a fixed seed); ``GENLAB_HYPOTHESIS_EXAMPLES=2000`` draws that
many per entry point, with fresh randomness (``GENLAB_HYPOTHESIS_FIT_EXAMPLES`` for the synthesizer
fits, which train a model per example).
"""

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genlab.checks import check_features, check_labels
from genlab.errors import GenlabError
from tabular import evaluate
from tabular.encoding import MinMaxOneHotEncoder, ModeSpecificEncoder, QuantileEncoder
from tabular.synthesizers import Synthesizer, TVAEConfig

EXAMPLES = int(os.environ.get("GENLAB_HYPOTHESIS_EXAMPLES", "0"))
FIT_EXAMPLES = int(os.environ.get("GENLAB_HYPOTHESIS_FIT_EXAMPLES", "0")) or EXAMPLES


def _settings(default: int, many: int) -> settings:
    return settings(max_examples=many or default, deadline=None, derandomize=not many, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


CHEAP = _settings(40, EXAMPLES)
MEDIUM = _settings(10, EXAMPLES)
FITS = _settings(3, FIT_EXAMPLES)

# ---------------------------------------------------------------------------------------------- arrays
FLOATS = st.one_of(st.floats(-10, 10), st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e-300, 1e30]))


@CHEAP
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5), elements=FLOATS),
       features=st.sampled_from([(3,), (2, 2)]))
def test_check_features(x, features):
    try:
        out = check_features(x, features)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        assert x.shape[1:] != features or x.shape[0] == 0 or not np.isfinite(x.astype(np.float32)).all()
        return
    assert out.dtype == np.float32 and out.shape == (len(x), *features) and np.isfinite(out).all()
    np.testing.assert_array_equal(out, x.astype(np.float32))


LABELS = st.one_of(
    hnp.arrays(np.int64, st.integers(0, 6), elements=st.integers(-2, 4)),
    hnp.arrays(np.float64, st.tuples(st.integers(0, 6), st.integers(1, 3)), elements=st.sampled_from(
        [0.0, 1.0, 0.5, np.nan, 2.0])),
    hnp.arrays(np.float64, st.integers(0, 6), elements=st.sampled_from([0.0, 1.0, 2.5, np.nan, -1.0])))


@CHEAP
@given(y=LABELS, n_classes=st.integers(2, 3), n_rows=st.integers(0, 6))
@example(y=np.array([[0.3, 0.7], [1.0, 0.0]]), n_classes=2, n_rows=2)  # soft labels were argmax-ed
@example(y=np.array([[np.nan, np.nan], [1.0, 0.0]]), n_classes=2, n_rows=2)
def test_check_labels(y, n_classes, n_rows):
    try:
        out = check_labels(y, n_classes, n_rows)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    assert out.dtype == np.int64 and out.shape == (n_rows,) and ((out >= 0) & (out < n_classes)).all()
    if y.ndim == 2 and y.shape[1] == n_classes:  # one-hot rows: exactly one 1 among 0s
        assert ((y == 0) | (y == 1)).all() and (y.sum(axis=1) == 1).all()
        np.testing.assert_array_equal(out, y.argmax(axis=1))
    else:
        np.testing.assert_array_equal(out, y.reshape(-1))


# ---------------------------------------------------------------------------------------------- VAEC
@pytest.fixture(scope="module")
def vaec():
    from vaec import VAEC, VAECConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    model = VAEC(VAECConfig(input_shape=(3,), n_classes=2, latent_dim=2, encoder_layers=(8,), decoder_layers=(8,),
                            head_layers=(8,)))
    model.fit_all_parts(x, (x[:, 0] > 0).astype("int64"), epochs=1, verbose=0)
    return model


@CHEAP
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.sampled_from([2, 3])), elements=FLOATS),
       y=LABELS, epochs=st.sampled_from([1, 0, -1, 2.5, True]), batch_size=st.sampled_from([8, 0, -3, None]))
def test_vaec_fit_door(vaec, x, y, epochs, batch_size):
    """What reaches Keras' ``fit``: finite float32 rows of the model's width and integer labels in range."""
    seen = {}
    vaec.fit = lambda *args, **kw: seen.update(args=args, **kw)  # the door only: no training
    try:
        vaec.fit_all_parts(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    finally:
        del vaec.fit
    event("accepted")
    fx, fy = seen["args"]
    assert fx.dtype == np.float32 and fx.shape == (len(x), 3) and np.isfinite(fx).all()
    assert fy.shape == (len(x),) and set(fy.tolist()) <= {0, 1}
    assert isinstance(seen["epochs"], int) and seen["epochs"] >= 1 and seen["batch_size"] >= 1


@MEDIUM
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(0, 6), st.sampled_from([2, 3])), elements=FLOATS))
def test_vaec_predict(vaec, x):
    try:
        p = vaec.predict(x, verbose=0)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        assert x.shape[1] != 3 or len(x) == 0 or not np.isfinite(x.astype(np.float32)).all()
        return
    assert p.shape == (len(x), 2) and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def estimator():
    from vaec import VAECClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    return VAECClassifier(epochs=2, latent_dim=2, encoder_layers=(8,), head_layers=(8,), random_state=0).fit(
        x, np.where(x[:, 0] > 0, "a", "b"))


@MEDIUM
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.sampled_from([2, 3])), elements=FLOATS))
@example(x=np.full((1, 3), 1e300))  # finite, but infinite in float32: NaN probabilities
def test_vaec_classifier_predict_proba(estimator, x):
    try:
        p = estimator.predict_proba(x)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        with np.errstate(all="ignore"):
            assert x.shape[1] != 3 or not np.isfinite(((x - estimator.mean_) / estimator.scale_).astype("float32")).all()
        return
    assert p.shape == (len(x), 2) and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)


# ---------------------------------------------------------------------------------------------- frames
MAGNITUDES = [1e-300, 1e-12, 1.0, 1e6, 1e18, 1e300]


def _floats(n):
    scale = st.sampled_from(MAGNITUDES)
    value = st.one_of(st.floats(-10, 10, allow_subnormal=False), st.just(np.nan))
    return st.tuples(scale, st.lists(value, min_size=n, max_size=n)).map(lambda p: np.asarray(p[1]) * p[0])


def _column(n, datetimes=True):
    """A column of one of the dtypes users hand in, with missing values, extremes and ids."""
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4)
    nullable = lambda s: st.lists(st.one_of(s, st.none()), min_size=n, max_size=n)  # noqa: E731
    return st.one_of(
        _floats(n),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n).map(np.asarray),
        st.tuples(st.sampled_from([0, 2**31, 2**53, 2**62]), st.lists(st.integers(-1000, 1000), min_size=n,
                                                                       max_size=n))
        .map(lambda p: np.asarray(p[1], np.int64) + p[0]),
        nullable(st.integers(-5, 5)).map(lambda v: pd.array(v, dtype="Int64")),
        nullable(st.booleans()).map(lambda v: pd.array(v, dtype="boolean")),
        st.lists(st.booleans(), min_size=n, max_size=n).map(np.asarray),
        nullable(st.sampled_from(["a", "b", "", "ü"])).map(lambda v: pd.array(v, dtype="string")),
        nullable(st.one_of(st.sampled_from(["x", "y", ""]), text)).map(lambda v: np.asarray(v, dtype=object)),
        nullable(st.sampled_from(["lo", "hi"])).map(lambda v: pd.Categorical(v)),
        *([nullable(st.integers(0, 3000)).map(lambda v: pd.to_datetime("2020-01-01") + pd.to_timedelta(
            pd.array(v, dtype="Int64"), unit="D"))] if datetimes else []),
        st.permutations(range(n)).map(lambda p: np.asarray([f"key{i:04d}" for i in p], dtype=object)),  # ids
    )


NAMES = st.one_of(*[st.text(min_size=1, max_size=6)] * 3, st.integers(-2, 2))  # mostly strings: frames that pass


@st.composite
def frames(draw, min_rows=2, max_rows=30, datetimes=True):
    n = draw(st.integers(min_rows, max_rows))
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=lambda v: (type(v), v)))
    return pd.DataFrame({name: draw(_column(n, datetimes)) for name in names})


def _clean(frame: pd.DataFrame) -> bool:
    """What no entry point may refuse: string names unique as strings, finite numbers whose range
    float64 holds, an observed value in every column, integers float64 resolves."""
    names = [str(c) for c in frame.columns]
    if not all(isinstance(c, str) for c in frame.columns) or len(set(names)) < len(names):
        return False
    for col in frame.columns:
        s = frame[col]
        if s.isna().all():
            return False
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            v = s.dropna().to_numpy(np.float64)
            with np.errstate(over="ignore"):
                if not np.isfinite(v).all() or not np.isfinite(v.max() - v.min()) or np.abs(v).max() >= 2.0**53:
                    return False
    return True


def _check_rows(rows: pd.DataFrame, frame: pd.DataFrame, columns, exact_missing: bool):
    """``rows`` decoded from a model fitted on ``frame``: schema, dtypes, ranges, categories, missing values."""
    assert list(rows.columns) == list(columns)
    for col in columns:
        got, seen = rows[col], frame[col]
        if not exact_missing and not seen.isna().any():
            assert got.notna().all(), col  # finite / present where every input value was
        if exact_missing:
            np.testing.assert_array_equal(got.isna().to_numpy(), seen.isna().to_numpy(), err_msg=str(col))
        observed = got.dropna()
        if pd.api.types.is_datetime64_any_dtype(seen.dtype) or (
                pd.api.types.is_numeric_dtype(seen.dtype) and not pd.api.types.is_bool_dtype(seen.dtype)):
            if pd.api.types.is_integer_dtype(seen.dtype):  # exact integer comparison
                assert pd.api.types.is_integer_dtype(got.dtype), (col, got.dtype)
                lo, hi = int(seen.min()), int(seen.max())
                assert all(lo <= int(v) <= hi for v in observed), col
            else:
                assert (observed >= seen.min()).all() and (observed <= seen.max()).all(), col
        else:
            assert set(observed.astype(str)) <= set(seen.dropna().astype(str)), col
        if pd.api.types.is_datetime64_any_dtype(seen.dtype) or pd.api.types.is_bool_dtype(seen.dtype):
            assert got.dtype == seen.dtype or (seen.dtype == bool and str(got.dtype) == "boolean"), (col, got.dtype)


ENCODERS = [MinMaxOneHotEncoder, ModeSpecificEncoder, QuantileEncoder]


@MEDIUM
@given(frame=frames(datetimes=False), cls=st.sampled_from(ENCODERS))
@example(frame=pd.DataFrame({"v": [1e300, 1.0, 2.0, 3.0], "t": [1e-12, 2e-12, 3e-12, 4e-12]}),
         cls=ModeSpecificEncoder)
@example(frame=pd.DataFrame({"big": np.int64(2**62) + np.arange(0, 40_000, 1000)}), cls=ModeSpecificEncoder)
@example(frame=pd.DataFrame({"c": pd.Categorical(["lo", None])}), cls=MinMaxOneHotEncoder)  # a TypeError in fit
@example(frame=pd.DataFrame({"v": [0.0, 8.988e307]}), cls=MinMaxOneHotEncoder)  # 2 * 8.988e307 became inf
def test_encoder_contract(frame, cls):
    """fit / transform / inverse_transform of every encoder on random frames (datetimes are the
    table layer's: an encoder takes them as categories)."""
    try:
        enc = cls().fit(frame)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        assert not _clean(frame)
        return
    x = enc.transform(frame)
    assert x.dtype == np.float32 and x.shape == (len(frame), enc.output_width_) and np.isfinite(x).all()
    _check_rows(enc.inverse_transform(x), frame, frame.columns, exact_missing=True)


# ---------------------------------------------------------------------------------------------- synthesizer
TINY = TVAEConfig(epochs=1, latent_dim=2, hidden=(8,), batch_size=64, prior_components=2)


@FITS
@given(frame=frames(min_rows=4, max_rows=24), n=st.integers(1, 30))
@example(frame=pd.DataFrame({"c": pd.Categorical(["lo", None, "lo", None]), "x": [1.0, 2.0, 3.0, 4.0]}),
         n=5)  # kind detection raised a TypeError on a Categorical with missing values
@example(frame=pd.DataFrame({"b": pd.array([False, None, False, None, False, None, None, False], dtype="boolean")}),
         n=30)  # a boolean column always had a True category: True rows from a column of False and missing
def test_synthesizer_fit_and_sample(frame, n):
    try:
        synth = Synthesizer("tvae", TINY, seed=0).fit(frame)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    rows = synth.sample(n, seed=1)
    assert len(rows) == n
    table = synth.table_
    modelled = [c for c in table.output_columns() if table.kind(c) not in ("id", "pii", "text", "constant", "empty")]
    assert list(rows.columns) == table.output_columns()
    _check_rows(rows[modelled], frame, modelled, exact_missing=False)
    for col in table.output_columns():
        if table.kind(col) == "id":  # generated, never a training value
            assert not set(rows[col].dropna().astype(str)) & set(frame[col].dropna().astype(str)), col


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "n": pd.array(rng.integers(0, 9, 60), dtype="Int64"),
                          "c": rng.choice(["a", "", "b"], 60), "d": pd.Timestamp("2021-01-01")
                          + pd.to_timedelta(rng.integers(0, 90, 60), "D")})
    frame.loc[::7, "n"] = pd.NA
    return frame, Synthesizer("tvae", TINY, seed=0).fit(frame)


@CHEAP
@given(n=st.one_of(st.integers(-5, 50), st.sampled_from([10**9, 2**31, 2.0, True, "3"])),
       seed=st.integers(0, 2**31), condition=st.sampled_from([None, {"c": "a"}, {"c": ""}, {"x": (-0.5, 0.5)},
                                                             {"c": "zz"}, {"nope": 1}, {"x": (3.0, 1.0)}]))
def test_sample_arguments(fitted, n, seed, condition):
    """``sample(n, conditions, seed)`` on a fitted synthesizer: bounded, refused, or rows inside the fit."""
    frame, synth = fitted
    try:
        rows = synth.sample(n, conditions=condition, seed=seed)
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    assert isinstance(n, int) and 1 <= n <= 10**8 and len(rows) == n
    _check_rows(rows, frame, frame.columns, exact_missing=False)
    for col, wanted in (condition or {}).items():
        values = rows[col]
        assert ((values >= wanted[0]) & (values <= wanted[1])).all() if isinstance(wanted, tuple) else \
            (values == wanted).all()


# ---------------------------------------------------------------------------------------------- evaluate
@MEDIUM
@given(frame=frames(min_rows=6, max_rows=30), synthetic_rows=st.integers(1, 12))
@example(frame=pd.DataFrame({"v": np.arange(10.0)}), synthetic_rows=1)  # an IndexError inside the detection folds
@example(frame=pd.DataFrame({"v": np.r_[0.0, 1e-300, 0.0, 1e-300, 0.0, np.ones(5)]}), synthetic_rows=8)  # inf in float32
@example(frame=pd.DataFrame({"v": [0.0, 1, 0, 1, 1, 0, 1, 0]}), synthetic_rows=4)  # real AUC 0: ZeroDivisionError
def test_evaluate(frame, synthetic_rows):
    """evaluate on random frames (a two-class target added): refused, or every score finite."""
    rng = np.random.default_rng(0)
    frame = frame.assign(target=np.resize(["p", "q"], len(frame)))
    train, test = frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2:]
    synthetic = frame.sample(synthetic_rows, replace=True, random_state=1)
    try:
        result = evaluate(train, test, synthetic, target="target", n_estimators=2, folds=2, plots=False, n_jobs=1,
                          dcr_rows=50, seed=int(rng.integers(100)))
    except GenlabError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    scores = {k: v for k, v in result.metrics.items() if isinstance(v, float)}
    assert all(np.isfinite(v) for v in scores.values()), scores
    assert result.metrics["n_synthetic"] == synthetic_rows
