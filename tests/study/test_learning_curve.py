"""The learning curve (``--real-per-class``): stratified, seeded, nested subsets of each
fold's training part; GANs trained on exactly those images; validation and test parts
untouched; the report's curve; bad sizes refused before anything trains."""

import io
import json

import numpy as np
import pytest

from keras_medgan.cli.study import main as study_main
from keras_medgan.cli.study import parse_sizes
from keras_medgan.generators.cards import read_model_card
from keras_medgan.study import StudyError, runner
from keras_medgan.study import folds as fold_split
from keras_medgan.study.cells import order_sizes, plan_cells
from keras_medgan.study.report import learning_curve
from keras_medgan.study.runner import run_study
from tests.study.conftest import (
    TINY_RECIPE,
    study_config,
    toy_study_loader,
    write_recipe,
)

LABELS = np.array([0] * 10 + [1] * 12)
TRAIN = np.array([0, 2, 3, 5, 7, 8, 9, 11, 12, 14, 15, 16, 18, 20, 21])  # 7 of class 0, 8 of 1


def test_subsample_is_stratified_inside_train_and_nested():
    subsets = {n: fold_split.subsample_per_class(LABELS, TRAIN, n, seed=3) for n in (2, 4, 7)}
    for n, sub in subsets.items():
        assert set(sub) <= set(TRAIN)
        assert np.bincount(LABELS[sub]).tolist() == [n, n]
        assert list(sub) == sorted(sub, key=list(TRAIN).index)  # training order kept
    assert set(subsets[2]) < set(subsets[4]) < set(subsets[7])
    same = fold_split.subsample_per_class(LABELS, TRAIN, 4, seed=3)
    other = [fold_split.subsample_per_class(LABELS, TRAIN, 4, seed=s) for s in range(4, 9)]
    assert np.array_equal(same, subsets[4])
    assert any(not np.array_equal(o, same) for o in other)  # the seed matters
    assert np.array_equal(fold_split.subsample_per_class(LABELS, TRAIN, None, 0), TRAIN)
    with pytest.raises(ValueError, match="7 training images, fewer than 8"):
        fold_split.subsample_per_class(LABELS, TRAIN, 8, seed=0)


def test_subsample_draws_every_image_with_equal_chance():
    """Over many seeds each training image of a class is kept about size/count of the time
    (a bias toward the first images, e.g. a slice instead of a permutation, fails)."""
    kept = np.zeros(len(LABELS))
    for seed in range(600):
        kept[fold_split.subsample_per_class(LABELS, TRAIN, 2, seed)] += 1
    rate0 = kept[TRAIN[LABELS[TRAIN] == 0]] / 600  # 2 of 7
    rate1 = kept[TRAIN[LABELS[TRAIN] == 1]] / 600  # 2 of 8
    assert np.allclose(rate0, 2 / 7, atol=0.07) and np.allclose(rate1, 2 / 8, atol=0.07)


def test_sizes_parse_order_and_refuse_bad_values():
    assert parse_sizes(["all", "16", "8", "16"]) == [8, 16, None]
    assert order_sizes([None, 32, 8]) == [8, 32, None]
    for bad, why in (("0", ">= 1"), ("-4", ">= 1"), ("eight", "whole numbers")):
        with pytest.raises(StudyError, match=why):
            parse_sizes([bad])


def test_check_sizes_names_the_value_and_the_fix():
    fold_split.check_sizes([8, None], {"normal": 50, "hemorrhage": 49}, {"p1": (8, 1)})
    with pytest.raises(
        fold_split.FoldError,
        match=r"--real-per-class 64: .*49 hemorrhage.*"
        r"up to 49, or all",
    ):
        fold_split.check_sizes([64], {"normal": 50, "hemorrhage": 49}, {"p1": (16, 1)})
    with pytest.raises(fold_split.FoldError, match=r"p1 \(batch_size 16\).*--gan-batch-size 8"):
        fold_split.check_sizes([8], {"normal": 50, "hemorrhage": 49}, {"p1": (16, 1)})
    # a conditional GAN sees every class: 8 per class x 2 classes fill a batch of 16
    fold_split.check_sizes([8], {"normal": 50, "hemorrhage": 49}, {"cgan": (16, 2)})


