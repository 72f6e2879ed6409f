"""Tables built in code: mixed-type data with known structure, for runs, benchmarks and tests.

- :func:`loans_table` — 12,000 loan applications: integer, 2-decimal float, categorical and boolean
  columns, missing values in a numeric and a categorical column, a bimodal integer and a binary
  target ``default`` that depends on several columns.
- :func:`consistency_table` — a rare category that always goes with one value of another column,
  and an age threshold that decides another column: what conditional sampling must keep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def loans_table(n: int = 12000, seed: int = 7) -> pd.DataFrame:
    """A mixed-type loans table with missing values and a binary target ``default``."""
    rng = np.random.default_rng(seed)
    age = rng.integers(19, 76, n)
    income = np.round(np.exp(rng.normal(10.4, 0.6, n)) * (1 + (age - 19) / 120), 2)
    purpose = rng.choice(["car", "home", "education", "business", "other"], n, p=[0.3, 0.25, 0.15, 0.1, 0.2])
    amount = np.round(np.where(purpose == "home", rng.normal(150_000, 40_000, n), rng.gamma(2.0, 6_000, n)), -2)
    amount = np.clip(amount, 500, None)
    term = rng.choice([12, 24, 36, 60, 120, 240], n, p=[0.1, 0.2, 0.3, 0.2, 0.1, 0.1])
    dependants = np.where(rng.random(n) < 0.45, 0, rng.integers(1, 6, n))
    employed = rng.random(n) < 0.82
    region = rng.choice(["north", "south", "east", "west"], n).astype(object)
    region[rng.random(n) < 0.07] = None
    credit = np.round(np.clip(rng.normal(650, 70, n) + 40 * employed, 300, 850), 0)
    credit[rng.random(n) < 0.12] = np.nan
    ratio = amount / income
    score = (-2.0 + 0.8 * np.log1p(ratio) - 0.008 * (np.nan_to_num(credit, nan=650) - 650)
             - 1.0 * employed + 0.15 * dependants + 0.6 * (purpose == "business"))
    default = np.where(rng.random(n) < 1 / (1 + np.exp(-score)), "yes", "no")
    return pd.DataFrame({"age": age, "income": income, "purpose": purpose, "amount": amount, "term": term,
                         "dependants": dependants, "employed": employed, "region": region, "credit_score": credit,
                         "default": default})


def consistency_table(n: int = 5000, rare_share: float = 0.006, seed: int = 0) -> pd.DataFrame:
    """Columns with deterministic dependencies.

    - ``A`` in ``{"a", "b", "c"}`` with ``"c"`` holding ``rare_share`` of the rows; ``B = "y"``
      whenever ``A = "c"`` (elsewhere ``"y"`` in 10 % of the rows);
    - ``age`` uniform in 18..89 and ``retired = "yes"`` exactly when ``age > 60``;
    - ``city`` in Oslo / Perth / Lima with shares 0.3 / 0.1 / 0.6; ``v`` a normal number (2 decimals).
    """
    rng = np.random.default_rng(seed)
    a = rng.choice(["a", "b", "c"], n, p=[0.6, 0.4 - rare_share, rare_share])
    b = np.where(a == "c", "y", rng.choice(["x", "y"], n, p=[0.9, 0.1]))
    age = rng.integers(18, 90, n)
    return pd.DataFrame({"A": a, "B": b, "age": age, "retired": np.where(age > 60, "yes", "no"),
                         "city": rng.choice(["Oslo", "Perth", "Lima"], n, p=[0.3, 0.1, 0.6]),
                         "v": np.round(rng.normal(size=n), 2)})
