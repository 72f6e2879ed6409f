"""A messy real-world table end to end: detection, every column kind, constraints, range conditions,
``sample_remaining``, export, and the errors of bad input.

The table (:func:`tabular.data.messy.messy_table`, 12,000 built rows, stratified 80/20 split on
``is_recid``): an integer id, a string key ``13011352CF10A``, names and e-mails, a date of birth,
a tz-aware timestamp, two timestamp strings with ``c_jail_in <= c_jail_out``, a 5,000-category
column, free text, a nullable integer, booleans with missing values, a float32-origin rate, a
constant and an all-missing column. Constraints: ``c_jail_in <= c_jail_out``, ``priors_count >= 0``,
fixed combinations of ``charge_degree`` / ``degree_class``, ``age >= 18``.

The run prints what was detected, fits TVAE (the default method) on the training part with the
detected metadata, samples 10,000 rows and prints:

- schema: the same columns and dtypes; no id, key, name, e-mail or note of the training rows;
- every constraint's share of rows that hold it (target 100 %);
- the evaluation (``tabular.evaluate`` on the scorable columns: datetimes as days, the wide
  column's tail as one category for the detectors; its own shape on all categories): column
  shapes and pair trends per kind, detection (RF, logistic), efficacy on ``is_recid``;
  datetime column shapes (KS complement, target >= 0.90);
- range conditions: on the messy model (dates and ages inside, the order kept), and on
  :func:`tabular.consistency_table` (20,000 rows; ``retired`` exactly when ``age > 60``):
  P(retired | age in [61, 89]) (target >= 0.95);
- ``sample_remaining``: known columns unchanged; on the consistency table, known ``A`` and ``age``
  of held-out rows, the share of filled rows obeying ``retired == (age > 60)`` (target >= 0.95)
  and ``B == y`` when ``A == c``;
- export: the SavedModel's rows equal Python's for the columns it holds;
- bad input: a column that does not parse as its declared kind, a contradictory constraint, a
  condition outside the training range — the message, and that nothing was fitted or written.

``--quick``: 3,000 rows, 5 epochs (a smoke test, not the figures).
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genlab.errors import GenlabError
from genlab.runner import RunDir, RunOptions, with_options
from tabular import Synthesizer, consistency_table, evaluate
from tabular.constraints import Inequality
from tabular.data.messy import messy_constraints, messy_table
from tabular.metadata import Metadata

GENERATED = ("person_id", "case_number", "name", "email", "notes")


@dataclasses.dataclass(frozen=True)
class MessySettings:
    """Sizes of the run; ``quick`` is a smoke test."""

    seeds: int = 1                  # one seed: a table of checks, not a study
    epochs: int = 300               # TVAE epochs (the published default)
    rows: int = 12000               # messy table rows (80 % train)
    categories: int = 5000          # categories of charge_code
    samples: int = 10000            # sampled rows checked
    consistency_rows: int = 20000   # consistency table rows (80 % train)

    @classmethod
    def from_options(cls, options: RunOptions) -> "MessySettings":
        return with_options(QUICK if options.quick else cls(), options)


QUICK = MessySettings(epochs=5, rows=3000, categories=1200, samples=2000, consistency_rows=3000)


def record(records: list, check: str, value, target: str = "", ok=None) -> None:
    row = {"check": check, "value": value, "target": target, "ok": "" if ok is None else ("yes" if ok else "NO")}
    records.append(row)
    print(f"  {check}: {value}" + (f"  (target {target}: {'met' if ok else 'NOT met'})" if target else ""), flush=True)


def evaluation_frames(synth, train, test, rows):
    """Scorable frames: the table layer's view, with the wide column's tail as one category (the
    detectors' one-hot stays small); its full shape is scored apart."""
    table = synth.table_
    state = table.state_["per_column"]["charge_code"]
    kept = set(state["kept"])
    frames = []
    for f in (train, test, rows):
        view = table.evaluation_frame(f)
        view["charge_code"] = np.where(view["charge_code"].isin(kept), view["charge_code"], "<tail>")
        frames.append(view)
    return frames


def constraint_checks(records, train, rows) -> None:
    jail_in = pd.to_datetime(rows["c_jail_in"], format="%Y-%m-%d %H:%M:%S")
    jail_out = pd.to_datetime(rows["c_jail_out"], format="%Y-%m-%d %H:%M:%S")
    both = jail_in.notna() & jail_out.notna()
    shares = {
        "c_jail_in <= c_jail_out": float((jail_in[both] <= jail_out[both]).mean()),
        "priors_count >= 0": float((rows["priors_count"].dropna() >= 0).mean()),
        "fixed combinations charge_degree / degree_class": float(pd.Series(list(zip(
            rows["charge_degree"], rows["degree_class"]))).isin(set(zip(train["charge_degree"],
                                                                       train["degree_class"]))).mean()),
        "age >= 18": float((rows["age"] >= 18).mean()),
    }
    for name, share in shares.items():
        record(records, f"constraint {name}: share of rows", round(share, 4), "1.0", share == 1.0)
    record(records, "rows with both jail timestamps", int(both.sum()))


def bad_input(records, train, run: RunDir) -> None:
    """Each bad input: the error message, and that nothing was fitted or written (each case saves
    its synthesizer into ``bad_input_save`` when ``fit`` does not refuse the input)."""
    target = run.path / "bad_input_save"
    cases = {
        "a column that does not parse as its declared kind":
            (lambda: Synthesizer("tvae", epochs=1, column_types={"notes": "datetime"}).fit(train).save(target)),
        "a contradictory constraint":
            (lambda: Synthesizer("tvae", epochs=1, constraints=[Inequality("c_jail_in", "c_jail_out"),
                                                                  Inequality("c_jail_out", "c_jail_in", strict=True)]
                                 ).fit(train).save(target)),
    }
    for name, make in cases.items():
        try:
            make()
            record(records, f"bad input, {name}", "no error", "a clear error", False)
        except GenlabError as exc:
            record(records, f"bad input, {name}", f"{type(exc).__name__}: {exc}", "a clear error", True)
    record(records, "bad input: nothing written", not target.exists(), "True", not target.exists())


def main(options: RunOptions) -> RunDir:
    s = MessySettings.from_options(options)
    run = RunDir("tabular_messy", options.out)
    records: list[dict] = []
    frame = messy_table(s.rows, categories=s.categories, seed=0)
    train, test = train_test_split(frame, test_size=0.2, random_state=42,
                                   stratify=frame["is_recid"].astype(object).fillna("missing").astype(str))
    meta = Metadata.detect(train, constraints=messy_constraints())
    meta.save(run.path / "metadata.json")
    print(f"messy table: train {len(train)} rows, test {len(test)}; charge_code holds "
          f"{train['charge_code'].nunique():,} categories in the training part", flush=True)

    start = time.perf_counter()
    synth = Synthesizer("tvae", epochs=s.epochs, seed=0, metadata=meta).fit(train)
    fit_seconds = time.perf_counter() - start
    print(synth.table_.summary(), flush=True)
    record(records, "fit seconds (TVAE)", round(fit_seconds, 1))
    record(records, "model width (encoded row)", synth.encoder_.output_width_)
    start = time.perf_counter()
    rows = synth.sample(s.samples, seed=1)
    record(records, "sample seconds", round(time.perf_counter() - start, 2))
    rows.head(50).to_csv(run.path / "synthetic_head.csv", index=False)

    print("schema and privacy:", flush=True)
    same_columns = list(rows.columns) == list(train.columns)
    same_dtypes = rows.dtypes.astype(str).to_dict() == train.dtypes.astype(str).to_dict()
    record(records, "same columns and dtypes", same_columns and same_dtypes, "True", same_columns and same_dtypes)
    for col in GENERATED:
        copied = int(rows[col].isin(set(train[col].dropna())).sum())
        record(records, f"{col}: sampled values equal to a training value", copied, "0", copied == 0)
    record(records, "person_id / case_number unique", bool(rows["person_id"].is_unique and
                                                           rows["case_number"].dropna().is_unique), "True",
           rows["person_id"].is_unique and rows["case_number"].dropna().is_unique)
    print("constraints:", flush=True)
    constraint_checks(records, train, rows)

    print("evaluation:", flush=True)
    real, held, synthetic = evaluation_frames(synth, train, test, rows)
    result = evaluate(real, held, synthetic, target="is_recid", seed=0, out_dir=run.path / "eval",
                      title="messy table, TVAE")
    kinds = synth.table_.metadata_.kinds
    shapes = result.column_shapes.assign(kind=[kinds[c] for c in result.column_shapes["column"]])
    for kind, group in shapes.groupby("kind"):
        record(records, f"column shapes, {kind} ({', '.join(group['column'])})", round(float(group["score"].mean()), 4))
    for _, r in shapes[shapes["kind"] == "datetime"].iterrows():
        record(records, f"datetime shape (KS complement) {r['column']}", round(float(r["score"]), 4), ">= 0.90",
               r["score"] >= 0.90)
    wide = 1 - 0.5 * (train["charge_code"].value_counts(normalize=True)
                      .sub(rows["charge_code"].value_counts(normalize=True), fill_value=0).abs().sum())
    record(records, "charge_code shape on all categories (TV complement)", round(float(wide), 4))
    pairs = result.pair_trends.assign(kinds=[" / ".join(sorted((kinds[a], kinds[b]))) for a, b in zip(
        result.pair_trends["column_a"], result.pair_trends["column_b"])])
    for kind, group in pairs.groupby("kinds"):
        record(records, f"pair trends, {kind}", round(float(group["score"].mean()), 4))
    for key in ("detection_auc", "lr_detection_auc", "efficacy_synthetic_auc", "efficacy_real_auc", "efficacy_ratio",
                "column_shapes", "column_pair_trends", "dcr_share"):
        record(records, key, round(float(result.metrics[key]), 4))

    print("range conditions:", flush=True)
    cond = synth.sample(1000, conditions={"c_jail_in": ("2013-06-01", "2013-08-31"), "age": (25, 35)}, seed=2)
    jail_in = pd.to_datetime(cond["c_jail_in"], format="%Y-%m-%d %H:%M:%S")
    inside = bool(jail_in.between("2013-06-01", "2013-08-31 23:59:59").all() and cond["age"].between(25, 35).all())
    record(records, "messy: c_jail_in in Jun-Aug 2013 and age in [25, 35]: rows inside", inside, "True", inside)
    jail_out = pd.to_datetime(cond["c_jail_out"], format="%Y-%m-%d %H:%M:%S")
    order = bool((jail_out.dropna() >= jail_in[jail_out.notna()]).all())
    record(records, "messy: conditioned rows keep c_jail_in <= c_jail_out", order, "True", order)
    table = consistency_table(s.consistency_rows, seed=0)
    c_train, c_test = train_test_split(table, test_size=0.2, random_state=42)
    consistent = Synthesizer("tvae", epochs=s.epochs, seed=0).fit(c_train)
    old = consistent.sample(2000, conditions={"age": (61, 89)}, seed=2)
    p_retired = float((old["retired"] == "yes").mean())
    record(records, "consistency: P(retired | age in [61, 89])", round(p_retired, 4), ">= 0.95", p_retired >= 0.95)

    print("sample_remaining:", flush=True)
    known = test[["age", "sex", "charge_degree", "c_jail_in"]].head(200)
    filled = synth.sample_remaining(known, seed=3)
    unchanged = all(filled[c].equals(known[c]) for c in known.columns)
    record(records, "messy: known columns returned unchanged", unchanged, "True", unchanged)
    record(records, "messy: rows filled under relaxed conditions", synth.last_relaxed_)
    known = c_test[["A", "age"]].head(1000)
    filled = consistent.sample_remaining(known, seed=4)
    obey = float(((filled["retired"] == "yes") == (filled["age"] > 60)).mean())
    record(records, "consistency: filled retired obeys age > 60", round(obey, 4), ">= 0.95", obey >= 0.95)
    rare = filled[filled["A"] == "c"]
    record(records, f"consistency: filled B = y where A = c ({len(rare)} rows)",
           round(float((rare["B"] == "y").mean()), 4) if len(rare) else None)
    record(records, "consistency: rows filled under relaxed conditions", consistent.last_relaxed_)

    print("export:", flush=True)
    note = synth.check_export(synth.export(run.export))
    record(records, "export", note)

    print("bad input:", flush=True)
    bad_input(records, train, run)
    try:
        synth.sample(10, conditions={"dob": ("2030-01-01", "2031-01-01")})
        record(records, "bad input, a condition outside the training range", "no error", "a clear error", False)
    except GenlabError as exc:
        record(records, "bad input, a condition outside the training range", f"{type(exc).__name__}: {exc}",
               "a clear error", True)

    notes = (f"messy table {s.rows} rows ({len(train)} train), {s.categories} charge codes, TVAE {s.epochs} epochs; "
             f"{s.samples} sampled rows; consistency table {s.consistency_rows} rows."
             + ("\n\n**--quick smoke run: not the figures.**" if options.quick else ""))
    run.report(records, "A messy real-world table end to end", ["check", "value", "target", "ok"], notes)
    (run.path / "detected.txt").write_text(synth.table_.summary() + "\n")
    return run
