"""Aggregation, table and figure from hand-made records with known answers."""

import json

import numpy as np
import pytest

from keras_medgan.compare.endpoints import score_predictions
from keras_medgan.compare.report import bar_plot, markdown, summarize


def _arm(arm, repeat, y_pred, generator=None, n_train=10):
    y_true = [0, 0, 1, 1]
    p1 = 0.05 + 0.9 * np.asarray(y_pred, float)  # 0.05 / 0.95: ranks as y_pred does
    return {
        "kind": "arm",
        "arm": arm,
        "generator": generator,
        "repeat": repeat,
        "metrics": score_predictions(y_true, np.stack([1 - p1, p1], 1)),
        "n_train": n_train,
        "n_synthetic": 0,
        "training": {"steps": [5]},
    }


def _records():
    # real: accuracy 0.5, 0.75, 1.0; real+synthetic: one more correct image each time
    # except the last (already perfect): 0.75, 1.0, 1.0 → paired diffs .25, .25, 0
    real = [
        _arm("real", 0, [0, 0, 0, 0]),
        _arm("real", 1, [0, 0, 0, 1]),
        _arm("real", 2, [0, 0, 1, 1]),
    ]
    rs = [
        _arm("real+synthetic", 0, [0, 0, 0, 1], "g"),
        _arm("real+synthetic", 1, [0, 0, 1, 1], "g"),
        _arm("real+synthetic", 2, [0, 0, 1, 1], "g"),
    ]
    return real + rs


def test_summarize_means_and_paired_difference():
    s = summarize(_records(), ["real", "real+synthetic"], ["g"], num_classes=2)
    real, rs = s["arms"]
    assert real["label"] == "real" and rs["label"] == "real+synthetic"
    assert real["metrics"]["accuracy"]["mean"] == pytest.approx(0.75)
    assert rs["metrics"]["accuracy"]["mean"] == pytest.approx(2.75 / 3)
    d = rs["vs_real"]["accuracy"]
    assert d["mean_diff"] == pytest.approx(0.5 / 3) and d["n"] == 3
    # summed confusion of real: TN 2+2+2, FP 0, FN 2+1+0, TP 0+1+2
    assert real["confusion_sum"] == [[6, 0], [3, 3]]
    assert "accuracy" not in real["vs_real"]
    # AUC (ties count ½): real 0.5, 0.75, 1.0; real+synthetic 0.75, 1.0, 1.0
    assert real["metrics"]["auc"]["mean"] == pytest.approx(0.75)
    assert rs["vs_real"]["auc"]["mean_diff"] == pytest.approx(1 / 6)
    # log-loss: every image scored 0.05 or 0.95; a wrong one costs -log 0.05
    wrong, right = -np.log(0.05), -np.log(0.95)
    assert real["metrics"]["log_loss"]["mean"] == pytest.approx((3 * wrong + 9 * right) / 12)
    assert real["steps"] == [5]


def test_markdown_and_plot(tmp_path):
    summary = summarize(_records(), ["real", "real+synthetic"], ["g"], num_classes=2)
    results = {
        "config": {
            "data": "toy",
            "image_size": 32,
            "repeats": 3,
            "synthetic_ratio": 1.0,
            "precision": None,
            "profile": "quick",
            "train": {
                "classifier": "small_cnn",
                "weights": None,
                "dropout": 0.4,
                "learning_rate": 1e-3,
                "batch_size": 32,
                "epochs": 5,
                "patience": 5,
                "warmup_epochs": 0,
                "protocol": "steps",
                "steps": 5,
                "seeds": 1,
                "threshold_rule": "youden",
            },
        },
        "summary": summary,
        "generators": {},
        "positive_class": "hemorrhage",
        "wall_seconds_this_run": 1.0,
        "jobs_run_now": 6,
        "jobs": 6,
        "job_seconds_total": 6.0,
    }
    text = markdown(results)
    # real: pooled 9 of 12 correct, but one split of 4 images → Wilson on 3 of 4
    assert "| real ⚠ one class in 1/3 | 10 | 0.750 ± " in text  # primary: AUC
    assert "| real ⚠ one class in 1/3 | 75.0 [30.1, 95.4] | " in text  # secondary: accuracy
    assert "| real+synthetic | 91.7 [" in text and "⚠ one class in k/K" in text
    assert "+16.7 (t p=" in text  # mean paired accuracy difference in points
    assert "+0.167 (t p=" in text  # mean paired AUC difference
    assert "5 RMSprop steps in every arm" in text
    assert "78.65 / 73.14 / 86.60" in text and "76.51 / 72.37 / 83.04" in text
    bar_plot(json.loads(json.dumps(results)), tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_intervals_stay_in_0_100_and_count_a_split_once():
    from keras_medgan.compare.report import answers_one_class, proportion_intervals

    perfect = [[2, 0], [0, 2]]
    one_split = proportion_intervals([perfect] * 3, distinct_splits=1)
    three_splits = proportion_intervals([perfect] * 3, distinct_splits=3)
    for p in (one_split, three_splits):
        assert p["accuracy"]["estimate"] == 1.0 and p["accuracy"]["ci_high"] == 1.0
        assert 0.0 <= p["accuracy"]["ci_low"] < 1.0
    assert (
        one_split["accuracy"]["n_effective"] == 4 and three_splits["accuracy"]["n_effective"] == 12
    )
    assert three_splits["accuracy"]["ci_low"] > one_split["accuracy"]["ci_low"]  # more images
    assert one_split["sensitivity"]["estimate"] == one_split["specificity"]["estimate"] == 1.0
    assert answers_one_class([[2, 0], [2, 0]]) and answers_one_class([[0, 3], [0, 1]])
    assert not answers_one_class(perfect)
    three = proportion_intervals([[[1, 1, 0], [0, 1, 0], [0, 0, 2]]], distinct_splits=1)
    assert set(three) == {"accuracy"} and three["accuracy"]["estimate"] == pytest.approx(0.8)
