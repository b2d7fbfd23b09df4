"""The classifier endpoints on hand-made predictions: log-loss, Brier, the validation
threshold, the detectable difference, and a case where accuracy at 0.5 and AUC disagree."""

import math

import numpy as np
import pytest
from scipy import stats as sp

from keras_medgan.compare.endpoints import average_metrics, score_predictions
from keras_medgan.evaluate import stats


def test_log_loss_and_brier_by_hand():
    y = [1, 0, 1]
    p1 = [0.8, 0.4, 0.5]
    assert stats.log_loss(y, p1) == pytest.approx(
        -(math.log(0.8) + math.log(0.6) + math.log(0.5)) / 3
    )
    assert stats.brier_score(y, p1) == pytest.approx((0.2**2 + 0.4**2 + 0.5**2) / 3)
    # the same numbers from an [N, 2] probability matrix
    probs = np.stack([1 - np.array(p1), p1], axis=1)
    assert stats.log_loss(y, probs) == pytest.approx(stats.log_loss(y, p1))
    assert stats.brier_score(y, probs) == pytest.approx(stats.brier_score(y, p1))
    # a sure mistake costs -log(1e-7), not infinity; a coin flip costs log 2 and 0.25
    assert stats.log_loss([1], [0.0]) == pytest.approx(-math.log(1e-7))
    assert stats.log_loss([0, 1], [0.5, 0.5]) == pytest.approx(math.log(2))
    assert stats.brier_score([0, 1], [0.5, 0.5]) == pytest.approx(0.25)


def test_log_loss_matches_sklearn():
    from sklearn.metrics import brier_score_loss
    from sklearn.metrics import log_loss as sk_log_loss

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = rng.uniform(0.01, 0.99, 200)
    assert stats.log_loss(y, p) == pytest.approx(sk_log_loss(y, p))
    assert stats.brier_score(y, p) == pytest.approx(brier_score_loss(y, p))


def test_youden_threshold_by_hand_and_ties_go_to_one_half():
    # perfectly separable at any cut between 0.2 and 0.3: the midpoint 0.25
    assert stats.choose_threshold([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.25)
    # sensitivity + specificity: cut at 0.35 gives 1 + 2/3, the best
    y, s = [0, 0, 0, 1, 1], [0.1, 0.3, 0.4, 0.35, 0.9]
    assert stats.choose_threshold(y, s, "youden") == pytest.approx(0.325)
    # every cut equally good (scores carry no information) → the candidate nearest 0.5
    t = stats.choose_threshold([0, 1, 0, 1], [0.2, 0.2, 0.8, 0.8])
    assert t == pytest.approx(0.5)
    assert stats.choose_threshold([0, 1], [0.3, 0.9], "fixed") == 0.5


def test_accuracy_rule_follows_the_class_balance_youden_does_not():
    # 8 negatives, 2 positives; one positive's score sits among the negatives'
    y = [0] * 8 + [1, 1]
    s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.62, 0.95]
    t_acc = stats.choose_threshold(y, s, "accuracy")
    t_youden = stats.choose_threshold(y, s, "youden")
    assert t_acc == pytest.approx(0.825)  # calls only the clear positive: accuracy 9/10
    assert t_youden == pytest.approx(0.61)  # both positives at the cost of 2 negatives


