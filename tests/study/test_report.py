"""The study report's words: the goal line names the closest arm and stays honest."""

from keras_medgan.study.report import goal_line, in_words


def _arm(arm, diff, low, high):
    return {"arm": arm, "vs_real": {
        "accuracy": {"mean_diff": diff, "ci_low": low, "ci_high": high},
        "sensitivity": {"mean_diff": 0.05}, "specificity": {"mean_diff": -0.01}}}


def test_goal_met_only_with_three_points_and_an_interval_above_zero():
    arms = {"real": {"arm": "real"}, "a": _arm("real+synthetic", 0.04, 0.01, 0.07),
            "b": _arm("classical", 0.01, -0.02, 0.04)}
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
        "worse than real-only by 5.0 accuracy points")
