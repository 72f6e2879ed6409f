"""A messy table built in code: every column kind a real table brings, with known structure.

:func:`messy_table` is modelled on the public criminal-justice tables people synthesize (an id,
names, dates of birth, jail entry and exit timestamps, case numbers, charges, many missing values)
but every value is drawn here from simple rules, so nothing of a real person is in it:

==================  ==========================================================================
column              what it is
==================  ==========================================================================
``person_id``       integer id, a shuffled dense sequence from 100001
``case_number``     string key in the layout ``13011352CF10A`` (year, six digits, degree, ``10A``)
``name``            "First Last" (the surname built from syllables)
``email``           ``first.last42@domain`` (four common domains and rare ones)
``dob``             date of birth, strings ``%Y-%m-%d``
``screened_at``     tz-aware ``datetime64`` (America/New_York), minutes
``c_jail_in``       timestamp strings ``%Y-%m-%d %H:%M:%S`` (8 % missing)
``c_jail_out``      after ``c_jail_in`` by a log-normal stay (missing with it, and 3 % more)
``age``             age in years at screening (from ``dob``)
``charge_code``     ``categories`` codes (each at least once, then Zipf-like frequencies)
``charge_degree``   ``F`` / ``M``; ``degree_class`` ``F1``-``F3`` or ``M1``-``M2`` (fixed combinations)
``sex``             categorical
``priors_count``    nullable ``Int64`` (6 % missing), more for older people
``is_recid``        ``boolean`` with missing values, likelier with more priors and for the young
``rate``            float32-origin doubles with one decimal (10 values)
``notes``           free text, 6-14 words
``source``          the constant ``"county"``
``violent_recid``   every value missing (float)
==================  ==========================================================================

Constraints that hold by construction: ``c_jail_in <= c_jail_out``, ``priors_count >= 0``,
fixed combinations of ``charge_degree`` and ``degree_class``, and ``age >= 18``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Frank", "Grace", "Hugo", "Irene", "Jamal", "Keisha", "Liam",
          "Maria", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Samuel", "Tanya", "Umar", "Vera", "Walter", "Xena",
          "Yusuf", "Zoe", "Andre", "Brenda", "Carlos", "Diane", "Emil", "Fatima", "Gavin", "Helen", "Ivan", "Julia")
_SYLLABLES = ("ba", "ker", "son", "mil", "ton", "har", "ris", "gon", "za", "lez", "wil", "li", "ams", "ro",
              "ber", "ts", "jo", "nes", "mar", "tin", "de", "la", "cruz", "fer", "nan", "dez", "ko", "val")
_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "mail.com")
_WORDS = ("defendant", "was", "released", "on", "bond", "after", "hearing", "court", "ordered", "no", "contact",
          "with", "victim", "case", "closed", "pending", "review", "officer", "reported", "minor", "injury",
          "property", "returned", "to", "owner", "probation", "violation", "noted", "in", "file", "transferred",
          "county", "facility", "awaiting", "trial", "charges", "reduced", "dismissed", "by", "prosecutor")


def messy_table(n: int = 12000, categories: int = 5000, seed: int = 0) -> pd.DataFrame:
    """A table with every column kind (see the module docstring).

    Args:
        n: Rows (at least ``categories``: every charge code appears once).
        categories: Distinct ``charge_code`` values.
        seed: Seed of every draw.
    """
    rng = np.random.default_rng(seed)
    if n < categories:
        raise ValueError(f"n ({n}) must be at least categories ({categories})")
    first = rng.choice(_FIRST, n)
    last = np.asarray(["".join(rng.choice(_SYLLABLES, rng.integers(2, 4))).capitalize() for _ in range(n)])
    domains = np.where(rng.random(n) < 0.9, rng.choice(_DOMAINS, n, p=[0.5, 0.2, 0.2, 0.1]),
                       [f"{''.join(rng.choice(_SYLLABLES, 2))}.org" for _ in range(n)])
    email = [f"{f.lower()}.{s.lower()}{k}@{d}" for f, s, k, d in zip(first, last, rng.integers(1, 100, n), domains)]
    screened = (pd.Timestamp("2013-01-01", tz="America/New_York")
                + pd.to_timedelta(rng.integers(0, 2 * 365 * 24 * 60, n), unit="min"))
    age = np.clip(np.round(rng.gamma(4.0, 8.0, n) + 18), 18, 90).astype(int)
    dob = (screened.tz_localize(None).normalize() - pd.to_timedelta(age * 365.25 + rng.integers(0, 365, n), unit="D"))
    age = ((screened.tz_localize(None) - dob).days // 365.25).astype(int)  # the age the dates imply
    jail_in = screened.tz_localize(None) - pd.to_timedelta(rng.integers(0, 3 * 24 * 3600, n), unit="s")
    stay = pd.to_timedelta(np.round(np.exp(rng.normal(3.0, 1.5, n)) * 3600), unit="s")  # hours to months
    jail_out = jail_in + stay
    no_jail = rng.random(n) < 0.08
    out_missing = no_jail | (rng.random(n) < 0.03)
    degree = rng.choice(["F", "M"], n, p=[0.65, 0.35])
    degree_class = np.where(degree == "F", rng.choice(["F1", "F2", "F3"], n, p=[0.1, 0.3, 0.6]),
                            rng.choice(["M1", "M2"], n, p=[0.7, 0.3]))
    ranks = np.arange(categories)
    weights = 1.0 / (ranks + 10.0) ** 1.1
    codes = np.concatenate([ranks, rng.choice(categories, n - categories, p=weights / weights.sum())])
    rng.shuffle(codes)
    priors = np.round(rng.gamma(1.0 + (age - 18) / 20, 1.5, n)).astype(int)
    priors_na = pd.array(priors, dtype="Int64")
    priors_na[rng.random(n) < 0.06] = pd.NA
    recid_p = 1 / (1 + np.exp(-(-1.0 + 0.25 * priors - 0.03 * (age - 30))))
    recid = pd.array(rng.random(n) < recid_p, dtype="boolean")
    recid[rng.random(n) < 0.1] = pd.NA
    notes = [" ".join(rng.choice(_WORDS, rng.integers(6, 15))).capitalize() + "." for _ in range(n)]
    year = jail_in.year % 100
    case = [f"{y:02d}{k:06d}{d}{'10A'}" for y, k, d in
            zip(year, rng.choice(10**6, n, replace=False), np.where(degree == "F", "CF", "MM"))]
    frame = pd.DataFrame({
        "person_id": rng.permutation(n) + 100001,
        "case_number": case,
        "name": [f"{f} {s}" for f, s in zip(first, last)],
        "email": email,
        "dob": dob.strftime("%Y-%m-%d"),
        "screened_at": screened,
        "c_jail_in": pd.Series(jail_in.strftime("%Y-%m-%d %H:%M:%S")).where(~no_jail, None),
        "c_jail_out": pd.Series(jail_out.strftime("%Y-%m-%d %H:%M:%S")).where(~out_missing, None),
        "age": age,
        "charge_code": [f"C{c:05d}" for c in codes],
        "charge_degree": degree,
        "degree_class": degree_class,
        "sex": rng.choice(["Male", "Female"], n, p=[0.8, 0.2]),
        "priors_count": priors_na,
        "is_recid": recid,
        "rate": rng.choice(np.float32([1.5, 2.0, 2.5, 3.1, 3.3, 4.2, 5.0, 5.5, 6.1, 7.7]), n).astype(np.float64),
        "notes": notes,
        "source": "county",
        "violent_recid": np.full(n, np.nan),
    })
    return frame


def messy_constraints() -> list:
    """The constraints :func:`messy_table` holds by construction."""
    from tabular.constraints import FixedCombinations, Inequality, Predicate, Range

    return [Inequality("c_jail_in", "c_jail_out"), Range("priors_count", low=0),
            FixedCombinations(("charge_degree", "degree_class")), Predicate("age >= 18")]
