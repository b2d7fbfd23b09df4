"""Every key of what the statistics return, in the ordinary and the degenerate cases.

Written against the survivors of a mutation run (`mutmut run`, setup.cfg): a renamed key,
a wrong default or a dropped branch in these functions changes what a report prints."""

import math

import numpy as np
import pytest

from keras_medgan.compare.endpoints import average_metrics, score_predictions
from keras_medgan.evaluate import stats

NAN = float("nan")


def _same(got: dict, want: dict):
    assert set(got) == set(want), (sorted(got), sorted(want))
    for k, v in want.items():
        if isinstance(v, float) and math.isnan(v):
            assert isinstance(got[k], float) and math.isnan(got[k]), (k, got[k])
        elif isinstance(v, float):
            assert got[k] == pytest.approx(v, rel=1e-6, abs=1e-9), (k, got[k], v)
        else:
            assert got[k] == v, (k, got[k], v)


def test_score_predictions_returns_every_endpoint_by_hand():
    y = [0, 0, 1, 1, 1]
    p1 = np.array([0.2, 0.6, 0.4, 0.7, 0.9])
    val_y, val_p1 = [0, 1], np.array([0.5, 0.65])  # youden: cut between 0.5 and 0.65
    got = score_predictions(
        np.array(y)[:, None], np.stack([1 - p1, p1], 1), val_y, np.stack([1 - val_p1, val_p1], 1)
    )
    # at 0.575: predicted 0, 1, 0, 1, 1 → tn 1, fp 1, fn 1, tp 2
    _same(
        got,
        {
            "log_loss": -(np.log(0.8) + np.log(0.4) + np.log(0.4) + np.log(0.7) + np.log(0.9)) / 5,
            "brier": (0.04 + 0.36 + 0.36 + 0.09 + 0.01) / 5,
            "n": 5,
            "auc": 5 / 6,
            "threshold": 0.575,
            "threshold_rule": "youden",
            "accuracy": 0.6,
            "sensitivity": 2 / 3,
            "specificity": 0.5,
            "hm": 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5),
            "accuracy_at_0.5": 0.6,
            "confusion": [[1, 1], [1, 2]],
        },
    )


def test_score_predictions_with_three_classes():
    y = [0, 1, 2, 2]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.5, 0.25, 0.25]])
    got = score_predictions(y, p)
    onehot = np.eye(3)[y]
    _same(
        got,
        {
            "log_loss": -np.mean(np.log([0.7, 0.3, 0.6, 0.25])),
            "brier": float(np.mean(((p - onehot) ** 2).sum(1)) / 2),
            "n": 4,
            "auc": None,
            "threshold": None,
            "threshold_rule": None,
            "accuracy": 0.5,
            "accuracy_at_0.5": 0.5,
            "sensitivity": None,
            "specificity": None,
            "hm": None,
            "confusion": [[1, 0, 0], [0, 0, 1], [1, 0, 1]],
        },
    )


def test_average_metrics_every_key_and_no_seeds():
    a = {
        "auc": 0.8,
        "log_loss": 0.4,
        "brier": 0.1,
        "accuracy": 0.7,
        "sensitivity": 0.6,
        "specificity": 0.8,
        "hm": 0.69,
        "accuracy_at_0.5": 0.65,
        "threshold": 0.4,
        "threshold_rule": "youden",
        "confusion": [[4, 1], [2, 3]],
        "n": 10,
    }
    b = {**a, "auc": 1.0, "accuracy": 0.9, "confusion": [[5, 0], [1, 4]], "n": 10}
    got = average_metrics([a, b])
    _same(
        got,
        {
            "seeds": 2,
            "auc": 0.9,
            "log_loss": 0.4,
            "brier": 0.1,
            "accuracy": 0.8,
            "sensitivity": 0.6,
            "specificity": 0.8,
            "hm": 0.69,
            "accuracy_at_0.5": 0.65,
            "threshold": 0.4,
            "confusion": [[9, 1], [3, 7]],
            "threshold_rule": "youden",
            "n": 10,
        },
    )
    empty = average_metrics([])
    assert empty["seeds"] == 0 and empty["n"] == 0 and empty["threshold_rule"] is None
    assert empty["confusion"] is None and empty["auc"] is None


