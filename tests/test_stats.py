"""keras_medgan.evaluate.stats against hand-computed confusion matrices and known statistics."""

import math

import numpy as np
import pytest

from keras_medgan.evaluate import stats


def test_binary_metrics_hand_computed_confusion():
    # 10 cases: 4 positives (3 found), 6 negatives (4 correct).
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1]
    m = stats.binary_metrics(y_true, y_pred)
    assert (m["tp"], m["fn"], m["tn"], m["fp"]) == (3, 1, 4, 2)
    assert m["confusion"] == [[4, 2], [1, 3]]
    assert m["accuracy"] == pytest.approx(0.7)
    assert m["sensitivity"] == pytest.approx(0.75)
    assert m["specificity"] == pytest.approx(4 / 6)
    assert m["hm"] == pytest.approx(2 * 0.75 * (4 / 6) / (0.75 + 4 / 6))
    assert m["auc"] is None


def test_binary_metrics_matches_sklearn_confusion_layout():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 50)
    y_pred = rng.integers(0, 2, 50)
    m = stats.binary_metrics(y_true, y_pred)
    assert m["confusion"] == confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist()


def test_binary_metrics_accepts_one_hot_and_probability_scores():
    y_true = np.eye(2)[[0, 0, 1, 1]]
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.35, 0.65], [0.2, 0.8]])
    m = stats.binary_metrics(y_true, probs, y_score=probs)
    assert m["confusion"] == [[1, 1], [0, 2]]
    # positives' scores 0.65, 0.8 vs negatives' 0.1, 0.6: all 4 pairs ordered → AUC 1.
    assert m["auc"] == pytest.approx(1.0)


def test_auc_hand_computed_with_ties():
    # pos scores {0.8, 0.5}, neg {0.5, 0.2}: pairs (0.8>0.5, 0.8>0.2, 0.5=0.5 → ½, 0.5>0.2)
    m = stats.binary_metrics([1, 1, 0, 0], [1, 1, 1, 0], y_score=[0.8, 0.5, 0.5, 0.2])
    assert m["auc"] == pytest.approx(3.5 / 4)


def test_binary_metrics_no_positives_gives_nan_sensitivity():
    m = stats.binary_metrics([0, 0, 0], [0, 1, 0], y_score=[0.1, 0.9, 0.2])
    assert math.isnan(m["sensitivity"])
    assert m["specificity"] == pytest.approx(2 / 3)
    assert math.isnan(m["hm"])
    assert m["auc"] is None


def test_binary_metrics_rejects_non_binary_labels():
    with pytest.raises(ValueError, match="binary"):
        stats.binary_metrics([0, 2], [0, 1])


def test_harmonic_mean_p3_real_row():
    # P3's real row: Sen 0.883, Spe 0.885 → HM 0.884 (the paper rounds to 0.883).
    assert stats.harmonic_mean(0.883, 0.885) == pytest.approx(0.88400, abs=1e-5)
    assert stats.harmonic_mean(0.0, 0.0) == 0.0


def test_mean_ci_known_t_interval():
    # values 1..5: mean 3, std sqrt(2.5), t_{0.975,4} = 2.7764451
    ci = stats.mean_ci([1, 2, 3, 4, 5])
    half = 2.7764451 * math.sqrt(2.5) / math.sqrt(5)
    assert ci["mean"] == pytest.approx(3.0)
    assert ci["std"] == pytest.approx(math.sqrt(2.5))
    assert ci["ci_low"] == pytest.approx(3 - half, abs=1e-6)
    assert ci["ci_high"] == pytest.approx(3 + half, abs=1e-6)
    assert ci["n"] == 5


def test_mean_ci_drops_nan_and_handles_single_value():
    ci = stats.mean_ci([0.5, float("nan"), None])
    assert ci == {"mean": 0.5, "std": 0.0, "ci_low": 0.5, "ci_high": 0.5, "n": 1}
    assert stats.mean_ci([])["n"] == 0


