"""The study report's words: the goal line names the closest arm and stays honest."""

import numpy as np
import pytest

from keras_medgan.study.report import goal_line, in_words


def _arm(arm, diff, low, high):
    return {
        "arm": arm,
        "vs_real": {
            "accuracy": {"mean_diff": diff, "ci_low": low, "ci_high": high},
            "sensitivity": {"mean_diff": 0.05},
            "specificity": {"mean_diff": -0.01},
        },
    }


def test_goal_met_only_with_three_points_and_an_interval_above_zero():
    arms = {
        "real": {"arm": "real"},
        "a": _arm("real+synthetic", 0.04, 0.01, 0.07),
        "b": _arm("classical", 0.01, -0.02, 0.04),
    }
    line = goal_line(arms)
    assert "met.** Closest: a, +4.0 points [+1.0, +7.0]" in line and "not met" not in line
    assert "sensitivity +5.0, specificity -1.0" in line
    arms["a"] = _arm("real+synthetic", 0.04, -0.01, 0.09)  # the interval includes 0
    assert "not met.** Closest: a" in goal_line(arms)
    arms["a"] = _arm("real+synthetic", 0.02, 0.01, 0.03)  # above 0 but under 3 points
    assert "not met" in goal_line(arms)


def test_in_words_says_when_an_interval_includes_zero():
    assert "includes 0" in in_words({"mean_diff": 0.01, "ci_low": -0.02, "ci_high": 0.04})
    assert in_words({"mean_diff": -0.05, "ci_low": -0.08, "ci_high": -0.02}).startswith(
        "worse than real-only by 5.0 accuracy points"
    )


def _cell(arm, fold, auc, log_loss, accuracy, variant=None):
    m = {
        "auc": auc,
        "log_loss": log_loss,
        "brier": log_loss / 4,
        "accuracy": accuracy,
        "sensitivity": accuracy,
        "specificity": accuracy,
        "hm": accuracy,
        "accuracy_at_0.5": accuracy,
        "threshold": 0.5,
        "threshold_rule": "youden",
        "confusion": [[2, 1], [1, 2]],
        "seeds": 3,
    }
    return {
        "kind": "arm",
        "arm": arm,
        "variant": variant,
        "repeat": 0,
        "fold": fold,
        "labels": [0] * 20 + [1] * 20,
        "n_train": 120,
        "seeds": [{}, {}, {}],
        "metrics": m,
        "training": {"steps": [400]},
        "protocol_version": 2,
    }


def test_the_report_says_when_auc_and_accuracy_disagree():
    from keras_medgan.study.report import summarize_arms

    noise = [0.01, -0.01, 0.0, 0.02, -0.02]
    real = [_cell("real", f, 0.80 + n, 0.60 + n, 0.80 + n) for f, n in enumerate(noise)]
    jitter = [0.005, -0.005, 0.0, 0.01, -0.01]
    # about +0.05 AUC and −0.1 log-loss in every fold, but 5 accuracy points worse
    arm = [
        _cell("real+synthetic", f, 0.85 + n + j, 0.50 + n - j, 0.75 + n + j, "g@x1")
        for f, (n, j) in enumerate(zip(noise, jitter))
    ]
    out = summarize_arms(real + arm, {"real": 5, "real+synthetic [g@x1]": 5}, 2, 0.95)
    vs = out["real+synthetic [g@x1]"]["vs_real"]
    assert vs["auc"]["mean_diff"] == pytest.approx(0.05) and vs["auc"]["ci_low"] > 0
    assert vs["auc"]["folds_better"] == 5 and vs["log_loss"]["folds_better"] == 5
    assert vs["accuracy"]["folds_better"] == 0
    assert vs["agreement"].startswith("the metrics disagree")
    assert "AUC: better" in vs["agreement"] and "log-loss: better" in vs["agreement"]
    assert "accuracy: worse" in vs["agreement"]
    assert vs["in_words"].startswith("better than real-only by 0.050 AUC")
    # the smallest detectable Δ from the spread of the fold differences (by hand)
    import math

    from scipy import stats as sp

    for metric, diffs in (
        ("auc", [0.05 + j for j in jitter]),
        ("accuracy", [-0.05 + j for j in jitter]),
    ):
        se = float(np.std(diffs, ddof=1)) * math.sqrt(1 / 5 + 40 / 120)
        assert vs[metric]["detectable"] == pytest.approx(
            (sp.t.ppf(0.975, 4) + sp.t.ppf(0.8, 4)) * se
        )
    # the level of one arm carries the corrected interval, clipped in the table only
    assert out["real"]["metrics"]["auc"]["mean"] == pytest.approx(0.80)
    assert out["real"]["steps"] == [400] and out["real"]["seeds"] == 3