def test_cells_carry_the_size_and_all_keeps_the_old_ids():
    kw = {
        "repeats": 1,
        "folds": 1,
        "recipes": {"p": ["a", "b"]},
        "arms": ["real", "synthetic"],
        "ratios": [1.0],
        "keeps": [1.0],
        "gan_train": False,
    }
    old = plan_cells(**kw)
    curve = plan_cells(**kw, sizes=[None, 8])
    assert [c.id for c in old] == [c.id for c in curve if c.size is None]
    assert [c.id for c in curve][:3] == [
        "r0-f0-n8-gan-p-a",
        "r0-f0-n8-gan-p-b",
        "r0-f0-n8-arm-real",
    ]


@pytest.fixture(scope="module")
def curve_study(tmp_path_factory, tiny_arch):
    tmp = tmp_path_factory.mktemp("curve")
    config = study_config(
        tmp / "out",
        write_recipe(tmp),
        arms=["real", "real+synthetic"],
        real_per_class=[4, None],
        gan_train=False,
    )
    loader = toy_study_loader()
    results = run_study(config, loader=loader, stream=io.StringIO())
    data = runner.load_study_data(config, loader)
    return tmp / "out", config, data, results


def test_gans_and_classifiers_of_a_size_train_on_exactly_its_subset(curve_study):
    out, config, data, _ = curve_study
    folds = json.loads((out / "folds.json").read_text())
    for f in range(config.folds):
        part = data.parts(config, 0, f)
        small = data.parts(config, 0, f, 4)
        assert np.array_equal(small.val, part.val) and np.array_equal(small.test, part.test)
        expected = {data.ids[i] for i in small.train}
        assert folds["repeats"][0][f]["train_by_size"]["4"] == [data.ids[i] for i in small.train]
        seen = set()
        for unit in data.class_names:
            rec = json.loads((out / "cells" / f"r0-f{f}-n4-gan-tiny-{unit}.json").read_text())
            ids = read_model_card(out / rec["export"])["train_ids"]
            assert len(ids) == 4 and rec["n_train"] == 4
            seen |= set(ids)
        assert seen == expected
        real = json.loads((out / "cells" / f"r0-f{f}-n4-arm-real.json").read_text())
        assert real["n_real"] == 8 and real["train_class_counts"] == [4, 4]
        assert real["ids"] == [data.ids[i] for i in part.test]


def test_report_draws_the_curve(curve_study):
    out, _, _, results = curve_study
    curve = results["learning_curve"]
    assert curve["sizes"] == ["4", "all"]
    assert curve["real_per_class"]["4"] == 4.0 and curve["real_per_class"]["all"] > 4.0
    assert set(curve["rows"]) == {"real", "real+synthetic [tiny@x1]"}
    assert results["size"] == "all" and results["leakage"]["ids_outside_training_part"] == 0
    assert results["leakage"]["gan_cells_checked"] == 8
    assert (out / "learning_curve.png").stat().st_size > 10_000
    text = (out / "results.md").read_text()
    assert "## Learning curve" in text and "AUC at 4/class" in text


def test_a_gan_trained_outside_its_subset_is_counted(curve_study, tmp_path):
    """The leakage check compares a sized GAN's card with ITS subset: a GAN of size 4 that
    trained on the whole training part shows up."""
    import shutil

    from keras_medgan.study.report import write_report

    out, *_ = curve_study
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    folds = json.loads((copy / "folds.json").read_text())
    whole = folds["repeats"][0][0]["train"]
    sized = folds["repeats"][0][0]["train_by_size"]["4"]
    folds["repeats"][0][0]["train_by_size"]["4"] = sized[:2]  # as if two others were meant
    (copy / "folds.json").write_text(json.dumps(folds))
    leak = write_report(copy)["leakage"]
    assert leak["ids_outside_training_part"] == len(sized) - 2
    assert len(whole) > len(sized)