def test_thresholds_at_the_edges_of_the_scores():
    # inverted scores: the best cuts are "everything positive" and "nothing positive";
    # the tie goes to the one nearer 0.5, just above the highest or below the lowest score
    assert stats.choose_threshold([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(
        0.4 + 1e-6, abs=1e-12
    )
    assert stats.choose_threshold([1, 1, 0, 0], [0.6, 0.7, 0.8, 0.9]) == pytest.approx(
        0.6 - 1e-6, abs=1e-12
    )
    assert stats.choose_threshold([0, 1], np.array([[0.2], [0.9]])) == pytest.approx(0.55)
    for labels in ([0, 0, 0], [1, 1]):
        with pytest.raises(ValueError, match="hold one class only: no threshold can be chosen"):
            stats.choose_threshold(labels, [0.1] * len(labels))
    with pytest.raises(ValueError, match="differ in length: 3 and 2"):
        stats.choose_threshold([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="valid: youden, accuracy, fixed"):
        stats.choose_threshold([0, 1], [0.1, 0.2], "best")


def test_log_loss_clips_both_ends_and_reads_column_labels():
    assert stats.log_loss([1], [1.0]) == pytest.approx(-math.log(1 - 1e-7))
    assert stats.log_loss([1], [1.0]) > 0
    assert stats.log_loss(np.array([[1], [0]]), [0.8, 0.3]) == pytest.approx(
        -(math.log(0.8) + math.log(0.7)) / 2
    )
    with pytest.raises(ValueError, match=r"\[N\] or \[N, C\] with N = 2"):
        stats.log_loss([0, 1], [0.1, 0.2, 0.3])


def test_degenerate_intervals_return_every_key():
    _same(
        stats.corrected_mean_ci([], 100, 25),
        {"mean": NAN, "std": NAN, "ci_low": NAN, "ci_high": NAN, "n": 0},
    )
    _same(
        stats.corrected_mean_ci([0.7, None], 100, 25),
        {"mean": 0.7, "std": 0.0, "ci_low": NAN, "ci_high": NAN, "n": 1},
    )
    _same(
        stats.corrected_mean_ci([0.7, 0.8], 0, 25),
        {"mean": 0.75, "std": 0.0, "ci_low": NAN, "ci_high": NAN, "n": 2},
    )
    _same(stats.mean_ci([None]), {"mean": NAN, "std": NAN, "ci_low": NAN, "ci_high": NAN, "n": 0})
    _same(
        stats.corrected_resampled_t([0.1], 100, 25),
        {"mean_diff": 0.1, "ci_low": NAN, "ci_high": NAN, "t": NAN, "pvalue": NAN, "n": 1, "df": 0},
    )
    _same(
        stats.corrected_resampled_t([0.0, 0.0, None], 100, 25),
        {"mean_diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "t": 0.0, "pvalue": 1.0, "n": 2, "df": 1},
    )
    _same(
        stats.corrected_resampled_t([0.1, 0.1], 1.0, 25),  # n_train 1 is still a size
        {"mean_diff": 0.1, "ci_low": NAN, "ci_high": NAN, "t": NAN, "pvalue": NAN, "n": 2, "df": 1},
    )
    _same(
        stats.paired_test([0.5], [0.4]),
        {
            "mean_diff": 0.1,
            "ci_low": 0.1,
            "ci_high": 0.1,
            "n": 1,
            "t_pvalue": NAN,
            "wilcoxon_pvalue": NAN,
        },
    )
    _same(
        stats.paired_test([0.5, 0.6], [0.5, 0.6]),
        {
            "mean_diff": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
            "n": 2,
            "t_pvalue": 1.0,
            "wilcoxon_pvalue": 1.0,
        },
    )
    with pytest.raises(ValueError, match="equal lengths. Received 2 and 1"):
        stats.paired_test([0.1, 0.2], [0.1])


def test_binary_metrics_counts_and_names_the_argument():
    m = stats.binary_metrics([0, 1, 1], [0, 1, 0])
    assert m["n"] == 3 and m["confusion"] == [[1, 0], [1, 1]]
    # [N, 2] rows are one-hot / probabilities, reduced by argmax
    assert stats.binary_metrics([[1, 0], [0, 1]], [[0.2, 0.8], [0.1, 0.9]])["confusion"] == [
        [0, 1],
        [0, 1],
    ]
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        stats.binary_metrics([0, 2], [0, 1])
    with pytest.raises(ValueError, match="y_pred must hold binary labels"):
        stats.binary_metrics([0, 1], [0, 3])