def test_cells_of_the_old_protocol_are_scored_from_their_test_probabilities():
    from keras_medgan.study.report import fold_metrics, fold_steps

    old = {
        "labels": [0, 0, 1, 1],
        "probs": [[0.9, 0.1], [0.6, 0.4], [0.55, 0.45], [0.2, 0.8]],
        "metrics": {"accuracy": 0.75},
        "training": {"best_epoch": 12, "epochs_run": 17},
        "n_train": 144,
    }
    m = fold_metrics(old)
    assert m["auc"] == 1.0 and m["accuracy"] == 0.75 and m["threshold"] == 0.5
    assert m["threshold_rule"].startswith("fixed")
    assert fold_steps(old) == [12 * 5]  # 144 images, batch 32: 5 steps an epoch


def test_a_study_of_the_old_protocol_is_not_resumed(tmp_path):
    import json

    from keras_medgan.study.config import StudyError, check_resume

    (tmp_path / "config.json").write_text(json.dumps({"data": "head_ct", "folds": 5}))
    with pytest.raises(StudyError) as err:
        check_resume(tmp_path, {"data": "head_ct", "folds": 5, "protocol_version": 2})
    msg = str(err.value)
    assert "protocol v1" in msg and f"study report --out {tmp_path}" in msg
    assert "another --out" in msg


@pytest.mark.parametrize("kind", ["folder", "csv", "nifti"])
def test_an_archive_hides_the_path_of_a_data_folder_given_in_data(tmp_path, kind):
    """``--data folder:/where/my/scans/are`` names a place on this machine: an archive
    carries ``folder:<data>`` instead (it used to carry the path)."""
    from keras_medgan.study.report import machine_paths, redact

    scans = tmp_path / "my scans"
    config = {"data": f"{kind}:{scans}", "out": str(tmp_path / "study")}
    places = machine_paths(tmp_path / "study", config)
    text = f'"data": "{kind}:{scans}", "paths": ["{scans}/a/1.png"]'
    assert redact(text, places) == f'"data": "{kind}:<data>", "paths": ["<data>/a/1.png"]'
    assert str(tmp_path) not in redact(text, places)
    assert machine_paths(tmp_path / "study", {"data": "head_ct"}).get("head_ct") is None


def test_a_summary_row_carries_its_cells_settings_and_flags():
    """What the tables and the archive read besides the numbers: which recipe, ratio and
    filter made the row, how many cells of how many ran, the threshold rule, the seeds,
    the protocol, and the folds whose classifier answered one class only."""
    from keras_medgan.study.report import summarize_arms

    real = [_cell("real", f, 0.8, 0.6, 0.8) for f in range(3)]
    arm = []
    for f in range(2):  # 2 of the 3 planned cells have run
        cell = _cell("real+synthetic", f, 0.82, 0.55, 0.8, variant="g@x2")
        cell.update(recipe="g", ratio=2.0, keep=0.5, repeat=1)
        cell["metrics"] = {**cell["metrics"], "seeds": 5, "threshold_rule": "max_hm"}
        arm.append(cell)
    arm[1]["metrics"]["confusion"] = [[3, 0], [3, 0]]  # every image called normal
    for r in real:
        r["repeat"] = 1
    planned = {"real": 3, "real+synthetic [g@x2]": 3, "synthetic [g@match]": 3}
    out = summarize_arms(arm + real, planned, 2, 0.95)
    assert set(out) == {"real", "real+synthetic [g@x2]"}  # a row with no cell is left out
    row = out["real+synthetic [g@x2]"]
    assert (row["arm"], row["variant"], row["recipe"]) == ("real+synthetic", "g@x2", "g")
    assert (row["ratio"], row["keep"]) == (2.0, 0.5)
    assert (row["cells"], row["cells_planned"]) == (2, 3)
    assert row["protocol_version"] == 2 and row["seeds"] == 5
    assert row["threshold_rule"] == "max_hm" and row["one_class_folds"] == ["r1-f1"]
    assert [(f["repeat"], f["fold"]) for f in row["folds"]] == [(1, 0), (1, 1)]
    assert row["folds"][0]["auc"] == pytest.approx(0.82) and row["n_train_mean"] == 120
    assert out["real"]["one_class_folds"] == [] and "vs_real" not in out["real"]
    assert row["vs_real"]["auc"]["mean_diff"] == pytest.approx(0.02)
    alone = summarize_arms(arm, {"real+synthetic [g@x2]": 3}, 2, 0.95)
    assert "vs_real" not in alone["real+synthetic [g@x2]"]  # no real arm: nothing paired
    old = {k: v for k, v in arm[0].items() if k != "protocol_version"}
    assert (
        summarize_arms([old], {"real+synthetic [g@x2]": 1}, 2, 0.95)["real+synthetic [g@x2]"][
            "protocol_version"
        ]
        == 1
    )  # cells written before protocol versions existed


