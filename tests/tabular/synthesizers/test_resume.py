"""Synthesizer.fit(checkpoint_dir=...): a fit killed mid-epoch and started again ends with the weights
of an uninterrupted fit without repeating a finished epoch; a finished fit is not retrained; a
checkpoint of other arguments and bad input are refused before anything is written."""

import subprocess
import sys

import numpy as np
import pytest

from genlab.checkpoint import finished_epochs
from genlab.errors import InputShapeError, PathExistsError
from tabular.synthesizers import AEGANConfig, CTGANConfig, DiffusionConfig, GANConfig, Synthesizer

from ..conftest import mixed_frame
from .resume_job import CONFIG, synthesizer
from ...conftest import Count, Stop


def assert_same_weights(a, b):
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """mixed_frame(300) as three Parquet files of 50-row groups: a streamed fit."""
    folder = tmp_path_factory.mktemp("table")
    frame = mixed_frame(300, seed=1)
    for i in range(3):
        frame.iloc[100 * i:100 * (i + 1)].to_parquet(folder / f"part{i}.parquet", index=False, row_group_size=50)
    return folder


def test_fit_killed_mid_epoch_resumes_to_the_uninterrupted_weights(tmp_path, table):
    checkpoint = tmp_path / "ckpt"
    killed = subprocess.Popen([sys.executable, "-m", "tests.tabular.synthesizers.resume_job", str(table),
                               str(checkpoint), "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        reference = synthesizer().fit(str(table))  # uninterrupted, no checkpoint: while the other process runs
    finally:
        _, stderr = killed.communicate(timeout=600)
    assert killed.returncode == -9, stderr[-2000:]  # SIGKILL, in the middle of epoch 2
    assert finished_epochs(checkpoint / "train") == 2
    count = Count()
    resumed = synthesizer().fit(str(table), checkpoint_dir=checkpoint, callbacks=[count])
    assert count.epochs == [2, 3]  # the two finished epochs are not repeated
    assert_same_weights(resumed, reference)
    assert len(resumed.history_["loss"]) == CONFIG.epochs
    np.testing.assert_allclose(resumed.history_["loss"], reference.history_["loss"], rtol=1e-6)
    assert resumed.sample(50, seed=0).equals(reference.sample(50, seed=0))

    again = Count()
    loaded = synthesizer().fit(str(table), checkpoint_dir=checkpoint, callbacks=[again])
    assert again.epochs == []  # finished: loaded, not retrained
    assert_same_weights(loaded, reference)


@pytest.mark.parametrize("method", ["ctgan", "gan", "gan_ema", "ae_gan", "diffusion_cosine"])
def test_interrupted_fit_resumes_for_every_kind_of_method(tmp_path, method):
    frame = mixed_frame(120, seed=2)
    config = {"ctgan": CTGANConfig(epochs=3, batch_size=40, latent_dim=4, generator_dims=(8,), critic_dims=(8,),
                                   pac=5),
              "gan": GANConfig(epochs=4, batch_size=40, latent_dim=4, generator_layers=(8,),
                               discriminator_layers=(8,), warmup=1, patience=1),
              # the generator's moving average lives in its optimizer: a backup without it resumes another average
              "gan_ema": GANConfig(epochs=4, batch_size=40, latent_dim=4, generator_layers=(8,),
                                   discriminator_layers=(8,), warmup=1, patience=1, ema_momentum=0.9),
              "ae_gan": AEGANConfig(epochs=3, batch_size=40, latent_dim=3, ae_hidden=(8,), ae_epochs=3,
                                    ae_patience=1, noise_dim=3, gan_hidden=(8,)),
              # the decay spans the whole fit: a resumed fit that counted only its remaining epochs decays faster
              "diffusion_cosine": DiffusionConfig(updates=45, batch_size=40, width=8, depth=1, steps=2,
                                                  lr_schedule="cosine", learning_rate=0.05)}[method]

    def make():
        return Synthesizer(method.removesuffix("_ema").removesuffix("_cosine"), config, seed=0)

    with pytest.raises(RuntimeError, match="stopped"):
        make().fit(frame, checkpoint_dir=tmp_path, callbacks=[Stop(1)])
    count = Count()
    resumed = make().fit(frame, checkpoint_dir=tmp_path, callbacks=[count])
    assert count.epochs[0] == 1 and 0 not in count.epochs
    reference = make().fit(frame)
    assert_same_weights(resumed, reference)
    # early stopping (gan) keeps its counters: the same epochs run
    assert {k: len(v) for k, v in resumed.history_.items()} == {k: len(v) for k, v in reference.history_.items()}


def test_other_arguments_and_bad_input_are_refused_before_writing(tmp_path, table):
    # Catches a checkpoint reused by another fit, and a bad table found only after the fit has
    # created its checkpoint folder (or half-way through training).
    frame = mixed_frame(60, seed=0)
    small = CTGANConfig(epochs=1, batch_size=20, latent_dim=4, generator_dims=(8,), critic_dims=(8,), pac=5)
    Synthesizer("ctgan", small, seed=0).fit(frame, checkpoint_dir=tmp_path / "a")
    with pytest.raises(PathExistsError, match=r"other \['data', 'seed'\]"):
        Synthesizer("ctgan", small, seed=1).fit(mixed_frame(60, seed=5), checkpoint_dir=tmp_path / "a")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(PathExistsError, match="not a fit checkpoint"):
        Synthesizer("ctgan", small).fit(frame, checkpoint_dir=tmp_path / "other")
    with pytest.raises(InputShapeError, match="no such file"):
        Synthesizer("ctgan", small).fit(str(tmp_path / "missing.parquet"), checkpoint_dir=tmp_path / "b")
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in table.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    mixed_frame(20).drop(columns="price").to_parquet(bad / "part9.parquet")
    with pytest.raises(InputShapeError, match=r"part9.parquet: its columns differ.*missing \['price'\]"):
        Synthesizer("ctgan", small).fit(str(bad), checkpoint_dir=tmp_path / "c")
    (bad / "part9.parquet").write_bytes(b"PAR1 truncated")  # unreadable
    with pytest.raises(InputShapeError, match=r"part9.parquet: cannot be read as parquet"):
        Synthesizer("ctgan", small).fit(str(bad), checkpoint_dir=tmp_path / "d")
    assert not any((tmp_path / name).exists() for name in "bcd")
