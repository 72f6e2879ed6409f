import pytest

from genlab import cli


def test_list_names_runs(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "quickstart" in out and "vaec_breast_cancer" in out


def test_unknown_run_is_a_clear_error(capsys):
    assert cli.main(["run", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert "unknown run 'no-such-run'" in err and "quickstart" in err


def test_bad_numbers_rejected(capsys):
    assert cli.main(["run", "quickstart", "--epochs", "0"]) == 2
    assert "--epochs must be a positive integer" in capsys.readouterr().err


def test_only_reaches_the_run_and_unknown_parts_are_named(capsys, tmp_path):
    # gans_mnist checks --only before loading data, so a wrong part fails fast and writes no model
    assert cli.main(["run", "gans_mnist", "--only", "dcgan,nope", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "unknown part 'nope'" in err and "wgan_gp" in err
    assert not (tmp_path / "r").exists()
