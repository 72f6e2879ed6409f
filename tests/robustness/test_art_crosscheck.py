"""Cross-check of genlab's FGSM and PGD against the Adversarial Robustness Toolbox (IBM ART).

Issue requirement: on the same model and data, the accuracies under genlab's attacks and ART's
agree within 1 percentage point. ART is a test extra (``pip install genlab[test]``); the module is
skipped without it. Both sides attack the session digits CNN (softmax output) with the same
loss (sparse cross-entropy on the probabilities), true labels, clip range [0, 1], and for PGD the
same steps and step size with no random start, so the attacks are deterministic.
"""

import numpy as np
import pytest

art = pytest.importorskip("art")

import keras  # noqa: E402
from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent  # noqa: E402
from art.estimators.classification import TensorFlowV2Classifier  # noqa: E402

from robustness.attacks import fgsm, pgd  # noqa: E402
from tests.robustness.conftest import accuracy  # noqa: E402

EPSILON = 0.1
PGD_STEPS = 10
PGD_STEP_SIZE = 2.5 * EPSILON / PGD_STEPS
TOLERANCE = 0.01  # one percentage point


@pytest.fixture(scope="module")
def art_classifier(digits_cnn):
    return TensorFlowV2Classifier(
        model=digits_cnn, nb_classes=10, input_shape=(8, 8, 1),
        loss_object=keras.losses.SparseCategoricalCrossentropy(), clip_values=(0.0, 1.0))


def _one_hot(y):
    return np.eye(10, dtype=np.float32)[y]


def test_fgsm_accuracy_matches_art(digits, digits_cnn, art_classifier):
    x, y = digits.x_test, digits.y_test
    ours = fgsm(digits_cnn, x, y, EPSILON)
    theirs = FastGradientMethod(art_classifier, norm=np.inf, eps=EPSILON, batch_size=len(x)).generate(
        x, y=_one_hot(y))
    acc_ours, acc_theirs = accuracy(digits_cnn, ours, y), accuracy(digits_cnn, theirs, y)
    print(f"FGSM eps {EPSILON}: genlab {acc_ours:.4f}, ART {acc_theirs:.4f}")
    assert acc_ours < accuracy(digits_cnn, x, y) - 0.1  # the attack does something
    assert abs(acc_ours - acc_theirs) <= TOLERANCE
    # Same method, same gradient signs: the examples themselves coincide almost everywhere.
    assert np.mean(np.isclose(ours, theirs, atol=1e-5)) > 0.99


def test_pgd_accuracy_matches_art(digits, digits_cnn, art_classifier):
    x, y = digits.x_test, digits.y_test
    ours = pgd(digits_cnn, x, y, EPSILON, steps=PGD_STEPS, step_size=PGD_STEP_SIZE, random_start=False)
    attack = ProjectedGradientDescent(art_classifier, norm=np.inf, eps=EPSILON, eps_step=PGD_STEP_SIZE,
                                      max_iter=PGD_STEPS, num_random_init=0, batch_size=len(x),
                                      verbose=False)
    theirs = attack.generate(x, y=_one_hot(y))
    acc_ours, acc_theirs = accuracy(digits_cnn, ours, y), accuracy(digits_cnn, theirs, y)
    print(f"PGD eps {EPSILON}, {PGD_STEPS} steps of {PGD_STEP_SIZE}: genlab {acc_ours:.4f}, "
          f"ART {acc_theirs:.4f}")
    assert acc_ours <= accuracy(digits_cnn, fgsm(digits_cnn, x, y, EPSILON), y) + 0.02
    assert abs(acc_ours - acc_theirs) <= TOLERANCE
    assert np.abs(theirs - x).max() <= EPSILON + 1e-6
