"""scikit-learn's estimator checks on VAECClassifier (tiny networks and epochs).

Every check of ``check_estimator`` runs under ``-m slow`` (about 2.5 CPU minutes: each check fits
a new Keras model, whose first step is traced). The default run keeps the checks that fit
nothing and the fitting checks that guard the contract most often broken: training accuracy,
pickling, idempotent fits, feature-count and NaN checks, parameters left untouched.
"""

import pytest
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

from vaec.estimator import VAECClassifier

TINY = VAECClassifier(latent_dim=2, encoder_layers=(8,), head_layers=(8,), learning_rate=1e-2,
                      batch_size=32, epochs=10, patience=3, random_state=0)

FAST_CHECKS = [
    # no fitting, or an error before any training
    ec.check_estimator_cloneable, ec.check_estimator_repr, ec.check_no_attributes_set_in_init,
    ec.check_get_params_invariance, ec.check_set_params, ec.check_parameters_default_constructible,
    ec.check_do_not_raise_errors_in_init_or_set_params, ec.check_estimators_unfitted,
    ec.check_transformers_unfitted, ec.check_mixin_order, ec.check_valid_tag_types,
    ec.check_estimator_sparse_array, ec.check_classifiers_one_label, ec.check_fit2d_1sample,
    ec.check_classifiers_regression_target, ec.check_estimators_empty_data_messages,
    ec.check_complex_data, ec.check_requires_y_none, ec.check_fit1d,
    # fitting
    ec.check_classifiers_train, ec.check_estimators_pickle, ec.check_fit_idempotent,
    ec.check_n_features_in_after_fitting, ec.check_estimators_nan_inf,
    ec.check_dont_overwrite_parameters, ec.check_dict_unchanged,
]


@pytest.mark.parametrize("check", FAST_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_checks_subset(check):
    check("VAECClassifier", TINY)


@pytest.mark.slow
@parametrize_with_checks([TINY])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