def test_curve_summary_reads_direction_and_x_from_the_cells():
    def arm(mean, lo, hi, vs=None, ll=None):
        m = {k: {"mean": mean, "ci_low": lo, "ci_high": hi} for k in ("auc", "log_loss")}
        e = {"metrics": m, "cells": 5}
        if vs:  # log-loss agrees (lower is better) unless ll says otherwise
            ll = ll or (-vs[0], -vs[2], -vs[1])
            e["vs_real"] = {
                k: {
                    "mean_diff": d[0],
                    "ci_low": d[1],
                    "ci_high": d[2],
                    "pvalue": 0.01,
                    "folds_better": 5,
                    "n": 5,
                }
                for k, d in (("auc", vs), ("log_loss", ll))
            }
        return e

    by_size = {
        "8": {
            "real": arm(0.70, 0.6, 0.8),
            "real+synthetic": arm(0.80, 0.7, 0.9, (0.10, 0.02, 0.18)),
        },
        "all": {
            "real": arm(0.90, 0.85, 0.95),
            "real+synthetic": arm(0.89, 0.84, 0.94, (-0.01, -0.05, 0.03), ll=(-0.40, -0.80, -0.01)),
        },
    }
    full = [
        {"arm": "real", "n_real": 128},
        {"arm": "real+synthetic", "n_real": 124},
        {"arm": "synthetic", "n_real": 0},
    ]  # trains on no real image: not counted
    curve = learning_curve(by_size, full, num_classes=2)
    assert curve["real_per_class"] == {"8": 8.0, "all": 63.0}
    (words,) = curve["in_words"]
    assert "8/class: +0.100 (better)" in words  # log-loss agrees: AUC alone is named
    # where log-loss says otherwise, the sentence says so, with its interval
    assert (
        "63/class: -0.010 (no detectable difference; log-loss disagrees: -0.400 "
        "[-0.800, -0.010], better)"
    ) in words


