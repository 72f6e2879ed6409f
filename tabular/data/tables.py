"""Tables built in code: mixed-type data with known structure, for runs, benchmarks and tests.

- :func:`loans_table` — 12,000 loan applications: integer, 2-decimal float, categorical and boolean
  columns, missing values in a numeric and a categorical column, a bimodal integer and a binary
  target ``default`` that depends on several columns.
- :func:`patients_table` — 20,000 patient records: ten numeric columns (integers, decimals, a
  bimodal, a zero-inflated and a log-normal one), four categorical columns (one with missing
  values) and a four-class ordinal target ``risk`` that depends on most of them.
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


def patients_table(n: int = 20000, seed: int = 11) -> pd.DataFrame:
    """Patient records with a four-class target ``risk`` (``low`` < ``moderate`` < ``high`` < ``very high``).

    Columns: ``age`` (18..90), ``sex``, ``bmi`` (1 decimal, rising with age), ``systolic`` and
    ``diastolic`` blood pressure (correlated, rising with age and BMI), ``cholesterol`` (1 decimal),
    ``glucose`` (bimodal: a diabetic group, more frequent with BMI), ``heart_rate``, ``smoker``
    (never / former / current, by age and sex), ``region`` (7 % missing), ``insurance``,
    ``visits`` (count, more with age and risk), ``creatinine`` (log-normal, 2 decimals) and
    ``exercise_hours`` (zero for 35 % of the rows). ``risk`` cuts a noisy score of age, blood
    pressure, cholesterol, glucose, smoking, BMI and exercise at its quartiles' neighbours
    (about 30 / 30 / 25 / 15 %).
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 91, n)
    sex = rng.choice(["F", "M"], n)
    male = sex == "M"
    bmi = np.round(np.clip(rng.normal(24 + 0.06 * (age - 18), 4.2, n), 15, 55), 1)
    systolic = np.round(np.clip(95 + 0.5 * age + 0.9 * (bmi - 25) + 4 * male + rng.normal(0, 11, n), 85, 220))
    diastolic = np.round(np.clip(0.45 * systolic + 18 + rng.normal(0, 6, n), 50, 130))
    cholesterol = np.round(np.clip(rng.normal(170 + 0.6 * age, 32, n), 100, 360), 1)
    diabetic = rng.random(n) < 1 / (1 + np.exp(-(-4.2 + 0.04 * age + 0.09 * (bmi - 25))))
    glucose = np.round(np.where(diabetic, rng.normal(165, 35, n), rng.normal(92, 11, n)).clip(55, 400), 0)
    heart_rate = np.round(np.clip(rng.normal(72 - 3 * male, 9, n), 40, 130))
    p_smoke = 1 / (1 + np.exp(-(-1.0 + 0.4 * male - 0.01 * (age - 40))))
    smoker = np.where(rng.random(n) < p_smoke, np.where(rng.random(n) < 0.55, "current", "former"), "never")
    region = rng.choice(["north", "south", "east", "west", "central"], n, p=[0.25, 0.3, 0.15, 0.2, 0.1]).astype(object)
    region[rng.random(n) < 0.07] = None
    insurance = np.where(age >= 65, rng.choice(["public", "private"], n, p=[0.8, 0.2]),
                         rng.choice(["public", "private", "none"], n, p=[0.35, 0.5, 0.15]))
    creatinine = np.round(np.exp(rng.normal(-0.05 + 0.12 * male + 0.004 * (age - 50), 0.22, n)), 2)
    exercise = np.round(np.where(rng.random(n) < 0.35, 0.0, rng.gamma(2.0, 1.6 - 0.008 * (age - 18), n)), 1)
    score = (0.045 * (age - 50) + 0.03 * (systolic - 130) + 0.012 * (cholesterol - 200) + 0.015 * (glucose - 100)
             + 0.9 * (smoker == "current") + 0.3 * (smoker == "former") + 0.05 * (bmi - 26) - 0.15 * exercise
             + 0.6 * (creatinine > 1.3) + rng.normal(0, 0.6, n))
    cuts = np.quantile(score, [0.30, 0.60, 0.85])
    risk = np.array(["low", "moderate", "high", "very high"])[np.searchsorted(cuts, score)]
    visits = rng.poisson(1.0 + 0.03 * (age - 18) + 1.2 * np.searchsorted(cuts, score))
    return pd.DataFrame({"age": age, "sex": sex, "bmi": bmi, "systolic": systolic.astype(int),
                         "diastolic": diastolic.astype(int), "cholesterol": cholesterol, "glucose": glucose.astype(int),
                         "heart_rate": heart_rate.astype(int), "smoker": smoker, "region": region,
                         "insurance": insurance, "visits": visits, "creatinine": creatinine,
                         "exercise_hours": exercise, "risk": risk})


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
