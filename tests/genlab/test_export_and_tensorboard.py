import glob

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from genlab.export import ExportMismatchError, export_saved_model, reload_and_compare
from genlab.layers import build_mlp
from genlab.tensorboard import FigureLogger, doubling_epochs


def test_export_reload_and_compare(tmp_path, rng):
    model = build_mlp(4, [8], output_units=2)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    spec = [tf.TensorSpec((None, 4), tf.float32)]
    export_saved_model(tmp_path / "m", lambda t: {"y": model(t, training=False)}, spec, [model])
    got = reload_and_compare(tmp_path / "m", x, {"y": model.predict(x, verbose=0)})
    assert got["y"].shape == (6, 2)
    with pytest.raises(ExportMismatchError, match="max abs difference"):
        reload_and_compare(tmp_path / "m", x, {"y": model.predict(x, verbose=0) + 1.0})
    with pytest.raises(ExportMismatchError, match="no output 'z'"):
        reload_and_compare(tmp_path / "m", x, {"z": np.zeros((6, 2))})


def test_doubling_epochs():
    assert doubling_epochs(8, 100) == (8, 16, 32, 64)


def test_figure_logger_writes_images_at_chosen_epochs(tmp_path, rng):
    model = build_mlp(3, [4], output_units=1)
    model.compile("adam", "mse")

    def make(m, epoch):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, epoch])
        return fig

    cb = FigureLogger(make, tmp_path / "tb", "curve", epochs=(2, 3), png_dir=tmp_path / "png")
    model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), epochs=4, verbose=0, callbacks=[cb])
    assert cb.logged_epochs == [2, 3, 4]  # 4: the final epoch is always drawn
    assert sorted(p.split("/")[-1] for p in glob.glob(str(tmp_path / "png" / "*.png"))) == [
        "curve_epoch0002.png", "curve_epoch0003.png", "curve_epoch0004.png"]
    events = glob.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))
    tags = {v.tag for e in events for ev in tf.compat.v1.train.summary_iterator(e) for v in ev.summary.value}
    assert "curve" in tags
