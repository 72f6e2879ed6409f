"""VAE + classifier ("VAEC"): Sampling layer, per-dimension KL, training strategies, latent plots.

Example:
    >>> from vaec import VAEC, VAECConfig
    >>> model = VAEC(VAECConfig(input_shape=(30,), n_classes=2, latent_dim=2))
    >>> model.fit_var_mlp_classifier(x_train, y_train, epochs=100)
    >>> model.export("export/vaec")

``vaec.VAECClassifier`` is the scikit-learn estimator around it; its guide and cross-validated
benchmark are in ``docs/vaec.md``.
"""

from vaec.config import VAECConfig
from vaec.domain import ClassDomain, Domain, DomainScore, LatentDomain, NeighbourDomain
from vaec.estimator import BestValidationWeights, VAECClassifier
from vaec.latent import LatentPlotCallback, latent_figure
from vaec.losses import (kl_loss, kl_per_dimension, prediction_loss, reconstruction_error,
                         reconstruction_loss)
from vaec.m2 import M2, m1_posterior, paired_dataset
from vaec.model import VAEC, build_classifier_head, build_decoder, build_encoder
from vaec.sampling import Sampling
from vaec.representation import (latent_size_figure, latent_size_study, max_latent_correlation,
                                  set_encoder_trainable, transfer_classifier, transfer_study)
from vaec.semisup import CLASSIFIERS, M1, M1Config, balanced_label_indices

__all__ = [
    "VAEC", "VAECConfig", "VAECClassifier", "BestValidationWeights", "ClassDomain", "Domain", "DomainScore", "LatentDomain", "NeighbourDomain", "Sampling", "kl_loss", "kl_per_dimension", "prediction_loss",
    "reconstruction_error", "reconstruction_loss", "LatentPlotCallback", "latent_figure", "build_encoder",
    "build_decoder", "build_classifier_head", "M1", "M1Config", "CLASSIFIERS",
    "balanced_label_indices", "M2", "paired_dataset", "m1_posterior", "max_latent_correlation", "latent_size_study",
    "latent_size_figure", "transfer_classifier", "set_encoder_trainable", "transfer_study",
]
