"""GAN-train / GAN-test on feature arrays, and class fidelity counts."""

import numpy as np
import pytest

from keras_medgan.compare.fidelity import class_agreement, pool_agreement
from keras_medgan.compare.gan_train import gan_train_test, svm_score


def _gaussians(n, seed, shift=1.5):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n)
    x = rng.normal(size=(2 * n, 5))
    x[y == 1, :2] += shift
    return x, y


def test_gan_train_with_resampled_real_matches_real_score():
    real_train, real_test = _gaussians(100, 0), _gaussians(100, 1)
    # "synthetic" = a bootstrap resample of the real training set: a perfect generator.
    idx = np.random.default_rng(2).integers(0, 200, 200)
    synthetic = (real_train[0][idx], real_train[1][idx])
    s = gan_train_test(real_train, real_test, synthetic)
    assert s["real"]["hm"] > 0.8
    assert s["gan_train"]["hm"] == pytest.approx(s["real"]["hm"], abs=0.05)
    assert s["gan_test"]["hm"] > 0.8


def test_gan_train_with_label_swapped_fakes_is_below_chance():
    real_train, real_test = _gaussians(100, 0), _gaussians(100, 1)
    synthetic = (real_train[0], 1 - real_train[1])
    s = gan_train_test(real_train, real_test, synthetic)
    assert s["gan_train"]["hm"] < 0.3 and s["gan_test"]["accuracy"] < 0.3


def test_svm_with_three_classes_reports_accuracy_only():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    x = rng.normal(size=(90, 3)) + 4.0 * np.eye(3)[y]
    s = svm_score(x, y, x, y)
    assert s["accuracy"] > 0.9 and s["hm"] is None


def test_svm_needs_both_classes():
    x, y = _gaussians(10, 0)
    with pytest.raises(ValueError, match="both classes"):
        svm_score(x[y == 0], y[y == 0], x, y)


def test_class_agreement_hand_counts_and_pooling():
    intended = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    predicted = [0, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    a = class_agreement(intended, predicted, ["normal", "hemorrhage"])
    assert a == {
        "normal": {"agree": 3, "n": 4, "rate": 0.75},
        "hemorrhage": {"agree": 2, "n": 6, "rate": 2 / 6},
    }
    pooled = pool_agreement([a, a], num_classes=2)
    assert pooled["hemorrhage"]["agree"] == 4 and pooled["hemorrhage"]["n"] == 12
    assert pooled["hemorrhage"]["chance"] == 0.5
    # P(X <= 4 or X >= 8 | n=12, p=.5) = 2 * 794/4096
    assert pooled["hemorrhage"]["binomial_pvalue_vs_chance"] == pytest.approx(2 * 794 / 4096)
