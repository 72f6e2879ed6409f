"""Robustness: adversarial attacks and training, imbalanced classification, learning-rate sweeps.

- :mod:`robustness.attacks`: FGSM, PGD (L-infinity) and targeted L1 noise against a classifier
  that outputs class probabilities (``from_logits=True`` for logits).
- :mod:`robustness.adversarial`: :class:`AdversarialTrainer` (FGSM / PGD examples in every
  ``train_step``) and :func:`robustness_curve` (accuracy against epsilon).
- :mod:`robustness.imbalance`: imbalanced subsets, class weights, balanced ``tf.data`` sampling,
  SMOTE, offline augmentation, :func:`train_classifier` combining them, per-class reports.
- :mod:`robustness.lr_sweep`: loss curves over a log grid of learning rates and the
  learning-rate range test.
"""

from robustness.adversarial import ATTACKS, AdversarialTrainer, plot_robustness_curves, robustness_curve
from robustness.attacks import (
    fgsm, fgsm_batch, input_gradient, pgd, pgd_batch, targeted_noise, targeted_noise_batch)
from robustness.imbalance import (
    DEFAULT_SHARES, REMEDIES, augment, augmenter, balanced_dataset, class_weights,
    classification_report, confusion_matrix_figure, default_model, make_imbalanced, report_rows, smote,
    train_classifier)
from robustness.lr_sweep import (
    OPTIMIZERS, RangeTestResult, lr_grid, lr_range_test, lr_sweep, make_optimizer, plot_loss_curves)
from robustness.models import mnist_cnn

__all__ = [
    # attacks
    "fgsm", "pgd", "targeted_noise", "fgsm_batch", "pgd_batch", "targeted_noise_batch", "input_gradient",
    # adversarial training
    "ATTACKS", "AdversarialTrainer", "robustness_curve", "plot_robustness_curves",
    # imbalance
    "DEFAULT_SHARES", "REMEDIES", "make_imbalanced", "class_weights", "balanced_dataset", "smote",
    "augmenter", "augment", "default_model", "train_classifier", "classification_report",
    "report_rows", "confusion_matrix_figure",
    # learning rates
    "OPTIMIZERS", "make_optimizer", "lr_grid", "lr_sweep", "plot_loss_curves", "lr_range_test",
    "RangeTestResult",
    # models
    "mnist_cnn",
]