def test_bootstrap_ci_is_deterministic_and_covers_the_statistic():
    rng = np.random.default_rng(0)
    x = rng.normal(10.0, 1.0, size=400)
    low, high = stats.bootstrap_ci(np.mean, x, n_boot=500, seed=1)
    assert (low, high) == stats.bootstrap_ci(np.mean, x, n_boot=500, seed=1)
    assert low < x.mean() < high
    # standard error 1/sqrt(400) = 0.05 → 95 % width ≈ 0.196
    assert high - low == pytest.approx(0.196, abs=0.04)


def test_bootstrap_ci_keeps_pairs_together():
    y = np.array([0, 1] * 20)
    low, high = stats.bootstrap_ci(
        lambda t, p: stats.binary_metrics(t, p)["accuracy"], y, y.copy(), n_boot=50
    )
    assert (low, high) == (1.0, 1.0)


def test_paired_test_known_differences():
    a = [0.80, 0.75, 0.90, 0.70, 0.85]
    b = [0.70, 0.70, 0.80, 0.65, 0.70]
    out = stats.paired_test(a, b)
    d = np.array(a) - np.array(b)  # 0.10 0.05 0.10 0.05 0.15
    assert out["mean_diff"] == pytest.approx(d.mean())
    half = 2.7764451 * d.std(ddof=1) / math.sqrt(5)
    assert out["ci_low"] == pytest.approx(d.mean() - half, abs=1e-6)
    # t = mean/(sd/sqrt(n)) = 0.09 / (0.041833/2.23607) = 4.8107, df 4 → p ≈ 0.00857
    assert out["t_pvalue"] == pytest.approx(0.008568, abs=2e-4)
    # all 5 differences positive → exact two-sided Wilcoxon p = 2/32
    assert out["wilcoxon_pvalue"] == pytest.approx(0.0625)


def test_paired_test_identical_arms_and_single_pair():
    same = stats.paired_test([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same["mean_diff"] == 0.0 and same["t_pvalue"] == 1.0
    const = stats.paired_test([0.6, 0.7, 0.8], [0.5, 0.6, 0.7])
    assert const["mean_diff"] == pytest.approx(0.1) and math.isnan(const["t_pvalue"])
    assert const["wilcoxon_pvalue"] == pytest.approx(0.25)  # 3 positive signs: 2/8
    one = stats.paired_test([0.5], [0.4])
    assert one["mean_diff"] == pytest.approx(0.1) and math.isnan(one["t_pvalue"])


def test_binomial_test_exact_values():
    # 5 of 10 at p=0.5 is the mode: p-value 1. 0 of 10: 2·0.5^10.
    assert stats.binomial_test(5, 10) == pytest.approx(1.0)
    assert stats.binomial_test(0, 10) == pytest.approx(2 * 0.5**10)
    with pytest.raises(ValueError):
        stats.binomial_test(11, 10)


def test_wilson_interval_known_values_and_bounds():
    from keras_medgan.evaluate.stats import wilson_ci

    low, high = wilson_ci(3, 4)  # hand-computed: centre 0.6275, half 0.3269 (z = 1.96)
    assert low == pytest.approx(0.3006, abs=1e-3) and high == pytest.approx(0.9544, abs=1e-3)
    assert wilson_ci(0, 22)[0] == 0.0 and 0.0 < wilson_ci(0, 22)[1] < 0.2
    assert wilson_ci(22, 22)[1] == 1.0 and 0.8 < wilson_ci(22, 22)[0] < 1.0
    assert all(map(math.isnan, wilson_ci(0, 0)))
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_ci(5, 4)


# --------------------------------------------------------------------------- study statistics


def test_mcnemar_exact_on_a_known_table():
    # b = 1, c = 9: 2 · P(X <= 1), X ~ Bin(10, 1/2) = 2 · (1 + 10) / 1024
    assert stats.mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert stats.mcnemar_exact(9, 1) == pytest.approx(22 / 1024)
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.mcnemar_exact(5, 5) == 1.0  # capped at 1


def test_corrected_resampled_t_on_known_differences():
    d = [0.1, 0.2, 0.0, 0.1, 0.1]  # mean 0.1, sample variance 0.005
    r = stats.corrected_resampled_t(d, n_train=100, n_test=25)
    se = (0.005 * (1 / 5 + 25 / 100)) ** 0.5  # 0.04743
    assert r["mean_diff"] == pytest.approx(0.1)
    assert r["t"] == pytest.approx(0.1 / se)
    assert r["df"] == 4
    half = 2.7764451 * se  # t_{0.975, 4}
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.1 - half, 0.1 + half), rel=1e-6)
    assert r["pvalue"] == pytest.approx(0.10264, abs=2e-4)
    # the correction widens the naive interval
    naive = stats.mean_ci(d)
    assert r["ci_high"] - r["ci_low"] > naive["ci_high"] - naive["ci_low"]


