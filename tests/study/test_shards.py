"""Job arrays: --shard i/N (or SLURM's variables) and --stage gans|classifiers split the
cells deterministically; four shards in two stages give the one-process results."""

import argparse
import io
import json

import pytest

from keras_medgan.cli.study import _cell_filter
from keras_medgan.study import StudyError, runner
from keras_medgan.study.cells import parse_shard, plan_cells, shard_cells
from keras_medgan.study.runner import run_study
from tests.study.conftest import TINY_RECIPE, study_config, toy_study_loader, write_recipe
from tests.study.test_runner import _fake_run

PLAN = plan_cells(
    repeats=2,
    folds=3,
    recipes={"p": ["a", "b"]},
    sizes=[8, None],
    arms=["real", "real+synthetic"],
    ratios=[1.0],
    keeps=[1.0],
    gan_train=True,
)


def test_parse_shard_and_its_refusals():
    assert parse_shard("2/4") == (2, 4)
    env = {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"}
    assert parse_shard("auto", env) == (2, 4)
    for bad, why in (("5/4", "in 0-3"), ("0/0", ">= 1"), ("x", "give i/N"), ("3", "give i/N")):
        with pytest.raises(ValueError, match=why):
            parse_shard(bad, {})
    with pytest.raises(ValueError, match="SLURM_ARRAY_TASK_ID"):
        parse_shard("auto", {})
    with pytest.raises(ValueError, match="task 9 .* in 0-3"):
        parse_shard("auto", {**env, "SLURM_ARRAY_TASK_ID": "9"})


@pytest.mark.parametrize("stage", ["all", "gans", "classifiers"])
def test_shards_partition_the_stage(stage):
    parts = [shard_cells(PLAN, i, 3, stage) for i in range(3)]
    ids = [c.id for part in parts for c in part]
    assert len(ids) == len(set(ids))  # disjoint
    expected = {
        "all": PLAN,
        "gans": [c for c in PLAN if c.kind == "gan"],
        "classifiers": [c for c in PLAN if c.kind != "gan"],
    }[stage]
    assert set(ids) == {c.id for c in expected}
    assert all(parts)  # every shard has work
    if stage == "all":  # a shard holds whole (repeat, fold, size) groups
        for part in parts:
            groups = {(c.repeat, c.fold, c.size) for c in part}
            assert sum(1 for c in PLAN if (c.repeat, c.fold, c.size) in groups) == len(part)


def _args(**kw):
    base = {"cells": None, "repeat": None, "fold": None, "shard": None, "stage": "all"}
    return argparse.Namespace(**{**base, **kw})


def _four_shards_in_two_stages(config) -> dict:
    """--stage gans then --stage classifiers, each as shards 0/4 … 3/4; the last report."""
    for stage in ("gans", "classifiers"):
        for i in range(4):
            report = run_study(
                config,
                loader=toy_study_loader(),
                stream=io.StringIO(),
                cells_wanted=_cell_filter(_args(shard=f"{i}/4", stage=stage), config.out),
            )
    return report


def test_four_shards_in_two_stages_equal_one_process(tmp_path, tiny_arch, monkeypatch):
    monkeypatch.setattr(runner._Study, "run", _fake_run)
    recipe = write_recipe(tmp_path)
    kw = {"repeats": 2, "real_per_class": [4, None]}
    full = run_study(
        study_config(tmp_path / "full", recipe, **kw),
        loader=toy_study_loader(),
        stream=io.StringIO(),
    )
    config = study_config(tmp_path / "shards", recipe, **kw)
    with pytest.raises(
        StudyError, match="--stage classifiers: .* run the same command with --stage gans first"
    ):
        run_study(
            config,
            loader=toy_study_loader(),
            stream=io.StringIO(),
            cells_wanted=_cell_filter(_args(shard="0/4", stage="classifiers"), config.out),
        )
    shard = _four_shards_in_two_stages(config)
    assert shard["missing"] == []
    assert json.dumps(shard["arms"], sort_keys=True) == json.dumps(full["arms"], sort_keys=True)
    assert json.dumps(shard["learning_curve"], sort_keys=True) == json.dumps(
        full["learning_curve"], sort_keys=True
    )


def test_four_shards_equal_one_process_with_cells_that_train(tmp_path, tiny_arch):
    """The same, with real cells: GANs (tiny32, one epoch) trained by the GAN-stage shards,
    classifiers by the classifier-stage shards, against one run that does everything.
    (In one pytest process; scripts/time_local_shards.py --equivalence checks separate
    processes with P1's recipe: experiments/results/shard_equivalence.json.)"""
    recipe = write_recipe(tmp_path)
    kw = {"arms": ["real", "real+synthetic"]}
    full = run_study(
        study_config(tmp_path / "full", recipe, **kw),
        loader=toy_study_loader(),
        stream=io.StringIO(),
    )
    config = study_config(tmp_path / "shards", recipe, **kw)
    shard = _four_shards_in_two_stages(config)
    assert shard["missing"] == []
    synthetic = [k for k in full["arms"] if "synthetic" in k]
    assert synthetic and full["arms"][synthetic[0]]["folds"]  # GAN images were used
    assert json.dumps(shard["arms"], sort_keys=True) == json.dumps(full["arms"], sort_keys=True)


@pytest.mark.parametrize("deterministic", [True, False])
def test_a_deterministic_recipe_puts_every_cell_under_op_determinism(
    tmp_path, tiny_arch, monkeypatch, deterministic
):
    """Op determinism changes a classifier cell's numbers (other kernels), and a GAN cell
    of a deterministic recipe switches it on for the rest of its process: a shard running
    only classifier cells disagreed with one process running them all (AUC 0.685 vs 0.689
    on the phantom quick study). The study switches it on before its first cell."""

    events = []
    monkeypatch.setattr(runner, "enable_op_determinism", lambda: events.append("determinism"))

    def run(study, cell):
        events.append(cell.kind)
        return _fake_run(study, cell)

    monkeypatch.setattr(runner._Study, "run", run)
    text = TINY_RECIPE + ("deterministic: true\n" if deterministic else "")
    config = study_config(tmp_path / "s", write_recipe(tmp_path, text), arms=["real"])
    run_study(config, loader=toy_study_loader(), stream=io.StringIO())
    assert "gan" in events and "arm" in events
    assert events[0] == "determinism" if deterministic else "determinism" not in events


def test_a_study_resumed_with_other_folds_is_refused(tmp_path, tiny_arch, monkeypatch):
    """Every shard and every rerun recomputes the folds; if they differ from the ones its
    finished cells were made with (changed images, another scikit-learn), the run stops
    before training instead of mixing two splits. Added repeats are not a change."""
    monkeypatch.setattr(runner._Study, "run", _fake_run)
    recipe = write_recipe(tmp_path)
    config = study_config(tmp_path / "s", recipe, arms=["real"])
    only_real = lambda cells: [c for c in cells if c.kind == "arm" and c.fold == 0]
    run_study(config, loader=toy_study_loader(), stream=io.StringIO(), cells_wanted=only_real)
    more = study_config(tmp_path / "s", recipe, arms=["real"], repeats=2)
    run_study(more, loader=toy_study_loader(), stream=io.StringIO(), cells_wanted=only_real)
    path = tmp_path / "s" / "folds.json"
    record = json.loads(path.read_text())
    fold = record["repeats"][0][1]
    fold["test"][0], fold["train"][0] = fold["train"][0], fold["test"][0]  # another deal
    path.write_text(json.dumps(record))
    with pytest.raises(
        StudyError,
        match=r"other folds .* \(repeat 0, fold 1: its train part "
        r"differs",
    ):
        run_study(more, loader=toy_study_loader(), stream=io.StringIO(), cells_wanted=only_real)
    assert json.loads(path.read_text()) == record  # the record of the finished cells is kept


def test_cells_given_by_name_are_one_line_naming_the_fix():
    """--cells takes the numbers --list-cells prints; a cell's name is a clear StudyError
    (one line, exit 2), not a ValueError traceback."""
    with pytest.raises(
        StudyError,
        match=r"--cells 'r0-f0-gan-p-a'.* is not N or N-M; "
        r"--list-cells shows each cell's number",
    ):
        _cell_filter(_args(cells="r0-f0-gan-p-a"), "out")(PLAN)
    with pytest.raises(StudyError, match=r"outside 0-\d+"):
        _cell_filter(_args(cells="0-999"), "out")(PLAN)
    assert [c.id for c in _cell_filter(_args(cells="0-1"), "out")(PLAN)] == [c.id for c in PLAN[:2]]
