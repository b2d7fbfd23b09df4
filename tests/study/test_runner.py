"""The study end to end on a toy set with a millisecond GAN: every image predicted once
per arm, leakage computed from the cards (0, and non-zero when a GAN is deliberately
trained on a test image), a killed study resumes with only the missing cells, shards plus
``report`` equal a full run, bad input fails before any training."""

import csv
import io
import json
import shutil
import zlib

import numpy as np
import pytest

from keras_medgan.study import StudyError, runner
from keras_medgan.study import folds as fold_split
from keras_medgan.study.cells import Cell
from keras_medgan.study.report import write_report
from keras_medgan.study.runner import run_study
from tests.study.conftest import ALL_ARMS, study_config, toy_study_loader, write_recipe


class Spy:
    """Wraps _Study.run and records the cells actually run."""

    def __init__(self, mp):
        self.ran = []
        real = runner._Study.run

        def run(study, cell):
            self.ran.append(cell.id)
            return real(study, cell)

        mp.setattr(runner._Study, "run", run)


@pytest.fixture(scope="module")
def study(tmp_path_factory, tiny_arch):
    """One study, run as if killed after fold 0 and then rerun: (out, first, second, cells)."""
    tmp = tmp_path_factory.mktemp("study")
    config = study_config(tmp / "out", write_recipe(tmp))
    loader = toy_study_loader()
    with pytest.MonkeyPatch.context() as mp:
        first = Spy(mp)
        run_study(
            config,
            loader=loader,
            stream=io.StringIO(),
            cells_wanted=lambda cells: runner.select_cells(cells, fold=0),
        )
    log = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        second = Spy(mp)
        results = run_study(config, loader=loader, stream=log)
    _, _, cells = runner.prepare_study(config, loader)
    (tmp / "log2.txt").write_text(log.getvalue())
    return tmp / "out", first.ran, second.ran, cells, results


def test_resume_runs_only_the_missing_cells(study):
    out, first, second, cells, _ = study
    assert first == [c.id for c in cells if c.fold == 0]
    assert second == [c.id for c in cells if c.fold == 1]
    assert "8 of the 16 asked for already done" in (out.parent / "log2.txt").read_text()


def test_every_image_is_predicted_once_per_arm(study):
    out, _, _, _, results = study
    rows = list(csv.DictReader(io.StringIO((out / "predictions.csv").read_text())))
    by_arm = {}
    for row in rows:
        by_arm.setdefault((row["arm"], row["variant"]), []).append(row["image_id"])
    assert len(by_arm) == len(ALL_ARMS)
    for ids in by_arm.values():
        assert sorted(ids) == sorted(f"img{i:03d}.png" for i in range(30))
    assert results["cells_done"] == results["cells_planned"] == 16
    assert results["missing"] == []
    # every arm's every cell trained the same optimizer steps, whatever its set size
    assert {tuple(row["steps"]) for row in results["arms"].values()} == {(2,)}
    for key, row in results["arms"].items():
        assert row["cells"] == 2 and len(row["folds"]) == 2, key
        assert 0.0 <= row["metrics"]["auc"]["mean"] <= 1.0
        assert row["threshold_rule"] == "youden"
        if key != "real":
            assert row["vs_real"]["folds_paired"] == 2
            assert "agree" in row["vs_real"]["agreement"]
    cell = json.loads(next((out / "cells").glob("*-arm-real.json")).read_text())
    assert len(cell["seeds"][0]["val_probs"]) == len(cell["val_labels"]) == len(cell["val_ids"])
    assert set(cell["val_ids"]).isdisjoint(cell["ids"])
    assert cell["protocol_version"] == 2
    for name in ("results.md", "results.png", "results.json", "folds.json", "config.json"):
        assert (out / name).is_file()


def test_leakage_reads_zero_from_the_cards(study):
    out, *_, results = study
    leak = results["leakage"]
    assert leak["gan_cells_checked"] == 4
    assert leak["test_images_seen"] == 0 and leak["ids_outside_training_part"] == 0
    assert leak["cards_without_train_ids"] == []
    card = json.loads(next((out / "gans").rglob("generator_*.json")).read_text())
    assert card["train_ids"] and all(i.startswith("img") for i in card["train_ids"])