def test_corrected_resampled_t_degenerate_cases():
    assert np.isnan(stats.corrected_resampled_t([0.1], 100, 25)["pvalue"])
    zero = stats.corrected_resampled_t([0.0, 0.0, 0.0], 100, 25)
    assert zero["pvalue"] == 1.0 and zero["ci_low"] == zero["ci_high"] == 0.0
    assert np.isnan(stats.corrected_resampled_t([0.1, 0.1], 100, 25)["pvalue"])


def test_stratified_bootstrap_keeps_strata_sizes_and_covers():
    strata = np.repeat([0, 1], [30, 10])
    for idx in stats.stratified_resamples(strata, n_boot=20, seed=0):
        assert (np.bincount(strata[idx]) == [30, 10]).all()
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(100):
        x = (rng.random(80) < 0.7).astype(float)
        lo, hi = stats.stratified_bootstrap_ci(
            np.mean, x, strata=np.zeros(80), n_boot=300, seed=int(rng.integers(1 << 30))
        )
        hits += lo <= 0.7 <= hi
    assert 85 <= hits <= 100  # nominal 95 %


def test_percentile_interval_is_the_stated_level_not_a_neighbour():
    values = np.random.default_rng(0).normal(size=5000)
    for level in (0.8, 0.9, 0.95):
        lo, hi = stats.percentile_interval(values, level)
        a = (1 - level) / 2
        assert (lo, hi) == tuple(np.quantile(values, [a, 1 - a]))
    assert stats.percentile_interval(values, 0.95)[1] > stats.percentile_interval(values, 0.9)[1]
    with pytest.raises(ValueError, match="confidence"):
        stats.percentile_interval(values, 95)


def test_bootstrap_interval_covers_at_its_stated_level():
    """300 samples of 40 from N(0, 1): the 95 % percentile bootstrap of the mean must cover
    0 in about 95 % of them. Binomial SD at 300 draws is 1.3 points; the window (91.5, 98.5)
    excludes a 90 % interval called 95 % (and a 99 % one)."""
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(300):
        x = rng.normal(size=40)
        lo, hi = stats.bootstrap_ci(
            np.mean, x, n_boot=400, confidence=0.95, seed=int(rng.integers(1 << 31))
        )
        covered += lo <= 0.0 <= hi
    assert 0.915 < covered / 300 < 0.985, covered / 300


def test_corrected_and_plain_t_intervals_cover_at_their_level():
    """Independent fold scores (no overlap): the plain t-interval of the mean covers the
    truth at its level; the corrected one (n_test/n_train > 0) is wider, so it covers more."""
    rng = np.random.default_rng(2)
    plain = corrected = 0
    for _ in range(2000):
        v = rng.normal(0.8, 0.05, size=5)
        ci = stats.mean_ci(v, 0.9)
        plain += ci["ci_low"] <= 0.8 <= ci["ci_high"]
        cc = stats.corrected_mean_ci(v, n_train=128, n_test=40, confidence=0.9)
        corrected += cc["ci_low"] <= 0.8 <= cc["ci_high"]
    assert 0.88 < plain / 2000 < 0.92  # SD 0.7 points: excludes 0.85 and 0.95
    assert corrected / 2000 > 0.95
