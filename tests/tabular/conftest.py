"""Fixtures: a small frame built in code and the embedded Adult data (no network)."""

import numpy as np
import pandas as pd
import pytest

from tabular.data import load_adult


def make_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A mixed-type frame with a learnable binary target ``label`` ("yes" is the minority)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    hours = np.round(rng.normal(40, 8, n), 1)
    colour = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2])
    sex = rng.choice(["F", "M"], n)
    score = 0.12 * (age - 45) + 0.2 * (hours - 40) + (colour == "blue") * 3.0 - 2.0
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-score)), "yes", "no")
    return pd.DataFrame({"age": age, "colour": colour, "hours": hours, "sex": sex, "label": label})


def mixed_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Integer (two modes), float with 2 decimals and missing values, categorical with missing
    values, boolean, and a label tied to the other columns."""
    rng = np.random.default_rng(seed)
    count = np.where(rng.random(n) < 0.6, rng.integers(0, 5, n), rng.integers(50, 60, n))
    price = np.round(rng.gamma(2.0, 10.0, n) + 1.0, 2)
    price[rng.random(n) < 0.15] = np.nan
    city = rng.choice(["Lyon", "Oslo", "Quito", "Perth"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[rng.random(n) < 0.1] = None
    member = rng.random(n) < 0.35
    label = np.where((count > 20) | member, "high", "low")
    return pd.DataFrame({"count": count, "price": price, "city": city, "member": member, "label": label})


@pytest.fixture
def frame():
    return make_frame()


@pytest.fixture(scope="session")
def adult():
    return load_adult()