def test_leakage_counts_a_test_image_a_gan_trained_on(tmp_path, tiny_arch, monkeypatch):
    real_parts = fold_split.fold_parts

    def leaky(labels, *args, **kw):  # one test image of each class joins the training part
        p = real_parts(labels, *args, **kw)
        one_each = [p.test[np.asarray(labels)[p.test] == c][0] for c in (0, 1)]
        return fold_split.FoldParts(train=np.append(p.train, one_each), val=p.val, test=p.test)

    monkeypatch.setattr(fold_split, "fold_parts", leaky)
    config = study_config(tmp_path / "out", write_recipe(tmp_path), arms=["real"])
    results = run_study(
        config,
        loader=toy_study_loader(),
        stream=io.StringIO(),
        cells_wanted=lambda cells: [c for c in cells if c.kind == "gan"][:1],
    )
    assert results["leakage"]["test_images_seen"] == 1
    (leaky_cell,) = results["leakage"]["cells"]
    assert leaky_cell["cell"] == "r0-f0-gan-tiny-normal"
    assert len(leaky_cell["test_images_seen"]) == 1
    assert "1 test image(s)" in (tmp_path / "out" / "results.md").read_text()


def test_leakage_counts_a_validation_image_a_gan_trained_on(tmp_path, tiny_arch, monkeypatch):
    """The same check for the other held-out part: a validation image in a GAN's training
    set is counted as such (and not as a test image)."""
    real_parts = fold_split.fold_parts

    def leaky(labels, *args, **kw):
        p = real_parts(labels, *args, **kw)
        one = p.val[np.asarray(labels)[p.val] == 0][:1]  # one validation image of class 0
        return fold_split.FoldParts(train=np.append(p.train, one), val=p.val, test=p.test)

    monkeypatch.setattr(fold_split, "fold_parts", leaky)
    config = study_config(tmp_path / "out", write_recipe(tmp_path), arms=["real"])
    results = run_study(
        config,
        loader=toy_study_loader(),
        stream=io.StringIO(),
        cells_wanted=lambda cells: [c for c in cells if c.kind == "gan"][:1],
    )
    leak = results["leakage"]
    assert leak["val_images_seen"] == 1 and leak["test_images_seen"] == 0
    (cell,) = leak["cells"]
    assert len(cell["val_images_seen"]) == 1 and cell["test_images_seen"] == []
    assert "1 validation image(s)" in (tmp_path / "out" / "results.md").read_text()


def _fake_run(study, cell):
    """Deterministic stand-in records: no training, so shards and full runs can be compared."""
    f = study.fold(cell)
    if cell.kind == "gan":
        return {
            "kind": "gan",
            "repeat": cell.repeat,
            "fold": cell.fold,
            "size": cell.size,
            "recipe": cell.recipe,
            "unit": cell.unit,
            "export": "none.h5",
            "status": "trained",
            "epochs": 1,
            "n_train": 1,
        }
    if cell.kind == "gan_train":
        s = {"sensitivity": 0.5, "specificity": 0.5, "hm": 0.5, "accuracy": 0.5}
        return {
            "kind": "gan_train",
            "repeat": cell.repeat,
            "fold": cell.fold,
            "size": cell.size,
            "recipe": cell.recipe,
            "scores": {k: s for k in ("real", "gan_train", "gan_test")},
        }
    ids = f.ids("test")
    _, y = f.xy("test")
    rng = np.random.default_rng(zlib.crc32(cell.id.encode()))
    p1 = np.clip(0.6 * y + 0.2 + rng.normal(0, 0.2, len(y)), 0, 1)
    probs = np.stack([1 - p1, p1], 1)
    from keras_medgan.compare.endpoints import score_predictions

    return {
        "kind": "arm",
        "repeat": cell.repeat,
        "fold": cell.fold,
        "size": cell.size,
        "arm": cell.arm,
        "recipe": cell.recipe,
        "variant": cell.variant.name if cell.variant else None,
        "ids": ids,
        "labels": y.tolist(),
        "probs": probs.tolist(),
        "seeds": [{"seed": 0}],
        "metrics": score_predictions(y, probs),
        "training": {"steps": [1]},
        "n_train": 20,
        "n_real": 20,
    }