def test_one_class_validation_is_refused():
    with pytest.raises(ValueError, match="one class"):
        stats.choose_threshold([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="threshold rule"):
        stats.choose_threshold([0, 1], [0.2, 0.9], "median")


def test_accuracy_at_one_half_and_auc_disagree_the_validation_threshold_settles_it():
    """A ranks every positive above every negative but all its probabilities sit below
    0.5; B ranks worse but straddles 0.5. At 0.5, B looks better; AUC and log-loss see
    that A separates the classes; A's validation-chosen threshold recovers its accuracy."""
    y_test = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    a = np.array([0.05, 0.10, 0.15, 0.20, 0.30, 0.35, 0.40, 0.45])
    b = np.array([0.30, 0.40, 0.60, 0.45, 0.55, 0.70, 0.35, 0.80])
    y_val = np.array([0, 0, 1, 1])
    a_val = np.array([0.10, 0.20, 0.32, 0.40])  # the same scale: cut between 0.2 and 0.32
    b_val = np.array([0.30, 0.45, 0.55, 0.70])
    ma = score_predictions(y_test, np.stack([1 - a, a], 1), y_val, np.stack([1 - a_val, a_val], 1))
    mb = score_predictions(y_test, np.stack([1 - b, b], 1), y_val, np.stack([1 - b_val, b_val], 1))
    assert ma["accuracy_at_0.5"] == 0.5 and mb["accuracy_at_0.5"] == 0.75
    assert ma["auc"] == 1.0 and mb["auc"] == pytest.approx(12 / 16)
    assert ma["threshold"] == pytest.approx(0.26)
    assert ma["accuracy"] == 1.0 and ma["sensitivity"] == 1.0 and ma["specificity"] == 1.0
    assert mb["threshold"] == pytest.approx(0.5)  # B's validation cut
    assert mb["accuracy"] == 0.75


def test_without_validation_predictions_the_threshold_is_one_half_and_says_so():
    y = [0, 1, 1]
    p = np.array([[0.6, 0.4], [0.3, 0.7], [0.55, 0.45]])
    m = score_predictions(y, p)
    assert m["threshold"] == 0.5 and m["threshold_rule"].startswith("fixed")
    assert m["accuracy"] == pytest.approx(2 / 3) == m["accuracy_at_0.5"]
    assert m["confusion"] == [[1, 0], [1, 1]]


def test_average_metrics_is_the_mean_over_seeds_skipping_undefined():
    seeds = [
        {
            "auc": 0.8,
            "log_loss": 0.5,
            "accuracy": 0.7,
            "sensitivity": float("nan"),
            "threshold": 0.4,
            "confusion": [[1, 0], [0, 1]],
            "n": 2,
        },
        {
            "auc": 0.9,
            "log_loss": 0.3,
            "accuracy": 0.9,
            "sensitivity": 0.5,
            "threshold": 0.6,
            "confusion": [[0, 1], [0, 1]],
            "n": 2,
        },
    ]
    m = average_metrics(seeds)
    assert m["auc"] == pytest.approx(0.85) and m["log_loss"] == pytest.approx(0.4)
    assert m["sensitivity"] == 0.5 and m["threshold"] == pytest.approx(0.5)
    assert m["confusion"] == [[1, 1], [0, 2]] and m["seeds"] == 2
    assert m["brier"] is None


def test_corrected_mean_ci_by_hand():
    ci = stats.corrected_mean_ci([0.8, 0.9, 1.0], n_train=80, n_test=20, confidence=0.95)
    se = 0.1 * math.sqrt(1 / 3 + 20 / 80)
    half = sp.t.ppf(0.975, 2) * se
    assert ci["mean"] == pytest.approx(0.9)
    assert ci["ci_low"] == pytest.approx(0.9 - half) and ci["ci_high"] == pytest.approx(0.9 + half)
    # wider than the naive t-interval by exactly sqrt(1 + J·n_test/n_train)
    naive = stats.mean_ci([0.8, 0.9, 1.0])
    ratio = (ci["ci_high"] - ci["mean"]) / (naive["ci_high"] - naive["mean"])
    assert ratio == pytest.approx(math.sqrt(1 + 3 * 20 / 80))
    # the stated level, not a neighbour: the 90 % interval is narrower by the t quantiles
    ci90 = stats.corrected_mean_ci([0.8, 0.9, 1.0], 80, 20, confidence=0.90)
    assert (ci90["ci_high"] - 0.9) / half == pytest.approx(sp.t.ppf(0.95, 2) / sp.t.ppf(0.975, 2))


def test_detectable_difference_by_hand_and_by_simulation():
    d = stats.detectable_difference(std=0.03, j=5, n_train=128, n_test=40)
    se = 0.03 * math.sqrt(1 / 5 + 40 / 128)
    assert d == pytest.approx((sp.t.ppf(0.975, 4) + sp.t.ppf(0.8, 4)) * se)
    assert math.isnan(stats.detectable_difference(0.03, 1, 128, 40))
    # more folds detect less, but never below the n_test/n_train floor
    assert stats.detectable_difference(0.03, 50, 128, 40) < d
    assert stats.detectable_difference(0.03, 10_000, 128, 40) > 0.03 * math.sqrt(40 / 128) * 2.7
    # with independent differences (no overlap term) a true effect of that size is found
    # about 80 % of the time by a two-sided t-test at 5 % (the formula is the normal
    # approximation with t quantiles: the exact power is a little under 0.8)
    rng = np.random.default_rng(0)
    j, effect = 10, stats.detectable_difference(1.0, 10, 1.0, 0.0)
    draws = rng.normal(effect, 1.0, size=(20000, j))
    power = np.mean(sp.ttest_1samp(draws, 0.0, axis=1).pvalue < 0.05)
    assert 0.75 < power < 0.82
