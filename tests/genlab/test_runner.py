import json

import pytest

from genlab.runner import RunDir, aggregate, markdown_table


def test_aggregate_mean_std_and_markdown(tmp_path):
    records = [{"model": "a", "seed": s, "acc": v} for s, v in enumerate([0.5, 0.7])]
    records += [{"model": "b", "seed": 0, "acc": 0.9, "extra": None}]
    rows = aggregate(records, ["model"], ["acc", "extra"])
    assert rows[0]["acc"] == pytest.approx(0.6) and rows[0]["acc_std"] == pytest.approx(0.1)
    assert rows[0]["n_seeds"] == 2 and rows[1]["extra"] is None
    table = markdown_table(rows, ["model", "acc", "extra"])
    assert "| a | 0.6000 ± 0.1000 | – |" in table

    run = RunDir("t", tmp_path / "run")
    md, js = run.write_results(rows, "Title", ["model", "acc"], notes="a note")
    assert json.loads(js.read_text())[1]["model"] == "b"
    assert md.read_text().startswith("# Title") and "a note" in md.read_text()


def test_with_options_applies_seeds_and_epochs_only_where_set():
    import dataclasses

    from genlab.runner import RunOptions, with_options

    @dataclasses.dataclass(frozen=True)
    class S:
        seeds: int = 5
        epochs: int = 10
        other: int = 1

    @dataclasses.dataclass(frozen=True)
    class NoSeeds:
        epochs: int = 3

    assert with_options(S(), RunOptions()) == S()
    assert with_options(S(), RunOptions(seeds=2, epochs=4), other=7) == S(2, 4, 7)
    assert with_options(NoSeeds(), RunOptions(seeds=2, epochs=9)) == NoSeeds(9)


def test_select_keeps_the_runs_order_and_names_unknown_parts():
    from genlab.errors import UnknownNameError
    from genlab.runner import RunOptions

    names = ("dcgan", "wgan_clip", "wgan_gp")
    assert RunOptions().select(names) == names
    assert RunOptions(only=("wgan_gp", "dcgan")).select(names) == ("dcgan", "wgan_gp")
    with pytest.raises(UnknownNameError, match="unknown part 'gan'.*dcgan, wgan_clip, wgan_gp"):
        RunOptions(only=("gan",)).select(names)


def test_report_writes_the_files_and_prints_table_notes_and_paths(tmp_path, capsys):
    # Catches a report that prints but does not write (or the reverse), or drops the notes.
    run = RunDir("bench", tmp_path / "out")
    run.report([{"model": "a", "auc": 0.75}], "Title here", ["model", "auc"], notes="seed 0 only")
    printed = capsys.readouterr().out
    assert "| a | 0.7500 |" in printed and "seed 0 only" in printed and str(run.path / "results.md") in printed
    assert (run.path / "results.md").read_text().startswith("# Title here")
    assert json.loads((run.path / "results.json").read_text()) == [{"model": "a", "auc": 0.75}]


def test_run_dir_keeps_finished_parts_and_refuses_a_restart_with_other_arguments(tmp_path):
    import numpy as np

    from genlab.errors import PathExistsError

    arguments = {"epochs": 2, "seeds": 1, "quick": True}
    run = RunDir("demo", tmp_path / "r", arguments=arguments)
    assert run.finished("gan-seed0") is None
    record = run.finish("gan-seed0", {"fd": np.float32(1.5), "epochs": np.int64(2)})
    assert record == {"fd": 1.5, "epochs": 2}  # what a restarted run reads back, not the NumPy values
    restarted = RunDir("demo", tmp_path / "r", arguments=arguments)
    assert restarted.finished("gan-seed0") == record and restarted.finished("gan-seed1") is None
    assert restarted.checkpoint_dir("gan-seed1") == tmp_path / "r" / "checkpoints" / "gan-seed1"
    with pytest.raises(PathExistsError, match=r"other arguments: epochs 2 \(now 3\)"):
        RunDir("demo", tmp_path / "r", arguments={**arguments, "epochs": 3})
    with pytest.raises(PathExistsError, match="holds a demo run"):
        RunDir("other", tmp_path / "r", arguments=arguments)
    assert not [p for p in (tmp_path / "r").rglob("*") if p.name.endswith(".tmp")]  # written in one rename