def test_shards_plus_report_equal_a_full_run(tmp_path, tiny_arch, monkeypatch):
    monkeypatch.setattr(runner._Study, "run", _fake_run)
    recipe = write_recipe(tmp_path)
    loader = toy_study_loader()
    kw = {"repeats": 2, "synthetic_ratios": [1.0, 2.0]}
    full = run_study(
        study_config(tmp_path / "full", recipe, **kw), loader=loader, stream=io.StringIO()
    )
    sharded = study_config(tmp_path / "shards", recipe, **kw)
    for r in range(2):
        for f in range(2):
            run_study(
                sharded,
                loader=loader,
                stream=io.StringIO(),
                cells_wanted=lambda cells, r=r, f=f: runner.select_cells(cells, repeat=r, fold=f),
            )
    partial = write_report(tmp_path / "shards")
    assert partial["missing"] == []
    assert "not met.** Closest:" in (tmp_path / "full" / "results.md").read_text()
    assert json.dumps(partial["arms"], sort_keys=True) == json.dumps(full["arms"], sort_keys=True)
    assert (tmp_path / "shards" / "predictions.csv").read_text() == (
        tmp_path / "full" / "predictions.csv"
    ).read_text()
    # a report on an unfinished study says what is missing
    shutil.rmtree(tmp_path / "shards" / "cells")
    (tmp_path / "shards" / "cells").mkdir()
    assert len(write_report(tmp_path / "shards")["missing"]) == full["cells_planned"]


def test_bad_input_fails_before_training(tmp_path, tiny_arch, monkeypatch):
    monkeypatch.setattr(runner._Study, "run", lambda *a: pytest.fail("trained"))
    recipe = write_recipe(tmp_path)
    with pytest.raises(StudyError, match="each class needs at least 25 patients"):
        run_study(study_config(tmp_path / "a", recipe, folds=5), loader=toy_study_loader())
    with pytest.raises(StudyError, match="cannot build image size 64"):
        run_study(study_config(tmp_path / "b", recipe, image_size=64), loader=toy_study_loader())
    unconditional = write_recipe(tmp_path, "arch: tiny32\nper_class: false\n", "all.yaml")
    with pytest.raises(StudyError, match="per_class: true"):
        run_study(study_config(tmp_path / "c", unconditional), loader=toy_study_loader())
    config = study_config(tmp_path / "d", recipe)
    run_study(
        config, loader=toy_study_loader(), stream=io.StringIO(), cells_wanted=lambda cells: []
    )
    other = study_config(tmp_path / "d", recipe, seed=1, val_fraction=0.25)
    with pytest.raises(StudyError, match=r"seed \(0 → 1\); val_fraction"):
        run_study(other, loader=toy_study_loader())


def test_cell_ids_are_unique_and_fold_major(study):
    _, _, _, cells, _ = study
    assert len({c.id for c in cells}) == len(cells)
    assert [c.fold for c in cells] == sorted(c.fold for c in cells)
    assert cells[0].kind == "gan" and isinstance(cells[0], Cell)


def test_archive_keeps_what_the_report_and_leakage_check_need(study, tmp_path):
    from keras_medgan.study.report import archive_results

    out, *_ = study
    dest = archive_results(out, tmp_path / "archive")
    assert not list(dest.rglob("*.h5"))
    again = json.loads((dest / "results.json").read_text())
    assert again["leakage"]["gan_cells_checked"] == 4
    assert again["arms"] == json.loads((out / "results.json").read_text())["arms"]


