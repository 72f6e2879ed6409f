import math

import keras
import numpy as np
import pytest
from scipy import stats

from genlab.errors import ConfigError
from genlab.export import reload_and_compare
from vaec import VAEC, LatentDomain, VAECConfig


def test_domain_math_on_a_known_gaussian():
    rng = np.random.default_rng(0)
    n = 200_000
    z = rng.normal(size=(n, 2)) * 2.0 + [1.0, -1.0]       # sampled z: centre (1, -1), sigma 2
    zm = rng.normal(size=(n, 2)) * [0.5, 1.0] + [1.0, -1.0]
    dom = LatentDomain.fit(z, zm, k=3.0)
    np.testing.assert_allclose(dom.centre, [1, -1], atol=0.02)
    assert dom.sigma == pytest.approx(2.0, rel=0.01)
    pts = np.array([[1.0, -1.0], [1.0 + 6.0, -1.0], [1.0, -1.0 + 6.0 + 0.2], [1.0 + 1.0, -1.0]])
    s = dom.score(pts)
    np.testing.assert_allclose(s.distance, [0.0, 3.0, 3.1, 0.5], atol=0.03)
    np.testing.assert_array_equal(s.in_domain, [True, True, False, True])
    np.testing.assert_allclose(s.distance_p_value, stats.chi2.sf(np.square(s.distance), 2), rtol=1e-4)
    assert s.distance_p_value[1] == pytest.approx(math.exp(-4.5), rel=0.03)  # chi2_2 sf at 9
    # per-dimension two-sided tests: 12 sd and 2 sd off in dim 0; 0 and 6.2 sd in dim 1
    want = 2 * stats.norm.sf(np.abs((pts - [1, -1]) / [0.5, 1.0]))
    np.testing.assert_allclose(s.p_values, want, rtol=0.05, atol=1e-9)
    np.testing.assert_allclose(s.confidence, np.minimum(1, 2 * want.min(axis=1)), rtol=0.05, atol=1e-9)


def test_small_n_uses_student_t():
    zm = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    dom = LatentDomain.fit(zm, zm)
    s = dom.score(np.array([[6.0]]))
    t = (6.0 - 2.0) / (np.std(zm, ddof=1) * math.sqrt(1 + 1 / 5))
    assert s.p_values[0, 0] == pytest.approx(2 * stats.t.sf(t, df=4), rel=1e-4)


def test_domain_json_and_errors():
    rng = np.random.default_rng(1)
    dom = LatentDomain.fit(rng.normal(size=(50, 3)), rng.normal(size=(50, 3)), k=2.5)
    back = LatentDomain.from_json(dom.to_json())
    np.testing.assert_allclose(back.score(np.ones((2, 3))).p_values, dom.score(np.ones((2, 3))).p_values)
    with pytest.raises(ConfigError, match=r"shape \(n, 3\)"):
        dom.score(np.ones((2, 2)))
    with pytest.raises(ConfigError, match="k must be > 0"):
        LatentDomain.fit(np.ones((5, 2)), np.ones((5, 2)), k=0)


def test_vaec_domain_scores_and_export(tmp_path):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    x = StandardScaler().fit_transform(data.data).astype(np.float32)
    model = VAEC(VAECConfig(input_shape=(30,), n_classes=2, encoder_layers=(8,), head_layers=(6,)))
    model.fit_var_mlp_classifier(x, data.target, epochs=2, verbose=0)
    domain = model.fit_domain(x)
    far = x[:5] * 50.0                                     # far outside the training range
    assert domain.score(far).distance.mean() > domain.score(x[:5]).distance.mean()
    # reconstruction p-value: empirical, (count of training errors >= e, + 1) / (n + 1)
    s_train = domain.score(x)
    np.testing.assert_allclose(
        s_train.reconstruction_p_value,
        [(np.sum(domain.train_errors >= e - 1e-4) + 1) / (len(x) + 1) for e in s_train.reconstruction_error],
        atol=2.0 / len(x))
    assert domain.score(far).reconstruction_p_value.max() == pytest.approx(1 / (len(x) + 1))
    # typicality: two-sided empirical p of the distance among the training distances
    d = s_train.distance.astype(np.float64)
    ref = domain.train_distances
    lo = (np.searchsorted(ref, d, side="right") + 1) / (len(ref) + 1)
    hi = (len(ref) - np.searchsorted(ref, d, side="left") + 1) / (len(ref) + 1)
    np.testing.assert_allclose(s_train.typicality_p_value, np.minimum(1, 2 * np.minimum(lo, hi)),
                               atol=3.0 / len(x))
    # only var_mlp_classifier ran: the untrained decoder is left out of the combination
    assert not domain.use_reconstruction
    np.testing.assert_allclose(
        s_train.combined_p_value,
        np.minimum(1, 3 * np.minimum.reduce([s_train.confidence, s_train.typicality_p_value,
                                             s_train.neighbour_p_value])), atol=1e-6)
    plain = model.fit_domain(x, neighbours=None).score(x)  # without the neighbour test: two tests
    assert plain.neighbour_p_value is None
    np.testing.assert_allclose(
        plain.combined_p_value, np.minimum(1, 2 * np.minimum(plain.confidence, plain.typicality_p_value)), atol=1e-6)

    model.export(tmp_path / "export", domain=domain)
    s = domain.score(x[:8])
    z_mean, z_log_var, _ = model.encode(x[:8])
    reload_and_compare(tmp_path / "export", x[:8], {
        "probabilities": model.predict(x[:8], verbose=0), "z_mean": z_mean, "z_log_var": z_log_var,
        "distance": s.distance, "p_values": s.p_values, "confidence": s.confidence}, atol=1e-5)
    # the reconstruction error is a sum over 30 features: compare it at float32 precision
    got = reload_and_compare(tmp_path / "export", x[:8], {
        "distance": s.distance, "p_values": s.p_values, "confidence": s.confidence,
        "distance_p_value": s.distance_p_value, "in_domain": s.in_domain,
        "reconstruction_error": s.reconstruction_error, "typicality_p_value": s.typicality_p_value,
        "reconstruction_p_value": s.reconstruction_p_value, "combined_p_value": s.combined_p_value},
        atol=1e-4)
    assert got["in_domain"].dtype == bool
    model.fit_autoencoder(x, epochs=1, verbose=0)  # a trained decoder joins the combination
    assert model.fit_domain(x).use_reconstruction


