"""A long run resumes part by part: vaec_mnist (on a tiny stand-in for MNIST) stopped in its second
part, started again into the same --out, does not train its finished first part again, resumes the
second after its last finished epoch and reports what an uninterrupted run reports; other options
are refused; the command line still refuses a finished run."""

import json

import keras
import numpy as np
import pytest

from genlab import cli, data
from genlab.errors import PathExistsError
from genlab.runner import RunOptions
from runs import vaec_mnist

ONLY = ("all_parts", "mlp_classifier")


def tiny_mnist(data_dir=None):
    """64 training and 32 test 28x28 images in [0, 1] with a class signal: seconds, not minutes."""
    rng = np.random.default_rng(0)
    y = np.arange(96) % 10
    x = rng.uniform(0, 0.5, (96, 28, 28, 1)).astype(np.float32)
    for i, label in enumerate(y):
        x[i, 2 * label:2 * label + 4] += 0.5
    return data.Split(x[:64], y[:64], x[64:], y[64:], class_names=tuple(str(d) for d in range(10)))


class Recorder(keras.callbacks.Callback):
    """Stands in for the run's TensorBoard callback: records the epochs each fit trains, and stops
    (raises) at one (log folder, epoch), as a killed process would."""

    def __init__(self, path, log: dict, stop: dict):
        super().__init__()
        self.key = "/".join(path.parts[-2:])  # <part>/<strategy>
        self.log, self.stop, self.epoch = log, stop, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.log.setdefault(self.key, []).append(epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.stop.get("at") == (self.key, self.epoch):
            raise RuntimeError("stopped")


@pytest.fixture
def recorded(monkeypatch):
    monkeypatch.setattr(data, "mnist", tiny_mnist)
    log, stop = {}, {}
    monkeypatch.setattr(vaec_mnist, "scalar_callback", lambda path: Recorder(path, log, stop))
    return log, stop


def rows(out):
    """The results without the timings (which differ from run to run)."""
    return [{k: v for k, v in r.items() if k not in ("seconds", "images_per_second")}
            for r in json.loads((out / "results.json").read_text())]


def test_a_stopped_run_resumes_without_training_its_finished_part_again(tmp_path, recorded):
    log, stop = recorded
    options = RunOptions(out=str(tmp_path / "run"), quick=True, epochs=2, only=ONLY)
    stop["at"] = ("mlp_classifier/mlp_classifier", 1)  # in the second part's last epoch
    with pytest.raises(RuntimeError, match="stopped"):
        vaec_mnist.main(options)
    assert log == {"all_parts/all_parts": [0, 1], "mlp_classifier/mlp_classifier": [0, 1]}
    assert (tmp_path / "run" / "parts" / "all_parts.json").is_file()
    assert not (tmp_path / "run" / "results.json").exists()
    assert cli._out_problem(tmp_path / "run") is None  # a stopped run is taken again, not refused

    with pytest.raises(PathExistsError, match=r"epochs 2 \(now 3\)"):  # no silent mix of two settings
        vaec_mnist.main(RunOptions(out=str(tmp_path / "run"), quick=True, epochs=3, only=ONLY))
    log.clear()
    stop.clear()
    vaec_mnist.main(options)
    # the finished part is not trained again; the stopped one resumes at its unfinished epoch
    assert log == {"mlp_classifier/mlp_classifier": [1]}

    log.clear()
    vaec_mnist.main(RunOptions(out=str(tmp_path / "uninterrupted"), quick=True, epochs=2, only=ONLY))
    assert log == {"all_parts/all_parts": [0, 1], "mlp_classifier/mlp_classifier": [0, 1]}
    assert rows(tmp_path / "run") == rows(tmp_path / "uninterrupted")
    assert "holds a finished run" in cli._out_problem(tmp_path / "run")