def test_rerun_from_an_archive_retrains_only_gans_that_unfinished_cells_need(
    study, tmp_path, monkeypatch
):
    from keras_medgan.study.report import archive_results

    out, *_ = study
    dest = archive_results(out, tmp_path / "archive")
    (dest / "cells" / "r0-f1-arm-real+synthetic-tiny@x1.json").unlink()
    config = study_config(dest, json.loads((out / "config.json").read_text())["recipes"]["tiny"])
    spy = Spy(monkeypatch)
    run_study(config, loader=toy_study_loader(), stream=io.StringIO())
    assert spy.ran == [
        "r0-f1-gan-tiny-normal",
        "r0-f1-gan-tiny-hemorrhage",
        "r0-f1-arm-real+synthetic-tiny@x1",
    ]


def test_a_gan_worker_retrains_a_gan_whose_generator_file_is_gone(study, tmp_path):
    """A GAN cell whose record exists but whose generator file does not (an archive copied
    to a fresh machine) is trained again by a side-by-side worker (--gan-workers 2), not
    skipped as "finished by another process"; an arm that needs it waits instead of
    failing with a traceback."""
    from keras_medgan.study.cells import Cell
    from keras_medgan.study.report import archive_results

    out, *_ = study
    dest = archive_results(out, tmp_path / "archive")
    config = study_config(dest, json.loads((out / "config.json").read_text())["recipes"]["tiny"])
    data, recipes, _ = runner.prepare_study(config, toy_study_loader())
    arm = Cell("arm", 0, 1, arm="real+synthetic")
    with pytest.raises(runner._NotReady, match="generator file .* is missing"):
        runner._Study(config, data, recipes, io.StringIO()).fold(arm).generator_files("tiny")
    gan = Cell("gan", 0, 1, recipe="tiny", unit="normal")
    record = runner._gan_worker(config, data, gan)
    assert "skipped" not in record
    assert (dest / record["export"]).is_file()


def test_data_checks_run_at_the_start(tmp_path, tiny_arch, monkeypatch, capsys):
    import sys

    base = toy_study_loader()("toy", 32, "all", 0)
    base.images[1] = base.images[0]  # an exact copy: it can land in train and test
    config = study_config(tmp_path / "out", write_recipe(tmp_path))
    run_study(config, loader=lambda **kw: base, stream=sys.stderr, cells_wanted=lambda cells: [])
    report = json.loads((tmp_path / "out" / "data_report.json").read_text())
    assert any(f["check"] == "duplicate" for f in report["findings"])
    assert "warning: data:" in capsys.readouterr().err
    # the report says in which folds the two copies sit on both sides of test/train
    folds = json.loads((tmp_path / "out" / "folds.json").read_text())
    pair = {"img000.png", "img001.png"}
    expected = [
        f
        for f, part in enumerate(folds["repeats"][0])
        if pair & set(part["test"]) and pair & set(part["train"])
    ]
    assert expected  # this toy split does put them on both sides once
    results = write_report(tmp_path / "out")
    assert [d["fold"] for d in results["leakage"]["duplicates_split"]] == expected
    assert all(d["images"] == sorted(pair) for d in results["leakage"]["duplicates_split"])
    # ... and so does the report of an archived copy (it keeps data_report.json)
    from keras_medgan.study.report import archive_results

    archived = archive_results(tmp_path / "out", tmp_path / "archive")
    again = json.loads((archived / "results.json").read_text())
    assert again["leakage"]["duplicates_split"] == results["leakage"]["duplicates_split"]


def test_group_duplicates_keeps_copies_on_one_side(tmp_path, tiny_arch):
    base = toy_study_loader()("toy", 32, "all", 0)
    base.images[1] = base.images[0]
    config = study_config(tmp_path / "out", write_recipe(tmp_path), group_duplicates=True)
    run_study(config, loader=lambda **kw: base, stream=io.StringIO(), cells_wanted=lambda c: [])
    folds = json.loads((tmp_path / "out" / "folds.json").read_text())
    for part in folds["repeats"][0]:
        sides = {
            k
            for k in ("train", "val", "test")
            for i in ("img000.png", "img001.png")
            if i in part[k]
        }
        assert len(sides) == 1  # one patient: train, val or test together
    assert write_report(tmp_path / "out")["leakage"]["duplicates_split"] == []
