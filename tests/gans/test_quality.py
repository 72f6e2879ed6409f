"""Sample quality on 8x8 digits: the scores of a generator, the per-epoch tracker and its plot."""

import glob

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans import GAN, QualityTracker, mlp_critic, plot_quality, sample_quality, to_unit
from gans.metrics import classifier_frechet_distance
from genlab.errors import ConfigError, InputShapeError


class Replay:
    """A stand-in generator that returns real test digits.

    Asked for label ``l`` it returns a digit of class ``(l + offset) % 10``; unconditional, the
    digits of ``classes`` in turn. ``scale`` maps the [0, 1] images to the generator's range.
    """

    def __init__(self, digits, n_classes=0, offset=0, classes=range(10), scale=lambda x: x):
        self.x, self.y = digits.x_test, digits.y_test
        self.n_classes, self.offset, self.classes, self.scale = n_classes, offset, list(classes), scale

    def generate(self, n, labels=None):
        wanted = (np.asarray(labels) + self.offset) % 10 if labels is not None else \
            np.resize(self.classes, n)
        seen = np.zeros(10, int)  # successive examples of each class
        picks = []
        for c in wanted:
            members = np.flatnonzero(self.y == c)
            picks.append(members[seen[c] % len(members)])
            seen[c] += 1
        return self.scale(self.x[picks])


def test_to_unit_maps_ranges_and_clips():
    np.testing.assert_allclose(to_unit(np.array([-1.0, 0.0, 1.0, 1.5]), (-1, 1)), [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(to_unit(np.array([0.2, -0.1]), (0, 1)), [0.2, 0.0])
    with pytest.raises(ConfigError, match="low < high"):
        to_unit(np.zeros(2), (1, 1))


def test_conditional_accuracy_compares_the_requested_labels(classifier, digits):
    right = sample_quality(Replay(digits, n_classes=10), classifier, digits.x_train, n=100, image_range=(0, 1))
    wrong = sample_quality(Replay(digits, n_classes=10, offset=1), classifier, digits.x_train, n=100,
                           image_range=(0, 1))
    assert right["conditional_accuracy"] > 0.85 and wrong["conditional_accuracy"] < 0.2
    assert right["classes_covered"] == 10  # labels 0..9 were requested in turn


def test_unconditional_scores_follow_the_image_range_and_collapse(classifier, digits):
    n = 200
    real = sample_quality(Replay(digits), classifier, digits.x_train, n=n, image_range=(0, 1))
    tanh = sample_quality(Replay(digits, scale=lambda x: 2 * x - 1), classifier, digits.x_train, n=n,
                          image_range=(-1, 1))
    assert tanh["fd"] == pytest.approx(real["fd"], rel=1e-4) and real["conditional_accuracy"] is None
    # Scored in the wrong range, the same images look like other images.
    assert sample_quality(Replay(digits, scale=lambda x: 2 * x - 1), classifier, digits.x_train, n=n,
                          image_range=(0, 1))["fd"] > 2 * real["fd"]
    collapsed = sample_quality(Replay(digits, classes=[3]), classifier, digits.x_train, n=n, image_range=(0, 1))
    assert collapsed["classes_covered"] == 1 and real["classes_covered"] == 10
    assert collapsed["fd"] > 2 * real["fd"] and collapsed["max_class_fraction"] > 0.9
    expected = classifier_frechet_distance(classifier, digits.x_train[:n], Replay(digits).generate(n))
    assert real["fd"] == pytest.approx(expected, rel=1e-6)  # against the first n real images
    with pytest.raises(InputShapeError, match="fewer than n=500"):
        sample_quality(Replay(digits), classifier, digits.x_train[:100], n=500)


def tiny_image_gan():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64, activation="sigmoid"),
                                  keras.layers.Reshape((8, 8, 1))], name="generator")
    critic = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), mlp_critic(64, (8,))])
    return GAN(generator, critic, seed=0)


class Seen(keras.callbacks.Callback):
    """Records the logs that reach a callback listed after the tracker."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def test_quality_tracker_scores_every_epoch_of_fit(classifier, digits, tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model = tiny_image_gan()
    model.compile()
    tracker = QualityTracker(classifier, digits.x_test, n=50, image_range=(0, 1), log_dir=tmp_path / "q",
                             name="tiny")
    seen = Seen()
    best = keras.callbacks.ModelCheckpoint(tmp_path / "best.keras", monitor="fd", mode="min", save_best_only=True)
    model.fit(digits.x_train[:64], epochs=2, batch_size=32, verbose=0, callbacks=[tracker, seen, best])
    assert [h["epoch"] for h in tracker.history] == [1, 2]
    assert [round(s["fd"], 6) for s in seen.logs] == [round(h["fd"], 6) for h in tracker.history]
    assert best.best == pytest.approx(min(h["fd"] for h in tracker.history))  # kept the best epoch by FD
    assert (tmp_path / "best.keras").exists()
    assert "conditional_accuracy" not in seen.logs[0]  # unconditional: nothing to log
    assert "tiny epoch 2: FD" in capsys.readouterr().out
    events = glob.glob(str(tmp_path / "q" / "events.out.tfevents.*"))
    steps = sorted(ev.step for e in events for ev in tf.compat.v1.train.summary_iterator(e)
                   for v in ev.summary.value if v.tag == "quality/fd")
    assert steps == [1, 2]
    assert tracker.seconds > 0
    with pytest.raises(InputShapeError, match="fewer than n=500"):
        QualityTracker(classifier, digits.x_test[:100], n=500)


def test_plot_quality_draws_one_line_per_model_and_the_floor():
    history = [{"epoch": 1, "fd": 3.0, "conditional_accuracy": None},
               {"epoch": 2, "fd": 2.0, "conditional_accuracy": None}]
    conditional = [{**h, "conditional_accuracy": 0.5 + 0.1 * h["epoch"]} for h in history]
    fig = plot_quality({"a": history, "b": conditional}, fd_real=1.0, n=50, target_accuracy=0.97)
    fd_axis, acc_axis = fig.axes
    assert [line.get_label() for line in fd_axis.get_lines()] == ["a", "b", "real vs real"]
    assert [line.get_label() for line in acc_axis.get_lines()] == ["b", "97% target"]
    np.testing.assert_allclose(acc_axis.get_lines()[0].get_ydata(), [0.6, 0.7])