@pytest.mark.parametrize(
    ("low", "high", "higher_better", "expected"),
    [
        (0.01, 0.05, True, "better"),
        (0.01, 0.05, False, "worse"),  # log-loss going up
        (-0.05, -0.01, True, "worse"),
        (-0.05, -0.01, False, "better"),
        (0.0, 0.05, True, "no detectable difference"),  # touching 0 is not excluding it
        (-0.05, 0.0, True, "no detectable difference"),
        (-0.01, 0.05, True, "no detectable difference"),
        (float("nan"), 0.05, True, "no detectable difference"),
        (0.01, float("nan"), True, "no detectable difference"),
        (None, 0.05, True, "no detectable difference"),
        (0.01, None, True, "no detectable difference"),
    ],
)
def test_a_direction_needs_an_interval_that_excludes_zero(low, high, higher_better, expected):
    from keras_medgan.study.report import _direction

    mean = 0.03 if (low or 0) >= 0 and (high or 1) > 0 else -0.03
    diff = {"mean_diff": mean, "ci_low": low, "ci_high": high}
    assert _direction(diff, higher_better) == expected


def test_machine_paths_maps_every_place_of_this_machine_longest_first(tmp_path, monkeypatch):
    from keras_medgan.study.report import machine_paths, redact

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_MEDGAN_DATA", str(home / "data"))
    study, ran_in = home / "studies" / "s1", tmp_path / "old" / "s1"
    config = {"out": str(ran_in), "data_dir": str(tmp_path / "scans"), "data": "head_ct"}
    places = machine_paths(study, config)
    assert places == {
        str(home / "studies" / "s1"): "<study>",
        str(tmp_path / "old" / "s1"): "<study>",
        str(tmp_path / "scans"): "<data>",
        str(home / "data"): "<data>",
        str(home): "~",
    }
    assert [len(p) for p in places] == sorted((len(p) for p in places), reverse=True)
    text = f"{study}/cells {ran_in}/x {tmp_path / 'scans'}/a.png {home}/data/b {home}/notes"
    assert redact(text, places) == "<study>/cells <study>/x <data>/a.png <data>/b ~/notes"
    monkeypatch.setenv("HOME", "/")
    assert "/" not in machine_paths(study, {"data": "phantom"})  # never the root itself


def test_percent_cells_show_a_dash_for_no_value_and_an_interval_only_when_there_is_one():
    from keras_medgan.study.report import _pct, _with_ci

    assert _pct(None) == _pct(float("nan")) == "–" and _pct(0.1234) == "12.3"
    assert _with_ci(None, [0.1, 0.2]) == _with_ci(float("nan"), [0.1, 0.2]) == "–"
    assert _with_ci(0.5, [None, None]) == "50.0"
    assert _with_ci(0.5, [0.4, 0.65]) == "50.0 [40.0, 65.0]"