def test_class_domain_on_known_clusters():
    from vaec import ClassDomain

    rng = np.random.default_rng(2)
    n = 100_000
    cov = np.array([[4.0, 1.0], [1.0, 1.0]])               # shared within-class covariance
    noise = rng.multivariate_normal([0, 0], cov, size=2 * n)
    labels = np.r_[np.zeros(n, int), np.ones(n, int)]
    z = noise + np.where(labels[:, None] == 0, [0.0, 0.0], [20.0, 0.0])
    dom = ClassDomain.fit(z, labels)
    np.testing.assert_allclose(dom.means, [[0, 0], [20, 0]], atol=0.03)
    pts = np.array([[0.0, 0.0], [20.0, 2.0], [10.0, 0.0], [1.0, 3.0]])
    inv = np.linalg.inv(cov)
    want = [min(np.sqrt((p - m) @ inv @ (p - m)) for m in ([0, 0], [20, 0])) for p in pts]
    np.testing.assert_allclose(dom.distances(pts), want, rtol=0.01, atol=0.01)
    # the midpoint between the clusters is central for one Gaussian but far from every class
    single = LatentDomain.fit(z, z)
    assert single.score(pts[2:3]).distance[0] < 1.0 < 4.0 < dom.distances(pts[2:3])[0]
    with pytest.raises(ConfigError, match="class 1 has 1 training row"):
        ClassDomain.fit(np.zeros((4, 2)), [0, 0, 0, 1])


def test_vaec_domain_with_labels_adds_the_class_test(tmp_path):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    keras.utils.set_random_seed(0)
    data = load_breast_cancer()
    x = StandardScaler().fit_transform(data.data).astype(np.float32)
    model = VAEC(VAECConfig(input_shape=(30,), n_classes=2, encoder_layers=(8,), head_layers=(6,)))
    model.fit_var_mlp_classifier(x, data.target, epochs=2, verbose=0)
    domain = model.fit_domain(x, data.target)
    s = domain.score(x)
    z_mean = model.encode(x)[0]
    np.testing.assert_allclose(s.class_distance, domain.classes.distances(z_mean), rtol=1e-4, atol=1e-5)
    want_p = (np.array([np.sum(domain.train_class_distances >= d - 1e-5) for d in s.class_distance]) + 1) / (
        len(x) + 1)
    np.testing.assert_allclose(s.class_p_value, want_p, atol=2.0 / len(x))
    # four tests now (per-dimension, typicality, neighbour, class): Bonferroni over all four
    np.testing.assert_allclose(
        s.combined_p_value,
        np.minimum(1, 4 * np.minimum.reduce([s.confidence, s.typicality_p_value, s.neighbour_p_value,
                                             s.class_p_value])), atol=1e-6)
    far = domain.score(x[:50] * 50.0)                      # far outside the training range
    assert np.median(far.class_distance) > s.class_distance.max()
    assert np.median(far.class_p_value) == pytest.approx(1 / (len(x) + 1))
    model.export(tmp_path / "export", domain=domain)
    reload_and_compare(tmp_path / "export", x[:8], {"class_distance": s.class_distance[:8],
                                                    "class_p_value": s.class_p_value[:8],
                                                    "neighbour_distance": s.neighbour_distance[:8],
                                                    "neighbour_p_value": s.neighbour_p_value[:8],
                                                    "combined_p_value": s.combined_p_value[:8]}, atol=1e-4)
    with pytest.raises(Exception, match="y"):
        model.fit_domain(x, data.target[:10])


def test_neighbour_domain_matches_brute_force_and_leaves_one_out():
    from vaec import NeighbourDomain

    rng = np.random.default_rng(3)
    z = rng.normal(size=(300, 4)) * [1.0, 2.0, 0.5, 1.0] + 0.3
    dom, calib = NeighbourDomain.fit(z, k=5)
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    queries = rng.normal(size=(7, 4))
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    brute = np.sort(np.linalg.norm(q[:, None] - unit[None], axis=-1), axis=1)[:, 4]
    np.testing.assert_allclose(dom.distance_tensor(queries).numpy(), brute, atol=1e-5)
    # a training row is its own nearest neighbour: calibration skips it (leave-one-out)
    own = np.sort(np.linalg.norm(unit[:, None] - unit[None], axis=-1), axis=1)[:, 5]
    np.testing.assert_allclose(calib, own, atol=1e-5)
    # a subsampled reference keeps max_reference rows; rows outside it use the k-th neighbour
    small, calib_small = NeighbourDomain.fit(z, k=5, max_reference=100)
    assert small.reference.shape == (100, 4)
    in_ref = (np.abs(unit[:, None] - small.reference[None]).sum(-1) < 1e-6).any(1)
    assert in_ref.sum() == 100
    d_all = np.sort(np.linalg.norm(unit[:, None] - small.reference[None], axis=-1), axis=1)
    np.testing.assert_allclose(calib_small, np.where(in_ref, d_all[:, 5], d_all[:, 4]), atol=1e-5)
    with pytest.raises(ConfigError, match="k >= 1"):
        NeighbourDomain.fit(z[:3], k=5)
