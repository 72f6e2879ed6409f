"""VAEC.fit_strategy(checkpoint_dir=...): a pipeline killed in its second stage and started again
skips the finished stage, resumes the other after its last finished epoch and ends with the weights
of an uninterrupted pipeline; a finished pipeline is not retrained; other arguments are refused."""

import keras
import numpy as np
import pytest

from genlab.checkpoint import fit_finished
from genlab.errors import ConfigError, PathExistsError
from tests.conftest import Count, Stop
from tests.genlab.fit_resume_job import EPOCHS, images, train
from tests.genlab.resume_helpers import assert_same_weights, killed_then_resumed


def test_pipeline_killed_in_its_second_stage_resumes_to_the_uninterrupted_weights(tmp_path):
    # Deterministic mode, SIGKILL in epoch 1 of classifier_head: the autoencoder stage had finished.
    resumed, reference = killed_then_resumed(tmp_path, "vaec", 1, lambda ckpt: ckpt / "classifier_head" / "train")
    assert fit_finished(tmp_path / "ckpt" / "autoencoder" / "train")
    assert list(resumed["epochs_autoencoder"]) == []  # finished: restored, not retrained
    assert list(resumed["epochs_classifier_head"]) == [1, 2]  # epoch 0 is not repeated
    assert list(reference["epochs_classifier_head"]) == [0, 1, 2]
    assert_same_weights(resumed, reference)


def test_stage_stopped_in_process_resumes_and_a_finished_pipeline_is_not_retrained(tmp_path):
    reference, ref_history = train("vaec", tmp_path / "ref")
    with pytest.raises(RuntimeError, match="stopped"):
        train("vaec", tmp_path / "b", lambda stage: [Stop(1)] if stage == "autoencoder" else [])
    counts = {}
    resumed, history = train("vaec", tmp_path / "b", lambda stage: [counts.setdefault(stage, Count())])
    assert counts["autoencoder"].epochs == [1, 2] and counts["classifier_head"].epochs == [0, 1, 2]
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    # the returned histories hold every epoch, the one before the stop too (the weights are equal bit for
    # bit; an epoch's mean loss may differ in its last float32 bit: threaded reductions without
    # deterministic ops; a repeated, missing or differently batched epoch moves it by far more)
    np.testing.assert_allclose(history["autoencoder"].history["loss"], ref_history["autoencoder"].history["loss"],
                               rtol=1e-6)
    assert len(history["autoencoder"].epoch) == EPOCHS

    again = {}
    finished, history = train("vaec", tmp_path / "b", lambda stage: [again.setdefault(stage, Count())])
    assert again["autoencoder"].epochs == [] and again["classifier_head"].epochs == []
    for a, b in zip(reference.get_weights(), finished.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(history["classifier_head"].history["loss"],
                               ref_history["classifier_head"].history["loss"], rtol=1e-6)


def test_a_checkpoint_of_other_arguments_is_refused_before_training(tmp_path):
    x, y = images("vaec")
    train("vaec", tmp_path / "a", epochs=1)
    count = Count()
    with pytest.raises(PathExistsError, match=r"other \['epochs'\]"):
        train("vaec", tmp_path / "a", lambda stage: [count], epochs=2)
    model, _ = train("vaec", tmp_path / "b", epochs=1)
    with pytest.raises(PathExistsError, match=r"other \['data'\]"):
        model.fit_autoencoder(x[:40], epochs=1, batch_size=16, verbose=0, checkpoint_dir=tmp_path / "b",
                              callbacks=[count])
    with pytest.raises(PathExistsError, match=r"other \['model'\]"):  # another optimizer
        model.fit_autoencoder(x, epochs=1, batch_size=16, verbose=0, checkpoint_dir=tmp_path / "b",
                              optimizer=keras.optimizers.SGD(0.1), callbacks=[count])
    assert count.epochs == []
    with pytest.raises(ConfigError, match=r"cannot resume with \['steps_per_epoch'\]"):
        model.fit_classifier_head(x, y, epochs=1, steps_per_epoch=2, checkpoint_dir=tmp_path / "c")
