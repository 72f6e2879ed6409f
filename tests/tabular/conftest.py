"""Fixtures: a small frame built in code and the embedded Adult data (no network)."""

import numpy as np
import pandas as pd
import pytest

from tabular.adult import load_adult


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


@pytest.fixture
def frame():
    return make_frame()


@pytest.fixture(scope="session")
def adult():
    return load_adult()
