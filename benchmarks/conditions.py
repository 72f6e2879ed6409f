"""Conditional sampling keeps rows consistent: measured on a table with known dependencies.

The table (:func:`tabular.consistency_table`, 20,000 rows): ``A = "c"`` in 0.6 % of the rows and
then always ``B = "y"`` (elsewhere ``"y"`` in 10 %); ``retired = "yes"`` exactly when ``age > 60``;
``city`` Oslo / Perth / Lima with shares 0.3 / 0.1 / 0.6. For every method the script fits a
synthesizer on 80 % of the rows and prints, from conditional samples of 2,000 rows:

- ``P(B=y | A=c)`` for ``conditions={"A": "c"}`` (the data: 1.0) and the acceptance rate;
- ``P(retired | age in [61, 89])`` for ``conditions={"age": (61, 89)}`` (the data: 1.0);
- the Oslo share for ``conditions={"city": ["Oslo", "Perth"]}`` (the training frequencies: 0.75);
- the same two dependencies in 20,000 unconditioned rows, the model's own joint distribution;
- ``sample_remaining`` on 1,000 held-out rows with ``A`` and ``age`` known: the share of filled
  rows whose ``retired`` obeys ``age > 60`` (the data: 1.0), and how many rows needed relaxed conditions.

No row is ever forced: a row either comes from the model meeting every condition or is not returned.

Usage::

    python benchmarks/conditions.py [--methods tvae,ctgan] [--epochs N] [--set KEY=VALUE] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sklearn.model_selection import train_test_split

from genlab.runner import RunDir
from tabular import Synthesizer, consistency_table
from tabular.synthesizers import budget_field


def measure(synth, test) -> dict:
    rare = synth.sample(2000, conditions={"A": "c"}, seed=1)
    row = {"P(B=y|A=c)": float((rare["B"] == "y").mean()), "acceptance(A=c)": synth.last_acceptance_rate_}
    old = synth.sample(2000, conditions={"age": (61, 89)}, seed=2)
    row["P(retired|age>60)"] = float((old["retired"] == "yes").mean())
    cities = synth.sample(2000, conditions={"city": ["Oslo", "Perth"]}, seed=3)
    row["Oslo share (0.75)"] = float((cities["city"] == "Oslo").mean())
    free = synth.sample(20000, seed=4)
    c = free[free["A"] == "c"]
    row["unconditioned P(B=y|A=c)"] = float((c["B"] == "y").mean()) if len(c) else None
    row["unconditioned P(retired|age>60)"] = float((free.loc[free["age"] > 60, "retired"] == "yes").mean())
    row["share A=c (data 0.006)"] = float((free["A"] == "c").mean())
    filled = synth.sample_remaining(test[["A", "age"]].head(1000), seed=5)
    row["sample_remaining: retired obeys age>60"] = float(((filled["retired"] == "yes") == (filled["age"] > 60)).mean())
    row["sample_remaining: relaxed rows"] = synth.last_relaxed_
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="tvae", help="comma-separated synthesis methods")
    parser.add_argument("--epochs", type=int, default=300,
                        help="epochs of the methods whose budget is epochs (diffusion trains its default updates)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a field of the methods' configs (repeatable)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    table = consistency_table(20000, seed=0)
    train, test = train_test_split(table, test_size=0.2, random_state=42)
    run = RunDir("bench_conditions", args.out)
    rows = []
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        start = time.perf_counter()
        budget = {"epochs": args.epochs} if budget_field(method) == "epochs" else {}  # else: the method's default
        synth = Synthesizer(method, seed=args.seed, **{**budget, **overrides}).fit(train)
        row = {"method": method + "".join(f" {k}={v}" for k, v in overrides.items()), **measure(synth, test),
               "fit_seconds": time.perf_counter() - start}
        rows.append(row)
        print(json.dumps(row), flush=True)
        (run.path / "records.json").write_text(json.dumps(rows, indent=2) + "\n")
    run.report(rows, "Conditional sampling on a table with known dependencies",
               notes=f"{len(train)} training rows, {args.epochs} epochs (methods trained by epochs), seed "
                     f"{args.seed}; 2,000 rows per condition, 20,000 unconditioned rows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
