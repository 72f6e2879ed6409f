"""Closed forms and sample estimates of KL, JS, W-1 between parallel segments."""

import math

import numpy as np
import pytest

from gans import divergences as dv
from genlab.errors import ConfigError


@pytest.mark.parametrize("theta", [-1.0, -0.3, 0.05, 0.5, 2.0])
def test_closed_forms_off_zero(theta):
    record = dv.closed_form(theta)
    assert record["kl"] == math.inf
    assert record["js"] == pytest.approx(math.log(2))
    assert record["wasserstein"] == pytest.approx(abs(theta))


def test_closed_forms_at_zero_and_vectorised():
    assert dv.closed_form(0.0) == {"theta": 0.0, "kl": 0.0, "js": 0.0, "wasserstein": 0.0}
    np.testing.assert_allclose(dv.wasserstein_distance([-2, 0, 1.5]), [2, 0, 1.5])
    np.testing.assert_array_equal(dv.kl_divergence([0, 1]), [0, np.inf])


@pytest.mark.parametrize("theta", [0.0, 0.2, -0.5, 1.0])
def test_wasserstein_estimate(theta):
    p, q = dv.sample_segments(theta, 300, seed=0)
    w = dv.wasserstein1_estimate(p, q)
    # Every matched pair is at least |theta| apart, and the vertical mismatch of two samples
    # of 300 uniform points is small (about 0.02-0.05 over seeds).
    assert abs(theta) - 1e-12 <= w <= abs(theta) + 0.08


def test_wasserstein_estimate_of_a_shifted_copy_is_exact():
    p, _ = dv.sample_segments(0.0, 50, seed=1)
    assert dv.wasserstein1_estimate(p, p + [0.7, 0.0]) == pytest.approx(0.7)


@pytest.mark.parametrize("theta", [0.1, -0.5, 1.0])
def test_histogram_divergences_on_disjoint_segments(theta):
    p, q = dv.sample_segments(theta, 500, seed=0)
    est = dv.histogram_divergences(p, q, bin_width=0.05)
    assert est["kl"] == math.inf
    assert est["js"] == pytest.approx(math.log(2))


def test_histogram_divergences_at_zero_are_small():
    p, q = dv.sample_segments(0.0, 2000, seed=0)
    est = dv.histogram_divergences(p, q, bin_width=0.1)
    assert 0 <= est["js"] < 0.01 and 0 <= est["kl"] < 0.05
    same = dv.histogram_divergences(p, p)
    assert same == {"kl": 0.0, "js": 0.0}


def test_estimate_record_plot_and_errors():
    records = [dv.estimate(t, n=100, seed=0) for t in (-0.5, 0.0, 0.5)]
    assert set(records[0]) == {"theta", "kl_estimate", "js_estimate", "wasserstein_estimate"}
    fig = dv.plot_divergences(np.linspace(-1, 1, 21), records)
    assert len(fig.axes) == 1
    with pytest.raises(ConfigError, match="same shape"):
        dv.wasserstein1_estimate(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ConfigError, match="bin_width must be > 0"):
        dv.histogram_divergences(np.zeros((3, 2)), np.zeros((3, 2)), bin_width=0)
    with pytest.raises(ConfigError, match="n must be a positive int"):
        dv.sample_segments(0.1, 0)


def test_run_module_writes_table_and_plot(tmp_path):
    from genlab.runner import RunOptions
    from runs.divergences import main

    run = main(RunOptions(out=str(tmp_path), quick=True, seeds=1))
    text = (tmp_path / "results.md").read_text()
    assert "| 0.5000 | inf | inf | 0.6931 |" in text
    assert (run.plots / "divergences.png").stat().st_size > 0
