"""Two worker processes on loopback (MultiWorkerMirroredStrategy, started by genlab.launch) train a
synthesizer, a VAEC strategy and an image WGAN-GP and end with identical weights, equal to one
process trained on the same global batches.

With SGD, a missing replica scaling of any loss would make the workers' updates twice as large,
and a wrong data split (workers training on the same rows, or on rows another global batch holds)
would change the gradient; both move the weights beyond the tolerance of the other distribution
tests.
"""

import threading

import numpy as np
import pytest
import tensorflow as tf

from genlab.launch import launch
from tests.genlab import multiworker_job


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``(workers, single)``: the two workers' arrays and the one-process reference's.

    The reference trains in this process while the workers run (they are separate processes that
    spend much of their time starting up and waiting on each other).
    """
    out = tmp_path_factory.mktemp("multiworker")
    codes = []

    def run_workers():
        codes.extend(launch(["python", "-m", "tests.genlab.multiworker_job", str(out)], workers=2, log_dir=out,
                            timeout=600, env={"TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}))

    thread = threading.Thread(target=run_workers)
    thread.start()
    try:
        single = multiworker_job.run_all(tf.distribute.get_strategy())
    finally:
        thread.join()
    logs = "\n".join((out / f"worker-{i}.log").read_text()[-3000:] for i in range(2))
    assert codes == [0, 0], logs
    return [dict(np.load(out / f"worker-{i}.npz")) for i in range(2)], single


@pytest.fixture(scope="module")
def workers(runs):
    return runs[0]


@pytest.fixture(scope="module")
def single(runs):
    return runs[1]


def _weights(arrays: dict, name: str, when: str) -> list:
    keys = sorted((k for k in arrays if k.startswith(f"{name}_{when}_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    return [arrays[k] for k in keys]


@pytest.mark.parametrize("name", list(multiworker_job.FITS))
def test_two_workers_equal_one_process_on_the_same_global_batch(workers, single, name):
    assert all(int(w["replicas"]) == 2 for w in workers)
    initial = _weights(single, name, "initial")
    final = _weights(single, name, "final")
    for worker in workers:  # the same start: the comparison is of the training alone
        for a, b in zip(_weights(worker, name, "initial"), initial):
            np.testing.assert_allclose(a, b, atol=1e-7)
    first, second = (_weights(w, name, "final") for w in workers)
    assert len(first) == len(final)
    changed = 0
    for a, b, ref, w0 in zip(first, second, final, initial):
        np.testing.assert_allclose(a, b, atol=1e-6)  # synchronous: the workers hold the same weights
        np.testing.assert_allclose(a, ref, atol=2e-5, rtol=1e-4)
        changed += not np.allclose(ref, w0)
    assert changed >= 3