def test_cli_refuses_a_size_larger_than_a_training_part_before_training(tmp_path, capsys):
    code = study_main(
        [
            "--data",
            "phantom",
            "--quick",
            "--out",
            str(tmp_path / "s"),
            "--real-per-class",
            "500",
            "--list-cells",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--real-per-class 500" in err and "or all" in err
    assert not (tmp_path / "s" / "cells").exists()


def test_cost_is_computed_from_the_cells_clocks():
    from keras_medgan.study.report import cost_markdown, study_cost

    gan = {"kind": "gan", "recipe": "p1", "seconds": 30.0, "epochs": 3, "n_train": 10}
    arm = {
        "kind": "arm",
        "seconds": 6.0,
        "training": {"train_seconds": 4.0},
        "seeds": [{"training": {"steps": 100}}, {"training": {"steps": 100}}],
    }
    cost = study_cost([gan, dict(gan, seconds=50.0, epochs=5), arm])
    g = cost["gan"]["p1"]
    assert (g["cells"], g["seconds_per_epoch"]) == (2, 10.0)
    assert g["seconds_per_1000_images"] == pytest.approx(1000 * 80 / 80)
    c = cost["classifier"]
    assert c["ms_per_step"] == pytest.approx(20.0)
    assert c["seconds_outside_training_per_cell"] == pytest.approx(2.0)
    text = "\n".join(cost_markdown(cost))
    assert "10.00 s per GAN epoch" in text and "20.0 ms per step" in text


def test_quick_study_runs_on_a_folder_of_classes(tmp_path, tiny_arch):
    """The --quick command on a folder-of-classes PNG set (class names from the folder
    names); fewer folds, seeds and steps only to keep it short (the learning curve itself
    is covered by ``curve_study``)."""
    import cv2

    from tests.compare.conftest import toy_images

    images, labels = toy_images(16)
    for i, (img, y) in enumerate(zip(images, labels)):
        folder = tmp_path / "scans" / ("lesion" if y else "clear")
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"s{i:03d}.png"), ((img[..., 0] + 1) * 127.5).astype("uint8"))
    recipe = write_recipe(tmp_path)
    out = tmp_path / "study"
    code = study_main(
        [
            "--data",
            f"folder:{tmp_path / 'scans'}",
            "--quick",
            "--recipe",
            recipe,
            "--arms",
            "real",
            "real+synthetic",
            "--no-gan-train",
            "--steps",
            "4",
            "--folds",
            "2",
            "--seeds",
            "1",
            "--gan-workers",
            "1",
            "--eval-every",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert results["class_names"] == ["clear", "lesion"] and results["missing"] == []
    assert {row["cells"] for row in results["arms"].values()} == {2}


DCGAN_RECIPE = TINY_RECIPE.replace("arch: tiny32", "arch: dcgan32")


def test_gans_side_by_side_give_the_records_of_gans_one_by_one(tmp_path):
    """--gan-workers 2 (spawned processes, the fold's two class GANs at once) trains the
    same GANs as one process one after the other: same cells, same final metrics."""
    from keras_medgan.study.runner import _batches, resolve_gan_workers

    recipe = write_recipe(tmp_path, DCGAN_RECIPE, "dcgan.yaml")
    only_gans = lambda cells: [c for c in cells if c.kind == "gan" and c.fold == 0]
    records = {}
    for workers in (1, 2):
        config = study_config(
            tmp_path / f"w{workers}",
            recipe,
            arms=["synthetic"],
            gan_train=False,
            gan_workers=workers,
            folds=2,
        )
        run_study(config, loader=toy_study_loader(), stream=io.StringIO(), cells_wanted=only_gans)
        records[workers] = {
            p.name: json.loads(p.read_text())
            for p in sorted((tmp_path / f"w{workers}" / "cells").glob("*.json"))
        }
    assert list(records[1]) == list(records[2]) and len(records[1]) == 2
    for name, rec in records[1].items():
        other = records[2][name]
        assert other["n_train"] == rec["n_train"] and other["epochs"] == rec["epochs"] == 1
        for key, value in rec["final_metrics"].items():
            assert other["final_metrics"][key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    # grouping: a fold's GAN cells together, never across folds or with classifier cells
    _, _, cells = runner.prepare_study(config, toy_study_loader())
    batches = _batches(cells, 2)
    assert [len(b) for b in batches][:2] == [2, 1]
    assert all(len({(c.repeat, c.fold, c.size, c.kind) for c in b}) == 1 for b in batches)
    assert resolve_gan_workers(3) == 3 and resolve_gan_workers("auto") in (1, 2)


def test_an_archive_names_no_path_of_this_machine(curve_study, tmp_path, monkeypatch):
    """The study folder, the data folder and the home folder become placeholders in every
    archived text file; the report and the leakage check still work there."""
    from keras_medgan.study.report import archive_results

    out, *_ = curve_study
    monkeypatch.setenv("KERAS_MEDGAN_DATA", "/data/toy")  # the toy loader's paths
    dest = archive_results(out, tmp_path / "archive")
    texts = [p.read_text() for p in dest.rglob("*") if p.suffix in (".json", ".md")]
    assert texts and not any(str(out.resolve()) in t for t in texts)
    assert not any("/data/toy" in t for t in texts)
    results = json.loads((dest / "results.json").read_text())
    assert results["leakage"]["gan_cells_checked"] == 8
    assert results["leakage"]["ids_outside_training_part"] == 0


def test_plan_reads_the_sd_of_one_size_only(curve_study):
    """--plan's SD of the fold differences comes from the whole-training-part cells; the
    curve's small sizes are other comparisons (pairing them with the full size's real arm
    mixed sizes and doubled the SD on head CT)."""
    import numpy as np

    from keras_medgan.cli.study import _observed_sd

    out, *_ = curve_study
    sd, source = _observed_sd(out)
    cells = {p.stem: json.loads(p.read_text()) for p in (out / "cells").glob("*-arm-*.json")}
    diffs = [
        cells[f"r0-f{f}-arm-real+synthetic-tiny@x1"]["metrics"]["auc"]
        - cells[f"r0-f{f}-arm-real"]["metrics"]["auc"]
        for f in range(2)
    ]
    assert sd["auc"] == pytest.approx(float(np.std(diffs, ddof=1)))
    assert "2 paired" in source
