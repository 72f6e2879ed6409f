"""`genlab synth` on files: fit, sample (with conditions), evaluate, export; one-line errors, nothing half-written."""

import pandas as pd
import pytest

from genlab import cli

from .conftest import mixed_frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    frame = mixed_frame(400)
    frame.to_csv(folder / "data.csv", index=False)
    assert cli.main(["synth", "fit", str(folder / "data.csv"), "--out", str(folder / "model"), "--epochs", "2"]) == 0
    return folder, frame


def test_fit_sample_evaluate_export_round_trip(files, capsys):
    folder, frame = files
    assert (folder / "model" / "synthesizer.json").exists()
    assert cli.main(["synth", "sample", str(folder / "model"), "-n", "300", "-o", str(folder / "syn.parquet"),
                     "--where", "label=high", "--where", "city=Oslo", "--where", "city=Perth", "--seed", "1"]) == 0
    rows = pd.read_parquet(folder / "syn.parquet")
    assert len(rows) == 300 and list(rows.columns) == list(frame.columns)
    assert (rows["label"] == "high").all() and rows["city"].isin(["Oslo", "Perth"]).all()
    assert cli.main(["synth", "sample", str(folder / "model"), "-n", "400", "-o", str(folder / "all.csv")]) == 0
    assert cli.main(["synth", "evaluate", str(folder / "data.csv"), str(folder / "all.csv"), "--target", "label",
                     "--out", str(folder / "report")]) == 0
    out = capsys.readouterr().out
    assert "detection AUC" in out and (folder / "report" / "report.md").exists()
    assert cli.main(["synth", "export", str(folder / "model"), str(folder / "export")]) == 0
    assert "match the Python synthesizer" in capsys.readouterr().out
    assert (folder / "export" / "saved_model.pb").exists()


def test_numeric_range_condition(files):
    folder, _ = files
    assert cli.main(["synth", "sample", str(folder / "model"), "-n", "50", "-o", str(folder / "r.csv"),
                     "--where", "price=10..30"]) == 0
    price = pd.read_csv(folder / "r.csv")["price"].dropna()
    assert price.between(10, 30).all() and len(price) > 0


def test_errors_are_one_line_and_write_nothing(files, capsys):
    folder, _ = files
    cases = [
        (["synth", "fit", str(folder / "nope.csv"), "--out", str(folder / "m2")], "no such file"),
        (["synth", "fit", str(folder / "data.txt"), "--out", str(folder / "m2")], "use a .csv or .parquet"),
        (["synth", "sample", str(folder / "model"), "-n", "5", "-o", str(folder / "x.csv"), "--where", "label"],
         "is not COLUMN=VALUE"),
        (["synth", "sample", str(folder / "model"), "-n", "5", "-o", str(folder / "x.csv"), "--where", "label=mid"],
         "'mid' is not a category of 'label'"),
        (["synth", "sample", str(folder / "model"), "-n", "0", "-o", str(folder / "x.csv")], "n must be an int"),
        (["synth", "sample", str(folder / "nothing"), "-n", "5", "-o", str(folder / "x.csv")], "holds no saved"),
        (["synth", "evaluate", str(folder / "data.csv"), str(folder / "data.csv"), "--target", "nope", "--out",
          str(folder / "rep2")], "target column 'nope'"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("genlab: ") and message in err[0], err
    (folder / "taken.csv").write_text("keep")
    assert cli.main(["synth", "sample", str(folder / "model"), "-n", "5", "-o", str(folder / "taken.csv")]) == 2
    assert "exists" in capsys.readouterr().err and (folder / "taken.csv").read_text() == "keep"
    for name in ("m2", "x.csv", "rep2"):
        assert not (folder / name).exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
