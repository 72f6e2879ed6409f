"""Saves are all-or-nothing even when the saving process is killed (``SIGKILL``) at a random time.

A subprocess saves two synthesizers in turn over one folder; it is killed at a random moment of a
save; the folder must then load as one of the two, complete (its state and its weights of the same
save), and no folder of the killed save may be left beside it. The default run kills 3 times; the
20-kill run is marked ``slow`` (``pytest -m slow``).

Bugs these tests catch: a save that writes its two files in place (a new ``synthesizer.json`` beside
an old ``model.keras``, refused at load by the checksums, so the test's load fails); a save killed
between moving the old save aside and moving the new one in (no folder left to load); temporary
folders that nothing removes.
"""

import subprocess
import sys
import time

import numpy as np
import pytest

from tabular.synthesizers import Synthesizer, TVAEConfig

from ..conftest import mixed_frame

CONFIG = TVAEConfig(epochs=1, batch_size=100, latent_dim=4, hidden=(16,), prior_components=2)


@pytest.fixture(scope="module")
def saves(tmp_path_factory):
    """Two saves with different weights and seeds: ``{seed: (folder, weights)}``."""
    folder, frame = tmp_path_factory.mktemp("saves"), mixed_frame(200)
    out = {}
    for seed in (1, 2):
        synth = Synthesizer("tvae", CONFIG, seed=seed).fit(frame)
        out[seed] = (synth.save(folder / f"s{seed}"), synth.model_.get_weights())
    return out


def _which(loaded, saves) -> int:
    """The seed of the save ``loaded`` is, checking its state and its weights belong together."""
    _, weights = saves[loaded.seed]
    assert all(np.array_equal(a, b) for a, b in zip(loaded.model_.get_weights(), weights))
    return loaded.seed


def kill_during_saves(saves, parent, kills: int, seed: int = 0) -> dict:
    """Kill the save loop ``kills`` times at random moments; check each time; return the figures."""
    rng = np.random.default_rng(seed)
    target = parent / "synth"
    figures = {"kills": 0, "saves_before_kill": [], "left_mid_save": 0, "loaded": {1: 0, 2: 0}}
    for _ in range(kills):
        job = subprocess.Popen([sys.executable, "-m", "tests.tabular.synthesizers.save_loop_job",
                                str(saves[1][0]), str(saves[2][0]), str(target)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = job.stdout.readline()  # the first save is complete: the target exists from now on
        assert line.startswith("saved"), job.stderr.read()[-2000:]
        seconds = float(line.split()[2])
        time.sleep(rng.uniform(0, 3 * seconds))  # somewhere in the next save(s)
        job.kill()
        job.wait()
        figures["kills"] += 1
        figures["saves_before_kill"].append(1 + sum(1 for _ in job.stdout))
        figures["left_mid_save"] += any(p.name.startswith(".") for p in parent.iterdir())
        figures["loaded"][_which(Synthesizer.load(target), saves)] += 1
        assert sorted(p.name for p in parent.iterdir()) == ["synth"]  # nothing of the killed save is left
    return figures


def test_three_kills_during_saves(saves, tmp_path):
    figures = kill_during_saves(saves, tmp_path, kills=3)
    assert figures["kills"] == 3


@pytest.mark.slow
def test_twenty_kills_during_saves(saves, tmp_path):
    figures = kill_during_saves(saves, tmp_path, kills=20, seed=1)
    print(f"\nkill-during-save figures: {figures}")
    assert figures["kills"] == 20
    assert figures["left_mid_save"] > 0  # some kills did land inside a save


def test_a_save_killed_between_its_two_renames_loads_the_earlier_save(saves, tmp_path):
    """The narrow window: the old save moved aside, the new one not yet moved in."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)  # the pid of a process that has ended
    target = Synthesizer.load(saves[1][0]).save(tmp_path / "synth")
    target.rename(tmp_path / f".synth.old-{dead}-0123")
    (tmp_path / f".synth.tmp-{dead}-abcd").mkdir()  # the new save, complete or not
    (tmp_path / f".synth.tmp-{dead}-abcd" / "model.keras").write_bytes(b"PK")
    assert _which(Synthesizer.load(tmp_path / "synth"), saves) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synth"]
