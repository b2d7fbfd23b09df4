import numpy as np
import pytest

from keras_medgan.evaluate import fid as fid_mod


def test_identical_activations_give_zero():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((200, 8))
    assert fid_mod.fid_from_features(f, f) == pytest.approx(0.0, abs=1e-8)


def test_closed_form_for_1d_gaussians():
    # (μ1-μ2)² + σ1² + σ2² - 2σ1σ2 = (μ1-μ2)² + (σ1-σ2)²
    assert fid_mod.frechet_distance(1.0, 4.0, -2.0, 9.0) == pytest.approx(9.0 + 1.0)


def test_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert fid_mod.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)
    assert expected == pytest.approx(5.0 + 1.0 + 1.0 + 4.0)


def test_fid_of_samples_approaches_the_closed_form():
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, (20000, 2))
    b = rng.normal([3.0, 0.0], [2.0, 1.0], (20000, 2))
    assert fid_mod.fid_from_features(a, b) == pytest.approx(9.0 + 1.0, rel=0.03)


def test_kid_is_unbiased_for_identical_distributions():
    rng = np.random.default_rng(2)
    means = []
    for seed in range(20):
        a = rng.standard_normal((60, 4))
        b = rng.standard_normal((60, 4))
        means.append(
            fid_mod.kid_from_features(a, b, num_subsets=10, subset_size=50, seed=seed)["mean"]
        )
    means = np.array(means)
    # unbiased: the average over repeats is ~0 (within 3 standard errors), values go negative too
    assert abs(means.mean()) < 3 * means.std(ddof=1) / np.sqrt(len(means))
    assert (means < 0).any()


def test_kid_mmd_matches_a_hand_computation():
    x = np.array([[1.0], [2.0]])
    y = np.array([[0.0], [1.0]])
    k = lambda a, b: (a * b + 1.0) ** 3
    expected = k(1, 2) * 2 / 2 + k(0, 1) * 2 / 2 - 2 * (k(1, 0) + k(1, 1) + k(2, 0) + k(2, 1)) / 4
    assert fid_mod.polynomial_mmd2_unbiased(x, y) == pytest.approx(expected)


def test_kid_detects_a_shift():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((100, 4)), rng.standard_normal((100, 4)) + 1.0
    assert fid_mod.kid_from_features(a, b, num_subsets=5, seed=0)["mean"] > 0.1


def test_bootstrap_ci_brackets_the_value_and_halves_are_disjoint():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((80, 3)), rng.standard_normal((80, 3)) + 0.5
    value = fid_mod.fid_from_features(a, b)
    ci = fid_mod.bootstrap_distance(a, b, fid_mod.fid_from_features, num_bootstrap=60, seed=0)
    assert ci["low"] < value < ci["high"]
    h1, h2 = fid_mod.split_halves(11, seed=0)
    assert len(h1) == len(h2) == 5 and not set(h1) & set(h2)


def test_matches_scipy_sqrtm_and_survives_singular_covariances():
    from scipy import linalg

    rng = np.random.default_rng(5)
    a = rng.standard_normal((400, 5))
    b = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 5)) + 0.3
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    ref = (
        np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(np.real(linalg.sqrtm(s1 @ s2)))
    )
    assert fid_mod.fid_from_features(a, b) == pytest.approx(ref, rel=1e-9)
    # 10 samples in 50 dimensions (rank-deficient) and two dead units: finite, and 0 on itself
    c = rng.standard_normal((10, 50))
    c[:, :2] = 0.0
    assert np.isfinite(fid_mod.fid_from_features(c, c[::-1] + 1.0))
    assert fid_mod.fid_from_features(c, c) == pytest.approx(0.0, abs=1e-9)
