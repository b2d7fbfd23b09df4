"""``study --plan``: counts, time and the detectable differences, computed by hand."""

import math

import pytest
from scipy import stats as sp

from keras_medgan.cli import study as cli
from keras_medgan.study.cells import Cell
from keras_medgan.study.plan import REFERENCE_SD, STEP_SECONDS, format_plan, plan_study


def _cells():
    return [Cell("gan", 0, f, recipe="r", unit=u) for f in range(5) for u in ("a", "b")] + [
        Cell("arm", 0, f, arm=a) for f in range(5) for a in ("real", "classical")
    ]


def test_plan_counts_time_and_power_by_hand():
    plan = plan_study(
        cells=_cells(),
        folds=5,
        repeats=1,
        n_train=128,
        n_test=40,
        seeds=3,
        steps=400,
        classifier="resnet50",
        gan_images={f"g{i}": (64 * 150, ("dcgan32", "bce")) for i in range(10)},
    )
    assert plan["cells"] == {"gan": 10, "arm": 10, "gan_train": 0}
    assert plan["classifier_seconds"] == pytest.approx(10 * 3 * 400 * STEP_SECONDS["resnet50"])
    assert plan["gan_seconds"] == pytest.approx(10 * 64 * 150 / 22.7)
    se = REFERENCE_SD["auc"] * math.sqrt(1 / 5 + 40 / 128)
    assert plan["detectable"]["auc"] == pytest.approx((sp.t.ppf(0.975, 4) + sp.t.ppf(0.8, 4)) * se)
    # repeats help, down to the overlap floor and never below it
    by_r = plan["detectable_auc_by_repeats"]
    assert by_r[1] > by_r[2] > by_r[10] > plan["detectable_auc_floor"]
    # the SD that would reach Δ AUC 0.03 scales the detectable difference linearly
    assert plan["sd_auc_for_target"] * plan["detectable"]["auc"] / REFERENCE_SD[
        "auc"
    ] == pytest.approx(0.03)
    text = format_plan(plan)
    assert "10 GAN, 10 classifier (30 classifiers: 3 seed(s) each, 400 steps)" in text
    assert f"Δ AUC {plan['detectable']['auc']:.3f}" in text


def test_unknown_rates_are_not_guessed():
    plan = plan_study(
        cells=_cells(),
        folds=5,
        repeats=1,
        n_train=128,
        n_test=40,
        seeds=3,
        steps=400,
        classifier="my_net",
        gan_images={"g": (1000.0, ("pggan", "wgan-gp"))},
    )
    assert plan["classifier_seconds"] is None and plan["gan_seconds"] is None
    assert "not estimated" in format_plan(plan)


def test_plan_flag_trains_nothing(capsys, tmp_path, tiny_arch):
    from tests.study.conftest import write_recipe

    out = tmp_path / "s"
    assert (
        cli.main(
            [
                "--data",
                "phantom:n=40",
                "--recipe",
                write_recipe(tmp_path),
                "--folds",
                "2",
                "--quick",
                "--out",
                str(out),
                "--plan",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "nothing is trained" in text and "smallest detectable Δ AUC" in text
    assert "2 paired folds" in text
    assert not (out / "cells").exists()
